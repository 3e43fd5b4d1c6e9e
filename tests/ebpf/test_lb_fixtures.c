/*
 * test_lb_fixtures.c - packet-in/verdict-out fixtures for the XDP front (lb.bpf.c) through
 * BPF_PROG_TEST_RUN: malformed and foreign input with the expected verdict and reason counter,
 * and well-formed TCP/UDP with the expected rewrite (MACs, UDP port, checksum, nothing else).
 * Needs root (CAP_BPF, CAP_NET_ADMIN); exits 77 (skip) otherwise.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_test_util.h"

#define VIP       "10.0.0.100"
#define CLIENT    "192.168.1.10"
#define TCP_PORT  6379
#define UDP_PORT  7000
#define N_BACKEND 2

/* Backend i: 10.1.0.(i+1), base port 7000 + 1000 i, cores 4 - 2 i, weight 1. */
static const uint16_t be_base[N_BACKEND] = { 7000, 8000 };
static const uint16_t be_cores[N_BACKEND] = { 4, 2 };

static struct front *g_front;
static int g_prog;

static uint32_t ip4(const char *s)
{
    struct in_addr a;

    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static struct lbt_flow flow(uint16_t sport, uint16_t dport)
{
    struct lbt_flow fl = { ip4(CLIENT), ip4(VIP), sport, dport };

    return fl;
}

static void add_backend(struct front *f, unsigned int i, int egress)
{
    struct front_backend_spec s;
    char addr[32];

    memset(&s, 0, sizeof(s));
    snprintf(addr, sizeof(addr), "10.1.0.%u", i + 1);
    inet_pton(AF_INET, addr, &s.addr);
    lbt_mac_backend(s.mac, i);
    memcpy(s.src_mac, lbt_mac_front, 6);
    s.weight = 1;
    s.base_port = be_base[i];
    s.ncores = be_cores[i];
    s.egress_ifindex = egress;
    assert_int_equal(front_backend_add(f, &s), (int)i);
}

static int setup(void **state)
{
    struct in_addr vip = { ip4(VIP) };

    (void)state;
    lbt_pin_cpu0();
    g_front = front_open(NULL);
    assert_non_null(g_front);
    g_prog = front_prog_fd(g_front);
    assert_int_equal(front_set_service(g_front, vip, TCP_PORT, UDP_PORT), 0);
    for (unsigned int i = 0; i < N_BACKEND; i++)
        add_backend(g_front, i, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    front_destroy(&g_front);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Fixture builders: each writes one frame into buf and returns its length.
 */

/* BPF_PROG_TEST_RUN refuses frames under 14 bytes (as drivers never deliver them), so the
 * shortest frame tested is a bare Ethernet header announcing IPv4. */
static uint32_t fx_eth_only(uint8_t *b)
{
    memset(b, 0xab, 12);
    b[12] = 0x08;
    b[13] = 0x00;
    return 14;
}

static uint32_t fx_arp(uint8_t *b)
{
    memset(b, 0, 42);
    b[12] = 0x08;
    b[13] = 0x06;
    return 42;
}

static uint32_t fx_ipv6(uint8_t *b)
{
    memset(b, 0, 74);
    b[12] = 0x86;
    b[13] = 0xdd;
    b[14] = 0x60;
    return 74;
}

static uint32_t fx_vlan(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    uint32_t n = lbt_build_tcp(b, &fl, NULL, 0, 0);

    /* 802.1Q in front of the IPv4 ethertype: the front only handles untagged frames. */
    memmove(b + 16, b + 12, n - 12);
    b[12] = 0x81;
    b[13] = 0x00;
    b[14] = 0x00;
    b[15] = 0x05;
    return n + 4;
}

static uint32_t fx_ip_truncated(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);

    lbt_build_tcp(b, &fl, NULL, 0, 0);
    return LBT_ETH_LEN + 12;
}

static uint32_t fx_not_vip(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);

    fl.daddr_be = ip4("10.0.0.101");
    return lbt_build_tcp(b, &fl, NULL, 0, 0);
}

static uint32_t fx_ip_version(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    struct lbt_ip_opts o = { .version = 6 };

    return lbt_build_tcp(b, &fl, &o, 0, 0);
}

static uint32_t fx_ihl_small(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    uint32_t n = lbt_build_tcp(b, &fl, NULL, 0, 0);

    b[LBT_ETH_LEN] = 0x44; /* IHL 4 */
    return n;
}

static uint32_t fx_ihl_past_end(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);

    lbt_build_tcp(b, &fl, NULL, 0, 0);
    b[LBT_ETH_LEN] = 0x4f; /* IHL 15 = 60 bytes, but tot_len says 40 */
    return LBT_ETH_LEN + 40;
}

