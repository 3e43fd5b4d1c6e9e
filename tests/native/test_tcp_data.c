/*
 * test_tcp_data.c - data through dpcache's TCP: delayed ACKs (piggybacked on a reply, sent by
 * the timer, sent after every second full segment), out-of-order reassembly (random
 * permutations, duplicates and overlaps deliver the exact stream), the out-of-order bound, a
 * FIN out of order, sequence numbers wrapping at 2^32 both ways, receive flow control (the
 * window shrinks by what the application leaves, reopens on resume), the peer's zero-window
 * probe, fast retransmit and NewReno partial ACKs, RTO go-back with a one-segment window, and a
 * 20 MB transfer to a peer with a small window that loses segments, checked byte by byte.
 */
#include "tcp_test.h"

#include "native/tcp_impl.h" /* isn_fixed: pin our ISN near 2^32 */

#define PEER_ISN 1000u

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static struct th_app *establish(struct th *h, struct th_peer *p, uint32_t isn, int ts)
{
    struct th_app *a;

    th_peer_init(p, 40000, isn);
    p->ts = ts;
    a = th_connect(h, p);
    assert_non_null(a);
    th_drain(h);
    return a;
}

static void fill_pattern(uint8_t *buf, size_t len, uint64_t from)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(from + i);
}

static void check_pattern(const uint8_t *buf, size_t len, uint64_t from)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern(from + i))
            fail_msg("byte %zu of the stream differs", (size_t)(from + i));
}

/* --- delayed ACK ------------------------------------------------------------------------- */

static void test_delack_piggybacked_on_reply(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 1);
    peer_data(&h, &p, "GET k\r\n", 7);
    expect_none(&h); /* no ACK of its own */
    assert_int_equal(a->in_len, 7);
    th_app_write(a, "$1\r\nv\r\n", 7); /* the application answers in the same iteration */
    tcp_conn_output(a->tc);
    s = expect_seg(&h, TH_ACK | TH_PSH, p.ack, p.seq); /* the reply carries the ACK */
    assert_int_equal(s->dlen, 7);
    th_poll(&h, 0);
    expect_none(&h);
    th_poll(&h, cfg.delack_ms * 1000 * 2);
    expect_none(&h); /* nothing left owed */

    /* the application replies from inside recv(): same thing */
    a->echo = 1;
    peer_data(&h, &p, "PING\r\n", 6);
    s = expect_seg(&h, TH_ACK | TH_PSH, ANY_SEQ, p.seq);
    assert_int_equal(s->dlen, 6);
    assert_memory_equal(s->data, "PING\r\n", 6);
    th_poll(&h, cfg.delack_ms * 1000 * 2);
    expect_none(&h);
    FINI(&h);
}

static void test_delack_timer(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    uint8_t d[100];

    (void)state;
    th_init(&h, &cfg);
    establish(&h, &p, PEER_ISN, 0);
    memset(d, 'd', sizeof(d));
    peer_data(&h, &p, d, sizeof(d));
    th_poll(&h, 0);
    expect_none(&h);
    th_poll(&h, cfg.delack_ms * 1000 - 2000);
    expect_none(&h);
    th_poll(&h, 3000);
    expect_seg(&h, TH_ACK, p.ack, p.seq);
    th_poll(&h, cfg.delack_ms * 1000 * 2);
    expect_none(&h);
    FINI(&h);
}

static void test_ack_every_second_full_segment(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    uint8_t d[1448];

    (void)state;
    th_init(&h, &cfg);
    establish(&h, &p, PEER_ISN, 1);
    memset(d, 'f', sizeof(d));
    for (int round = 0; round < 20; round++) {
        peer_data(&h, &p, d, sizeof(d));
        th_poll(&h, 0);
        expect_none(&h); /* one full segment: delayed */
        peer_data(&h, &p, d, sizeof(d));
        expect_none(&h); /* not inside tcp_input: a reply could still carry it */
        th_poll(&h, 0);
        expect_seg(&h, TH_ACK, p.ack, p.seq);
        expect_none(&h);
    }
    FINI(&h);
}

/* --- reassembly ---------------------------------------------------------------------------- */

