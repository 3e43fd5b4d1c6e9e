/*
 * lb_test_util.h - helpers for the XDP front tests: packet builders (Ethernet/IPv4/TCP/UDP and
 * the dpcache UDP frame + RESP command), a BPF_PROG_TEST_RUN wrapper, an independent reference
 * CRC16 and checksum verification. Builders never fail: buffers are LBT_PKT_MAX bytes and
 * payloads are capped by the caller.
 */
#ifndef DPCACHE_TESTS_LB_TEST_UTIL_H
#define DPCACHE_TESTS_LB_TEST_UTIL_H

#include <linux/bpf.h> /* XDP_* verdicts */
#include <stddef.h>
#include <stdint.h>

#include "front.h"

/* Largest frame the tests build or read back. */
#define LBT_PKT_MAX 2048u

/* Offsets in the frames the builders produce (no IP options unless asked). */
#define LBT_ETH_LEN 14u
#define LBT_IP_LEN  20u

/* A 4-tuple: addresses in network order, ports in host order. */
struct lbt_flow {
    uint32_t saddr_be;
    uint32_t daddr_be;
    uint16_t sport;
    uint16_t dport;
};

/* Options for the IPv4 header the builders write. */
struct lbt_ip_opts {
    uint8_t ihl;       /* 0: 5 (no options); 6..15 adds NOP options */
    uint16_t frag_off; /* host order, flags + offset */
    int tot_len_delta; /* added to the correct tot_len */
    uint8_t version;   /* 0: 4 */
};

/* MACs the tests use: the client's router (source of every frame) and the front itself. */
extern const uint8_t lbt_mac_client[6];
extern const uint8_t lbt_mac_front[6];

/* lbt_build_tcp: Ethernet + IPv4 (+options) + 20-byte TCP (SYN unless flags given) + payload
 * bytes of 'x'. @ip may be NULL. Returns the frame length. */
uint32_t lbt_build_tcp(uint8_t *buf, const struct lbt_flow *fl, const struct lbt_ip_opts *ip,
                       uint8_t tcp_flags, uint32_t payload_len);

/* lbt_build_udp: Ethernet + IPv4 (+options) + UDP + payload; the UDP checksum is computed
 * when @with_csum, else 0. Returns the frame length. */
uint32_t lbt_build_udp(uint8_t *buf, const struct lbt_flow *fl, const struct lbt_ip_opts *ip,
                       const void *payload, uint32_t plen, int with_csum);

/* lbt_frame: writes the 8-byte dpcache frame header (request_id, seq, total, reserved). */
void lbt_frame(uint8_t *out, uint16_t request_id, uint16_t seq, uint16_t total, uint16_t reserved);

/* lbt_request: frame header (id, 0, 1, 0) + RESP2 multibulk of argc arguments with the given
 * lengths into out (LBT_PKT_MAX bytes). Returns the payload length. */
uint32_t lbt_request(uint8_t *out, uint16_t request_id, int argc, const char *const *argv,
                     const size_t *lens);

/* Result of one program run. */
struct lbt_run {
    uint32_t retval;
    uint32_t len;
    uint8_t out[LBT_PKT_MAX];
};

/* lbt_run: runs the program once on the frame (BPF_PROG_TEST_RUN); fails the test on a
 * syscall error. */
void lbt_run(int prog_fd, const void *frame, uint32_t len, struct lbt_run *r);

/* lbt_pin_cpu: pins the calling thread to `cpu`; BPF_PROG_TEST_RUN runs the program there, so
 * per-CPU maps (conntrack) see that CPU. Returns 0, or -1 if the CPU is not available. */
int lbt_pin_cpu(int cpu);

/* lbt_pin_cpu0: lbt_pin_cpu(0), failing the test if that is impossible. */
void lbt_pin_cpu0(void);

/* lbt_crc16_ref: bit-by-bit CRC16/XMODEM (independent of the program's table). */
uint16_t lbt_crc16_ref(const uint8_t *p, size_t n);

/* lbt_key_slot_ref: Redis Cluster slot of a key with the {hash tag} rule, on lbt_crc16_ref. */
unsigned int lbt_key_slot_ref(const uint8_t *key, size_t n);

/* lbt_udp_csum_ok: 1 when the UDP checksum of the frame verifies (or is 0 = absent). */
int lbt_udp_csum_ok(const uint8_t *frame, uint32_t len);

/* lbt_mac_backend: deterministic MAC of test backend number i (02:00:00:00:<i>:01). */
void lbt_mac_backend(uint8_t mac[6], unsigned int i);

/* lbt_backend_of: the backend number whose MAC is the frame's destination, or -1. */
int lbt_backend_of(const uint8_t *frame);

/* lbt_counters: counter snapshot (sums over CPUs); fails the test on error. */
void lbt_counters(struct front *f, uint64_t out[LB_CNT__COUNT]);

/* lbt_rand: xorshift64* PRNG over *state (never 0). */
uint64_t lbt_rand(uint64_t *state);

#endif /* DPCACHE_TESTS_LB_TEST_UTIL_H */
