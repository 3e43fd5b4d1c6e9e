/*
 * net_tx.c - transmit path of a core (see net_tx.h and net.h).
 */
#include "net_tx.h"

#include "../core/util.h"
#include "../engine/client.h"
#include "../engine/server.h"
#include "../engine/udp.h"
#include "arp.h"
#include "cksum.h"
#include "net.h"

#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define NET_TTL 64

unsigned fault_apply(struct net_core *nc, int tx, struct rte_mbuf **pkts, unsigned n,
                     unsigned cap, struct rte_mbuf **held)
{
    const struct config *cfg = &srv.cfg;
    uint64_t drop = (uint64_t)__atomic_load_n(tx ? &cfg->native_fault_tx_drop
                                                 : &cfg->native_fault_rx_drop, __ATOMIC_RELAXED);
    uint64_t dup = (uint64_t)__atomic_load_n(tx ? &cfg->native_fault_tx_dup
                                                : &cfg->native_fault_rx_dup, __ATOMIC_RELAXED);
    uint64_t reorder = (uint64_t)__atomic_load_n(tx ? &cfg->native_fault_tx_reorder
                                                    : &cfg->native_fault_rx_reorder,
                                                 __ATOMIC_RELAXED);
    long long seed = __atomic_load_n(&cfg->native_fault_seed, __ATOMIC_RELAXED);
    struct rte_mbuf *in[NET_TX_BUF];
    unsigned out = 0;

    RTE_BUILD_BUG_ON(NET_BURST + 2 > NET_TX_BUF);
    if (!drop && !dup && !reorder && !*held)
        return n;
    if (seed && seed != nc->rng_seed) { /* a seed given (or changed): restart the generator */
        uint64_t x = (uint64_t)seed + nc->queue + 0x9E3779B97F4A7C15ULL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL; /* splitmix64 finalizer: never all zero */
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
        nc->rng = (x ^ (x >> 31)) | 1;
        nc->rng_seed = seed;
    }
    /* The output can outgrow the input (duplicates, the held packet): work from a copy of the
     * input so that writing pkts[out] never overwrites a packet not yet looked at. */
    memcpy(in, pkts, n * sizeof(*in));
    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = in[i];
        if (drop && rand64(&nc->rng) % 1000000 < drop) {
            rte_pktmbuf_free(m);
            nc->st.drop_fault++;
            continue;
        }
        if (reorder && !*held && rand64(&nc->rng) % 1000000 < reorder) {
            *held = m; /* goes out after the next packet */
            continue;
        }
        pkts[out++] = m;
        /* an extra packet (the held one, a duplicate) only where it leaves room for every
         * packet still to come: the output never passes cap */
        if (*held && out + (n - 1 - i) < cap) {
            pkts[out++] = *held;
            *held = NULL;
        }
        if (dup && out + (n - 1 - i) < cap && rand64(&nc->rng) % 1000000 < dup) {
            struct rte_mbuf *c = rte_pktmbuf_copy(m, nc->pool, 0, UINT32_MAX);
            if (c)
                pkts[out++] = c;
        }
    }
    if (*held && out < cap && out == 0 && n == 0) {
        pkts[out++] = *held;
        *held = NULL;
    }
    return out;
}

/* Offset of the checksum field in a TCP (16) or UDP (6) header. */
static inline size_t l4_cksum_off(int tcp)
{
    return tcp ? 16 : 6;
}

/* The checksums net_ipv4_output left to the flush because @port does not offload them
 * (RTE_MBUF_F_TX_*_CKSUM set, the offload missing). Computed a burst at a time, when the
 * frames' bytes have left the store buffer: summing a payload right after copying it in read
 * back the copy's wide stores, which cannot be forwarded to 8-byte loads, and stalled on
 * every load (a fifth of net_ipv4_output in profiles of UDP GETs). */
static void sw_cksum(const struct net_port *port, struct rte_mbuf *m)
{
    uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
    int tcp = l4 == RTE_MBUF_F_TX_TCP_CKSUM;

    if ((tcp || l4 == RTE_MBUF_F_TX_UDP_CKSUM) &&
        !(port->tx_offloads &
          (tcp ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : RTE_ETH_TX_OFFLOAD_UDP_CKSUM))) {
        uint16_t v = cksum_l4(ip, (uint8_t *)ip + m->l3_len); /* UDP: 0 goes out as 0xffff */
        memcpy((uint8_t *)ip + m->l3_len + l4_cksum_off(tcp), &v, 2);
        m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
    }
    if ((m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) &&
        !(port->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
        ip->hdr_checksum = cksum_ipv4_hdr(ip);
        m->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM;
    }
    if (!(m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM)))
        m->ol_flags &= ~RTE_MBUF_F_TX_IPV4;
}

