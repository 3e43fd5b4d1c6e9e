/*
 * test_tcp_defense.c - what a hostile or broken peer can do to dpcache's TCP: a SYN flood
 * (backlog full -> SYN cookies; a valid final ACK establishes, with or without data; forged
 * and stale ACKs do not), a full connection table (RST, TIME_WAIT recycled), a battery of
 * malformed headers and options, a seeded storm of random segments at live connections, and
 * the core-wide bound on held segments. Every test ends with all mbufs back in the pool.
 */
#include "tcp_test.h"

#include <arpa/inet.h>

#include <rte_mbuf.h>

#include "native/tcp_impl.h" /* qnodes_used: the held-segment bound; app: swap ops */

#define PEER_ISN 1000u
#define MS       1000ull

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static struct th_seg *syn_from(struct th *h, struct th_peer *p, uint16_t port, uint32_t isn)
{
    struct th_out syn = { .flags = TH_SYN, .mss = 1460, .ws = 8 };

    th_peer_init(p, port, isn);
    p->ts = 1;
    th_send(h, p, &syn);
    return th_take(h);
}

/* --- SYN cookies ---------------------------------------------------------------------------- */

static void test_syn_cookies(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[24];
    uint32_t cookie[24];
    struct th_seg *s;
    struct th_app *a;

    (void)state;
    cfg.syn_backlog = 4;
    th_init(&h, &cfg);
    for (int i = 0; i < 24; i++) {
        s = syn_from(&h, &p[i], (uint16_t)(30000 + i), PEER_ISN + (uint32_t)i * 1000);
        assert_non_null(s);
        assert_int_equal(s->flags, TH_SYN | TH_ACK);
        assert_int_equal(s->ack, PEER_ISN + (uint32_t)i * 1000 + 1);
        assert_int_equal(s->mss, 1460);
        if (i < 4) { /* stateful: options answered */
            assert_int_equal(s->ws, 1);
            assert_true(s->has_ts);
        } else { /* cookie: no window scaling, no timestamps */
            assert_int_equal(s->ws, TH_NONE);
            assert_false(s->has_ts);
        }
        cookie[i] = s->seq;
        p[i].ack = s->seq + 1;
        p[i].ts = i < 4;
    }
    assert_int_equal(in_state(&h, "SYN_RCVD"), 4);
    assert_int_equal(conns_total(&h), 4); /* the flood left no state */
    assert_int_equal(tcp_stats(h.ts)->syn_cookies_sent, 20);

    /* forged final ACKs: random acknowledgment numbers, a right cookie with the wrong ISN */
    rng_state = 42;
    for (int i = 0; i < 2000; i++) {
        struct th_peer f;
        struct th_out o = { .flags = TH_ACK, .set_ack = 1 };
        th_peer_init(&f, (uint16_t)(31000 + i % 1000), PEER_ISN + 1);
        o.ack = rnd();
        th_send(&h, &f, &o);
        s = expect_seg(&h, TH_RST, o.ack, ANY_SEQ);
    }
    {
        struct th_out o = { .flags = TH_ACK, .set_seq = 1, .seq = PEER_ISN + 10 * 1000 + 7 };
        th_send(&h, &p[10], &o);
        expect_seg(&h, TH_RST, cookie[10] + 1, ANY_SEQ);
    }
    assert_int_equal(conns_total(&h), 4);
    assert_int_equal(h.accept_calls, 0);

    /* the real final ACK: established straight away, MSS from the cookie, no scaling */
    peer_ack(&h, &p[10]);
    assert_int_equal(h.accept_calls, 1);
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
    assert_int_equal(tcp_stats(h.ts)->syn_cookies_ok, 1);
    a = h.apps[0];
    a->echo = 1;
    {
        static uint8_t buf[1460];
        memset(buf, 'e', sizeof(buf));
        peer_data(&h, &p[10], buf, sizeof(buf));
    }
    s = expect_seg(&h, TH_ACK | TH_PSH, cookie[10] + 1, p[10].seq);
    assert_int_equal(s->dlen, 1460);
    assert_int_equal(s->wnd, 65535); /* unscaled (rcv_wnd is 64 KiB) */
    assert_false(s->has_ts);

    /* a final ACK that carries the first request */
    {
        struct th_out o = { .flags = TH_ACK | TH_PSH, .data = "PING\r\n", .dlen = 6 };
        th_send(&h, &p[11], &o);
    }
    assert_int_equal(h.accept_calls, 2);
    assert_int_equal(h.apps[1]->in_len, 6);
    assert_memory_equal(h.apps[1]->in, "PING\r\n", 6);

    /* stale: a cookie older than two periods */
    th_poll(&h, 130ull * 1000 * MS);
    th_drain(&h); /* what the timers sent meanwhile */
    peer_ack(&h, &p[12]);
    expect_seg(&h, TH_RST, cookie[12] + 1, ANY_SEQ);
    assert_int_equal(h.accept_calls, 2);
    FINI(&h);
}

