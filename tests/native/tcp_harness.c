/*
 * tcp_harness.c - test doubles for dpcache's TCP (see tcp_harness.h). The IP layer here is a
 * test double, not the native stack's net_tx.c: the IP layer is not under test.
 */
#include "tcp_harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

static struct rte_mempool *pool;

void th_eal(void)
{
    static int done;
    char prefix[64];
    char *argv[] = { "tcptest",
                     "-l",
                     "0",
                     "--no-huge",
                     "-m",
                     "256",
                     "--no-pci",
                     "--no-telemetry",
                     "--file-prefix",
                     prefix,
                     "--log-level",
                     "*:error",
                     NULL };

    if (done)
        return;
    snprintf(prefix, sizeof(prefix), "tcptest%d", (int)getpid());
    if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
        fprintf(stderr, "cannot start the EAL for the TCP tests\n");
        exit(1);
    }
    pool = rte_pktmbuf_pool_create("tcp_test", TH_POOL_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
    if (!pool) {
        fprintf(stderr, "cannot create the mbuf pool: %s\n", rte_strerror(rte_errno));
        exit(1);
    }
    done = 1;
}

struct rte_mempool *th_pool(void)
{
    return pool;
}

unsigned th_mbufs_in_use(void)
{
    return TH_POOL_MBUFS - rte_mempool_avail_count(pool);
}

/* --- the IP layer double ------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_out(struct th_seg *s, const uint8_t *p, uint16_t len)
{
    unsigned i;

    memset(s, 0, sizeof(*s));
    s->sport = (uint16_t)(p[0] << 8 | p[1]);
    s->dport = (uint16_t)(p[2] << 8 | p[3]);
    s->seq = rd32(p + 4);
    s->ack = rd32(p + 8);
    s->hlen = (uint16_t)((p[12] >> 4) * 4);
    s->flags = p[13];
    s->wnd = (uint16_t)(p[14] << 8 | p[15]);
    s->mss = s->ws = TH_NONE;
    for (i = 20; i < s->hlen && i < len;) {
        if (p[i] == 0)
            break;
        if (p[i] == 1) {
            i++;
            continue;
        }
        if (p[i] == 2)
            s->mss = p[i + 2] << 8 | p[i + 3];
        else if (p[i] == 3)
            s->ws = p[i + 2];
        else if (p[i] == 8) {
            s->has_ts = 1;
            s->tsval = rd32(p + i + 2);
            s->tsecr = rd32(p + i + 6);
        }
        i += p[i + 1] ? p[i + 1] : 1;
    }
    s->dlen = (uint16_t)(len - s->hlen);
    if (s->dlen) {
        s->data = malloc(s->dlen);
        memcpy(s->data, p + s->hlen, s->dlen);
    }
}

static int out_cb(void *arg, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
    struct th *h = arg;
    struct th_seg *s;

    if (m->nb_segs != 1 || h->out_fail || h->nseg == TH_SEGS_MAX) {
        rte_pktmbuf_free(m);
        return -1;
    }
    s = &h->segs[h->nseg++];
    parse_out(s, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
    s->saddr = saddr;
    s->daddr = daddr;
    h->total_out++;
    rte_pktmbuf_free(m);
    return 0;
}

struct th_seg *th_take(struct th *h)
{
    static struct th_seg cur;

    free(cur.data);
    cur.data = NULL;
    if (h->nseg == 0)
        return NULL;
    cur = h->segs[0];
    memmove(&h->segs[0], &h->segs[1], (h->nseg - 1) * sizeof(h->segs[0]));
    h->nseg--;
    return &cur;
}

void th_drain(struct th *h)
{
    while (th_take(h))
        ;
}

/* --- the fake application ------------------------------------------------------------ */

struct th_app *th_app_new(struct th *h)
{
    struct th_app *a = calloc(1, sizeof(*a));

    if (!a || h->napps == TH_APPS_MAX) {
        fprintf(stderr, "th_app_new: out of contexts\n");
        abort();
    }
    a->recv_limit = SIZE_MAX;
    a->recv_budget = SIZE_MAX;
    h->apps[h->napps++] = a;
    return a;
}

struct th_app *th_app_of(struct th *h, const struct tcp_conn *tc)
{
    for (unsigned i = 0; i < h->napps; i++)
        if (h->apps[i]->tc == tc && !h->apps[i]->closed)
            return h->apps[i];
    return NULL;
}

static void grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    while (*cap < need)
        *cap = *cap ? *cap * 2 : 4096;
    *buf = realloc(*buf, *cap);
    if (!*buf)
        abort();
}

