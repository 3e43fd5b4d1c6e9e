/*
 * test_engine.c - commands through the engine in process (parse, dispatch, execute, encode):
 * expiry (lazy and active, millisecond-exact), eviction under maxmemory for every policy,
 * the key index filling up, and replies of a few commands whose edge cases are easy to miss.
 */
#include "dp_test.h"

#include "core/hash.h"
#include "engine/expire.h"
#include "engine/worker.h"
#include "store/part.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static long long reply_int(struct client *c, const char *req)
{
    char *r = dp_test_cmd(c, req);
    long long v;

    assert_int_equal(r[0], ':');
    v = strtoll(r + 1, NULL, 10);
    free(r);
    return v;
}

static void test_lazy_and_exact_expiry(void **state)
{
    static const char *const opts[] = { "--hz", "1", NULL };
    struct client *c;
    long long t;

    (void)state;
    dp_test_server(opts);
    c = dp_test_client();
    assert_reply(c, "SET k v PX 150\r\n", "+OK\r\n");
    t = reply_int(c, "PTTL k\r\n");
    assert_true(t > 0 && t <= 150);
    assert_reply(c, "GET k\r\n", "$1\r\nv\r\n");
    sleep_ms(300);
    assert_reply(c, "GET k\r\n", "$-1\r\n");
    assert_int_equal(srv.parts[0].expired_keys, 1);
    assert_int_equal(srv.parts[0].nkeys, 0);
    /* PXAT in the past: the key is stored and already expired */
    assert_reply(c, "SET k v PXAT 1000\r\n", "+OK\r\n");
    assert_reply(c, "EXISTS k\r\n", ":0\r\n");
    /* EXPIRE with a negative value deletes at once */
    assert_reply(c, "SET k v\r\n", "+OK\r\n");
    assert_reply(c, "EXPIRE k -1\r\n", ":1\r\n");
    assert_reply(c, "TTL k\r\n", ":-2\r\n");
    assert_reply(c, "SET k v EX 0\r\n", "-ERR invalid expire time in 'set' command\r\n");
    dp_test_server_down();
}

static void test_active_expiry(void **state)
{
    static const char *const opts[] = { "--hz", "100", NULL };
    struct client *c;
    char cmd[64];
    struct worker *w;

    (void)state;
    dp_test_server(opts);
    c = dp_test_client();
    w = srv.workers[0];
    for (int i = 0; i < 2000; i++) {
        snprintf(cmd, sizeof(cmd), "SET e:%d v PX 50\r\n", i);
        free(dp_test_cmd(c, cmd));
    }
    for (int i = 0; i < 500; i++) {
        snprintf(cmd, sizeof(cmd), "SET p:%d v\r\n", i);
        free(dp_test_cmd(c, cmd));
    }
    assert_int_equal(srv.parts[0].nkeys, 2500);
    sleep_ms(100);
    /* no key is touched: only the active cycle can remove them */
    for (int i = 0; i < 2000 && srv.parts[0].nkeys > 500; i++) {
        worker_begin_iteration(w);
        w->expire_last_ms = 0;
        worker_poll(w);
    }
    assert_int_equal(srv.parts[0].nkeys, 500);
    assert_int_equal(srv.parts[0].expired_keys, 2000);
    assert_reply(c, "DBSIZE\r\n", ":500\r\n");
    dp_test_server_down();
}

/* Fill a 1 MB budget with 100-byte values; returns how many of keys 0..hot-1 survived. */
static int fill_and_count(const char *policy, int hot, int volatile_keys)
{
    const char *opts[] = { "--maxmemory", "1mb", "--maxmemory-policy", policy,
                           "--maxmemory-samples", "10", NULL };
    struct client *c;
    char cmd[256], val[101];
    int survived = 0;

    dp_test_server(opts);
    c = dp_test_client();
    memset(val, 'x', 100);
    val[100] = '\0';
    for (int i = 0; i < 30000; i++) {
        char *r;
        snprintf(cmd, sizeof(cmd), "SET k:%d %s%s\r\n", i, val,
                 volatile_keys ? " EX 1000" : "");
        if (volatile_keys && i >= hot)
            snprintf(cmd, sizeof(cmd), "SET k:%d %s PX %d\r\n", i, val, 100000 + i);
        r = dp_test_cmd(c, cmd);
        assert_string_equal(r, "+OK\r\n");
        free(r);
        /* the hot keys are read often */
        if (i % 10 == 0)
            for (int h = 0; h < hot; h++) {
                snprintf(cmd, sizeof(cmd), "GET k:%d\r\n", h);
                free(dp_test_cmd(c, cmd));
            }
    }
    assert_true(part_used(&srv.parts[0]) <= 1024 * 1024 + 4096);
    assert_true(srv.parts[0].evicted_keys > 0);
    for (int h = 0; h < hot; h++) {
        char *r;
        snprintf(cmd, sizeof(cmd), "EXISTS k:%d\r\n", h);
        r = dp_test_cmd(c, cmd);
        survived += r[1] == '1';
        free(r);
    }
    dp_test_server_down();
    return survived;
}

