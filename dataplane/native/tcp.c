/*
 * tcp.c - dpcache's per-core TCP (tcp.h): creating and destroying a stack, listeners, active
 * opens, the calls the application makes on a connection, and counters. The protocol itself is
 * in tcp_in.c (arrivals), tcp_ack.c (ACK field, congestion control), tcp_rcv.c (received
 * data), tcp_out.c (sending), tcp_timer.c (timers) and tcp_cookie.c (ISNs, SYN cookies); the
 * private header tcp_impl.h lists who does what.
 *
 * Memory is allocated once here, on the stack's socket: the connection pool (max_conns control
 * blocks, 192 bytes each), the 4-tuple table (8 bytes per slot, >= 2 slots per connection), the
 * received-segment nodes (24 bytes each) and the timer wheel. Nothing is allocated per segment
 * except mbufs from the pool.
 */
#include "tcp_impl.h"

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#define TCP_MAX_CONNS (1u << 24) /* ceiling of cfg.max_conns (the table index is 32-bit) */

const char *const tcp_state_names[] = {
    [TCP_CLOSED] = "CLOSED",           [TCP_LISTEN] = "LISTEN",
    [TCP_SYN_SENT] = "SYN_SENT",       [TCP_SYN_RCVD] = "SYN_RCVD",
    [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCP_FIN_WAIT_2] = "FIN_WAIT_2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCP_CLOSING] = "CLOSING",         [TCP_LAST_ACK] = "LAST_ACK",
    [TCP_TIME_WAIT] = "TIME_WAIT",
};

unsigned tcp_state_count(void)
{
    return TCP_NSTATES;
}

static int config_ok(const struct tcp_config *c)
{
    return c->max_conns >= 1 && c->max_conns <= TCP_MAX_CONNS && c->mss >= TCP_MIN_MSS &&
           c->rcv_wnd >= 1 && c->rto_min_ms >= 1 && c->rto_max_ms >= c->rto_min_ms &&
           c->rto_max_ms <= 3600 * 1000 && c->max_retries <= UINT8_MAX &&
           c->keepalive_cnt <= UINT8_MAX;
}

struct tcp_stack *tcp_stack_create(const struct tcp_config *cfg, struct rte_mempool *pool,
                                   tcp_output_fn output, void *out_arg,
                                   const struct tcp_app_ops *app, void *app_arg, int socket)
{
    struct tcp_stack *ts;
    uint32_t room, slots = 2, nq;

    if (!cfg || !pool || !output || !app || !app->accept || !app->recv || !app->peer_fin ||
        !app->out_len || !app->out_peek || !app->out_acked || !app->closed || !config_ok(cfg))
        return NULL;
    room = rte_pktmbuf_data_room_size(pool);
    if (room < RTE_PKTMBUF_HEADROOM + TCP_HDR_MAX + TCP_MIN_MSS + TCP_TS_OPT_LEN)
        return NULL;
    ts = rte_zmalloc_socket("tcp_stack", sizeof(*ts), RTE_CACHE_LINE_SIZE, socket);
    if (!ts)
        return NULL;
    ts->cfg = *cfg;
    if (ts->cfg.rto_init_ms < ts->cfg.rto_min_ms)
        ts->cfg.rto_init_ms = ts->cfg.rto_min_ms;
    if (ts->cfg.rto_init_ms > ts->cfg.rto_max_ms)
        ts->cfg.rto_init_ms = ts->cfg.rto_max_ms;
    ts->pool = pool;
    ts->output = output;
    ts->out_arg = out_arg;
    ts->app = app;
    ts->app_arg = app_arg;
    room -= RTE_PKTMBUF_HEADROOM + TCP_HDR_MAX;
    ts->seg_room = (uint16_t)TCP_MIN(room, (uint32_t)UINT16_MAX);
    while (ts->rcv_wscale < TCP_MAX_WSCALE && (cfg->rcv_wnd >> ts->rcv_wscale) > TCP_MAX_WIN)
        ts->rcv_wscale++;
    while (slots < 2 * cfg->max_conns)
        slots <<= 1;
    nq = cfg->rx_segs_max ? cfg->rx_segs_max : pool->size / TCP_RXSEG_POOL_DIV;
    if (nq < TCP_RXSEG_MIN)
        nq = TCP_RXSEG_MIN;
    ts->conns = rte_zmalloc_socket("tcp_conns", (size_t)cfg->max_conns * sizeof(struct tcp_conn),
                                   RTE_CACHE_LINE_SIZE, socket);
    ts->free_idx =
        rte_malloc_socket("tcp_free", (size_t)cfg->max_conns * sizeof(uint32_t), 0, socket);
    ts->tab = rte_zmalloc_socket("tcp_tab", (size_t)slots * sizeof(struct tcp_slot),
                                 RTE_CACHE_LINE_SIZE, socket);
    ts->qnodes = rte_zmalloc_socket("tcp_qnodes", (size_t)nq * sizeof(struct tcp_qnode),
                                    RTE_CACHE_LINE_SIZE, socket);
    if (!ts->conns || !ts->free_idx || !ts->tab || !ts->qnodes) {
        tcp_stack_destroy(ts);
        return NULL;
    }
    ts->tab_mask = slots - 1;
    for (uint32_t i = 0; i < cfg->max_conns; i++)
        ts->free_idx[i] = cfg->max_conns - 1 - i;
    ts->nfree = cfg->max_conns;
    ts->nqnodes = nq;
    for (uint32_t i = 0; i < nq; i++) {
        ts->qnodes[i].next = ts->qfree;
        ts->qfree = &ts->qnodes[i];
    }
    TAILQ_INIT(&ts->tw_list);
    LIST_INIT(&ts->ack_list);
    for (unsigned i = 0; i < TCP_WHEEL_SLOTS; i++)
        LIST_INIT(&ts->wheel[i]);
    ts->hash_seed = (uint32_t)rte_rand();
    tcp_secrets_init(ts);
    return ts;
}

