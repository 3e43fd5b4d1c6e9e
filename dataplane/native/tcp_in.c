/*
 * tcp_in.c - the receive side of dpcache's TCP: tcp_input (validation of the TCP header and
 * options, demultiplexing), the RFC 9293 §3.10.7 segment-arrival rules for every state, and the
 * received data (in-order delivery, the queue the application has not taken, the out-of-order
 * queue, the peer's FIN, the window we advertise).
 *
 *   no connection   RST per §3.10.7.1, or a listener: SYN -> SYN_RCVD (or a SYN cookie when
 *                   the half-open connections reach cfg.syn_backlog), ACK -> SYN cookie check
 *   SYN_SENT        §3.10.7.3: SYN-ACK -> ESTABLISHED, SYN -> SYN_RCVD (simultaneous open)
 *   the others      §3.10.7.4 in order: PAWS (RFC 7323 §5), sequence acceptability, RST
 *                   (RFC 5961 §3: exact -> reset, in window -> challenge ACK), SYN (RFC 5961 §4:
 *                   challenge ACK), ACK (tcp_out.c; SYN_RCVD -> ESTABLISHED), data and FIN,
 *                   then our state changes on the FIN being acknowledged.
 *
 * Malformed segments (data offset below 5 or past the segment, SYN with FIN or RST, zero port)
 * are dropped and counted; broken options end option parsing (as in Linux) rather than drop
 * the segment. Options are read only within the header, byte by byte.
 *
 * Received-data bounds: the receive queue holds at most cfg.rcv_wnd bytes (the window shrinks
 * by what it holds); the out-of-order queue at most cfg.ooo_max bytes in TCP_OOO_SEGS_MAX
 * disjoint segments, all inside the advertised window; and every held mbuf needs a node from
 * the stack's pool (cfg.rx_segs_max), so the mbufs TCP holds are bounded for the whole core.
 * Data that cannot be held is dropped unacknowledged (rx_held_full): the peer sends it again.
 * Small in-order segments are copied into the tailroom of the queue's last mbuf when it fits,
 * so a slow reader of small segments does not pin one mbuf per segment.
 */
#include "tcp_impl.h"

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

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int tcp_parse(const uint8_t *p, uint16_t len, struct tcp_seg *seg)
{
    unsigned hlen, i;

    if (len < TCP_HDR_MIN)
        return -1;
    hlen = (unsigned)(p[12] >> 4) * 4;
    if (hlen < TCP_HDR_MIN || hlen > len)
        return -1;
    memcpy(&seg->sport, p, 2);
    memcpy(&seg->dport, p + 2, 2);
    seg->seq = get32(p + 4);
    seg->ack = get32(p + 8);
    seg->flags = p[13];
    seg->wnd = (uint32_t)p[14] << 8 | p[15];
    seg->hlen = (uint16_t)hlen;
    seg->dlen = (uint16_t)(len - hlen);
    seg->mss = 0;
    seg->ws = 0xff;
    seg->has_ts = 0;
    seg->tsval = seg->tsecr = 0;
    for (i = TCP_HDR_MIN; i < hlen;) {
        unsigned kind = p[i], olen;
        if (kind == TCPOPT_EOL)
            break;
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= hlen)
            break; /* truncated */
        olen = p[i + 1];
        if (olen < 2 || i + olen > hlen)
            break; /* length 0/1 would loop; past the header is truncated */
        switch (kind) {
        case TCPOPT_MSS:
            if (olen == TCPOLEN_MSS && (seg->flags & RTE_TCP_SYN_FLAG))
                seg->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
            break;
        case TCPOPT_WS:
            if (olen == TCPOLEN_WS && (seg->flags & RTE_TCP_SYN_FLAG))
                seg->ws = p[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[i + 2];
            break;
        case TCPOPT_TS:
            if (olen == TCPOLEN_TS) {
                seg->has_ts = 1;
                seg->tsval = get32(p + i + 2);
                seg->tsecr = get32(p + i + 6);
            }
            break;
        default: break;
        }
        i += olen;
    }
    return 0;
}

static const struct tcp_listener *find_listener(const struct tcp_stack *ts, uint32_t addr,
                                                uint16_t port)
{
    for (unsigned i = 0; i < ts->nlisten; i++)
        if (ts->listen[i].port == port && (ts->listen[i].addr == 0 || ts->listen[i].addr == addr))
            return &ts->listen[i];
    return NULL;
}

static void drop_bad(struct tcp_stack *ts, struct rte_mbuf *m)
{
    ts->st.bad_segments++;
    rte_pktmbuf_free(m);
}