static void test_syn_flood_then_recovery(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    unsigned synacks = 0;

    (void)state;
    cfg.syn_backlog = 8;
    cfg.max_conns = 32;
    th_init(&h, &cfg);
    rng_state = 7;
    for (int i = 0; i < 20000; i++) { /* spoofed sources never complete */
        struct th_out syn = { .flags = TH_SYN, .mss = 1460 };
        th_peer_init(&p, (uint16_t)(1024 + rnd() % 60000), rnd());
        p.addr = htonl(0x0b000000 | (rnd() & 0xffffff));
        th_send(&h, &p, &syn);
        while (h.nseg) {
            struct th_seg *s = th_take(&h);
            assert_int_equal(s->flags, TH_SYN | TH_ACK);
            synacks++;
        }
        assert_true(in_state(&h, "SYN_RCVD") <= cfg.syn_backlog);
        if (i % 100 == 0)
            th_poll(&h, MS);
    }
    assert_int_equal(synacks, 20000); /* every SYN answered */
    assert_int_equal(tcp_stats(h.ts)->syn_cookies_sent, 20000 - cfg.syn_backlog);
    assert_true(conns_total(&h) <= cfg.syn_backlog);
    /* the half-open connections time out; a client then gets a stateful SYN-ACK again */
    for (int i = 0; i < 200; i++) {
        th_poll(&h, 1000 * MS);
        th_drain(&h);
    }
    assert_int_equal(conns_total(&h), 0);
    th_peer_init(&p, 50000, PEER_ISN);
    p.ts = 1;
    assert_non_null(th_connect(&h, &p));
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
    FINI(&h);
}

/* --- table full ----------------------------------------------------------------------------- */

static void test_table_full(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[6];
    struct th_seg *s;

    (void)state;
    cfg.max_conns = 4;
    th_init(&h, &cfg);
    for (int i = 0; i < 4; i++) {
        th_peer_init(&p[i], (uint16_t)(40000 + i), PEER_ISN);
        assert_non_null(th_connect(&h, &p[i]));
    }
    th_drain(&h);
    s = syn_from(&h, &p[4], 40004, PEER_ISN);
    assert_non_null(s);
    assert_int_equal(s->flags, TH_RST | TH_ACK); /* clean refusal */
    assert_int_equal(s->ack, PEER_ISN + 1);
    assert_int_equal(tcp_stats(h.ts)->conns_refused, 1);
    assert_int_equal(conns_total(&h), 4);
    /* one connection closes actively: its TIME_WAIT slot is recycled for a newcomer */
    tcp_conn_close(h.apps[0]->tc);
    s = expect_seg(&h, TH_FIN | TH_ACK, ANY_SEQ, ANY_SEQ);
    p[0].ack = s->seq + 1;
    peer_flags(&h, &p[0], TH_FIN | TH_ACK);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    th_poll(&h, 0);
    th_drain(&h);
    s = syn_from(&h, &p[5], 40005, PEER_ISN);
    assert_int_equal(s->flags, TH_SYN | TH_ACK);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 0);
    assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
    FINI(&h);
}

