/*
 * tcp_out.c - the send side of dpcache's TCP: building and sending segments (data and FIN
 * within the send and congestion windows, retransmissions, SYN/SYN-ACK with options, ACKs
 * delayed, piggybacked or immediate, probes, RSTs) and the reaction to the peer's ACK field:
 * acknowledged bytes handed back to the application, the send window (RFC 9293 §3.10.7.4 fifth
 * step), RTT estimation and the retransmission timeout (RFC 6298: one timed segment at a time,
 * Karn's rule), slow start and congestion avoidance (RFC 5681), fast retransmit after
 * TCP_DUPACK_THRESH duplicate ACKs and NewReno recovery (RFC 6582).
 *
 * Data segments are built from the application's output (out_peek spans starting at snd_una)
 * into fresh mbufs from ts->pool; TCP keeps no copy of what it sent: a retransmission peeks the
 * same bytes again, which the application keeps until out_acked(). Data goes out as soon as
 * tcp_output runs (no Nagle, no coalescing delay); the only thing that holds a segment back is
 * the sender side of silly window avoidance (RFC 9293 §3.8.6.2.1) while data is in flight.
 * Every segment of a connection carries the current ACK, window and timestamps, so a pending
 * delayed ACK rides on it and is cancelled.
 *
 * ACK acceptability follows RFC 5961 §5.2: an ACK beyond what we sent, or older than
 * SND.UNA - MAX.SND.WND, is answered with an ACK and the segment dropped.
 */
#include "tcp_impl.h"
#include <stdio.h>

#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#define TCPOPT_EOL  0
#define TCPOPT_NOP  1
#define TCPOPT_MSS  2
#define TCPOPT_WS   3
#define TCPOPT_TS   8
#define TCPOLEN_MSS 4
#define TCPOLEN_WS  3
#define TCPOLEN_TS  10

/* Header fields of a segment to build. */
struct seg_hdr {
    uint32_t saddr, daddr; /* network order */
    uint16_t sport, dport; /* network order */
    uint32_t seq, ack;
    uint16_t wnd;
    uint8_t flags;
    uint8_t optlen;
    uint8_t opt[TCP_SYN_OPT_LEN];
};

static unsigned put_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
    tsval = rte_cpu_to_be_32(tsval);
    tsecr = rte_cpu_to_be_32(tsecr);
    p[0] = TCPOPT_NOP;
    p[1] = TCPOPT_NOP;
    p[2] = TCPOPT_TS;
    p[3] = TCPOLEN_TS;
    memcpy(p + 4, &tsval, 4);
    memcpy(p + 8, &tsecr, 4);
    return TCP_TS_OPT_LEN;
}

static unsigned put_mss(uint8_t *p, uint16_t mss)
{
    p[0] = TCPOPT_MSS;
    p[1] = TCPOLEN_MSS;
    p[2] = (uint8_t)(mss >> 8);
    p[3] = (uint8_t)mss;
    return TCPOLEN_MSS;
}

static unsigned put_ws(uint8_t *p, uint8_t shift)
{
    p[0] = TCPOPT_NOP;
    p[1] = TCPOPT_WS;
    p[2] = TCPOLEN_WS;
    p[3] = shift;
    return TCPOLEN_WS + 1;
}

/* A new mbuf holding the header of @h and room for @dlen payload bytes (*data). */
static struct rte_mbuf *seg_build(struct tcp_stack *ts, const struct seg_hdr *h, uint16_t dlen,
                                  uint8_t **data)
{
    uint16_t hlen = (uint16_t)(TCP_HDR_MIN + h->optlen);
    struct rte_mbuf *m = rte_pktmbuf_alloc(ts->pool);
    struct rte_tcp_hdr *th;

    if (!m) {
        ts->st.no_mbuf++;
        return NULL;
    }
    th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)(hlen + dlen));
    if (!th) { /* dlen <= ts->seg_room: cannot happen */
        rte_pktmbuf_free(m);
        ts->st.no_mbuf++;
        return NULL;
    }
    th->src_port = h->sport;
    th->dst_port = h->dport;
    th->sent_seq = rte_cpu_to_be_32(h->seq);
    th->recv_ack = rte_cpu_to_be_32(h->ack);
    th->data_off = (uint8_t)((hlen / 4) << 4);
    th->tcp_flags = h->flags;
    th->rx_win = rte_cpu_to_be_16(h->wnd);
    th->cksum = 0; /* the IP layer fills it */
    th->tcp_urp = 0;
    memcpy(th + 1, h->opt, h->optlen);
    if (data)
        *data = (uint8_t *)th + hlen;
    return m;
}

