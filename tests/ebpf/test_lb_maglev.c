/*
 * test_lb_maglev.c - TCP balancing of the XDP front through BPF_PROG_TEST_RUN: weighted Maglev
 * balance (published table and 1 M program runs), minimal disruption when a backend leaves or
 * joins, established flows pinned by the connection table, drain, and stale entries after an
 * index is reused. Backends are told apart by the destination MAC the program writes.
 * Needs root (CAP_BPF, CAP_NET_ADMIN); exits 77 (skip) otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_test_util.h"

#define VIP         "10.0.0.100"
#define TCP_PORT    6379
#define MAX_BE      8
#define BALANCE_N   1000000u /* flows for the balance test */
#define CHURN_N     200000u  /* flows for the disruption tests (< LB_CT_MAX_ENTRIES) */
#define BALANCE_TOL 0.05     /* each backend within +-5 % of its weighted share */

struct flows {
    uint32_t n;
    struct lbt_flow *fl;
    uint8_t *be; /* backend number per flow from the last run */
};

static uint32_t ip4(const char *s)
{
    struct in_addr a;

    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static struct in_addr be_addr(unsigned int i)
{
    struct in_addr a;
    char s[32];

    snprintf(s, sizeof(s), "10.2.0.%u", i + 1);
    inet_pton(AF_INET, s, &a);
    return a;
}

/* A front with backends 0..n-1 of the given weights (MAC from lbt_mac_backend(i)). */
static struct front *front_with(unsigned int n, const uint16_t *weights)
{
    struct in_addr vip = { ip4(VIP) };
    struct front *f = front_open(NULL);

    assert_non_null(f);
    assert_int_equal(front_set_service(f, vip, TCP_PORT, 0), 0);
    for (unsigned int i = 0; i < n; i++) {
        struct front_backend_spec s;

        memset(&s, 0, sizeof(s));
        s.addr = be_addr(i);
        lbt_mac_backend(s.mac, i);
        memcpy(s.src_mac, lbt_mac_front, 6);
        s.weight = weights[i];
        s.base_port = TCP_PORT;
        s.ncores = 1;
        assert_int_equal(front_backend_add(f, &s), (int)i);
    }
    return f;
}

static void flows_make(struct flows *fs, uint32_t n, uint64_t seed)
{
    fs->n = n;
    fs->fl = calloc(n, sizeof(*fs->fl));
    fs->be = calloc(n, 1);
    assert_non_null(fs->fl);
    assert_non_null(fs->be);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = lbt_rand(&seed);

        fs->fl[i].saddr_be = htonl(0x0a000000u | (uint32_t)(r & 0x00ffffffu)); /* 10/8 */
        fs->fl[i].daddr_be = ip4(VIP);
        fs->fl[i].sport = (uint16_t)(1024 + (r >> 32) % 64512);
        fs->fl[i].dport = TCP_PORT;
    }
}

static void flows_free(struct flows *fs)
{
    free(fs->fl);
    free(fs->be);
}

/* Runs every flow once (a SYN); records each flow's backend; all must be XDP_TX. */
static void flows_run(struct front *f, struct flows *fs)
{
    static uint8_t frame[LBT_PKT_MAX];
    static struct lbt_run r;
    int prog = front_prog_fd(f);

    for (uint32_t i = 0; i < fs->n; i++) {
        int be;

        lbt_run(prog, frame, lbt_build_tcp(frame, &fs->fl[i], NULL, 0, 0), &r);
        assert_int_equal(r.retval, XDP_TX);
        be = lbt_backend_of(r.out);
        assert_true(be >= 0 && be < MAX_BE);
        fs->be[i] = (uint8_t)be;
    }
}

static void check_shares(const char *what, const uint64_t *count, uint64_t total, const uint16_t *w,
                         unsigned int n)
{
    uint32_t wsum = 0;

    for (unsigned int i = 0; i < n; i++)
        wsum += w[i];
    for (unsigned int i = 0; i < n; i++) {
        double want = (double)w[i] / wsum, got = (double)count[i] / (double)total;
        double dev = got / want - 1.0;

        printf("# %s: backend %u weight %u: %.4f of %llu (want %.4f, %+.2f %%)\n", what, i, w[i],
               got, (unsigned long long)total, want, dev * 100.0);
        assert_true(fabs(dev) <= BALANCE_TOL);
    }
}