static uint16_t peer_mss(const struct tcp_seg *seg)
{
    if (!seg->mss)
        return TCP_DEFAULT_MSS;
    return seg->mss < TCP_MIN_MSS ? TCP_MIN_MSS : seg->mss;
}

static int table_full(const struct tcp_stack *ts)
{
    return ts->nfree == 0 && TAILQ_EMPTY(&ts->tw_list);
}

static void conn_input(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                       struct tcp_seg *seg);

/* The final ACK of a SYN cookie handshake: a connection straight in ESTABLISHED. */
static void cookie_establish(struct tcp_stack *ts, struct rte_mbuf *m, struct tcp_seg *seg,
                             uint16_t mss)
{
    struct tcp_conn *tc =
        tcp_conn_new(ts, seg->saddr, seg->sport, seg->daddr, seg->dport, TCP_SYN_RCVD);

    if (!tc) {
        ts->st.conns_refused++;
        tcp_send_rst_reply(ts, seg);
        rte_pktmbuf_free(m);
        return;
    }
    tc->flags |= TCP_F_COOKIE;
    tc->irs = seg->seq - 1;
    tc->rcv_nxt = seg->seq;
    tcp_conn_init_send(ts, tc, seg->ack - 1, mss);
    tc->snd_una = tc->snd_nxt = tc->snd_max = seg->ack;
    tc->rcv_adv = tc->rcv_nxt + TCP_MIN(ts->cfg.rcv_wnd, (uint32_t)TCP_MAX_WIN);
    tc->last_ack_sent = tc->rcv_nxt;
    tc->snd_wnd = tc->max_snd_wnd = seg->wnd;
    tc->snd_wl1 = seg->seq;
    tc->snd_wl2 = seg->ack;
    tcp_conn_hold(tc);
    if (tcp_conn_established(ts, tc) == 0)
        conn_input(ts, tc, m, seg); /* its data, FIN */
    else
        rte_pktmbuf_free(m);
    tcp_conn_unhold(ts, tc);
}

/* A SYN to a listener. */
static void listen_syn(struct tcp_stack *ts, struct rte_mbuf *m, struct tcp_seg *seg)
{
    struct tcp_conn *tc;

    rte_pktmbuf_free(m); /* data on a SYN is not accepted (no TFO): the peer sends it again */
    if (table_full(ts)) {
        ts->st.conns_refused++;
        tcp_send_rst_reply(ts, seg);
        return;
    }
    if (ts->half_open >= ts->cfg.syn_backlog) {
        uint16_t mss;
        uint32_t cookie = tcp_cookie_make(ts, seg, TCP_MIN(peer_mss(seg), ts->cfg.mss), &mss);
        tcp_send_cookie_synack(ts, seg, cookie, mss);
        ts->cookie_last_us = ts->now_us + 1;
        return;
    }
    tc = tcp_conn_new(ts, seg->saddr, seg->sport, seg->daddr, seg->dport, TCP_SYN_RCVD);
    if (!tc) {
        ts->st.conns_refused++;
        tcp_send_rst_reply(ts, seg);
        return;
    }
    tc->irs = seg->seq;
    tc->rcv_nxt = seg->seq + 1;
    if (seg->ws != 0xff) {
        tc->flags |= TCP_F_WS;
        tc->snd_wscale = seg->ws;
        tc->rcv_wscale = ts->rcv_wscale;
    }
    if (seg->has_ts) {
        tc->flags |= TCP_F_TS;
        tc->ts_recent = seg->tsval;
        tc->ts_offset = tcp_ts_offset(ts, tc->laddr, tc->lport, tc->raddr, tc->rport);
    }
    tcp_conn_init_send(ts, tc, tcp_isn(ts, tc->laddr, tc->lport, tc->raddr, tc->rport),
                       peer_mss(seg));
    tc->snd_wnd = tc->max_snd_wnd = seg->wnd; /* never scaled in a SYN */
    tc->snd_wl1 = seg->seq;
    tcp_send_syn(ts, tc);
    tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
    tcp_timer_sched(ts, tc);
}