static uint32_t fx_tot_len_long(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    struct lbt_ip_opts o = { .tot_len_delta = 100 };

    return lbt_build_tcp(b, &fl, &o, 0, 0);
}

static uint32_t fx_frag_mf(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    struct lbt_ip_opts o = { .frag_off = 0x2000 };

    return lbt_build_tcp(b, &fl, &o, 0, 0);
}

static uint32_t fx_frag_offset(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, UDP_PORT);
    struct lbt_ip_opts o = { .frag_off = 0x0010 };
    uint8_t junk[64];

    memset(junk, 'j', sizeof(junk));
    return lbt_build_udp(b, &fl, &o, junk, sizeof(junk), 0);
}

static uint32_t fx_icmp(uint8_t *b)
{
    struct lbt_flow fl = flow(0, 0);
    uint32_t n = lbt_build_tcp(b, &fl, NULL, 0, 0);

    b[LBT_ETH_LEN + 9] = 1; /* protocol ICMP */
    return n;
}

static uint32_t fx_tcp_other_port(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, 22);

    return lbt_build_tcp(b, &fl, NULL, 0, 0);
}

static uint32_t fx_tcp_truncated(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    struct lbt_ip_opts o = { .tot_len_delta = -10 }; /* IP says 10 bytes of TCP */

    return lbt_build_tcp(b, &fl, &o, 0, 0) - 10;
}

static uint32_t fx_tcp_doff_small(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    uint32_t n = lbt_build_tcp(b, &fl, NULL, 0, 0);

    b[LBT_ETH_LEN + LBT_IP_LEN + 12] = 4 << 4;
    return n;
}

static uint32_t fx_tcp_doff_past_end(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, TCP_PORT);
    uint32_t n = lbt_build_tcp(b, &fl, NULL, 0, 8);

    b[LBT_ETH_LEN + LBT_IP_LEN + 12] = 15 << 4; /* 60 bytes of header, 28 present */
    return n;
}

static uint32_t udp_payload(uint8_t *b, const void *p, uint32_t n)
{
    struct lbt_flow fl = flow(40000, UDP_PORT);

    return lbt_build_udp(b, &fl, NULL, p, n, 1);
}

static uint32_t fx_udp_truncated(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, UDP_PORT);
    struct lbt_ip_opts o = { .tot_len_delta = -4 };

    return lbt_build_udp(b, &fl, &o, "", 0, 0) - 4;
}

static uint32_t fx_udp_other_port(uint8_t *b)
{
    struct lbt_flow fl = flow(40000, 53);

    return lbt_build_udp(b, &fl, NULL, "abcdefgh", 8, 1);
}

static uint32_t fx_udp_len_long(uint8_t *b)
{
    uint32_t n = udp_payload(b, "abcdefghij", 10);

    b[LBT_ETH_LEN + LBT_IP_LEN + 5] += 20; /* UDP length past the IP payload */
    return n;
}

static uint32_t fx_udp_len_short(uint8_t *b)
{
    uint32_t n = udp_payload(b, "abcdefghij", 10);

    b[LBT_ETH_LEN + LBT_IP_LEN + 4] = 0;
    b[LBT_ETH_LEN + LBT_IP_LEN + 5] = 7; /* below the 8-byte header */
    return n;
}

static uint32_t fx_frame_short(uint8_t *b)
{
    return udp_payload(b, "\0\1\0\1", 4);
}

