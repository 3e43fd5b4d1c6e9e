/*
 * test_tcp_timer.c - dpcache's TCP timers under a controlled clock: RTO back-off to the drop
 * after max_retries (with closed()), the RTO computed from RTT samples (RFC 6298) and clamped,
 * SYN-ACK and SYN retransmission and give-up, zero-window probing (persist) with back-off that
 * lasts as long as the peer answers, and ends when it does not or when a closed connection's
 * window stays shut, keepalive probes and drop, the FIN_WAIT_2 timeout, deadlines more than
 * one wheel turn away, and many connections' timers at once.
 */
#include "tcp_test.h"

#include <arpa/inet.h>

#define PEER_ISN 1000u
#define MS       1000ull

static struct th_app *establish(struct th *h, struct th_peer *p, uint16_t port)
{
    struct th_app *a;

    th_peer_init(p, port, PEER_ISN);
    a = th_connect(h, p);
    assert_non_null(a);
    th_drain(h);
    return a;
}

/* Poll in @step µs increments until a segment is captured or @limit µs passed; returns the
 * time it took (or UINT64_MAX). */
static uint64_t wait_seg(struct th *h, uint64_t step, uint64_t limit)
{
    uint64_t t0 = h->now;

    while (h->now - t0 < limit) {
        th_poll(h, step);
        if (h->nseg)
            return h->now - t0;
    }
    return UINT64_MAX;
}

static void assert_near(uint64_t got, uint64_t want, uint64_t tol)
{
    if (got + tol < want || got > want + tol)
        fail_msg("%llu us, expected %llu +- %llu", (unsigned long long)got,
                 (unsigned long long)want, (unsigned long long)tol);
}

static void test_rto_backoff_then_drop(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    uint32_t base;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000);
    base = p.ack;
    th_app_write(a, "request", 7);
    tcp_conn_output(a->tc);
    expect_seg(&h, TH_ACK | TH_PSH, base, ANY_SEQ);
    /* no ACK ever: RFC 6298 §5.5, the timer doubles each time (initial RTO 1 s) */
    for (unsigned i = 0; i < cfg.max_retries; i++) {
        uint64_t dt = wait_seg(&h, MS, 120 * 1000 * MS);
        assert_near(dt, (uint64_t)cfg.rto_init_ms * MS << i, 2 * MS);
        s = expect_seg(&h, TH_ACK | TH_PSH, base, ANY_SEQ);
        assert_int_equal(s->dlen, 7);
        expect_none(&h);
        assert_int_equal(a->closed, 0);
    }
    assert_int_equal(tcp_stats(h.ts)->rto_timeouts, cfg.max_retries);
    /* the next expiry gives up: RST to the peer, closed() to the application */
    assert_near(wait_seg(&h, MS, 120 * 1000 * MS),
                (uint64_t)cfg.rto_init_ms * MS << cfg.max_retries, 2 * MS);
    expect_seg(&h, TH_RST | TH_ACK, base, ANY_SEQ);
    assert_int_equal(a->closed, 1);
    assert_int_equal(conns_total(&h), 0);
    FINI(&h);
}

static void test_rto_from_rtt_and_clamp(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t base;

    (void)state;
    cfg.rto_min_ms = 10;
    cfg.rto_max_ms = 300;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000);
    base = p.ack;
    th_app_write(a, "one", 3);
    tcp_conn_output(a->tc);
    th_drain(&h);
    th_poll(&h, 50 * MS); /* a 50 ms round trip */
    p.ack = base + 3;
    peer_ack(&h, &p);
    /* SRTT 50, RTTVAR 25: RTO = 50 + 4 * 25 = 150 ms (RFC 6298 §2.2) */
    th_app_write(a, "two", 3);
    tcp_conn_output(a->tc);
    expect_seg(&h, TH_ACK | TH_PSH, base + 3, ANY_SEQ);
    assert_near(wait_seg(&h, 100, 10 * 1000 * MS), 150 * MS, 1 * MS);
    th_drain(&h);
    /* doubled, then clamped at rto_max */
    assert_near(wait_seg(&h, 100, 10 * 1000 * MS), 300 * MS, 1 * MS);
    th_drain(&h);
    assert_near(wait_seg(&h, 100, 10 * 1000 * MS), 300 * MS, 1 * MS);
    th_drain(&h);
    /* a new sample resets the back-off */
    p.ack = base + 6;
    peer_ack(&h, &p);
    assert_int_equal(a->out_acked, 6);
    FINI(&h);
}

