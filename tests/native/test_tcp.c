/*
 * test_tcp.c - dpcache's TCP state machine (RFC 9293) driven by crafted segments: passive,
 * active and simultaneous open; active, passive and simultaneous close; TIME_WAIT expiry and
 * reuse; RST in every state with acceptable and unacceptable sequence numbers and RFC 5961
 * challenge ACKs; SYN in a synchronized state; segments for no connection; option negotiation
 * (MSS, window scale, timestamps, PAWS); refusal by the application; abort.
 *
 * What the stack sends is captured by the IP-layer test double of tcp_harness.c; the
 * application is the harness's fake. Expected values come from the test's own bookkeeping of
 * the peer (its ISN, what it sent), never from the stack's state.
 */
#include "tcp_test.h"

#include <arpa/inet.h>

#define PEER_ISN 1000u

static struct th_app *establish(struct th *h, struct th_peer *p, uint16_t port, int ts)
{
    struct th_app *a;

    th_peer_init(p, port, PEER_ISN);
    p->ts = ts;
    a = th_connect(h, p);
    assert_non_null(a);
    th_drain(h);
    return a;
}

static void test_passive_open(void **state)
{
    struct tcp_config cfg = th_config();
    struct th_out syn = { .flags = TH_SYN, .mss = 1460, .ws = 8 };
    struct th h;
    struct th_peer p;
    struct th_seg *s;

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    p.ts = 1;
    th_send(&h, &p, &syn);
    s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
    assert_int_equal(s->mss, 1460);
    assert_int_equal(s->ws, 1); /* 64 KiB needs a shift of 1 to fit 16 bits */
    assert_true(s->has_ts);
    assert_int_equal(s->tsecr, 1000); /* the SYN's TSval */
    assert_int_equal(s->wnd, 65535);  /* SYN windows are never scaled */
    assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
    assert_int_equal(h.accept_calls, 0);
    p.ack = s->seq + 1;
    p.tsecr = s->tsval;
    peer_ack(&h, &p);
    assert_int_equal(h.accept_calls, 1);
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
    assert_int_equal(in_state(&h, "SYN_RCVD"), 0);
    assert_int_equal(tcp_stats(h.ts)->active_conns, 1);
    assert_int_equal(tcp_stats(h.ts)->conns_accepted, 1);
    expect_none(&h);
    th_poll(&h, 1000 * 1000);
    expect_none(&h); /* nothing owed, nothing retransmitted */
    FINI(&h);
}

static void test_retransmitted_syn_gets_synack(void **state)
{
    struct tcp_config cfg = th_config();
    struct th_out syn = { .flags = TH_SYN, .mss = 1460, .set_seq = 1, .seq = PEER_ISN };
    struct th h;
    struct th_peer p;
    uint32_t iss;

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    th_send(&h, &p, &syn);
    iss = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1)->seq;
    th_send(&h, &p, &syn); /* our SYN-ACK was lost */
    expect_seg(&h, TH_SYN | TH_ACK, iss, PEER_ISN + 1);
    assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
    FINI(&h);
}

static void test_no_options_defaults(void **state)
{
    struct tcp_config cfg = th_config();
    struct th_out syn = { .flags = TH_SYN };
    struct th h;
    struct th_peer p;
    struct th_seg *s;
    struct th_app *a;
    uint8_t buf[3000];
    uint32_t iss, got = 0;

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    th_send(&h, &p, &syn);
    s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
    assert_int_equal(s->mss, 1460);
    assert_int_equal(s->ws, TH_NONE); /* the peer did not offer scaling */
    assert_false(s->has_ts);
    iss = s->seq;
    p.ack = iss + 1;
    peer_ack(&h, &p);
    a = h.apps[0];
    memset(buf, 'x', sizeof(buf));
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    while ((s = th_take(&h)) != NULL) {
        assert_true(s->dlen <= 536); /* no MSS option: RFC 9293 default */
        assert_int_equal(s->seq, iss + 1 + got);
        assert_false(s->has_ts);
        assert_int_equal(s->wnd, 65535); /* unscaled, capped */
        got += s->dlen;
    }
    assert_int_equal(got, sizeof(buf));
    FINI(&h);
}