static uint32_t frame_then(uint8_t *b, uint16_t seq, uint16_t total, uint16_t reserved,
                           const char *resp)
{
    uint8_t p[LBT_PKT_MAX];
    size_t n = strlen(resp);

    lbt_frame(p, 7, seq, total, reserved);
    memcpy(p + LB_FRAME_HDR_LEN, resp, n);
    return udp_payload(b, p, (uint32_t)(LB_FRAME_HDR_LEN + n));
}

#define GET_K1 "*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n"

static uint32_t fx_frame_reserved(uint8_t *b)
{
    return frame_then(b, 0, 1, 1, GET_K1);
}

static uint32_t fx_frame_multi(uint8_t *b)
{
    return frame_then(b, 0, 2, 0, GET_K1);
}

static uint32_t fx_frame_seq(uint8_t *b)
{
    return frame_then(b, 1, 1, 0, GET_K1);
}

static uint32_t fx_resp_inline(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "GET key:1\r\n");
}

static uint32_t fx_resp_argc0(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*0\r\n");
}

static uint32_t fx_resp_no_key(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3\r\nGET\r\n");
}

static uint32_t fx_resp_key_past_end(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3\r\nGET\r\n$10\r\nkey:1\r\n");
}

static uint32_t fx_resp_digits(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3\r\nGET\r\n$000005\r\nkey:1\r\n");
}

static uint32_t fx_resp_no_crlf(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3\r\nGET\r\n$5\r\nkey:1xx");
}

static uint32_t fx_resp_bad_len(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3x\r\nGET\r\n$5\r\nkey:1\r\n");
}

static uint32_t fx_resp_long_cmd(uint8_t *b)
{
    return frame_then(b, 0, 1, 0,
                      "*2\r\n$33\r\nGETGETGETGETGETGETGETGETGETGETGET\r\n$5\r\nkey:1\r\n");
}

static uint32_t fx_resp_binary(uint8_t *b)
{
    uint8_t junk[200];
    uint8_t p[LBT_PKT_MAX];

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    lbt_frame(p, 7, 0, 1, 0);
    memcpy(p + LB_FRAME_HDR_LEN, junk, sizeof(junk));
    return udp_payload(b, p, LB_FRAME_HDR_LEN + sizeof(junk));
}

static uint32_t long_key(uint8_t *b, size_t klen, const char *tag, size_t tag_at)
{
    static char key[LBT_PKT_MAX];
    const char *argv[2] = { "GET", key };
    size_t lens[2] = { 3, klen };
    uint8_t p[LBT_PKT_MAX];

    memset(key, 'k', klen);
    if (tag)
        memcpy(key + tag_at, tag, strlen(tag));
    return udp_payload(b, p, lbt_request(p, 9, 2, argv, lens));
}

static uint32_t fx_key_too_long(uint8_t *b)
{
    return long_key(b, LB_KEY_MAX + 1, NULL, 0);
}

static uint32_t fx_key_tag_after_limit(uint8_t *b)
{
    return long_key(b, LB_KEY_MAX + 100, "{tag}", LB_KEY_MAX - 2); /* '}' past the limit */
}

static uint32_t fx_key_long_tagged(uint8_t *b)
{
    return long_key(b, 1000, "{user:42}", 100);
}

static uint32_t fx_key_max(uint8_t *b)
{
    return long_key(b, LB_KEY_MAX, NULL, 0);
}

