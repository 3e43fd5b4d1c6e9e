/*
 * tcp_test.h - cmocka helpers shared by the TCP unit tests (on top of tcp_harness.h): expect a
 * segment with given fields, expect silence, a connection's state from the per-state counts,
 * and a peer that collects our data.
 */
#ifndef DP_TCP_TEST_H
#define DP_TCP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_harness.h"

#define ANY_SEQ      0x1ffffffffull /* expect_seg: do not check this field */
#define TH_INIT_CWND 10             /* initial window in segments (RFC 6928) */

/* expect_seg: the next captured segment must exist and have exactly @flags (and @seq/@ack
 * unless ANY_SEQ). */
#define expect_seg(h, flags, seq, ack) expect_seg_at((h), (flags), (seq), (ack), __FILE__, __LINE__)
static inline struct th_seg *expect_seg_at(struct th *h, uint8_t flags, uint64_t seq, uint64_t ack,
                                           const char *file, int line)
{
    struct th_seg *s = th_take(h);

    if (!s)
        _fail(file, line);
    if (s->flags != flags) {
        print_error("segment flags 0x%02x, expected 0x%02x\n", s->flags, flags);
        _fail(file, line);
    }
    if (seq != ANY_SEQ && s->seq != (uint32_t)seq) {
        print_error("segment seq %u, expected %u\n", s->seq, (uint32_t)seq);
        _fail(file, line);
    }
    if (ack != ANY_SEQ && s->ack != (uint32_t)ack) {
        print_error("segment ack %u, expected %u\n", s->ack, (uint32_t)ack);
        _fail(file, line);
    }
    return s;
}

#define expect_none(h) expect_none_at((h), __FILE__, __LINE__)
static inline void expect_none_at(struct th *h, const char *file, int line)
{
    if (h->nseg) {
        print_error("%u unexpected segment(s), first flags 0x%02x seq %u ack %u len %u\n", h->nseg,
                    h->segs[0].flags, h->segs[0].seq, h->segs[0].ack, h->segs[0].dlen);
        _fail(file, line);
    }
}

/* How many connections are in state @name ("ESTABLISHED"...). */
static inline uint64_t in_state(struct th *h, const char *name)
{
    uint64_t counts[32];
    unsigned n = tcp_state_count();

    assert_true(n <= 32);
    tcp_conns_by_state(h->ts, counts);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(tcp_state_names[i], name) == 0)
            return counts[i];
    fail_msg("no state %s", name);
    return 0;
}

/* Connections in any state but LISTEN. */
static inline uint64_t conns_total(struct th *h)
{
    uint64_t counts[32], sum = 0;
    unsigned n = tcp_state_count();

    tcp_conns_by_state(h->ts, counts);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(tcp_state_names[i], "LISTEN") != 0)
            sum += counts[i];
    return sum;
}

/* A pure ACK (p->seq, p->ack) from the peer. */
static inline void peer_ack(struct th *h, struct th_peer *p)
{
    struct th_out o = { .flags = TH_ACK };

    th_send(h, p, &o);
}

/* Data from the peer (ACK set). */
static inline void peer_data(struct th *h, struct th_peer *p, const void *data, uint16_t len)
{
    struct th_out o = { .flags = TH_ACK | TH_PSH, .data = data, .dlen = len };

    th_send(h, p, &o);
}

static inline void peer_flags(struct th *h, struct th_peer *p, uint8_t flags)
{
    struct th_out o = { .flags = flags };

    th_send(h, p, &o);
}

/* A deterministic byte pattern for stream position @i (content checks). */
static inline uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13 ^ i);
}

/* th_fini with the leak check. */
#define FINI(h) assert_int_equal(th_fini(h), 0)

#endif
