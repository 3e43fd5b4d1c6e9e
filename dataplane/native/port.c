/*
 * port.c - DPDK port set-up for the native stack (see port.h).
 */
#include "port.h"

#include "../core/log.h"
#include "net.h"

#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#define RX_DESC 1024
#define TX_DESC 1024

/* The arguments of the vdev drivers dpcache documents (DPDK 22.11 RTE_PMD_REGISTER_PARAM_STRING). */
static const struct {
    const char *driver;
    const char *args; /* space separated */
} vdev_args[] = {
    { "net_af_packet", "iface qpairs blocksz framesz framecnt qdisc_bypass" },
    { "net_af_xdp", "iface start_queue queue_count shared_umem xdp_prog busy_budget force_copy" },
    { "net_memif", "id role bsize rsize socket socket-abstract owner-uid owner-gid mac "
                   "zero-copy secret" },
    { "net_null", "size copy no-rx" },
    { "net_ring", "nodeaction internal" },
    { "net_tap", "iface remote mac persist" },
};

static int word_in(const char *word, size_t len, const char *list)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && strncmp(p, word, len) == 0)
            return 1;
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

int port_check_spec(const char *spec, char *err, size_t errlen)
{
    size_t namelen = strcspn(spec, ",");
    const char *args = NULL, *drv = NULL;

    if (strncmp(spec, "net_", 4) != 0)
        return 0;
    for (size_t i = 0; i < RTE_DIM(vdev_args); i++) {
        size_t dl = strlen(vdev_args[i].driver);
        /* the device name is the driver name plus an optional suffix (net_tap0, net_tapX) */
        if (namelen >= dl && strncmp(spec, vdev_args[i].driver, dl) == 0 &&
            (!drv || dl > strlen(drv))) {
            drv = vdev_args[i].driver;
            args = vdev_args[i].args;
        }
    }
    if (!drv)
        return 0;
    for (const char *p = spec + namelen; *p == ',';) {
        size_t n = strcspn(p + 1, ","), k = strcspn(p + 1, "=");
        if (k > n)
            k = n;
        if (!word_in(p + 1, k, args)) {
            snprintf(err, errlen,
                     "native-port '%s': %s takes no argument '%.*s' (it takes: %s); fix "
                     "--native-port",
                     spec, drv, (int)k, p + 1, args);
            return -1;
        }
        p += 1 + n;
    }
    return 0;
}

int port_setup(struct net_port *p, const char *dev, int nq, struct rte_mempool *pool, char *err,
               size_t errlen)
{
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    struct rte_eth_link link;
    uint16_t pid;
    int rc;

    if (rte_eth_dev_get_port_by_name(dev, &pid) != 0) {
        if (strncmp(dev, "net_", 4) == 0) {
            snprintf(err, errlen,
                     "the vdev '%s' did not start: check its arguments in --native-port (its "
                     "driver's message above says why) and, with EAL arguments, that it is "
                     "given as --vdev (docs/operations.md, The native stack)",
                     dev);
            return -1;
        }
        snprintf(err, errlen,
                 "no DPDK port named '%s': give a vdev (--native-port net_tap0,iface=x) or a PCI "
                 "address bound to vfio-pci (dpdk-devbind.py --status)",
                 dev);
        return -1;
    }
    p->port_id = pid;
    snprintf(p->name, sizeof(p->name), "%s", dev);
    if ((rc = rte_eth_dev_info_get(pid, &info)) != 0) {
        snprintf(err, errlen, "port %s: cannot read device info: %s", dev, rte_strerror(-rc));
        return -1;
    }
    if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
        snprintf(err, errlen,
                 "port %s supports %u RX / %u TX queues but %d workers need one each: use "
                 "fewer workers (--workers or -l)",
                 dev, info.max_rx_queues, info.max_tx_queues, nq);
        return -1;
    }
    memset(&conf, 0, sizeof(conf));
    if (nq > 1) {
        uint64_t want = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
                        RTE_ETH_RSS_IPV4;
        uint64_t hf = want & info.flow_type_rss_offloads;
        if (hf) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = hf;
        } else {
            log_notice("port %s has no RSS: flows are spread over the %d queues by the device "
                       "or the kernel (net_tap), and each core port is steered in software",
                       dev, nq);
        }
    }
    conf.txmode.offloads = info.tx_offload_capa &
                           (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
                            RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
    conf.rxmode.offloads = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM;
    rc = rte_eth_dev_configure(pid, (uint16_t)nq, (uint16_t)nq, &conf);
    if (rc) {
        snprintf(err, errlen, "port %s: configure with %d queues failed: %s", dev, nq,
                 rte_strerror(-rc));
        return -1;
    }
    p->tx_offloads = conf.txmode.offloads;
    p->rx_offloads = conf.rxmode.offloads;
    rc = rte_eth_dev_set_mtu(pid, p->mtu);
    if (rc) {
        /* the stack sizes its frames (TCP MSS, UDP reply datagrams) from p->mtu: use what
         * the device really carries, never more than asked */
        uint16_t dev_mtu = 0;
        if (rte_eth_dev_get_mtu(pid, &dev_mtu) == 0 && dev_mtu >= 576 && dev_mtu < p->mtu) {
            log_warn("port %s: cannot set MTU %u (%s); using the device's, %u", dev, p->mtu,
                     rte_strerror(-rc), dev_mtu);
            p->mtu = dev_mtu;
        } else if (rc != -ENOTSUP) {
            log_warn("port %s: cannot set MTU %u (%s); keeping the device's", dev, p->mtu,
                     rte_strerror(-rc));
        }
    }
    for (int q = 0; q < nq; q++) {
        int sock = rte_eth_dev_socket_id(pid);
        rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, RX_DESC, sock < 0 ? 0 : (unsigned)sock,
                                    NULL, pool);
        if (!rc)
            rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, TX_DESC,
                                        sock < 0 ? 0 : (unsigned)sock, NULL);
        if (rc) {
            snprintf(err, errlen, "port %s: queue %d setup failed: %s", dev, q,
                     rte_strerror(-rc));
            return -1;
        }
    }
    rc = rte_eth_dev_start(pid);
    if (rc) {
        snprintf(err, errlen, "port %s: start failed: %s", dev, rte_strerror(-rc));
        return -1;
    }
    rte_eth_macaddr_get(pid, &p->mac);
    rte_eth_link_get_nowait(pid, &link);
    log_notice("port %s (%u): %02x:%02x:%02x:%02x:%02x:%02x, %d queue pair(s), link %s, "
               "offloads tx 0x%llx rx 0x%llx",
               dev, pid, p->mac.addr_bytes[0], p->mac.addr_bytes[1], p->mac.addr_bytes[2],
               p->mac.addr_bytes[3], p->mac.addr_bytes[4], p->mac.addr_bytes[5], nq,
               link.link_status ? "up" : "down", (unsigned long long)p->tx_offloads,
               (unsigned long long)p->rx_offloads);
    return 0;
}