static uint32_t fx_key_empty(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

static uint32_t fx_ping(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*1\r\n$4\r\nPING\r\n");
}

static uint32_t fx_echo(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$4\r\necho\r\n$5\r\nhello\r\n");
}

static uint32_t fx_auth_alone(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n");
}

static uint32_t fx_auth_get(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n" GET_K1);
}

static uint32_t fx_auth_ping(uint8_t *b)
{
    return frame_then(b, 0, 1, 0,
                      "*3\r\n$4\r\nauth\r\n$1\r\nu\r\n$2\r\npw\r\n*1\r\n$4\r\nPING\r\n");
}

static uint32_t fx_auth_four_args(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*4\r\n$4\r\nAUTH\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

static uint32_t fx_auth_bad_bulk(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$4\r\nAUTH\r\n$9\r\nsecret\r\n" GET_K1);
}

static uint32_t fx_auth_then_junk(uint8_t *b)
{
    return frame_then(b, 0, 1, 0, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\nGET key:1\r\n");
}

static uint32_t fx_tcp_syn(uint8_t *b)
{
    struct lbt_flow fl = flow(40001, TCP_PORT);

    return lbt_build_tcp(b, &fl, NULL, 0, 0);
}

struct fixture {
    const char *name;
    uint32_t (*build)(uint8_t *buf);
    uint32_t verdict;
    unsigned int counter; /* the reason (pass/drop) or the path counter (forwarded) */
};

static const struct fixture fixtures[] = {
    { "Ethernet header only", fx_eth_only, XDP_DROP, LB_CNT_DROP_IP_TRUNCATED },
    { "ARP", fx_arp, XDP_PASS, LB_CNT_PASS_NOT_IPV4 },
    { "IPv6", fx_ipv6, XDP_PASS, LB_CNT_PASS_NOT_IPV4 },
    { "VLAN-tagged IPv4", fx_vlan, XDP_PASS, LB_CNT_PASS_NOT_IPV4 },
    { "IPv4 header cut", fx_ip_truncated, XDP_DROP, LB_CNT_DROP_IP_TRUNCATED },
    { "not the VIP", fx_not_vip, XDP_PASS, LB_CNT_PASS_NOT_VIP },
    { "IP version 6 in IPv4 frame", fx_ip_version, XDP_DROP, LB_CNT_DROP_IP_MALFORMED },
    { "IHL 4", fx_ihl_small, XDP_DROP, LB_CNT_DROP_IP_MALFORMED },
    { "IHL past tot_len", fx_ihl_past_end, XDP_DROP, LB_CNT_DROP_IP_MALFORMED },
    { "tot_len past frame", fx_tot_len_long, XDP_DROP, LB_CNT_DROP_IP_MALFORMED },
    { "fragment MF", fx_frag_mf, XDP_DROP, LB_CNT_DROP_IP_FRAGMENT },
    { "fragment offset", fx_frag_offset, XDP_DROP, LB_CNT_DROP_IP_FRAGMENT },
    { "ICMP to VIP", fx_icmp, XDP_PASS, LB_CNT_PASS_VIP_OTHER },
    { "TCP other port", fx_tcp_other_port, XDP_PASS, LB_CNT_PASS_VIP_OTHER },
    { "TCP header cut", fx_tcp_truncated, XDP_DROP, LB_CNT_DROP_TCP_MALFORMED },
    { "TCP doff 4", fx_tcp_doff_small, XDP_DROP, LB_CNT_DROP_TCP_MALFORMED },
    { "TCP doff past end", fx_tcp_doff_past_end, XDP_DROP, LB_CNT_DROP_TCP_MALFORMED },
    { "UDP header cut", fx_udp_truncated, XDP_DROP, LB_CNT_DROP_UDP_MALFORMED },
    { "UDP other port", fx_udp_other_port, XDP_PASS, LB_CNT_PASS_VIP_OTHER },
    { "UDP length past IP", fx_udp_len_long, XDP_DROP, LB_CNT_DROP_UDP_MALFORMED },
    { "UDP length < 8", fx_udp_len_short, XDP_DROP, LB_CNT_DROP_UDP_MALFORMED },
    { "frame header cut", fx_frame_short, XDP_DROP, LB_CNT_DROP_FRAME_MALFORMED },
    { "frame reserved != 0", fx_frame_reserved, XDP_DROP, LB_CNT_DROP_FRAME_MALFORMED },
    { "frame total 2", fx_frame_multi, XDP_DROP, LB_CNT_DROP_FRAME_MALFORMED },
    { "frame seq 1", fx_frame_seq, XDP_DROP, LB_CNT_DROP_FRAME_MALFORMED },
    { "inline command", fx_resp_inline, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "*0", fx_resp_argc0, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "GET without key", fx_resp_no_key, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "key bulk past end", fx_resp_key_past_end, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "6-digit length", fx_resp_digits, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "key without CRLF", fx_resp_no_crlf, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "non-digit length", fx_resp_bad_len, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "33-byte command", fx_resp_long_cmd, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "binary payload", fx_resp_binary, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "key over limit", fx_key_too_long, XDP_DROP, LB_CNT_DROP_KEY_TOO_LONG },
    { "tag closing past limit", fx_key_tag_after_limit, XDP_DROP, LB_CNT_DROP_KEY_TOO_LONG },
    { "long key, early tag", fx_key_long_tagged, XDP_TX, LB_CNT_UDP_HASH_TAG },
    { "key at limit", fx_key_max, XDP_TX, LB_CNT_UDP_KEYED },
    { "empty key", fx_key_empty, XDP_TX, LB_CNT_UDP_KEYED },
    { "PING", fx_ping, XDP_TX, LB_CNT_UDP_KEYLESS },
    { "echo (lower case)", fx_echo, XDP_TX, LB_CNT_UDP_KEYLESS },
    { "AUTH alone", fx_auth_alone, XDP_TX, LB_CNT_UDP_KEYLESS },
    { "AUTH + GET", fx_auth_get, XDP_TX, LB_CNT_UDP_KEYED },
    { "auth user pw + PING", fx_auth_ping, XDP_TX, LB_CNT_UDP_KEYLESS },
    { "AUTH with 3 arguments", fx_auth_four_args, XDP_TX, LB_CNT_UDP_KEYLESS },
    { "AUTH password bulk past end", fx_auth_bad_bulk, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "AUTH + inline command", fx_auth_then_junk, XDP_DROP, LB_CNT_DROP_RESP_MALFORMED },
    { "TCP SYN", fx_tcp_syn, XDP_TX, LB_CNT_TCP_CT_MISS },
};

static int is_reason(unsigned int k)
{
    return k >= LB_CNT_PASS_NOT_IPV4 && k <= LB_CNT_DROP_INTERNAL;
}

static unsigned int verdict_counter(uint32_t verdict)
{
    switch (verdict) {
    case XDP_TX: return LB_CNT_VERDICT_TX;
    case XDP_REDIRECT: return LB_CNT_VERDICT_REDIRECT;
    case XDP_PASS: return LB_CNT_VERDICT_PASS;
    default: return LB_CNT_VERDICT_DROP;
    }
}

/* Runs one fixture; checks the verdict, that exactly the expected counters moved, and that a
 * pass or drop leaves the frame untouched. */
static void check_fixture(const struct fixture *fx)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    uint32_t len;
    int reasons = 0;

    memset(frame, 0, sizeof(frame));
    len = fx->build(frame);
    lbt_counters(g_front, before);
    lbt_run(g_prog, frame, len, &r);
    lbt_counters(g_front, after);

    if (r.retval != fx->verdict)
        fail_msg("%s: verdict %u, want %u", fx->name, r.retval, fx->verdict);
    if (after[LB_CNT_RX_PACKETS] - before[LB_CNT_RX_PACKETS] != 1 ||
        after[verdict_counter(fx->verdict)] - before[verdict_counter(fx->verdict)] != 1 ||
        after[fx->counter] - before[fx->counter] != 1)
        fail_msg("%s: counters did not move as expected", fx->name);
    for (unsigned int k = 0; k < LB_CNT__COUNT; k++)
        if (is_reason(k))
            reasons += (int)(after[k] - before[k]);
    if (reasons != (fx->verdict == XDP_PASS || fx->verdict == XDP_DROP ? 1 : 0))
        fail_msg("%s: %d reason counters moved", fx->name, reasons);
    if ((fx->verdict == XDP_PASS || fx->verdict == XDP_DROP) &&
        (r.len != len || memcmp(r.out, frame, len) != 0))
        fail_msg("%s: frame modified on pass/drop", fx->name);
}

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        check_fixture(&fixtures[i]);
}

/* The core of an n-core node owning `slot`, by scanning the documented ranges. */
static unsigned int owner_core(unsigned int slot, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (slot >= (i * 16384u) / n && slot <= ((i + 1) * 16384u) / n - 1)
            return i;
    fail_msg("slot %u owned by no core of %u", slot, n);
    return 0;
}

/* A keyed request comes out with only the destination MAC/port and the UDP checksum changed,
 * to the backend and core that own the key's slot (slot from the reference CRC16). */
static void check_keyed(const char *key, size_t klen, const char *hashed, size_t hlen,
                        int with_csum)
{
    static uint8_t frame[LBT_PKT_MAX], p[LBT_PKT_MAX];
    static struct lbt_run r;
    const char *argv[2] = { "GET", key };
    size_t lens[2] = { 3, klen };
    struct lbt_flow fl = flow(45678, UDP_PORT);
    unsigned int slot, be, core;
    uint32_t len, off = LBT_ETH_LEN + LBT_IP_LEN;
    uint8_t mac[6];

    len = lbt_build_udp(frame, &fl, NULL, p, lbt_request(p, 77, 2, argv, lens), with_csum);
    lbt_run(g_prog, frame, len, &r);
    assert_int_equal(r.retval, XDP_TX);
    assert_int_equal(r.len, len);

    slot = lbt_crc16_ref((const uint8_t *)hashed, hlen) & 16383u;
    be = slot < 8192 ? 0 : 1; /* two equal weights: halves, in index order */
    core = owner_core(slot, be_cores[be]);
    lbt_mac_backend(mac, be);
    assert_memory_equal(r.out, mac, 6);
    assert_memory_equal(r.out + 6, lbt_mac_front, 6);
    assert_memory_equal(r.out + 12, frame + 12, off - 12); /* IP header */
    assert_memory_equal(r.out + off, frame + off, 2);      /* source port */
    assert_int_equal(r.out[off + 2] << 8 | r.out[off + 3], be_base[be] + core);
    assert_memory_equal(r.out + off + 4, frame + off + 4, 2);             /* length */
    assert_memory_equal(r.out + off + 8, frame + off + 8, len - off - 8); /* payload */
    assert_true(lbt_udp_csum_ok(r.out, r.len));
    if (!with_csum)
        assert_int_equal(r.out[off + 6] | r.out[off + 7], 0); /* absent stays absent */
}

static void test_udp_keyed(void **state)
{
    (void)state;
    check_keyed("key:1", 5, "key:1", 5, 1);
    check_keyed("key:1", 5, "key:1", 5, 0);
    check_keyed("123456789", 9, "123456789", 9, 1);
    check_keyed("{user1000}.following", 20, "user1000", 8, 1);
    check_keyed("foo{}{bar}", 10, "foo{}{bar}", 10, 1);
    check_keyed("foo{{bar}}zap", 13, "{bar", 4, 1);
    check_keyed("foo{bar}{zap}", 13, "bar", 3, 1);
    check_keyed("{", 1, "{", 1, 1);
    check_keyed("}{", 2, "}{", 2, 1);
    check_keyed("a\0b{\0}", 6, "\0", 1, 0);
    /* The spec's check value. */
    assert_int_equal(lbt_crc16_ref((const uint8_t *)"123456789", 9), 0x31c3);
}

static void test_udp_checksum_sweep(void **state)
{
    char key[32];

    (void)state;
    /* Many ports and payloads: the incremental checksum must always verify. */
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "k%d", i * 7919);
        check_keyed(key, strlen(key), key, strlen(key), 1);
    }
}