static void test_mss_negotiation(void **state)
{
    static const struct {
        int peer_mss, ts;
        unsigned want;
    } cases[] = {
        { 1000, 1, 1000 - 12 }, /* timestamps come out of the MSS (RFC 6691) */
        { 1000, 0, 1000 },
        { 9000, 1, 1460 - 12 }, /* ours is smaller */
        { 9000, 0, 1460 },
    };
    uint8_t buf[20000];

    (void)state;
    memset(buf, 'm', sizeof(buf));
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct tcp_config cfg = th_config();
        struct th_out syn = { .flags = TH_SYN, .mss = cases[c].peer_mss, .ws = 1 };
        struct th h;
        struct th_peer p;
        struct th_seg *s;
        unsigned maxlen = 0, total = 0;

        th_init(&h, &cfg);
        th_peer_init(&p, 40000, PEER_ISN);
        p.ts = cases[c].ts;
        th_send(&h, &p, &syn);
        s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
        p.ack = s->seq + 1;
        p.tsecr = s->tsval;
        peer_ack(&h, &p);
        th_app_write(h.apps[0], buf, sizeof(buf));
        tcp_conn_output(h.apps[0]->tc);
        while ((s = th_take(&h)) != NULL) {
            maxlen = s->dlen > maxlen ? s->dlen : maxlen;
            total += s->dlen;
        }
        assert_int_equal(maxlen, cases[c].want);
        assert_int_equal(total, TH_INIT_CWND * cases[c].want); /* the initial window */
        FINI(&h);
    }
}

static void test_window_scaling(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    uint8_t buf[10000];
    unsigned total = 0;

    (void)state;
    cfg.rcv_wnd = 256 * 1024; /* needs shift 3 */
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    p.wnd = 724; /* th_connect offers shift 7 */
    p.ts = 1;
    a = th_connect(&h, &p);
    assert_non_null(a);
    memset(buf, 's', sizeof(buf));
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    while ((s = th_take(&h)) != NULL) {
        assert_int_equal(s->wnd, (256 * 1024) >> 3); /* our window, scaled */
        total += s->dlen;
    }
    /* 724 << 7 bytes of window: all 10000 bytes go (724 if the shift were ignored) */
    assert_int_equal(total, sizeof(buf));
    FINI(&h);

    /* the peer's window field is scaled by the shift it announced */
    th_init(&h, &cfg);
    th_peer_init(&p, 40001, PEER_ISN);
    p.wnd = 730;
    {
        struct th_out syn = { .flags = TH_SYN, .mss = 1460, .ws = 3 }; /* shift 2 */
        th_send(&h, &p, &syn);
        s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
        assert_int_equal(s->ws, 3);
        p.ack = s->seq + 1;
        peer_ack(&h, &p); /* 730 << 2 = 2920 bytes: two full segments (no timestamps) */
    }
    a = h.apps[0];
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    total = 0;
    while ((s = th_take(&h)) != NULL)
        total += s->dlen;
    assert_int_equal(total, 730 << 2); /* 730 if the shift were ignored */
    FINI(&h);
}

static void test_timestamps_and_paws(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    struct th_out old = { .flags = TH_ACK, .data = "late", .dlen = 4 };

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 1);
    p.tsval = 5000;
    peer_data(&h, &p, "ping", 4); /* TSval 5000 */
    th_app_write(a, "pong", 4);
    tcp_conn_output(a->tc);
    s = expect_seg(&h, TH_ACK | TH_PSH, ANY_SEQ, p.seq);
    assert_true(s->has_ts);
    assert_int_equal(s->tsecr, 5000);
    /* an older TSval at the right sequence number: PAWS drops it, with an ACK */
    p.tsval = 4000;
    th_send(&h, &p, &old);
    s = expect_seg(&h, TH_ACK, ANY_SEQ, p.seq - 4);
    assert_int_equal(s->tsecr, 5000);
    assert_int_equal(a->in_len, 4); /* "late" was not delivered */
    assert_memory_equal(a->in, "ping", 4);
    assert_int_equal(tcp_stats(h.ts)->bad_segments, 1);
    /* after 24 days of silence TS.Recent no longer judges (RFC 7323 §5.5) */
    th_poll(&h, 25ull * 24 * 3600 * 1000000);
    th_drain(&h);
    p.tsval = 3000;
    p.seq -= 4; /* the same bytes again */
    th_send(&h, &p, &old);
    assert_int_equal(a->in_len, 8);
    assert_memory_equal(a->in + 4, "late", 4);
    FINI(&h);
}