static void test_fin_retransmitted(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    uint32_t base;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000);
    base = p.ack;
    th_app_write(a, "tail", 4);
    tcp_conn_close(a->tc);
    s = expect_seg(&h, TH_FIN | TH_PSH | TH_ACK, base, ANY_SEQ);
    assert_int_equal(s->dlen, 4);
    /* lost: the RTO sends the data and the FIN again */
    assert_near(wait_seg(&h, MS, 10 * 1000 * MS), (uint64_t)cfg.rto_init_ms * MS, 2 * MS);
    s = expect_seg(&h, TH_FIN | TH_PSH | TH_ACK, base, ANY_SEQ);
    assert_int_equal(s->dlen, 4);
    /* the data arrived, the FIN did not: the FIN alone next time */
    p.ack = base + 4;
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "FIN_WAIT_1"), 1);
    assert_true(wait_seg(&h, MS, 10 * 1000 * MS) != UINT64_MAX);
    s = expect_seg(&h, TH_FIN | TH_ACK, base + 4, ANY_SEQ);
    assert_int_equal(s->dlen, 0);
    p.ack = base + 5;
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    assert_int_equal(a->out_acked, 4);
    FINI(&h);
}

static void test_synack_retransmit_then_forget(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_out syn = { .flags = TH_SYN, .mss = 1460 };
    uint32_t iss;

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    th_send(&h, &p, &syn);
    iss = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1)->seq;
    for (unsigned i = 0; i < 5; i++) { /* TCP_SYNACK_RETRIES */
        assert_near(wait_seg(&h, MS, 100 * 1000 * MS), (uint64_t)cfg.rto_init_ms * MS << i, 2 * MS);
        expect_seg(&h, TH_SYN | TH_ACK, iss, PEER_ISN + 1);
    }
    assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
    th_poll(&h, (uint64_t)cfg.rto_init_ms * MS << 5);
    expect_none(&h); /* dropped quietly: the peer never completed */
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(h.accept_calls, 0);
    FINI(&h);
}

static void test_syn_retransmit_then_fail(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t iss;

    (void)state;
    th_init(&h, &cfg);
    a = th_app_new(&h);
    th_peer_init(&p, 80, PEER_ISN);
    a->tc = tcp_connect(h.ts, p.laddr, htons(5555), p.addr, p.port, a);
    assert_non_null(a->tc);
    iss = expect_seg(&h, TH_SYN, ANY_SEQ, ANY_SEQ)->seq;
    for (unsigned i = 0; i < cfg.max_retries; i++) {
        assert_near(wait_seg(&h, MS, 100 * 1000 * MS), (uint64_t)cfg.rto_init_ms * MS << i, 2 * MS);
        expect_seg(&h, TH_SYN, iss, ANY_SEQ);
    }
    th_poll(&h, (uint64_t)cfg.rto_init_ms * MS << cfg.max_retries);
    expect_none(&h);
    assert_int_equal(a->closed, 1); /* the application learns it failed */
    assert_int_equal(a->connected, 0);
    assert_int_equal(conns_total(&h), 0);
    FINI(&h);
}

/* Establish, send @len bytes (one initial window: all of it goes), have the peer acknowledge
 * everything and announce a zero window, with @more bytes still to send. */
