/* Interoperability tests against the real Redis 7.0 of Debian (redis-server, redis-check-rdb):
 *  - files written with rdb_enc + rdb_file_writer pass redis-check-rdb and load into redis-server
 *    with every key, value and TTL (within 1 s) intact;
 *  - files saved by redis-server (listpack/hashtable hashes, int/LZF strings, expiries, several
 *    dbs, functions, lists, sets, sorted sets, streams) decode to what was written, with the
 *    unsupported types refused by name or skipped and counted;
 *  - hand-made ziplist/zipmap/listpack/LZF records load into Redis identically (which validates
 *    the blob builders the decoder tests rely on);
 *  - byte flips and truncations of a Redis-made file are decoded identically or rejected with an
 *    offset.
 * Each test starts its own redis-server on a free 127.0.0.1 port in a temp dir and kills it at
 * the end; the server also dies with the test process (PR_SET_PDEATHSIG). Skipped when Redis is
 * not installed. */
#include "test_rdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb_test_util.h"
#include "redis_harness.h"

struct fixture {
    char *dir;
    struct redis_srv srv;
    struct rconn conn;
};

static int setup(void **state)
{
    if (!redis_available())
        return 0;
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = make_tmpdir("redis");
    f->conn.fd = -1;
    if (f->dir == NULL)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0;
    rconn_close(&f->conn);
    redis_stop(&f->srv);
    remove_tree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define REQUIRE_REDIS()                                                                            \
    do {                                                                                           \
        if (*state == NULL) {                                                                      \
            print_message("redis-server/redis-check-rdb not installed: skipped\n");               \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void start(struct fixture *f, const char *dbfile, const char *const *extra)
{
    if (redis_start(&f->srv, f->dir, dbfile, extra) != 0)
        fail_msg("redis-server did not start (exit status %d), log %s", f->srv.exit_status,
                 f->srv.log);
    if (rconn_open(&f->conn, f->srv.port) != 0)
        fail_msg("cannot connect to redis-server on port %d", f->srv.port);
}

static void stop(struct fixture *f)
{
    rconn_close(&f->conn);
    redis_stop(&f->srv);
}

static struct resp *cmd_ok(struct fixture *f, int argc, const char *const *argv,
                           const size_t *lens)
{
    struct resp *r = rcmd(&f->conn, argc, argv, lens);
    if (r == NULL)
        fail_msg("no reply to %s", argv[0]);
    if (r->type == '-')
        fail_msg("%s: %s", argv[0], r->str);
    return r;
}

static void cmdf_ok(struct fixture *f, const char *a0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a != NULL && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    resp_free(cmd_ok(f, argc, argv, NULL));
}

static void check_rdb_file(const char *path)
{
    const char *argv[] = { REDIS_CHECK_BIN, path, NULL };
    char out[16384];
    int st = run_capture(argv, out, sizeof(out), 60);
    if (st != 0 || strstr(out, "RDB looks OK") == NULL)
        fail_msg("redis-check-rdb %s: status %d\n%s", path, st, out);
}

/* Reads back every key of @m from the server and compares (TTL within 1 s); also checks the
 * server holds no other key. */
static void compare_with_redis(struct fixture *f, struct tmodel *m)
{
    struct tmodel got = { 0 };
    uint32_t cur_db = UINT32_MAX;
    for (size_t i = 0; i < m->n; i++) {
        struct tkey *k = &m->keys[i];
        if (k->db != cur_db) {
            char db[16];
            snprintf(db, sizeof(db), "%u", k->db);
            cmdf_ok(f, "SELECT", db, NULL);
            cur_db = k->db;
        }
        const char *argv[2];
        size_t lens[2];
        argv[0] = "TYPE";
        argv[1] = (const char *)k->key;
        lens[0] = 4;
        lens[1] = k->klen;
        struct resp *r = cmd_ok(f, 2, argv, lens);
        struct tkey *g = NULL;
        if (strcmp(r->str, "string") == 0) {
            resp_free(r);
            argv[0] = "GET";
            lens[0] = 3;
            r = cmd_ok(f, 2, argv, lens);
            g = tmodel_add_string(&got, k->db, k->key, k->klen, r->str, r->len, RDB_NO_EXPIRE);
        } else if (strcmp(r->str, "hash") == 0) {
            resp_free(r);
            argv[0] = "HGETALL";
            lens[0] = 7;
            r = cmd_ok(f, 2, argv, lens);
            g = tmodel_add_hash(&got, k->db, k->key, k->klen, RDB_NO_EXPIRE);
            for (size_t j = 0; j + 1 < r->nelem; j += 2)
                tkey_add_field(g, r->elem[j]->str, r->elem[j]->len, r->elem[j + 1]->str,
                               r->elem[j + 1]->len);
        } else {
            fail_msg("key %zu (db %u) has type %s in redis", i, k->db, r->str);
            return;
        }
        resp_free(r);
        argv[0] = "PTTL";
        lens[0] = 4;
        r = cmd_ok(f, 2, argv, lens);
        long long pttl = r->integer;
        resp_free(r);
        if (k->expire_ms == RDB_NO_EXPIRE) {
            if (pttl != -1)
                fail_msg("key %zu: unexpected TTL %lld", i, pttl);
        } else {
            long long want = (long long)(k->expire_ms - now_ms());
            if (pttl < 0 || llabs(pttl - want) > 1000)
                fail_msg("key %zu: PTTL %lld, expected %lld +- 1000", i, pttl, want);
        }
        g->expire_ms = k->expire_ms;
    }
    char why[256];
    if (!tmodel_equal(m, &got, why, sizeof(why)))
        fail_msg("redis content differs: %s", why);
    tmodel_free(&got);

    /* No extra keys anywhere. */
    struct resp *r = rcmdf(&f->conn, "INFO", "keyspace", NULL);
    assert_non_null(r);
    uint64_t total = 0;
    for (const char *p = r->str; (p = strstr(p, "keys=")) != NULL; p += 5)
        total += strtoull(p + 5, NULL, 10);
    resp_free(r);
    assert_int_equal(total, m->n);
}

/* ---- our files into Redis ----------------------------------------------------------------- */

static void build_interop_model(struct tmodel *m)
{
    int64_t now = now_ms();
    static const char bin[] = "\x00\x01\r\n\xff\xfe bin \"q\"";
    tmodel_add_string(m, 0, "s:plain", 7, "hello world", 11, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, "s:empty", 7, "", 0, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, "", 0, "value of the empty key", 22, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, bin, sizeof(bin) - 1, bin, sizeof(bin) - 1, now + 3600 * 1000);
    const char *ints[] = { "0", "1", "-1", "127", "-128", "128", "32767", "-32769", "65536",
                           "2147483647", "-2147483648", "2147483648", "-2147483649", "007",
                           "-0", "+5", "1e3", "9223372036854775807" };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char k[32];
        snprintf(k, sizeof(k), "i:%zu", i);
        tmodel_add_string(m, 1, k, strlen(k), ints[i], strlen(ints[i]),
                          i % 3 == 0 ? now + (int64_t)(i + 1) * 60000 : RDB_NO_EXPIRE);
    }
    tmodel_add_string(m, 1, "42", 2, "integer key", 11, RDB_NO_EXPIRE);
    tmodel_add_string(m, 1, "-7", 2, "negative integer key", 20, now + 86400000);
    size_t big = 300 * 1024;
    uint8_t *p = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)((i * 2654435761u) >> 13);
    tmodel_add_string(m, 5, "s:big", 5, p, big, RDB_NO_EXPIRE);
    memset(p, 'z', big);
    tmodel_add_string(m, 5, "s:big-compressible", 18, p, 70 * 1024, now + 7200 * 1000);
    free(p);

    struct tkey *h = tmodel_add_hash(m, 0, "h:small", 7, RDB_NO_EXPIRE);
    tkey_add_field(h, "name", 4, "dpcache", 7);
    tkey_add_field(h, "count", 5, "17", 2);
    tkey_add_field(h, "", 0, "empty field", 11);
    tkey_add_field(h, "empty value", 11, "", 0);
    h = tmodel_add_hash(m, 0, "h:ttl", 5, now + 600 * 1000);
    tkey_add_field(h, "a", 1, "1", 1);
    h = tmodel_add_hash(m, 15, "h:big", 5, now + 1800 * 1000);
    for (int i = 0; i < 1000; i++) {
        char fk[32], v[64];
        snprintf(fk, sizeof(fk), "field-%04d", i);
        snprintf(v, sizeof(v), i % 2 ? "%d" : "value number %d", i * 31);
        tkey_add_field(h, fk, strlen(fk), v, strlen(v));
    }
    h = tmodel_add_hash(m, 15, "h:wide", 6, RDB_NO_EXPIRE);
    char wide[100 * 1024];
    memset(wide, 'w', sizeof(wide));
    tkey_add_field(h, "big", 3, wide, sizeof(wide));
    tkey_add_field(h, bin, sizeof(bin) - 1, bin, sizeof(bin) - 1);
}

/* Writes @m like the data plane + control plane will: records encoded into per-slice buffers,
 * streamed through rdb_file_writer. */
static void write_with_writer(const struct tmodel *m, const char *dir, const char *name)
{
    char err[512];
    struct rdb_file_writer *w = NULL;
    if (rdb_file_writer_open(&w, dir, name, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct rdb_buf b = { 0 };
    assert_int_equal(rdb_enc_header(&b, RDB_VERSION_WRITE), 0);
    assert_int_equal(rdb_enc_aux(&b, "redis-ver", "7.0.15"), 0);
    assert_int_equal(rdb_enc_aux_int(&b, "redis-bits", 64), 0);
    assert_int_equal(rdb_enc_aux_int(&b, "ctime", now_ms() / 1000), 0);
    assert_int_equal(rdb_enc_aux(&b, "%dpcache-note", "written by the dpcache tests"), 0);
    uint32_t db = UINT32_MAX;
    for (size_t i = 0; i < m->n; i++) {
        const struct tkey *k = &m->keys[i];
        if (k->db != db) {
            db = k->db;
            assert_int_equal(rdb_enc_selectdb(&b, db), 0);
            assert_int_equal(rdb_enc_resizedb(&b, 10, 1), 0); /* a hint need not be exact */
        }
        if (k->type == TK_STRING) {
            assert_int_equal(rdb_enc_string(&b, k->key, k->klen, k->val, k->vlen, k->expire_ms),
                             0);
        } else {
            assert_int_equal(rdb_enc_hash_begin(&b, k->key, k->klen, k->nfields, k->expire_ms),
                             0);
            for (size_t j = 0; j < k->nfields; j++) {
                assert_int_equal(rdb_enc_hash_field(&b, k->fields[j].f, k->fields[j].flen,
                                                    k->fields[j].v, k->fields[j].vlen),
                                 0);
                if (b.len > 4096) { /* slice boundary inside a hash */
                    assert_int_equal(rdb_file_writer_write(w, b.data, b.len), 0);
                    rdb_buf_reset(&b);
                }
            }
        }
        assert_int_equal(rdb_file_writer_write(w, b.data, b.len), 0);
        rdb_buf_reset(&b);
    }
    assert_int_equal(rdb_file_writer_write(w, b.data, b.len), 0);
    if (rdb_file_writer_finish(w) != 0)
        fail_msg("%s", rdb_file_writer_error(w));
    rdb_file_writer_destroy(&w);
    rdb_buf_free(&b);
}

static void test_redis_loads_our_file(void **state)
{
    REQUIRE_REDIS();
    struct fixture *f = *state;
    struct tmodel m = { 0 };
    build_interop_model(&m);
    tmodel_sort(&m);
    write_with_writer(&m, f->dir, "ours.rdb");
    char path[512];
    snprintf(path, sizeof(path), "%s/ours.rdb", f->dir);
    check_rdb_file(path);

    /* Our own decoder agrees, with the CRC checked. */
    struct tcollect c = { 0 };
    struct rdb_dec *d = rdb_dec_new(NULL, &tcollect_ops, &c);
    if (rdb_dec_load_file(d, path) != 0)
        fail_msg("%s", rdb_dec_error(d));
    assert_int_equal(rdb_dec_get_stats(d)->crc_checked, 1);
    char why[256];
    assert_true(tmodel_equal(&m, &c.m, why, sizeof(why)));
    tcollect_free(&c);
    rdb_dec_destroy(&d);

    start(f, "ours.rdb", NULL);
    compare_with_redis(f, &m);
    stop(f);
    tmodel_free(&m);
}

/* ---- Redis files into our decoder ----------------------------------------------------------- */

/* HSET @key f00000.. <@prefix><i> for i < @n, pipelined. */
static void pipeline_hset_many(struct fixture *f, const char *key, int n, const char *prefix)
{
    for (int i = 0; i < n; i++) {
        char fk[32], v[128];
        snprintf(fk, sizeof(fk), "f%05d", i);
        snprintf(v, sizeof(v), "%s%d", prefix, i);
        const char *argv[] = { "HSET", key, fk, v };
        assert_int_equal(rsend(&f->conn, 4, argv, NULL), 0);
    }
    for (int i = 0; i < n; i++) {
        struct resp *r = rrecv(&f->conn);
        assert_non_null(r);
        assert_int_equal(r->type, ':');
        resp_free(r);
    }
}

static void expect_encoding(struct fixture *f, const char *key, const char *enc)
{
    struct resp *r = rcmdf(&f->conn, "OBJECT", "ENCODING", key, NULL);
    assert_non_null(r);
    if (r->type != '$' || strcmp(r->str, enc) != 0)
        fail_msg("OBJECT ENCODING %s: %s, expected %s", key, r->str ? r->str : "(nil)", enc);
    resp_free(r);
}

static uint8_t *save_and_read(struct fixture *f, const char *name, size_t *n)
{
    cmdf_ok(f, "SAVE", NULL);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    uint8_t *p = read_file_all(path, n);
    assert_non_null(p);
    return p;
}

static void test_redis_saved_file_decodes(void **state)
{
    REQUIRE_REDIS();
    struct fixture *f = *state;
    start(f, "dump.rdb", NULL);
    struct tmodel m = { 0 };
    int64_t at = now_ms() + 3600 * 1000;
    char at_s[32];
    snprintf(at_s, sizeof(at_s), "%lld", (long long)at);

    /* strings */
    cmdf_ok(f, "SET", "s:plain", "hello", NULL);
    tmodel_add_string(&m, 0, "s:plain", 7, "hello", 5, RDB_NO_EXPIRE);
    const char *ints[] = { "12345", "-7", "0", "2147483647", "9876543210", "-9876543210" };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char k[16];
        snprintf(k, sizeof(k), "s:int%zu", i);
        cmdf_ok(f, "SET", k, ints[i], NULL);
        tmodel_add_string(&m, 0, k, strlen(k), ints[i], strlen(ints[i]), RDB_NO_EXPIRE);
    }
    expect_encoding(f, "s:int0", "int");
    cmdf_ok(f, "SET", "s:empty", "", NULL);
    tmodel_add_string(&m, 0, "s:empty", 7, "", 0, RDB_NO_EXPIRE);
    static const char bin[] = "\x00\xff\r\nbinary";
    {
        const char *argv[] = { "SET", "s:bin", bin };
        size_t lens[] = { 3, 5, sizeof(bin) - 1 };
        resp_free(cmd_ok(f, 3, argv, lens));
        tmodel_add_string(&m, 0, "s:bin", 5, bin, sizeof(bin) - 1, RDB_NO_EXPIRE);
    }
    char *lzf = xmalloc(20001);
    for (int i = 0; i < 20000; i++)
        lzf[i] = "the quick brown fox "[i % 20];
    lzf[20000] = '\0';
    cmdf_ok(f, "SET", "s:lzf", lzf, NULL);
    tmodel_add_string(&m, 0, "s:lzf", 5, lzf, 20000, RDB_NO_EXPIRE);
    cmdf_ok(f, "SET", "s:ttl", "expiring", "PX", "3600000", NULL);
    cmdf_ok(f, "PEXPIREAT", "s:ttl", at_s, NULL);
    tmodel_add_string(&m, 0, "s:ttl", 5, "expiring", 8, at);

    /* hashes: listpack (small), hashtable (many fields / long value), LZF fields */
    cmdf_ok(f, "HSET", "h:small", "a", "1", "b", "hello", "c", "-5", "d", "70000", NULL);
    cmdf_ok(f, "PEXPIREAT", "h:small", at_s, NULL);
    struct tkey *h = tmodel_add_hash(&m, 0, "h:small", 7, at);
    tkey_add_field(h, "a", 1, "1", 1);
    tkey_add_field(h, "b", 1, "hello", 5);
    tkey_add_field(h, "c", 1, "-5", 2);
    tkey_add_field(h, "d", 1, "70000", 5);
    expect_encoding(f, "h:small", "listpack");
    pipeline_hset_many(f, "h:big", 600, "value-");
    h = tmodel_add_hash(&m, 0, "h:big", 5, RDB_NO_EXPIRE);
    for (int i = 0; i < 600; i++) {
        char fk[32], v[64];
        snprintf(fk, sizeof(fk), "f%05d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        tkey_add_field(h, fk, strlen(fk), v, strlen(v));
    }
    expect_encoding(f, "h:big", "hashtable");
    pipeline_hset_many(f, "h:lpbig", 100, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    h = tmodel_add_hash(&m, 0, "h:lpbig", 7, RDB_NO_EXPIRE);
    for (int i = 0; i < 100; i++) {
        char fk[32], v[128];
        snprintf(fk, sizeof(fk), "f%05d", i);
        snprintf(v, sizeof(v), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%d", i);
        tkey_add_field(h, fk, strlen(fk), v, strlen(v));
    }
    expect_encoding(f, "h:lpbig", "listpack"); /* saved as an LZF-compressed listpack */
    cmdf_ok(f, "HSET", "h:wide", "long", lzf, "short", "x", NULL);
    h = tmodel_add_hash(&m, 0, "h:wide", 6, RDB_NO_EXPIRE);
    tkey_add_field(h, "long", 4, lzf, 20000);
    tkey_add_field(h, "short", 5, "x", 1);
    expect_encoding(f, "h:wide", "hashtable");
    free(lzf);

    /* another db */
    cmdf_ok(f, "SELECT", "3", NULL);
    cmdf_ok(f, "SET", "db3:k", "v3", NULL);
    cmdf_ok(f, "HSET", "db3:h", "x", "y", NULL);
    tmodel_add_string(&m, 3, "db3:k", 5, "v3", 2, RDB_NO_EXPIRE);
    h = tmodel_add_hash(&m, 3, "db3:h", 5, RDB_NO_EXPIRE);
    tkey_add_field(h, "x", 1, "y", 1);
    cmdf_ok(f, "SELECT", "0", NULL);

    /* unsupported types */
    cmdf_ok(f, "RPUSH", "l:list", "a", "b", "c", NULL);
    cmdf_ok(f, "SADD", "set:int", "1", "2", "3", NULL);
    expect_encoding(f, "set:int", "intset");
    cmdf_ok(f, "SADD", "set:str", "a", "b", NULL);
    cmdf_ok(f, "ZADD", "z:small", "1", "a", "2.5", "b", NULL);
    expect_encoding(f, "z:small", "listpack");
    for (int i = 0; i < 200; i++) {
        char sc[16], mem[16];
        snprintf(sc, sizeof(sc), "%d", i);
        snprintf(mem, sizeof(mem), "m%d", i);
        cmdf_ok(f, "ZADD", "z:big", sc, mem, NULL);
    }
    expect_encoding(f, "z:big", "skiplist");
    cmdf_ok(f, "XADD", "st", "*", "f", "v1", NULL);
    cmdf_ok(f, "XADD", "st", "*", "f", "v2", NULL);
    cmdf_ok(f, "XADD", "st", "*", "g", "v3", NULL);
    cmdf_ok(f, "XGROUP", "CREATE", "st", "grp", "0", NULL);
    cmdf_ok(f, "XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "st", ">", NULL);
    cmdf_ok(f, "FUNCTION", "LOAD",
            "#!lua name=mylib\nredis.register_function('myfunc', function(k, a) return 1 end)",
            NULL);

    size_t n = 0;
    uint8_t *file = save_and_read(f, "dump.rdb", &n);
    stop(f);

    struct tcollect c = { 0 };
    struct rdb_dec_opts o = { .flags = RDB_DEC_SKIP_UNSUPPORTED };
    struct rdb_dec *d = rdb_dec_new(&o, &tcollect_ops, &c);
    if (rdb_dec_load_mem(d, file, n) != 0)
        fail_msg("%s", rdb_dec_error(d));
    const struct rdb_dec_stats *st = rdb_dec_get_stats(d);
    char why[256];
    if (!tmodel_equal(&m, &c.m, why, sizeof(why)))
        fail_msg("%s", why);
    assert_int_equal(st->version, 10);
    assert_int_equal(st->crc_checked, 1);
    assert_int_equal(st->functions, 1);
    assert_int_equal(st->skipped, 6);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_LIST_QUICKLIST_2], 1);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_SET_INTSET], 1);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_SET], 1);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_ZSET_LISTPACK], 1);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_ZSET_2], 1);
    assert_int_equal(st->skipped_by_type[RDB_TYPE_STREAM_LISTPACKS_2], 1);
    assert_int_equal(st->expires, 2);
    tcollect_free(&c);
    rdb_dec_destroy(&d);

    /* Without the flag: refused, naming a key and its type. */
    char err[1024];
    assert_int_equal(decode_mem(file, n, 0, &c, err, sizeof(err), NULL), -ENOTSUP);
    if (strstr(err, "has type") == NULL || strstr(err, "which dpcache does not support") == NULL)
        fail_msg("%s", err);
    tcollect_free(&c);
    free(file);
    tmodel_free(&m);
}

