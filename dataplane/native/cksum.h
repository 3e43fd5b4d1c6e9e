/*
 * cksum.h - the Internet checksum (RFC 1071) for the native stack's software path, when the
 * port offers no checksum offload (memif, net_ring, TAP, AF_PACKET).
 *
 * DPDK 22.11's rte_raw_cksum adds 16 bits at a time; in profiles of UDP GETs over memif that
 * loop was half of net_ipv4_output. The ones'-complement sum can be taken over wider words and
 * folded at the end (RFC 1071 section 2): cksum_raw adds 64 bits at a time with end-around
 * carry. Results are identical to rte_raw_cksum / rte_ipv4_udptcp_cksum (tests/native/
 * test_cksum.c compares them on every length and alignment).
 *
 * Pure functions of their arguments; any thread.
 */
#ifndef DP_CKSUM_H
#define DP_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

static inline uint64_t cksum_add(uint64_t sum, uint64_t v)
{
    sum += v;
    return sum + (sum < v); /* end-around carry */
}

/* cksum_raw: the 16-bit ones'-complement sum of @len bytes at @buf (any alignment), folded,
 * not complemented, in the same byte order as rte_raw_cksum. */
static inline uint16_t cksum_raw(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t sum = 0, a, b;
    uint32_t w4;
    uint16_t w2;

    for (; len >= 16; p += 16, len -= 16) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        sum = cksum_add(cksum_add(sum, a), b);
    }
    if (len >= 8) {
        memcpy(&a, p, 8);
        sum = cksum_add(sum, a);
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        memcpy(&w4, p, 4);
        sum = cksum_add(sum, w4);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        memcpy(&w2, p, 2);
        sum = cksum_add(sum, w2);
        p += 2;
        len -= 2;
    }
    if (len) { /* the odd byte is the first of a zero-padded 16-bit word */
        w2 = 0;
        memcpy(&w2, p, 1);
        sum = cksum_add(sum, w2);
    }
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* cksum_ipv4_hdr: the header checksum to store in @ip (its checksum field zero), as
 * rte_ipv4_cksum. */
static inline uint16_t cksum_ipv4_hdr(const struct rte_ipv4_hdr *ip)
{
    return (uint16_t)~cksum_raw(ip, rte_ipv4_hdr_len(ip));
}

/* cksum_l4_sum: pseudo header of @ip (as rte_ipv4_phdr_cksum(ip, 0): addresses, protocol, L4
 * length) plus the @l4len bytes at @l4, folded, not complemented (0xffff when a received
 * segment's checksum is right). The pseudo header's words are added in memory order, so the
 * protocol (after a zero byte) and the length are added as big-endian 16-bit values. */
static inline uint16_t cksum_l4_sum(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4len)
{
    uint64_t s = (uint64_t)ip->src_addr + ip->dst_addr + rte_cpu_to_be_16(ip->next_proto_id) +
                 rte_cpu_to_be_16((uint16_t)l4len) + cksum_raw(l4, l4len);

    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* cksum_l4: the TCP/UDP checksum to store for the L4 header and payload after @ip (its
 * checksum field zero), as rte_ipv4_udptcp_cksum: a UDP result of 0 is sent as 0xffff. */
static inline uint16_t cksum_l4(const struct rte_ipv4_hdr *ip, const void *l4)
{
    size_t l4len = (size_t)rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
    uint16_t c = (uint16_t)~cksum_l4_sum(ip, l4, l4len);

    return c == 0 && ip->next_proto_id == IPPROTO_UDP ? 0xffff : c;
}

/* cksum_l4_ok: nonzero when the TCP/UDP checksum of the segment after @ip is right. */
static inline int cksum_l4_ok(const struct rte_ipv4_hdr *ip, const void *l4)
{
    size_t tl = rte_be_to_cpu_16(ip->total_length), hl = rte_ipv4_hdr_len(ip);

    /* callers have checked total_length against the frame; a header longer than the total
     * is refused here too rather than read past */
    return tl >= hl && cksum_l4_sum(ip, l4, tl - hl) == 0xffff;
}

#endif
