/*
 * tcp.h - dpcache's per-core TCP (native stack).
 *
 * One struct tcp_stack per lcore: its connection table, listeners, timers and counters. Nothing
 * is shared between cores: a connection lives on the core its packets arrive on.
 *
 * Layering:
 *   net (eth/ARP/IPv4, checksums verified) --tcp_input()--> tcp --ops.output()--> net
 *   tcp --struct tcp_app_ops--> application (the engine's client: input/output buffers)
 * tcp_input gets a segment whose IPv4 header and TCP checksum are already validated; it still
 * validates everything in the TCP header itself (data offset, options, flags, lengths).
 * Output segments are built in mbufs from ts->pool with their TCP header and payload; the
 * IP layer (ops.output) prepends IPv4/Ethernet and fills the TCP checksum.
 *
 * Behaviour (RFC 9293 state machine with simultaneous open/close and RFC 5961 RST/SYN/ACK
 * validation; MSS, window scaling and timestamps (RFC 7323); flow control both ways with
 * zero-window probing; RTO per RFC 6298 with exponential back-off; fast retransmit/recovery and
 * NewReno congestion control (RFC 5681/6582); delayed ACKs that never delay a reply (an ACK
 * rides on the reply when the application answers within the same poll iteration); bounded
 * out-of-order queue; bounded TIME_WAIT; keepalive; SYN cookies when the SYN backlog is full;
 * a connection table of fixed size refusing (RST) beyond it).
 *
 * Thread-safety: every function is for the owning lcore only.
 */
#ifndef DP_TCP_H
#define DP_TCP_H

#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct tcp_conn;
struct tcp_stack;

/* The application's side of a connection (the engine's client). All callbacks run on the
 * owning lcore, from tcp_input/tcp_poll/tcp_conn_* calls. */
struct tcp_app_ops {
    /* A connection reached ESTABLISHED on a listening port: return the application's context
     * for it, or NULL to refuse it (the connection is reset). */
    void *(*accept)(void *arg, struct tcp_conn *tc);
    /* In-order bytes arrived: the application takes up to @len and returns how many it took;
     * what it leaves stays queued in TCP (and shrinks the advertised window) until
     * tcp_conn_recv_resume(). */
    size_t (*recv)(void *ctx, const uint8_t *data, size_t len);
    /* The peer sent FIN (after all its data was delivered). */
    void (*peer_fin)(void *ctx);
    /* Bytes of output the application holds, from the oldest unacknowledged byte. */
    size_t (*out_len)(void *ctx);
    /* The contiguous output span starting @off bytes after the oldest unacknowledged byte;
     * returns its length (0 past the end). */
    size_t (*out_peek)(void *ctx, size_t off, const uint8_t **p);
    /* The peer acknowledged @n more bytes: the application may drop them. */
    void (*out_acked)(void *ctx, size_t n);
    /* The connection is gone (closed, reset, timed out); @tc must not be used any more, and
     * no tcp_* function may be called from inside this callback. */
    void (*closed)(void *ctx);
    /* Optional: a connection opened with tcp_connect() reached ESTABLISHED. */
    void (*connected)(void *ctx);
};

/* Send a built segment: @m holds the TCP header and payload (m's data starts at the TCP
 * header); addresses in network order. Returns 0, or <0 and @m was freed. */
typedef int (*tcp_output_fn)(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr);

struct tcp_config {
    uint32_t max_conns;        /* connection table size (refusal beyond) */
    uint32_t syn_backlog;      /* half-open connections before SYN cookies */
    uint32_t rcv_wnd;          /* receive buffer per connection, bytes */
    uint32_t ooo_max;          /* out-of-order bytes kept per connection */
    uint16_t mss;              /* our MSS (MTU - 40) */
    uint32_t time_wait_ms;     /* TIME_WAIT duration (bounded, e.g. 2 * 30 s MSL or less) */
    uint32_t keepalive_s;      /* idle time before keepalive probes (0: off) */
    uint32_t keepalive_intvl_s;
    uint32_t keepalive_cnt;
    uint32_t rto_min_ms, rto_max_ms, rto_init_ms;
    uint32_t max_retries;      /* retransmissions before the connection is dropped */
    uint32_t delack_ms;        /* delayed ACK timeout when nothing is sent back */
    uint32_t rx_segs_max;      /* received segments TCP may hold for all its connections
                                * (unread or out of order); 0: a quarter of the pool */
};

