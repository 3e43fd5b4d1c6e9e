/*
 * stack_native.c - the native stack: EAL arguments for the configured port, port and mbuf pool
 * set-up, one poll loop per worker lcore, and the embedded default (a TAP port whose host side
 * gets an address, so that `redis-cli -h 10.88.0.2` works at once).
 *
 * The loop, per lcore (style.md §7):
 *   RX burst on every port -> ARP / IPv4 / ICMP / UDP requests / TCP segments (clients run
 *   their commands as data arrives) -> packets steered from other cores -> engine work
 *   (forwarded commands, expiry, reclamation) -> output of every client the engine touched ->
 *   TCP timers -> ARP -> TX flush (every iteration: no coalescing delay) -> RCU quiescent state.
 */
#include "stack_native.h"

#include "../core/log.h"
#include "../core/log_dpdk.h"
#include "../engine/client.h"
#include "../engine/server.h"
#include "../engine/telemetry.h"
#include "../engine/udp.h"
#include "../engine/worker.h"
#include "arp.h"
#include "conn.h"
#include "net.h"
#include "pmd_guard.h"
#include "port.h"
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_telemetry.h>

/* The embedded default: a TAP port, dpcache at .2, the host at .1. */
#define TAP_VDEV      "net_tap0,iface=dpcache0"
#define TAP_DEV       "net_tap0"
#define TAP_IFACE     "dpcache0"
#define TAP_ADDR      "10.88.0.2/24"
#define TAP_HOST_ADDR "10.88.0.1"

struct net_global net;

static char vdev_arg[512], allow_arg[128];

static int embedded(void)
{
    return !srv.cfg.native_port || !srv.cfg.native_port[0];
}

const char *native_port_spec(void)
{
    return embedded() ? TAP_VDEV : srv.cfg.native_port;
}

/* Is capability @cap in this process's effective set? */
static int have_cap(unsigned cap)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

    memset(d, 0, sizeof(d));
    if (syscall(SYS_capget, &h, d) < 0)
        return 1; /* cannot tell: let the driver try */
    return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int native_check_privileges(char *err, size_t errlen)
{
    static const struct {
        const char *driver, *what;
        unsigned cap;
        const char *cap_name;
    } needs[] = {
        { "net_tap", "creates a TAP interface", CAP_NET_ADMIN, "CAP_NET_ADMIN" },
        { "net_af_xdp", "opens AF_XDP sockets", CAP_NET_ADMIN, "CAP_NET_ADMIN" },
        { "net_af_packet", "opens AF_PACKET sockets", CAP_NET_RAW, "CAP_NET_RAW" },
    };
    const char *spec = native_port_spec();

    for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
        if (strncmp(spec, needs[i].driver, strlen(needs[i].driver)) != 0 || have_cap(needs[i].cap))
            continue;
        snprintf(err, errlen,
                 "the native stack's port %s%.64s%s %s, which needs root or %s: run dpcache as "
                 "root or with %s (e.g. setcap %s+ep on the binary), or use --stack posix",
                 embedded() ? "(the embedded TAP " TAP_IFACE ": " : "", spec, embedded() ? ")" : "",
                 needs[i].what, needs[i].cap_name, needs[i].cap_name,
                 needs[i].cap == CAP_NET_RAW ? "cap_net_raw" : "cap_net_admin");
        return -1;
    }
    return 0;
}

int native_eal_args(char **argv, int max)
{
    const char *p = native_port_spec();
    int n = 0;

    if (max < 3)
        return 0;
    if (strncmp(p, "net_", 4) == 0) {
        snprintf(vdev_arg, sizeof(vdev_arg), "%s", p);
        argv[n++] = "--vdev";
        argv[n++] = vdev_arg;
        argv[n++] = "--no-pci";
    } else {
        snprintf(allow_arg, sizeof(allow_arg), "%s", p);
        argv[n++] = "-a";
        argv[n++] = allow_arg;
    }
    return n;
}

/* "a.b.c.d/len" -> address and mask (network order). */
static int parse_cidr(const char *s, uint32_t *addr, uint32_t *mask)
{
    char buf[64], *slash;
    long len = 32;
    struct in_addr a;

    snprintf(buf, sizeof(buf), "%s", s);
    slash = strchr(buf, '/');
    if (slash) {
        char *end;
        *slash = '\0';
        len = strtol(slash + 1, &end, 10);
        if (*end || len < 1 || len > 32)
            return -1;
    }
    if (inet_pton(AF_INET, buf, &a) != 1)
        return -1;
    *addr = a.s_addr;
    *mask = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
    return 0;
}

