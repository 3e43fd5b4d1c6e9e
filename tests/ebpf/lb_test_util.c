/*
 * lb_test_util.c - packet builders, BPF_PROG_TEST_RUN wrapper and reference checks shared by
 * the XDP front tests (lb_test_util.h).
 */
#include "lb_test_util.h"

#include <arpa/inet.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>

const uint8_t lbt_mac_client[6] = { 0x02, 0xc1, 0x00, 0x00, 0x00, 0x01 };
const uint8_t lbt_mac_front[6] = { 0x02, 0xf0, 0x00, 0x00, 0x00, 0x01 };

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Ethernet + IPv4 header for an L4 payload of l4_len bytes; returns the L4 offset. */
static uint32_t build_l3(uint8_t *buf, const struct lbt_flow *fl, const struct lbt_ip_opts *o,
                         uint8_t proto, uint32_t l4_len)
{
    uint8_t ihl = o && o->ihl ? o->ihl : 5;
    uint32_t hlen = ihl * 4u, tot = hlen + l4_len;
    uint8_t *ip = buf + LBT_ETH_LEN;

    memcpy(buf, lbt_mac_front, 6);
    memcpy(buf + 6, lbt_mac_client, 6);
    put16(buf + 12, 0x0800);
    memset(ip, 0, hlen);
    ip[0] = (uint8_t)(((o && o->version ? o->version : 4) << 4) | (ihl & 0xf));
    put16(ip + 2, (uint16_t)(tot + (o ? o->tot_len_delta : 0)));
    put16(ip + 4, 0x1234);
    put16(ip + 6, o ? o->frag_off : 0);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, &fl->saddr_be, 4);
    memcpy(ip + 16, &fl->daddr_be, 4);
    for (uint32_t i = LBT_IP_LEN; i < hlen; i++)
        ip[i] = 1; /* NOP options */
    put16(ip + 10, (uint16_t)~fold(sum16(ip, hlen, 0)));
    return LBT_ETH_LEN + hlen;
}

uint32_t lbt_build_tcp(uint8_t *buf, const struct lbt_flow *fl, const struct lbt_ip_opts *ip,
                       uint8_t tcp_flags, uint32_t payload_len)
{
    uint32_t off = build_l3(buf, fl, ip, 6, 20 + payload_len);
    uint8_t *tcp = buf + off;

    memset(tcp, 0, 20);
    put16(tcp, fl->sport);
    put16(tcp + 2, fl->dport);
    tcp[12] = 5 << 4;
    tcp[13] = tcp_flags ? tcp_flags : 0x02;
    put16(tcp + 14, 65535);
    memset(tcp + 20, 'x', payload_len);
    return off + 20 + payload_len;
}

uint32_t lbt_build_udp(uint8_t *buf, const struct lbt_flow *fl, const struct lbt_ip_opts *ip,
                       const void *payload, uint32_t plen, int with_csum)
{
    uint32_t off = build_l3(buf, fl, ip, 17, 8 + plen);
    uint8_t *udp = buf + off;

    put16(udp, fl->sport);
    put16(udp + 2, fl->dport);
    put16(udp + 4, (uint16_t)(8 + plen));
    put16(udp + 6, 0);
    memcpy(udp + 8, payload, plen);
    if (with_csum) {
        uint8_t pseudo[12];
        uint16_t c;

        memcpy(pseudo, &fl->saddr_be, 4);
        memcpy(pseudo + 4, &fl->daddr_be, 4);
        pseudo[8] = 0;
        pseudo[9] = 17;
        put16(pseudo + 10, (uint16_t)(8 + plen));
        c = (uint16_t)~fold(sum16(udp, 8 + plen, sum16(pseudo, 12, 0)));
        put16(udp + 6, c ? c : 0xffff);
    }
    return off + 8 + plen;
}

int lbt_udp_csum_ok(const uint8_t *frame, uint32_t len)
{
    const uint8_t *ip = frame + LBT_ETH_LEN;
    uint32_t hlen = (ip[0] & 0xfu) * 4u;
    const uint8_t *udp = ip + hlen;
    uint16_t ulen = (uint16_t)(udp[4] << 8 | udp[5]);
    uint8_t pseudo[12];

    if (LBT_ETH_LEN + hlen + ulen > len)
        return 0;
    if (udp[6] == 0 && udp[7] == 0)
        return 1;
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 17;
    put16(pseudo + 10, ulen);
    return fold(sum16(udp, ulen, sum16(pseudo, 12, 0))) == 0xffff;
}

void lbt_frame(uint8_t *out, uint16_t request_id, uint16_t seq, uint16_t total, uint16_t reserved)
{
    put16(out, request_id);
    put16(out + 2, seq);
    put16(out + 4, total);
    put16(out + 6, reserved);
}

uint32_t lbt_request(uint8_t *out, uint16_t request_id, int argc, const char *const *argv,
                     const size_t *lens)
{
    uint32_t n = LB_FRAME_HDR_LEN;

    lbt_frame(out, request_id, 0, 1, 0);
    n += (uint32_t)snprintf((char *)out + n, LBT_PKT_MAX - n, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        assert_true(n + lens[i] + 32 < LBT_PKT_MAX);
        n += (uint32_t)snprintf((char *)out + n, LBT_PKT_MAX - n, "$%zu\r\n", lens[i]);
        memcpy(out + n, argv[i], lens[i]);
        n += (uint32_t)lens[i];
        out[n++] = '\r';
        out[n++] = '\n';
    }
    return n;
}

void lbt_run(int prog_fd, const void *frame, uint32_t len, struct lbt_run *r)
{
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .data_out = r->out,
                .data_size_out = sizeof(r->out), .repeat = 1);
    int err = bpf_prog_test_run_opts(prog_fd, &opts);

    assert_int_equal(err, 0);
    r->retval = opts.retval;
    r->len = opts.data_size_out;
}

int lbt_pin_cpu(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) ? -1 : 0;
}

void lbt_pin_cpu0(void)
{
    assert_int_equal(lbt_pin_cpu(0), 0);
}

uint16_t lbt_crc16_ref(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;

    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

unsigned int lbt_key_slot_ref(const uint8_t *key, size_t n)
{
    const uint8_t *open = memchr(key, '{', n), *close;

    if (open) {
        close = memchr(open + 1, '}', n - (size_t)(open + 1 - key));
        if (close && close > open + 1)
            return lbt_crc16_ref(open + 1, (size_t)(close - open - 1)) & 16383u;
    }
    return lbt_crc16_ref(key, n) & 16383u;
}

void lbt_mac_backend(uint8_t mac[6], unsigned int i)
{
    const uint8_t m[6] = { 0x02, 0x00, 0x00, 0x00, (uint8_t)i, 0x01 };

    memcpy(mac, m, 6);
}

int lbt_backend_of(const uint8_t *frame)
{
    if (frame[0] != 0x02 || frame[1] || frame[2] || frame[3] || frame[5] != 0x01)
        return -1;
    return frame[4];
}

void lbt_counters(struct front *f, uint64_t out[LB_CNT__COUNT])
{
    assert_int_equal(front_counters_read(f, out), 0);
}

uint64_t lbt_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}
