/*
 * net_rx.c - receive path of a core: Ethernet, ARP, IPv4 validation, ICMP echo, UDP RESP
 * requests, TCP segments to tcp_input, and steering packets for another core's port to it.
 *
 * Every check a remote host could fail has a counter (net.h NET_METRICS); nothing a frame
 * holds is trusted before its length has been checked against the frame.
 */
#include "arp.h"
#include "cksum.h"
#include "net.h"
#include "net_tx.h"
#include "tcp.h"

#include "../engine/client.h"
#include "../engine/dispatch.h"
#include "../engine/udp.h"
#include "../engine/worker.h"
#include "../store/part.h"

#include <string.h>

#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

struct udp_peer *udp_peer_get(struct net_core *nc)
{
    return nc->npeer_free ? &nc->peers[nc->peer_free[--nc->npeer_free]] : NULL;
}

void udp_peer_put(struct net_core *nc, struct udp_peer *p)
{
    nc->peer_free[nc->npeer_free++] = (uint16_t)(p - nc->peers);
}

/* Which core serves destination port @dport (network order): -1 any (the service port), the
 * core index for a core port, -2 nobody. */
static int port_owner(uint16_t dport)
{
    uint16_t p = rte_be_to_cpu_16(dport);

    if (dport == net.service_port && net.service_port)
        return -1;
    if (net.core_port_base && p >= net.core_port_base && p < net.core_port_base + net.ncores)
        return p - net.core_port_base;
    return -2;
}

static void steer(struct net_core *nc, int core, struct rte_mbuf *m)
{
    if (rte_ring_mp_enqueue(net.steer[core], m) != 0) {
        nc->st.drop_no_mbuf++;
        rte_pktmbuf_free(m);
        return;
    }
    nc->st.steered_out++;
}

static void icmp_input(struct net_core *nc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
                       uint16_t l4len)
{
    struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_ether_addr t;
    uint32_t a;

    if (l4len < sizeof(*ic) || ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0 ||
        cksum_raw(ic, l4len) != 0xffff) {
        nc->st.drop_bad_l4++;
        rte_pktmbuf_free(m);
        return;
    }
    /* answer in place */
    ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    ic->icmp_cksum = 0;
    ic->icmp_cksum = (uint16_t)~cksum_raw(ic, l4len);
    a = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = a;
    ip->time_to_live = 64;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = cksum_ipv4_hdr(ip);
    t = eh->src_addr;
    eh->src_addr = eh->dst_addr;
    eh->dst_addr = t;
    m->ol_flags = 0;
    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - (sizeof(*eh) +
                                                              rte_be_to_cpu_16(ip->total_length))));
    nc->st.icmp_echo++;
    net_tx_queue(nc, m->port, m);
}

static void udp_input(struct net_core *nc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
                      uint16_t l4len)
{
    struct rte_udp_hdr *uh = (struct rte_udp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
    struct udp_peer *peer;
    struct client *c;
    uint16_t ulen;
    int owner;

    if (l4len < sizeof(*uh) || (ulen = rte_be_to_cpu_16(uh->dgram_len)) < sizeof(*uh) ||
        ulen > l4len ||
        (uh->dgram_cksum && !(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
         !cksum_l4_ok(ip, uh))) {
        nc->st.drop_bad_l4++;
        rte_pktmbuf_free(m);
        return;
    }
    owner = port_owner(uh->dst_port);
    if (owner == -2 || !net.udp_payload) {
        nc->st.drop_no_port++;
        rte_pktmbuf_free(m);
        return;
    }
    if (owner >= 0 && owner != nc->queue) {
        steer(nc, owner, m);
        return;
    }
    peer = udp_peer_get(nc);
    if (!peer) {
        stat_add(nc->w, udp_dropped, 1);
        rte_pktmbuf_free(m);
        return;
    }
    peer->saddr = ip->dst_addr;
    peer->daddr = ip->src_addr;
    peer->sport = uh->dst_port;
    peer->dport = uh->src_port;
    nc->st.udp_in++;
    c = udp_request(nc->w, (const uint8_t *)(uh + 1), (size_t)ulen - sizeof(*uh), peer);
    if (!c) {
        rte_pktmbuf_free(m);
        udp_peer_put(nc, peer);
        return;
    }
    if (c->flags & CLIENT_DIRTY) {
        cds_list_del(&c->dnode);
        c->flags &= ~CLIENT_DIRTY;
    }
    if (!c->pending)
        net_udp_reply(nc, c, m); /* the request's mbuf carries the reply */
    else
        rte_pktmbuf_free(m);
}

static void tcp_in(struct net_core *nc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
                   uint16_t l4len)
{
    struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
    int owner;

    if (l4len < sizeof(*th) ||
        (!(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
         !cksum_l4_ok(ip, th))) {
        nc->st.drop_bad_l4++;
        rte_pktmbuf_free(m);
        return;
    }
    owner = port_owner(th->dst_port);
    if (owner >= 0 && owner != nc->queue) {
        steer(nc, owner, m);
        return;
    }
    rte_pktmbuf_adj(m, (uint16_t)((uint8_t *)th - rte_pktmbuf_mtod(m, uint8_t *)));
    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - l4len));
    tcp_input(nc->tcp, m, ip->src_addr, ip->dst_addr, l4len);
}

/* One frame. @steered: another core received it (and counted it). */
static void frame_input(struct net_core *nc, struct rte_mbuf *m, int steered)
{
    struct rte_ether_hdr *eh;
    struct rte_ipv4_hdr *ip;
    struct net_port *port;
    uint16_t dlen = rte_pktmbuf_data_len(m), hlen, tlen;

    if (!steered) {
        nc->st.rx_packets++;
        nc->st.rx_bytes += rte_pktmbuf_pkt_len(m);
    }
    if (m->nb_segs != 1 || dlen < sizeof(*eh) || m->port >= net.nports) {
        nc->st.drop_bad_eth++;
        rte_pktmbuf_free(m);
        return;
    }
    port = &net.ports[m->port];
    eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
        arp_input(nc, port, m);
        return;
    }
    if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
        nc->st.drop_not_ipv4++;
        rte_pktmbuf_free(m);
        return;
    }
    if (dlen < sizeof(*eh) + sizeof(*ip)) {
        nc->st.drop_bad_ip++;
        rte_pktmbuf_free(m);
        return;
    }
    ip = (struct rte_ipv4_hdr *)(eh + 1);
    hlen = (uint16_t)((ip->version_ihl & 0x0f) * 4);
    tlen = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || tlen < hlen ||
        tlen > dlen - sizeof(*eh) ||
        ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) ||
        (!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && cksum_raw(ip, hlen) != 0xffff)) {
        nc->st.drop_bad_ip++;
        rte_pktmbuf_free(m);
        return;
    }
    if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
        nc->st.drop_fragment++;
        rte_pktmbuf_free(m);
        return;
    }
    if (ip->dst_addr != port->addr) {
        nc->st.drop_other_addr++;
        rte_pktmbuf_free(m);
        return;
    }
    /* a neighbour talking to us: remember its MAC (no ARP round trip to answer it) */
    if ((ip->src_addr & port->mask) == (port->addr & port->mask))
        arp_learn(nc, ip->src_addr, &eh->src_addr, 0);
    switch (ip->next_proto_id) {
    case IPPROTO_TCP: tcp_in(nc, m, ip, (uint16_t)(tlen - hlen)); break;
    case IPPROTO_UDP: udp_input(nc, m, ip, (uint16_t)(tlen - hlen)); break;
    case IPPROTO_ICMP: icmp_input(nc, m, ip, (uint16_t)(tlen - hlen)); break;
    default:
        nc->st.drop_proto++;
        rte_pktmbuf_free(m);
    }
}

