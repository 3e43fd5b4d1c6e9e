/*
 * test_fault.c - the native stack's fault injector (net_tx.c fault_apply) on bursts of real
 * mbufs: every packet it returns appears once, is either one it was given or a fresh
 * duplicate, nothing is lost (returned + held + dropped = given), the rates are about right,
 * and a seed makes the decisions repeat.
 *
 * Regression: fault_apply used to build its output in the input array, so a duplicate or the
 * held packet written at pkts[out] with out > i overwrote a packet not yet looked at; the next
 * step then emitted the same mbuf twice (freed twice: other packets' bytes showed up in
 * replies) and lost the overwritten one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "engine/server.h"
#include "native/net.h"
#include "native/net_tx.h"

#define POOL_MBUFS 8192

static char prefix[32]; /* EAL file prefix, unique to this process */
static struct rte_mempool *pool;
static struct net_core nc;

static int setup(void **state)
{
    char *argv[] = { "faulttest", "-l", "0", "--no-huge", "-m", "128", "--no-pci",
                     "--no-telemetry", "--file-prefix", prefix, "--log-level", "*:error", NULL };

    (void)state;
    snprintf(prefix, sizeof(prefix), "ntfault%d", (int)getpid());
    if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
        fprintf(stderr, "cannot start the EAL: %s\n", rte_strerror(rte_errno));
        return -1;
    }
    pool = rte_pktmbuf_pool_create("faulttest", POOL_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
    return pool ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char dir[96];
    DIR *d;
    struct dirent *e;

    rte_mempool_free(pool);
    rte_eal_cleanup();
    /* the EAL leaves its runtime directory (flat: config, fbarray_*, mp_socket) */
    snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
    if ((d = opendir(dir))) {
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
        rmdir(dir);
    }
    return 0;
}

static void rates(long long drop, long long dup, long long reorder, long long seed)
{
    srv.cfg.native_fault_rx_drop = drop;
    srv.cfg.native_fault_rx_dup = dup;
    srv.cfg.native_fault_rx_reorder = reorder;
    srv.cfg.native_fault_seed = seed;
}

static void reset_core(void)
{
    memset(&nc, 0, sizeof(nc));
    nc.pool = pool;
    nc.rng = 0x1234567;
}

/* One burst of @n fresh packets, each holding its serial number; checks the invariants and
 * frees what came out. Returns the number of packets returned. */
static unsigned burst(unsigned n, unsigned cap, uint32_t *serial, unsigned *given,
                      unsigned *returned)
{
    struct rte_mbuf *pkts[NET_TX_BUF];
    unsigned out;

    assert_true(cap <= NET_TX_BUF && n <= cap);
    for (unsigned i = 0; i < n; i++) {
        pkts[i] = rte_pktmbuf_alloc(pool);
        assert_non_null(pkts[i]);
        memcpy(rte_pktmbuf_append(pkts[i], sizeof(uint32_t)), serial, sizeof(uint32_t));
        (*serial)++;
    }
    *given += n;
    out = fault_apply(&nc, 0, pkts, n, cap, &nc.held_rx);
    assert_true(out <= cap);
    for (unsigned i = 0; i < out; i++)
        for (unsigned j = i + 1; j < out; j++)
            assert_ptr_not_equal(pkts[i], pkts[j]); /* no mbuf twice */
    if (nc.held_rx)
        for (unsigned i = 0; i < out; i++)
            assert_ptr_not_equal(pkts[i], nc.held_rx);
    /* nothing else is outstanding between bursts: the pool holds exactly what came out plus
     * the held packet (a packet lost or emitted twice breaks this) */
    assert_int_equal(rte_mempool_in_use_count(pool), out + (nc.held_rx != NULL));
    for (unsigned i = 0; i < out; i++) {
        if (rte_mbuf_refcnt_read(pkts[i]) != 1)
            fail_msg("mbuf with refcnt %u", rte_mbuf_refcnt_read(pkts[i]));
        rte_pktmbuf_free(pkts[i]);
    }
    *returned += out;
    return out;
}