static void test_redis_list_refused_and_flips(void **state)
{
    REQUIRE_REDIS();
    struct fixture *f = *state;
    start(f, "small.rdb", NULL);
    cmdf_ok(f, "RPUSH", "mylist", "a", "b", "c", NULL);
    size_t n = 0;
    uint8_t *file = save_and_read(f, "small.rdb", &n);
    struct tcollect c;
    char err[1024];
    assert_int_equal(decode_mem(file, n, 0, &c, err, sizeof(err), NULL), -ENOTSUP);
    if (strstr(err, "key \"mylist\" has type list (RDB type 18), which dpcache does not support") ==
        NULL)
        fail_msg("%s", err);
    tcollect_free(&c);
    free(file);

    stop(f);

    /* A compact Redis file with most encodings (saved with and without a checksum), then every
     * byte flipped and every truncation. */
    for (int crc = 1; crc >= 0; crc--) {
        const char *extra[] = { "--rdbchecksum", crc ? "yes" : "no", NULL };
        const char *name = crc ? "flips-crc.rdb" : "flips-nocrc.rdb";
        start(f, name, extra);
        cmdf_ok(f, "SET", "a", "1", NULL);
        cmdf_ok(f, "SET", "b", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NULL);
        cmdf_ok(f, "SET", "t", "ttl", "PX", "100000000", NULL);
        cmdf_ok(f, "HSET", "h", "f1", "v1", "f2", "22", "f3", "cccccccccccccccccccccccccccccc",
                NULL);
        cmdf_ok(f, "SADD", "s", "1", "2", NULL);
        cmdf_ok(f, "ZADD", "z", "1", "m", NULL);
        cmdf_ok(f, "XADD", "x", "1-1", "f", "v", NULL);
        cmdf_ok(f, "XGROUP", "CREATE", "x", "g", "0", NULL);
        cmdf_ok(f, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">", NULL);
        file = save_and_read(f, name, &n);
        stop(f);
        save_seed(name, file, n);
        if (!crc)
            for (size_t i = n - 8; i < n; i++)
                assert_int_equal(file[i], 0); /* Redis wrote "no checksum" */
        struct tmodel expect;
        assert_int_equal(decode_mem(file, n, RDB_DEC_SKIP_UNSUPPORTED, &c, err, sizeof(err), NULL),
                         0);
        expect = c.m;
        memset(&c, 0, sizeof(c));
        unsigned same = 0, rejected = 0, different = 0;
        for (size_t pos = 0; pos < n; pos++) {
            static const uint8_t masks[] = { 0x01, 0x80, 0xff };
            for (size_t mi = 0; mi < sizeof(masks); mi++) {
                file[pos] ^= masks[mi];
                uint64_t off = 0;
                char why[256];
                int rc = decode_mem(file, n, RDB_DEC_SKIP_UNSUPPORTED, &c, err, sizeof(err), &off);
                if (rc == 0) {
                    if (tmodel_equal(&expect, &c.m, why, sizeof(why)))
                        same++;
                    else if (crc)
                        fail_msg("flip at %zu accepted with different data: %s", pos, why);
                    else
                        different++;
                } else {
                    if (off > n || strstr(err, " at offset ") == NULL)
                        fail_msg("flip at %zu: %s", pos, err);
                    rejected++;
                }
                tcollect_free(&c);
                file[pos] ^= masks[mi];
            }
        }
        for (size_t len = 0; len < n; len++) {
            uint8_t *cut = xmalloc(len);
            memcpy(cut, file, len);
            uint64_t off = 0;
            assert_int_not_equal(
                decode_mem(cut, len, RDB_DEC_SKIP_UNSUPPORTED, &c, err, sizeof(err), &off), 0);
            assert_true(off <= len);
            tcollect_free(&c);
            free(cut);
        }
        print_message("redis file (%zu bytes, rdbchecksum %s): flips same=%u different=%u "
                      "rejected=%u; all %zu truncations rejected\n",
                      n, crc ? "yes" : "no", same, different, rejected, n);
        tmodel_free(&expect);
        free(file);
    }
}