/* --- active and simultaneous open ------------------------------------------------------ */

static struct th_app *connect_out(struct th *h, struct th_peer *p, uint32_t *iss)
{
    struct th_app *a = th_app_new(h);
    struct th_seg *s;

    th_peer_init(p, 80, 7000000);
    p->lport = htons(5000);
    a->tc = tcp_connect(h->ts, p->laddr, p->lport, p->addr, p->port, a);
    assert_non_null(a->tc);
    s = expect_seg(h, TH_SYN, ANY_SEQ, ANY_SEQ);
    assert_int_equal(s->mss, 1460);
    assert_int_equal(s->ws, 1);
    assert_true(s->has_ts);
    assert_int_equal(s->tsecr, 0);
    assert_int_equal(in_state(h, "SYN_SENT"), 1);
    *iss = s->seq;
    return a;
}

static void test_active_open(void **state)
{
    struct tcp_config cfg = th_config();
    struct th_out synack = { .flags = TH_SYN | TH_ACK, .mss = 1200, .ws = 1 };
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    uint32_t iss;
    uint8_t buf[5000];
    unsigned maxlen = 0;

    (void)state;
    th_init(&h, &cfg);
    a = connect_out(&h, &p, &iss);
    /* a duplicate connect on the same 4-tuple is refused */
    assert_null(tcp_connect(h.ts, p.laddr, p.lport, p.addr, p.port, a));
    p.ack = iss + 1;
    th_send(&h, &p, &synack); /* no timestamps: they are off */
    expect_seg(&h, TH_ACK, iss + 1, 7000001);
    assert_int_equal(a->connected, 1);
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
    memset(buf, 'c', sizeof(buf));
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    while ((s = th_take(&h)) != NULL) {
        assert_false(s->has_ts);
        maxlen = s->dlen > maxlen ? s->dlen : maxlen;
    }
    assert_int_equal(maxlen, 1200);
    assert_int_equal(a->closed, 0);
    FINI(&h);
}

static void test_active_open_refused(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t iss;
    struct th_out bad = { .flags = TH_SYN | TH_ACK, .set_ack = 1 };
    struct th_out rst_noack = { .flags = TH_RST };
    struct th_out rst = { .flags = TH_RST | TH_ACK, .set_ack = 1 };

    (void)state;
    th_init(&h, &cfg);
    a = connect_out(&h, &p, &iss);
    bad.ack = iss + 100; /* acknowledges something we never sent */
    th_send(&h, &p, &bad);
    expect_seg(&h, TH_RST, iss + 100, ANY_SEQ);
    assert_int_equal(in_state(&h, "SYN_SENT"), 1);
    th_send(&h, &p, &rst_noack); /* RST without an acceptable ACK: ignored */
    expect_none(&h);
    assert_int_equal(in_state(&h, "SYN_SENT"), 1);
    rst.ack = iss + 1;
    th_send(&h, &p, &rst); /* connection refused */
    expect_none(&h);
    assert_int_equal(a->closed, 1);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(tcp_stats(h.ts)->rst_in, 1);
    FINI(&h);
}

static void test_simultaneous_open(void **state)
{
    for (int variant = 0; variant < 2; variant++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;
        uint32_t iss;
        struct th_out syn = { .flags = TH_SYN, .mss = 1460, .ws = 1 };
        struct th_out synack = { .flags = TH_SYN | TH_ACK, .mss = 1460, .ws = 1, .set_seq = 1 };

        (void)state;
        th_init(&h, &cfg);
        a = connect_out(&h, &p, &iss);
        th_send(&h, &p, &syn); /* the peer's SYN crossed ours */
        expect_seg(&h, TH_SYN | TH_ACK, iss, 7000001);
        assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
        assert_int_equal(a->connected, 0);
        p.ack = iss + 1;
        if (variant == 0) { /* the peer's SYN-ACK (its SYN again, acknowledging ours) */
            synack.seq = 7000000;
            th_send(&h, &p, &synack);
        } else { /* or just its ACK of our SYN-ACK */
            peer_ack(&h, &p);
        }
        assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
        assert_int_equal(a->connected, 1);
        expect_none(&h);
        peer_data(&h, &p, "hi", 2);
        assert_int_equal(a->in_len, 2);
        assert_memory_equal(a->in, "hi", 2);
        FINI(&h);
    }
}