/* A segment for which no connection exists. */
static void no_conn_input(struct tcp_stack *ts, struct rte_mbuf *m, struct tcp_seg *seg)
{
    uint8_t fl = seg->flags;

    if (!find_listener(ts, seg->daddr, seg->dport) || (fl & RTE_TCP_RST_FLAG)) {
        tcp_send_rst_reply(ts, seg); /* nothing for a RST */
        rte_pktmbuf_free(m);
        return;
    }
    if (fl & RTE_TCP_ACK_FLAG) {
        uint16_t mss;
        /* a SYN cookie's final ACK, while cookies are recent enough to be valid */
        if (!(fl & RTE_TCP_SYN_FLAG) && ts->cookie_last_us &&
            ts->now_us + 1 - ts->cookie_last_us < 2 * TCP_COOKIE_PERIOD_US &&
            tcp_cookie_check(ts, seg, &mss) == 0) {
            cookie_establish(ts, m, seg, mss);
            return;
        }
        ts->st.bad_segments++;
        tcp_send_rst_reply(ts, seg);
        rte_pktmbuf_free(m);
        return;
    }
    if (!(fl & RTE_TCP_SYN_FLAG)) {
        drop_bad(ts, m);
        return;
    }
    listen_syn(ts, m, seg);
}

/* SYN_SENT (RFC 9293 §3.10.7.3). */
static void syn_sent_input(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                           const struct tcp_seg *seg)
{
    uint8_t fl = seg->flags;

    rte_pktmbuf_free(m); /* data on a SYN-ACK is not taken: the peer sends it again */
    if ((fl & RTE_TCP_ACK_FLAG) && (SEQ_LEQ(seg->ack, tc->iss) || SEQ_GT(seg->ack, tc->snd_max))) {
        ts->st.bad_segments++;
        tcp_send_rst_reply(ts, seg);
        return;
    }
    if (fl & RTE_TCP_RST_FLAG) {
        if (fl & RTE_TCP_ACK_FLAG) { /* connection refused */
            ts->st.rst_in++;
            tcp_conn_kill(ts, tc, 1);
        } else {
            ts->st.bad_segments++;
        }
        return;
    }
    if (!(fl & RTE_TCP_SYN_FLAG)) {
        ts->st.bad_segments++;
        return;
    }
    tc->irs = seg->seq;
    tc->rcv_nxt = seg->seq + 1;
    if (seg->ws != 0xff) {
        tc->flags |= TCP_F_WS;
        tc->snd_wscale = seg->ws;
    } else {
        tc->rcv_wscale = 0;
    }
    if (seg->has_ts) {
        tc->ts_recent = seg->tsval;
    } else {
        tc->flags &= ~TCP_F_TS;
    }
    tcp_conn_set_mss(ts, tc, peer_mss(seg));
    tc->snd_wnd = tc->max_snd_wnd = seg->wnd;
    tc->snd_wl1 = seg->seq;
    tc->snd_wl2 = seg->ack;
    if (fl & RTE_TCP_ACK_FLAG) {
        tc->snd_una = seg->ack;
        if (tc->retries)
            tc->rto_us = ts->cfg.rto_init_ms * 1000; /* RFC 6298 §5.7 */
        tc->retries = 0;
        tc->t_rtx = 0;
        tcp_timer_sched(ts, tc);
        tc->rcv_adv = tc->rcv_nxt;
        tcp_send_ack(ts, tc);
        tcp_conn_established(ts, tc);
        return;
    }
    /* simultaneous open: SYN_RCVD, our SYN again with the ACK */
    tcp_set_state(ts, tc, TCP_SYN_RCVD);
    tcp_send_syn(ts, tc);
}

/* RFC 9293 §3.10.7.4 first check, with RFC 9293's note that a segment overlapping the window
 * is acceptable; the caller trims it. */
static int seq_acceptable(const struct tcp_conn *tc, uint32_t seq, uint32_t seglen)
{
    uint32_t wnd = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;

    if (seglen == 0) {
        if (wnd == 0)
            return seq == tc->rcv_nxt;
        return SEQ_LEQ(tc->rcv_nxt, seq) && SEQ_LT(seq, tc->rcv_nxt + wnd);
    }
    if (wnd == 0)
        return 0;
    return SEQ_GT(seq + seglen, tc->rcv_nxt) && SEQ_LT(seq, tc->rcv_nxt + wnd);
}

/* Our FIN was acknowledged (or anything else moved): state changes after the ACK field.
 * Returns -1 when the connection is gone. */
static int after_ack(struct tcp_stack *ts, struct tcp_conn *tc)
{
    if (!(tc->flags & TCP_F_FIN_ACKED))
        return 0;
    switch (tc->state) {
    case TCP_FIN_WAIT_1:
        tcp_set_state(ts, tc, TCP_FIN_WAIT_2);
        tcp_idle_timer_update(ts, tc);
        return 0;
    case TCP_CLOSING: tcp_enter_time_wait(ts, tc); return 0;
    case TCP_LAST_ACK: tcp_conn_kill(ts, tc, 1); return -1;
    default: return 0;
    }
}