void th_app_write(struct th_app *a, const void *data, size_t len)
{
    if (!len)
        return;
    grow(&a->out, &a->out_cap, a->out_tail + len);
    memcpy(a->out + a->out_tail, data, len);
    a->out_tail += len;
}

size_t th_app_pending(const struct th_app *a)
{
    return a->out_tail - a->out_head;
}

static void *app_accept(void *arg, struct tcp_conn *tc)
{
    struct th *h = arg;
    struct th_app *a;

    h->accept_calls++;
    if (h->refuse)
        return NULL;
    a = th_app_new(h);
    a->tc = tc;
    return a;
}

static size_t app_recv(void *ctx, const uint8_t *data, size_t len)
{
    struct th_app *a = ctx;
    size_t n = len;

    if (a->closed)
        abort(); /* a callback after closed() */
    if (n > a->recv_limit)
        n = a->recv_limit;
    if (n > a->recv_budget)
        n = a->recv_budget;
    if (a->recv_budget != SIZE_MAX)
        a->recv_budget -= n;
    if (n) {
        grow(&a->in, &a->in_cap, a->in_len + n);
        memcpy(a->in + a->in_len, data, n);
        a->in_len += n;
    }
    if (a->echo && n) {
        th_app_write(a, data, n);
        tcp_conn_output(a->tc);
    }
    return n;
}

static void app_peer_fin(void *ctx)
{
    struct th_app *a = ctx;

    if (a->closed || a->fin_seen)
        abort(); /* twice, or after closed() */
    a->fin_seen = 1;
    if (a->close_on_fin)
        tcp_conn_close(a->tc);
}

static size_t app_out_len(void *ctx)
{
    return th_app_pending(ctx);
}

static size_t app_out_peek(void *ctx, size_t off, const uint8_t **p)
{
    struct th_app *a = ctx;
    size_t n;

    if (off >= th_app_pending(a))
        return 0;
    n = th_app_pending(a) - off;
    if (a->peek_span && n > a->peek_span - (off % a->peek_span))
        n = a->peek_span - (off % a->peek_span); /* spans end on span boundaries */
    *p = a->out + a->out_head + off;
    return n;
}

static void app_out_acked(void *ctx, size_t n)
{
    struct th_app *a = ctx;

    if (n > th_app_pending(a))
        abort(); /* acknowledged more than we gave */
    a->out_head += n;
    a->out_acked += n;
}

static struct th *closed_h; /* the harness whose closed() counter the callback bumps */

static void app_closed(void *ctx)
{
    struct th_app *a = ctx;

    if (a->closed)
        abort(); /* closed() twice */
    a->closed = 1;
    if (closed_h)
        closed_h->closed_calls++;
}

static void app_connected(void *ctx)
{
    ((struct th_app *)ctx)->connected++;
}

const struct tcp_app_ops th_app_ops = {
    .accept = app_accept,
    .recv = app_recv,
    .peer_fin = app_peer_fin,
    .out_len = app_out_len,
    .out_peek = app_out_peek,
    .out_acked = app_out_acked,
    .closed = app_closed,
    .connected = app_connected,
};

/* --- stack ---------------------------------------------------------------------------- */

struct tcp_config th_config(void)
{
    struct tcp_config c;

    memset(&c, 0, sizeof(c));
    c.max_conns = 64;
    c.syn_backlog = 16;
    c.rcv_wnd = 64 * 1024;
    c.ooo_max = 64 * 1024;
    c.mss = 1460;
    c.time_wait_ms = 2000;
    c.keepalive_s = 0;
    c.keepalive_intvl_s = 1;
    c.keepalive_cnt = 3;
    c.rto_min_ms = 200;
    c.rto_max_ms = 60000;
    c.rto_init_ms = 1000;
    c.max_retries = 5;
    c.delack_ms = 40;
    return c;
}

void th_init(struct th *h, const struct tcp_config *cfg)
{
    th_eal();
    memset(h, 0, sizeof(*h));
    h->cfg = *cfg;
    h->now = 1000000; /* not 0: "0 = off" must not be confused with the clock */
    closed_h = h;
    h->ts = tcp_stack_create(cfg, pool, out_cb, h, &th_app_ops, h, SOCKET_ID_ANY);
    if (!h->ts) {
        fprintf(stderr, "tcp_stack_create failed\n");
        abort();
    }
    tcp_poll(h->ts, h->now);
    tcp_listen(h->ts, htonl(0x0a000001), htons(6379));
}