/* Runs a UDP request payload; returns the backend and writes the destination port. */
static int udp_dest(const void *payload, uint32_t plen, int *port)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    struct lbt_flow fl = flow(41000, UDP_PORT);
    const uint8_t *udp = r.out + LBT_ETH_LEN + LBT_IP_LEN;

    lbt_run(g_prog, frame, lbt_build_udp(frame, &fl, NULL, payload, plen, 1), &r);
    assert_int_equal(r.retval, XDP_TX);
    assert_true(lbt_udp_csum_ok(r.out, r.len));
    *port = udp[2] << 8 | udp[3];
    return lbt_backend_of(r.out);
}

/* "AUTH [user] password" before the command (dpcache's UDP protocol with requirepass) is
 * skipped: the request goes exactly where the bare command goes. */
static void test_udp_auth_prefix(void **state)
{
    static const char *const prefixes[] = {
        "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n",
        "*3\r\n$4\r\nAuth\r\n$7\r\ndefault\r\n$12\r\n{not-a-key}\r\r\n",
    };
    uint8_t p[LBT_PKT_MAX];
    char key[32];

    (void)state;
    for (int i = 0; i < 200; i++) {
        const char *argv[2] = { "GET", key };
        size_t lens[2] = { 3, 0 };
        uint32_t n, base_len;
        int be, port, be2, port2;

        lens[1] = (size_t)snprintf(key, sizeof(key), "k{%d}x", i * 31);
        n = lbt_request(p, 1, 2, argv, lens);
        be = udp_dest(p, n, &port);
        for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
            uint8_t q[LBT_PKT_MAX];
            size_t plen = strlen(prefixes[k]);

            base_len = n - LB_FRAME_HDR_LEN;
            memcpy(q, p, LB_FRAME_HDR_LEN);
            memcpy(q + LB_FRAME_HDR_LEN, prefixes[k], plen);
            memcpy(q + LB_FRAME_HDR_LEN + plen, p + LB_FRAME_HDR_LEN, base_len);
            be2 = udp_dest(q, (uint32_t)(n + plen), &port2);
            assert_int_equal(be2, be);
            assert_int_equal(port2, port);
        }
    }
}