static struct th_app *zero_window(struct th *h, struct th_peer *p, size_t len, size_t more)
{
    static uint8_t buf[30000];
    struct th_app *a = establish(h, p, 40000);
    struct th_seg *s;
    uint32_t got = 0;

    assert_true(len + more <= sizeof(buf));
    memset(buf, 'w', sizeof(buf));
    th_app_write(a, buf, len);
    tcp_conn_output(a->tc);
    while ((s = th_take(h)) != NULL)
        got += s->dlen;
    assert_int_equal(got, len);
    th_app_write(a, buf, more);
    p->ack += got;
    p->wnd = 0;
    peer_ack(h, p);
    expect_none(h);
    return a;
}

static void test_persist_probes_while_answered(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_seg *s;
    uint64_t prev = 0;

    (void)state;
    cfg.max_retries = 3;
    th_init(&h, &cfg);
    zero_window(&h, &p, 3000, 5000);
    /* probes: seq snd_una - 1, no data; intervals grow; each one answered with window 0 */
    for (unsigned i = 0; i < 3 * cfg.max_retries; i++) {
        uint64_t dt = wait_seg(&h, MS, 200 * 1000 * MS);
        assert_true(dt != UINT64_MAX);
        s = expect_seg(&h, TH_ACK, p.ack - 1, p.seq);
        assert_int_equal(s->dlen, 0);
        if (i > 0 && 2 * prev <= (uint64_t)cfg.rto_max_ms * MS)
            assert_near(dt, 2 * prev, 2 * MS); /* back-off */
        assert_true(dt <= (uint64_t)cfg.rto_max_ms * MS + 2 * MS);
        prev = dt;
        peer_ack(&h, &p); /* still zero */
    }
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1); /* answered: never given up */
    assert_int_equal(tcp_stats(h.ts)->zero_window_probes, 3 * cfg.max_retries);
    /* the window opens: the data flows again */
    p.wnd = 65535;
    peer_ack(&h, &p);
    s = expect_seg(&h, TH_ACK, p.ack, ANY_SEQ);
    assert_int_equal(s->dlen, 1460);
    FINI(&h);
}

static void test_persist_unanswered_drops(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;

    (void)state;
    cfg.max_retries = 3;
    th_init(&h, &cfg);
    a = zero_window(&h, &p, 3000, 3000);
    for (unsigned i = 0; i < cfg.max_retries; i++) {
        assert_true(wait_seg(&h, MS, 200 * 1000 * MS) != UINT64_MAX);
        expect_seg(&h, TH_ACK, ANY_SEQ, ANY_SEQ);
    }
    assert_true(wait_seg(&h, MS, 200 * 1000 * MS) != UINT64_MAX);
    expect_seg(&h, TH_RST | TH_ACK, ANY_SEQ, ANY_SEQ);
    assert_int_equal(a->closed, 1);
    assert_int_equal(conns_total(&h), 0);
    FINI(&h);
}

static void test_persist_closed_window_stuck_forever(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    unsigned probes = 0;

    (void)state;
    cfg.max_retries = 4;
    th_init(&h, &cfg);
    a = zero_window(&h, &p, 3000, 3000);
    tcp_conn_close(a->tc); /* the application is done; the peer never reads again */
    assert_int_equal(in_state(&h, "FIN_WAIT_1"), 1);
    for (;;) {
        struct th_seg *s;
        assert_true(wait_seg(&h, 10 * MS, 3600 * 1000 * MS) != UINT64_MAX);
        s = th_take(&h);
        if (s->flags & TH_RST)
            break;
        assert_true(++probes <= cfg.max_retries);
        peer_ack(&h, &p); /* answers, window still 0 */
    }
    assert_int_equal(probes, cfg.max_retries);
    assert_int_equal(a->closed, 1);
    assert_int_equal(conns_total(&h), 0);
    FINI(&h);
}