unsigned th_fini(struct th *h)
{
    tcp_stack_destroy(h->ts);
    h->ts = NULL;
    th_drain(h);
    th_take(h); /* frees the last taken copy */
    for (unsigned i = 0; i < h->napps; i++) {
        free(h->apps[i]->in);
        free(h->apps[i]->out);
        free(h->apps[i]);
    }
    h->napps = 0;
    closed_h = NULL;
    return th_mbufs_in_use();
}

void th_poll(struct th *h, uint64_t us)
{
    h->now += us;
    tcp_poll(h->ts, h->now);
}

/* --- the peer -------------------------------------------------------------------------- */

void th_peer_init(struct th_peer *p, uint16_t port, uint32_t isn)
{
    memset(p, 0, sizeof(*p));
    p->addr = htonl(0x0a000002);
    p->laddr = htonl(0x0a000001);
    p->port = htons(port);
    p->lport = htons(6379);
    p->seq = isn;
    p->wnd = 65535;
    p->tsval = 1000;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint16_t th_seg_bytes(const struct th_peer *p, const struct th_out *o, uint8_t *buf, size_t cap)
{
    uint8_t opt[TH_OPT_MAX];
    unsigned optlen = 0, hlen;

    if (o->raw_opt) {
        memcpy(opt, o->raw_opt, o->raw_optlen);
        optlen = o->raw_optlen;
    } else {
        if (o->mss > 0) {
            opt[optlen++] = 2;
            opt[optlen++] = 4;
            wr16(opt + optlen, (uint16_t)o->mss);
            optlen += 2;
        }
        if (o->ws > 0) { /* ws is shift + 1 so that 0 means "none" */
            opt[optlen++] = 1;
            opt[optlen++] = 3;
            opt[optlen++] = 3;
            opt[optlen++] = (uint8_t)(o->ws - 1);
        }
        if (p->ts && !o->no_ts) {
            opt[optlen++] = 1;
            opt[optlen++] = 1;
            opt[optlen++] = 8;
            opt[optlen++] = 10;
            wr32(opt + optlen, p->tsval);
            wr32(opt + optlen + 4, p->tsecr);
            optlen += 8;
        }
    }
    while (optlen % 4)
        opt[optlen++] = 0;
    hlen = 20 + optlen;
    if (hlen + o->dlen > cap)
        abort();
    memset(buf, 0, 20);
    memcpy(buf, &p->port, 2);
    memcpy(buf + 2, &p->lport, 2);
    wr32(buf + 4, o->set_seq ? o->seq : p->seq);
    wr32(buf + 8, o->set_ack ? o->ack : p->ack);
    buf[12] = (uint8_t)((o->doff ? o->doff : (int)(hlen / 4)) << 4);
    buf[13] = o->flags;
    wr16(buf + 14, o->set_wnd ? o->wnd : p->wnd);
    memcpy(buf + 20, opt, optlen);
    if (o->dlen)
        memcpy(buf + hlen, o->data, o->dlen);
    return (uint16_t)(hlen + o->dlen);
}

void th_send_raw(struct th *h, const struct th_peer *p, const uint8_t *seg, uint16_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    char *d;

    if (!m)
        abort();
    d = rte_pktmbuf_append(m, len);
    if (!d)
        abort();
    memcpy(d, seg, len);
    tcp_input(h->ts, m, p->addr, p->laddr, len);
}

void th_send(struct th *h, struct th_peer *p, const struct th_out *o)
{
    uint8_t buf[2048];
    uint16_t len = th_seg_bytes(p, o, buf, sizeof(buf));
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    char *d;

    if (!m)
        abort();
    d = rte_pktmbuf_append(m, len);
    memcpy(d, buf, len);
    if (!o->set_seq)
        p->seq += o->dlen + !!(o->flags & TH_SYN) + !!(o->flags & TH_FIN);
    if (p->ts)
        p->tsval++;
    tcp_input(h->ts, m, p->addr, p->laddr, o->len_override ? (uint16_t)o->len_override : len);
}

void th_peer_ack_upto(struct th_peer *p, uint32_t ack)
{
    p->ack = ack;
}

struct th_app *th_connect(struct th *h, struct th_peer *p)
{
    struct th_out o = { .flags = TH_SYN, .mss = 1460, .ws = 8 };
    struct th_seg *s;
    unsigned before = h->napps;

    th_drain(h);
    th_send(h, p, &o);
    s = th_take(h);
    if (!s || s->flags != (TH_SYN | TH_ACK) || s->ack != p->seq)
        return NULL;
    p->ack = s->seq + 1;
    if (s->has_ts)
        p->tsecr = s->tsval;
    memset(&o, 0, sizeof(o));
    o.flags = TH_ACK;
    th_send(h, p, &o);
    if (h->napps != before + 1)
        return NULL;
    return h->apps[before];
}