/* A TCP flow sent with IP options reaches the backend its option-less packets use (the TCP
 * header is found past the options) and hits the same connection-table entry. */
static void test_ip_options(void **state)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    struct lbt_ip_opts o = { .ihl = 8 };
    int be;

    (void)state;
    for (uint16_t sport = 50000; sport < 50064; sport++) {
        struct lbt_flow fl = flow(sport, TCP_PORT);

        lbt_run(g_prog, frame, lbt_build_tcp(frame, &fl, NULL, 0, 0), &r);
        assert_int_equal(r.retval, XDP_TX);
        be = lbt_backend_of(r.out);
        lbt_counters(g_front, before);
        lbt_run(g_prog, frame, lbt_build_tcp(frame, &fl, &o, 0x10, 16), &r);
        lbt_counters(g_front, after);
        assert_int_equal(r.retval, XDP_TX);
        assert_int_equal(lbt_backend_of(r.out), be);
        assert_int_equal(after[LB_CNT_TCP_CT_HIT] - before[LB_CNT_TCP_CT_HIT], 1);
        assert_int_equal(after[LB_CNT_IP_OPTIONS] - before[LB_CNT_IP_OPTIONS], 1);
    }
}

/* Keyless requests go to some backend's core port; every core index stays in range. */
static void test_udp_keyless_ports(void **state)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    const char *req = "*1\r\n$4\r\nPING\r\n";
    uint8_t p[64];
    int seen[N_BACKEND] = { 0 };

    (void)state;
    lbt_frame(p, 1, 0, 1, 0);
    memcpy(p + LB_FRAME_HDR_LEN, req, strlen(req));
    for (uint16_t sport = 1024; sport < 1024 + 400; sport++) {
        struct lbt_flow fl = flow(sport, UDP_PORT);
        uint32_t len = lbt_build_udp(frame, &fl, NULL, p, LB_FRAME_HDR_LEN + strlen(req), 1);
        int be, port;

        lbt_run(g_prog, frame, len, &r);
        assert_int_equal(r.retval, XDP_TX);
        be = lbt_backend_of(r.out);
        assert_true(be >= 0 && be < N_BACKEND);
        port = r.out[LBT_ETH_LEN + LBT_IP_LEN + 2] << 8 | r.out[LBT_ETH_LEN + LBT_IP_LEN + 3];
        assert_true(port >= be_base[be] && port < be_base[be] + be_cores[be]);
        assert_true(lbt_udp_csum_ok(r.out, r.len));
        seen[be]++;
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
}

