/*
 * flow.c - the request engine of dpcache-load (see load.h).
 *
 * A "connection" is a TCP connection (dpcache's TCP in client mode, tcp.h) or a UDP flow (one
 * source port, docs/protocol.md framing: one request per datagram, replies matched by id).
 * Each has at most opt.pipeline requests in flight. Connections with a free slot sit on the
 * core's ready stack.
 *
 * Closed loop: every ready connection is filled up to the pipeline depth; latency is from
 * send to reply. Open loop: arrivals are a Poisson process at rate/cores; an arrival that
 * finds no free slot waits in the backlog, and its latency counts from its intended start
 * (coordinated omission corrected). Phases per core: preload (SET every key of the core's
 * share, replies checked), wait for all cores, measure (bounded by requests and duration),
 * drain (bounded), done.
 */
#include "load.h"
#include "native/tcp.h"
#include <urcu/urcu-qsbr.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#define UDP_HDR 8

static double ns_per_tsc;

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fprintf(stderr, "dpcache-load: out of memory\n");
        exit(2);
    }
    return p;
}

static void make_ready(struct ld_core *lc, struct ld_conn *c)
{
    if (!c->ready && (c->state == C_OPEN) && c->qn < opt.pipeline) {
        c->ready = 1;
        lc->ready[lc->nready++] = (uint32_t)(c - lc->conns);
    }
}

static void make_dirty(struct ld_core *lc, struct ld_conn *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        lc->dirtyl[lc->ndirty++] = (uint32_t)(c - lc->conns);
    }
}

static void note_err(struct ld_core *lc, const char *why)
{
    if (!lc->first_err[0])
        snprintf(lc->first_err, sizeof(lc->first_err), "%s", why);
}

/* A reply to @r arrived (@rep parsed, or NULL in reflector mode with @rlen bytes). */
static void complete(struct ld_core *lc, struct ld_conn *c, struct ld_req *r,
                     const struct rp_reply *rep, size_t rlen, uint64_t now)
{
    char why[200];
    int rc;

    if (opt.reflect)
        rc = rlen == r->len ? 0 : 1;
    else
        rc = work_check(rep, (enum ld_op)r->op, r->key, why, sizeof(why));
    if (rc == 1) {
        lc->st.wrong++;
        if (opt.reflect)
            snprintf(why, sizeof(why), "reflected %zu bytes, sent %u", rlen, r->len);
        note_err(lc, why);
    } else if (rc == 2) {
        lc->st.errors++;
        note_err(lc, why);
    } else {
        lc->st.ok++;
    }
    if (r->live == 1) {
        hist_add(&lc->hist, (uint64_t)((double)(now - r->t0) * ns_per_tsc));
        lc->st.done++;
        lc->st.ops[r->op]++;
    } else {
        lc->st.preload_done++;
    }
    r->live = 0;
    free(r->rbuf);
    r->rbuf = NULL;
    c->qn--;
    lc->inflight--;
    make_ready(lc, c);
}

/* ---------------------------------------------------------------- TCP application side */

static void *app_accept(void *arg, struct tcp_conn *tc)
{
    (void)arg, (void)tc;
    return NULL;
}

static size_t app_recv(void *ctx, const uint8_t *data, size_t len)
{
    struct ld_conn *c = ctx;
    struct ld_core *lc = c->lc;
    uint64_t now = rte_rdtsc();
    size_t off = 0;

    if (c->state != C_OPEN)
        return len; /* closing: what still comes is not counted */
    if (c->ib_len + len > c->ib_cap) {
        uint32_t cap = c->ib_cap;
        while (cap < c->ib_len + len)
            cap *= 2;
        c->ib = realloc(c->ib, cap);
        if (!c->ib) {
            fprintf(stderr, "dpcache-load: out of memory\n");
            exit(2);
        }
        c->ib_cap = cap;
    }
    memcpy(c->ib + c->ib_len, data, len);
    c->ib_len += (uint32_t)len;
    while (off < c->ib_len) {
        struct rp_reply rep;
        long n = rp_parse(c->ib + off, c->ib_len - off, &rep);
        if (n == 0)
            break;
        if (n < 0 || c->qn == 0) {
            lc->st.proto_err++;
            note_err(lc, n < 0 ? "malformed reply" : "reply to no request");
            off = c->ib_len;
            break;
        }
        complete(lc, c, &c->q[c->qhead], &rep, (size_t)n, now);
        c->qhead = (c->qhead + 1) % LD_PIPE_MAX;
        off += (size_t)n;
    }
    if (off) {
        memmove(c->ib, c->ib + off, c->ib_len - off);
        c->ib_len -= (uint32_t)off;
    }
    return len;
}