void tcp_stack_destroy(struct tcp_stack *ts)
{
    if (!ts)
        return;
    if (ts->conns && ts->tab && ts->qnodes) {
        for (uint32_t i = 0; i < ts->cfg.max_conns; i++) {
            struct tcp_conn *tc = &ts->conns[i];
            if (tc->state == TCP_CLOSED)
                continue;
            if (tc->state != TCP_TIME_WAIT && tc->state != TCP_SYN_SENT)
                tcp_send_rst(ts, tc);
            tcp_conn_kill(ts, tc, 1);
        }
    }
    rte_free(ts->conns);
    rte_free(ts->free_idx);
    rte_free(ts->tab);
    rte_free(ts->qnodes);
    rte_free(ts);
}

int tcp_listen(struct tcp_stack *ts, uint32_t addr, uint16_t port)
{
    if (port == 0)
        return -EINVAL;
    for (unsigned i = 0; i < ts->nlisten; i++)
        if (ts->listen[i].addr == addr && ts->listen[i].port == port)
            return 0;
    if (ts->nlisten == TCP_LISTEN_MAX)
        return -ENOSPC;
    ts->listen[ts->nlisten].addr = addr;
    ts->listen[ts->nlisten].port = port;
    ts->nlisten++;
    return 0;
}

struct tcp_conn *tcp_connect(struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                             uint16_t rport, void *ctx)
{
    struct tcp_conn *tc;

    if (!lport || !rport || tcp_conn_lookup(ts, raddr, rport, laddr, lport))
        return NULL;
    tc = tcp_conn_new(ts, raddr, rport, laddr, lport, TCP_SYN_SENT);
    if (!tc)
        return NULL;
    tc->ctx = ctx;
    tc->flags |= TCP_F_APP | TCP_F_TS; /* we offer timestamps and scaling */
    tc->rcv_wscale = ts->rcv_wscale;
    tc->ts_offset = tcp_ts_offset(ts, laddr, lport, raddr, rport);
    tcp_conn_init_send(ts, tc, tcp_isn(ts, laddr, lport, raddr, rport), ts->cfg.mss);
    tcp_send_syn(ts, tc);
    tc->t_rtx = ts->now_us + tcp_rto_value(ts, tc);
    tcp_timer_sched(ts, tc);
    return tc;
}

void tcp_conn_output(struct tcp_conn *tc)
{
    if (!tc || (tc->flags & TCP_F_DEAD))
        return;
    tcp_conn_hold(tc);
    tcp_output(tc->ts, tc);
    tcp_conn_unhold(tc->ts, tc);
}

void tcp_conn_recv_resume(struct tcp_conn *tc)
{
    if (!tc || (tc->flags & TCP_F_DEAD))
        return;
    tcp_conn_hold(tc);
    tcp_rcv_resume(tc->ts, tc);
    tcp_conn_unhold(tc->ts, tc);
}

void tcp_conn_close(struct tcp_conn *tc)
{
    struct tcp_stack *ts;

    if (!tc || (tc->flags & TCP_F_DEAD))
        return;
    ts = tc->ts;
    tcp_conn_hold(tc);
    switch (tc->state) {
    case TCP_SYN_SENT: tcp_conn_kill(ts, tc, 1); break;
    case TCP_SYN_RCVD: tc->flags |= TCP_F_FIN_QUEUED; break; /* FIN once established */
    case TCP_ESTABLISHED:
        tc->flags |= TCP_F_FIN_QUEUED;
        tcp_set_state(ts, tc, TCP_FIN_WAIT_1);
        tcp_idle_timer_update(ts, tc);
        tcp_output(ts, tc);
        break;
    case TCP_CLOSE_WAIT:
        tc->flags |= TCP_F_FIN_QUEUED;
        tcp_set_state(ts, tc, TCP_LAST_ACK);
        tcp_idle_timer_update(ts, tc);
        tcp_output(ts, tc);
        break;
    default: break; /* already closing */
    }
    tcp_conn_unhold(ts, tc);
}

void tcp_conn_abort(struct tcp_conn *tc)
{
    if (!tc || (tc->flags & TCP_F_DEAD))
        return;
    if (tc->state != TCP_SYN_SENT && tc->state != TCP_TIME_WAIT)
        tcp_send_rst(tc->ts, tc);
    tcp_conn_kill(tc->ts, tc, 0);
}

void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
                    uint16_t *rport)
{
    *laddr = tc->laddr;
    *lport = tc->lport;
    *raddr = tc->raddr;
    *rport = tc->rport;
}

const struct tcp_stats *tcp_stats(const struct tcp_stack *ts)
{
    return &ts->st;
}

void tcp_conns_by_state(const struct tcp_stack *ts, uint64_t *counts)
{
    for (unsigned i = 0; i < TCP_NSTATES; i++)
        counts[i] = ts->nstate[i];
    counts[TCP_LISTEN] = ts->nlisten;
}