struct piece {
    uint32_t off;
    uint16_t len;
};

#define STREAM_MAX 65536 /* bytes a reassembly test sends */

/* Send pieces of the pattern stream (offsets from @base) in the given order, modelling the
 * receiver: a piece that covers the first missing byte is in order (acknowledged per the
 * delayed-ACK rules: checked at the poll); any other is answered at once with a duplicate ACK
 * of exactly the in-order prefix. */
static void send_pieces(struct th *h, struct th_peer *p, uint32_t base, const struct piece *pc,
                        unsigned n)
{
    static uint8_t have[STREAM_MAX];
    uint8_t buf[2048];
    uint32_t prefix = 0;

    memset(have, 0, sizeof(have));
    for (unsigned i = 0; i < n; i++) {
        struct th_out o = {
            .flags = TH_ACK, .set_seq = 1, .seq = base + pc[i].off, .data = buf, .dlen = pc[i].len
        };
        int in_order = pc[i].off <= prefix && pc[i].off + pc[i].len > prefix;
        assert_true(pc[i].off + pc[i].len <= STREAM_MAX);
        fill_pattern(buf, pc[i].len, pc[i].off);
        th_send(h, p, &o);
        memset(have + pc[i].off, 1, pc[i].len);
        if (in_order) {
            while (prefix < STREAM_MAX && have[prefix])
                prefix++;
            th_poll(h, 0);
            while (h->nseg) { /* an ACK now (a hole filled, two full segments) or none */
                struct th_seg *s = th_take(h);
                assert_int_equal(s->ack, base + prefix);
            }
            continue;
        }
        expect_seg(h, TH_ACK, ANY_SEQ, base + prefix);
        expect_none(h);
    }
}

static void test_ooo_permutations(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;
        struct piece pc[40];
        unsigned n = 0;
        uint32_t off = 0;

        rng_state = seed * 0x9e3779b97f4a7c15ull;
        th_init(&h, &cfg);
        a = establish(&h, &p, PEER_ISN + (uint32_t)seed * 77777u, 0);
        while (n < 30) {
            pc[n].off = off;
            pc[n].len = (uint16_t)(1 + rnd() % 1460);
            off += pc[n].len;
            n++;
        }
        for (unsigned i = n - 1; i > 0; i--) { /* Fisher-Yates */
            unsigned j = rnd() % (i + 1);
            struct piece t = pc[i];
            pc[i] = pc[j];
            pc[j] = t;
        }
        for (unsigned i = 0; i < 10; i++) /* duplicates */
            pc[n + i] = pc[rnd() % n];
        send_pieces(&h, &p, p.seq, pc, n + 10);
        assert_int_equal(a->in_len, off);
        check_pattern(a->in, a->in_len, 0);
        assert_true(tcp_stats(h.ts)->ooo_segments > 0);
        FINI(&h);
    }
}

static void test_overlapping_segments(void **state)
{
    /* pieces overlapping each other and the in-order edge, in nasty orders */
    static const struct piece sets[][8] = {
        { { 100, 200 }, { 150, 100 }, { 120, 300 }, { 0, 50 }, { 40, 80 }, { 0, 600 } },
        { { 300, 100 }, { 200, 150 }, { 350, 10 }, { 100, 500 }, { 0, 101 }, { 0, 600 } },
        { { 10, 10 }, { 30, 10 }, { 50, 10 }, { 5, 60 }, { 0, 7 }, { 0, 600 } },
        { { 500, 100 }, { 400, 150 }, { 300, 250 }, { 1, 599 }, { 0, 1 }, { 0, 600 } },
    };

    (void)state;
    for (unsigned k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;

        th_init(&h, &cfg);
        a = establish(&h, &p, PEER_ISN, 0);
        send_pieces(&h, &p, p.seq, sets[k], 6);
        assert_int_equal(a->in_len, 600);
        check_pattern(a->in, a->in_len, 0);
        FINI(&h);
    }
}