/* ---- hand-made encodings into Redis ------------------------------------------------------- */

static void test_redis_loads_handmade_encodings(void **state)
{
    REQUIRE_REDIS();
    struct fixture *f = *state;
    struct tmodel m = { 0 };
    struct rdb_buf b = { 0 };
    assert_int_equal(rdb_enc_header(&b, 10), 0);
    assert_int_equal(rdb_enc_selectdb(&b, 0), 0);

    static const char *const vals[] = { "0",          "12",          "-1",
                                        "127",        "-129",        "4095",
                                        "-4096",      "32767",       "-32768",
                                        "8388607",    "-8388608",    "2147483647",
                                        "-2147483648", "4294967296", "-9223372036854775808",
                                        "",           "text",        "007" };
    struct tblob t[3];
    const uint8_t types[] = { RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_ZIPMAP };
    const char *keys[] = { "h:listpack", "h:ziplist", "h:zipmap" };
    char long_val[300];
    memset(long_val, 'L', sizeof(long_val));
    for (int k = 0; k < 3; k++) {
        struct tkey *key = tmodel_add_hash(&m, 0, keys[k], strlen(keys[k]), RDB_NO_EXPIRE);
        if (k == 0)
            lp_begin(&t[k]);
        else if (k == 1)
            zl_begin(&t[k]);
        else
            zm_begin(&t[k]);
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]) + 1; i++) {
            char fk[16];
            snprintf(fk, sizeof(fk), "f%zu", i);
            const char *v = i < sizeof(vals) / sizeof(vals[0]) ? vals[i] : long_val;
            size_t vl = i < sizeof(vals) / sizeof(vals[0]) ? strlen(v) : sizeof(long_val);
            tkey_add_field(key, fk, strlen(fk), v, vl);
            if (k == 0) {
                lp_add(&t[k], fk, strlen(fk));
                lp_add(&t[k], v, vl);
            } else if (k == 1) {
                zl_add(&t[k], fk, strlen(fk));
                zl_add(&t[k], v, vl);
            } else {
                zm_add(&t[k], fk, strlen(fk), v, vl);
            }
        }
        if (k == 0)
            lp_end(&t[k], 0);
        else if (k == 1)
            zl_end(&t[k]);
        else
            zm_end(&t[k]);
        assert_int_equal(rdb_buf_put_u8(&b, types[k]), 0);
        assert_int_equal(rdb_enc_str(&b, keys[k], strlen(keys[k])), 0);
        if (k == 1)
            rdb_put_lzf_str(&b, t[k].b.data, t[k].b.len);
        else
            assert_int_equal(rdb_enc_len(&b, t[k].b.len) || rdb_buf_append(&b, t[k].b.data,
                                                                             t[k].b.len),
                             0);
        rdb_buf_free(&t[k].b);
    }
    /* LZF-compressed key and value from the test compressor. */
    char text[5000];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = "lorem ipsum dolor sit amet "[i % 27];
    assert_int_equal(rdb_buf_put_u8(&b, RDB_TYPE_STRING), 0);
    rdb_put_lzf_str(&b, "compressed-key-compressed-key-compressed-key", 44);
    rdb_put_lzf_str(&b, text, sizeof(text));
    tmodel_add_string(&m, 0, "compressed-key-compressed-key-compressed-key", 44, text,
                      sizeof(text), RDB_NO_EXPIRE);
    assert_int_equal(rdb_enc_eof(&b), 0);
    rdb_put_trailer(&b, 1);

    char path[512];
    snprintf(path, sizeof(path), "%s/handmade.rdb", f->dir);
    assert_int_equal(write_file(path, b.data, b.len), 0);
    check_rdb_file(path);
    save_seed("handmade.rdb", b.data, b.len);

    struct tcollect c;
    char err[512], why[256];
    if (decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL) != 0)
        fail_msg("%s", err);
    assert_true(tmodel_equal(&m, &c.m, why, sizeof(why)));
    tcollect_free(&c);

    const char *extra[] = { "--sanitize-dump-payload", "yes", NULL };
    start(f, "handmade.rdb", extra);
    tmodel_sort(&m);
    compare_with_redis(f, &m);
    stop(f);
    rdb_buf_free(&b);
    tmodel_free(&m);
}

int rdb_run_redis_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_loads_our_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_saved_file_decodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_list_refused_and_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_loads_handmade_encodings, setup, teardown),
    };
    return cmocka_run_group_tests_name("rdb_redis", tests, NULL, NULL);
}