/* Counters of one core's TCP (declared once: TCP_METRICS(M) M(field, kind, help)). */
/* clang-format off */
#define TCP_METRICS(M) \
    M(active_conns,       GAUGE,   "Connections in ESTABLISHED/CLOSE_WAIT") \
    M(conns_accepted,     COUNTER, "Connections accepted") \
    M(conns_refused,      COUNTER, "Connections refused (table full, application refused)") \
    M(syn_cookies_sent,   COUNTER, "SYN-ACKs sent as SYN cookies") \
    M(segs_in,            COUNTER, "Segments received") \
    M(segs_out,           COUNTER, "Segments sent") \
    M(retransmits,        COUNTER, "Segments retransmitted") \
    M(fast_retransmits,   COUNTER, "Fast retransmissions") \
    M(rto_timeouts,       COUNTER, "Retransmission timeouts") \
    M(rst_in,             COUNTER, "Acceptable RSTs received") \
    M(rst_out,            COUNTER, "RSTs sent") \
    M(bad_segments,       COUNTER, "Segments dropped as malformed or unacceptable") \
    M(ooo_segments,       COUNTER, "Segments queued out of order") \
    M(zero_window_probes, COUNTER, "Zero-window probes sent") \
    M(keepalive_drops,    COUNTER, "Connections dropped by keepalive") \
    M(time_wait,          GAUGE,   "Connections in TIME_WAIT") \
    M(syn_cookies_ok,     COUNTER, "Connections established from a SYN cookie") \
    M(challenge_acks,     COUNTER, "RFC 5961 challenge ACKs sent") \
    M(rx_held_full,       COUNTER, "In-window data dropped: no room to hold it (peer resends)") \
    M(no_mbuf,            COUNTER, "Segments not sent: mbuf pool empty")
/* clang-format on */

struct tcp_stats {
#define TCP_M_FIELD(f, k, h) uint64_t f;
    TCP_METRICS(TCP_M_FIELD)
#undef TCP_M_FIELD
};

/* tcp_stack_create: the TCP of one lcore. @pool: mbufs for output; @output/@out_arg: the IP
 * layer; @app/@app_arg: the application. NULL on failure. */
struct tcp_stack *tcp_stack_create(const struct tcp_config *cfg, struct rte_mempool *pool,
                                   tcp_output_fn output, void *out_arg,
                                   const struct tcp_app_ops *app, void *app_arg, int socket);
/* tcp_stack_destroy: reset every connection (the application gets closed()) and free. */
void tcp_stack_destroy(struct tcp_stack *ts);

/* tcp_listen: accept connections to (@addr, @port) (network order; addr 0 = any). */
int tcp_listen(struct tcp_stack *ts, uint32_t addr, uint16_t port);

/* tcp_input: one validated IPv4 segment: @m's data starts at the TCP header and holds
 * @len bytes (header + payload); addresses in network order. Consumes @m. */
void tcp_input(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr,
               uint16_t len);

/* tcp_poll: timers (retransmission, delayed ACK, persist, keepalive, TIME_WAIT) at @now_us,
 * and ACKs still owed. Call once per poll iteration, after the application ran. */
void tcp_poll(struct tcp_stack *ts, uint64_t now_us);

/* tcp_connect: active open from (@laddr, @lport) to (@raddr, @rport) (network order) for the
 * application context @ctx: the SYN goes out now; connected(@ctx) runs when the connection is
 * established, closed(@ctx) when it fails or ends. Returns the connection, or NULL (table full,
 * 4-tuple in use, zero port). */
struct tcp_conn *tcp_connect(struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                             uint16_t rport, void *ctx);

/* tcp_conn_output: the application has new output for @tc: send what the windows allow. */
void tcp_conn_output(struct tcp_conn *tc);
/* tcp_conn_recv_resume: the application can take input again: deliver what is queued. */
void tcp_conn_recv_resume(struct tcp_conn *tc);
/* tcp_conn_close: send the remaining output, then FIN (graceful close). */
void tcp_conn_close(struct tcp_conn *tc);
/* tcp_conn_abort: reset at once. The application's closed() is not called (it asked). */
void tcp_conn_abort(struct tcp_conn *tc);

/* tcp_conn_addrs: the connection's addresses (network order). */
void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
                    uint16_t *rport);

const struct tcp_stats *tcp_stats(const struct tcp_stack *ts);

/* Connections per state, for `show tcp` and telemetry (index: enum tcp_state order in
 * tcp_state_names). */
extern const char *const tcp_state_names[];
unsigned tcp_state_count(void);
void tcp_conns_by_state(const struct tcp_stack *ts, uint64_t *counts);

#endif