static void test_ooo_bounded(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint8_t buf[1000];
    uint32_t base;

    (void)state;
    cfg.ooo_max = 4000;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 0);
    base = p.seq;
    for (uint32_t off = 1000; off < 11000; off += 1000) { /* 10000 bytes after a hole */
        struct th_out o = {
            .flags = TH_ACK, .set_seq = 1, .seq = base + off, .data = buf, .dlen = 1000
        };
        fill_pattern(buf, 1000, off);
        th_send(&h, &p, &o);
        expect_seg(&h, TH_ACK, ANY_SEQ, base);
    }
    assert_true(tcp_stats(h.ts)->rx_held_full >= 6);
    fill_pattern(buf, 1000, 0);
    {
        struct th_out o = { .flags = TH_ACK, .set_seq = 1, .seq = base, .data = buf, .dlen = 1000 };
        th_send(&h, &p, &o);
    }
    th_poll(&h, 0);
    /* the hole and the 4000 bytes that were kept: the rest is for the peer to resend */
    expect_seg(&h, TH_ACK, ANY_SEQ, base + 5000);
    assert_int_equal(a->in_len, 5000);
    check_pattern(a->in, a->in_len, 0);
    FINI(&h);
}

static void test_fin_out_of_order(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint32_t base;
    struct th_out last = { .flags = TH_ACK | TH_FIN, .set_seq = 1, .data = "world", .dlen = 5 };
    struct th_out first = { .flags = TH_ACK, .set_seq = 1, .data = "hello ", .dlen = 6 };

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 0);
    base = p.seq;
    last.seq = base + 6;
    th_send(&h, &p, &last);
    expect_seg(&h, TH_ACK, ANY_SEQ, base);
    assert_int_equal(a->fin_seen, 0);
    first.seq = base;
    th_send(&h, &p, &first);
    assert_int_equal(a->in_len, 11);
    assert_memory_equal(a->in, "hello world", 11);
    assert_int_equal(a->fin_seen, 1);
    assert_int_equal(in_state(&h, "CLOSE_WAIT"), 1);
    th_poll(&h, 0);
    expect_seg(&h, TH_ACK, ANY_SEQ, base + 12);
    FINI(&h);
}

/* --- 2^32 wrap ------------------------------------------------------------------------------ */

static void test_seq_wrap_receive(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct piece pc[12];
    uint32_t base;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, 0xffffffffu - 3000, 1);
    base = p.seq;
    for (unsigned i = 0; i < 12; i++) {
        pc[i].off = i * 1000;
        pc[i].len = 1000;
    }
    /* swap a few around the wrap point (2^32 is 2999 bytes into the stream) */
    pc[2].off = 3000;
    pc[3].off = 2000;
    pc[5].off = 6000;
    pc[6].off = 5000;
    send_pieces(&h, &p, base, pc, 12);
    assert_int_equal(a->in_len, 12000);
    check_pattern(a->in, a->in_len, 0);
    th_poll(&h, cfg.delack_ms * 1000 + 1000);
    while (h.nseg)
        assert_int_equal(th_take(&h)->ack, base + 12000);
    FINI(&h);
}

static void test_seq_wrap_send(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    static uint8_t buf[40000];
    uint32_t base, got = 0;

    (void)state;
    th_init(&h, &cfg);
    h.ts->isn_fixed = 0xffffffffu - 5000; /* our ISN: the stream crosses 2^32 */
    a = establish(&h, &p, PEER_ISN, 1);
    base = p.ack;
    assert_int_equal(base, 0xffffffffu - 5000 + 1);
    fill_pattern(buf, sizeof(buf), 0);
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    while (got < sizeof(buf)) {
        unsigned n = 0;
        while ((s = th_take(&h)) != NULL) {
            assert_int_equal(s->seq, base + got);
            check_pattern(s->data, s->dlen, got);
            got += s->dlen;
            n++;
        }
        assert_true(n > 0);
        p.ack = base + got;
        th_poll(&h, 1000);
        peer_ack(&h, &p);
    }
    assert_int_equal(a->out_acked, sizeof(buf));
    tcp_conn_close(a->tc);
    s = expect_seg(&h, TH_FIN | TH_ACK, base + got, ANY_SEQ);
    p.ack = s->seq + 1;
    peer_ack(&h, &p);
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    FINI(&h);
}

/* --- receive flow control -------------------------------------------------------------------- */

