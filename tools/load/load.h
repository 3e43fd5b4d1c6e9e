/*
 * load.h - dpcache-load, a DPDK load generator speaking RESP (see docs/benchmarks.md).
 *
 * Layering (one struct ld_core per generator lcore, nothing shared between them):
 *   main.c   options, EAL, port, ARP resolution, lcore launch, progress line, report
 *   net.c    the client's L2/L3: frame RX classification, ARP answers, IPv4/UDP output,
 *            the TCP output adapter, RSS-aware source port choice
 *   flow.c   the request engine: TCP connections (dpcache's TCP in client mode, tcp.h) and
 *            UDP flows (docs/protocol.md framing), closed and open loop, timeouts
 *   work.c   the workload: keys (uniform, zipfian), value sizes, command mix, RESP requests
 *            and the expected reply of every request (validation)
 *   resp.c   RESP2 reply parser (flat: arrays of scalars)
 *   hist.c   HDR-style log-linear latency histogram
 *
 * Queue rule: generator lcore i sends on queue i and receives on queue i. With net_memif the
 * sender picks the ring, so dpcache worker i receives what queue i sends and answers on its
 * queue i, which is our RX queue i: any source port works. With RSS ports (NICs), source
 * ports are chosen so that the Toeplitz hash of the reply's 4-tuple lands on queue i
 * (net_pick_sport).
 */
#ifndef LD_LOAD_H
#define LD_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

struct rte_mbuf;
struct rte_mempool;
struct tcp_conn;
struct tcp_stack;

#define LD_MAX_LCORES 16
#define LD_BURST      32
#define LD_TXBUF      256
#define LD_MGET_MAX   16
#define LD_UDP_RING   256  /* request slots per UDP flow (ids modulo this) */
#define LD_PIPE_MAX   128  /* pipeline depth limit */

enum ld_proto { LD_UDP, LD_TCP };

/* clang-format off */
#define LD_OPS(X) \
    X(OP_GET,     "get")     \
    X(OP_SET,     "set")     \
    X(OP_SETEX,   "setex")   \
    X(OP_HSET,    "hset")    \
    X(OP_HGETALL, "hgetall") \
    X(OP_INCR,    "incr")    \
    X(OP_MGET,    "mget")
/* clang-format on */
enum ld_op {
#define X_ENUM(e, s) e,
    LD_OPS(X_ENUM)
#undef X_ENUM
    OP_COUNT
};
extern const char *const ld_op_names[OP_COUNT];

/* Value sizes: fixed, uniform range, or a list chosen with equal weight. The size of a key's
 * value is a function of the key (so every writer writes the same bytes). */
struct ld_vsize {
    unsigned n;           /* entries in v[] (list), or 0 for range */
    unsigned lo, hi;      /* range (lo == hi: fixed) */
    unsigned v[16];
};

struct ld_opts {
    char dev[64];             /* ethdev name (empty: port 0) */
    uint32_t src_addr, src_mask, dst_addr; /* network order */
    uint16_t dport;           /* host order */
    uint16_t sport_base;      /* host order */
    int proto;
    int reflect;              /* the peer is a MAC-swapping reflector (testpmd macswap) */
    struct rte_ether_addr dst_mac;
    int have_dst_mac;
    unsigned mtu;
    unsigned conns;           /* connections (TCP) or flows (UDP), over all lcores */
    unsigned pipeline;        /* requests in flight per connection */
    double rate;              /* open loop: requests/s over all lcores (0: closed loop) */
    uint64_t requests;        /* bound: requests (0: none) */
    double duration;          /* bound: seconds */
    uint64_t keys;
    unsigned key_size;
    struct ld_vsize vsize;
    double zipf;              /* 0: uniform */
    unsigned mix[OP_COUNT];   /* weights */
    unsigned ex_seconds;
    unsigned mget_keys;
    int preload;
    int nil_ok;               /* a missing key is acceptable (no preload) */
    uint32_t value_seed;
    double timeout_ms;        /* UDP reply timeout */
    int json;
    const char *json_file;
    int quiet;
    const char *label;
};

extern struct ld_opts opt;

/* ---- hist.c ---- */
#define HIST_BUCKETS (60 * 64 + 128)
struct hist {
    uint64_t n, sum, max, min;
    uint64_t b[HIST_BUCKETS];
};
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
/* hist_pct: the value at percentile @p (0-100): the bucket's highest value, capped by max. */
uint64_t hist_pct(const struct hist *h, double p);

/* ---- resp.c ---- */
#define RP_MAX_EL 64
struct rp_el {
    char type;           /* '+', '-', ':', '$', '_' (nil), '*' */
    int64_t i;           /* integer, or length of a bulk/array */
    const uint8_t *s;    /* simple/bulk/error text */
    size_t len;
};
struct rp_reply {
    struct rp_el top;
    unsigned n;          /* array elements parsed into el[] */
    struct rp_el el[RP_MAX_EL];
};
/* rp_parse: one reply from @buf. Returns bytes consumed, 0 if incomplete, -1 if malformed or
 * nested (not a flat reply). */
long rp_parse(const uint8_t *buf, size_t len, struct rp_reply *r);

/* ---- work.c ---- */
struct ld_req {
    uint64_t t0;         /* TSC: sent (closed loop) or intended (open loop) */
    uint64_t ts;         /* TSC: sent */
    uint32_t key;
    uint8_t op;
    uint8_t live;
    uint16_t id;
    uint32_t len;        /* request bytes (reflector check) */
    uint8_t *rbuf;       /* UDP: reassembled multi-datagram reply */
    uint32_t rlen, rcap;
    uint16_t rgot, rtotal;
};