/* --- closing --------------------------------------------------------------------------- */

static void test_active_close(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t fin;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    tcp_conn_close(a->tc);
    fin = expect_seg(&h, TH_FIN | TH_ACK, p.ack, p.seq)->seq;
    assert_int_equal(in_state(&h, "FIN_WAIT_1"), 1);
    p.ack = fin + 1;
    peer_ack(&h, &p);
    expect_none(&h);
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    /* half-close: the peer may still send data */
    peer_data(&h, &p, "more", 4);
    assert_int_equal(a->in_len, 4);
    peer_flags(&h, &p, TH_FIN | TH_ACK);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    assert_int_equal(a->closed, 1); /* the application is done with it */
    assert_int_equal(tcp_stats(h.ts)->time_wait, 1);
    assert_int_equal(tcp_stats(h.ts)->active_conns, 0);
    th_poll(&h, 0);
    expect_seg(&h, TH_ACK, fin + 1, p.seq);
    th_poll(&h, cfg.time_wait_ms * 1000 - 2000);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    th_poll(&h, 3000);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 0);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(tcp_stats(h.ts)->time_wait, 0);
    assert_int_equal(h.closed_calls, 1);
    expect_none(&h);
    FINI(&h);
}

static void test_passive_close(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    peer_flags(&h, &p, TH_FIN | TH_ACK);
    assert_int_equal(in_state(&h, "CLOSE_WAIT"), 1);
    assert_int_equal(a->fin_seen, 1);
    assert_int_equal(tcp_stats(h.ts)->active_conns, 1);
    th_poll(&h, 0); /* the application said nothing: the FIN's ACK goes at the poll */
    expect_seg(&h, TH_ACK, p.ack, p.seq);
    th_app_write(a, "bye", 3);
    tcp_conn_close(a->tc); /* the data, then FIN, in one segment */
    s = expect_seg(&h, TH_FIN | TH_PSH | TH_ACK, p.ack, p.seq);
    assert_int_equal(s->dlen, 3);
    assert_memory_equal(s->data, "bye", 3);
    assert_int_equal(in_state(&h, "LAST_ACK"), 1);
    p.ack += 3; /* the data only */
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "LAST_ACK"), 1);
    assert_int_equal(a->out_acked, 3);
    p.ack += 1;
    peer_ack(&h, &p);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(a->closed, 1);
    assert_int_equal(h.closed_calls, 1);
    expect_none(&h);
    FINI(&h);
}

static void test_close_from_peer_fin_rides_with_ack(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    a->close_on_fin = 1; /* the application closes as soon as it hears the FIN */
    peer_flags(&h, &p, TH_FIN | TH_ACK);
    /* one segment: our FIN carrying the ACK of theirs */
    expect_seg(&h, TH_FIN | TH_ACK, p.ack, p.seq);
    th_poll(&h, 0);
    expect_none(&h);
    assert_int_equal(in_state(&h, "LAST_ACK"), 1);
    p.ack++;
    peer_ack(&h, &p);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(a->closed, 1);
    FINI(&h);
}

static void test_delack_zero(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;

    (void)state;
    cfg.delack_ms = 0; /* no delayed ACKs: every segment acknowledged at the poll */
    th_init(&h, &cfg);
    establish(&h, &p, 40000, 0);
    peer_data(&h, &p, "x", 1);
    expect_none(&h);
    th_poll(&h, 0);
    expect_seg(&h, TH_ACK, p.ack, p.seq);
    FINI(&h);
}

static void test_simultaneous_close(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t fin;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    tcp_conn_close(a->tc);
    fin = expect_seg(&h, TH_FIN | TH_ACK, ANY_SEQ, p.seq)->seq;
    peer_flags(&h, &p, TH_FIN | TH_ACK); /* crossed: does not acknowledge our FIN */
    assert_int_equal(in_state(&h, "CLOSING"), 1);
    assert_int_equal(a->fin_seen, 1);
    th_poll(&h, 0);
    expect_seg(&h, TH_ACK, fin + 1, p.seq);
    p.ack = fin + 1;
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    assert_int_equal(a->closed, 1);
    FINI(&h);
}