static void test_keepalive(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;

    (void)state;
    cfg.keepalive_s = 10;
    cfg.keepalive_intvl_s = 1;
    cfg.keepalive_cnt = 3;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000);
    assert_near(wait_seg(&h, 10 * MS, 60 * 1000 * MS), 10 * 1000 * MS, 11 * MS);
    s = expect_seg(&h, TH_ACK, p.ack - 1, p.seq); /* seq snd_una - 1: the peer must answer */
    assert_int_equal(s->dlen, 0);
    peer_ack(&h, &p);
    /* answered: the next probe after another idle period */
    assert_near(wait_seg(&h, 10 * MS, 60 * 1000 * MS), 10 * 1000 * MS, 11 * MS);
    expect_seg(&h, TH_ACK, p.ack - 1, p.seq);
    /* silence: keepalive_cnt probes keepalive_intvl_s apart, then the drop */
    for (unsigned i = 1; i < cfg.keepalive_cnt; i++) {
        assert_near(wait_seg(&h, 10 * MS, 60 * 1000 * MS), 1000 * MS, 11 * MS);
        expect_seg(&h, TH_ACK, p.ack - 1, p.seq);
    }
    assert_near(wait_seg(&h, 10 * MS, 60 * 1000 * MS), 1000 * MS, 11 * MS);
    expect_seg(&h, TH_RST | TH_ACK, p.ack, p.seq);
    assert_int_equal(a->closed, 1);
    assert_int_equal(tcp_stats(h.ts)->keepalive_drops, 1);
    FINI(&h);
}

static void test_keepalive_far_deadline_one_jump(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;

    (void)state;
    cfg.keepalive_s = 7200; /* many wheel turns away */
    th_init(&h, &cfg);
    establish(&h, &p, 40000);
    th_poll(&h, 7199ull * 1000 * MS);
    expect_none(&h);
    th_poll(&h, 2 * 1000 * MS); /* one jump across it */
    expect_seg(&h, TH_ACK, p.ack - 1, p.seq);
    FINI(&h);
}

static void test_fin_wait_2_timeout(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000);
    tcp_conn_close(a->tc);
    s = expect_seg(&h, TH_FIN | TH_ACK, ANY_SEQ, ANY_SEQ);
    p.ack = s->seq + 1;
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    th_poll(&h, 59ull * 1000 * MS);
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    assert_int_equal(a->closed, 0);
    th_poll(&h, 2ull * 1000 * MS); /* TCP_FIN_WAIT2_MS */
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(a->closed, 1);
    FINI(&h);
}

static void test_many_delayed_acks(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[50];
    unsigned acked[50] = { 0 };

    (void)state;
    th_init(&h, &cfg);
    for (int i = 0; i < 50; i++) {
        establish(&h, &p[i], (uint16_t)(42000 + i));
        peer_data(&h, &p[i], "x", 1);
        th_poll(&h, 300); /* staggered: 0.3 ms apart */
    }
    expect_none(&h);
    th_poll(&h, cfg.delack_ms * MS);
    while (h.nseg) {
        struct th_seg *s = th_take(&h);
        int i = s->dport - 42000;
        assert_true(i >= 0 && i < 50);
        assert_int_equal(s->flags, TH_ACK);
        assert_int_equal(s->ack, p[i].seq);
        acked[i]++;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(acked[i], 1);
    FINI(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rto_backoff_then_drop),
        cmocka_unit_test(test_rto_from_rtt_and_clamp),
        cmocka_unit_test(test_fin_retransmitted),
        cmocka_unit_test(test_synack_retransmit_then_forget),
        cmocka_unit_test(test_syn_retransmit_then_fail),
        cmocka_unit_test(test_persist_probes_while_answered),
        cmocka_unit_test(test_persist_unanswered_drops),
        cmocka_unit_test(test_persist_closed_window_stuck_forever),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_keepalive_far_deadline_one_jump),
        cmocka_unit_test(test_fin_wait_2_timeout),
        cmocka_unit_test(test_many_delayed_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