static void seg_xmit(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
    if (ts->output(ts->out_arg, m, saddr, daddr) == 0)
        ts->st.segs_out++;
}

/* The window field for a segment of @tc (scaled) and the right edge it promises. */
static uint16_t wnd_field(const struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t w = tcp_rcv_window(ts, tc);
    uint32_t cur = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
    uint32_t f = w >> tc->rcv_wscale;

    if ((f << tc->rcv_wscale) < cur) /* rounding must not shrink the promised edge */
        f = (cur + (1u << tc->rcv_wscale) - 1) >> tc->rcv_wscale;
    if (f > TCP_MAX_WIN)
        f = TCP_MAX_WIN;
    if (SEQ_GT(tc->rcv_nxt + (f << tc->rcv_wscale), tc->rcv_adv))
        tc->rcv_adv = tc->rcv_nxt + (f << tc->rcv_wscale);
    return (uint16_t)f;
}

/* Header of a non-SYN segment of @tc: ACK, window, timestamps. */
static void conn_hdr(const struct tcp_stack *ts, struct tcp_conn *tc, struct seg_hdr *h,
                     uint32_t seq, uint8_t flags)
{
    h->saddr = tc->laddr;
    h->daddr = tc->raddr;
    h->sport = tc->lport;
    h->dport = tc->rport;
    h->seq = seq;
    h->ack = tc->rcv_nxt;
    h->flags = flags | RTE_TCP_ACK_FLAG;
    h->wnd = wnd_field(ts, tc);
    h->optlen = 0;
    if (tc->flags & TCP_F_TS)
        h->optlen = (uint8_t)put_ts(h->opt, tcp_ts_now(ts, tc), tc->ts_recent);
}

/* Everything a sent segment acknowledges: no ACK is owed any more. */
static void ack_sent(struct tcp_stack *ts, struct tcp_conn *tc)
{
    tc->last_ack_sent = tc->rcv_nxt;
    tc->unacked_bytes = 0;
    if (tc->flags & TCP_F_ACK_NOW)
        LIST_REMOVE(tc, alink);
    tc->flags &= ~(TCP_F_ACK_OWED | TCP_F_ACK_NOW);
    if (tc->t_delack) {
        tc->t_delack = 0;
        tcp_timer_sched(ts, tc);
    }
}

/* Build and send a segment of @tc at @seq with @dlen bytes of application output starting
 * @off bytes after snd_una. 0, or -1 when no mbuf was available. */
static int conn_send(struct tcp_stack *ts, struct tcp_conn *tc, uint32_t seq, uint8_t flags,
                     uint32_t off, uint16_t dlen)
{
    struct seg_hdr h;
    struct rte_mbuf *m;
    uint8_t *data;
    uint32_t done = 0;

    conn_hdr(ts, tc, &h, seq, flags);
    m = seg_build(ts, &h, dlen, &data);
    if (!m)
        return -1;
    while (done < dlen) {
        const uint8_t *p;
        size_t n = ts->app->out_peek(tc->ctx, off + done, &p);
        if (n == 0) { /* the application holds less than out_len said: send what exists */
            rte_pktmbuf_trim(m, (uint16_t)(dlen - done));
            break;
        }
        if (n > dlen - done)
            n = dlen - done;
        memcpy(data + done, p, n);
        done += (uint32_t)n;
    }
    ack_sent(ts, tc);
    tc->last_snd_us = ts->now_us;
    seg_xmit(ts, m, tc->laddr, tc->raddr);
    return 0;
}