static void app_peer_fin(void *ctx)
{
    struct ld_conn *c = ctx;
    if (c->lc->phase < 3)
        note_err(c->lc, "server closed a connection");
}

static size_t app_out_len(void *ctx)
{
    struct ld_conn *c = ctx;
    return c->ob_end - c->ob_start;
}

static size_t app_out_peek(void *ctx, size_t off, const uint8_t **p)
{
    struct ld_conn *c = ctx;
    size_t have = c->ob_end - c->ob_start;

    if (off >= have)
        return 0;
    *p = c->ob + c->ob_start + off;
    return have - off;
}

static void app_out_acked(void *ctx, size_t n)
{
    struct ld_conn *c = ctx;

    c->ob_start += (uint32_t)n;
    if (c->ob_start >= c->ob_end)
        c->ob_start = c->ob_end = 0;
}

static void app_closed(void *ctx)
{
    struct ld_conn *c = ctx;
    struct ld_core *lc = c->lc;

    if (c->state == C_OPEN || c->state == C_CONNECTING)
        lc->nconnected -= c->state == C_OPEN;
    c->state = C_CLOSED;
    c->tc = NULL;
    if (lc->phase < 3 || c->qn) {
        lc->st.closed++;
        note_err(lc, "connection closed or reset with requests in flight");
    }
    while (c->qn) {
        c->q[c->qhead].live = 0;
        c->qhead = (c->qhead + 1) % LD_PIPE_MAX;
        c->qn--;
        lc->inflight--;
    }
}

static void app_connected(void *ctx)
{
    struct ld_conn *c = ctx;

    c->state = C_OPEN;
    c->lc->nconnected++;
    make_ready(c->lc, c);
}

static const struct tcp_app_ops app_ops = {
    .accept = app_accept,
    .recv = app_recv,
    .peer_fin = app_peer_fin,
    .out_len = app_out_len,
    .out_peek = app_out_peek,
    .out_acked = app_out_acked,
    .closed = app_closed,
    .connected = app_connected,
};

/* ---------------------------------------------------------------- issuing */

/* Send one request on @c: preload item @pl (>= 0) or a workload request started at @t0. */
static int issue(struct ld_core *lc, struct ld_conn *c, int64_t pl, uint64_t t0, uint64_t now)
{
    enum ld_op op;
    uint32_t key;
    struct ld_req *r;
    size_t len;

    if (pl >= 0) {
        uint64_t share = lc->pl_end;
        op = (uint64_t)pl < share ? OP_SET : OP_HSET;
        key = (uint32_t)((uint64_t)pl < share ? (uint64_t)pl : (uint64_t)pl - share);
        key = (uint32_t)(key + lc->idx * (opt.keys / ld_ncores));
    } else {
        op = work_op(&lc->rng);
        key = work_key(&lc->rng);
    }
    if (opt.proto == LD_UDP) {
        uint8_t *p;
        size_t cap;
        uint16_t id = c->next_id;
        struct rte_mbuf *m;
        r = &c->q[id % LD_UDP_RING];
        if (r->live) /* a slot still waiting for a late reply: skip the id */
            return -1;
        m = net_udp_alloc(lc, c->sport, &p, &cap);
        if (!m)
            return -1;
        len = work_build(p + UDP_HDR, cap - UDP_HDR, op, key);
        if (!len) {
            rte_pktmbuf_free(m);
            return -1;
        }
        p[0] = (uint8_t)(id >> 8);
        p[1] = (uint8_t)id;
        p[2] = 0, p[3] = 0, p[4] = 0, p[5] = 1, p[6] = 0, p[7] = 0;
        r->id = id;
        c->next_id++;
        net_udp_finish(lc, m, len + UDP_HDR);
    } else {
        size_t need = work_req_max();
        if (c->ob_cap - c->ob_end < need) {
            if (c->ob_start) {
                memmove(c->ob, c->ob + c->ob_start, c->ob_end - c->ob_start);
                c->ob_end -= c->ob_start;
                c->ob_start = 0;
            }
            if (c->ob_cap - c->ob_end < need) {
                c->ob_cap = c->ob_cap * 2 + (uint32_t)need;
                c->ob = realloc(c->ob, c->ob_cap);
                if (!c->ob) {
                    fprintf(stderr, "dpcache-load: out of memory\n");
                    exit(2);
                }
            }
        }
        len = work_build(c->ob + c->ob_end, c->ob_cap - c->ob_end, op, key);
        if (!len)
            return -1;
        c->ob_end += (uint32_t)len;
        r = &c->q[(c->qhead + c->qn) % LD_PIPE_MAX];
        make_dirty(lc, c);
    }
    r->op = (uint8_t)op;
    r->key = key;
    r->t0 = t0;
    r->ts = now;
    r->len = (uint32_t)len;
    r->live = pl >= 0 ? 2 : 1;
    r->rgot = 0;
    c->qn++;
    lc->inflight++;
    lc->st.sent += pl < 0;
    return 0;
}

