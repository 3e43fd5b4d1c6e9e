/*
 * test_rdb_types.c - the decoder on encoded hashes (zipmap, ziplist, listpack) and on the Redis
 * types dpcache does not support (refused with the key and type named, or skipped on request).
 */
#include "test_rdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb_units_util.h"

/* ---- decoder: encoded hashes ----------------------------------------------------------------- */

/* Field/value pairs covering every listpack and ziplist encoding. */
static const char *const pair_values[] = {
    "0", "12", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32767", "32768",
    "-8388608", "8388607", "8388608", "2147483647", "-2147483648", "2147483648",
    "9223372036854775807", "-9223372036854775808", "007", "-0", "", "x",
};

/* one field: into the expected key, and into the blob in @kind's encoding (0 listpack,
 * 1 ziplist, 2 zipmap) */
static void add_pair(struct tkey *k, struct tblob *t, int kind, const char *f, const char *v,
                     size_t vlen)
{
    tkey_add_field(k, f, strlen(f), v, vlen);
    if (kind == 0) {
        lp_add(t, f, strlen(f));
        lp_add(t, v, vlen);
    } else if (kind == 1) {
        zl_add(t, f, strlen(f));
        zl_add(t, v, vlen);
    } else {
        zm_add(t, f, strlen(f), v, vlen);
    }
}

static void add_pairs(struct tkey *k, struct tblob *t, int kind, int with_big)
{
    char big[5000];
    memset(big, 'B', sizeof(big));
    for (size_t i = 0; i < sizeof(pair_values) / sizeof(pair_values[0]); i++) {
        char f[16];
        snprintf(f, sizeof(f), "f%zu", i);
        const char *v = pair_values[i];
        add_pair(k, t, kind, f, v, strlen(v));
    }
    /* Integer fields with integer values (both rendered from integer encodings). */
    for (int i = 0; i < 4; i++) {
        char f[16], v[16];
        snprintf(f, sizeof(f), "%d", 1000 + i * 100000);
        snprintf(v, sizeof(v), "%d", -i);
        add_pair(k, t, kind, f, v, strlen(v));
    }
    /* Strings of 63/64, 300 (ziplist 14-bit and big prevlen), 4095/4096 and 20000 bytes. */
    const size_t sizes[] = { 63, 64, 300, 4095, 4096, 20000 };
    for (size_t i = 0; i < (with_big ? sizeof(sizes) / sizeof(sizes[0]) : 3); i++) {
        char f[16];
        snprintf(f, sizeof(f), "s%zu", sizes[i]);
        char *v = xmalloc(sizes[i]);
        memset(v, 'a' + (int)i, sizes[i]);
        add_pair(k, t, kind, f, v, sizes[i]);
        free(v);
    }
}