/* Every state but SYN_SENT. */
static void sync_input(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                       const struct tcp_seg *in, int paws)
{
    struct tcp_seg simul;
    const struct tcp_seg *seg = in;
    uint8_t fl = seg->flags, ctl = fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG);
    uint32_t seglen;
    int ack_only = 0;

    if (tc->state == TCP_SYN_RCVD && ctl == RTE_TCP_SYN_FLAG && seg->seq == tc->irs) {
        tcp_send_syn(ts, tc); /* the peer did not get our SYN-ACK */
        rte_pktmbuf_free(m);
        return;
    }
    if (tc->state == TCP_SYN_RCVD && !(tc->flags & TCP_F_PASSIVE) &&
        ctl == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) && seg->seq == tc->irs &&
        seg->ack == tc->snd_nxt) {
        /* simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK acknowledges our SYN;
         * its SYN is the one we have, the rest is an ACK */
        simul = *in;
        simul.flags &= (uint8_t)~RTE_TCP_SYN_FLAG;
        simul.seq++;
        seg = &simul;
        fl = seg->flags;
    }
    seglen = seg->dlen + !!(fl & RTE_TCP_SYN_FLAG) + !!(fl & RTE_TCP_FIN_FLAG);
    /* PAWS (RFC 7323 §5.3) */
    if (paws && (tc->flags & TCP_F_TS) && seg->has_ts && !(fl & RTE_TCP_RST_FLAG) &&
        SEQ_LT(seg->tsval, tc->ts_recent)) {
        ts->st.bad_segments++;
        tcp_send_ack(ts, tc);
        rte_pktmbuf_free(m);
        return;
    }
    if (!seq_acceptable(tc, seg->seq, seglen)) {
        uint32_t wnd = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
        if (wnd == 0 && seg->seq == tc->rcv_nxt && !(fl & (RTE_TCP_RST_FLAG | RTE_TCP_SYN_FLAG))) {
            ack_only = 1; /* a probe of our zero window: its ACK still counts */
        } else {
            ts->st.bad_segments++;
            if (!(fl & RTE_TCP_RST_FLAG))
                tcp_send_ack(ts, tc);
            rte_pktmbuf_free(m);
            return;
        }
    }
    if (fl & RTE_TCP_RST_FLAG) {
        rte_pktmbuf_free(m);
        if (seg->seq != tc->rcv_nxt) { /* RFC 5961 §3.2 */
            ts->st.bad_segments++;
            tcp_send_challenge_ack(ts, tc);
            return;
        }
        ts->st.rst_in++;
        tcp_conn_kill(ts, tc, 1); /* passive SYN_RCVD: no application, back to LISTEN */
        return;
    }
    if (fl & RTE_TCP_SYN_FLAG) { /* RFC 5961 §4.2 */
        ts->st.bad_segments++;
        tcp_send_challenge_ack(ts, tc);
        rte_pktmbuf_free(m);
        return;
    }
    if (!(fl & RTE_TCP_ACK_FLAG)) {
        drop_bad(ts, m);
        return;
    }
    if (seg->has_ts && (tc->flags & TCP_F_TS) && SEQ_GEQ(seg->tsval, tc->ts_recent) &&
        SEQ_LEQ(seg->seq, tc->last_ack_sent))
        tc->ts_recent = seg->tsval; /* RFC 7323 §4.3 */
    if (tc->state == TCP_SYN_RCVD) {
        if (SEQ_LEQ(seg->ack, tc->snd_una) || SEQ_GT(seg->ack, tc->snd_max)) {
            ts->st.bad_segments++;
            tcp_send_rst_reply(ts, seg);
            rte_pktmbuf_free(m);
            return;
        }
        tc->snd_wnd = seg->wnd << tc->snd_wscale;
        if (tc->snd_wnd > tc->max_snd_wnd)
            tc->max_snd_wnd = tc->snd_wnd;
        tc->snd_wl1 = seg->seq;
        tc->snd_wl2 = seg->ack;
        if (tc->retries)
            tc->rto_us = ts->cfg.rto_init_ms * 1000; /* RFC 6298 §5.7 */
        tc->retries = 0;
        tc->t_rtx = 0;
        tcp_timer_sched(ts, tc);
        if (tcp_conn_established(ts, tc)) {
            rte_pktmbuf_free(m);
            return;
        }
    }
    if (tcp_ack_input(ts, tc, seg) || after_ack(ts, tc)) {
        if (!(tc->flags & TCP_F_DEAD))
            ts->st.bad_segments++;
        rte_pktmbuf_free(m);
        return;
    }
    if (ack_only) {
        rte_pktmbuf_free(m);
        tcp_send_ack(ts, tc);
        return;
    }
    if (seg->dlen || (fl & RTE_TCP_FIN_FLAG)) {
        tcp_rcv_data(ts, tc, m, seg->seq, !!(fl & RTE_TCP_FIN_FLAG));
        return;
    }
    rte_pktmbuf_free(m);
}