/* The next ready connection (popped), or NULL. */
static struct ld_conn *pop_ready(struct ld_core *lc)
{
    while (lc->nready) {
        struct ld_conn *c = &lc->conns[lc->ready[--lc->nready]];
        c->ready = 0;
        if (c->state == C_OPEN && c->qn < opt.pipeline)
            return c;
    }
    return NULL;
}

static void preload_issue(struct ld_core *lc, uint64_t now)
{
    struct ld_conn *c;

    while (lc->pl_next < lc->pl_total && (c = pop_ready(lc))) {
        while (c->qn < opt.pipeline && lc->pl_next < lc->pl_total)
            if (issue(lc, c, (int64_t)lc->pl_next, now, now) == 0)
                lc->pl_next++;
            else
                break;
        make_ready(lc, c);
        if (c->qn == 0)
            break; /* could not send (no mbuf): try again next iteration */
    }
}

static void closed_issue(struct ld_core *lc, uint64_t now)
{
    struct ld_conn *c;

    while (lc->issued < lc->quota && (c = pop_ready(lc))) {
        unsigned before = c->qn;
        while (c->qn < opt.pipeline && lc->issued < lc->quota)
            if (issue(lc, c, -1, now, now) == 0)
                lc->issued++;
            else
                break;
        make_ready(lc, c);
        if (c->qn == before)
            break;
    }
}

static double exp_gap(struct ld_core *lc)
{
    uint64_t x = lc->rng;
    double u;

    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    lc->rng = x;
    u = (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0);
    return -log(1.0 - u) * lc->gap_tsc;
}

static void open_issue(struct ld_core *lc, uint64_t now)
{
    struct ld_conn *c;

    while (lc->next_tsc <= (double)now && lc->issued + lc->bl_n < lc->quota) {
        if (lc->bl_n == lc->bl_cap) {
            lc->bl_drop++;
        } else {
            lc->backlog[(lc->bl_head + lc->bl_n) % lc->bl_cap] = (uint64_t)lc->next_tsc;
            lc->bl_n++;
        }
        lc->next_tsc += exp_gap(lc);
    }
    while (lc->bl_n && (c = pop_ready(lc))) {
        if (issue(lc, c, -1, lc->backlog[lc->bl_head], now) != 0) {
            make_ready(lc, c);
            break;
        }
        lc->bl_head = (lc->bl_head + 1) % lc->bl_cap;
        lc->bl_n--;
        lc->issued++;
        make_ready(lc, c);
    }
}

/* ---------------------------------------------------------------- UDP input and timeouts */

