/*
 * test_snapshot.c - fork-less snapshots of a partition (engine/snapshot.c): the output is the
 * partition as it was at the cut although clients keep writing, each key exactly once; an
 * abort (before or after the cut) leaves no work behind and the next snapshot is complete.
 * The chunks are assembled into an RDB file and read back with the project's decoder.
 */
#include "dp_test.h"

#include "engine/snapshot.h"
#include "engine/worker.h"
#include "rdb/rdb_buf.h"
#include "rdb/rdb_dec.h"
#include "rdb/rdb_enc.h"
#include "store/part.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS  3000
#define VALLEN 200 /* large enough for the walk to fill and push several chunks */
#define POLL_MAX 100000 /* bound on poll iterations of one snapshot */

struct seen {
    int count[NKEYS];
    int other;      /* keys that are not k<i> */
    int wrong;      /* k<i> with a value that is not the one at the cut */
};

static void val_of(int i, char *v)
{
    memset(v, 'a' + i % 26, VALLEN);
    snprintf(v, 12, "%d:", i); /* distinct per key, the rest filler */
    v[strlen(v)] = '.';
}

static int on_string(void *ud, uint32_t db, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, int64_t expire_ms)
{
    struct seen *s = ud;
    char k[32], v[VALLEN];
    int i;

    (void)db;
    (void)expire_ms;
    if (klen >= sizeof(k) || klen < 2 || key[0] != 'k') {
        s->other++;
        return 0;
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    i = atoi(k + 1);
    if (i < 0 || i >= NKEYS) {
        s->other++;
        return 0;
    }
    s->count[i]++;
    val_of(i, v);
    if (vlen != VALLEN || memcmp(val, v, VALLEN) != 0)
        s->wrong++;
    return 0;
}

static void set_key(struct client *c, const char *k, const char *v, size_t vlen)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n", strlen(k), k,
                     vlen);

    memcpy(req + n, v, vlen);
    memcpy(req + n + vlen, "\r\n", 2);
    char *r = dp_test_send(c, req, (size_t)n + vlen + 2);
    assert_string_equal(r, "+OK\r\n");
    free(r);
}

static void load_keys(struct client *c)
{
    char k[32], v[VALLEN];

    for (int i = 0; i < NKEYS; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        val_of(i, v);
        set_key(c, k, v, VALLEN);
    }
}

/* Poll the worker until the snapshot is complete; @between runs after the first poll (the
 * cut). Returns the RDB file built from the chunks. */
static void run_snapshot(struct client *c, void (*between)(struct client *), struct rdb_buf *f)
{
    struct worker *w = srv.workers[0];
    struct snap_chunk *ch[16];
    int done = 0, n;

    rdb_buf_init(f);
    assert_int_equal(rdb_enc_header(f, 10), 0);
    assert_true(snapshot_request() > 0);
    assert_true(snapshot_busy(w));
    worker_begin_iteration(w);
    snapshot_poll(w);
    if (between)
        between(c);
    for (int it = 0; it < POLL_MAX && !done; it++) {
        worker_begin_iteration(w);
        snapshot_poll(w);
        n = snapshot_next(ch, 16, &done);
        for (int i = 0; i < n; i++) {
            assert_int_equal(rdb_buf_append(f, ch[i]->data, ch[i]->len), 0);
            snapshot_chunk_free(ch[i]);
        }
    }
    assert_true(done);
    assert_false(snapshot_running());
    assert_false(snapshot_busy(w));
    assert_int_equal(rdb_enc_eof(f), 0);
}

static void decode(struct rdb_buf *f, struct seen *s)
{
    struct rdb_dec_opts o = {.flags = RDB_DEC_NO_CRC};
    struct rdb_dec_ops ops = {.on_string = on_string};
    struct rdb_dec *d;
    static const uint8_t no_crc[8]; /* a zero trailer means "CRC not computed" */

    assert_int_equal(rdb_buf_append(f, no_crc, sizeof(no_crc)), 0);
    memset(s, 0, sizeof(*s));
    d = rdb_dec_new(&o, &ops, s);
    assert_non_null(d);
    if (rdb_dec_load_mem(d, f->data, f->len) != 0)
        fail_msg("decoder: %s", rdb_dec_error(d));
    rdb_dec_destroy(&d);
}