static void test_encoded_hashes(void **state)
{
    struct tmodel m = { 0 };
    struct rdb_buf b = { 0 };
    file_begin(&b, 10);
    struct tblob t[4];
    const int kinds[] = { 0, 0, 1, 2 };
    const uint8_t types[] = { RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH_LISTPACK,
                              RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_ZIPMAP };
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof(key), "hash%d", i);
        struct tkey *k = tmodel_add_hash(&m, 0, key, strlen(key), RDB_NO_EXPIRE);
        if (kinds[i] == 0)
            lp_begin(&t[i]);
        else if (kinds[i] == 1)
            zl_begin(&t[i]);
        else
            zm_begin(&t[i]);
        add_pairs(k, &t[i], kinds[i], 1);
        if (kinds[i] == 0)
            lp_end(&t[i], i == 1); /* #1: element count "unknown" */
        else if (kinds[i] == 1)
            zl_end(&t[i]);
        else
            zm_end(&t[i]);
        put8(&b, types[i]);
        put_str(&b, key);
        if (i == 0)
            rdb_put_lzf_str(&b, t[i].b.data, t[i].b.len); /* LZF-compressed blob */
        else
            put_raw_str(&b, t[i].b.data, t[i].b.len);
    }
    file_end(&b, 1);
    struct tcollect c;
    char err[512], why[256];
    int rc = decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL);
    if (rc != 0)
        fail_msg("%s", err);
    if (!tmodel_equal(&m, &c.m, why, sizeof(why)))
        fail_msg("%s", why);
    tcollect_free(&c);

    /* Every single-byte change inside the raw listpack and ziplist blobs (CRC off) is either
     * accepted or rejected with an offset inside the file; never a crash (ASan run). */
    for (int i = 1; i < 4; i++) {
        struct tmodel sm = { 0 };
        struct tkey *sk = tmodel_add_hash(&sm, 0, "k", 1, RDB_NO_EXPIRE);
        struct tblob small;
        if (kinds[i] == 0)
            lp_begin(&small);
        else if (kinds[i] == 1)
            zl_begin(&small);
        else
            zm_begin(&small);
        add_pairs(sk, &small, kinds[i], 0);
        if (kinds[i] == 0)
            lp_end(&small, 0);
        else if (kinds[i] == 1)
            zl_end(&small);
        else
            zm_end(&small);
        tmodel_free(&sm);
        struct rdb_buf f = { 0 };
        file_begin(&f, 10);
        put8(&f, types[i]);
        put_str(&f, "k");
        put_raw_str(&f, small.b.data, small.b.len);
        file_end(&f, 0);
        size_t start = f.len - 9 - small.b.len;
        for (size_t pos = start; pos < f.len - 9; pos++) {
            uint8_t saved = f.data[pos];
            const uint8_t masks[] = { 0x01, 0x40, 0x80, 0xff };
            for (size_t mi = 0; mi < sizeof(masks); mi++) {
                f.data[pos] = saved ^ masks[mi];
                uint64_t off = 0;
                rc = decode_mem(f.data, f.len, 0, &c, err, sizeof(err), &off);
                tcollect_free(&c);
                if (rc != 0 && (off >= f.len || strstr(err, "at offset") == NULL))
                    fail_msg("blob %d byte %zu: %s", i, pos, err);
            }
            f.data[pos] = saved;
        }
        rdb_buf_free(&f);
        rdb_buf_free(&small.b);
    }

    /* Specific structural errors report the position inside the blob. */
    struct rdb_buf f = { 0 };
    file_begin(&f, 10);
    put8(&f, RDB_TYPE_HASH_LISTPACK);
    put_str(&f, "k");
    put_raw_str(&f, t[0].b.data, t[0].b.len);
    size_t blob_at = f.len - t[0].b.len;
    file_end(&f, 0);
    f.data[blob_at + 0] ^= 1; /* total-bytes header */
    assert_int_equal(expect_fail(&f, 0, -EBADMSG, "total-bytes header does not match"), blob_at);
    f.data[blob_at + 0] ^= 1;
    f.data[blob_at + 4] ^= 1; /* element count header */
    assert_int_equal(expect_fail(&f, 0, -EBADMSG, "element-count header"), blob_at + 4);
    f.data[blob_at + 4] ^= 1;
    f.data[blob_at + 6 + 3] ^= 0x01; /* backlen of the first entry "f0" (0x82 'f' '0' backlen) */
    assert_int_equal(expect_fail(&f, 0, -EBADMSG, "back-length does not match"), blob_at + 9);
    rdb_buf_free(&f);

    for (int i = 0; i < 4; i++)
        rdb_buf_free(&t[i].b);
    rdb_buf_free(&b);
    tmodel_free(&m);
}

/* ---- decoder: unsupported types ------------------------------------------------------------ */