void flow_udp_input(struct ld_core *lc, uint16_t sport, const uint8_t *p, size_t len)
{
    uint32_t ci = lc->by_port[sport];
    struct ld_conn *c;
    struct ld_req *r;
    uint16_t id, seq, total;
    uint64_t now = rte_rdtsc();

    if (!ci || opt.proto != LD_UDP || len < UDP_HDR) {
        lc->st.rx_other++;
        return;
    }
    c = &lc->conns[ci - 1];
    id = (uint16_t)(p[0] << 8 | p[1]);
    seq = (uint16_t)(p[2] << 8 | p[3]);
    total = (uint16_t)(p[4] << 8 | p[5]);
    r = &c->q[id % LD_UDP_RING];
    if (!r->live || r->id != id) {
        lc->st.late++;
        return;
    }
    p += UDP_HDR;
    len -= UDP_HDR;
    if (opt.reflect) {
        complete(lc, c, r, NULL, len, now);
        return;
    }
    if (total == 1 && seq == 0) {
        struct rp_reply rep;
        long n = rp_parse(p, len, &rep);
        if (n <= 0 || (size_t)n != len) {
            lc->st.proto_err++;
            note_err(lc, "malformed UDP reply");
            rep.top.type = '?';
            rep.top.len = 0;
        }
        complete(lc, c, r, &rep, len, now);
        return;
    }
    /* a reply in several datagrams: all but the last are full (MTU - 36 bytes) */
    {
        size_t chunk = opt.mtu - 36, off = (size_t)seq * chunk;
        if (total == 0 || seq >= total) {
            lc->st.proto_err++;
            return;
        }
        if (!r->rbuf) {
            r->rcap = (uint32_t)(total * chunk);
            r->rbuf = xcalloc(1, r->rcap);
            r->rtotal = total;
            r->rlen = 0;
            r->rgot = 0;
        }
        if (off + len > r->rcap) {
            lc->st.proto_err++;
            return;
        }
        memcpy(r->rbuf + off, p, len);
        if (off + len > r->rlen)
            r->rlen = (uint32_t)(off + len);
        if (++r->rgot == r->rtotal) {
            struct rp_reply rep;
            long n = rp_parse(r->rbuf, r->rlen, &rep);
            if (n <= 0 || (size_t)n != r->rlen) {
                lc->st.proto_err++;
                note_err(lc, "malformed multi-datagram UDP reply");
                rep.top.type = '?';
                rep.top.len = 0;
            }
            complete(lc, c, r, &rep, r->rlen, now);
        }
    }
}

static void udp_timeouts(struct ld_core *lc, uint64_t now, int all)
{
    uint64_t limit = (uint64_t)(opt.timeout_ms * 1e-3 * (double)ld_tsc_hz);

    for (unsigned i = 0; i < lc->nconns; i++) {
        struct ld_conn *c = &lc->conns[i];
        if (!c->qn)
            continue;
        for (unsigned k = 0; k < LD_UDP_RING; k++) {
            struct ld_req *r = &c->q[k];
            if (r->live && (all || now - r->ts > limit)) {
                lc->st.timeouts++;
                r->live = 0;
                free(r->rbuf);
                r->rbuf = NULL;
                c->qn--;
                lc->inflight--;
                make_ready(lc, c);
            }
        }
    }
}

/* ---------------------------------------------------------------- set-up and loop */