/* Give the TAP's kernel side the host address and bring it up. */
static void tap_host_up(const char *ifname, const char *host, uint32_t mask)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

    if (fd < 0)
        return;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, host, &sin->sin_addr);
    if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
        log_warn("%s: cannot set address %s: %s", ifname, host, strerror(errno));
    sin->sin_addr.s_addr = mask;
    ioctl(fd, SIOCSIFNETMASK, &ifr);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    close(fd);
}

static int native_loop(void *arg)
{
    struct net_core *nc = arg;
    struct worker *w = nc->w;
    uint64_t t = rte_rdtsc(), tsc_last = t;

    worker_set_self(w);
    urcu_qsbr_register_thread();
    worker_clock_tsc(w, t);
    nc->now_ms = w->now_ms;
    if (nc->queue == 0)
        for (int i = 0; i < net.nports; i++)
            arp_announce(nc, &net.ports[i]);
    log_verbose("entering main loop on lcore %u (worker %u)", nc->lcore, w->id);
    while (!srv.shutdown) {
        unsigned work;

        worker_clock_tsc(w, t); /* the previous iteration's end: one TSC read per iteration */
        nc->now_ms = w->now_ms;
        work = net_rx(nc);
        work += net_steered(nc);
        work += worker_poll(w);
        conn_drain_dirty(nc);
        tcp_poll(nc->tcp, w->now_us);
        arp_poll(nc);
        net_flush(nc);
        worker_quiescent(w);
        t = rte_rdtsc();
        if (work) {
            stat_add(w, busy_polls, 1);
            stat_add(w, busy_cycles, t - tsc_last);
        } else {
            stat_add(w, idle_polls, 1);
            stat_add(w, idle_cycles, t - tsc_last);
        }
        tsc_last = t;
    }
    /* close every connection, answer what is in flight, then stop */
    tcp_stack_destroy(nc->tcp);
    nc->tcp = NULL;
    worker_shutdown(w);
    udp_pool_free(w);
    net_flush(nc);
    urcu_qsbr_unregister_thread();
    return 0;
}

static struct tcp_config tcp_cfg(const struct net_port *p)
{
    struct tcp_config c;
    uint32_t conns = (uint32_t)(srv.cfg.maxclients / srv.nworkers + 64);

    memset(&c, 0, sizeof(c));
    c.max_conns = conns > 262144 ? 262144 : conns;
    c.syn_backlog = 1024;
    c.rcv_wnd = 256 * 1024;
    c.ooo_max = 256 * 1024;
    c.mss = (uint16_t)(p->mtu - 40);
    c.time_wait_ms = 10 * 1000;
    c.keepalive_s = (uint32_t)srv.cfg.tcp_keepalive;
    c.keepalive_intvl_s = c.keepalive_s / 3 ? c.keepalive_s / 3 : 1;
    c.keepalive_cnt = 3;
    c.rto_min_ms = (uint32_t)srv.cfg.native_rto_min_ms;
    c.rto_max_ms = 10 * 1000;
    c.rto_init_ms = 200;
    c.max_retries = 12;
    c.delack_ms = 10;
    return c;
}