static void test_fin_wait_1_straight_to_time_wait(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t fin;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    tcp_conn_close(a->tc);
    fin = expect_seg(&h, TH_FIN | TH_ACK, ANY_SEQ, p.seq)->seq;
    p.ack = fin + 1;
    peer_flags(&h, &p, TH_FIN | TH_ACK);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    assert_int_equal(a->closed, 1);
    th_poll(&h, 0);
    expect_seg(&h, TH_ACK, fin + 1, p.seq);
    FINI(&h);
}

static void test_time_wait_reuse(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t fin, rcv_nxt;
    struct th_out syn = { .flags = TH_SYN, .mss = 1460, .set_seq = 1 };

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    tcp_conn_close(a->tc);
    fin = expect_seg(&h, TH_FIN | TH_ACK, ANY_SEQ, p.seq)->seq;
    p.ack = fin + 1;
    peer_flags(&h, &p, TH_FIN | TH_ACK);
    th_poll(&h, 0);
    th_drain(&h);
    rcv_nxt = p.seq;
    /* the peer's FIN again: re-acknowledged, still TIME_WAIT */
    {
        struct th_out refin = { .flags = TH_FIN | TH_ACK, .set_seq = 1, .seq = rcv_nxt - 1 };
        th_send(&h, &p, &refin);
        expect_seg(&h, TH_ACK, fin + 1, rcv_nxt);
    }
    /* an old SYN (below rcv_nxt): challenge ACK, TIME_WAIT kept */
    syn.seq = rcv_nxt - 100;
    th_send(&h, &p, &syn);
    expect_seg(&h, TH_ACK, fin + 1, rcv_nxt);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 1);
    /* a new incarnation (higher ISN) takes the 4-tuple over */
    syn.seq = rcv_nxt + 100000;
    th_send(&h, &p, &syn);
    expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, rcv_nxt + 100001);
    assert_int_equal(in_state(&h, "TIME_WAIT"), 0);
    assert_int_equal(in_state(&h, "SYN_RCVD"), 1);
    FINI(&h);
}

/* --- RST and SYN validation -------------------------------------------------------------- */

enum {
    ST_SYN_RCVD,
    ST_ESTABLISHED,
    ST_FIN_WAIT_1,
    ST_FIN_WAIT_2,
    ST_CLOSE_WAIT,
    ST_CLOSING,
    ST_LAST_ACK,
    ST_TIME_WAIT,
    ST_N
};
static const char *const st_names[ST_N] = {
    "SYN_RCVD",   "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
    "CLOSE_WAIT", "CLOSING",     "LAST_ACK",   "TIME_WAIT"
};

/* Bring a connection from @p to state @st; returns its application (NULL in SYN_RCVD). */
static struct th_app *reach(struct th *h, struct th_peer *p, int st)
{
    struct th_app *a;
    struct th_seg *s;