int flow_core_setup(struct ld_core *lc)
{
    unsigned n = opt.conns / ld_ncores + (lc->idx < opt.conns % ld_ncores);
    size_t rq = opt.proto == LD_UDP ? LD_UDP_RING : LD_PIPE_MAX;

    ns_per_tsc = 1e9 / (double)ld_tsc_hz;
    lc->nconns = n;
    lc->conns = xcalloc(n ? n : 1, sizeof(*lc->conns));
    lc->ready = xcalloc(n ? n : 1, sizeof(uint32_t));
    lc->dirtyl = xcalloc(n ? n : 1, sizeof(uint32_t));
    lc->by_port = xcalloc(65536, sizeof(uint32_t));
    lc->next_sport = (uint16_t)(opt.sport_base +
                                lc->idx * ((65536u - opt.sport_base) / ld_ncores));
    for (unsigned i = 0; i < n; i++) {
        struct ld_conn *c = &lc->conns[i];
        c->lc = lc;
        c->q = xcalloc(rq, sizeof(struct ld_req));
        c->sport = net_pick_sport(&lc->next_sport, lc->queue, ld_ncores);
        if (!c->sport || lc->by_port[c->sport]) {
            fprintf(stderr, "dpcache-load: no free source port for connection %u of lcore %u\n",
                    i, lc->lcore);
            return -1;
        }
        lc->by_port[c->sport] = i + 1;
        if (opt.proto == LD_TCP) {
            c->ob_cap = (uint32_t)(opt.pipeline * work_req_max() + 4096);
            c->ob = xcalloc(1, c->ob_cap);
            c->ib_cap = 16384;
            c->ib = xcalloc(1, c->ib_cap);
            c->state = C_IDLE;
        } else {
            c->state = C_OPEN;
            c->next_id = (uint16_t)(i * 7919);
            make_ready(lc, c);
        }
    }
    if (opt.proto == LD_TCP) {
        struct tcp_config tc;
        memset(&tc, 0, sizeof(tc));
        tc.max_conns = n + 64;
        tc.syn_backlog = 64;
        tc.rcv_wnd = 256 * 1024;
        tc.ooo_max = 256 * 1024;
        tc.mss = (uint16_t)(opt.mtu - 40);
        tc.time_wait_ms = 1000;
        tc.rto_min_ms = 20;
        tc.rto_max_ms = 2000;
        tc.rto_init_ms = 200;
        tc.max_retries = 12;
        tc.delack_ms = 5;
        lc->ts = tcp_stack_create(&tc, lc->pool, net_tcp_output, lc, &app_ops, lc, SOCKET_ID_ANY);
        if (!lc->ts) {
            fprintf(stderr, "dpcache-load: cannot create the TCP of lcore %u\n", lc->lcore);
            return -1;
        }
    }
    /* preload: this core's share of the keys (and of the hash keys if the mix uses them) */
    {
        uint64_t per = opt.keys / ld_ncores;
        uint64_t share = lc->idx == ld_ncores - 1 ? opt.keys - per * (ld_ncores - 1) : per;
        lc->pl_end = share;
        lc->pl_total = opt.preload ? share * ((opt.mix[OP_HSET] || opt.mix[OP_HGETALL]) ? 2 : 1)
                                   : 0;
        lc->pl_next = 0;
    }
    if (opt.rate > 0) {
        lc->gap_tsc = (double)ld_tsc_hz / (opt.rate / ld_ncores);
        lc->bl_cap = (uint32_t)(opt.rate / ld_ncores * 2 + 1024);
        if (lc->bl_cap > (1u << 22))
            lc->bl_cap = 1u << 22;
        lc->backlog = xcalloc(lc->bl_cap, sizeof(uint64_t));
    }
    lc->quota = opt.requests ? opt.requests / ld_ncores + (lc->idx == 0 ? opt.requests % ld_ncores
                                                                        : 0)
                             : UINT64_MAX;
    return 0;
}

static void tcp_push(struct ld_core *lc)
{
    while (lc->ndirty) {
        struct ld_conn *c = &lc->conns[lc->dirtyl[--lc->ndirty]];
        c->dirty = 0;
        if (c->tc && c->state == C_OPEN)
            tcp_conn_output(c->tc);
    }
}

