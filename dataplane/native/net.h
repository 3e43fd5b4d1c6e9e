/*
 * net.h - the native stack's per-core network state: the port queues it owns, ARP, IPv4,
 * ICMP, UDP, and the hand-off of TCP segments to tcp.h.
 *
 * Share-nothing: each worker lcore has its own struct net_core with its RX/TX queue pair on
 * every port, its ARP table, its TCP and its counters. Cores talk only through rings:
 *   - steer rings: a packet for worker j's core port that the NIC delivered to core i is
 *     passed to core j (software steering where the port cannot steer by destination port);
 *   - ARP rings: an ARP answer learnt by one core is passed to every other core.
 *
 * Thread-safety: net_* functions run on the owning lcore; the counters are read by other
 * threads with relaxed loads (telemetry).
 */
#ifndef DP_NET_H
#define DP_NET_H

#include <stdint.h>

#include <rte_ether.h>

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct tcp_stack;
struct worker;

#define NET_MAX_PORTS   4
#define NET_BURST       32
#define NET_TX_BUF      (4 * NET_BURST)
#define ARP_ENTRIES     256          /* per core; oldest replaced when full */
#define ARP_TTL_MS      (300 * 1000) /* learnt entries expire */
#define ARP_PENDING_MAX 8            /* packets held per unresolved address */
#define ARP_RETRY_MS    1000
#define ARP_TRIES       3

/* Counters of one core (declared once; exported through telemetry and /metrics). */
/* clang-format off */
#define NET_METRICS(M) \
    M(rx_packets,        COUNTER, "Packets received") \
    M(rx_bytes,          COUNTER, "Bytes received") \
    M(tx_packets,        COUNTER, "Packets sent") \
    M(tx_bytes,          COUNTER, "Bytes sent") \
    M(tx_dropped,        COUNTER, "Packets the port did not take (TX ring full)") \
    M(drop_not_ipv4,     COUNTER, "Dropped: not IPv4/ARP") \
    M(drop_bad_eth,      COUNTER, "Dropped: truncated Ethernet frame") \
    M(drop_bad_ip,       COUNTER, "Dropped: malformed IPv4 header or checksum") \
    M(drop_fragment,     COUNTER, "Dropped: IPv4 fragments") \
    M(drop_other_addr,   COUNTER, "Dropped: for another address") \
    M(drop_bad_l4,       COUNTER, "Dropped: malformed UDP/TCP header or checksum") \
    M(drop_no_port,      COUNTER, "Dropped: UDP to a port nobody serves") \
    M(drop_proto,        COUNTER, "Dropped: IP protocol not served") \
    M(drop_arp_pending,  COUNTER, "Dropped: too many packets waiting for ARP") \
    M(drop_no_mbuf,      COUNTER, "Dropped: no mbuf") \
    M(drop_fault,        COUNTER, "Dropped by the fault injector") \
    M(arp_requests_in,   COUNTER, "ARP requests answered") \
    M(arp_replies_in,    COUNTER, "ARP replies learnt") \
    M(arp_requests_out,  COUNTER, "ARP requests sent") \
    M(icmp_echo,         COUNTER, "ICMP echo requests answered") \
    M(steered_out,       COUNTER, "Packets passed to the core that owns their port") \
    M(steered_in,        COUNTER, "Packets received from other cores' queues") \
    M(udp_in,            COUNTER, "UDP RESP datagrams received") \
    M(udp_out,           COUNTER, "UDP RESP datagrams sent")
/* clang-format on */

struct net_stats {
#define NET_M_FIELD(f, k, h) uint64_t f;
    NET_METRICS(NET_M_FIELD)
#undef NET_M_FIELD
};

/* A port as every core sees it (set up once by the main lcore, read-only afterwards). */
struct net_port {
    uint16_t port_id;
    char name[64];
    struct rte_ether_addr mac;
    uint32_t addr;     /* IPv4, network order */
    uint32_t mask;     /* network order */
    uint32_t gateway;  /* network order, 0: none */
    uint16_t mtu;
    uint64_t tx_offloads; /* RTE_ETH_TX_OFFLOAD_* in use */
    uint64_t rx_offloads;
    int hw_steer;      /* core ports steered by rte_flow rules */
};

