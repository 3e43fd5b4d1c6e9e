/*
 * net.c - the client side L2/L3 of dpcache-load (see load.h): one RX/TX queue pair per
 * generator lcore, ARP (answer requests for our address, resolve the server at start), IPv4
 * and UDP output, IPv4/UDP/TCP input handed to flow.c or dpcache's TCP (tcp.h).
 *
 * UDP checksums are left 0 (allowed by IPv4; dpcache accepts them); IPv4 header checksums
 * and TCP checksums are computed in software unless the port offloads them.
 */
#include "load.h"
#include "native/cksum.h"
#include "native/tcp.h"

#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

static uint64_t tx_offloads;
static uint8_t rss_key[64];
static unsigned rss_key_len, rss_on;
static uint16_t reta[512];
static unsigned reta_size;

void net_tx_flush(struct ld_core *lc)
{
    unsigned sent = 0;

    while (sent < lc->ntx) {
        uint16_t n = rte_eth_tx_burst(ld_port_id, lc->queue, lc->tx + sent,
                                      (uint16_t)(lc->ntx - sent));
        if (n == 0)
            break;
        sent += n;
    }
    lc->st.tx_pkts += sent;
    if (sent < lc->ntx) { /* ring full: drop (TCP retransmits; UDP times out) */
        lc->st.tx_drop += lc->ntx - sent;
        for (unsigned i = sent; i < lc->ntx; i++)
            rte_pktmbuf_free(lc->tx[i]);
    }
    lc->ntx = 0;
}

void net_tx(struct ld_core *lc, struct rte_mbuf *m)
{
    if (lc->ntx == LD_TXBUF)
        net_tx_flush(lc);
    lc->tx[lc->ntx++] = m;
}

static void ip_fill(struct rte_ipv4_hdr *ip, uint8_t proto, uint16_t l4len, uint32_t saddr,
                    uint32_t daddr)
{
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
    ip->packet_id = 0;
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = proto;
    ip->hdr_checksum = 0;
    ip->src_addr = saddr;
    ip->dst_addr = daddr;
}

static void eth_fill(struct rte_ether_hdr *eh, uint16_t type)
{
    eh->src_addr = ld_src_mac;
    eh->dst_addr = ld_dst_mac;
    eh->ether_type = rte_cpu_to_be_16(type);
}

struct rte_mbuf *net_udp_alloc(struct ld_core *lc, uint16_t sport, uint8_t **payload,
                               size_t *cap)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(lc->pool);
    struct rte_udp_hdr *uh;

    if (!m) {
        lc->st.no_mbuf++;
        return NULL;
    }
    uh = (struct rte_udp_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + sizeof(struct rte_ether_hdr) +
                                sizeof(struct rte_ipv4_hdr));
    uh->src_port = rte_cpu_to_be_16(sport);
    uh->dst_port = rte_cpu_to_be_16(opt.dport);
    uh->dgram_cksum = 0;
    *payload = (uint8_t *)(uh + 1);
    *cap = opt.mtu - sizeof(struct rte_ipv4_hdr) - sizeof(*uh);
    if (*cap > rte_pktmbuf_tailroom(m) - 42u)
        *cap = rte_pktmbuf_tailroom(m) - 42u;
    return m;
}

void net_udp_finish(struct ld_core *lc, struct rte_mbuf *m, size_t plen)
{
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
    struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
    uint16_t l4 = (uint16_t)(sizeof(*uh) + plen);

    eth_fill(eh, RTE_ETHER_TYPE_IPV4);
    ip_fill(ip, IPPROTO_UDP, l4, opt.src_addr, opt.dst_addr);
    uh->dgram_len = rte_cpu_to_be_16(l4);
    m->data_len = m->pkt_len = (uint32_t)(sizeof(*eh) + sizeof(*ip) + l4);
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
        m->l2_len = sizeof(*eh);
        m->l3_len = sizeof(*ip);
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    } else {
        ip->hdr_checksum = cksum_ipv4_hdr(ip);
    }
    net_tx(lc, m);
}