/* A segment for connection @tc; @m's data is the payload. */
static void conn_input(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                       struct tcp_seg *seg)
{
    /* RFC 7323 §5.5: after 24 days of silence TS.Recent is too old to judge by */
    int paws = ts->now_us - tc->last_rcv_us < TCP_PAWS_IDLE_US;

    tcp_conn_hold(tc);
    tc->last_rcv_us = ts->now_us;
    tc->probes = (tc->flags & TCP_F_KEEPALIVE) ? 0 : tc->probes;
    if (tc->state == TCP_SYN_SENT)
        syn_sent_input(ts, tc, m, seg);
    else
        sync_input(ts, tc, m, seg, paws);
    if (!(tc->flags & TCP_F_DEAD))
        tcp_output(ts, tc);
    tcp_conn_unhold(ts, tc);
}

/* A SYN that may take over a TIME_WAIT connection's 4-tuple (RFC 9293 §3.6.1, RFC 6191). */
static int tw_reusable(const struct tcp_conn *tc, const struct tcp_seg *seg)
{
    if ((seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) != RTE_TCP_SYN_FLAG)
        return 0;
    if ((tc->flags & TCP_F_TS) && seg->has_ts)
        return SEQ_GT(seg->tsval, tc->ts_recent);
    return SEQ_GT(seg->seq, tc->rcv_nxt);
}

void tcp_input(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr,
               uint16_t len)
{
    struct tcp_seg seg;
    struct tcp_conn *tc;
    uint8_t fl;

    ts->st.segs_in++;
    /* one contiguous segment of exactly @len bytes (a chain is flattened if it fits) */
    if ((m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) || rte_pktmbuf_data_len(m) < len) {
        drop_bad(ts, m);
        return;
    }
    if (rte_pktmbuf_data_len(m) > len)
        rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
    if (tcp_parse(rte_pktmbuf_mtod(m, const uint8_t *), len, &seg)) {
        drop_bad(ts, m);
        return;
    }
    fl = seg.flags;
    if (((fl & RTE_TCP_SYN_FLAG) && (fl & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))) ||
        seg.sport == 0 || seg.dport == 0) {
        drop_bad(ts, m);
        return;
    }
    seg.saddr = saddr;
    seg.daddr = daddr;
    rte_pktmbuf_adj(m, seg.hlen); /* m's data is now the payload */
    tc = tcp_conn_lookup(ts, saddr, seg.sport, daddr, seg.dport);
    if (tc && tc->state == TCP_TIME_WAIT && !tc->busy && tw_reusable(tc, &seg)) {
        tcp_conn_kill(ts, tc, 0);
        tc = NULL;
    }
    if (!tc)
        no_conn_input(ts, m, &seg);
    else
        conn_input(ts, tc, m, &seg);
}

/* --- received data: delivery, receive queue, out-of-order queue, window ------------ */

static struct tcp_qnode *qnode_get(struct tcp_stack *ts)
{
    struct tcp_qnode *n = ts->qfree;

    if (!n)
        return NULL;
    ts->qfree = n->next;
    ts->qnodes_used++;
    n->next = NULL;
    n->fin = 0;
    return n;
}

static void qnode_put(struct tcp_stack *ts, struct tcp_qnode *n)
{
    n->m = NULL;
    n->next = ts->qfree;
    ts->qfree = n;
    ts->qnodes_used--;
}

static inline uint32_t mlen(const struct rte_mbuf *m)
{
    return rte_pktmbuf_data_len(m);
}

uint32_t tcp_rcv_window(const struct tcp_stack *ts, const struct tcp_conn *tc)
{
    uint32_t space = ts->cfg.rcv_wnd > tc->rcvq_bytes ? ts->cfg.rcv_wnd - tc->rcvq_bytes : 0;
    uint32_t maxw = (uint32_t)TCP_MAX_WIN << tc->rcv_wscale;
    uint32_t cur = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
    uint32_t sws = TCP_MIN(ts->cfg.rcv_wnd / 2, (uint32_t)ts->cfg.mss);

    if (space > maxw)
        space = maxw;
    if (space <= cur)
        return cur; /* never shrink the right edge (RFC 9293 §3.8.6.2.2) */
    if (space - cur < sws)
        return cur; /* receiver SWS avoidance: no small increases */
    return space;
}