void work_setup(void);
/* work_key: the next key index (uniform or zipfian) with generator state @rng. */
uint32_t work_key(uint64_t *rng);
enum ld_op work_op(uint64_t *rng);
/* work_build: the RESP request of (@op, @key) into @buf (at most @cap bytes). Returns its
 * length, or 0 if it does not fit. */
size_t work_build(uint8_t *buf, size_t cap, enum ld_op op, uint32_t key);
/* work_req_max: the longest request the workload can build. */
size_t work_req_max(void);
/* work_check: validate reply @r of request (@op, @key). Returns 0 if right, 1 for a wrong
 * value, 2 for an unexpected error reply; writes a description to @why. */
int work_check(const struct rp_reply *r, enum ld_op op, uint32_t key, char *why, size_t wlen);
unsigned work_vlen(uint32_t key);

/* ---- per-lcore state ---- */
enum { C_IDLE, C_CONNECTING, C_OPEN, C_CLOSED };

struct ld_core;

struct ld_conn {
    struct ld_core *lc;
    struct tcp_conn *tc;
    int state;
    uint16_t sport;       /* host order */
    int ready;            /* on the ready list */
    int dirty;            /* TCP output pending */
    /* TCP output: [ob_start, ob_end) not yet acknowledged */
    uint8_t *ob;
    uint32_t ob_start, ob_end, ob_cap;
    /* TCP input not yet parsed */
    uint8_t *ib;
    uint32_t ib_len, ib_cap;
    /* requests in flight: TCP FIFO ring of LD_PIPE_MAX; UDP slots indexed by id */
    struct ld_req *q;
    uint32_t qhead, qn;
    uint16_t next_id;
};

struct ld_stats {
    uint64_t sent, done, ok;
    uint64_t wrong, errors, timeouts, closed, proto_err, late;
    uint64_t preload_done;
    uint64_t tx_pkts, rx_pkts, tx_drop, no_mbuf, rx_other;
    uint64_t ops[OP_COUNT];
};

struct ld_core {
    unsigned idx, lcore;
    uint16_t queue;
    struct rte_mempool *pool;
    struct tcp_stack *ts;
    struct rte_mbuf *tx[LD_TXBUF];
    unsigned ntx;
    struct ld_conn *conns;
    unsigned nconns;
    uint32_t *ready;      /* stack of connection indexes with a free pipeline slot */
    unsigned nready;
    uint64_t rng;
    uint64_t quota;       /* requests this core may send (measured phase) */
    uint64_t issued;
    /* open loop */
    double gap_tsc;       /* mean inter-arrival, TSC */
    double next_tsc;
    uint64_t *backlog;    /* intended start times waiting for a free slot */
    uint32_t bl_head, bl_n, bl_cap;
    uint64_t bl_drop;
    uint64_t inflight;
    uint32_t *dirtyl;     /* TCP connections with output to push */
    unsigned ndirty;
    uint32_t *by_port;    /* source port -> connection index + 1 */
    uint16_t next_sport;
    uint64_t next_scan;   /* UDP timeout scan */
    uint64_t drain_end;
    unsigned nconnected;
    /* preload */
    uint64_t pl_next, pl_end, pl_total; /* pl_end: the core's share of the keys */
    int phase;            /* 0 preload, 1 measure, 2 drain, 3 closing, 4 done */
    uint64_t t_start, t_stop, t_end;
    struct ld_stats st;
    struct hist hist;
    char first_err[256];
} __attribute__((aligned(64)));

extern struct ld_core *ld_cores[LD_MAX_LCORES];
extern unsigned ld_ncores;
extern struct rte_ether_addr ld_src_mac, ld_dst_mac;
extern uint16_t ld_port_id;
extern uint64_t ld_tsc_hz;
extern volatile int ld_stop;
extern unsigned ld_preloaded;    /* cores done with the preload (atomic) */

/* ---- net.c ---- */
void net_rx(struct ld_core *lc);
void net_tx_flush(struct ld_core *lc);
void net_tx(struct ld_core *lc, struct rte_mbuf *m);
/* net_udp_alloc: an mbuf with Ethernet/IPv4/UDP headers for source port @sport; returns it
 * and sets *@payload to the UDP payload (capacity @cap). */
struct rte_mbuf *net_udp_alloc(struct ld_core *lc, uint16_t sport, uint8_t **payload,
                               size_t *cap);
/* net_udp_finish: set the lengths for @plen payload bytes and queue for TX. */
void net_udp_finish(struct ld_core *lc, struct rte_mbuf *m, size_t plen);
int net_tcp_output(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr);
/* net_pick_sport: a source port >= *@next whose replies the port steers to @queue. */
uint16_t net_pick_sport(uint16_t *next, uint16_t queue, unsigned nq);
int net_rss_setup(unsigned nq);
/* net_arp_resolve: ARP for opt.dst_addr on queue 0 (main lcore, before the launch). */
int net_arp_resolve(double seconds);

/* ---- flow.c ---- */
int flow_core_setup(struct ld_core *lc);
int flow_loop(void *arg);
/* Called by net.c for a UDP datagram of flow @sport (host order), payload @p of @len. */
void flow_udp_input(struct ld_core *lc, uint16_t sport, const uint8_t *p, size_t len);
/* main.c: the progress line (main lcore). */
void ld_progress(uint64_t now);

#endif