static void test_receive_window(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    uint8_t buf[1000];
    uint32_t base, sent = 0, edge;

    (void)state;
    cfg.rcv_wnd = 8192; /* no scaling needed */
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 0);
    base = p.seq;
    edge = base + 8192;    /* the SYN-ACK's window */
    a->recv_budget = 3000; /* then it stops taking */
    /* a well-behaved peer: sends while our last advertised window has room */
    while (edge - (base + sent) > 0) {
        uint32_t room = edge - (base + sent);
        uint16_t n = (uint16_t)(room < sizeof(buf) ? room : sizeof(buf));
        fill_pattern(buf, n, sent);
        peer_data(&h, &p, buf, n);
        sent += n;
        th_poll(&h, 0);
        while ((s = th_take(&h)) != NULL) {
            uint32_t queued = sent > 3000 ? sent - 3000 : 0;
            assert_int_equal(s->ack, base + sent);
            assert_true(s->wnd <= 8192 - queued);              /* never more than the room left */
            assert_true(s->ack + s->wnd - edge < 0x80000000u); /* the edge never recedes */
            edge = s->ack + s->wnd;
        }
        if (edge == base + sent) { /* looks closed: wait for the delayed ACK's word */
            th_poll(&h, cfg.delack_ms * 1000 + 1000);
            while ((s = th_take(&h)) != NULL)
                edge = s->ack + s->wnd;
        }
    }
    assert_int_equal(a->in_len, 3000);
    assert_true(sent > 3000 && sent <= 3000 + 8192);
    th_poll(&h, cfg.delack_ms * 1000 + 1000);
    th_drain(&h);
    /* a segment beyond the closed window is not taken, just answered */
    fill_pattern(buf, sizeof(buf), sent);
    peer_data(&h, &p, buf, sizeof(buf));
    s = expect_seg(&h, TH_ACK, ANY_SEQ, base + sent);
    assert_int_equal(s->wnd, 0);
    p.seq -= sizeof(buf);
    assert_int_equal(a->in_len, 3000);
    /* the application catches up: everything in order, and a window update */
    a->recv_budget = SIZE_MAX;
    tcp_conn_recv_resume(a->tc);
    assert_int_equal(a->in_len, sent);
    check_pattern(a->in, a->in_len, 0);
    expect_none(&h);
    th_poll(&h, 0);
    s = expect_seg(&h, TH_ACK, ANY_SEQ, base + sent);
    assert_int_equal(s->wnd, 8192);
    FINI(&h);
}

static void test_our_zero_window_probed(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    static uint8_t buf[4096];
    uint32_t ours;

    (void)state;
    cfg.rcv_wnd = 4096;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 0);
    a->recv_budget = 0;
    memset(buf, 'z', sizeof(buf));
    for (int i = 0; i < 4; i++)
        peer_data(&h, &p, buf, 1024);
    th_poll(&h, 0);
    s = th_take(&h);
    th_drain(&h);
    assert_non_null(s);
    assert_int_equal(s->wnd, 0);
    /* we have data in flight; the peer's probe (1 byte at our rcv_nxt) also acknowledges it */
    th_app_write(a, "answer", 6);
    tcp_conn_output(a->tc);
    ours = expect_seg(&h, TH_ACK | TH_PSH, ANY_SEQ, ANY_SEQ)->seq;
    p.ack = ours + 6;
    peer_data(&h, &p, "?", 1);
    s = expect_seg(&h, TH_ACK, ours + 6, p.seq - 1); /* the byte is not taken */
    assert_int_equal(s->wnd, 0);
    assert_int_equal(a->out_acked, 6); /* but its ACK field counted */
    FINI(&h);
}

/* --- loss recovery --------------------------------------------------------------------------- */