struct arp_entry {
    uint32_t ip;       /* network order, 0: free */
    struct rte_ether_addr mac;
    uint8_t resolved;
    uint8_t tries;
    uint16_t npending;
    uint64_t expire_ms;  /* resolved: expiry; pending: next retry */
    struct rte_mbuf *pending[ARP_PENDING_MAX];
};

/* Where to send a UDP reply (the pseudo-client's sctx). */
struct udp_peer {
    uint32_t saddr, daddr; /* our address, the client's (network order) */
    uint16_t sport, dport; /* network order */
};

#define UDP_PEERS 4096 /* UDP requests in flight per core (= UDP_CLIENTS_MAX) */

struct net_txq {
    uint16_t n;
    struct rte_mbuf *m[NET_TX_BUF];
};

struct net_core {
    struct worker *w;
    unsigned lcore;
    uint16_t queue;                     /* queue id on every port (= worker id) */
    struct rte_mempool *pool;
    struct tcp_stack *tcp;
    struct net_txq txq[NET_MAX_PORTS];
    struct arp_entry arp[ARP_ENTRIES];
    uint64_t now_ms;
    uint64_t rng;                       /* fault injector's generator (fault_apply) */
    long long rng_seed;                 /* native-fault-seed rng was last seeded from */
    struct rte_mbuf *held_rx;           /* fault injector: a packet held back for reordering */
    struct rte_mbuf *held_tx;
    struct udp_peer peers[UDP_PEERS];
    uint16_t peer_free[UDP_PEERS];      /* stack of free indexes into peers[] */
    uint16_t npeer_free;
    struct net_stats st;
} __attribute__((aligned(64)));

/* Process-wide native state (main lcore sets it up). */
struct net_global {
    int nports;
    struct net_port ports[NET_MAX_PORTS];
    struct rte_mempool *pool;
    struct net_core *cores[128];
    struct rte_ring *steer[128];        /* per core: packets steered to it (MP/SC) */
    struct rte_ring *arp_ring[128];     /* per core: ARP learnings from others (MP/SC) */
    uint16_t service_port;              /* network order */
    uint16_t core_port_base;            /* host order, 0: none */
    int ncores;
    uint16_t udp_payload;               /* bytes of RESP per reply datagram */
    uint32_t local_peer;                /* embedded TAP: the host's address, a "local" client */
};

extern struct net_global net;

/* net_rx_burst: receive and process one burst on every port. Returns packets handled. */
unsigned net_rx(struct net_core *nc);
/* net_steered: process packets other cores passed to this one. */
unsigned net_steered(struct net_core *nc);
/* net_arp_poll: learn what other cores resolved; retry and expire pending resolutions. */
void net_arp_poll(struct net_core *nc);
/* net_flush: send the TX buffers (every poll iteration: no coalescing delay). */
void net_flush(struct net_core *nc);

/* net_ipv4_output: prepend IPv4 and Ethernet to @m (data starts at the L4 header), request
 * the IPv4 and TCP/UDP checksums (RTE_MBUF_F_TX_*_CKSUM with l2_len/l3_len: the port
 * offloads them, or net_tx_queue's flush computes them in software), resolve the next hop and
 * queue it for TX. The frame is complete only once flushed. Returns 0, or <0 when @m was
 * dropped (and freed). */
int net_ipv4_output(struct net_core *nc, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr,
                    uint8_t proto);

/* net_tcp_output: tcp_output_fn adapter (arg = struct net_core *). */
int net_tcp_output(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr);

/* net_udp_reply: send @c's UDP reply to the peer it came from (see udp.h), and recycle @c.
 * @reuse: an mbuf the caller is done with (the request's), taken for the first datagram
 * instead of allocating one (always consumed), or NULL. */
struct client;
void net_udp_reply(struct net_core *nc, struct client *c, struct rte_mbuf *reuse);

/* udp_peer_get/put: reply addresses from the core's preallocated pool (NULL when empty). */
struct udp_peer *udp_peer_get(struct net_core *nc);
void udp_peer_put(struct net_core *nc, struct udp_peer *p);

/* net_port_of_addr: the port serving local address @addr, or NULL. */
struct net_port *net_port_of_addr(uint32_t addr);

#endif
