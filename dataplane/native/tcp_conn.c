/*
 * tcp_conn.c - connections of one stack: the preallocated pool (cfg.max_conns control blocks
 * and a stack of free indexes), the 4-tuple table, state changes with their counts, and
 * teardown.
 *
 * The table is open addressing with linear probing over at least 2 * max_conns slots (load
 * <= 1/2), keyed by a seeded jhash of the 4-tuple; a slot holds the hash and the connection
 * index, so a probe touches a connection only when the hashes match. Deletion shifts the
 * following entries back (no tombstones), so lookups never degrade with churn.
 *
 * Lifetime: tcp_conn_kill() takes a connection out of every structure at once (table, wheel,
 * ACK list, TIME_WAIT list, queues) and calls the application's closed() at most once, when
 * the application held it. Its memory returns to the pool when the last tcp_conn_hold()er
 * lets go, so code that called back into the application can always look at the flags after.
 */
#include "tcp_impl.h"

#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>

/* tcp_impl.h promises what every segment touches fits in the first two cache lines */
_Static_assert(offsetof(struct tcp_conn, dupacks) <= 2 * RTE_CACHE_LINE_SIZE,
               "struct tcp_conn: hot fields spill past two cache lines");

static inline uint32_t tuple_hash(const struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
                                  uint32_t laddr, uint16_t lport)
{
    return rte_jhash_3words(raddr, laddr, (uint32_t)rport << 16 | lport, ts->hash_seed);
}

struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
                                 uint32_t laddr, uint16_t lport)
{
    uint32_t h = tuple_hash(ts, raddr, rport, laddr, lport);

    for (uint32_t i = h & ts->tab_mask; ts->tab[i].idx; i = (i + 1) & ts->tab_mask) {
        struct tcp_conn *tc;
        if (ts->tab[i].hash != h)
            continue;
        tc = &ts->conns[ts->tab[i].idx - 1];
        if (tc->raddr == raddr && tc->laddr == laddr && tc->rport == rport && tc->lport == lport)
            return tc;
    }
    return NULL;
}

static void tab_insert(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t h = tuple_hash(ts, tc->raddr, tc->rport, tc->laddr, tc->lport);
    uint32_t i = h & ts->tab_mask;

    while (ts->tab[i].idx) /* load <= 1/2: a free slot exists */
        i = (i + 1) & ts->tab_mask;
    ts->tab[i].hash = h;
    ts->tab[i].idx = (uint32_t)(tc - ts->conns) + 1;
}

static void tab_remove(struct tcp_stack *ts, struct tcp_conn *tc)
{
    uint32_t h = tuple_hash(ts, tc->raddr, tc->rport, tc->laddr, tc->lport);
    uint32_t idx = (uint32_t)(tc - ts->conns) + 1;
    uint32_t mask = ts->tab_mask, i = h & mask, j;

    while (ts->tab[i].idx != idx) {
        if (!ts->tab[i].idx)
            return; /* not in the table */
        i = (i + 1) & mask;
    }
    /* backward shift: move up every entry whose probe path crosses the hole */
    for (j = (i + 1) & mask; ts->tab[j].idx; j = (j + 1) & mask) {
        uint32_t home = ts->tab[j].hash & mask;
        /* the entry at j may fill hole i if its home is not in (i, j] (cyclically) */
        int movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            ts->tab[i] = ts->tab[j];
            i = j;
        }
    }
    ts->tab[i].idx = 0;
    ts->tab[i].hash = 0;
}

static void set_gauges(struct tcp_stack *ts)
{
    ts->st.active_conns = ts->nstate[TCP_ESTABLISHED] + ts->nstate[TCP_CLOSE_WAIT];
    ts->st.time_wait = ts->nstate[TCP_TIME_WAIT];
}

void tcp_set_state(struct tcp_stack *ts, struct tcp_conn *tc, enum tcp_state state)
{
    enum tcp_state old = (enum tcp_state)tc->state;

    if (old == state)
        return;
    if (old != TCP_CLOSED)
        ts->nstate[old]--;
    if (state != TCP_CLOSED)
        ts->nstate[state]++;
    if ((tc->flags & TCP_F_PASSIVE) && old == TCP_SYN_RCVD)
        ts->half_open--;
    if ((tc->flags & TCP_F_PASSIVE) && state == TCP_SYN_RCVD)
        ts->half_open++;
    if (old == TCP_TIME_WAIT)
        TAILQ_REMOVE(&ts->tw_list, tc, twlink);
    if (state == TCP_TIME_WAIT)
        TAILQ_INSERT_TAIL(&ts->tw_list, tc, twlink);
    tc->state = (uint8_t)state;
    set_gauges(ts);
}

static void conn_free(struct tcp_stack *ts, struct tcp_conn *tc)
{
    ts->free_idx[ts->nfree++] = (uint32_t)(tc - ts->conns);
}

