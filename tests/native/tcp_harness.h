/*
 * tcp_harness.h - test doubles for dpcache's TCP (unit tests and fuzzer).
 *
 *   - EAL without hugepages and an mbuf pool without a per-lcore cache (so the count of free
 *     mbufs is exact and leaks show);
 *   - an IP layer double: tcp's output callback parses each segment with its own parser (not
 *     tcp_parse: the code under test does not check itself), keeps a copy and frees the mbuf;
 *   - a fake application (struct tcp_app_ops) with byte buffers: what it received, what it has
 *     to send (kept until out_acked, as the engine does), flags for every callback;
 *   - a scripted peer: crafted segments (any flags, options, data offset, raw option bytes)
 *     for one 4-tuple, with its own seq/ack bookkeeping.
 * Time is the harness's clock h->now (µs), passed to tcp_poll; the stack reads no other clock.
 */
#ifndef DP_TCP_HARNESS_H
#define DP_TCP_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "native/tcp.h"

#define TH_SEGS_MAX   4096 /* captured segments not yet taken by the test */
#define TH_APPS_MAX   4096 /* application contexts per harness */
#define TH_OPT_MAX    40   /* option bytes of a crafted segment */
#define TH_POOL_MBUFS 8191
#define TH_NONE       (-1)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* A segment the stack sent (host order except addresses). */
struct th_seg {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    int mss, ws; /* TH_NONE when absent */
    int has_ts;
    uint32_t tsval, tsecr;
    uint16_t hlen, dlen;
    uint8_t *data; /* dlen bytes (owned by the harness) */
};

/* The fake application's context for one connection. */
struct th_app {
    struct tcp_conn *tc;
    uint8_t *in; /* everything recv() took */
    size_t in_len, in_cap;
    size_t recv_limit;  /* most bytes recv() takes per call (SIZE_MAX: all) */
    size_t recv_budget; /* most bytes recv() takes in total until refilled (SIZE_MAX: all) */
    uint8_t *out;       /* output not yet acknowledged: out[out_head, out_tail) */
    size_t out_head, out_tail, out_cap;
    size_t out_acked; /* total bytes acknowledged */
    size_t peek_span; /* out_peek returns spans of at most this (0: all) */
    int fin_seen, closed, connected;
    int echo;         /* reply to every recv with the same bytes (and tcp_conn_output) */
    int close_on_fin; /* tcp_conn_close from peer_fin */
};

struct th {
    struct tcp_stack *ts;
    struct tcp_config cfg;
    uint64_t now; /* µs */
    struct th_seg segs[TH_SEGS_MAX];
    unsigned nseg;      /* captured and not taken */
    unsigned total_out; /* segments ever captured */
    int out_fail;       /* the IP double refuses (and frees) segments */
    int refuse;         /* accept() returns NULL */
    struct th_app *apps[TH_APPS_MAX];
    unsigned napps;
    unsigned closed_calls, accept_calls, fin_calls;
};

/* A remote host's side of one 4-tuple. */
struct th_peer {
    uint32_t addr, laddr; /* network order: the peer's and ours */
    uint16_t port, lport; /* network order */
    uint32_t seq;         /* next sequence number the peer sends */
    uint32_t ack;         /* what it acknowledges (our next byte) */
    uint16_t wnd;         /* window field it advertises */
    int ts;               /* sends timestamps */
    uint32_t tsval, tsecr;
};

/* A crafted segment; fields left 0 take the peer's values where that makes sense. */
struct th_out {
    uint8_t flags;
    int set_seq, set_ack; /* use .seq/.ack instead of the peer's */
    uint32_t seq, ack;
    int set_wnd;
    uint16_t wnd;
    const void *data;
    uint16_t dlen;
    int mss;                /* MSS option value (0: none) */
    int ws;                 /* window scale shift + 1 (0: none) */
    int no_ts;              /* omit the timestamp option even if the peer uses them */
    const uint8_t *raw_opt; /* raw option bytes (replaces all options) */
    uint8_t raw_optlen;
    int doff;         /* data offset override in 32-bit words (0: computed) */
    int len_override; /* tcp_input length (0: the real one) */
};

extern const struct tcp_app_ops th_app_ops;

/* th_eal: start the EAL once; th_pool: the shared mbuf pool. */
void th_eal(void);
struct rte_mempool *th_pool(void);
unsigned th_mbufs_in_use(void);

/* th_config: the defaults the tests start from. */
struct tcp_config th_config(void);
/* th_init: a stack with @cfg listening on 10.0.0.1:6379; th_fini: destroy, free, and check
 * that every mbuf is back in the pool (returns the mbufs still out). */
void th_init(struct th *h, const struct tcp_config *cfg);
unsigned th_fini(struct th *h);

/* th_poll: advance the clock by @us and run tcp_poll. */
void th_poll(struct th *h, uint64_t us);

/* Captured segments. th_take: the oldest (NULL if none); the returned segment is valid until
 * the next th_take/th_drain. */
struct th_seg *th_take(struct th *h);
void th_drain(struct th *h);

/* th_peer_init: a peer 10.0.0.2:@port talking to 10.0.0.1:6379, ISN @isn. */
void th_peer_init(struct th_peer *p, uint16_t port, uint32_t isn);
/* th_send: craft and input a segment from @p; advances p->seq by data + SYN + FIN unless
 * the sequence number was overridden. */
void th_send(struct th *h, struct th_peer *p, const struct th_out *o);
/* th_send_raw: input @len bytes as a TCP segment from @p (no bookkeeping). */
void th_send_raw(struct th *h, const struct th_peer *p, const uint8_t *seg, uint16_t len);
/* th_seg_bytes: build the bytes of a crafted segment into @buf (returns the length). */
uint16_t th_seg_bytes(const struct th_peer *p, const struct th_out *o, uint8_t *buf, size_t cap);

/* th_connect: passive open from @p (SYN with MSS 1460, WS 7, timestamps as @p->ts), the
 * SYN-ACK checked, the final ACK sent. Returns the application context. */
struct th_app *th_connect(struct th *h, struct th_peer *p);

/* Application helpers. */
struct th_app *th_app_new(struct th *h);
void th_app_write(struct th_app *a, const void *data, size_t len);
size_t th_app_pending(const struct th_app *a);
struct th_app *th_app_of(struct th *h, const struct tcp_conn *tc);

/* th_ack_data: the peer acknowledges everything in segment @s and advances its ack. */
void th_peer_ack_upto(struct th_peer *p, uint32_t ack);

#endif
