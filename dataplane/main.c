/*
 * main.c - the dpcache data plane: configuration, EAL start, workers, and the chosen stack.
 *
 * Usage (redis-server style, DPDK EAL arguments first when given):
 *   dpcache [EAL args --] [config-file] [--name value ...]
 * Without EAL arguments dpcache builds its own: one lcore per worker pinned to the CPUs the
 * process may run on, memory without hugepages sized from maxkeys, no PCI scan for the posix
 * stack, and a file prefix derived from the port so several instances can run side by side.
 */
#include "core/hash.h"
#include "core/log.h"
#include "core/log_dpdk.h"
#include "engine/claim.h"
#include "engine/config.h"
#include "engine/ctl.h"
#include "engine/restore.h"
#include "engine/server.h"
#include "engine/snapshot.h"
#include "native/stack_native.h"
#include "posix/stack_posix.h"

#include "eal_sizing.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_random.h>

#define EAL_ARGS_MAX 64

static int store_workers;

static void on_signal(int sig)
{
    if (srv.sigterm) /* a second signal: stop now */
        srv.shutdown = 1;
    srv.sigterm = 1;
    (void)sig;
}

/* Empty every partition after a failed snapshot load: build the store anew. */
static int store_reset(void)
{
    srv_teardown();
    return srv_setup(store_workers);
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: dpcache [EAL options --] [/path/to/dpcache.conf] [--name value ...]\n"
            "       dpcache --help | --version\n\n"
            "dpcache speaks the Redis protocol (RESP2/RESP3) from DPDK lcores: one worker per\n"
            "lcore, each owning a partition of the keyspace.\n\n"
            "Examples:\n"
            "  dpcache --stack posix --port 7000\n"
            "  dpcache --stack posix --workers 2 --maxmemory 100mb --maxmemory-policy "
            "allkeys-lru\n"
            "  dpcache -l 0-3 --no-huge -m 2048 -- dpcache.conf --port 7001\n\n");
    config_print_help(fp);
}