static int steer_one(uint16_t pid, uint8_t proto, uint16_t port, uint16_t queue)
{
    struct rte_flow_attr attr = { .ingress = 1 };
    struct rte_flow_item_ipv4 ip = { 0 };
    struct rte_flow_item_tcp tcp = { 0 }, tcp_mask = { 0 };
    struct rte_flow_item_udp udp = { 0 }, udp_mask = { 0 };
    struct rte_flow_item pattern[4];
    struct rte_flow_action_queue q = { .index = queue };
    struct rte_flow_action actions[2];
    struct rte_flow_error error;

    memset(pattern, 0, sizeof(pattern));
    memset(actions, 0, sizeof(actions));
    pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
    pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
    pattern[1].spec = &ip;
    if (proto == IPPROTO_TCP) {
        tcp.hdr.dst_port = rte_cpu_to_be_16(port);
        tcp_mask.hdr.dst_port = 0xffff;
        pattern[2].type = RTE_FLOW_ITEM_TYPE_TCP;
        pattern[2].spec = &tcp;
        pattern[2].mask = &tcp_mask;
    } else {
        udp.hdr.dst_port = rte_cpu_to_be_16(port);
        udp_mask.hdr.dst_port = 0xffff;
        pattern[2].type = RTE_FLOW_ITEM_TYPE_UDP;
        pattern[2].spec = &udp;
        pattern[2].mask = &udp_mask;
    }
    pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
    actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
    actions[0].conf = &q;
    actions[1].type = RTE_FLOW_ACTION_TYPE_END;
    return rte_flow_create(pid, &attr, pattern, actions, &error) ? 0 : -1;
}

void port_steer_rules(struct net_port *p, uint16_t base, int nq)
{
    p->hw_steer = 0;
    if (nq < 2 || !base)
        return;
    for (int i = 0; i < nq; i++)
        if (steer_one(p->port_id, IPPROTO_TCP, (uint16_t)(base + i), (uint16_t)i) ||
            steer_one(p->port_id, IPPROTO_UDP, (uint16_t)(base + i), (uint16_t)i)) {
            struct rte_flow_error error;
            rte_flow_flush(p->port_id, &error);
            log_notice("port %s: no rte_flow steering by destination port; core ports are "
                       "steered in software (a packet received by another core is passed to "
                       "the owner through a ring)",
                       p->name);
            return;
        }
    p->hw_steer = 1;
    log_notice("port %s: core ports %u-%u steered to their cores by rte_flow", p->name, base,
               base + nq - 1);
}

void port_stop(struct net_port *p)
{
    rte_eth_dev_stop(p->port_id);
    rte_eth_dev_close(p->port_id);
}