static int setup(char *err, size_t errlen)
{
    const char *addr = embedded() ? TAP_ADDR : srv.cfg.native_addr;
    const char *dev = embedded() ? TAP_DEV : srv.cfg.native_port;
    struct net_port *p = &net.ports[0];
    char devname[64];
    unsigned nmbufs, room;
    int nq = srv.nworkers;

    memset(&net, 0, sizeof(net));
    net.ncores = nq;
    net.nports = 1;
    if (!embedded() && port_check_spec(srv.cfg.native_port, err, errlen))
        return -1;
    if (!addr || !addr[0] || parse_cidr(addr, &p->addr, &p->mask)) {
        snprintf(err, errlen,
                 "native stack: give the port an IPv4 address with --native-addr a.b.c.d/len "
                 "(got '%s')",
                 addr ? addr : "");
        return -1;
    }
    if (srv.cfg.native_gateway && srv.cfg.native_gateway[0]) {
        struct in_addr g;
        if (inet_pton(AF_INET, srv.cfg.native_gateway, &g) != 1) {
            snprintf(err, errlen, "native stack: --native-gateway '%s' is not an IPv4 address",
                     srv.cfg.native_gateway);
            return -1;
        }
        p->gateway = g.s_addr;
    }
    p->mtu = (uint16_t)srv.cfg.native_mtu;
    snprintf(devname, sizeof(devname), "%s", dev);
    devname[strcspn(devname, ",")] = '\0'; /* the ethdev name of a vdev spec */
    nmbufs = (unsigned)nq * (2 * 1024 + NET_TX_BUF + 4 * NET_BURST + 4096) + 8192;
    /* one frame of the MTU fits one mbuf (the stack sends single-segment frames); a device
     * that cannot take the MTU gets its own maximum (port_setup then falls back to it) */
    {
        uint16_t pid;
        struct rte_eth_dev_info info;
        if (rte_eth_dev_get_port_by_name(devname, &pid) == 0 &&
            rte_eth_dev_info_get(pid, &info) == 0 && info.max_mtu >= 576 &&
            info.max_mtu < p->mtu)
            p->mtu = info.max_mtu;
    }
    room = RTE_PKTMBUF_HEADROOM + p->mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    net.pool = rte_pktmbuf_pool_create("dpnet", nmbufs, 256, 0,
                                       (uint16_t)RTE_MAX(room, (unsigned)RTE_MBUF_DEFAULT_BUF_SIZE),
                                       (int)rte_socket_id());
    if (!net.pool) {
        snprintf(err, errlen,
                 "native stack: cannot create %u mbufs (%s): reserve hugepages or give the EAL "
                 "more memory (-m / --eal-memory)",
                 nmbufs, rte_strerror(rte_errno));
        return -1;
    }
    if (port_setup(p, devname, nq, net.pool, err, errlen)) {
        uint16_t pid;
        if (embedded() && rte_eth_dev_get_port_by_name(devname, &pid) != 0)
            snprintf(err, errlen,
                     "the embedded TAP port (net_tap0, interface " TAP_IFACE ") did not start%s%s"
                     ": the interface may exist already; for a TAP of another name give "
                     "--native-port net_tap0,iface=<name> --native-addr <a.b.c.d/len>",
                     log_dpdk_first_error()[0] ? ": " : "", log_dpdk_first_error());
        return -1;
    }
    net.service_port = srv.cfg.port ? htons((uint16_t)srv.cfg.port) : 0;
    net.core_port_base = srv.core_port_base > 0 ? (uint16_t)srv.core_port_base : 0;
    if (srv.cfg.cluster_enabled)
        net.service_port = 0; /* a cluster node per core: core ports only */
    net.udp_payload = srv.cfg.udp ? (uint16_t)(p->mtu - 20 - 8 - 8) : 0;
    port_steer_rules(p, net.core_port_base, nq);
    if (embedded()) {
        struct in_addr h;
        tap_host_up(TAP_IFACE, TAP_HOST_ADDR, p->mask);
        inet_pton(AF_INET, TAP_HOST_ADDR, &h);
        net.local_peer = h.s_addr;
    }
    for (int i = 0; i < nq; i++) {
        struct worker *w = srv.workers[i];
        struct net_core *nc;
        struct tcp_config tc = tcp_cfg(p);
        char name[32];
        int sock = (int)rte_lcore_to_socket_id(w->lcore);

        nc = rte_zmalloc_socket("net_core", sizeof(*nc), 64, sock < 0 ? SOCKET_ID_ANY : sock);
        if (!nc) {
            snprintf(err, errlen, "native stack: out of EAL memory for core state");
            return -1;
        }
        nc->w = w;
        nc->lcore = w->lcore;
        nc->queue = (uint16_t)i;
        nc->pool = net.pool;
        nc->rng = rte_rand() | 1;
        for (int k = 0; k < UDP_PEERS; k++)
            nc->peer_free[nc->npeer_free++] = (uint16_t)(UDP_PEERS - 1 - k);
        nc->tcp = tcp_stack_create(&tc, net.pool, net_tcp_output, nc, &conn_app_ops, nc,
                                   sock < 0 ? SOCKET_ID_ANY : sock);
        if (!nc->tcp) {
            snprintf(err, errlen, "native stack: cannot create the TCP of core %d", i);
            return -1;
        }
        if (net.service_port)
            tcp_listen(nc->tcp, 0, net.service_port);
        if (net.core_port_base)
            tcp_listen(nc->tcp, 0, htons((uint16_t)(net.core_port_base + i)));
        snprintf(name, sizeof(name), "dpsteer%d", i);
        net.steer[i] = rte_ring_create(name, 4096, sock < 0 ? SOCKET_ID_ANY : sock,
                                       RING_F_SC_DEQ);
        snprintf(name, sizeof(name), "dparp%d", i);
        net.arp_ring[i] = rte_ring_create_elem(name, ARP_MSG_SIZE, 1024,
                                               sock < 0 ? SOCKET_ID_ANY : sock, RING_F_SC_DEQ);
        if (!net.steer[i] || !net.arp_ring[i]) {
            snprintf(err, errlen, "native stack: cannot create rings: %s",
                     rte_strerror(rte_errno));
            return -1;
        }
        w->stack = nc;
        net.cores[i] = nc;
    }
    {
        struct in_addr a = { p->addr };
        log_notice("native stack on %s: %s/%d, %s%s, service port %d, core ports %d-%d", dev,
                   inet_ntoa(a), __builtin_popcount(p->mask), embedded() ? "host side " : "",
                   embedded() ? TAP_HOST_ADDR : "", (int)srv.cfg.port, net.core_port_base,
                   net.core_port_base + nq - 1);
    }
    return 0;
}

