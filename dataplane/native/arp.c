/*
 * arp.c - per-core ARP: answer requests for our addresses, learn from replies and requests,
 * resolve next hops with a bounded queue of waiting packets and retries, expire entries, and
 * hand what one core learnt to the others through their ARP rings (12-byte elements: no
 * allocation, no lock).
 */
#include "arp.h"

#include "net.h"
#include "net_tx.h"

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

struct arp_msg {
    uint32_t ip;
    struct rte_ether_addr mac;
    uint16_t pad;
};

_Static_assert(sizeof(struct arp_msg) == ARP_MSG_SIZE, "ARP ring element size");

static unsigned bucket(uint32_t ip)
{
    return (ip * 2654435761u) % ARP_ENTRIES;
}

static struct arp_entry *find(struct net_core *nc, uint32_t ip)
{
    for (unsigned i = 0, h = bucket(ip); i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &nc->arp[(h + i) % ARP_ENTRIES];
        if (e->ip == ip)
            return e;
    }
    return NULL;
}

static void drop_pending(struct net_core *nc, struct arp_entry *e)
{
    for (unsigned i = 0; i < e->npending; i++)
        rte_pktmbuf_free(e->pending[i]);
    nc->st.drop_arp_pending += e->npending;
    e->npending = 0;
}

/* The entry of @ip, or a free one, or (table full) the one expiring first, emptied. */
static struct arp_entry *slot(struct net_core *nc, uint32_t ip)
{
    struct arp_entry *e = find(nc, ip), *old = NULL;

    if (e)
        return e;
    for (unsigned i = 0, h = bucket(ip); i < ARP_ENTRIES; i++) {
        e = &nc->arp[(h + i) % ARP_ENTRIES];
        if (e->ip == 0)
            return e;
        if (!old || e->expire_ms < old->expire_ms)
            old = e;
    }
    drop_pending(nc, old);
    memset(old, 0, sizeof(*old));
    return old;
}

static void learn_local(struct net_core *nc, uint32_t ip, const struct rte_ether_addr *mac)
{
    struct arp_entry *e = slot(nc, ip);

    e->ip = ip;
    e->mac = *mac;
    e->resolved = 1;
    e->tries = 0;
    e->expire_ms = nc->now_ms + ARP_TTL_MS;
    for (unsigned i = 0; i < e->npending; i++) {
        struct rte_mbuf *m = e->pending[i];
        rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = *mac;
        net_tx_queue(nc, m->port, m);
    }
    e->npending = 0;
}

void arp_learn(struct net_core *nc, uint32_t ip, const struct rte_ether_addr *mac, int share)
{
    struct arp_entry *e = find(nc, ip);
    struct arp_msg msg;

    if (ip == 0 || rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
        return;
    if (e && e->resolved && rte_is_same_ether_addr(&e->mac, mac) &&
        e->expire_ms > nc->now_ms + ARP_TTL_MS / 2)
        return; /* still fresh: nothing new to tell */
    learn_local(nc, ip, mac);
    if (!share)
        return;
    msg.ip = ip;
    msg.mac = *mac;
    msg.pad = 0;
    for (int i = 0; i < net.ncores; i++)
        if (i != nc->queue && net.arp_ring[i])
            rte_ring_mp_enqueue_elem(net.arp_ring[i], &msg, ARP_MSG_SIZE); /* full: they ask */
}

/* An ARP packet (request or reply) from us, on @port. */
static struct rte_mbuf *arp_build(struct net_core *nc, struct net_port *port, uint16_t op,
                                  const struct rte_ether_addr *tha, uint32_t tip)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(nc->pool);
    struct rte_ether_hdr *eh;
    struct rte_arp_hdr *ah;

    if (!m) {
        nc->st.drop_no_mbuf++;
        return NULL;
    }
    eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
    ah = (struct rte_arp_hdr *)(eh + 1);
    eh->src_addr = port->mac;
    if (op == RTE_ARP_OP_REQUEST)
        memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
    else
        eh->dst_addr = *tha;
    eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    ah->arp_hlen = RTE_ETHER_ADDR_LEN;
    ah->arp_plen = 4;
    ah->arp_opcode = rte_cpu_to_be_16(op);
    ah->arp_data.arp_sha = port->mac;
    ah->arp_data.arp_sip = port->addr;
    if (op == RTE_ARP_OP_REQUEST)
        memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
    else
        ah->arp_data.arp_tha = *tha;
    ah->arp_data.arp_tip = tip;
    m->port = (uint16_t)(port - net.ports);
    return m;
}