/* Bookkeeping after data/FIN [seq, seq + len) went out. */
static void sent(struct tcp_stack *ts, struct tcp_conn *tc, uint32_t seq, uint32_t len, int fin)
{
    uint32_t end = seq + len;

    if (SEQ_LT(seq, tc->snd_max)) {
        ts->st.retransmits++;
        tc->flags &= ~TCP_F_RTT_TIMING; /* Karn: no sample across a retransmission */
    } else if (!(tc->flags & TCP_F_RTT_TIMING)) {
        tc->flags |= TCP_F_RTT_TIMING;
        tc->rtt_seq = end;
        tc->rtt_start_us = ts->now_us;
    }
    if (fin) {
        tc->flags |= TCP_F_FIN_SENT;
        tc->fin_seq = end - 1;
    }
    if (SEQ_GT(end, tc->snd_nxt))
        tc->snd_nxt = end;
    if (SEQ_GT(end, tc->snd_max))
        tc->snd_max = end;
    if (!tc->t_rtx || (tc->flags & TCP_F_PERSIST)) {
        tc->flags &= ~TCP_F_PERSIST;
        tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
        tcp_timer_sched(ts, tc);
    }
}

/* Sequence number just past the application's output (capped at our FIN once sent). */
static uint32_t data_end(const struct tcp_stack *ts, const struct tcp_conn *tc)
{
    size_t n = (tc->flags & TCP_F_APP) ? ts->app->out_len(tc->ctx) : 0;
    uint32_t end;

    if (n > TCP_SEND_AHEAD_MAX)
        n = TCP_SEND_AHEAD_MAX;
    end = tc->snd_una + (uint32_t)n;
    if (tc->flags & TCP_F_FIN_ACKED)
        return tc->snd_una;
    if ((tc->flags & TCP_F_FIN_SENT) && SEQ_GT(end, tc->fin_seq))
        end = tc->fin_seq;
    return end;
}

static int can_send_data(uint8_t state)
{
    return state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT || state == TCP_FIN_WAIT_1 ||
           state == TCP_CLOSING || state == TCP_LAST_ACK;
}

void tcp_output(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t end, iw;

    if ((tc->flags & TCP_F_DEAD) || !can_send_data(tc->state))
        return;
    end = data_end(ts, tc);
    iw = TCP_INIT_CWND_SEGS * tc->mss;
    if (tc->snd_max == tc->snd_una && ts->now_us - tc->last_snd_us > tc->rto_us && tc->cwnd > iw)
        tc->cwnd = iw; /* restart after idle (RFC 5681 §4.1) */
    for (;;) {
        uint32_t wnd = TCP_MIN(tc->snd_wnd, tc->cwnd);
        uint32_t inflight = tc->snd_nxt - tc->snd_una;
        uint32_t usable = wnd > inflight ? wnd - inflight : 0;

        if (SEQ_LT(tc->snd_nxt, end)) {
            uint32_t left = end - tc->snd_nxt;
            uint32_t len = TCP_MIN(TCP_MIN((uint32_t)tc->mss, left), usable);
            int fin;
            if (len == 0)
                break;
            /* sender SWS avoidance: a runt limited by the window waits for the window to
             * open while something is in flight (its ACK reopens it) */
            if (len < tc->mss && len < left && inflight > 0 && usable < tc->max_snd_wnd / 2)
                break;
            fin = (tc->flags & TCP_F_FIN_QUEUED) && len == left;
            if (conn_send(
                    ts, tc, tc->snd_nxt,
                    (uint8_t)((len == left ? RTE_TCP_PSH_FLAG : 0) | (fin ? RTE_TCP_FIN_FLAG : 0)),
                    tc->snd_nxt - tc->snd_una, (uint16_t)len))
                break;
            sent(ts, tc, tc->snd_nxt, len + (uint32_t)fin, fin);
            if (fin)
                break;
        } else if ((tc->flags & TCP_F_FIN_QUEUED) && !(tc->flags & TCP_F_FIN_ACKED) &&
                   tc->snd_nxt == end) {
            if (conn_send(ts, tc, tc->snd_nxt, RTE_TCP_FIN_FLAG, 0, 0))
                break;
            sent(ts, tc, tc->snd_nxt, 1, 1);
            break;
        } else {
            break;
        }
    }
    /* nothing in flight and something to send: a zero window (persist) or no mbuf (retry) */
    if (tc->snd_max == tc->snd_una && !tc->t_rtx &&
        (SEQ_LT(tc->snd_nxt, end) ||
         ((tc->flags & TCP_F_FIN_QUEUED) && !(tc->flags & TCP_F_FIN_ACKED)))) {
        if (tc->snd_wnd == 0) {
            tc->flags |= TCP_F_PERSIST;
            tc->backoff = 0;
        }
        tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
        tcp_timer_sched(ts, tc);
    }
}

