/*
 * tcp_impl.h - private to dpcache's TCP (tcp*.c): the connection control block, the stack,
 * named limits and the functions the tcp_*.c files call in each other. Nothing outside
 * dataplane/native/tcp*.c and tests/native/ includes it; the contract is tcp.h.
 *
 * Files:
 *   tcp.c        stack create/destroy, listeners, counters, the public tcp_conn_* calls
 *   tcp_conn.c   connection pool, 4-tuple table, state changes, teardown (closed() once)
 *   tcp_in.c     receive side: tcp_input, header and option parsing, the RFC 9293 state
 *                machine, received data (in-order delivery, out-of-order queue, window)
 *   tcp_out.c    send side: building and sending segments (data, SYN, ACK, RST, probes), the
 *                ACK field: send window, RTT (RFC 6298), NewReno (RFC 5681/6582)
 *   tcp_timer.c  the timer wheel and every timer (RTO, persist, delayed ACK, keepalive,
 *                FIN_WAIT_2, TIME_WAIT), tcp_poll
 *   tcp_cookie.c SipHash, RFC 6528 ISNs, SYN cookies
 *
 * Sequence numbers are compared modulo 2^32 with SEQ_LT & co. Times are microseconds from
 * tcp_poll(now_us) (ts->now_us); the stack never reads a clock itself.
 */
#ifndef DP_TCP_IMPL_H
#define DP_TCP_IMPL_H

#include "tcp.h"

#include <stdint.h>
#include <sys/queue.h>

/* --- Named limits --------------------------------------------------------------------- */

#define TCP_HDR_MIN              20         /* header without options */
#define TCP_HDR_MAX              60         /* data offset 15 */
#define TCP_SYN_OPT_LEN          20         /* MSS 4 + NOP,WS 4 + NOP,NOP,TS 12 */
#define TCP_TS_OPT_LEN           12         /* NOP,NOP,TS on every segment once negotiated */
#define TCP_DEFAULT_MSS          536        /* peer MSS when its SYN has no MSS option (RFC 9293) */
#define TCP_MIN_MSS              64         /* a peer MSS below this is raised to it */
#define TCP_MAX_WSCALE           14         /* RFC 7323 §2.3 */
#define TCP_MAX_WIN              65535      /* the 16-bit window field */
#define TCP_LISTEN_MAX           16         /* listening (addr, port) pairs per stack */
#define TCP_OOO_SEGS_MAX         64         /* out-of-order segments kept per connection */
#define TCP_INIT_CWND_SEGS       10         /* initial window, segments (RFC 6928) */
#define TCP_CWND_MAX             (1u << 30) /* congestion window ceiling */
#define TCP_SEND_AHEAD_MAX       (1u << 30) /* application bytes considered beyond snd_una */
#define TCP_DUPACK_THRESH        3          /* fast retransmit (RFC 5681) */
#define TCP_SYN_RETRIES          6          /* active SYN retransmissions */
#define TCP_SYNACK_RETRIES       5          /* passive SYN-ACK retransmissions before giving up */
#define TCP_FIN_WAIT2_MS         60000 /* FIN_WAIT_2 without the peer's FIN (Linux tcp_fin_timeout) */
#define TCP_CHALLENGE_ACKS_PER_S 1000 /* RFC 5961 §7: per stack per second */
#define TCP_PAWS_IDLE_US         (24ull * 24 * 3600 * 1000000) /* RFC 7323 §5.5: TS.Recent expiry */
#define TCP_WHEEL_SLOTS          4096                  /* timer wheel slots (power of two) */
#define TCP_TICK_US              1000                  /* timer wheel resolution */
#define TCP_COOKIE_PERIOD_US     (64ull * 1000 * 1000) /* SYN cookie counter period */
#define TCP_COOKIE_MSS_N         8   /* entries of the cookie MSS table (3 bits) */
#define TCP_RXSEG_POOL_DIV       4   /* rx_segs_max 0: the pool size divided by this */
#define TCP_RXSEG_MIN            256 /* at least this many held segments per stack */

/* Sequence space comparisons (RFC 9293 §3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

#define TCP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TCP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* States; the order is the one of tcp_state_names. */
enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
    TCP_NSTATES
};