/* --- malformed -------------------------------------------------------------------------------- */

static void test_malformed_battery(void **state)
{
    static const uint8_t opt_len0[] = { 2, 0, 1, 1 };               /* length 0: would loop */
    static const uint8_t opt_len1[] = { 8, 1, 1, 1 };               /* length 1 */
    static const uint8_t opt_long[] = { 1, 1, 8, 200 };             /* past the header */
    static const uint8_t opt_trunc[] = { 1, 1, 1, 8 };              /* kind at the last byte */
    static const uint8_t opt_ts_bad[] = { 8, 8, 0, 0, 0, 9, 9, 9 }; /* TS of length 8 */
    static const uint8_t opt_unknown[] = { 99, 4, 0xff, 0xff };     /* unknown kind */
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p, l;
    struct th_app *a;
    uint64_t bad0;
    uint8_t raw[64];
    uint16_t n;

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    p.ts = 1;
    a = th_connect(&h, &p);
    assert_non_null(a);
    th_drain(&h);
    th_peer_init(&l, 40001, 5); /* for the listener */
    bad0 = tcp_stats(h.ts)->bad_segments;

    /* broken headers: dropped and counted, never answered */
    {
        struct th_out o = { .flags = TH_ACK };
        n = th_seg_bytes(&p, &o, raw, sizeof(raw));
        th_send_raw(&h, &p, raw, 12); /* shorter than a header */
        raw[12] = 4 << 4;             /* data offset 4 */
        th_send_raw(&h, &p, raw, n);
        raw[12] = 15 << 4; /* data offset 15 (60 bytes) in a 32-byte segment */
        th_send_raw(&h, &p, raw, n);
    }
    {
        struct th_out o = { .flags = TH_ACK, .len_override = 1500 }; /* longer than the mbuf */
        th_send(&h, &p, &o);
        p.seq -= 0;
    }
    expect_none(&h);
    assert_int_equal(tcp_stats(h.ts)->bad_segments - bad0, 4);

    /* forbidden flag combinations, to the connection and to the listener */
    for (int to_listener = 0; to_listener < 2; to_listener++) {
        static const uint8_t combos[] = { TH_SYN | TH_FIN, TH_SYN | TH_RST, 0x3f, 0xff };
        for (unsigned i = 0; i < sizeof(combos); i++) {
            struct th_out o = { .flags = combos[i], .set_seq = 1 };
            struct th_peer *q = to_listener ? &l : &p;
            o.seq = q->seq;
            th_send(&h, q, &o);
            expect_none(&h);
        }
    }
    /* no flags at all, FIN without ACK: dropped */
    {
        struct th_out o = { .flags = 0, .set_seq = 1 };
        o.seq = p.seq;
        th_send(&h, &p, &o);
        o.flags = TH_FIN;
        th_send(&h, &p, &o);
        expect_none(&h);
        assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
        assert_int_equal(a->fin_seen, 0);
        o.flags = 0;
        th_send(&h, &l, &o); /* to the listener: nothing */
        expect_none(&h);
    }
    /* zero port */
    {
        struct th_peer z = p;
        struct th_out o = { .flags = TH_SYN };
        z.port = 0;
        th_send(&h, &z, &o);
        expect_none(&h);
    }
    /* broken options on data segments: options ignored, data accepted */
    {
        const uint8_t *opts[] = {
            opt_len0, opt_len1, opt_long, opt_trunc, opt_ts_bad, opt_unknown
        };
        const uint8_t lens[] = { sizeof(opt_len0),  sizeof(opt_len1),   sizeof(opt_long),
                                 sizeof(opt_trunc), sizeof(opt_ts_bad), sizeof(opt_unknown) };
        for (unsigned i = 0; i < 6; i++) {
            struct th_out o = {
                .flags = TH_ACK, .raw_opt = opts[i], .raw_optlen = lens[i], .data = "d", .dlen = 1
            };
            th_send(&h, &p, &o);
        }
        assert_int_equal(a->in_len, 6);
        th_poll(&h, cfg.delack_ms * MS + MS);
        th_drain(&h);
    }
    /* a SYN with a window scale of 200 (clamped to 14) and MSS 1 (raised to the minimum) */
    {
        struct th_peer q;
        struct th_out syn = { .flags = TH_SYN, .mss = 0, .ws = 201 };
        static const uint8_t mss0[] = { 2, 4, 0, 1, 1, 3, 3, 200 };
        struct th_seg *s;
        static uint8_t buf[1000];
        unsigned maxlen = 0;
        th_peer_init(&q, 40002, 77);
        syn.raw_opt = mss0;
        syn.raw_optlen = sizeof(mss0);
        th_send(&h, &q, &syn);
        s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, 78);
        assert_int_equal(s->ws, 1);
        q.ack = s->seq + 1;
        q.wnd = 1; /* scaled by 2^14: 16384 */
        peer_ack(&h, &q);
        assert_int_equal(h.napps, 2);
        th_app_write(h.apps[1], buf, sizeof(buf));
        tcp_conn_output(h.apps[1]->tc);
        while ((s = th_take(&h)) != NULL)
            maxlen = s->dlen > maxlen ? s->dlen : maxlen;
        assert_int_equal(maxlen, 64); /* TCP_MIN_MSS */
    }
    /* the first connection still works */
    a->echo = 1;
    peer_data(&h, &p, "ok", 2);
    {
        struct th_seg *s = expect_seg(&h, TH_ACK | TH_PSH, ANY_SEQ, p.seq);
        assert_memory_equal(s->data, "ok", 2);
    }
    assert_int_equal(h.closed_calls, 0);
    FINI(&h);
}

