/*
 * tcp_cookie.c - the secrets of a stack's TCP: initial sequence numbers (RFC 6528), timestamp
 * offsets (RFC 7323 §5.4) and SYN cookies, all from SipHash-2-4 keyed with random per-stack keys
 * (rte_rand at tcp_stack_create).
 *
 * SYN cookie (our ISN in a stateless SYN-ACK, checked when the final ACK returns ISN + 1):
 *
 *     cookie = H1(4-tuple) + (count << 27 | mss_index << 24 | H2(4-tuple, peer ISN, count) &
 * 0xffffff)
 *
 *   count      5 bits: the cookie clock (now / 64 s) modulo 32; a cookie is accepted during the
 *              period it was made in and the next one (64 to 128 s)
 *   mss_index  3 bits: index in tcp_cookie_mss[] of the largest entry <= min(peer MSS, ours)
 *   H2         24 bits of MAC: a forged ACK passes with probability 2^-24
 *   H1         hides the layout: the ISN as a whole is unpredictable
 *
 * What a cookie cannot carry is dropped: such a connection has no window scaling and no
 * timestamps (the cookie SYN-ACK does not offer them, so neither side uses them) and its MSS
 * is rounded down to a table entry.
 */
#include "tcp_impl.h"

#include <rte_random.h>

/* MSS values a cookie can encode (index: 3 bits). */
static const uint16_t tcp_cookie_mss[TCP_COOKIE_MSS_N] = {
    TCP_MIN_MSS, 536, 1200, 1360, 1400, 1440, 1460, 8960,
};

/* Domain separation between the uses of one key. */
enum { SIP_DOM_ISN = 1, SIP_DOM_TSOFF, SIP_DOM_COOKIE_H1, SIP_DOM_COOKIE_H2 };

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl64(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = rotl64(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = rotl64(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl64(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl64(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = rotl64(v2, 32);                                                                       \
    } while (0)

/* SipHash-2-4 of three 64-bit words (24 bytes, little-endian word order). */
static uint64_t siphash3(const uint64_t k[2], uint64_t w0, uint64_t w1, uint64_t w2)
{
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ull;
    uint64_t v1 = k[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ull;
    uint64_t v3 = k[1] ^ 0x7465646279746573ull;
    const uint64_t w[4] = { w0, w1, w2, (uint64_t)24 << 56 };

    for (int i = 0; i < 4; i++) {
        v3 ^= w[i];
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= w[i];
    }
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64_t addrs_word(uint32_t a, uint32_t b)
{
    return (uint64_t)a << 32 | b;
}

static inline uint64_t ports_word(uint16_t a, uint16_t b, uint32_t extra)
{
    return (uint64_t)a << 48 | (uint64_t)b << 32 | extra;
}

void tcp_secrets_init(struct tcp_stack *ts)
{
    ts->isn_key[0] = rte_rand();
    ts->isn_key[1] = rte_rand();
    ts->cookie_key[0] = rte_rand();
    ts->cookie_key[1] = rte_rand();
}

uint32_t tcp_isn(const struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                 uint16_t rport)
{
    uint64_t h;

    if (ts->isn_fixed)
        return ts->isn_fixed;
    /* ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock */
    h = siphash3(ts->isn_key, addrs_word(laddr, raddr), ports_word(lport, rport, 0), SIP_DOM_ISN);
    return (uint32_t)h + (uint32_t)(ts->now_us / 4);
}

uint32_t tcp_ts_offset(const struct tcp_stack *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport)
{
    return (uint32_t)siphash3(ts->isn_key, addrs_word(laddr, raddr), ports_word(lport, rport, 0),
                              SIP_DOM_TSOFF);
}

static uint32_t cookie_h1(const struct tcp_stack *ts, const struct tcp_seg *seg)
{
    return (uint32_t)siphash3(ts->cookie_key, addrs_word(seg->saddr, seg->daddr),
                              ports_word(seg->sport, seg->dport, 0), SIP_DOM_COOKIE_H1);
}

static uint32_t cookie_h2(const struct tcp_stack *ts, const struct tcp_seg *seg, uint32_t peer_isn,
                          uint64_t count)
{
    return (uint32_t)siphash3(ts->cookie_key, addrs_word(seg->saddr, seg->daddr),
                              ports_word(seg->sport, seg->dport, peer_isn),
                              count << 8 | SIP_DOM_COOKIE_H2) &
           0xffffff;
}

uint32_t tcp_cookie_make(const struct tcp_stack *ts, const struct tcp_seg *seg, uint16_t mss,
                         uint16_t *mss_out)
{
    uint64_t count = ts->now_us / TCP_COOKIE_PERIOD_US;
    uint32_t idx = 0;

    for (uint32_t i = 1; i < TCP_COOKIE_MSS_N; i++)
        if (tcp_cookie_mss[i] <= mss)
            idx = i;
    *mss_out = tcp_cookie_mss[idx];
    return cookie_h1(ts, seg) +
           ((uint32_t)(count & 31) << 27 | idx << 24 | cookie_h2(ts, seg, seg->seq, count));
}

int tcp_cookie_check(const struct tcp_stack *ts, const struct tcp_seg *seg, uint16_t *mss)
{
    uint32_t v = (seg->ack - 1) - cookie_h1(ts, seg);
    uint64_t now = ts->now_us / TCP_COOKIE_PERIOD_US;
    uint32_t peer_isn = seg->seq - 1;

    for (uint64_t age = 0; age <= 1 && age <= now; age++) {
        uint64_t count = now - age;
        if ((count & 31) != v >> 27)
            continue;
        if ((v & 0xffffff) != cookie_h2(ts, seg, peer_isn, count))
            return -1;
        *mss = tcp_cookie_mss[(v >> 24) & 7];
        return 0;
    }
    return -1;
}