/* Connection flags (tcp_conn.flags). */
#define TCP_F_DEAD        (1u << 0) /* torn down; freed when busy reaches 0 */
#define TCP_F_PASSIVE     (1u << 1) /* created by a listener (accept() when established) */
#define TCP_F_TS          (1u << 2) /* timestamps negotiated */
#define TCP_F_ACK_OWED    (1u << 3) /* data or FIN received and not yet acknowledged */
#define TCP_F_ACK_NOW     (1u << 4) /* on ts->ack_list: tcp_poll sends the ACK */
#define TCP_F_FIN_QUEUED  (1u << 5) /* the application closed: FIN after the data */
#define TCP_F_FIN_SENT    (1u << 6) /* fin_seq is valid (the FIN went out at least once) */
#define TCP_F_FIN_ACKED   (1u << 7)
#define TCP_F_FIN_RCVD    (1u << 8)  /* the peer's FIN is in rcv_nxt */
#define TCP_F_FIN_TOAPP   (1u << 9)  /* peer_fin() was called */
#define TCP_F_RCV_BLOCKED (1u << 10) /* recv() took less than offered: queue until resume */
#define TCP_F_PERSIST     (1u << 11) /* t_rtx is the persist timer */
#define TCP_F_RECOVERY    (1u << 12) /* in NewReno fast recovery */
#define TCP_F_RTT_TIMING  (1u << 13) /* rtt_seq/rtt_start_us time one segment */
#define TCP_F_COOKIE      (1u << 14) /* established from a SYN cookie */
#define TCP_F_APP         (1u << 15) /* the application holds it (ctx valid) */
#define TCP_F_KEEPALIVE   (1u << 16) /* t_idle is a keepalive timer */
#define TCP_F_WS          (1u << 17) /* window scaling negotiated (both SYNs carried WS) */

/* A received segment held by a connection (in order and not taken by the application, or
 * out of order). The mbuf's data is exactly the segment's payload not yet delivered. Nodes come
 * from the stack's preallocated pool (ts->qnodes); the pool size bounds the mbufs TCP holds. */
struct tcp_qnode {
    struct tcp_qnode *next;
    struct rte_mbuf *m;
    uint32_t seq; /* sequence number of the first byte of m's data */
    uint8_t fin;  /* the segment carried FIN after its data (out-of-order queue only) */
};

/* Parsed header of a received segment (host order). */
struct tcp_seg {
    uint32_t seq, ack;
    uint32_t wnd; /* raw window field (unscaled) */
    uint32_t tsval, tsecr;
    uint32_t saddr, daddr; /* network order */
    uint16_t sport, dport; /* network order */
    uint16_t hlen;         /* header bytes, options included */
    uint16_t dlen;         /* payload bytes */
    uint16_t mss;          /* MSS option (0: none) */
    uint8_t flags;         /* RTE_TCP_*_FLAG */
    uint8_t ws;            /* window scale option, 0xff: none */
    uint8_t has_ts;
};

/* The connection control block: 320 bytes. The first two cache lines hold what every segment
 * touches (identity, receive and send sequence state, windows, queue heads); the rest is for
 * losses, timers and list links. */
