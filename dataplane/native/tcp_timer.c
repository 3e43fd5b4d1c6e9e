/*
 * tcp_timer.c - time in a stack's TCP: the timer wheel, every connection timer, and tcp_poll.
 *
 * A connection has three deadlines (µs, 0 = off):
 *   t_rtx     retransmission (RTO, SYN/SYN-ACK) or, with TCP_F_PERSIST, the persist timer
 *   t_delack  delayed ACK
 *   t_idle    keepalive (ESTABLISHED/CLOSE_WAIT), FIN_WAIT_2 timeout, TIME_WAIT expiry
 * and sits on the wheel once, at the earliest of them (t_due). The wheel has TCP_WHEEL_SLOTS
 * slots of TCP_TICK_US; a connection is in slot (tick of t_due) mod slots, and a slot visit
 * fires what is due and leaves later deadlines (more than one turn away) in place. Scheduling
 * and cancelling are O(1); tcp_poll visits each elapsed tick once (at most one turn however long
 * the gap), so its cost is the elapsed ticks plus the connections in them.
 *
 * tcp_poll(now) is the only source of time: it runs the due timers, then sends the ACKs marked
 * "now" during the iteration that no data segment took with it.
 */
#include "tcp_impl.h"
#include <stdio.h>

void tcp_timer_unlink(struct tcp_stack *ts, struct tcp_conn *tc)
{
    (void)ts;
    if (tc->wlink.le_prev) {
        LIST_REMOVE(tc, wlink);
        tc->wlink.le_prev = NULL;
    }
    tc->t_due = 0;
}

static uint64_t earliest(const struct tcp_conn *tc)
{
    uint64_t due = 0;

    if (tc->t_rtx)
        due = tc->t_rtx;
    if (tc->t_delack && (!due || tc->t_delack < due))
        due = tc->t_delack;
    if (tc->t_idle && (!due || tc->t_idle < due))
        due = tc->t_idle;
    return due;
}

void tcp_timer_sched(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t due = (tc->flags & TCP_F_DEAD) ? 0 : earliest(tc);
    uint64_t tick;

    if (!due) {
        tcp_timer_unlink(ts, tc);
        return;
    }
    if (tc->wlink.le_prev && due == tc->t_due)
        return;
    tcp_timer_unlink(ts, tc);
    tick = due / TCP_TICK_US;
    if (tick <= ts->wheel_tick)
        tick = ts->wheel_tick + 1; /* the current tick is being (or was) visited */
    LIST_INSERT_HEAD(&ts->wheel[tick & (TCP_WHEEL_SLOTS - 1)], tc, wlink);
    tc->t_due = due;
}

void tcp_idle_timer_update(struct tcp_stack *ts, struct tcp_conn *tc)
{
    switch (tc->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        if (ts->cfg.keepalive_s && !(tc->flags & TCP_F_KEEPALIVE)) {
            tc->flags |= TCP_F_KEEPALIVE;
            tc->probes = 0;
            tc->t_idle = tc->last_rcv_us + (uint64_t)ts->cfg.keepalive_s * 1000000;
        }
        break;
    case TCP_FIN_WAIT_2:
        tc->flags &= ~TCP_F_KEEPALIVE;
        tc->t_idle = ts->now_us + (uint64_t)TCP_FIN_WAIT2_MS * 1000;
        break;
    case TCP_TIME_WAIT: break; /* set by tcp_enter_time_wait */
    default:
        tc->flags &= ~TCP_F_KEEPALIVE;
        tc->t_idle = 0;
        break;
    }
    tcp_timer_sched(ts, tc);
}

/* Our give-up: RST to the peer, closed() to the application. Nothing was acknowledged for a
 * while: the peer's RCV.NXT is most likely our SND.UNA, the exact value RFC 5961 wants. */
static void give_up(struct tcp_stack *ts, struct tcp_conn *tc)
{
    tc->snd_nxt = tc->snd_una;
    tcp_send_rst(ts, tc);
    tcp_conn_kill(ts, tc, 1);
}

static void persist_timeout(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t iv;

    if (tc->snd_wnd) {
        tc->flags &= ~TCP_F_PERSIST;
        tcp_output(ts, tc);
        return;
    }
    /* unanswered probes (any ACK resets the count, except once we are closing: a peer that
     * keeps its window shut forever cannot keep a closed connection) */
    if (++tc->probes > ts->cfg.max_retries) {
        give_up(ts, tc);
        return;
    }
    if (tc->backoff < 16)
        tc->backoff++;
    tcp_send_probe(ts, tc);
    ts->st.zero_window_probes++;
    iv = (uint64_t)tcp_rto_value(ts, tc) << tc->backoff;
    if (iv < (uint64_t)ts->cfg.rto_min_ms * 1000)
        iv = (uint64_t)ts->cfg.rto_min_ms * 1000;
    if (iv > (uint64_t)ts->cfg.rto_max_ms * 1000)
        iv = (uint64_t)ts->cfg.rto_max_ms * 1000;
    tc->t_rtx = ts->now_us + iv;
}

static void rto_backoff(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t rto = (uint64_t)tc->rto_us * 2;

    if (rto > (uint64_t)ts->cfg.rto_max_ms * 1000)
        rto = (uint64_t)ts->cfg.rto_max_ms * 1000;
    tc->rto_us = (uint32_t)rto;
}