void tcp_rcv_purge(struct tcp_stack *ts, struct tcp_conn *tc)
{
    struct tcp_qnode *n, *next;

    for (n = tc->rcvq_head; n; n = next) {
        next = n->next;
        rte_pktmbuf_free(n->m);
        qnode_put(ts, n);
    }
    for (n = tc->ooo_head; n; n = next) {
        next = n->next;
        rte_pktmbuf_free(n->m);
        qnode_put(ts, n);
    }
    tc->rcvq_head = tc->rcvq_tail = tc->ooo_head = NULL;
    tc->rcvq_bytes = tc->ooo_bytes = 0;
    tc->ooo_segs = 0;
}

/* Append @m (in-order bytes the application did not take) to the receive queue, reusing
 * @node if given. Returns the bytes queued (0 when nothing could hold them: @m is freed). */
static uint32_t rcvq_append(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                            struct tcp_qnode *node)
{
    uint32_t len = mlen(m);
    struct tcp_qnode *t = tc->rcvq_tail;

    if (t && rte_pktmbuf_tailroom(t->m) >= len && RTE_MBUF_DIRECT(t->m) &&
        rte_mbuf_refcnt_read(t->m) == 1) {
        char *dst = rte_pktmbuf_append(t->m, (uint16_t)len);
        if (dst) {
            memcpy(dst, rte_pktmbuf_mtod(m, const void *), len);
            rte_pktmbuf_free(m);
            if (node)
                qnode_put(ts, node);
            tc->rcvq_bytes += len;
            return len;
        }
    }
    if (!node)
        node = qnode_get(ts);
    if (!node) {
        ts->st.rx_held_full++;
        rte_pktmbuf_free(m);
        return 0;
    }
    node->m = m;
    node->next = NULL;
    node->fin = 0;
    if (t)
        t->next = node;
    else
        tc->rcvq_head = node;
    tc->rcvq_tail = node;
    tc->rcvq_bytes += len;
    return len;
}

/* In-order bytes in @m: give them to the application, queue what it leaves (in @node if
 * given: then nothing can be refused). Returns the bytes accepted; consumes @m and @node. The
 * caller checks TCP_F_DEAD afterwards (the application may abort from recv()). */
static uint32_t rcv_in_order(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                             struct tcp_qnode *node)
{
    uint32_t len = mlen(m), taken = 0;

    if (!(tc->flags & TCP_F_RCV_BLOCKED) && !tc->rcvq_head && (tc->flags & TCP_F_APP)) {
        size_t n = ts->app->recv(tc->ctx, rte_pktmbuf_mtod(m, const uint8_t *), len);
        if ((tc->flags & TCP_F_DEAD) || n >= len) {
            rte_pktmbuf_free(m);
            if (node)
                qnode_put(ts, node);
            return len;
        }
        tc->flags |= TCP_F_RCV_BLOCKED;
        taken = (uint32_t)n;
        rte_pktmbuf_adj(m, (uint16_t)taken);
    }
    return taken + rcvq_append(ts, tc, m, node);
}

/* Deliver in-order @m (at rcv_nxt). When a node is at hand for what the application may leave,
 * rcv_nxt moves before the application runs, so a reply it sends from recv() acknowledges this
 * data; otherwise only what was accepted counts. Returns the bytes accepted. */
static uint32_t deliver(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m,
                        struct tcp_qnode *node)
{
    uint32_t len = mlen(m), acc;

    if (!node)
        node = qnode_get(ts);
    if (node) {
        tc->rcv_nxt += len;
        tc->unacked_bytes += len;
        rcv_in_order(ts, tc, m, node);
        return len;
    }
    acc = rcv_in_order(ts, tc, m, NULL);
    tc->rcv_nxt += acc;
    tc->unacked_bytes += acc;
    return acc;
}

/* Mark the ACK owed for what arrived, unless something we sent since carried it. */
static void ack_if_owed(struct tcp_stack *ts, struct tcp_conn *tc, int now)
{
    if (!(tc->flags & TCP_F_DEAD) && tc->rcv_nxt != tc->last_ack_sent)
        tcp_ack_owed(ts, tc, now);
}