void tcp_retransmit_first(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t end = data_end(ts, tc);
    uint32_t len = SEQ_GT(end, tc->snd_una) ? TCP_MIN(end - tc->snd_una, (uint32_t)tc->mss) : 0;
    int fin = (tc->flags & TCP_F_FIN_SENT) && tc->snd_una + len == tc->fin_seq;

    if (!can_send_data(tc->state) || (len == 0 && !fin))
        return;
    if (conn_send(ts, tc, tc->snd_una, (uint8_t)(fin ? RTE_TCP_FIN_FLAG : 0), 0, (uint16_t)len))
        return;
    sent(ts, tc, tc->snd_una, len + (uint32_t)fin, fin);
}

void tcp_send_ack(struct tcp_stack *ts, struct tcp_conn *tc)
{
    conn_send(ts, tc, tc->snd_nxt, 0, 0, 0);
}

void tcp_send_challenge_ack(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t sec = ts->now_us / 1000000;

    if (sec != ts->challenge_sec) {
        ts->challenge_sec = sec;
        ts->challenge_left = TCP_CHALLENGE_ACKS_PER_S;
    }
    if (ts->challenge_left == 0)
        return;
    ts->challenge_left--;
    ts->st.challenge_acks++;
    tcp_send_ack(ts, tc);
}

void tcp_send_probe(struct tcp_stack *ts, struct tcp_conn *tc)
{
    conn_send(ts, tc, tc->snd_una - 1, 0, 0, 0);
}

void tcp_ack_owed(struct tcp_stack *ts, struct tcp_conn *tc, int now)
{
    tc->flags |= TCP_F_ACK_OWED;
    if (now || ts->cfg.delack_ms == 0) {
        if (!(tc->flags & TCP_F_ACK_NOW)) {
            tc->flags |= TCP_F_ACK_NOW;
            LIST_INSERT_HEAD(&ts->ack_list, tc, alink);
        }
        return;
    }
    if (!tc->t_delack) {
        tc->t_delack = ts->now_us + (uint64_t)ts->cfg.delack_ms * 1000;
        tcp_timer_sched(ts, tc);
    }
}

void tcp_send_syn(struct tcp_stack *ts, struct tcp_conn *tc)
{
    struct seg_hdr h;
    struct rte_mbuf *m;
    int synack = tc->state == TCP_SYN_RCVD;
    uint32_t w = tcp_rcv_window(ts, tc);

    h.saddr = tc->laddr;
    h.daddr = tc->raddr;
    h.sport = tc->lport;
    h.dport = tc->rport;
    h.seq = tc->iss;
    h.ack = synack ? tc->rcv_nxt : 0;
    h.flags = RTE_TCP_SYN_FLAG | (synack ? RTE_TCP_ACK_FLAG : 0);
    h.wnd = (uint16_t)TCP_MIN(w, (uint32_t)TCP_MAX_WIN); /* never scaled in a SYN */
    h.optlen = (uint8_t)put_mss(h.opt, ts->cfg.mss);
    /* SYN_SENT offers everything; a SYN-ACK answers what the peer offered */
    if (!synack || (tc->flags & TCP_F_WS))
        h.optlen = (uint8_t)(h.optlen + put_ws(h.opt + h.optlen, ts->rcv_wscale));
    if (!synack || (tc->flags & TCP_F_TS))
        h.optlen = (uint8_t)(h.optlen + put_ts(h.opt + h.optlen, tcp_ts_now(ts, tc),
                                               synack ? tc->ts_recent : 0));
    m = seg_build(ts, &h, 0, NULL);
    if (!m)
        return;
    if (synack) {
        tc->rcv_adv = tc->rcv_nxt + h.wnd;
        tc->last_ack_sent = tc->rcv_nxt;
    }
    if (SEQ_LT(tc->snd_nxt, tc->iss + 1))
        tc->snd_nxt = tc->iss + 1;
    if (SEQ_LT(tc->snd_max, tc->iss + 1))
        tc->snd_max = tc->iss + 1;
    tc->last_snd_us = ts->now_us;
    seg_xmit(ts, m, tc->laddr, tc->raddr);
}