static void rtx_timeout(struct tcp_stack *ts, struct tcp_conn *tc)
{
    switch (tc->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RCVD:
        if (++tc->retries > ((tc->flags & TCP_F_PASSIVE)
                                 ? TCP_SYNACK_RETRIES
                                 : TCP_MIN(ts->cfg.max_retries, TCP_SYN_RETRIES))) {
            tcp_conn_kill(ts, tc, 1); /* passive: nobody to tell */
            return;
        }
        ts->st.rto_timeouts++;
        ts->st.retransmits++;
        rto_backoff(ts, tc);
        tcp_send_syn(ts, tc);
        tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
        return;
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSING:
    case TCP_LAST_ACK: break;
    default: return;
    }
    if (tc->flags & TCP_F_PERSIST) {
        persist_timeout(ts, tc);
        return;
    }
    if (tc->snd_max == tc->snd_una) { /* nothing in flight: output was held (no mbuf) */
        tcp_output(ts, tc);
        return;
    }
    if (tc->snd_wnd == 0) { /* what is in flight is beyond the peer's window: probe it */
        tc->snd_nxt = tc->snd_una;
        tc->flags |= TCP_F_PERSIST;
        tc->backoff = 0;
        persist_timeout(ts, tc);
        return;
    }
    if (++tc->retries > ts->cfg.max_retries) {
        give_up(ts, tc);
        return;
    }
    ts->st.rto_timeouts++;
    /* RFC 5681 §3.1 eq. 4, RFC 6582 §4: loss window, recover point */
    tc->ssthresh = TCP_MAX((tc->snd_max - tc->snd_una) / 2, 2u * tc->mss);
    tc->cwnd = tc->mss;
    tc->recover = tc->snd_max - 1;
    tc->flags &= ~(TCP_F_RECOVERY | TCP_F_RTT_TIMING);
    tc->dupacks = 0;
    rto_backoff(ts, tc);
    tc->snd_nxt = tc->snd_una; /* go back: resend from the first unacknowledged byte */
    tcp_output(ts, tc);
    if (!tc->t_rtx && !(tc->flags & TCP_F_DEAD))
        tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
}

static void idle_timeout(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t ka = (uint64_t)ts->cfg.keepalive_s * 1000000;

    switch (tc->state) {
    case TCP_TIME_WAIT: tcp_conn_kill(ts, tc, 0); return;
    case TCP_FIN_WAIT_2: tcp_conn_kill(ts, tc, 1); return;
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT: break;
    default: return;
    }
    if (!(tc->flags & TCP_F_KEEPALIVE) || !ka)
        return;
    if (tc->probes == 0 && ts->now_us - tc->last_rcv_us < ka) {
        tc->t_idle = tc->last_rcv_us + ka; /* traffic since: not idle yet */
        return;
    }
    if (tc->snd_max != tc->snd_una) { /* data in flight: the RTO watches the peer */
        tc->probes = 0;
        tc->t_idle = ts->now_us + ka;
        return;
    }
    if (tc->probes >= ts->cfg.keepalive_cnt) {
        ts->st.keepalive_drops++;
        give_up(ts, tc);
        return;
    }
    tc->probes++;
    tcp_send_probe(ts, tc);
    tc->t_idle = ts->now_us + (uint64_t)TCP_MAX(ts->cfg.keepalive_intvl_s, 1u) * 1000000;
}

/* Run the timers of @tc that are due. */
static void fire(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint64_t now = ts->now_us;

    tcp_conn_hold(tc);
    if (tc->t_delack && tc->t_delack <= now) {
        tc->t_delack = 0;
        if (tc->flags & TCP_F_ACK_OWED)
            tcp_send_ack(ts, tc);
    }
    if (!(tc->flags & TCP_F_DEAD) && tc->t_rtx && tc->t_rtx <= now) {
        tc->t_rtx = 0;
        rtx_timeout(ts, tc);
    }
    if (!(tc->flags & TCP_F_DEAD) && tc->t_idle && tc->t_idle <= now) {
        tc->t_idle = 0;
        idle_timeout(ts, tc);
    }
    if (!(tc->flags & TCP_F_DEAD))
        tcp_timer_sched(ts, tc);
    tcp_conn_unhold(ts, tc);
}

static void visit_slot(struct tcp_stack *ts, struct tcp_conn_list *slot)
{
    struct tcp_conn_list due = LIST_HEAD_INITIALIZER(due);
    struct tcp_conn *tc;

    /* take the slot's list: what is rescheduled into this slot waits for the next turn */
    while ((tc = LIST_FIRST(slot)) != NULL) {
        LIST_REMOVE(tc, wlink);
        LIST_INSERT_HEAD(&due, tc, wlink);
    }
    while ((tc = LIST_FIRST(&due)) != NULL) {
        LIST_REMOVE(tc, wlink);
        tc->wlink.le_prev = NULL;
        if (tc->t_due <= ts->now_us) {
            fire(ts, tc);
        } else {
            tc->t_due = 0;
            tcp_timer_sched(ts, tc); /* a later turn */
        }
    }
}

void tcp_poll(struct tcp_stack *ts, uint64_t now_us)
{
    uint64_t now_tick;
    struct tcp_conn *tc;

    if (now_us > ts->now_us)
        ts->now_us = now_us;
    now_tick = ts->now_us / TCP_TICK_US;
    if (now_tick - ts->wheel_tick > TCP_WHEEL_SLOTS)
        ts->wheel_tick = now_tick - TCP_WHEEL_SLOTS; /* one turn visits every slot */
    while (ts->wheel_tick < now_tick) {
        ts->wheel_tick++;
        visit_slot(ts, &ts->wheel[ts->wheel_tick & (TCP_WHEEL_SLOTS - 1)]);
    }
    /* ACKs owed "now" that no output took along */
    while ((tc = LIST_FIRST(&ts->ack_list)) != NULL) {
        LIST_REMOVE(tc, alink);
        tc->flags &= ~TCP_F_ACK_NOW;
        if ((tc->flags & (TCP_F_ACK_OWED | TCP_F_DEAD)) == TCP_F_ACK_OWED)
            tcp_send_ack(ts, tc);
    }
}