/* --- random storm --------------------------------------------------------------------------- */

static void test_random_segment_storm(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[4];

    (void)state;
    cfg.max_conns = 8;
    cfg.ooo_max = 8000;
    cfg.rx_segs_max = 300;
    th_init(&h, &cfg);
    rng_state = 0x1234567;
    for (int i = 0; i < 4; i++) {
        th_peer_init(&p[i], (uint16_t)(40000 + i), PEER_ISN * (uint32_t)(i + 1));
        p[i].ts = i & 1;
        assert_non_null(th_connect(&h, &p[i]));
    }
    th_drain(&h);
    for (int k = 0; k < 30000; k++) {
        struct th_peer *q = &p[rnd() % 4];
        uint8_t data[1500];
        uint8_t opt[12];
        struct th_out o;
        unsigned r = rnd() % 100;

        memset(&o, 0, sizeof(o));
        o.flags = (uint8_t)(r < 70 ? TH_ACK | (rnd() % 4 == 0 ? TH_PSH : 0) : rnd() & 0x3f);
        o.set_seq = 1;
        o.seq = q->seq + (rnd() % 3 == 0 ? (uint32_t)(rnd() % 20000) - 10000 : 0);
        o.set_ack = 1;
        o.ack = q->ack + (uint32_t)(rnd() % 4000) - 2000;
        o.set_wnd = 1;
        o.wnd = (uint16_t)(rnd() % 3 == 0 ? 0 : rnd());
        o.dlen = (uint16_t)(rnd() % 3 == 0 ? 0 : rnd() % 1400);
        for (unsigned i = 0; i < o.dlen; i++)
            data[i] = (uint8_t)rnd();
        o.data = data;
        if (rnd() % 10 == 0) {
            for (unsigned i = 0; i < sizeof(opt); i++)
                opt[i] = (uint8_t)rnd();
            o.raw_opt = opt;
            o.raw_optlen = (uint8_t)(rnd() % sizeof(opt));
        }
        th_send(&h, q, &o);
        while (h.nseg) { /* the peer follows what it is told */
            struct th_seg *s = th_take(&h);
            if (s->flags & TH_ACK)
                q->ack = s->seq + s->dlen + !!(s->flags & (TH_SYN | TH_FIN));
        }
        if (rnd() % 50 == 0)
            th_poll(&h, rnd() % (200 * MS));
        for (unsigned i = 0; i < h.napps; i++) { /* the application does its part */
            struct th_app *a = h.apps[i];
            if (a->closed)
                continue;
            switch (rnd() % 40) {
            case 0:
                th_app_write(a, "reply", 5);
                tcp_conn_output(a->tc);
                break;
            case 1:
                a->recv_budget = SIZE_MAX;
                tcp_conn_recv_resume(a->tc);
                break;
            case 2: a->recv_budget = rnd() % 3000; break;
            case 3:
                if (rnd() % 20 == 0)
                    tcp_conn_close(a->tc);
                break;
            default: break;
            }
        }
        assert_true(h.ts->qnodes_used <= h.ts->nqnodes);
        if (conns_total(&h) < 2) { /* keep something alive to torment */
            int i = (int)(rnd() % 4);
            th_peer_init(&p[i], (uint16_t)(40000 + rnd() % 1000), rnd());
            th_connect(&h, &p[i]);
            th_drain(&h);
        }
    }
    /* every connection ends, closed() exactly once per accepted one still held */
    tcp_stack_destroy(h.ts);
    h.ts = NULL;
    for (unsigned i = 0; i < h.napps; i++)
        assert_int_equal(h.apps[i]->closed, 1);
    assert_int_equal(h.closed_calls, h.napps);
    FINI(&h);
}