void tcp_send_rst(struct tcp_stack *ts, struct tcp_conn *tc)
{
    struct seg_hdr h;
    struct rte_mbuf *m;

    h.saddr = tc->laddr;
    h.daddr = tc->raddr;
    h.sport = tc->lport;
    h.dport = tc->rport;
    h.seq = tc->snd_nxt;
    h.ack = tc->rcv_nxt;
    h.flags = RTE_TCP_RST_FLAG | (tc->state == TCP_SYN_SENT ? 0 : RTE_TCP_ACK_FLAG);
    h.wnd = 0;
    h.optlen = 0;
    m = seg_build(ts, &h, 0, NULL);
    if (!m)
        return;
    ts->st.rst_out++;
    seg_xmit(ts, m, tc->laddr, tc->raddr);
}

void tcp_send_rst_reply(struct tcp_stack *ts, const struct tcp_seg *seg)
{
    struct seg_hdr h;
    struct rte_mbuf *m;

    if (seg->flags & RTE_TCP_RST_FLAG)
        return; /* never answer a RST */
    h.saddr = seg->daddr;
    h.daddr = seg->saddr;
    h.sport = seg->dport;
    h.dport = seg->sport;
    if (seg->flags & RTE_TCP_ACK_FLAG) {
        h.seq = seg->ack;
        h.ack = 0;
        h.flags = RTE_TCP_RST_FLAG;
    } else {
        h.seq = 0;
        h.ack = seg->seq + seg->dlen + !!(seg->flags & RTE_TCP_SYN_FLAG) +
                !!(seg->flags & RTE_TCP_FIN_FLAG);
        h.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
    }
    h.wnd = 0;
    h.optlen = 0;
    m = seg_build(ts, &h, 0, NULL);
    if (!m)
        return;
    ts->st.rst_out++;
    seg_xmit(ts, m, h.saddr, h.daddr);
}

void tcp_send_cookie_synack(struct tcp_stack *ts, const struct tcp_seg *seg, uint32_t cookie,
                            uint16_t mss)
{
    struct seg_hdr h;
    struct rte_mbuf *m;

    (void)mss; /* the peer learns our MSS; the cookie keeps its own */
    h.saddr = seg->daddr;
    h.daddr = seg->saddr;
    h.sport = seg->dport;
    h.dport = seg->sport;
    h.seq = cookie;
    h.ack = seg->seq + 1;
    h.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
    h.wnd = (uint16_t)TCP_MIN(ts->cfg.rcv_wnd, (uint32_t)TCP_MAX_WIN);
    h.optlen = (uint8_t)put_mss(h.opt, ts->cfg.mss);
    m = seg_build(ts, &h, 0, NULL);
    if (!m)
        return;
    ts->st.syn_cookies_sent++;
    seg_xmit(ts, m, h.saddr, h.daddr);
}

/* --- the ACK field: send window, RTT and RTO (RFC 6298), NewReno (RFC 5681/6582) --- */

uint32_t tcp_rto_value(const struct tcp_stack *ts, const struct tcp_conn *tc)
{
    (void)ts;
    return tc->rto_us;
}

