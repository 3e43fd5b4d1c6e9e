/* Corruption tests: every single-byte change (several bit masks) and every truncation of small
 * RDB files is either decoded identically (or, where no CRC protects the file, decoded to some
 * data) or rejected with an error that carries a byte offset; nothing crashes, hangs or
 * overreads (this group also runs under ASan+UBSan). */
#include "test_rdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb_test_util.h"

/* A small file with every encoding the decoder understands plus skippable types. */
static void build_fixture(struct rdb_buf *b, int crc)
{
    assert_int_equal(rdb_enc_header(b, 10), 0);
    assert_int_equal(rdb_enc_aux(b, "redis-ver", "7.0.15"), 0);
    assert_int_equal(rdb_enc_aux_int(b, "ctime", 1700000000), 0);
    assert_int_equal(rdb_enc_selectdb(b, 0), 0);
    assert_int_equal(rdb_enc_resizedb(b, 10, 2), 0);
    assert_int_equal(rdb_enc_string(b, "s", 1, "hello", 5, RDB_NO_EXPIRE), 0);
    assert_int_equal(rdb_enc_string(b, "n", 1, "-12345", 6, 1900000000000LL), 0);
    assert_int_equal(rdb_enc_string(b, "e", 1, "", 0, RDB_NO_EXPIRE), 0);
    uint8_t t0 = RDB_TYPE_STRING;
    assert_int_equal(rdb_buf_append(b, &t0, 1), 0);
    assert_int_equal(rdb_enc_str(b, "lzf", 3), 0);
    rdb_put_lzf_str(b, "abcabcabcabcabcabcabcabcabcabcXYZ", 33);
    assert_int_equal(rdb_enc_hash_begin(b, "h", 1, 2, 1900000000000LL), 0);
    assert_int_equal(rdb_enc_hash_field(b, "f1", 2, "v1", 2), 0);
    assert_int_equal(rdb_enc_hash_field(b, "f2", 2, "300", 3), 0);

    struct tblob t;
    uint8_t ty;
    lp_begin(&t);
    lp_add(&t, "a", 1);
    lp_add(&t, "1", 1);
    lp_add(&t, "bb", 2);
    lp_add(&t, "-5000", 5);
    lp_end(&t, 0);
    ty = RDB_TYPE_HASH_LISTPACK;
    assert_int_equal(rdb_buf_append(b, &ty, 1), 0);
    assert_int_equal(rdb_enc_str(b, "hlp", 3), 0);
    assert_int_equal(rdb_enc_len(b, t.b.len), 0);
    assert_int_equal(rdb_buf_append(b, t.b.data, t.b.len), 0);
    rdb_buf_free(&t.b);

    zl_begin(&t);
    zl_add(&t, "z", 1);
    zl_add(&t, "70000", 5);
    zl_end(&t);
    ty = RDB_TYPE_HASH_ZIPLIST;
    assert_int_equal(rdb_buf_append(b, &ty, 1), 0);
    assert_int_equal(rdb_enc_str(b, "hzl", 3), 0);
    assert_int_equal(rdb_enc_len(b, t.b.len), 0);
    assert_int_equal(rdb_buf_append(b, t.b.data, t.b.len), 0);
    rdb_buf_free(&t.b);

    zm_begin(&t);
    zm_add(&t, "k", 1, "v", 1);
    zm_end(&t);
    ty = RDB_TYPE_HASH_ZIPMAP;
    assert_int_equal(rdb_buf_append(b, &ty, 1), 0);
    assert_int_equal(rdb_enc_str(b, "hzm", 3), 0);
    assert_int_equal(rdb_enc_len(b, t.b.len), 0);
    assert_int_equal(rdb_buf_append(b, t.b.data, t.b.len), 0);
    rdb_buf_free(&t.b);

    uint64_t counts[RDB_TYPE_MAX + 1] = { 0 };
    put_unsupported(b, counts);
    assert_int_equal(rdb_enc_selectdb(b, 2), 0);
    assert_int_equal(rdb_enc_string(b, "last", 4, "x", 1, RDB_NO_EXPIRE), 0);
    assert_int_equal(rdb_enc_eof(b), 0);
    rdb_put_trailer(b, crc);
}

struct outcome {
    unsigned same, different, rejected;
};