/*
 * Pre-pass over an RX burst: the keys of the UDP requests this core serves are looked up in
 * bulk and their entries prefetched, so that serving the requests one by one overlaps their
 * memory latency instead of paying it once per datagram (MICA's batching). Reads only and
 * trusts nothing: frame_input() validates every frame again; a frame it would drop at most
 * costs a wasted prefetch.
 */
static void udp_prefetch_burst(struct net_core *nc, int pi, struct rte_mbuf **pkts, unsigned n)
{
    const struct net_port *port = &net.ports[pi];
    struct prefetch_batch b;

    if (n < 2 || !net.udp_payload)
        return;
    b.n = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct rte_mbuf *m = pkts[i];
        const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
        const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)d;
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
        const struct rte_udp_hdr *uh;
        uint32_t dlen = rte_pktmbuf_data_len(m), off;
        int owner;

        if (m->nb_segs != 1 || dlen < sizeof(*eh) + sizeof(*ip) ||
            eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
            ip->next_proto_id != IPPROTO_UDP || ip->dst_addr != port->addr)
            continue;
        off = (uint32_t)sizeof(*eh) + (ip->version_ihl & 0x0fu) * 4u;
        if (off < sizeof(*eh) + sizeof(*ip) || dlen < off + sizeof(*uh) + UDP_HDR_LEN)
            continue;
        uh = (const struct rte_udp_hdr *)(d + off);
        owner = port_owner(uh->dst_port);
        if (owner == -2 || (owner >= 0 && owner != nc->queue))
            continue;
        off += (uint32_t)sizeof(*uh) + UDP_HDR_LEN;
        prefetch_add(&b, (const char *)d + off, dlen - off, 0); /* a datagram starts in db 0 */
    }
    prefetch_run(&b, nc->w->part, NULL);
}

unsigned net_rx(struct net_core *nc)
{
    struct rte_mbuf *pkts[NET_BURST + 2];
    unsigned total = 0;

    for (int pi = 0; pi < net.nports; pi++) {
        unsigned n = rte_eth_rx_burst(net.ports[pi].port_id, nc->queue, pkts, NET_BURST);
        n = fault_apply(nc, 0, pkts, n, NET_BURST + 2, &nc->held_rx);
        udp_prefetch_burst(nc, pi, pkts, n);
        for (unsigned i = 0; i < n; i++) {
            if (i + 1 < n)
                rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
            pkts[i]->port = (uint16_t)pi; /* index into net.ports from here on */
            frame_input(nc, pkts[i], 0);
        }
        part_memo_clear(nc->w->part, NULL); /* its keys were in these packets */
        total += n;
    }
    return total;
}

unsigned net_steered(struct net_core *nc)
{
    struct rte_mbuf *pkts[NET_BURST];
    unsigned n;

    if (!net.steer[nc->queue])
        return 0;
    n = rte_ring_sc_dequeue_burst(net.steer[nc->queue], (void **)pkts, NET_BURST, NULL);
    for (unsigned i = 0; i < n; i++) {
        nc->st.steered_in++;
        frame_input(nc, pkts[i], 1);
    }
    return n;
}