    if (st == ST_SYN_RCVD) {
        struct th_out syn = { .flags = TH_SYN, .mss = 1460 };
        th_peer_init(p, 40000, PEER_ISN);
        th_send(h, p, &syn);
        s = expect_seg(h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
        p->ack = s->seq + 1;
        return NULL;
    }
    a = establish(h, p, 40000, 0);
    switch (st) {
    case ST_FIN_WAIT_1:
    case ST_FIN_WAIT_2:
    case ST_CLOSING:
    case ST_TIME_WAIT:
        tcp_conn_close(a->tc);
        s = expect_seg(h, TH_FIN | TH_ACK, ANY_SEQ, ANY_SEQ);
        if (st == ST_FIN_WAIT_2 || st == ST_TIME_WAIT) {
            p->ack = s->seq + 1;
            peer_ack(h, p);
        }
        if (st == ST_CLOSING || st == ST_TIME_WAIT)
            peer_flags(h, p, TH_FIN | TH_ACK);
        break;
    case ST_CLOSE_WAIT:
    case ST_LAST_ACK:
        peer_flags(h, p, TH_FIN | TH_ACK);
        if (st == ST_LAST_ACK) {
            tcp_conn_close(a->tc);
            s = expect_seg(h, TH_FIN | TH_ACK, ANY_SEQ, ANY_SEQ);
        }
        break;
    default: break;
    }
    th_poll(h, 0);
    th_drain(h);
    assert_int_equal(in_state(h, st_names[st]), 1);
    return a;
}

static void test_rst_every_state(void **state)
{
    (void)state;
    for (int st = 0; st < ST_N; st++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;
        struct th_out rst = { .flags = TH_RST, .set_seq = 1 };
        int app_held;
        unsigned closed_before;

        th_init(&h, &cfg);
        a = reach(&h, &p, st);
        app_held = a && !a->closed;
        closed_before = h.closed_calls;
        /* outside the window: silently dropped */
        rst.seq = p.seq + 10000000;
        th_send(&h, &p, &rst);
        expect_none(&h);
        assert_int_equal(in_state(&h, st_names[st]), 1);
        /* in the window but not exact: challenge ACK (RFC 5961 §3.2), nothing else */
        rst.seq = p.seq + 1;
        th_send(&h, &p, &rst);
        expect_seg(&h, TH_ACK, ANY_SEQ, p.seq);
        assert_int_equal(in_state(&h, st_names[st]), 1);
        assert_int_equal(tcp_stats(h.ts)->rst_in, 0);
        /* exact: the connection is reset */
        rst.seq = p.seq;
        th_send(&h, &p, &rst);
        expect_none(&h);
        assert_int_equal(conns_total(&h), 0);
        assert_int_equal(tcp_stats(h.ts)->rst_in, 1);
        assert_int_equal(h.closed_calls - closed_before, app_held ? 1 : 0);
        assert_int_equal(h.accept_calls, st == ST_SYN_RCVD ? 0 : 1);
        FINI(&h);
    }
}

static void test_syn_in_synchronized_states(void **state)
{
    (void)state;
    for (int st = ST_ESTABLISHED; st < ST_N; st++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;
        struct th_out syn = { .flags = TH_SYN, .set_seq = 1, .mss = 1460 };

        th_init(&h, &cfg);
        a = reach(&h, &p, st);
        syn.seq = p.seq + 5; /* in window: RFC 5961 §4.2 challenge ACK */
        if (st == ST_TIME_WAIT)
            syn.seq = p.seq - 5; /* in TIME_WAIT a higher one would be a new incarnation */
        th_send(&h, &p, &syn);
        expect_seg(&h, TH_ACK, ANY_SEQ, p.seq);
        assert_int_equal(in_state(&h, st_names[st]), 1);
        assert_int_equal(h.closed_calls, a->closed ? 1 : 0);
        FINI(&h);
    }
}

static void test_challenge_ack_rate_limit(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_out rst = { .flags = TH_RST, .set_seq = 1 };
    unsigned n = 0;

    (void)state;
    th_init(&h, &cfg);
    establish(&h, &p, 40000, 0);
    th_poll(&h, 1000000 - h.now % 1000000); /* the start of a second */
    rst.seq = p.seq + 1;
    for (int i = 0; i < 1100; i++) {
        th_send(&h, &p, &rst);
        while (th_take(&h))
            n++;
    }
    assert_int_equal(n, 1000); /* TCP_CHALLENGE_ACKS_PER_S */
    assert_int_equal(tcp_stats(h.ts)->challenge_acks, 1000);
    th_poll(&h, 1000000);
    th_send(&h, &p, &rst);
    expect_seg(&h, TH_ACK, ANY_SEQ, p.seq);
    assert_int_equal(in_state(&h, "ESTABLISHED"), 1);
    FINI(&h);
}

static void test_no_connection_rst(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_out syn = { .flags = TH_SYN, .mss = 1460 };
    struct th_out ack = { .flags = TH_ACK, .set_ack = 1, .ack = 555, .data = "x", .dlen = 1 };
    struct th_out fin = { .flags = TH_FIN, .data = "ab", .dlen = 2 };

    (void)state;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    p.lport = htons(7000); /* nobody listens */
    th_send(&h, &p, &syn);
    expect_seg(&h, TH_RST | TH_ACK, 0, PEER_ISN + 1);
    th_send(&h, &p, &ack);
    expect_seg(&h, TH_RST, 555, ANY_SEQ);
    th_send(&h, &p, &fin); /* no ACK: SEG.SEQ + SEG.LEN (data and FIN) */
    expect_seg(&h, TH_RST | TH_ACK, 0, p.seq);
    peer_flags(&h, &p, TH_RST);
    peer_flags(&h, &p, TH_RST | TH_ACK);
    expect_none(&h); /* never a RST for a RST */
    /* a stray ACK to a listener (no SYN cookie outstanding): RST */
    p.lport = htons(6379);
    th_send(&h, &p, &ack);
    expect_seg(&h, TH_RST, 555, ANY_SEQ);
    assert_int_equal(conns_total(&h), 0);
    FINI(&h);
}

static void test_ack_of_unsent_data(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_out o = { .flags = TH_ACK, .set_ack = 1, .data = "data", .dlen = 4 };

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    o.ack = p.ack + 1000;
    th_send(&h, &p, &o);
    expect_seg(&h, TH_ACK, p.ack, p.seq - 4); /* RFC 9293: ACK, drop */
    assert_int_equal(a->in_len, 0);
    assert_int_equal(a->out_acked, 0);
    FINI(&h);
}

static void test_accept_refused(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_out syn = { .flags = TH_SYN, .mss = 1460 };
    struct th_seg *s;

    (void)state;
    th_init(&h, &cfg);
    h.refuse = 1;
    th_peer_init(&p, 40000, PEER_ISN);
    th_send(&h, &p, &syn);
    s = expect_seg(&h, TH_SYN | TH_ACK, ANY_SEQ, PEER_ISN + 1);
    p.ack = s->seq + 1;
    peer_ack(&h, &p);
    expect_seg(&h, TH_RST | TH_ACK, p.ack, p.seq);
    assert_int_equal(h.accept_calls, 1);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(tcp_stats(h.ts)->conns_refused, 1);
    assert_int_equal(h.closed_calls, 0);
    FINI(&h);
}

static void test_abort(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 40000, 0);
    peer_data(&h, &p, "unread", 6);
    tcp_conn_abort(a->tc);
    expect_seg(&h, TH_RST | TH_ACK, p.ack, p.seq);
    assert_int_equal(conns_total(&h), 0);
    assert_int_equal(a->closed, 0); /* it asked: no closed() */
    assert_int_equal(tcp_stats(h.ts)->active_conns, 0);
    th_poll(&h, 10 * 1000 * 1000);
    expect_none(&h); /* no timer left behind */
    FINI(&h);
}