static void test_no_faults_is_identity(void **state)
{
    uint32_t serial = 0;
    unsigned given = 0, returned = 0;

    (void)state;
    reset_core();
    rates(0, 0, 0, 0);
    for (int k = 0; k < 100; k++)
        assert_int_equal(burst(32, 34, &serial, &given, &returned), 32);
    assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* Heavy rates so that duplicates and the held packet land in the middle of bursts. */
static void test_invariants_under_heavy_faults(void **state)
{
    uint32_t serial = 0;
    unsigned given = 0, returned = 0;

    (void)state;
    reset_core();
    rates(100000, 300000, 300000, 42);
    for (int k = 0; k < 3000; k++)
        burst((unsigned)(k % 33), 34, &serial, &given, &returned);
    burst(0, 34, &serial, &given, &returned); /* an empty burst releases the held one */
    assert_null(nc.held_rx);
    assert_int_equal(rte_mempool_in_use_count(pool), 0);
    /* returned = given - dropped + duplicates: ~10% dropped, ~30% of the rest duplicated */
    assert_true(nc.st.drop_fault > given / 20 && nc.st.drop_fault < given / 5);
    assert_true(returned > given && returned < given * 3 / 2);
}

/* The serial numbers that come out: each given packet at most once as an original (plus its
 * duplicates), in order except for the one held back. */
static void test_every_packet_accounted(void **state)
{
    struct rte_mbuf *pkts[NET_TX_BUF];
    uint32_t seen[4096] = { 0 };
    uint32_t next = 0;

    (void)state;
    reset_core();
    rates(50000, 10000, 10000, 7);
    for (int k = 0; k < 100; k++) {
        unsigned n = 32, out;
        for (unsigned i = 0; i < n; i++) {
            pkts[i] = rte_pktmbuf_alloc(pool);
            memcpy(rte_pktmbuf_append(pkts[i], sizeof(uint32_t)), &next, sizeof(next));
            next++;
        }
        out = fault_apply(&nc, 0, pkts, n, 34, &nc.held_rx);
        for (unsigned i = 0; i < out; i++) {
            uint32_t s;
            memcpy(&s, rte_pktmbuf_mtod(pkts[i], void *), sizeof(s));
            assert_true(s < next);
            seen[s]++;
            rte_pktmbuf_free(pkts[i]);
        }
    }
    (void)fault_apply(&nc, 0, pkts, 0, 34, &nc.held_rx);
    if (!nc.held_rx) {
        /* nothing remains held: every packet came out 0 (dropped), 1 or 2 (duplicated) times */
        unsigned zero = 0, two = 0;
        for (uint32_t s = 0; s < next; s++) {
            assert_true(seen[s] <= 2);
            zero += seen[s] == 0;
            two += seen[s] == 2;
        }
        assert_int_equal(zero, nc.st.drop_fault);
        assert_true(two > 0);
    }
    if (nc.held_rx) {
        rte_pktmbuf_free(nc.held_rx);
        nc.held_rx = NULL;
    }
    assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* The same seed gives the same decisions. */
static void test_seed_repeats(void **state)
{
    uint64_t drops[2];

    (void)state;
    for (int run = 0; run < 2; run++) {
        uint32_t serial = 0;
        unsigned given = 0, returned = 0;
        reset_core();
        rates(200000, 50000, 50000, 99);
        for (int k = 0; k < 200; k++)
            burst(16, 34, &serial, &given, &returned);
        burst(0, 34, &serial, &given, &returned);
        drops[run] = nc.st.drop_fault ^ ((uint64_t)returned << 32);
    }
    assert_int_equal(drops[0], drops[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_faults_is_identity),
        cmocka_unit_test(test_invariants_under_heavy_faults),
        cmocka_unit_test(test_every_packet_accounted),
        cmocka_unit_test(test_seed_repeats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