int net_tcp_output(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
    struct ld_core *lc = arg;
    uint16_t l4len = (uint16_t)rte_pktmbuf_data_len(m);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
    struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
    struct rte_tcp_hdr *th;

    if (!ip || !eh || m->nb_segs != 1) {
        rte_pktmbuf_free(m);
        return -1;
    }
    eth_fill(eh, RTE_ETHER_TYPE_IPV4);
    ip_fill(ip, IPPROTO_TCP, l4len, saddr, daddr);
    th = (struct rte_tcp_hdr *)(ip + 1);
    th->cksum = 0;
    m->l2_len = sizeof(*eh);
    m->l3_len = sizeof(*ip);
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
        th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
    } else {
        th->cksum = cksum_l4(ip, th);
    }
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    else
        ip->hdr_checksum = cksum_ipv4_hdr(ip);
    net_tx(lc, m);
    return 0;
}

/* Answer an ARP request for our address; learn the server's MAC from a reply. Returns 1 if
 * it learnt the server's MAC. */
static int arp_in(struct ld_core *lc, struct rte_mbuf *m)
{
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
    int learnt = 0;

    if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ah) ||
        ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
        rte_pktmbuf_free(m);
        return 0;
    }
    if (ah->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
        ah->arp_data.arp_sip == opt.dst_addr) {
        ld_dst_mac = ah->arp_data.arp_sha;
        learnt = 1;
    }
    if (ah->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
        ah->arp_data.arp_tip == opt.src_addr) {
        uint32_t sip = ah->arp_data.arp_sip;
        ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
        ah->arp_data.arp_tha = ah->arp_data.arp_sha;
        ah->arp_data.arp_tip = sip;
        ah->arp_data.arp_sha = ld_src_mac;
        ah->arp_data.arp_sip = opt.src_addr;
        eh->dst_addr = eh->src_addr;
        eh->src_addr = ld_src_mac;
        net_tx(lc, m);
        return learnt;
    }
    rte_pktmbuf_free(m);
    return learnt;
}

static void frame_in(struct ld_core *lc, struct rte_mbuf *m)
{
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    uint16_t dlen = rte_pktmbuf_data_len(m), hlen, tlen;
    struct rte_ipv4_hdr *ip;

    lc->st.rx_pkts++;
    if (m->nb_segs != 1 || dlen < sizeof(*eh) + sizeof(*ip)) {
        if (m->nb_segs == 1 && dlen >= sizeof(*eh) &&
            eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
            arp_in(lc, m);
            return;
        }
        goto other;
    }
    if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
        arp_in(lc, m);
        return;
    }
    if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
        goto other;
    ip = (struct rte_ipv4_hdr *)(eh + 1);
    hlen = (uint16_t)((ip->version_ihl & 0x0f) * 4);
    tlen = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || tlen < hlen ||
        tlen > dlen - sizeof(*eh))
        goto other;
    if (ip->next_proto_id == IPPROTO_UDP) {
        struct rte_udp_hdr *uh = (struct rte_udp_hdr *)((uint8_t *)ip + hlen);
        uint16_t ulen;
        if (tlen - hlen < (int)sizeof(*uh) || (ulen = rte_be_to_cpu_16(uh->dgram_len)) <
                                                     sizeof(*uh) || ulen > tlen - hlen)
            goto other;
        /* from the server to us, or (reflector) our own datagram coming back */
        if (opt.reflect ? ip->src_addr != opt.src_addr : ip->dst_addr != opt.src_addr)
            goto other;
        flow_udp_input(lc, rte_be_to_cpu_16(opt.reflect ? uh->src_port : uh->dst_port),
                       (const uint8_t *)(uh + 1), (size_t)ulen - sizeof(*uh));
        rte_pktmbuf_free(m);
        return;
    }
    if (ip->next_proto_id == IPPROTO_TCP && lc->ts && ip->dst_addr == opt.src_addr) {
        struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + hlen);
        uint16_t l4len = (uint16_t)(tlen - hlen);
        if (l4len < sizeof(*th) || (!(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
                                    !cksum_l4_ok(ip, th)))
            goto other;
        {
            uint32_t sa = ip->src_addr, da = ip->dst_addr;
            rte_pktmbuf_adj(m, (uint16_t)((uint8_t *)th - rte_pktmbuf_mtod(m, uint8_t *)));
            rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - l4len));
            tcp_input(lc->ts, m, sa, da, l4len);
        }
        return;
    }
other:
    lc->st.rx_other++;
    rte_pktmbuf_free(m);
}