/* RFC 6298 §2: a new RTT measurement @r (µs). */
static void rtt_sample(struct tcp_stack *ts, struct tcp_conn *tc, uint64_t r)
{
    uint64_t rto, var4;

    if (r == 0)
        r = 1; /* srtt 0 means "no sample yet" */
    if (r > UINT32_MAX / 8)
        r = UINT32_MAX / 8;
    if (tc->srtt_us == 0) {
        tc->srtt_us = (uint32_t)r;
        tc->rttvar_us = (uint32_t)(r / 2);
    } else {
        uint64_t delta = tc->srtt_us > r ? tc->srtt_us - r : r - tc->srtt_us;
        tc->rttvar_us = (uint32_t)((3 * (uint64_t)tc->rttvar_us + delta) / 4);
        tc->srtt_us = (uint32_t)((7 * (uint64_t)tc->srtt_us + r) / 8);
    }
    var4 = 4 * (uint64_t)tc->rttvar_us;
    rto = tc->srtt_us + (var4 > TCP_TICK_US ? var4 : TCP_TICK_US);
    if (rto < (uint64_t)ts->cfg.rto_min_ms * 1000)
        rto = (uint64_t)ts->cfg.rto_min_ms * 1000;
    if (rto > (uint64_t)ts->cfg.rto_max_ms * 1000)
        rto = (uint64_t)ts->cfg.rto_max_ms * 1000;
    tc->rto_us = (uint32_t)rto;
}

void tcp_rtx_timer_update(struct tcp_stack *ts, struct tcp_conn *tc)
{
    if ((tc->flags & TCP_F_PERSIST) && tc->snd_wnd == 0)
        return; /* still probing */
    tc->flags &= ~TCP_F_PERSIST;
    if (tc->snd_max == tc->snd_una)
        tc->t_rtx = 0;
    else
        tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
    tcp_timer_sched(ts, tc);
}

void tcp_update_snd_wnd(struct tcp_conn *tc, const struct tcp_seg *seg)
{
    if (SEQ_LT(tc->snd_wl1, seg->seq) ||
        (tc->snd_wl1 == seg->seq && SEQ_LEQ(tc->snd_wl2, seg->ack))) {
        tc->snd_wnd = seg->wnd << tc->snd_wscale;
        tc->snd_wl1 = seg->seq;
        tc->snd_wl2 = seg->ack;
        if (tc->snd_wnd > tc->max_snd_wnd)
            tc->max_snd_wnd = tc->snd_wnd;
    }
}

static void cwnd_open(struct tcp_conn *tc, uint32_t acked)
{
    uint32_t mss = tc->mss;

    if (tc->cwnd < tc->ssthresh) /* slow start: at most one MSS per ACK (RFC 5681 §3.1) */
        tc->cwnd += TCP_MIN(acked, mss);
    else /* congestion avoidance: about one MSS per RTT */
        tc->cwnd += TCP_MAX(1u, mss * mss / tc->cwnd);
    if (tc->cwnd > TCP_CWND_MAX)
        tc->cwnd = TCP_CWND_MAX;
}

/* RFC 6582 §3.2 step 2: the third duplicate ACK. */
static void fast_retransmit(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t flight = tc->snd_max - tc->snd_una;

    tc->ssthresh = TCP_MAX(flight / 2, 2u * tc->mss);
    tc->recover = tc->snd_max - 1;
    tc->flags |= TCP_F_RECOVERY;
    ts->st.fast_retransmits++;
    tcp_retransmit_first(ts, tc);
    tc->cwnd = tc->ssthresh + TCP_DUPACK_THRESH * (uint32_t)tc->mss;
}