/* /dpcache/core,<i> additions: the core's NET_METRICS and TCP_METRICS. */
static void core_counters(int i, struct rte_tel_data *d)
{
    const struct net_core *nc = net.cores[i];
    const struct tcp_stats *ts;

    if (!nc)
        return;
#define N_ONE(f, k, h) rte_tel_data_add_dict_u64(d, "net_" #f, __atomic_load_n(&nc->st.f, __ATOMIC_RELAXED));
    NET_METRICS(N_ONE)
#undef N_ONE
    if (!nc->tcp)
        return;
    ts = tcp_stats(nc->tcp);
#define T_ONE(f, k, h) rte_tel_data_add_dict_u64(d, "tcp_" #f, __atomic_load_n(&ts->f, __ATOMIC_RELAXED));
    TCP_METRICS(T_ONE)
#undef T_ONE
    /* connections by state (tcp_state_ESTABLISHED, ...; dpcache-pmd `show tcp`) */
    {
        uint64_t counts[16] = { 0 };
        char name[48];
        unsigned ns = tcp_state_count();
        tcp_conns_by_state(nc->tcp, counts);
        for (unsigned k = 0; k < ns && k < 16; k++) {
            snprintf(name, sizeof(name), "tcp_state_%s", tcp_state_names[k]);
            rte_tel_data_add_dict_u64(d, name, counts[k]);
        }
    }
}

/* pmd_guard's report, from the EAL interrupt thread (log_write is one write(2)) */
static void guard_note(double waited_us)
{
    log_notice("a port's peer went away: its packet memory is unmapped after the polling "
               "cores left their bursts (waited %.0f us)", waited_us);
}

int native_run(void)
{
    char err[512];
    unsigned lc;
    int rc = 0;

    if (setup(err, sizeof(err))) {
        log_fatal("%s", err);
        return -1;
    }
    telemetry_setup(core_counters);
    pmd_guard_arm(true, guard_note);
    RTE_LCORE_FOREACH_WORKER(lc)
    {
        for (int i = 1; i < srv.nworkers; i++)
            if (srv.workers[i]->lcore == lc)
                rte_eal_remote_launch(native_loop, net.cores[i], lc);
    }
    native_loop(net.cores[0]);
    RTE_LCORE_FOREACH_WORKER(lc)
    {
        if (rte_eal_wait_lcore(lc) < 0)
            rc = -1;
    }
    pmd_guard_arm(false, NULL);
    if (pmd_guard_waits())
        log_verbose("%lu PMD unmap(s) waited for the polling cores", pmd_guard_waits());
    for (int i = 0; i < net.nports; i++)
        port_stop(&net.ports[i]);
    return rc;
}