struct tcp_conn {
    /* --- line 0: identity, receive side --- */
    struct tcp_stack *ts;
    void *ctx;             /* the application's, valid with TCP_F_APP */
    uint32_t raddr, laddr; /* network order */
    uint16_t rport, lport; /* network order */
    uint8_t state;         /* enum tcp_state */
    uint8_t snd_wscale;    /* shift applied to the peer's window field */
    uint8_t rcv_wscale;    /* shift the peer applies to ours */
    uint8_t busy;          /* nesting of calls working on it (free deferred while > 0) */
    uint32_t flags;        /* TCP_F_* */
    uint32_t rcv_nxt;
    uint32_t rcv_adv;       /* right edge of the last window we advertised */
    uint32_t last_ack_sent; /* ACK field of the last segment we sent (RFC 7323) */
    uint32_t ts_recent;     /* peer's TSval to echo */
    uint32_t unacked_bytes; /* in-order bytes received since the last ACK sent */
    uint32_t rcvq_bytes;    /* in-order bytes the application has not taken */
    uint16_t rcv_mss;       /* largest payload seen from the peer (delayed ACK rule) */
    uint16_t mss;           /* payload bytes per segment we send (options deducted) */
    /* --- line 1: send side --- */
    uint32_t snd_una, snd_nxt;
    uint32_t snd_max; /* highest sequence sent + 1 */
    uint32_t snd_wnd; /* peer's window, scaled */
    uint32_t max_snd_wnd;
    uint32_t snd_wl1, snd_wl2;
    uint32_t cwnd, ssthresh;
    uint32_t rto_us;
    uint64_t last_rcv_us;        /* keepalive idle time starts here */
    struct tcp_qnode *rcvq_head; /* in order, not yet taken */
    struct tcp_qnode *ooo_head;  /* out of order, by sequence, disjoint */
    /* --- lines 2-4: losses, RTT, timers, links --- */
    uint8_t dupacks;
    uint8_t retries;             /* consecutive RTOs or unanswered probes */
    uint8_t probes;              /* persist or keepalive probes sent without progress */
    uint8_t backoff;             /* persist back-off exponent */
    uint32_t recover;            /* NewReno: highest sequence sent when loss was detected */
    uint32_t rtt_seq;            /* timed segment: its end sequence number */
    uint32_t srtt_us, rttvar_us; /* 0: no sample yet */
    uint32_t iss, irs;           /* our and the peer's ISN */
    uint32_t fin_seq;            /* sequence number of our FIN (TCP_F_FIN_SENT) */
    uint32_t ts_offset;          /* added to our TS clock (RFC 7323 §5.4) */
    uint32_t ooo_bytes;          /* bytes in the out-of-order queue */
    uint16_t ooo_segs;
    struct tcp_qnode *rcvq_tail;
    uint64_t rtt_start_us;
    uint64_t last_snd_us;         /* cwnd restart after idle (RFC 5681 §4.1) */
    uint64_t t_rtx;               /* RTO, SYN retransmission or persist; 0: off */
    uint64_t t_delack;            /* delayed ACK; 0: off */
    uint64_t t_idle;              /* keepalive, FIN_WAIT_2 or TIME_WAIT; 0: off */
    uint64_t t_due;               /* min of the above while on the wheel */
    LIST_ENTRY(tcp_conn) wlink;   /* wheel slot (le_prev NULL: not on the wheel) */
    LIST_ENTRY(tcp_conn) alink;   /* ts->ack_list while TCP_F_ACK_NOW */
    TAILQ_ENTRY(tcp_conn) twlink; /* ts->tw_list while in TIME_WAIT */
} __attribute__((aligned(64)));

LIST_HEAD(tcp_conn_list, tcp_conn);
TAILQ_HEAD(tcp_conn_tailq, tcp_conn);

/* A slot of the 4-tuple table: open addressing, linear probing, backward-shift deletion. */
struct tcp_slot {
    uint32_t hash; /* the 4-tuple hash (home slot: hash & mask) */
    uint32_t idx;  /* connection index + 1; 0: empty */
};

struct tcp_listener {
    uint32_t addr; /* network order, 0: any */
    uint16_t port; /* network order */
};

struct tcp_stack {
    struct tcp_config cfg;
    struct rte_mempool *pool;
    tcp_output_fn output;
    void *out_arg;
    const struct tcp_app_ops *app;
    void *app_arg;
    uint64_t now_us;    /* last tcp_poll time */
    uint16_t seg_room;  /* most payload one output mbuf holds after a full header */
    uint8_t rcv_wscale; /* our window scale for cfg.rcv_wnd */
    uint8_t nlisten;
    struct tcp_listener listen[TCP_LISTEN_MAX];
    /* connections */
    struct tcp_conn *conns; /* [cfg.max_conns] */
    uint32_t *free_idx;     /* stack of free connection indexes */
    uint32_t nfree;
    struct tcp_slot *tab; /* [tab_mask + 1] */
    uint32_t tab_mask;
    uint32_t hash_seed;
    uint32_t nstate[TCP_NSTATES];
    uint32_t half_open;            /* passive SYN_RCVD connections */
    struct tcp_conn_tailq tw_list; /* TIME_WAIT, oldest first (recycled when the table is full) */
    struct tcp_conn_list ack_list; /* ACKs owed now (sent by tcp_poll unless output took them) */
    /* received-segment nodes */
    struct tcp_qnode *qnodes; /* [nqnodes] */
    struct tcp_qnode *qfree;
    uint32_t nqnodes, qnodes_used;
    /* timer wheel */
    uint64_t wheel_tick; /* last tick processed */
    struct tcp_conn_list wheel[TCP_WHEEL_SLOTS];
    /* secrets and rate limits */
    uint64_t isn_key[2];     /* RFC 6528 F() key */
    uint64_t cookie_key[2];  /* SYN cookie MAC key */
    uint64_t cookie_last_us; /* last SYN cookie sent (+1; 0: never) */
    uint64_t challenge_sec;  /* second of the challenge ACK budget */
    uint32_t challenge_left;
    uint32_t isn_fixed; /* tests: nonzero forces our ISN (never set in production) */
    struct tcp_stats st;
};