int flow_loop(void *arg)
{
    /* each lcore finds its core by lcore id (ld_cores is in id order; rte_lcore_index would
     * follow the order of -l/--lcores, and the main lcore need not be the first) */
    struct ld_core *lc = arg;

    for (unsigned i = 0; !lc && i < ld_ncores; i++)
        if (ld_cores[i]->lcore == rte_lcore_id())
            lc = ld_cores[i];
    if (!lc)
        return -1;
    uint64_t now = rte_rdtsc(), next_progress = now + ld_tsc_hz, connect_i = 0;
    uint64_t close_end = 0, pl_seen = 0, pl_stall = now + 10 * ld_tsc_hz;

    urcu_qsbr_register_thread(); /* pmd_guard: a quiescent state per iteration, below */
    if (lc->ts)
        tcp_poll(lc->ts, (uint64_t)((double)now * ns_per_tsc / 1000.0));
    lc->phase = lc->pl_total ? 0 : 1;
    if (lc->phase == 1)
        __atomic_add_fetch(&ld_preloaded, 1, __ATOMIC_RELEASE);
    while (lc->phase < 4) {
        now = rte_rdtsc();
        /* TCP: open connections, 64 per iteration */
        if (lc->ts && connect_i < lc->nconns && lc->phase < 2) {
            for (unsigned k = 0; k < 64 && connect_i < lc->nconns; k++, connect_i++) {
                struct ld_conn *c = &lc->conns[connect_i];
                c->state = C_CONNECTING;
                c->tc = tcp_connect(lc->ts, opt.src_addr, rte_cpu_to_be_16(c->sport),
                                    opt.dst_addr, rte_cpu_to_be_16(opt.dport), c);
                if (!c->tc) {
                    c->state = C_CLOSED;
                    lc->st.closed++;
                    note_err(lc, "tcp_connect refused (table full or tuple in use)");
                }
            }
        }
        net_rx(lc);
        if (ld_stop && lc->phase < 2) {
            lc->phase = 2;
            lc->drain_end = now + ld_tsc_hz;
        }
        switch (lc->phase) {
        case 0:
            preload_issue(lc, now);
            if (lc->st.preload_done != pl_seen) {
                pl_seen = lc->st.preload_done;
                pl_stall = now + 5 * ld_tsc_hz;
            } else if (pl_stall && now >= pl_stall) {
                note_err(lc, "preload stalled: no reply for 5 s");
                lc->st.closed++;
                ld_stop = 1;
            }
            if (lc->pl_next >= lc->pl_total && lc->inflight == 0) {
                lc->phase = 1;
                __atomic_add_fetch(&ld_preloaded, 1, __ATOMIC_RELEASE);
            }
            break;
        case 1:
            if (__atomic_load_n(&ld_preloaded, __ATOMIC_ACQUIRE) < ld_ncores)
                break;
            if (!lc->t_end) {
                lc->t_end = now + (uint64_t)(opt.duration * (double)ld_tsc_hz);
                lc->t_start = now;
                lc->next_tsc = (double)now;
            }
            if (opt.rate > 0)
                open_issue(lc, now);
            else
                closed_issue(lc, now);
            if (now >= lc->t_end || (lc->issued >= lc->quota && lc->bl_n == 0)) {
                lc->phase = 2;
                lc->t_stop = now;
                lc->drain_end = now + (uint64_t)((opt.timeout_ms * 2e-3 + 1.0) *
                                                 (double)ld_tsc_hz);
            }
            break;
        case 2:
            if (lc->inflight == 0 || now >= lc->drain_end) {
                if (!lc->t_stop)
                    lc->t_stop = now;
                if (opt.proto == LD_UDP) {
                    udp_timeouts(lc, now, 1);
                } else {
                    for (unsigned i = 0; i < lc->nconns; i++) {
                        struct ld_conn *c = &lc->conns[i];
                        if (c->qn) {
                            lc->st.timeouts += c->qn;
                            note_err(lc, "no reply before the end of the drain");
                        }
                    }
                    lc->phase = 3; /* closed() from here on is expected */
                    for (unsigned i = 0; i < lc->nconns; i++) {
                        struct ld_conn *c = &lc->conns[i];
                        if (c->tc && (c->state == C_OPEN || c->state == C_CONNECTING)) {
                            lc->inflight -= c->qn;
                            c->qn = 0;
                            c->state = C_CLOSED;
                            tcp_conn_close(c->tc); /* FIN; closed() comes later */
                        }
                    }
                }
                lc->phase = 3;
                close_end = now + ld_tsc_hz / 5;
            }
            break;
        case 3:
            if (now >= close_end)
                lc->phase = 4;
            break;
        }
        tcp_push(lc);
        if (lc->ts)
            tcp_poll(lc->ts, (uint64_t)((double)now * ns_per_tsc / 1000.0));
        if (opt.proto == LD_UDP && now >= lc->next_scan && lc->phase < 3) {
            udp_timeouts(lc, now, 0);
            lc->next_scan = now + ld_tsc_hz / 100;
        }
        net_tx_flush(lc);
        if (lc->idx == 0 && now >= next_progress) {
            ld_progress(now);
            next_progress += ld_tsc_hz;
        }
        urcu_qsbr_quiescent_state();
    }
    urcu_qsbr_unregister_thread();
    return 0;
}