int put_unsupported(struct rdb_buf *b, uint64_t counts[])
{
    int n = 0;
    struct tblob t;
#define KEY(type, name) (put8(b, (type)), put_str(b, (name)), counts[(type)]++, n++)
    KEY(RDB_TYPE_LIST, "mylist");
    assert_int_equal(rdb_enc_len(b, 3), 0);
    put_str(b, "a");
    put_str(b, "123");
    rdb_put_lzf_str(b, "cccccccccccccccccccccccccccccccc", 32);
    KEY(RDB_TYPE_SET, "myset");
    assert_int_equal(rdb_enc_len(b, 2), 0);
    put_str(b, "x");
    put_str(b, "y");
    KEY(RDB_TYPE_ZSET, "zset1");
    assert_int_equal(rdb_enc_len(b, 4), 0);
    put_str(b, "a");
    put8(b, 3);
    put(b, "1.5", 3);
    put_str(b, "b");
    put8(b, 253); /* nan */
    put_str(b, "c");
    put8(b, 254); /* +inf */
    put_str(b, "d");
    put8(b, 255); /* -inf */
    KEY(RDB_TYPE_ZSET_2, "zset2");
    assert_int_equal(rdb_enc_len(b, 1), 0);
    put_str(b, "m");
    double sc = 2.5;
    put(b, &sc, 8);
    KEY(RDB_TYPE_SET_INTSET, "intset");
    const uint8_t is[] = { 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 0xff, 0x7f };
    put_raw_str(b, is, sizeof(is));
    KEY(RDB_TYPE_LIST_ZIPLIST, "lzl");
    zl_begin(&t);
    zl_add(&t, "a", 1);
    zl_add(&t, "5", 1);
    zl_end(&t);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    KEY(RDB_TYPE_ZSET_ZIPLIST, "zzl");
    zl_begin(&t);
    zl_add(&t, "m", 1);
    zl_add(&t, "1", 1);
    zl_end(&t);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    KEY(RDB_TYPE_LIST_QUICKLIST, "ql");
    assert_int_equal(rdb_enc_len(b, 2), 0);
    for (int i = 0; i < 2; i++) {
        zl_begin(&t);
        zl_add(&t, "node", 4);
        zl_end(&t);
        put_raw_str(b, t.b.data, t.b.len);
        rdb_buf_free(&t.b);
    }
    KEY(RDB_TYPE_ZSET_LISTPACK, "zlp");
    lp_begin(&t);
    lp_add(&t, "m", 1);
    lp_add(&t, "3", 1);
    lp_end(&t, 0);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    KEY(RDB_TYPE_LIST_QUICKLIST_2, "ql2");
    assert_int_equal(rdb_enc_len(b, 2), 0);
    assert_int_equal(rdb_enc_len(b, RDB_QUICKLIST_NODE_PACKED), 0);
    lp_begin(&t);
    lp_add(&t, "a", 1);
    lp_end(&t, 0);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    assert_int_equal(rdb_enc_len(b, RDB_QUICKLIST_NODE_PLAIN), 0);
    put_str(b, "a plain node");
    KEY(RDB_TYPE_SET_LISTPACK, "slp");
    lp_begin(&t);
    lp_add(&t, "a", 1);
    lp_end(&t, 0);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    KEY(RDB_TYPE_STREAM_LISTPACKS_3, "stream3");
    assert_int_equal(rdb_enc_len(b, 1), 0);
    put_raw_str(b, "0123456789abcdef", 16);
    lp_begin(&t);
    lp_add(&t, "1", 1);
    lp_end(&t, 0);
    put_raw_str(b, t.b.data, t.b.len);
    rdb_buf_free(&t.b);
    for (int i = 0; i < 8; i++) /* length, last id, first id, max deleted id, entries added */
        assert_int_equal(rdb_enc_len(b, (uint64_t)i), 0);
    assert_int_equal(rdb_enc_len(b, 1), 0); /* one group */
    put_str(b, "grp");
    for (int i = 0; i < 3; i++)
        assert_int_equal(rdb_enc_len(b, 1), 0);
    assert_int_equal(rdb_enc_len(b, 1), 0); /* PEL: one entry */
    put(b, "IIIIIIIIIIIIIIIITTTTTTTT", 24);
    assert_int_equal(rdb_enc_len(b, 2), 0);
    assert_int_equal(rdb_enc_len(b, 1), 0); /* one consumer */
    put_str(b, "alice");
    put(b, "SSSSSSSSAAAAAAAA", 16);
    assert_int_equal(rdb_enc_len(b, 1), 0);
    put(b, "IIIIIIIIIIIIIIII", 16);
#undef KEY
    return n;
}

static void test_unsupported_types(void **state)
{
    uint64_t counts[RDB_TYPE_MAX + 1] = { 0 };
    struct rdb_buf b = { 0 };
    file_begin(&b, 10);
    int n = put_unsupported(&b, counts);
    assert_int_equal(rdb_enc_string(&b, "last", 4, "ok", 2, RDB_NO_EXPIRE), 0);
    file_end(&b, 1);

    assert_int_equal(expect_fail(&b, 0, -ENOTSUP,
                                 "key \"mylist\" has type list (RDB type 1), which dpcache does "
                                 "not support, at offset 9"),
                     9);

    struct tcollect c = { 0 };
    struct rdb_dec_opts o = { .flags = RDB_DEC_SKIP_UNSUPPORTED };
    struct rdb_dec *d = rdb_dec_new(&o, &tcollect_ops, &c);
    int rc = rdb_dec_load_mem(d, b.data, b.len);
    if (rc != 0)
        fail_msg("%s", rdb_dec_error(d));
    const struct rdb_dec_stats *st = rdb_dec_get_stats(d);
    assert_int_equal(st->skipped, n);
    for (int t = 0; t <= RDB_TYPE_MAX; t++)
        assert_int_equal(st->skipped_by_type[t], counts[t]);
    assert_int_equal(c.m.n, 1);
    assert_int_equal(st->crc_checked, 1);
    tcollect_free(&c);
    rdb_dec_destroy(&d);

    /* Module values are refused even with the skip flag. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_MODULE_2);
    put_str(&b, "mod");
    assert_int_equal(rdb_enc_len(&b, 99), 0);
    file_end(&b, 1);
    expect_fail(&b, RDB_DEC_SKIP_UNSUPPORTED, -ENOTSUP,
                "key \"mod\" has type module (RDB type 7), which dpcache does not support");

    /* A corrupt skipped blob is still caught. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_SET_INTSET);
    put_str(&b, "badset");
    const uint8_t bad[] = { 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0 };
    put_raw_str(&b, bad, sizeof(bad));
    file_end(&b, 1);
    expect_fail(&b, RDB_DEC_SKIP_UNSUPPORTED, -EBADMSG, "invalid intset encoding");
    rdb_buf_free(&b);
}

int rdb_run_type_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_hashes),
        cmocka_unit_test(test_unsupported_types),
    };
    return cmocka_run_group_tests_name("rdb_types", tests, NULL, NULL);
}
