/*
 * test_cksum.c - dataplane/native/cksum.h against DPDK's reference functions: every length
 * 0..1600 at every start offset 0..7 of random bytes (rte_raw_cksum), IPv4 headers
 * (rte_ipv4_cksum), full IPv4 TCP and UDP segments with random addresses
 * (rte_ipv4_udptcp_cksum and _verify, including the UDP 0 -> 0xffff rule), and detection of a
 * single flipped bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "native/cksum.h"

#define MAX_LEN 1600

static uint8_t buf[MAX_LEN + 64];

static void fill(uint32_t seed)
{
    srand(seed);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rand();
}

static void test_raw_every_length_and_offset(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 3; seed++) {
        fill(seed);
        for (size_t off = 0; off < 8; off++)
            for (size_t len = 0; len <= MAX_LEN; len++)
                assert_int_equal(cksum_raw(buf + off, len), rte_raw_cksum(buf + off, len));
    }
    /* all ones: the sums that carry the most */
    memset(buf, 0xff, sizeof(buf));
    for (size_t len = 0; len <= MAX_LEN; len++)
        assert_int_equal(cksum_raw(buf, len), rte_raw_cksum(buf, len));
}

/* an IPv4 header for @l4len bytes of @proto in buf, followed by the L4 bytes (random) */
static struct rte_ipv4_hdr *segment(uint8_t proto, size_t l4len, uint32_t seed)
{
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

    fill(seed);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
    ip->next_proto_id = proto;
    return ip;
}

static void test_l4_matches_dpdk(void **state)
{
    (void)state;
    for (size_t l4len = 8; l4len <= 1480; l4len += 7) {
        for (int udp = 0; udp <= 1; udp++) {
            struct rte_ipv4_hdr *ip =
                segment(udp ? IPPROTO_UDP : IPPROTO_TCP, l4len, (uint32_t)l4len * 2 + udp);
            uint8_t *l4 = (uint8_t *)(ip + 1);
            uint8_t *ck = l4 + (udp ? 6 : 16);
            uint16_t ours, ref;

            if (!udp && l4len < 20)
                continue;
            memset(ck, 0, 2);
            ip->src_addr = (uint32_t)rand();
            ip->dst_addr = (uint32_t)rand();
            ip->hdr_checksum = 0;
            assert_int_equal(cksum_ipv4_hdr(ip), rte_ipv4_cksum(ip));
            ours = cksum_l4(ip, l4);
            ref = rte_ipv4_udptcp_cksum(ip, l4);
            assert_int_equal(ours, ref);
            memcpy(ck, &ours, 2);
            assert_true(cksum_l4_ok(ip, l4));
            assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, l4), 0);
            l4[l4len - 1] ^= 0x10; /* one bit off: caught */
            assert_false(cksum_l4_ok(ip, l4));
        }
    }
}

static void test_udp_zero_sent_as_ffff(void **state)
{
    struct rte_ipv4_hdr *ip = segment(IPPROTO_UDP, 10, 7);
    uint8_t *l4 = (uint8_t *)(ip + 1);
    uint16_t c;

    (void)state;
    memset(l4 + 6, 0, 2);
    memset(l4 + 8, 0, 2);
    /* adding a word equal to the checksum makes the folded sum 0xffff: the checksum proper
     * becomes 0, which UDP must send as 0xffff (0 means "no checksum") */
    c = cksum_l4(ip, l4);
    assert_int_not_equal(c, 0xffff);
    memcpy(l4 + 8, &c, 2);
    assert_int_equal(cksum_l4(ip, l4), 0xffff);
    assert_int_equal(rte_ipv4_udptcp_cksum(ip, l4), 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_every_length_and_offset),
        cmocka_unit_test(test_l4_matches_dpdk),
        cmocka_unit_test(test_udp_zero_sent_as_ffff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