/* The peer's FIN is next in sequence and everything before it was accepted. */
static void fin_in(struct tcp_stack *ts, struct tcp_conn *tc)
{
    int to_tw = 0;

    tc->rcv_nxt++;
    tc->flags |= TCP_F_FIN_RCVD;
    switch (tc->state) {
    case TCP_ESTABLISHED: tcp_set_state(ts, tc, TCP_CLOSE_WAIT); break;
    case TCP_FIN_WAIT_1:
        if (tc->flags & TCP_F_FIN_ACKED)
            to_tw = 1;
        else
            tcp_set_state(ts, tc, TCP_CLOSING);
        break;
    case TCP_FIN_WAIT_2: to_tw = 1; break;
    default: break;
    }
    if (!tc->rcvq_head && (tc->flags & TCP_F_APP) && !(tc->flags & TCP_F_FIN_TOAPP)) {
        tc->flags |= TCP_F_FIN_TOAPP;
        ts->app->peer_fin(tc->ctx);
        if (tc->flags & TCP_F_DEAD)
            return;
    }
    ack_if_owed(ts, tc, 1);
    if (to_tw && (tc->state == TCP_FIN_WAIT_1 || tc->state == TCP_FIN_WAIT_2))
        tcp_enter_time_wait(ts, tc);
}

/* Queue an out-of-order segment [seq, seq + len(m)) (+FIN), keeping the queue sorted and
 * disjoint: the new segment is trimmed against what is already held, and held segments it
 * covers entirely are replaced. */
static void ooo_insert(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m, uint32_t seq,
                       int fin)
{
    struct tcp_qnode *prev = NULL, *cur = tc->ooo_head, *node;
    uint32_t len = mlen(m), end = seq + len;

    while (cur && SEQ_LEQ(cur->seq + mlen(cur->m), seq)) {
        prev = cur;
        cur = cur->next;
    }
    if (cur && SEQ_LEQ(cur->seq, seq)) { /* cur covers our start */
        uint32_t cend = cur->seq + mlen(cur->m);
        if (SEQ_GEQ(cend, end)) { /* nothing new (but maybe the FIN) */
            if (fin && cend == end)
                cur->fin = 1;
            rte_pktmbuf_free(m);
            return;
        }
        rte_pktmbuf_adj(m, (uint16_t)(cend - seq));
        seq = cend;
        len = end - seq;
        prev = cur;
        cur = cur->next;
    }
    while (cur && SEQ_LEQ(cur->seq + mlen(cur->m), end)) { /* covered by the new one */
        struct tcp_qnode *next = cur->next;
        if (cur->fin && cur->seq + mlen(cur->m) == end)
            fin = 1;
        tc->ooo_bytes -= mlen(cur->m);
        tc->ooo_segs--;
        rte_pktmbuf_free(cur->m);
        qnode_put(ts, cur);
        if (prev)
            prev->next = next;
        else
            tc->ooo_head = next;
        cur = next;
    }
    if (cur && SEQ_LT(cur->seq, end)) { /* the next one overlaps our tail */
        uint32_t cut = end - cur->seq;
        rte_pktmbuf_trim(m, (uint16_t)cut);
        len -= cut;
        fin = 0;
    }
    if (len == 0 && !fin) {
        rte_pktmbuf_free(m);
        return;
    }
    if (tc->ooo_segs >= TCP_OOO_SEGS_MAX || tc->ooo_bytes + len > ts->cfg.ooo_max ||
        !(node = qnode_get(ts))) {
        ts->st.rx_held_full++;
        rte_pktmbuf_free(m);
        return;
    }
    node->m = m;
    node->seq = seq;
    node->fin = (uint8_t)fin;
    node->next = cur;
    if (prev)
        prev->next = node;
    else
        tc->ooo_head = node;
    tc->ooo_bytes += len;
    tc->ooo_segs++;
    ts->st.ooo_segments++;
}

/* Move what the out-of-order queue holds at rcv_nxt to the application (each node is reused
 * to hold what it leaves: nothing is refused). Returns whether a FIN became in-order. */
static int ooo_pull(struct tcp_stack *ts, struct tcp_conn *tc)
{
    while (tc->ooo_head && SEQ_LEQ(tc->ooo_head->seq, tc->rcv_nxt)) {
        struct tcp_qnode *n = tc->ooo_head;
        uint32_t len = mlen(n->m), old = tc->rcv_nxt - n->seq;
        int fin = n->fin;

        tc->ooo_head = n->next;
        tc->ooo_bytes -= len;
        tc->ooo_segs--;
        if (old > len || (old == len && !fin)) { /* stale */
            rte_pktmbuf_free(n->m);
            qnode_put(ts, n);
            continue;
        }
        if (old == len) { /* only the FIN is new */
            rte_pktmbuf_free(n->m);
            qnode_put(ts, n);
            return 1;
        }
        rte_pktmbuf_adj(n->m, (uint16_t)old);
        deliver(ts, tc, n->m, n);
        if (tc->flags & TCP_F_DEAD)
            return 0;
        if (fin)
            return 1;
    }
    return 0;
}