static void assert_exact(const struct seen *s)
{
    for (int i = 0; i < NKEYS; i++)
        if (s->count[i] != 1)
            fail_msg("key k%d appears %d times", i, s->count[i]);
    assert_int_equal(s->other, 0);
    assert_int_equal(s->wrong, 0);
}

static int setup(void **state)
{
    static const char *const opts[] = {"--save", "", NULL};

    (void)state;
    dp_test_server(opts);
    assert_int_equal(snapshot_setup(), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    snapshot_teardown();
    dp_test_server_down();
    return 0;
}

/* Writes after the cut: overwrite the first and the last key, delete one in the middle, add
 * new keys. None of it may show; every key is there once with its value at the cut. */
static void write_during(struct client *c)
{
    char v[VALLEN];

    memset(v, 'Z', VALLEN);
    set_key(c, "k0", v, VALLEN);
    set_key(c, "k2999", v, VALLEN);
    set_key(c, "k1500", v, VALLEN);
    char *r = dp_test_cmd(c, "DEL k1501\r\n");
    assert_string_equal(r, ":1\r\n");
    free(r);
    for (int i = 0; i < 100; i++) {
        char k[32];
        snprintf(k, sizeof(k), "new%d", i);
        set_key(c, k, v, VALLEN);
    }
}

static void test_point_in_time(void **state)
{
    struct client *c = dp_test_client();
    struct rdb_buf f;
    struct seen s;

    (void)state;
    load_keys(c);
    run_snapshot(c, write_during, &f);
    decode(&f, &s);
    assert_exact(&s);
    rdb_buf_free(&f);

    /* the next snapshot sees the writes */
    run_snapshot(c, NULL, &f);
    decode(&f, &s);
    assert_int_equal(s.count[1501], 0);
    assert_int_equal(s.count[0], 1);
    assert_int_equal(s.other, 100);
    assert_int_equal(s.wrong, 3); /* k0, k1500, k2999 now hold Z... */
    rdb_buf_free(&f);
    client_release(c);
}

static void test_abort_before_cut(void **state)
{
    struct worker *w = srv.workers[0];
    struct client *c = dp_test_client();
    struct rdb_buf f;
    struct seen s;

    (void)state;
    load_keys(c);
    assert_true(snapshot_request() > 0);
    snapshot_abort();
    assert_false(snapshot_running());
    /* the owner notices once and is idle again: no busy polling for a dead request */
    worker_begin_iteration(w);
    snapshot_poll(w);
    assert_false(snapshot_busy(w));
    assert_false(srv.parts[0].snap_active);

    run_snapshot(c, NULL, &f);
    decode(&f, &s);
    assert_exact(&s);
    rdb_buf_free(&f);
    client_release(c);
}

static void test_abort_mid_walk(void **state)
{
    struct worker *w = srv.workers[0];
    struct client *c = dp_test_client();
    struct snap_chunk *ch[16];
    struct rdb_buf f;
    struct seen s;
    int done = 0;

    (void)state;
    load_keys(c);
    assert_true(snapshot_request() > 0);
    for (int i = 0; i < 3; i++) { /* cut, then a few slices: chunks are queued */
        worker_begin_iteration(w);
        snapshot_poll(w);
    }
    /* take one chunk, then give up with more queued */
    assert_int_equal(snapshot_next(ch, 1, &done), 1);
    assert_false(done);
    snapshot_chunk_free(ch[0]);
    snapshot_abort();
    worker_begin_iteration(w);
    snapshot_poll(w);
    assert_false(snapshot_busy(w));
    assert_false(srv.parts[0].snap_active);

    /* a write between the snapshots, then a complete one */
    char *r = dp_test_cmd(c, "DEL k7\r\n");
    assert_string_equal(r, ":1\r\n");
    free(r);
    run_snapshot(c, NULL, &f);
    decode(&f, &s);
    for (int i = 0; i < NKEYS; i++)
        if (s.count[i] != (i == 7 ? 0 : 1))
            fail_msg("key k%d appears %d times", i, s.count[i]);
    assert_int_equal(s.other, 0);
    assert_int_equal(s.wrong, 0);
    rdb_buf_free(&f);
    client_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_point_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_before_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_mid_walk, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