static const uint16_t w5[5] = { 1, 2, 3, 1, 1 };

/* The published table gives each backend its weighted share of positions. */
static void test_balance_table(void **state)
{
    struct front *f = front_with(5, w5);
    uint32_t *t = malloc(LB_MAGLEV_SIZE * sizeof(*t));
    uint64_t count[MAX_BE] = { 0 };

    (void)state;
    assert_non_null(t);
    assert_int_equal(front_maglev_read(f, t), 0);
    for (uint32_t p = 0; p < LB_MAGLEV_SIZE; p++) {
        assert_true(t[p] < 5);
        count[t[p]]++;
    }
    check_shares("maglev table", count, LB_MAGLEV_SIZE, w5, 5);
    free(t);
    front_destroy(&f);
}

/* 1 M random flows through the program land on backends in proportion to weight. */
static void test_balance_flows(void **state)
{
    struct front *f = front_with(5, w5);
    uint64_t count[MAX_BE] = { 0 }, c[LB_CNT__COUNT];
    struct flows fs;
    struct timespec t0, t1;

    (void)state;
    flows_make(&fs, BALANCE_N, 0x1234567u);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    flows_run(f, &fs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (uint32_t i = 0; i < fs.n; i++)
        count[fs.be[i]]++;
    printf("# %u program runs in %.2f s\n", fs.n,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    check_shares("program runs", count, fs.n, w5, 5);
    lbt_counters(f, c);
    assert_int_equal(c[LB_CNT_VERDICT_TX], BALANCE_N);
    flows_free(&fs);
    front_destroy(&f);
}

/* Removing one backend: with the connection table every flow of the others stays put and the
 * removed backend's flows move (counted stale); placed afresh, about its share moves. */
static void test_remove_disruption(void **state)
{
    struct front *f = front_with(5, w5);
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    uint32_t on_gone = 0, kept = 0, moved_fresh = 0, moved_other = 0;
    const unsigned int gone = 3; /* weight 1 of 8 */
    struct flows fs;
    uint8_t *first;

    (void)state;
    flows_make(&fs, CHURN_N, 0xfeedu);
    flows_run(f, &fs);
    first = malloc(fs.n);
    assert_non_null(first);
    memcpy(first, fs.be, fs.n);

    assert_int_equal(front_backend_remove(f, be_addr(gone)), 0);
    lbt_counters(f, before);
    flows_run(f, &fs); /* established: connection table in place */
    lbt_counters(f, after);
    for (uint32_t i = 0; i < fs.n; i++) {
        assert_true(fs.be[i] != gone);
        if (first[i] == gone)
            on_gone++;
        else if (fs.be[i] == first[i])
            kept++;
    }
    assert_int_equal(kept + on_gone, fs.n); /* every surviving flow stayed */
    assert_int_equal(after[LB_CNT_TCP_CT_STALE] - before[LB_CNT_TCP_CT_STALE], on_gone);
    assert_int_equal(after[LB_CNT_TCP_CT_HIT] - before[LB_CNT_TCP_CT_HIT], fs.n - on_gone);

    assert_true(front_conntrack_flush(f) > 0);
    flows_run(f, &fs); /* new connections: pure Maglev */
    for (uint32_t i = 0; i < fs.n; i++) {
        if (fs.be[i] != first[i])
            moved_fresh++;
        if (first[i] != gone && fs.be[i] != first[i])
            moved_other++;
    }
    printf("# remove 1 of 5 (weight 1/8 = 12.50 %%): on it %.2f %%, moved afresh %.2f %%, "
           "of which from surviving backends %.2f %%\n",
           100.0 * on_gone / fs.n, 100.0 * moved_fresh / fs.n, 100.0 * moved_other / fs.n);
    assert_true(fabs((double)on_gone / fs.n - 1.0 / 8) <= 0.01);
    assert_true((double)moved_other / fs.n <= 0.02);
    free(first);
    flows_free(&fs);
    front_destroy(&f);
}

/* Adding a backend: established flows all stay (table hits); afresh, ~1/N moves, to it. */
static void test_add_disruption(void **state)
{
    static const uint16_t w4[5] = { 1, 1, 1, 1, 1 };
    struct front *f = front_with(4, w4);
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    uint32_t moved = 0, to_new = 0;
    struct front_backend_spec s;
    struct flows fs;
    uint8_t *first;

    (void)state;
    flows_make(&fs, CHURN_N, 0xbeefu);
    flows_run(f, &fs);
    first = malloc(fs.n);
    assert_non_null(first);
    memcpy(first, fs.be, fs.n);

    memset(&s, 0, sizeof(s));
    s.addr = be_addr(4);
    lbt_mac_backend(s.mac, 4);
    s.weight = 1;
    s.base_port = TCP_PORT;
    s.ncores = 1;
    assert_int_equal(front_backend_add(f, &s), 4);

    lbt_counters(f, before);
    flows_run(f, &fs);
    lbt_counters(f, after);
    assert_memory_equal(fs.be, first, fs.n);
    assert_int_equal(after[LB_CNT_TCP_CT_HIT] - before[LB_CNT_TCP_CT_HIT], fs.n);

    assert_true(front_conntrack_flush(f) > 0);
    flows_run(f, &fs);
    for (uint32_t i = 0; i < fs.n; i++) {
        moved += fs.be[i] != first[i];
        to_new += fs.be[i] == 4;
    }
    printf("# add 5th backend (1/5 = 20.00 %%): moved afresh %.2f %%, to the new one %.2f %%\n",
           100.0 * moved / fs.n, 100.0 * to_new / fs.n);
    assert_true(fabs((double)to_new / fs.n - 0.2) <= 0.01);
    assert_true((double)(moved - to_new) / fs.n <= 0.02);
    free(first);
    flows_free(&fs);
    front_destroy(&f);
}

/* Draining: established flows of the drained backend keep reaching it, new flows never do. */
static void test_drain(void **state)
{
    static const uint16_t w3[3] = { 1, 1, 1 };
    struct front *f = front_with(3, w3);
    struct flows fs, fresh;
    uint32_t on_drained = 0;
    uint8_t *first;

    (void)state;
    flows_make(&fs, 30000, 0xd1u);
    flows_run(f, &fs);
    first = malloc(fs.n);
    assert_non_null(first);
    memcpy(first, fs.be, fs.n);
    assert_int_equal(front_backend_drain(f, be_addr(1)), 0);
    assert_int_equal(front_backend_drain(f, be_addr(1)), 0); /* idempotent */

    flows_run(f, &fs);
    assert_memory_equal(fs.be, first, fs.n);
    for (uint32_t i = 0; i < fs.n; i++)
        on_drained += first[i] == 1;
    assert_true(on_drained > fs.n / 4);

    flows_make(&fresh, 30000, 0xd2u);
    flows_run(f, &fresh);
    for (uint32_t i = 0; i < fresh.n; i++)
        assert_true(fresh.be[i] != 1);
    free(first);
    flows_free(&fs);
    flows_free(&fresh);
    front_destroy(&f);
}

/* A removed backend's index reused by a new backend: the old flows' entries are stale (other
 * generation) and are re-placed, not blindly sent to the newcomer. */
static void test_index_reuse(void **state)
{
    static const uint16_t w3[3] = { 1, 1, 1 };
    struct front *f = front_with(3, w3);
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    struct front_backend_spec s;
    struct flows fs;
    uint32_t on_one = 0;

    (void)state;
    flows_make(&fs, 20000, 0xe1u);
    flows_run(f, &fs);
    for (uint32_t i = 0; i < fs.n; i++)
        on_one += fs.be[i] == 1;
    assert_int_equal(front_backend_remove(f, be_addr(1)), 0);
    assert_int_equal(front_backend_remove(f, be_addr(1)), -ENOENT);
    memset(&s, 0, sizeof(s));
    s.addr = be_addr(7);
    lbt_mac_backend(s.mac, 7);
    s.weight = 1;
    s.base_port = TCP_PORT;
    s.ncores = 1;
    assert_int_equal(front_backend_add(f, &s), 1); /* lowest free index */
    assert_int_equal(front_backend_add(f, &s), -EEXIST);

    lbt_counters(f, before);
    flows_run(f, &fs);
    lbt_counters(f, after);
    assert_int_equal(after[LB_CNT_TCP_CT_STALE] - before[LB_CNT_TCP_CT_STALE], on_one);
    flows_free(&fs);
    front_destroy(&f);
}

/* A flow placed on CPU 0 that shows up on CPU 1 keeps its backend through the connection table
 * (the other CPU's value is adopted), even when Maglev would now pick another: here its backend
 * is draining, so without the table every flow on it would move. */
static void test_ct_cross_cpu(void **state)
{
    static const uint16_t w3[3] = { 1, 1, 1 };
    struct front *f;
    uint64_t before[LB_CNT__COUNT], after[LB_CNT__COUNT];
    struct flows fs;
    uint32_t on_drained = 0;
    uint8_t *first;

    (void)state;
    if (lbt_pin_cpu(1)) {
        lbt_pin_cpu0();
        skip(); /* single-CPU machine */
    }
    lbt_pin_cpu0();
    f = front_with(3, w3);
    flows_make(&fs, 20000, 0xc1u);
    flows_run(f, &fs);
    first = malloc(fs.n);
    assert_non_null(first);
    memcpy(first, fs.be, fs.n);
    for (uint32_t i = 0; i < fs.n; i++)
        on_drained += first[i] == 2;
    assert_int_equal(front_backend_drain(f, be_addr(2)), 0);

    assert_int_equal(lbt_pin_cpu(1), 0);
    lbt_counters(f, before);
    flows_run(f, &fs);
    lbt_counters(f, after);
    lbt_pin_cpu0();
    assert_memory_equal(fs.be, first, fs.n);
    assert_true(on_drained > fs.n / 4);
    assert_int_equal(after[LB_CNT_TCP_CT_ADOPTED] - before[LB_CNT_TCP_CT_ADOPTED], fs.n);
    assert_int_equal(after[LB_CNT_TCP_CT_HIT] - before[LB_CNT_TCP_CT_HIT], fs.n);
    printf("# %u flows moved from CPU 0 to CPU 1 kept their backend (%u on a draining one)\n", fs.n,
           on_drained);
    free(first);
    flows_free(&fs);
    front_destroy(&f);
}

/* Bad specs are refused before anything changes. */
static void test_bad_specs(void **state)
{
    static const uint16_t w1[1] = { 1 };
    struct front *f = front_with(1, w1);
    struct front_backend_spec s;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.addr = be_addr(5);
    s.weight = 1;
    s.ncores = 1;
    s.base_port = 0;
    assert_int_equal(front_backend_add(f, &s), -EINVAL);
    s.base_port = 65535;
    s.ncores = 2; /* port 65536 */
    assert_int_equal(front_backend_add(f, &s), -EINVAL);
    s.ncores = 1;
    s.weight = 0;
    assert_int_equal(front_backend_add(f, &s), -EINVAL);
    s.weight = LB_WEIGHT_MAX + 1;
    assert_int_equal(front_backend_add(f, &s), -EINVAL);
    assert_int_equal(front_backend_drain(f, be_addr(5)), -ENOENT);
    front_destroy(&f);
}

/* The text forms shared by dpcache-front and dpcache-control (front_parse.c): every field,
 * free order, '_' for '-', defaults, and each refusal with a message naming the field or limit. */
static void test_spec_text(void **state)
{
#define GOOD "10.2.0.9,mac=02:00:00:00:00:09,base-port=7100"
    static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
    static const struct {
        const char *text;
        int rc;
        const char *word; /* in the message */
    } bad[] = {
        { "10.2.0.9,base-port=7100", -EINVAL, "mac" },
        { "10.2.0.9,mac=02:00:00:00:00:09", -EINVAL, "base-port" },
        { "mac=02:00:00:00:00:09,base-port=7100", -EINVAL, "addr" },
        { "10.2.0.300,mac=02:00:00:00:00:09,base-port=7100", -EINVAL, "addr" },
        { "0.0.0.0,mac=02:00:00:00:00:09,base-port=7100", -EINVAL, "addr" },
        { GOOD ",weight=10001", -EINVAL, "LB_WEIGHT_MAX" },
        { GOOD ",weight=0", -EINVAL, "weight" },
        { GOOD ",weight=-1", -EINVAL, "weight" },
        { GOOD ",weight=1x", -EINVAL, "weight" },
        { GOOD ",cores=16385", -EINVAL, "LB_CORES_MAX" },
        { "10.2.0.9,mac=02:00:00:00:00:09,base-port=65535,cores=2", -EINVAL, "65535" },
        { "10.2.0.9,mac=02:00:00:00:00:09,base-port=65536", -EINVAL, "base-port" },
        { GOOD ",egress=nosuchif0", -ENODEV, "egress" },
        { GOOD ",colour=red", -ENOENT, "unknown backend field" },
        { "10.2.0.9,mac=02:00:00:00:00,base-port=7100", -EINVAL, "mac" },
        { "10.2.0.9,7100", -EINVAL, "name=value" },
    };
    struct front_backend_spec s;
    enum front_xdp_mode m;
    char err[256], big[FRONT_SPEC_TEXT_MAX + 16];

    (void)state;
    assert_int_equal(front_backend_spec_parse(GOOD ",cores=3,weight=5", &s, err, sizeof(err)), 0);
    assert_int_equal(s.addr.s_addr, be_addr(8).s_addr);
    assert_memory_equal(s.mac, mac, 6);
    assert_int_equal(s.base_port, 7100);
    assert_int_equal(s.ncores, 3);
    assert_int_equal(s.weight, 5);
    assert_int_equal(s.egress_ifindex, 0);
    assert_int_equal(front_backend_spec_parse("weight=2,base_port=1,addr=10.2.0.9,egress=lo,"
                                              "mac=02:00:00:00:00:09",
                                              &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.weight, 2);
    assert_int_equal(s.ncores, 1);
    assert_int_equal(s.base_port, 1);
    assert_int_equal(s.egress_ifindex, (int)if_nametoindex("lo"));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (front_backend_spec_parse(bad[i].text, &s, err, sizeof(err)) != bad[i].rc ||
            !strstr(err, bad[i].word))
            fail_msg("'%s': want %d with '%s', got '%s'", bad[i].text, bad[i].rc, bad[i].word, err);
    }
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(front_backend_spec_parse(big, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "FRONT_SPEC_TEXT_MAX"));

    assert_int_equal(front_parse_mode("skb", &m), 0);
    assert_int_equal(m, FRONT_XDP_GENERIC);
    assert_string_equal(front_mode_name(m), "generic");
    assert_int_equal(front_parse_mode("native", &m), 0);
    assert_string_equal(front_mode_name(m), "native");
    assert_int_equal(front_parse_mode("auto", &m), 0);
    assert_string_equal(front_mode_name(m), "auto");
    assert_int_equal(front_parse_mode("xdp", &m), -EINVAL);
#undef GOOD
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_table),
        cmocka_unit_test(test_balance_flows),
        cmocka_unit_test(test_remove_disruption),
        cmocka_unit_test(test_add_disruption),
        cmocka_unit_test(test_drain),
        cmocka_unit_test(test_index_reuse),
        cmocka_unit_test(test_ct_cross_cpu),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_spec_text),
    };

    if (geteuid() != 0) {
        fprintf(stderr, "test_lb_maglev: needs root for BPF_PROG_TEST_RUN; skipped\n");
        return 77;
    }
    lbt_pin_cpu0();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