/* --- tcp_conn.c --------------------------------------------------------------------- */

/* Look a 4-tuple up (network order). NULL if unknown. */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
                                 uint32_t laddr, uint16_t lport);
/* A new connection in @state for the 4-tuple (inserted in the table), or NULL when the
 * table is full and no TIME_WAIT connection can be recycled. */
struct tcp_conn *tcp_conn_new(struct tcp_stack *ts, uint32_t raddr, uint16_t rport, uint32_t laddr,
                              uint16_t lport, enum tcp_state state);
/* Set the state, keeping the per-state counts and gauges. */
void tcp_set_state(struct tcp_stack *ts, struct tcp_conn *tc, enum tcp_state state);
/* Tear down: out of every table, list and queue; the application's closed() runs if it held
 * the connection and @notify. Memory returns to the pool once nobody works on it (busy). */
void tcp_conn_kill(struct tcp_stack *ts, struct tcp_conn *tc, int notify);
static inline void tcp_conn_hold(struct tcp_conn *tc)
{
    tc->busy++;
}
/* Drop a hold; frees a dead connection whose last hold this was. */
void tcp_conn_unhold(struct tcp_stack *ts, struct tcp_conn *tc);
/* Enter ESTABLISHED (from SYN_RCVD or SYN_SENT) and give the connection to the application
 * (accept() or connected()). Returns 0, or -1 when it was refused and killed. */
int tcp_conn_established(struct tcp_stack *ts, struct tcp_conn *tc);
/* Enter TIME_WAIT: the application is told closed(), the connection lingers. */
void tcp_enter_time_wait(struct tcp_stack *ts, struct tcp_conn *tc);
/* Initialise the send-side variables for our ISN @iss and peer MSS @peer_mss. */
void tcp_conn_init_send(struct tcp_stack *ts, struct tcp_conn *tc, uint32_t iss, uint16_t peer_mss);
/* The payload size we send (and the initial window) for peer MSS @peer_mss. */
void tcp_conn_set_mss(struct tcp_stack *ts, struct tcp_conn *tc, uint16_t peer_mss);

/* --- tcp_in.c ----------------------------------------------------------------------- */

/* Parse @th (@len bytes: header + payload) into @seg. 0, or -1 if malformed. */
int tcp_parse(const uint8_t *th, uint16_t len, struct tcp_seg *seg);

/* --- tcp_out.c: the ACK field
 * ---------------------------------------------------------------------- */

/* Process the ACK field of an acceptable segment in a synchronized state. Returns 0 to go on,
 * -1 when the segment must be dropped (an ACK was sent if needed) or the connection died. */
int tcp_ack_input(struct tcp_stack *ts, struct tcp_conn *tc, const struct tcp_seg *seg);
/* Update the send window from an acceptable segment (RFC 9293 SND.WL1/WL2 rule). */
void tcp_update_snd_wnd(struct tcp_conn *tc, const struct tcp_seg *seg);
/* Restart, stop or leave the retransmission timer after the send state changed. */
void tcp_rtx_timer_update(struct tcp_stack *ts, struct tcp_conn *tc);
/* RFC 6298 RTO from the current estimates, with back-off. */
uint32_t tcp_rto_value(const struct tcp_stack *ts, const struct tcp_conn *tc);

/* --- tcp_in.c: received data
 * ---------------------------------------------------------------------- */