/* Decodes one variant and checks the invariant. */
static void check_one(const uint8_t *p, size_t n, uint32_t flags, int must_match,
                      struct tmodel *expect, struct outcome *o, const char *what, size_t pos)
{
    struct tcollect c;
    char err[1024], why[256];
    uint64_t off = 0;
    int rc = decode_mem(p, n, flags, &c, err, sizeof(err), &off);
    if (rc == 0) {
        if (tmodel_equal(expect, &c.m, why, sizeof(why))) {
            o->same++;
        } else if (must_match) {
            fail_msg("%s at %zu: accepted with different data (%s)", what, pos, why);
        } else {
            o->different++;
        }
    } else {
        if (off == UINT64_MAX || off > n || strstr(err, " at offset ") == NULL)
            fail_msg("%s at %zu: error without a valid offset (%llu): %s", what, pos,
                     (unsigned long long)off, err);
        o->rejected++;
    }
    tcollect_free(&c);
}

static void run_variants(uint8_t *f, size_t n, uint32_t flags, int must_match, const char *label)
{
    struct tcollect c;
    char err[1024];
    int rc = decode_mem(f, n, flags, &c, err, sizeof(err), NULL);
    if (rc != 0)
        fail_msg("%s: fixture does not decode: %s", label, err);
    struct tmodel expect = c.m;
    memset(&c.m, 0, sizeof(c.m));

    struct outcome o = { 0 };
    static const uint8_t masks[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
    for (size_t pos = 0; pos < n; pos++) {
        uint8_t saved = f[pos];
        for (size_t m = 0; m < sizeof(masks); m++) {
            f[pos] = saved ^ masks[m];
            check_one(f, n, flags, must_match, &expect, &o, "flip", pos);
        }
        f[pos] = saved;
    }
    struct outcome t = { 0 };
    for (size_t len = 0; len < n; len++) {
        uint8_t *cut = xmalloc(len); /* exact-size copy: ASan catches any overread */
        memcpy(cut, f, len);
        check_one(cut, len, flags, 1, &expect, &t, "truncation", len);
        free(cut);
    }
    assert_int_equal(t.rejected, n); /* a cut file never passes */
    print_message("%s (%zu bytes): flips same=%u different=%u rejected=%u; truncations rejected=%u\n",
                  label, n, o.same, o.different, o.rejected, t.rejected);
    tmodel_free(&expect);
}

static void test_flips_crc(void **state)
{
    struct rdb_buf b = { 0 };
    build_fixture(&b, 1);
    save_seed("fixture-crc.rdb", b.data, b.len);
    run_variants(b.data, b.len, RDB_DEC_SKIP_UNSUPPORTED, 1, "CRC-protected file");
    rdb_buf_free(&b);
}

static void test_flips_no_crc(void **state)
{
    struct rdb_buf b = { 0 };
    build_fixture(&b, 0);
    save_seed("fixture-nocrc.rdb", b.data, b.len);
    run_variants(b.data, b.len, RDB_DEC_SKIP_UNSUPPORTED, 0, "file with CRC 0");
    rdb_buf_free(&b);
    build_fixture(&b, 1);
    run_variants(b.data, b.len, RDB_DEC_SKIP_UNSUPPORTED | RDB_DEC_NO_CRC, 0,
                 "CRC file read with RDB_DEC_NO_CRC");
    rdb_buf_free(&b);
}

/* Through a file descriptor: truncations and flips read via the buffered source. */
static void test_fd_variants(void **state)
{
    struct rdb_buf b = { 0 };
    build_fixture(&b, 1);
    char *dir = make_tmpdir("corrupt");
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof(path), "%s/x.rdb", dir);
    struct rdb_dec_opts o = { .flags = RDB_DEC_SKIP_UNSUPPORTED };
    struct rdb_dec *d = rdb_dec_new(&o, NULL, NULL);
    for (size_t len = 0; len <= b.len; len++) {
        assert_int_equal(write_file(path, b.data, len), 0);
        int rc = rdb_dec_load_file(d, path);
        if (len == b.len) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_not_equal(rc, 0);
            assert_true(rdb_dec_error_offset(d) <= len);
            assert_non_null(strstr(rdb_dec_error(d), path));
        }
    }
    for (size_t pos = 0; pos < b.len; pos += 3) {
        b.data[pos] ^= 0x20;
        assert_int_equal(write_file(path, b.data, b.len), 0);
        if (rdb_dec_load_file(d, path) != 0)
            assert_true(rdb_dec_error_offset(d) <= b.len);
        b.data[pos] ^= 0x20;
    }
    rdb_dec_destroy(&d);
    remove_tree(dir);
    free(dir);
    rdb_buf_free(&b);
}

int rdb_run_corrupt_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flips_crc),
        cmocka_unit_test(test_flips_no_crc),
        cmocka_unit_test(test_fd_variants),
    };
    return cmocka_run_group_tests_name("rdb_corrupt", tests, NULL, NULL);
}