/* No VIP: everything passes. No backends: VIP traffic is dropped and counted. */
static void test_unconfigured(void **state)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    uint64_t c[LB_CNT__COUNT];
    struct in_addr vip = { ip4(VIP) };
    struct front *f = front_open(NULL);
    struct lbt_flow fl = flow(40000, TCP_PORT);
    int prog;

    (void)state;
    assert_non_null(f);
    prog = front_prog_fd(f);
    lbt_run(prog, frame, lbt_build_tcp(frame, &fl, NULL, 0, 0), &r);
    assert_int_equal(r.retval, XDP_PASS);
    assert_int_equal(front_set_service(f, vip, TCP_PORT, UDP_PORT), 0);
    lbt_run(prog, frame, lbt_build_tcp(frame, &fl, NULL, 0, 0), &r);
    assert_int_equal(r.retval, XDP_DROP);
    assert_int_equal(front_publish(f), 0); /* empty tables published */
    lbt_run(prog, frame, fx_ping(frame), &r);
    assert_int_equal(r.retval, XDP_DROP);
    lbt_run(prog, frame, fx_key_max(frame), &r);
    assert_int_equal(r.retval, XDP_DROP);
    lbt_counters(f, c);
    assert_int_equal(c[LB_CNT_PASS_NOT_VIP], 1);
    assert_int_equal(c[LB_CNT_DROP_NO_BACKEND], 3);
    front_destroy(&f);
    assert_null(f);
}