void arp_input(struct net_core *nc, struct net_port *port, struct rte_mbuf *m)
{
    struct rte_arp_hdr *ah;
    uint16_t op;

    if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*ah)) {
        nc->st.drop_bad_eth++;
        rte_pktmbuf_free(m);
        return;
    }
    ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
    op = rte_be_to_cpu_16(ah->arp_opcode);
    if (ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
        ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4 ||
        (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)) {
        nc->st.drop_bad_eth++;
        rte_pktmbuf_free(m);
        return;
    }
    /* learn the sender if it is a neighbour talking to us (RFC 826 merge rule) */
    if (ah->arp_data.arp_tip == port->addr &&
        (ah->arp_data.arp_sip & port->mask) == (port->addr & port->mask))
        arp_learn(nc, ah->arp_data.arp_sip, &ah->arp_data.arp_sha, 1);
    if (op == RTE_ARP_OP_REPLY) {
        nc->st.arp_replies_in++;
    } else if (ah->arp_data.arp_tip == port->addr) {
        struct rte_mbuf *r = arp_build(nc, port, RTE_ARP_OP_REPLY, &ah->arp_data.arp_sha,
                                       ah->arp_data.arp_sip);
        nc->st.arp_requests_in++;
        if (r)
            net_tx_queue(nc, r->port, r);
    }
    rte_pktmbuf_free(m);
}

static void send_request(struct net_core *nc, struct net_port *port, uint32_t ip)
{
    struct rte_mbuf *r = arp_build(nc, port, RTE_ARP_OP_REQUEST, NULL, ip);

    if (r) {
        nc->st.arp_requests_out++;
        net_tx_queue(nc, r->port, r);
    }
}

void arp_output(struct net_core *nc, struct net_port *port, struct rte_mbuf *m, uint32_t nh)
{
    struct arp_entry *e = find(nc, nh);

    m->port = (uint16_t)(port - net.ports);
    if (e && e->resolved && e->expire_ms > nc->now_ms) {
        rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = e->mac;
        net_tx_queue(nc, m->port, m);
        return;
    }
    if (!e) {
        e = slot(nc, nh);
        e->ip = nh;
    }
    if (e->resolved) { /* expired: ask again, keep nothing stale */
        e->resolved = 0;
        e->tries = 0;
    }
    if (e->npending == ARP_PENDING_MAX) {
        nc->st.drop_arp_pending++;
        rte_pktmbuf_free(m);
        return;
    }
    e->pending[e->npending++] = m;
    if (e->tries == 0) {
        e->tries = 1;
        e->expire_ms = nc->now_ms + ARP_RETRY_MS;
        send_request(nc, port, nh);
    }
}

void arp_poll(struct net_core *nc)
{
    struct arp_msg msg[16];
    unsigned n;
    static __thread uint64_t last;

    while (net.arp_ring[nc->queue] &&
           (n = rte_ring_sc_dequeue_burst_elem(net.arp_ring[nc->queue], msg, ARP_MSG_SIZE, 16,
                                               NULL)) != 0)
        for (unsigned i = 0; i < n; i++)
            learn_local(nc, msg[i].ip, &msg[i].mac);
    if (nc->now_ms - last < 100)
        return;
    last = nc->now_ms;
    for (unsigned i = 0; i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &nc->arp[i];
        if (e->ip == 0 || e->expire_ms > nc->now_ms)
            continue;
        if (e->resolved) { /* expired: forget it; the next packet asks again */
            e->resolved = 0;
            e->tries = 0;
            continue;
        }
        if (e->npending == 0)
            continue;
        if (e->tries >= ARP_TRIES) {
            drop_pending(nc, e);
            e->tries = 0;
            continue;
        }
        e->tries++;
        e->expire_ms = nc->now_ms + ARP_RETRY_MS;
        send_request(nc, &net.ports[e->pending[0]->port], e->ip);
    }
}

void arp_announce(struct net_core *nc, struct net_port *port)
{
    send_request(nc, port, port->addr); /* gratuitous: sender and target are our address */
}