/* "0@c0,1@c1,...": worker lcores pinned to the CPUs of our affinity mask, round robin. */
static void lcore_map(int workers, char *buf, size_t len)
{
    cpu_set_t set;
    int cpus[CPU_SETSIZE], n = 0;
    size_t off = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                cpus[n++] = i;
    if (n == 0)
        cpus[n++] = 0;
    buf[0] = '\0';
    for (int i = 0; i < workers && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d@%d", i ? "," : "", i, cpus[i % n]);
}

/* The EAL failed: say what failed (rte_errno, and DPDK's first error line: some failures leave
 * rte_errno at 0, which must not read "Success") and what to check. */
static void eal_failed(void)
{
    const char *np = srv.cfg.native_port, *first = log_dpdk_first_error();
    int vdev = srv.cfg.stack == STACK_NATIVE && np && strncmp(np, "net_", 4) == 0;
    int e = rte_errno;
    char cause[512];

    if (e && first[0])
        snprintf(cause, sizeof(cause), "%s (%s)", rte_strerror(e), first);
    else if (e || first[0])
        snprintf(cause, sizeof(cause), "%s", e ? rte_strerror(e) : first);
    else
        snprintf(cause, sizeof(cause), "DPDK gave no reason");
    if (!strchr(".?!", cause[strlen(cause) - 1]))
        strncat(cause, ".", sizeof(cause) - strlen(cause) - 1);
    log_fatal("cannot start DPDK (EAL): %s %s%s%sCheck the EAL arguments before '--' (dpcache "
              "--help), that no other dpcache uses the same --file-prefix, and for hugepages "
              "that they are reserved (echo 1024 > /proc/sys/vm/nr_hugepages) and hugetlbfs is "
              "mounted and writable by this user (mount -t hugetlbfs nodev /dev/hugepages), or "
              "run with --no-huge",
              cause, vdev ? "The vdev of --native-port '" : "", vdev ? np : "",
              vdev ? "' may name a driver this DPDK does not have (net_tap, net_af_packet, "
                     "net_af_xdp, net_memif, net_ring, net_null are packaged): fix "
                     "--native-port. "
                   : "");
}

int main(int argc, char **argv)
{
    char *eal[EAL_ARGS_MAX], err[1024], lcores[4096], mem[32], prefix[64], ctl_path[108];
    int neal = 0, dd = -1, app_first, rc;

    log_dpdk_attach(); /* before anything DPDK may log */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    app_first = dd >= 0 ? dd + 1 : 1;
    for (int i = app_first; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("dpcache v=%s (Redis protocol 7.0 compatible)\n", DPCACHE_VERSION);
            return 0;
        }
    }
    config_init(&srv.cfg);
    if (config_load_args(&srv.cfg, argc - app_first, argv + app_first, err, sizeof(err))) {
        log_fatal("FATAL CONFIG ERROR: %s", err);
        return 1;
    }
    config_scrub_args(argc - app_first, argv + app_first); /* no password in ps */
    if (argc > app_first && strncmp(argv[app_first], "--", 2) != 0)
        srv.config_file = argv[app_first];
    srv.executable = argv[0];
    if (srv.cfg.logfile && srv.cfg.logfile[0]) {
        int fd = open(srv.cfg.logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            log_fatal("Can't open the log file %s: %s", srv.cfg.logfile, strerror(errno));
            return 1;
        }
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    log_set_level((enum log_level)srv.cfg.loglevel);
    config_apply_all();

    eal[neal++] = argv[0];
    if (dd >= 0) {
        for (int i = 1; i < dd && neal < EAL_ARGS_MAX - 1; i++)
            eal[neal++] = argv[i];
    } else {
        long long mb = srv.cfg.eal_memory_mb;
        if (!mb)
            mb = eal_sizing_mb(srv.cfg.maxkeys, srv.cfg.stack == STACK_NATIVE,
                               (int)srv.cfg.workers, (int)srv.cfg.native_mtu);
        lcore_map((int)srv.cfg.workers, lcores, sizeof(lcores));
        snprintf(mem, sizeof(mem), "%lld", mb);
        snprintf(prefix, sizeof(prefix), "dpcache%lld", srv.cfg.port);
        eal[neal++] = "--lcores";
        eal[neal++] = lcores;
        eal[neal++] = "--no-huge";
        eal[neal++] = "-m";
        eal[neal++] = mem;
        eal[neal++] = "--file-prefix";
        eal[neal++] = prefix;
        eal[neal++] = "--log-level";
        eal[neal++] = srv.cfg.loglevel == 0 ? "lib.*:info" : "lib.*:warning";
        if (srv.cfg.stack == STACK_POSIX)
            eal[neal++] = "--no-pci";
        else
            neal += native_eal_args(eal + neal, EAL_ARGS_MAX - 1 - neal);
    }
    eal[neal] = NULL;
    if (srv.cfg.stack == STACK_NATIVE && native_check_privileges(err, sizeof(err))) {
        log_fatal("%s", err);
        return 1;
    }
    /* what this process owns alone, before the EAL or the control socket touch anything
     * another instance may be using (claim.h) */
    ctl_resolve_path(ctl_path, sizeof(ctl_path));
    if (claim_start(ctl_path, srv.cfg.stack == STACK_NATIVE ? native_port_spec() : NULL, eal, neal,
                    err, sizeof(err))) {
        log_fatal("%s", err);
        claim_release(); /* the claims taken before the one that failed */
        return 1;
    }
    log_dpdk_mark();
    if (rte_eal_init(neal, eal) < 0) {
        eal_failed();
        claim_release();
        return 1;
    }
    hash_set_seed(rte_rand());
    store_workers = (int)rte_lcore_count();
    rc = srv_setup(store_workers);
    if (rc) {
        if (rc == -EINVAL)
            log_fatal("%d worker lcores given; dpcache supports 1 to %d (--workers, EAL -l)",
                      store_workers, MAX_WORKERS);
        else
            log_fatal("cannot set up the store for %d worker(s) and maxkeys %lld: %s. Give "
                      "DPDK more memory (--eal-memory MiB with --no-huge, more hugepages "
                      "otherwise) or lower --maxkeys",
                      store_workers, srv.cfg.maxkeys, strerror(-rc));
        srv_teardown();
        rte_eal_cleanup();
        claim_release();
        return 1;
    }
    if (claim_core_ports(srv.core_port_base, srv.nworkers, err, sizeof(err))) {
        log_fatal("%s", err);
        srv_teardown();
        rte_eal_cleanup();
        claim_release();
        return 1;
    }
    {
        struct restore_result rr;
        rc = restore_run(&rr, store_reset); /* a failure said why (log_fatal) */
        if (rc == 0 && (rc = snapshot_setup()) < 0)
            log_fatal("out of memory for the snapshot rings of %d worker(s): give DPDK more "
                      "memory (--eal-memory MiB with --no-huge, more hugepages otherwise)",
                      srv.nworkers);
        if (rc < 0) {
            srv_teardown();
            config_free(&srv.cfg);
            rte_eal_cleanup();
            claim_release();
            return 1;
        }
    }
    if (ctl_start() < 0)
        log_warn("no control channel: dpcache-control cannot attach (snapshots, metrics)");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    log_notice("dpcache %s starting: %s stack, %d worker(s), port %lld, core ports %d-%d",
               DPCACHE_VERSION, opt_stack_names[srv.cfg.stack], srv.nworkers, srv.cfg.port,
               srv.core_port_base, srv.core_port_base + srv.nworkers - 1);
    rc = srv.cfg.stack == STACK_NATIVE ? native_run() : posix_run();
    ctl_stop();
    snapshot_teardown();
    /* after a failure the stack's log_fatal message stays the last line */
    if (!rc)
        log_notice("dpcache is now ready to exit, bye bye...");
    srv_teardown();
    config_free(&srv.cfg);
    rte_eal_cleanup();
    claim_release();
    return rc ? 1 : 0;
}