/* New data acknowledged: @acked sequence numbers. */
static void cc_ack(struct tcp_stack *ts, struct tcp_conn *tc, uint32_t acked)
{
    if (!(tc->flags & TCP_F_RECOVERY)) {
        tc->dupacks = 0;
        cwnd_open(tc, acked);
        return;
    }
    if (SEQ_GT(tc->snd_una, tc->recover)) { /* full ACK: leave recovery (RFC 6582 §3.2 step 3) */
        uint32_t flight = tc->snd_max - tc->snd_una;
        tc->cwnd = TCP_MIN(tc->ssthresh, TCP_MAX(flight, (uint32_t)tc->mss) + tc->mss);
        tc->flags &= ~TCP_F_RECOVERY;
        tc->dupacks = 0;
        return;
    }
    /* partial ACK: retransmit the next hole, deflate by what was acknowledged */
    tcp_retransmit_first(ts, tc);
    tc->cwnd = tc->cwnd > acked ? tc->cwnd - acked : 0;
    if (acked >= tc->mss)
        tc->cwnd += tc->mss;
    if (tc->cwnd < tc->mss)
        tc->cwnd = tc->mss;
}

static void cc_dupack(struct tcp_stack *ts, struct tcp_conn *tc)
{
    if (tc->dupacks < UINT8_MAX)
        tc->dupacks++;
    if (tc->flags & TCP_F_RECOVERY) {
        tc->cwnd += tc->mss; /* one more segment left the network */
        if (tc->cwnd > TCP_CWND_MAX)
            tc->cwnd = TCP_CWND_MAX;
        return;
    }
    if (tc->dupacks == TCP_DUPACK_THRESH && SEQ_GT(tc->snd_una, tc->recover))
        fast_retransmit(ts, tc);
}

int tcp_ack_input(struct tcp_stack *ts, struct tcp_conn *tc, const struct tcp_seg *seg)
{
    uint32_t ack = seg->ack;
    int wnd_same = (seg->wnd << tc->snd_wscale) == tc->snd_wnd;

    if (SEQ_GT(ack, tc->snd_max)) { /* acknowledges something never sent */
        tcp_send_ack(ts, tc);
        return -1;
    }
    if (SEQ_LT(ack, tc->snd_una - tc->max_snd_wnd)) { /* RFC 5961 §5.2: too old */
        tcp_send_challenge_ack(ts, tc);
        return -1;
    }
    if (SEQ_GT(ack, tc->snd_una)) {
        uint32_t acked = ack - tc->snd_una, data = acked;
        if (SEQ_LEQ(tc->snd_una, tc->iss)) /* our SYN */
            data--;
        if ((tc->flags & TCP_F_FIN_SENT) && SEQ_GT(ack, tc->fin_seq)) {
            tc->flags |= TCP_F_FIN_ACKED;
            data--;
        }
        tc->snd_una = ack;
        if (SEQ_LT(tc->snd_nxt, ack))
            tc->snd_nxt = ack;
        if ((tc->flags & TCP_F_RTT_TIMING) && SEQ_GEQ(ack, tc->rtt_seq)) {
            tc->flags &= ~TCP_F_RTT_TIMING;
            rtt_sample(ts, tc, ts->now_us - tc->rtt_start_us);
        }
        tc->retries = 0;
        tc->probes = 0; /* progress */
        tcp_update_snd_wnd(tc, seg);
        /* the application drops the bytes first: out_peek offsets count from snd_una, and a
         * recovery retransmission below peeks at offset 0 */
        if (data && (tc->flags & TCP_F_APP)) {
            ts->app->out_acked(tc->ctx, data);
            if (tc->flags & TCP_F_DEAD)
                return -1;
        }
        cc_ack(ts, tc, acked);
        tcp_rtx_timer_update(ts, tc);
        return 0;
    }
    if (ack == tc->snd_una && seg->dlen == 0 &&
        !(seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) && tc->snd_max != tc->snd_una &&
        wnd_same)
        cc_dupack(ts, tc);
    if (!(tc->flags & TCP_F_FIN_QUEUED))
        tc->probes = 0; /* the peer answers: a zero window is not a dead peer */
    tcp_update_snd_wnd(tc, seg);
    if ((tc->flags & TCP_F_PERSIST) && tc->snd_wnd) {
        tc->flags &= ~TCP_F_PERSIST;
        tc->t_rtx = 0;
        tcp_timer_sched(ts, tc);
    }
    return 0;
}