static void test_fast_retransmit_newreno(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    static uint8_t buf[20 * 1448];
    uint32_t base;
    const uint32_t M = 1448;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 1);
    base = p.ack;
    fill_pattern(buf, sizeof(buf), 0);
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    for (int i = 0; i < TH_INIT_CWND; i++)             /* the initial window */
        expect_seg(&h, TH_ACK, base + i * M, ANY_SEQ); /* more follows: no PSH */
    expect_none(&h);
    /* segments 1 and 4 (from 0) are lost: the peer acknowledges segment 0, then duplicates */
    p.ack = base + M;
    peer_ack(&h, &p);
    th_drain(&h); /* the window slid: new data */
    peer_ack(&h, &p);
    peer_ack(&h, &p);
    expect_none(&h);
    peer_ack(&h, &p); /* third duplicate */
    s = expect_seg(&h, TH_ACK, base + M, ANY_SEQ);
    assert_int_equal(s->dlen, M);
    check_pattern(s->data, M, M);
    assert_int_equal(tcp_stats(h.ts)->fast_retransmits, 1);
    th_drain(&h);
    /* the hole filled up to segment 4: a partial ACK, segment 4 goes at once */
    p.ack = base + 4 * M;
    peer_ack(&h, &p);
    s = expect_seg(&h, TH_ACK, base + 4 * M, ANY_SEQ);
    check_pattern(s->data, s->dlen, 4 * M);
    th_drain(&h);
    assert_int_equal(tcp_stats(h.ts)->fast_retransmits, 1);
    /* everything sent so far arrives: recovery ends, the rest flows */
    {
        uint32_t hi = 12 * M; /* highest byte sent so far (10 + 2 after the first ACK) */
        int rounds = 0;
        while (p.ack - base < sizeof(buf)) {
            assert_true(++rounds < 100);
            p.ack = base + hi;
            th_poll(&h, 1000);
            peer_ack(&h, &p);
            while ((s = th_take(&h)) != NULL) {
                check_pattern(s->data, s->dlen, s->seq - base);
                if (s->seq - base + s->dlen > hi)
                    hi = s->seq - base + s->dlen;
            }
        }
    }
    assert_int_equal(a->out_acked, sizeof(buf));
    assert_int_equal(tcp_stats(h.ts)->rto_timeouts, 0);
    FINI(&h);
}

static void test_rto_goes_back_one_segment(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    static uint8_t buf[10 * 1448];
    uint32_t base;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 1);
    base = p.ack;
    fill_pattern(buf, sizeof(buf), 0);
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_output(a->tc);
    th_drain(&h);
    th_poll(&h, cfg.rto_init_ms * 1000 + 2000);
    s = expect_seg(&h, TH_ACK, base, ANY_SEQ); /* one segment: the loss window */
    check_pattern(s->data, s->dlen, 0);
    expect_none(&h);
    assert_int_equal(tcp_stats(h.ts)->rto_timeouts, 1);
    p.ack = base + 1448;
    peer_ack(&h, &p);
    /* slow start from one segment: two more */
    expect_seg(&h, TH_ACK, base + 1448, ANY_SEQ);
    expect_seg(&h, TH_ACK, base + 2 * 1448, ANY_SEQ);
    expect_none(&h);
    FINI(&h);
}

/* --- a lossy, reordering, duplicating network and a fickle reader ----------------------- */