static void test_destroy_resets_everyone(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p[3];
    struct th_app *a[3];

    (void)state;
    th_init(&h, &cfg);
    for (int i = 0; i < 3; i++) {
        th_peer_init(&p[i], (uint16_t)(41000 + i), PEER_ISN);
        a[i] = th_connect(&h, &p[i]);
        assert_non_null(a[i]);
    }
    tcp_stack_destroy(h.ts);
    h.ts = NULL;
    for (int i = 0; i < 3; i++)
        assert_int_equal(a[i]->closed, 1);
    assert_int_equal(h.nseg, 3); /* one RST each */
    for (int i = 0; i < 3; i++)
        assert_int_equal(h.segs[i].flags & TH_RST, TH_RST);
    h.ts = tcp_stack_create(&cfg, th_pool(), NULL, NULL, &th_app_ops, &h, -1);
    assert_null(h.ts); /* no output callback: refused */
    h.ts = tcp_stack_create(&cfg, th_pool(), (tcp_output_fn)0x1, NULL, &th_app_ops, &h, -1);
    assert_non_null(h.ts);
    FINI(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passive_open),
        cmocka_unit_test(test_retransmitted_syn_gets_synack),
        cmocka_unit_test(test_no_options_defaults),
        cmocka_unit_test(test_mss_negotiation),
        cmocka_unit_test(test_window_scaling),
        cmocka_unit_test(test_timestamps_and_paws),
        cmocka_unit_test(test_active_open),
        cmocka_unit_test(test_active_open_refused),
        cmocka_unit_test(test_simultaneous_open),
        cmocka_unit_test(test_active_close),
        cmocka_unit_test(test_passive_close),
        cmocka_unit_test(test_close_from_peer_fin_rides_with_ack),
        cmocka_unit_test(test_delack_zero),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_fin_wait_1_straight_to_time_wait),
        cmocka_unit_test(test_time_wait_reuse),
        cmocka_unit_test(test_rst_every_state),
        cmocka_unit_test(test_syn_in_synchronized_states),
        cmocka_unit_test(test_challenge_ack_rate_limit),
        cmocka_unit_test(test_no_connection_rst),
        cmocka_unit_test(test_ack_of_unsent_data),
        cmocka_unit_test(test_accept_refused),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_destroy_resets_everyone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