void net_rx(struct ld_core *lc)
{
    struct rte_mbuf *pkts[LD_BURST];
    uint16_t n = rte_eth_rx_burst(ld_port_id, lc->queue, pkts, LD_BURST);

    for (uint16_t i = 0; i < n; i++) {
        if (i + 1 < n)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        frame_in(lc, pkts[i]);
    }
}

int net_rss_setup(unsigned nq)
{
    struct rte_eth_dev_info info;
    struct rte_eth_rss_conf rc = { .rss_key = rss_key, .rss_key_len = sizeof(rss_key) };
    struct rte_eth_rss_reta_entry64 rr[8];

    rte_eth_dev_info_get(ld_port_id, &info);
    tx_offloads = 0; /* set by main.c through net's view of the configured port below */
    {
        struct rte_eth_conf conf;
        if (rte_eth_dev_conf_get(ld_port_id, &conf) == 0)
            tx_offloads = conf.txmode.offloads;
    }
    rss_on = 0;
    if (nq < 2 || !info.flow_type_rss_offloads || !info.reta_size || info.reta_size > 512)
        return 0;
    if (rte_eth_dev_rss_hash_conf_get(ld_port_id, &rc) != 0 || !rc.rss_key_len)
        return 0;
    rss_key_len = rc.rss_key_len;
    reta_size = info.reta_size;
    memset(rr, 0, sizeof(rr));
    for (unsigned i = 0; i < reta_size / 64 + (reta_size % 64 != 0); i++)
        rr[i].mask = ~0ULL;
    if (rte_eth_dev_rss_reta_query(ld_port_id, rr, (uint16_t)reta_size) != 0)
        return 0;
    for (unsigned i = 0; i < reta_size; i++)
        reta[i] = rr[i / 64].reta[i % 64];
    rss_on = 1;
    return 1;
}

uint16_t net_pick_sport(uint16_t *next, uint16_t queue, unsigned nq)
{
    for (unsigned tries = 0; tries < 65536; tries++) {
        uint16_t p = (*next)++;
        struct rte_ipv4_tuple t;
        uint32_t h;
        if (*next == 0)
            *next = 1024;
        if (p < 1024)
            continue;
        if (!rss_on)
            return p;
        /* the reply's tuple as the port hashes it: source = server, destination = us */
        t.src_addr = rte_be_to_cpu_32(opt.dst_addr);
        t.dst_addr = rte_be_to_cpu_32(opt.src_addr);
        t.sport = opt.dport;
        t.dport = p;
        h = rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, rss_key);
        if (reta[h % reta_size] % nq == queue)
            return p;
    }
    return 0;
}

int net_arp_resolve(double seconds)
{
    struct ld_core *lc = ld_cores[0];
    uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)ld_tsc_hz), next = 0;

    if (opt.have_dst_mac)
        return 0;
    while (rte_rdtsc() < end) {
        struct rte_mbuf *pkts[LD_BURST];
        uint16_t n;
        if (rte_rdtsc() >= next) {
            struct rte_mbuf *m = rte_pktmbuf_alloc(lc->pool);
            if (m) {
                struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
                struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
                memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
                eh->src_addr = ld_src_mac;
                eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
                ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
                ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
                ah->arp_hlen = RTE_ETHER_ADDR_LEN;
                ah->arp_plen = 4;
                ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
                ah->arp_data.arp_sha = ld_src_mac;
                ah->arp_data.arp_sip = opt.src_addr;
                memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
                ah->arp_data.arp_tip = opt.dst_addr;
                m->data_len = m->pkt_len = sizeof(*eh) + sizeof(*ah);
                net_tx(lc, m);
                net_tx_flush(lc);
            }
            next = rte_rdtsc() + ld_tsc_hz / 5;
        }
        n = rte_eth_rx_burst(ld_port_id, lc->queue, pkts, LD_BURST);
        for (uint16_t i = 0; i < n; i++) {
            struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
            if (rte_pktmbuf_data_len(pkts[i]) >= sizeof(*eh) &&
                eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
                if (arp_in(lc, pkts[i])) {
                    net_tx_flush(lc);
                    return 0;
                }
            } else {
                rte_pktmbuf_free(pkts[i]);
            }
        }
        net_tx_flush(lc);
    }
    return -1;
}