static void test_stream_integrity_under_faults(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct tcp_config cfg = th_config();
        struct th h;
        struct th_peer p;
        struct th_app *a;
        const uint32_t total = 300000;
        uint8_t *stream = malloc(total);
        uint32_t base, acked = 0, nxt = 0;
        struct th_out held;
        uint8_t held_buf[1500];
        int have_held = 0, stall = 0;

        assert_non_null(stream);
        fill_pattern(stream, total, seed * 1000);
        rng_state = seed * 0x9e3779b97f4a7c15ull;
        cfg.rcv_wnd = 16384 + (rnd() % 4) * 16384;
        cfg.ooo_max = 4096 + rnd() % 32768;
        th_init(&h, &cfg);
        a = establish(&h, &p, PEER_ISN + (uint32_t)(seed * 999999), (int)(seed & 1));
        base = p.seq;
        while (acked < total) {
            uint32_t room = 8192, len = 1 + rnd() % 1448;
            struct th_out o;
            assert_true(++stall < 200000);
            if (nxt >= acked + room || nxt >= total || rnd() % 50 == 0)
                nxt = acked; /* "timeout": go back to the first unacknowledged byte */
            if (len > total - nxt)
                len = total - nxt;
            memset(&o, 0, sizeof(o));
            o.flags = TH_ACK | TH_PSH;
            o.set_seq = 1;
            o.seq = base + nxt;
            o.data = stream + nxt;
            o.dlen = (uint16_t)len;
            nxt += len;
            switch (rnd() % 20) {
            case 0: break; /* lost */
            case 1: /* held back, goes after the next one */
                if (!have_held) {
                    held = o;
                    memcpy(held_buf, stream + (o.seq - base), len);
                    held.data = held_buf;
                    have_held = 1;
                    break;
                }
                /* fall through */
            default:
                th_send(&h, &p, &o);
                if (rnd() % 20 == 0)
                    th_send(&h, &p, &o); /* duplicated */
                if (have_held && rnd() % 2) {
                    th_send(&h, &p, &held);
                    have_held = 0;
                }
            }
            /* the application takes a random amount, sometimes nothing for a while */
            switch (rnd() % 8) {
            case 0: a->recv_budget = 0; break;
            case 1: a->recv_budget = rnd() % 3000; break;
            case 2:
            case 3:
                a->recv_budget = SIZE_MAX;
                tcp_conn_recv_resume(a->tc);
                break;
            default: break;
            }
            th_poll(&h, rnd() % 3 ? 0 : 50 * 1000);
            while (h.nseg) {
                struct th_seg *s = th_take(&h);
                uint32_t ack = s->ack - base;
                if (ack <= total && ack > acked)
                    acked = ack;
            }
            /* what the application got is exactly the stream's beginning */
            assert_true(a->in_len <= nxt || a->in_len <= total);
            for (size_t i = 0; i < a->in_len; i++)
                if (a->in[i] != stream[i])
                    fail_msg("seed %llu: byte %zu of %u delivered wrong",
                             (unsigned long long)seed, i, (unsigned)a->in_len);
        }
        a->recv_budget = SIZE_MAX;
        tcp_conn_recv_resume(a->tc);
        assert_int_equal(a->in_len, total);
        assert_memory_equal(a->in, stream, total);
        free(stream);
        FINI(&h);
    }
}

/* --- bulk ---------------------------------------------------------------------------------- */

/* 20 MB to a peer with a 16 KiB window that loses one segment in 97. @keep_ooo: the peer
 * keeps out-of-order data (a normal receiver: NewReno repairs losses without timeouts) or
 * throws it away (every loss costs the rest of the window: recovery by RTO). */
static void large_transfer(int keep_ooo)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    const uint32_t total = 20u * 1024 * 1024;
    uint8_t *buf = malloc(total), *have = calloc(1, total);
    uint32_t base, last_ack, wnd, rcv = 0;
    uint64_t segs = 0, rounds = 0, lost = 0;

    assert_non_null(buf);
    assert_non_null(have);
    fill_pattern(buf, total, 0);
    cfg.rto_min_ms = 5;
    th_init(&h, &cfg);
    th_peer_init(&p, 40000, PEER_ISN);
    p.ts = 1;
    p.wnd = 128; /* << 7 (th_connect offers shift 7): 16 KiB */
    a = th_connect(&h, &p);
    assert_non_null(a);
    th_drain(&h);
    wnd = 128u << 7;
    base = p.ack;
    last_ack = base;
    a->peek_span = 1000; /* output spans that do not line up with segments */
    th_app_write(a, buf, total);
    free(buf);
    tcp_conn_output(a->tc);
    while (rcv < total) {
        rounds++;
        assert_true(rounds < 400000);
        while ((s = th_take(&h)) != NULL) {
            uint32_t off = s->seq - base;
            if (!s->dlen)
                continue;
            segs++;
            /* never beyond the window the peer offered */
            assert_true((uint32_t)(s->seq + s->dlen - last_ack) <= wnd);
            check_pattern(s->data, s->dlen, off);
            if (segs % 97 == 0) {
                lost++;
                continue;
            }
            if (keep_ooo || (off <= rcv && off + s->dlen > rcv))
                memset(have + off, 1, s->dlen);
            while (rcv < total && have[rcv])
                rcv++;
            p.ack = base + rcv;
            last_ack = p.ack;
            peer_ack(&h, &p);
        }
        th_poll(&h, 1000); /* a millisecond per round: RTOs fire on stalls */
    }
    free(have);
    assert_int_equal(a->out_acked, total);
    assert_true(tcp_stats(h.ts)->fast_retransmits > 0);
    if (keep_ooo) /* only a lost retransmission needs the timer */
        assert_true(tcp_stats(h.ts)->rto_timeouts * 10 < lost);
    assert_true(tcp_stats(h.ts)->retransmits >= lost);
    assert_int_equal(h.closed_calls, 0);
    FINI(&h);
}