static void test_eviction_policies(void **state)
{
    (void)state;
    /* LRU and LFU keep the keys that are read */
    assert_true(fill_and_count("allkeys-lru", 50, 0) >= 45);
    assert_true(fill_and_count("allkeys-lfu", 50, 0) >= 45);
    /* random evicts blindly but respects the budget */
    fill_and_count("allkeys-random", 0, 0);
    /* volatile-ttl removes the nearest expiry first: the first keys have the longest TTL */
    assert_true(fill_and_count("volatile-ttl", 50, 1) >= 45);
    assert_true(fill_and_count("volatile-lru", 50, 1) >= 45);
}

static void test_noeviction_and_volatile_without_ttl(void **state)
{
    static const char *const opts[] = { "--maxmemory", "1mb", NULL };
    static const char *const vopts[] = { "--maxmemory", "1mb", "--maxmemory-policy",
                                         "volatile-lru", NULL };
    struct client *c;
    char cmd[256], val[201];
    int oom = 0;

    (void)state;
    memset(val, 'y', 200);
    val[200] = '\0';
    for (int round = 0; round < 2; round++) {
        dp_test_server(round ? vopts : opts);
        c = dp_test_client();
        oom = 0;
        for (int i = 0; i < 20000 && !oom; i++) {
            char *r;
            snprintf(cmd, sizeof(cmd), "SET n:%d %s\r\n", i, val);
            r = dp_test_cmd(c, cmd);
            if (r[0] == '-') {
                assert_string_equal(
                    r, "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
                oom = 1;
            }
            free(r);
        }
        assert_true(oom);
        assert_int_equal(srv.parts[0].evicted_keys, 0);
        /* reads and deletes still work at the limit */
        assert_reply(c, "GET n:0\r\n", "$200\r\n" "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                                        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                                        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                                        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n");
        assert_reply(c, "DEL n:0\r\n", ":1\r\n");
        dp_test_server_down();
    }
}

static void test_index_full(void **state)
{
    static const char *const opts[] = { "--maxkeys", "1024", NULL };
    static const char *const lru[] = { "--maxkeys", "1024", "--maxmemory-policy", "allkeys-lru",
                                       NULL };
    struct client *c;
    char cmd[64];
    int full = 0;

    (void)state;
    dp_test_server(opts);
    c = dp_test_client();
    for (int i = 0; i < 10000 && !full; i++) {
        char *r;
        snprintf(cmd, sizeof(cmd), "SET f:%d v\r\n", i);
        r = dp_test_cmd(c, cmd);
        if (r[0] == '-') {
            assert_string_equal(r, "-OOM command not allowed when the key index is full (maxkeys "
                                   "1024)\r\n");
            full = 1;
        }
        free(r);
    }
    assert_true(full);
    dp_test_server_down();
    /* with an eviction policy a full index makes room instead */
    dp_test_server(lru);
    c = dp_test_client();
    for (int i = 0; i < 10000; i++) {
        snprintf(cmd, sizeof(cmd), "SET f:%d v\r\n", i);
        assert_reply(c, cmd, "+OK\r\n");
    }
    assert_true(srv.parts[0].evicted_keys > 0);
    assert_reply(c, "GET f:9999\r\n", "$1\r\nv\r\n");
    dp_test_server_down();
}

static void test_pipelined_replies_and_append(void **state)
{
    struct client *c;
    char *r;

    (void)state;
    dp_test_server(NULL);
    c = dp_test_client();
    r = dp_test_cmd(c, "SET a 1\r\nINCR a\r\nAPPEND a xyz\r\nGET a\r\nINCR a\r\n"
                       "*3\r\n$6\r\nINCRBY\r\n$1\r\nb\r\n$20\r\n-9223372036854775808\r\n"
                       "DECR b\r\nHSET h f 1\r\nGET h\r\n");
    assert_string_equal(r, "+OK\r\n:2\r\n:4\r\n$4\r\n2xyz\r\n"
                           "-ERR value is not an integer or out of range\r\n"
                           ":-9223372036854775808\r\n"
                           "-ERR increment or decrement would overflow\r\n:1\r\n"
                           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    free(r);
    /* APPEND grows in place within the capacity it reserved */
    for (int i = 0; i < 1000; i++)
        free(dp_test_cmd(c, "APPEND s 0123456789\r\n"));
    assert_reply(c, "STRLEN s\r\n", ":10000\r\n");
    assert_reply(c, "GETRANGE s -3 -1\r\n", "$3\r\n789\r\n");
    assert_reply(c, "SETRANGE s 10005 AB\r\n", ":10007\r\n");
    r = dp_test_cmd(c, "GETRANGE s 9998 10006\r\n");
    assert_memory_equal(r, "$9\r\n89\0\0\0\0\0AB\r\n", 16);
    free(r);
    dp_test_server_down();
}

/* With one worker a command over every partition (a plan: FLUSHALL, KEYS, SLOWLOG LEN) runs
 * all of its parts at once; the commands pipelined after it must run too (they used to wait
 * for input that never came: nothing resumed the client). */
static void test_pipeline_after_local_plan(void **state)
{
    struct client *c;

    (void)state;
    dp_test_server(NULL);
    c = dp_test_client();
    assert_reply(c, "SET a 1\r\nFLUSHALL\r\nPING\r\nKEYS *\r\nSET b 2\r\nSLOWLOG LEN\r\nDBSIZE\r\n",
                 "+OK\r\n+OK\r\n+PONG\r\n*0\r\n+OK\r\n:0\r\n:1\r\n");
    dp_test_server_down();
}

/* Append one RESP multibulk command to @b at *@n (the form the lookahead scans). */
static void put_cmd(char *b, size_t *n, int argc, const char *const *argv, const size_t *len)
{
    *n += (size_t)sprintf(b + *n, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        *n += (size_t)sprintf(b + *n, "$%zu\r\n", len[i]);
        memcpy(b + *n, argv[i], len[i]);
        *n += len[i];
        memcpy(b + *n, "\r\n", 2);
        *n += 2;
    }
}

static void put2(char *b, size_t *n, const char *cmd, const char *key)
{
    const char *v[] = { cmd, key };
    size_t l[] = { strlen(cmd), strlen(key) };
    put_cmd(b, n, 2, v, l);
}

static void put3(char *b, size_t *n, const char *cmd, const char *key, const char *val,
                 size_t vlen)
{
    const char *v[] = { cmd, key, val };
    size_t l[] = { strlen(cmd), strlen(key), vlen };
    put_cmd(b, n, 3, v, l);
}

/*
 * A pipeline is looked up in bulk before it runs (dispatch_prefetch) and its commands reuse
 * what that lookup found (the partition's lookup memo). Writes inside the same pipeline must
 * win over what the lookahead saw: entries replaced (a large value's block is freed at once
 * with one worker) or deleted, and keys created, between the lookahead and the read.
 */
#define LONGKEY "session:0123456789abcdef0123456789abcdef"

static void test_pipeline_lookahead_sees_writes(void **state)
{
    enum { BIG = 70000 }; /* over the slab's largest chunk: its own block */
    char *a = malloc(BIG), *bv = malloc(BIG), *buf = malloc(4 * BIG + 4096), *want, *r;
    size_t n = 0, w = 0;
    struct client *c;

    (void)state;
    memset(a, 'A', BIG);
    memset(bv, 'B', BIG);
    want = malloc(4 * BIG + 4096);
    dp_test_server(NULL);
    c = dp_test_client();
    put3(buf, &n, "SET", "big", a, BIG);
    put3(buf, &n, "SET", "small", "s1", 2);
    put3(buf, &n, "SET", LONGKEY, "l1", 2);
    r = dp_test_send(c, buf, n);
    assert_string_equal(r, "+OK\r\n+OK\r\n+OK\r\n");
    free(r);

    n = 0;
    put2(buf, &n, "GET", "big");                /* the lookahead's entry */
    put3(buf, &n, "SET", "big", bv, BIG);       /* replaced: the old block is freed */
    put2(buf, &n, "GET", "big");                /* must see B */
    put2(buf, &n, "GET", "small");
    put2(buf, &n, "DEL", "small");
    put2(buf, &n, "GET", "small");              /* deleted after the lookahead */
    put2(buf, &n, "GET", "new");                /* missing at lookahead time ... */
    put3(buf, &n, "SET", "new", "n1", 2);       /* ... created ... */
    put2(buf, &n, "GET", "new");                /* ... and found */
    put2(buf, &n, "DEL", "big");
    put2(buf, &n, "GET", "big");
    put2(buf, &n, "GET", LONGKEY); /* over 16 bytes: known by its address in the buffer */
    put3(buf, &n, "SET", LONGKEY, "l2", 2);
    put2(buf, &n, "GET", LONGKEY);
    r = dp_test_send(c, buf, n);
    w = (size_t)sprintf(want, "$%d\r\n", BIG);
    memcpy(want + w, a, BIG);
    w += BIG;
    w += (size_t)sprintf(want + w, "\r\n+OK\r\n$%d\r\n", BIG);
    memcpy(want + w, bv, BIG);
    w += BIG;
    w += (size_t)sprintf(want + w, "\r\n$2\r\ns1\r\n:1\r\n$-1\r\n$-1\r\n+OK\r\n$2\r\nn1\r\n"
                                   ":1\r\n$-1\r\n$2\r\nl1\r\n+OK\r\n$2\r\nl2\r\n");
    assert_int_equal(strlen(r), w);
    assert_memory_equal(r, want, w);
    free(r);

    /* digest collisions: 64 keys over 4 digests; each GET in one pipeline finds its own */
    key_digest_mask = 0x3;
    n = 0;
    for (int i = 0; i < 64; i++) {
        char k[16], v[16];
        snprintf(k, sizeof(k), "key:%d", i);
        snprintf(v, sizeof(v), "val:%d", i);
        put3(buf, &n, "SET", k, v, strlen(v));
    }
    free(dp_test_send(c, buf, n));
    n = w = 0;
    for (int i = 0; i < 64; i++) {
        char k[16];
        snprintf(k, sizeof(k), "key:%d", i);
        put2(buf, &n, "GET", k);
        w += (size_t)sprintf(want + w, "$%zu\r\nval:%d\r\n", strlen(k), i);
    }
    r = dp_test_send(c, buf, n);
    assert_string_equal(r, want);
    free(r);
    key_digest_mask = ~0ULL;
    dp_test_server_down();
    free(a);
    free(bv);
    free(buf);
    free(want);
}

/* worker_clock_tsc: the wall clock follows the TSC between clock reads, is read again after
 * WORKER_CLOCK_RESYNC_US, holds instead of stepping back less than a second, and takes a
 * larger step back (the clock was set). */
static void test_tsc_clock(void **state)
{
    struct worker *w;
    uint64_t t0, real, hz = rte_get_tsc_hz();

    (void)state;
    dp_test_server(NULL);
    w = srv.workers[0];
    assert_true(hz >= 1000000);
    assert_int_not_equal(w->clk_mult, 0);
    t0 = rte_rdtsc();
    worker_clock_tsc(w, t0); /* first call: reads the clock */
    assert_int_equal(w->clk_tsc, t0);
    real = w->now_us;
    /* 500 us of TSC later, no clock read: exactly the TSC's time (within rounding) */
    worker_clock_tsc(w, t0 + hz / 2000);
    assert_int_equal(w->clk_tsc, t0);
    assert_in_range(w->now_us, real + 499, real + 500);
    assert_int_equal(w->now_ms, w->now_us / 1000);
    /* a TSC estimate that ran 300 ms ahead: the resync does not step back */
    w->clk_us = real + 300000;
    worker_clock_tsc(w, t0 + hz / 2000 + 1);
    assert_true(w->now_us >= real + 300000);
    worker_clock_tsc(w, t0 + hz / 1000 * 2); /* past the resync interval: reads the clock */
    assert_int_equal(w->clk_tsc, t0 + hz / 1000 * 2);
    assert_true(w->now_us >= real + 300000); /* held: the real clock is still behind */
    assert_true(w->clk_us < real + 300000);
    /* 5 s ahead: a resync takes the step back to the real clock */
    w->clk_us = real + 5000000;
    worker_clock_tsc(w, t0 + hz / 1000 * 2 + 1);
    assert_true(w->now_us >= real + 5000000);
    worker_clock_tsc(w, t0 + hz / 1000 * 4);
    assert_true(w->now_us < real + 1000000);
    assert_true(w->now_us >= real);
    dp_test_server_down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_and_exact_expiry),
        cmocka_unit_test(test_active_expiry),
        cmocka_unit_test(test_eviction_policies),
        cmocka_unit_test(test_noeviction_and_volatile_without_ttl),
        cmocka_unit_test(test_index_full),
        cmocka_unit_test(test_pipelined_replies_and_append),
        cmocka_unit_test(test_pipeline_after_local_plan),
        cmocka_unit_test(test_pipeline_lookahead_sees_writes),
        cmocka_unit_test(test_tsc_clock),
    };
    dp_test_eal();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