/* --- held-segment bound ------------------------------------------------------------------------
 */

static void test_held_segments_bounded(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[40];
    uint8_t buf[700];
    uint32_t sent[40] = { 0 };

    (void)state;
    cfg.rx_segs_max = 256;
    th_init(&h, &cfg);
    for (int i = 0; i < 40; i++) {
        th_peer_init(&p[i], (uint16_t)(40000 + i), PEER_ISN);
        assert_non_null(th_connect(&h, &p[i]));
        h.apps[i]->recv_budget = 0; /* nobody reads */
    }
    th_drain(&h);
    /* 700-byte segments: about two share an mbuf (tailroom coalescing), 40 readers that
     * do not read would need far more than 256 nodes: the core-wide budget refuses */
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 40; i++) {
            struct th_out o = { .flags = TH_ACK, .set_seq = 1, .data = buf, .dlen = 700 };
            o.seq = p[i].seq + sent[i];
            for (unsigned k = 0; k < sizeof(buf); k++)
                buf[k] = pattern(sent[i] + k);
            th_send(&h, &p[i], &o);
            th_poll(&h, 0);
            while (h.nseg) {
                struct th_seg *s = th_take(&h);
                sent[i] = s->ack - p[i].seq; /* what it accepted */
            }
        }
        assert_true(h.ts->qnodes_used <= 256);
    }
    assert_true(tcp_stats(h.ts)->rx_held_full > 0);
    assert_true(th_mbufs_in_use() <= 256 + 8);
    /* readers wake up: everything accepted arrives intact */
    for (int i = 0; i < 40; i++) {
        h.apps[i]->recv_budget = SIZE_MAX;
        tcp_conn_recv_resume(h.apps[i]->tc);
        th_poll(&h, cfg.delack_ms * MS + MS);
        while (h.nseg) {
            struct th_seg *s = th_take(&h);
            int j = s->dport - 40000;
            assert_int_equal(s->ack, p[j].seq + sent[j]);
        }
        assert_int_equal(h.apps[i]->in_len, sent[i]);
        for (uint32_t k = 0; k < sent[i]; k++)
            assert_int_equal(h.apps[i]->in[k], pattern(k));
    }
    FINI(&h);
}

/* --- the application calling back in ------------------------------------------------------- */

static struct tcp_conn *abort_target;
static int recv_calls;