/* The payload of an acceptable segment: @m's data is exactly the payload (dlen bytes, seq
 * @seq), @fin whether FIN follows it. Consumes @m. Returns -1 if the connection died. */
int tcp_rcv_data(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m, uint32_t seq,
                 int fin);
/* Deliver what is queued now that the application can take input. -1 if it died. */
int tcp_rcv_resume(struct tcp_stack *ts, struct tcp_conn *tc);
/* Free both receive queues. */
void tcp_rcv_purge(struct tcp_stack *ts, struct tcp_conn *tc);
/* The window to advertise now (bytes, before scaling), never shrinking the right edge. */
uint32_t tcp_rcv_window(const struct tcp_stack *ts, const struct tcp_conn *tc);

/* --- tcp_out.c ---------------------------------------------------------------------- */

/* Send what the windows allow (data, then FIN); arm the persist timer on a zero window. */
void tcp_output(struct tcp_stack *ts, struct tcp_conn *tc);
/* Retransmit one segment from snd_una (fast retransmit, partial ACK); snd_nxt unchanged. */
void tcp_retransmit_first(struct tcp_stack *ts, struct tcp_conn *tc);
/* A bare ACK now. */
void tcp_send_ack(struct tcp_stack *ts, struct tcp_conn *tc);
/* An RFC 5961 challenge ACK (rate limited per stack). */
void tcp_send_challenge_ack(struct tcp_stack *ts, struct tcp_conn *tc);
/* Our SYN (SYN_SENT) or SYN-ACK (SYN_RCVD), with options. */
void tcp_send_syn(struct tcp_stack *ts, struct tcp_conn *tc);
/* A window/keepalive probe: seq snd_una - 1, no data (elicits an ACK). */
void tcp_send_probe(struct tcp_stack *ts, struct tcp_conn *tc);
/* RST for connection @tc (seq snd_nxt). */
void tcp_send_rst(struct tcp_stack *ts, struct tcp_conn *tc);
/* RST answering @seg for which no connection exists (RFC 9293 §3.10.7.1). */
void tcp_send_rst_reply(struct tcp_stack *ts, const struct tcp_seg *seg);
/* A SYN-ACK without state (SYN cookie @cookie, MSS @mss), answering @seg. */
void tcp_send_cookie_synack(struct tcp_stack *ts, const struct tcp_seg *seg, uint32_t cookie,
                            uint16_t mss);
/* Mark an ACK owed and decide when it goes (delayed, with the next output, or now). */
void tcp_ack_owed(struct tcp_stack *ts, struct tcp_conn *tc, int now);

/* --- tcp_timer.c -------------------------------------------------------------------- */

/* Put @tc on the wheel at the earliest of its timers (or off it when none is armed). */
void tcp_timer_sched(struct tcp_stack *ts, struct tcp_conn *tc);
void tcp_timer_unlink(struct tcp_stack *ts, struct tcp_conn *tc);
/* Arm the keepalive/idle timer for the connection's state. */
void tcp_idle_timer_update(struct tcp_stack *ts, struct tcp_conn *tc);

/* --- tcp_cookie.c ------------------------------------------------------------------- */

void tcp_secrets_init(struct tcp_stack *ts);
/* RFC 6528 ISN for the 4-tuple at the current time. */
uint32_t tcp_isn(const struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport);
/* Per-connection timestamp offset (RFC 7323 §5.4). */
uint32_t tcp_ts_offset(const struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport);
/* The cookie ISN for SYN @seg; *mss_out: the MSS it encodes (from the table, <= @mss). */
uint32_t tcp_cookie_make(const struct tcp_stack *ts, const struct tcp_seg *seg, uint16_t mss,
                         uint16_t *mss_out);
/* Check the final ACK @seg of a cookie handshake: 0 and *mss, or -1. */
int tcp_cookie_check(const struct tcp_stack *ts, const struct tcp_seg *seg, uint16_t *mss);

/* --- helpers -------------------------------------------------------------------------- */

static inline int tcp_synchronized(uint8_t state)
{
    return state >= TCP_ESTABLISHED;
}

/* Our timestamp clock: milliseconds. */
static inline uint32_t tcp_ts_now(const struct tcp_stack *ts, const struct tcp_conn *tc)
{
    return (uint32_t)(ts->now_us / 1000) + tc->ts_offset;
}

#endif