int tcp_rcv_data(struct tcp_stack *ts, struct tcp_conn *tc, struct rte_mbuf *m, uint32_t seq,
                 int fin)
{
    uint32_t len = mlen(m), right, acc = 0;
    int had_ooo, fin_now = 0;

    if ((tc->state != TCP_ESTABLISHED && tc->state != TCP_FIN_WAIT_1 &&
         tc->state != TCP_FIN_WAIT_2) ||
        (tc->flags & TCP_F_FIN_RCVD)) {
        rte_pktmbuf_free(m); /* nothing can follow the peer's FIN */
        return 0;
    }
    if (SEQ_LT(seq, tc->rcv_nxt)) { /* trim what we already have */
        uint32_t old = tc->rcv_nxt - seq;
        if (old > len || (old == len && !fin)) {
            rte_pktmbuf_free(m);
            tcp_ack_owed(ts, tc, 1); /* a duplicate: tell the peer where we are */
            return 0;
        }
        rte_pktmbuf_adj(m, (uint16_t)old);
        seq = tc->rcv_nxt;
        len -= old;
    }
    right = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv : tc->rcv_nxt;
    if (SEQ_GT(seq + len, right)) { /* never hold more than the window */
        uint32_t cut = seq + len - right;
        if (cut > len)
            cut = len;
        rte_pktmbuf_trim(m, (uint16_t)cut);
        len -= cut;
        fin = 0;
        tcp_ack_owed(ts, tc, 1);
    }
    if (len == 0 && !fin) {
        rte_pktmbuf_free(m);
        return 0;
    }
    if (seq != tc->rcv_nxt) {
        ooo_insert(ts, tc, m, seq, fin);
        tcp_send_ack(ts, tc); /* duplicate ACK at once (RFC 5681 §4.2) */
        return 0;
    }
    had_ooo = tc->ooo_head != NULL;
    if (len > tc->rcv_mss)
        tc->rcv_mss = (uint16_t)TCP_MIN(len, (uint32_t)UINT16_MAX);
    if (len) {
        acc = deliver(ts, tc, m, NULL);
        if (tc->flags & TCP_F_DEAD)
            return -1;
    } else {
        rte_pktmbuf_free(m);
    }
    if (acc == len) {
        fin_now = fin;
        if (!fin_now && had_ooo) {
            fin_now = ooo_pull(ts, tc);
            if (tc->flags & TCP_F_DEAD)
                return -1;
        }
    }
    if (fin_now) {
        fin_in(ts, tc);
        return (tc->flags & TCP_F_DEAD) ? -1 : 0;
    }
    /* RFC 1122/5681: ACK at least every second full segment, at once when a gap filled */
    ack_if_owed(ts, tc, had_ooo || tc->unacked_bytes >= 2u * tc->rcv_mss || acc < len);
    return 0;
}

int tcp_rcv_resume(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t before = tc->rcvq_bytes;
    uint32_t cur, now;

    tc->flags &= ~TCP_F_RCV_BLOCKED;
    while (tc->rcvq_head && (tc->flags & TCP_F_APP)) {
        struct tcp_qnode *n = tc->rcvq_head;
        uint32_t len = mlen(n->m);
        size_t got = ts->app->recv(tc->ctx, rte_pktmbuf_mtod(n->m, const uint8_t *), len);
        if (tc->flags & TCP_F_DEAD)
            return -1;
        if (got > len)
            got = len;
        tc->rcvq_bytes -= (uint32_t)got;
        if (got < len) {
            rte_pktmbuf_adj(n->m, (uint16_t)got);
            tc->flags |= TCP_F_RCV_BLOCKED;
            break;
        }
        tc->rcvq_head = n->next;
        if (!tc->rcvq_head)
            tc->rcvq_tail = NULL;
        rte_pktmbuf_free(n->m);
        qnode_put(ts, n);
    }
    if (!tc->rcvq_head && (tc->flags & (TCP_F_FIN_RCVD | TCP_F_FIN_TOAPP | TCP_F_APP)) ==
                              (TCP_F_FIN_RCVD | TCP_F_APP)) {
        tc->flags |= TCP_F_FIN_TOAPP;
        ts->app->peer_fin(tc->ctx);
        if (tc->flags & TCP_F_DEAD)
            return -1;
    }
    if (tc->rcvq_bytes == before || !tcp_synchronized(tc->state) || tc->state == TCP_TIME_WAIT)
        return 0;
    /* the window reopened: tell the peer if what it knows is at most half of it */
    cur = SEQ_GT(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
    now = tcp_rcv_window(ts, tc);
    if (2 * (uint64_t)cur <= ts->cfg.rcv_wnd && now >= 2 * (uint64_t)cur && now > cur)
        tcp_ack_owed(ts, tc, 1);
    return 0;
}