/* First call: takes half (the rest stays queued in TCP); second call: aborts. */
static size_t abort_in_recv(void *ctx, const uint8_t *data, size_t len)
{
    (void)data;
    if (recv_calls++ == 0)
        return len / 2;
    ((struct th_app *)ctx)->closed = 2; /* aborted: closed() must not follow */
    tcp_conn_abort(abort_target);
    return len;
}

static void test_abort_from_recv(void **state)
{
    struct tcp_config cfg = th_config();
    struct tcp_app_ops ops = th_app_ops;
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint8_t buf[1000];
    struct th_out in = { .flags = TH_ACK, .set_seq = 1, .data = buf, .dlen = 1000 };
    struct th_out ooo = { .flags = TH_ACK | TH_FIN, .set_seq = 1, .data = buf, .dlen = 1000 };

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    a = th_connect(&h, &p);
    assert_non_null(a);
    th_drain(&h);
    memset(buf, 'q', sizeof(buf));
    ops.recv = abort_in_recv;
    h.ts->app = &ops; /* this stack's application aborts from inside recv() */
    abort_target = a->tc;
    recv_calls = 0;
    ooo.seq = p.seq + 2000; /* the out-of-order queue holds an mbuf */
    th_send(&h, &p, &ooo);
    in.seq = p.seq;
    th_send(&h, &p, &in); /* half taken, half in the receive queue */
    th_drain(&h);
    assert_int_equal(recv_calls, 1);
    assert_true(th_mbufs_in_use() >= 2);
    tcp_conn_recv_resume(a->tc); /* the application aborts while being handed the rest */
    h.ts->app = &th_app_ops;
    assert_int_equal(recv_calls, 2);
    expect_seg(&h, TH_RST | TH_ACK, ANY_SEQ, ANY_SEQ);
    expect_none(&h);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(h.closed_calls, 0);
    assert_int_equal(th_mbufs_in_use(), 0);
    th_poll(&h, 10 * 1000 * MS);
    expect_none(&h);
    FINI(&h);
}

static void test_no_mbuf_then_retry(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct rte_mbuf **held = calloc(TH_POOL_MBUFS, sizeof(*held));
    unsigned n = 0;
    struct th_seg *s;

    (void)state;
    assert_non_null(held);
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    a = th_connect(&h, &p);
    assert_non_null(a);
    th_drain(&h);
    while (n < TH_POOL_MBUFS && (held[n] = rte_pktmbuf_alloc(th_pool())) != NULL)
        n++;
    th_app_write(a, "stuck", 5);
    tcp_conn_output(a->tc);
    expect_none(&h);
    assert_true(tcp_stats(h.ts)->no_mbuf > 0);
    while (n)
        rte_pktmbuf_free(held[--n]);
    free(held);
    /* nothing was in flight: the retry timer sends it */
    th_poll(&h, cfg.rto_init_ms * MS + 2 * MS);
    s = expect_seg(&h, TH_ACK | TH_PSH, p.ack, ANY_SEQ);
    assert_memory_equal(s->data, "stuck", 5);
    FINI(&h);
}

static void test_connect_table_full(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[3];
    struct th_app *a;

    (void)state;
    cfg.max_conns = 2;
    th_init(&h, &cfg);
    for (int i = 0; i < 2; i++) {
        th_peer_init(&p[i], (uint16_t)(40000 + i), PEER_ISN);
        assert_non_null(th_connect(&h, &p[i]));
    }
    a = th_app_new(&h);
    a->closed = 3; /* never opened */
    assert_null(tcp_connect(h.ts, p[0].laddr, htons(5000), p[0].addr, htons(80), a));
    expect_none(&h);
    FINI(&h);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_cookies),
        cmocka_unit_test(test_syn_flood_then_recovery),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_malformed_battery),
        cmocka_unit_test(test_random_segment_storm),
        cmocka_unit_test(test_held_segments_bounded),
        cmocka_unit_test(test_abort_from_recv),
        cmocka_unit_test(test_no_mbuf_then_retry),
        cmocka_unit_test(test_connect_table_full),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