struct tcp_conn *tcp_conn_new(struct tcp_stack *ts, uint32_t raddr, uint16_t rport, uint32_t laddr,
                              uint16_t lport, enum tcp_state state)
{
    struct tcp_conn *tc;

    if (ts->nfree == 0) {
        /* full: the oldest TIME_WAIT connection makes room (it only guards against old
         * duplicates, which a full table cannot afford) */
        struct tcp_conn *tw = TAILQ_FIRST(&ts->tw_list);
        if (!tw || tw->busy)
            return NULL;
        tcp_conn_kill(ts, tw, 0);
        if (ts->nfree == 0)
            return NULL;
    }
    tc = &ts->conns[ts->free_idx[--ts->nfree]];
    memset(tc, 0, sizeof(*tc));
    tc->ts = ts;
    tc->raddr = raddr;
    tc->rport = rport;
    tc->laddr = laddr;
    tc->lport = lport;
    tc->rcv_mss = TCP_DEFAULT_MSS;
    tc->last_rcv_us = ts->now_us;
    tc->last_snd_us = ts->now_us;
    tab_insert(ts, tc);
    if (state == TCP_SYN_RCVD)
        tc->flags |= TCP_F_PASSIVE;
    tcp_set_state(ts, tc, state);
    return tc;
}

void tcp_conn_set_mss(struct tcp_stack *ts, struct tcp_conn *tc, uint16_t peer_mss)
{
    uint32_t mss = TCP_MIN((uint32_t)peer_mss, (uint32_t)ts->cfg.mss);

    mss = TCP_MIN(mss, (uint32_t)ts->seg_room);
    if (tc->flags & TCP_F_TS) /* RFC 6691: options come out of the MSS */
        mss = mss > TCP_TS_OPT_LEN ? mss - TCP_TS_OPT_LEN : 0;
    if (mss < TCP_MIN_MSS)
        mss = TCP_MIN_MSS;
    tc->mss = (uint16_t)mss;
    tc->cwnd = TCP_INIT_CWND_SEGS * mss;
}

void tcp_conn_init_send(struct tcp_stack *ts, struct tcp_conn *tc, uint32_t iss, uint16_t peer_mss)
{
    tcp_conn_set_mss(ts, tc, peer_mss);
    tc->iss = iss;
    tc->snd_una = tc->snd_nxt = tc->snd_max = iss;
    tc->recover = iss;
    tc->ssthresh = TCP_CWND_MAX;
    tc->rto_us = ts->cfg.rto_init_ms * 1000;
}

void tcp_conn_kill(struct tcp_stack *ts, struct tcp_conn *tc, int notify)
{
    void *ctx = tc->ctx;
    int had_app = !!(tc->flags & TCP_F_APP);

    if (tc->flags & TCP_F_DEAD)
        return;
    tc->flags |= TCP_F_DEAD;
    tab_remove(ts, tc);
    tcp_timer_unlink(ts, tc);
    if (tc->flags & TCP_F_ACK_NOW)
        LIST_REMOVE(tc, alink);
    tc->flags &= ~(TCP_F_ACK_NOW | TCP_F_ACK_OWED | TCP_F_APP);
    tc->ctx = NULL;
    tcp_set_state(ts, tc, TCP_CLOSED);
    tcp_rcv_purge(ts, tc);
    if (had_app && notify)
        ts->app->closed(ctx);
    if (tc->busy == 0)
        conn_free(ts, tc);
}

void tcp_conn_unhold(struct tcp_stack *ts, struct tcp_conn *tc)
{
    if (--tc->busy == 0 && (tc->flags & TCP_F_DEAD))
        conn_free(ts, tc);
}

int tcp_conn_established(struct tcp_stack *ts, struct tcp_conn *tc)
{
    tcp_set_state(ts, tc, TCP_ESTABLISHED);
    tcp_idle_timer_update(ts, tc);
    if (tc->flags & TCP_F_COOKIE)
        ts->st.syn_cookies_ok++;
    if (tc->flags & TCP_F_PASSIVE) {
        void *ctx = ts->app->accept(ts->app_arg, tc);
        if (tc->flags & TCP_F_DEAD)
            return -1; /* the application aborted it from accept() */
        if (!ctx) {
            ts->st.conns_refused++;
            tcp_send_rst(ts, tc);
            tcp_conn_kill(ts, tc, 0);
            return -1;
        }
        tc->ctx = ctx;
        tc->flags |= TCP_F_APP;
        ts->st.conns_accepted++;
    } else if (ts->app->connected) {
        ts->app->connected(tc->ctx);
        if (tc->flags & TCP_F_DEAD)
            return -1;
    }
    if ((tc->flags & TCP_F_FIN_QUEUED) && tc->state == TCP_ESTABLISHED) {
        tcp_set_state(ts, tc, TCP_FIN_WAIT_1); /* closed while the handshake ran */
        tcp_idle_timer_update(ts, tc);
    }
    return 0;
}

void tcp_enter_time_wait(struct tcp_stack *ts, struct tcp_conn *tc)
{
    void *ctx = tc->ctx;

    tcp_set_state(ts, tc, TCP_TIME_WAIT);
    tc->t_rtx = 0;
    tc->flags &= ~(TCP_F_PERSIST | TCP_F_KEEPALIVE);
    tc->t_idle = ts->now_us + (uint64_t)ts->cfg.time_wait_ms * 1000;
    if (tc->t_idle == 0)
        tc->t_idle = 1;
    tcp_rcv_purge(ts, tc);
    tcp_timer_sched(ts, tc);
    if (tc->flags & TCP_F_APP) {
        /* nothing more to send or deliver: the application is done with it */
        tc->flags &= ~TCP_F_APP;
        tc->ctx = NULL;
        ts->app->closed(ctx);
    }
}