static void tx_burst(struct net_core *nc, uint16_t pi)
{
    struct net_txq *q = &nc->txq[pi];
    struct net_port *port = &net.ports[pi];
    unsigned n = q->n, sent;

    q->n = 0;
    for (unsigned i = 0; i < n; i++)
        if (q->m[i]->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM))
            sw_cksum(port, q->m[i]);
    n = fault_apply(nc, 1, q->m, n, NET_TX_BUF, &nc->held_tx);
    if (n == 0)
        return;
    for (unsigned i = 0; i < n; i++)
        nc->st.tx_bytes += rte_pktmbuf_pkt_len(q->m[i]);
    sent = rte_eth_tx_burst(port->port_id, nc->queue, q->m, (uint16_t)n);
    nc->st.tx_packets += sent;
    if (sent < n) { /* the ring is full: drop the rest now, the peers retransmit */
        nc->st.tx_dropped += n - sent;
        for (unsigned i = sent; i < n; i++) {
            nc->st.tx_bytes -= rte_pktmbuf_pkt_len(q->m[i]);
            rte_pktmbuf_free(q->m[i]);
        }
    }
}

void net_tx_queue(struct net_core *nc, uint16_t pi, struct rte_mbuf *m)
{
    struct net_txq *q = &nc->txq[pi];

    if (q->n == NET_TX_BUF)
        tx_burst(nc, pi);
    q->m[q->n++] = m;
}

void net_flush(struct net_core *nc)
{
    for (int pi = 0; pi < net.nports; pi++)
        if (nc->txq[pi].n || nc->held_tx)
            tx_burst(nc, (uint16_t)pi);
}

struct net_port *net_port_of_addr(uint32_t addr)
{
    for (int i = 0; i < net.nports; i++)
        if (net.ports[i].addr == addr)
            return &net.ports[i];
    return NULL;
}

int net_ipv4_output(struct net_core *nc, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr,
                    uint8_t proto)
{
    struct net_port *port = net_port_of_addr(saddr);
    struct rte_ipv4_hdr *ip;
    struct rte_ether_hdr *eh;
    uint16_t l4len = (uint16_t)rte_pktmbuf_data_len(m);
    uint32_t nh;

    if (!port || m->nb_segs != 1) {
        rte_pktmbuf_free(m);
        return -1;
    }
    ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
    eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
    if (!ip || !eh) {
        rte_pktmbuf_free(m);
        return -1;
    }
    eh->src_addr = port->mac;
    eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
    ip->packet_id = 0;
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = NET_TTL;
    ip->next_proto_id = proto;
    ip->hdr_checksum = 0;
    ip->src_addr = saddr;
    ip->dst_addr = daddr;
    m->l2_len = sizeof(*eh);
    m->l3_len = sizeof(*ip);
    /* Checksums are requested as offloads whether or not the port has them: the flush
     * computes what the port does not (sw_cksum) */
    if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
        uint8_t *ck = (uint8_t *)(ip + 1) + l4_cksum_off(proto == IPPROTO_TCP);
        uint64_t off = proto == IPPROTO_TCP ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM
                                            : RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
        uint16_t v = 0;
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 |
                       (proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
        if (port->tx_offloads & off)
            v = rte_ipv4_phdr_cksum(ip, m->ol_flags);
        memcpy(ck, &v, 2);
    }
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    nh = (daddr & port->mask) == (port->addr & port->mask) || !port->gateway ? daddr
                                                                            : port->gateway;
    arp_output(nc, port, m, nh);
    return 0;
}

int net_tcp_output(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
    return net_ipv4_output(arg, m, saddr, daddr, IPPROTO_TCP);
}

/* An mbuf to build an outgoing frame in: @reuse (a received frame we are done with) when it
 * is ours alone and in one segment, else a fresh one. */
static struct rte_mbuf *tx_mbuf(struct net_core *nc, struct rte_mbuf *reuse)
{
    if (reuse) {
        if (reuse->nb_segs == 1 && rte_mbuf_refcnt_read(reuse) == 1 &&
            RTE_MBUF_DIRECT(reuse)) {
            rte_pktmbuf_reset(reuse);
            return reuse;
        }
        rte_pktmbuf_free(reuse);
    }
    return rte_pktmbuf_alloc(nc->pool);
}

void net_udp_reply(struct net_core *nc, struct client *c, struct rte_mbuf *reuse)
{
    struct udp_peer *peer = c->sctx;
    unsigned n;

    if (!peer) {
        rte_pktmbuf_free(reuse);
        udp_done(c);
        return;
    }
    udp_reply_prepare(c, net.udp_payload);
    n = udp_reply_datagrams(c, net.udp_payload);
    for (unsigned seq = 0; seq < n; seq++) {
        struct rte_mbuf *m = tx_mbuf(nc, seq == 0 ? reuse : NULL);
        struct rte_udp_hdr *uh;
        uint8_t *payload;
        size_t len;
        if (!m) {
            nc->st.drop_no_mbuf++;
            break;
        }
        uh = (struct rte_udp_hdr *)rte_pktmbuf_append(
            m, (uint16_t)(sizeof(*uh) + UDP_HDR_LEN + net.udp_payload));
        if (!uh) {
            rte_pktmbuf_free(m);
            break;
        }
        payload = (uint8_t *)(uh + 1);
        len = udp_reply_build(c, seq, net.udp_payload, payload);
        rte_pktmbuf_trim(m, (uint16_t)(UDP_HDR_LEN + net.udp_payload - len));
        uh->src_port = peer->sport;
        uh->dst_port = peer->dport;
        uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + len));
        nc->st.udp_out++;
        net_ipv4_output(nc, m, peer->saddr, peer->daddr, IPPROTO_UDP);
    }
    udp_peer_put(nc, peer);
    c->sctx = NULL;
    udp_done(c);
}