/* A backend behind another interface is reached with XDP_REDIRECT through the devmap. */
static void test_redirect(void **state)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    uint64_t c[LB_CNT__COUNT];
    struct in_addr vip = { ip4(VIP) };
    struct front *f = front_open(NULL);
    struct lbt_flow fl = flow(40000, TCP_PORT);

    (void)state;
    assert_non_null(f);
    assert_int_equal(front_set_service(f, vip, TCP_PORT, UDP_PORT), 0);
    add_backend(f, 0, 1 /* lo */);
    lbt_run(front_prog_fd(f), frame, lbt_build_tcp(frame, &fl, NULL, 0, 0), &r);
    assert_int_equal(r.retval, XDP_REDIRECT);
    assert_int_equal(lbt_backend_of(r.out), 0);
    lbt_counters(f, c);
    assert_int_equal(c[LB_CNT_VERDICT_REDIRECT], 1);
    front_destroy(&f);
}

/* Draining a backend moves its slots (default split) to the others. */
static void test_drain_moves_slots(void **state)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    struct in_addr vip = { ip4(VIP) }, b1;
    struct front *f = front_open(NULL);
    const char *argv[2] = { "GET", "key:2" }; /* slot 10850: second half, backend 1 */
    size_t lens[2] = { 3, 5 };
    struct lbt_flow fl = flow(40000, UDP_PORT);
    uint8_t p[128];
    uint32_t len;

    (void)state;
    assert_non_null(f);
    assert_int_equal(lbt_crc16_ref((const uint8_t *)"key:2", 5) & 16383u, 10850);
    assert_int_equal(front_set_service(f, vip, TCP_PORT, UDP_PORT), 0);
    add_backend(f, 0, 0);
    add_backend(f, 1, 0);
    len = lbt_build_udp(frame, &fl, NULL, p, lbt_request(p, 1, 2, argv, lens), 1);
    lbt_run(front_prog_fd(f), frame, len, &r);
    assert_int_equal(lbt_backend_of(r.out), 1);
    inet_pton(AF_INET, "10.1.0.2", &b1);
    assert_int_equal(front_backend_drain(f, b1), 0);
    lbt_run(front_prog_fd(f), frame, len, &r);
    assert_int_equal(r.retval, XDP_TX);
    assert_int_equal(lbt_backend_of(r.out), 0);
    front_destroy(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),           cmocka_unit_test(test_udp_keyed),
        cmocka_unit_test(test_udp_checksum_sweep), cmocka_unit_test(test_udp_auth_prefix),
        cmocka_unit_test(test_ip_options),         cmocka_unit_test(test_udp_keyless_ports),
        cmocka_unit_test(test_unconfigured),       cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_drain_moves_slots),
    };

    if (geteuid() != 0) {
        fprintf(stderr, "test_lb_fixtures: needs root for BPF_PROG_TEST_RUN; skipped\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