static void test_large_transfer_small_window_lossy(void **state)
{
    (void)state;
    large_transfer(1);
}

static void test_large_transfer_go_back_n_peer(void **state)
{
    (void)state;
    large_transfer(0);
}

static void test_large_receive(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    uint8_t buf[1448];
    const uint32_t total = 4u * 1024 * 1024;
    uint32_t sent = 0, acks = 0;
    struct th_seg *s;

    (void)state;
    cfg.rcv_wnd = 256 * 1024;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 1);
    while (sent < total) {
        uint16_t n = (uint16_t)(total - sent < sizeof(buf) ? total - sent : sizeof(buf));
        fill_pattern(buf, n, sent);
        peer_data(&h, &p, buf, n);
        sent += n;
        th_poll(&h, 10);
        while ((s = th_take(&h)) != NULL) {
            acks++;
            assert_int_equal(s->wnd, (256 * 1024) >> 3); /* the application keeps up */
        }
    }
    assert_int_equal(a->in_len, total);
    check_pattern(a->in, a->in_len, 0);
    assert_true(acks >= total / 1448 / 2 - 1); /* at least every second full segment */
    assert_true(acks <= total / 1448 / 2 + 2);
    FINI(&h);
}

static void test_close_after_bulk(void **state)
{
    struct tcp_config cfg = th_config();
    struct th h;
    struct th_peer p;
    struct th_app *a;
    struct th_seg *s;
    static uint8_t buf[100000];
    uint32_t base, got = 0;
    int fin = 0;

    (void)state;
    th_init(&h, &cfg);
    a = establish(&h, &p, PEER_ISN, 0);
    base = p.ack;
    fill_pattern(buf, sizeof(buf), 0);
    th_app_write(a, buf, sizeof(buf));
    tcp_conn_close(a->tc); /* everything, then FIN */
    assert_int_equal(in_state(&h, "FIN_WAIT_1"), 1);
    while (!fin) {
        int n = 0;
        while ((s = th_take(&h)) != NULL) {
            n++;
            assert_int_equal(s->seq, base + got);
            check_pattern(s->data, s->dlen, got);
            got += s->dlen;
            if (s->flags & TH_FIN) {
                fin = 1;
                assert_int_equal(got, sizeof(buf));
            }
        }
        assert_true(n > 0);
        p.ack = base + got + (uint32_t)fin;
        peer_ack(&h, &p);
    }
    assert_int_equal(in_state(&h, "FIN_WAIT_2"), 1);
    assert_int_equal(a->out_acked, sizeof(buf));
    FINI(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delack_piggybacked_on_reply),
        cmocka_unit_test(test_delack_timer),
        cmocka_unit_test(test_ack_every_second_full_segment),
        cmocka_unit_test(test_ooo_permutations),
        cmocka_unit_test(test_overlapping_segments),
        cmocka_unit_test(test_ooo_bounded),
        cmocka_unit_test(test_fin_out_of_order),
        cmocka_unit_test(test_seq_wrap_receive),
        cmocka_unit_test(test_seq_wrap_send),
        cmocka_unit_test(test_receive_window),
        cmocka_unit_test(test_our_zero_window_probed),
        cmocka_unit_test(test_stream_integrity_under_faults),
        cmocka_unit_test(test_fast_retransmit_newreno),
        cmocka_unit_test(test_rto_goes_back_one_segment),
        cmocka_unit_test(test_large_transfer_small_window_lossy),
        cmocka_unit_test(test_large_transfer_go_back_n_peer),
        cmocka_unit_test(test_large_receive),
        cmocka_unit_test(test_close_after_bulk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
