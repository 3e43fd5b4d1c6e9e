/* Unit tests of the RDB library without external processes: CRC64, LZF, record encoders, the
 * decoder (all encodings, opcodes, limits, skips, errors) and the durable file writer. */
#include "test_rdb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rdb_test_util.h"

#include "rdb_units_util.h"

/* ---- CRC64 -------------------------------------------------------------------------------- */

static void test_crc64_check_value(void **state)
{
    assert_true(rdb_crc64(0, "123456789", 9) == RDB_CRC64_CHECK);
    assert_true(rdb_crc64_bitwise(0, "123456789", 9) == RDB_CRC64_CHECK);
    assert_true(rdb_crc64(0, NULL, 0) == 0);

    uint8_t buf[4096 + 16];
    fill_random(buf, sizeof(buf), 42);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 300; n += 7)
            assert_true(rdb_crc64(0, buf + off, n) == rdb_crc64_bitwise(0, buf + off, n));
    /* Incremental == one shot, whatever the split. */
    uint64_t whole = rdb_crc64(0, buf, 4096);
    for (size_t cut = 0; cut <= 4096; cut += 61)
        assert_true(rdb_crc64(rdb_crc64(0, buf, cut), buf + cut, 4096 - cut) == whole);
}

/* ---- LZF ---------------------------------------------------------------------------------- */

static void test_lzf(void **state)
{
    uint8_t out[64];
    size_t bad = 0;
    /* literal "abc" */
    const uint8_t lit[] = { 2, 'a', 'b', 'c' };
    assert_int_equal(rdb_lzf_decompress(lit, sizeof(lit), out, 3, &bad), 0);
    assert_memory_equal(out, "abc", 3);
    /* "ab" then an overlapping reference of 6 bytes at distance 2: "abababab" */
    const uint8_t ovl[] = { 1, 'a', 'b', (4 << 5) | 0, 1 };
    assert_int_equal(rdb_lzf_decompress(ovl, sizeof(ovl), out, 8, &bad), 0);
    assert_memory_equal(out, "abababab", 8);
    /* long reference: len field 7 + extra byte */
    const uint8_t lng[] = { 0, 'x', (7 << 5) | 0, 10, 0 }; /* 7+10+2 = 19 more 'x' */
    assert_int_equal(rdb_lzf_decompress(lng, sizeof(lng), out, 20, &bad), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(out[i], 'x');

    /* errors */
    const uint8_t before[] = { 0, 'a', (1 << 5) | 0, 5 }; /* distance 6 > 1 byte of output */
    assert_int_equal(rdb_lzf_decompress(before, sizeof(before), out, 4, &bad), -EBADMSG);
    assert_int_equal(bad, 2);
    const uint8_t trunc_lit[] = { 5, 'a', 'b' };
    assert_int_equal(rdb_lzf_decompress(trunc_lit, sizeof(trunc_lit), out, 6, &bad), -EBADMSG);
    assert_int_equal(bad, 0);
    const uint8_t trunc_ref[] = { 0, 'a', (7 << 5) };
    assert_int_equal(rdb_lzf_decompress(trunc_ref, sizeof(trunc_ref), out, 30, &bad), -EBADMSG);
    assert_int_equal(rdb_lzf_decompress(lit, sizeof(lit), out, 2, &bad), -EBADMSG); /* overflow */
    assert_int_equal(rdb_lzf_decompress(lit, sizeof(lit), out, 5, &bad), -EBADMSG); /* short */
    assert_int_equal(rdb_lzf_decompress(lit, 0, out, 0, &bad), 0);

    /* round trip through the test compressor on mixed data */
    size_t n = 200000;
    uint8_t *src = xmalloc(n), *dst = xmalloc(n);
    fill_random(src, n, 3);
    for (size_t i = 0; i < n; i++)
        if ((i / 1000) % 2 == 0)
            src[i] = (uint8_t)("hello world "[i % 12]);
    struct rdb_buf c = { 0 };
    lzf_compress_simple(&c, src, n);
    assert_true(c.len < n);
    assert_int_equal(rdb_lzf_decompress(c.data, c.len, dst, n, &bad), 0);
    assert_memory_equal(src, dst, n);
    rdb_buf_free(&c);
    free(src);
    free(dst);
}

/* ---- encoder ------------------------------------------------------------------------------ */

static void test_enc_lengths_and_ints(void **state)
{
    struct rdb_buf b = { 0 };
    const struct {
        uint64_t v;
        size_t n;
        uint8_t first;
    } lens[] = {
        { 0, 1, 0x00 },      { 63, 1, 0x3f },          { 64, 2, 0x40 },
        { 16383, 2, 0x7f },  { 16384, 5, 0x80 },        { UINT32_MAX, 5, 0x80 },
        { (uint64_t)UINT32_MAX + 1, 9, 0x81 },
    };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        rdb_buf_reset(&b);
        assert_int_equal(rdb_enc_len(&b, lens[i].v), 0);
        assert_int_equal(b.len, lens[i].n);
        assert_int_equal(b.data[0], lens[i].first);
    }
    rdb_buf_reset(&b);
    assert_int_equal(rdb_enc_len(&b, 0x1234), 0);
    assert_int_equal(b.data[0], 0x52);
    assert_int_equal(b.data[1], 0x34);

    const struct {
        const char *s;
        uint8_t enc; /* first byte; 0xff = raw */
    } ints[] = {
        { "0", 0xC0 },           { "-1", 0xC0 },         { "127", 0xC0 },
        { "-128", 0xC0 },        { "128", 0xC1 },        { "-129", 0xC1 },
        { "32767", 0xC1 },       { "32768", 0xC2 },      { "2147483647", 0xC2 },
        { "-2147483648", 0xC2 }, { "2147483648", 0xff }, { "007", 0xff },
        { "-0", 0xff },          { "+1", 0xff },         { " 1", 0xff },
        { "1 ", 0xff },          { "", 0xff },           { "-", 0xff },
        { "12345678901", 0xff },
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        rdb_buf_reset(&b);
        put_str(&b, ints[i].s);
        if (ints[i].enc == 0xff)
            assert_int_equal(b.data[0], strlen(ints[i].s));
        else
            assert_int_equal(b.data[0], ints[i].enc);
    }
    rdb_buf_free(&b);
}

static void test_enc_records(void **state)
{
    struct rdb_buf b = { 0 };
    assert_int_equal(rdb_enc_header(&b, RDB_VERSION_WRITE), 0);
    assert_memory_equal(b.data, "REDIS0009", 9);
    assert_int_equal(rdb_enc_header(&b, 8), -EINVAL);
    assert_int_equal(rdb_enc_header(&b, 11), -EINVAL);
    assert_int_equal(b.len, 9);

    rdb_buf_reset(&b);
    assert_int_equal(rdb_enc_string(&b, "k", 1, "v", 1, 0x0102030405060708LL), 0);
    const uint8_t want[] = { 0xFC, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 'k', 1, 'v' };
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));

    size_t before = b.len;
    assert_int_equal(rdb_enc_string(&b, "k", 1, "v", 1, -2), -EINVAL);
    assert_int_equal(rdb_enc_hash_begin(&b, "h", 1, 0, RDB_NO_EXPIRE), -EINVAL);
    assert_int_equal(rdb_enc_string(&b, NULL, 3, "v", 1, RDB_NO_EXPIRE), -EINVAL);
    assert_int_equal(b.len, before);

    rdb_buf_reset(&b);
    assert_int_equal(rdb_enc_hash_begin(&b, "h", 1, 2, RDB_NO_EXPIRE), 0);
    assert_int_equal(rdb_enc_hash_field(&b, "a", 1, "1", 1), 0);
    const uint8_t hw[] = { 4, 1, 'h', 2, 1, 'a', 0xC0, 1 };
    assert_memory_equal(b.data, hw, sizeof(hw));

    uint8_t t[8];
    rdb_enc_trailer(0x1122334455667788ULL, t);
    assert_int_equal(t[0], 0x88);
    assert_int_equal(t[7], 0x11);

    /* Growth overflow is refused and leaves the buffer as it was. */
    before = b.len;
    assert_int_equal(rdb_buf_reserve(&b, SIZE_MAX), -ENOMEM);
    assert_int_equal(b.len, before);
    rdb_buf_free(&b);
}

/* ---- decoder: round trips ------------------------------------------------------------------ */

/* A model with every kind of string and hash this project writes. */
static void build_model(struct tmodel *m, int64_t base_ms)
{
    static const char bin[] = "a\0b\r\n\xff\x80z";
    tmodel_add_string(m, 0, "plain", 5, "hello", 5, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, "empty", 5, "", 0, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, "", 0, "empty key", 9, RDB_NO_EXPIRE);
    tmodel_add_string(m, 0, bin, sizeof(bin) - 1, bin, sizeof(bin) - 1, base_ms + 3600000);
    const char *ints[] = { "0", "-1", "127", "128", "-32768", "65535", "2147483647",
                           "-2147483648", "2147483648", "007", "-0", "12345678901234567890" };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char k[32];
        snprintf(k, sizeof(k), "int:%zu", i);
        tmodel_add_string(m, 1, k, strlen(k), ints[i], strlen(ints[i]),
                          i % 2 ? base_ms + 1000 * (int64_t)i : RDB_NO_EXPIRE);
    }
    tmodel_add_string(m, 0, "123", 3, "integer-looking key", 19, RDB_NO_EXPIRE);
    size_t big = 700000; /* larger than the decoder read buffer */
    uint8_t *p = xmalloc(big);
    fill_random(p, big, 11);
    tmodel_add_string(m, 7, "big", 3, p, big, base_ms + 86400000);
    free(p);
    struct tkey *h = tmodel_add_hash(m, 0, "h:small", 7, RDB_NO_EXPIRE);
    tkey_add_field(h, "name", 4, "dpcache", 7);
    tkey_add_field(h, "n", 1, "42", 2);
    tkey_add_field(h, "", 0, "", 0);
    h = tmodel_add_hash(m, 15, "h:big", 5, base_ms + 60000);
    for (int i = 0; i < 1000; i++) {
        char f[32], v[64];
        snprintf(f, sizeof(f), "field:%d", i);
        snprintf(v, sizeof(v), i % 3 ? "value-%d" : "%d", i * 7);
        tkey_add_field(h, f, strlen(f), v, strlen(v));
    }
}

static void test_roundtrip_mem(void **state)
{
    struct tmodel m = { 0 };
    build_model(&m, now_ms());
    struct rdb_buf b = { 0 };
    assert_int_equal(tmodel_encode(&m, &b, RDB_VERSION_WRITE, 1), 0);

    struct tcollect c;
    char err[1024], why[256];
    int rc = decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL);
    if (rc != 0)
        fail_msg("decode: %s", err);
    if (!tmodel_equal(&m, &c.m, why, sizeof(why)))
        fail_msg("round trip: %s", why);
    assert_int_equal(c.aux, 4);
    tcollect_free(&c);

    /* Version 10 header and a zero ("not computed") CRC decode the same. */
    rdb_buf_reset(&b);
    assert_int_equal(tmodel_encode(&m, &b, 10, 0), 0);
    assert_int_equal(decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL), 0);
    assert_true(tmodel_equal(&m, &c.m, why, sizeof(why)));
    tcollect_free(&c);

    /* Stats. */
    struct rdb_dec *d = rdb_dec_new(NULL, NULL, NULL);
    assert_non_null(d);
    rdb_buf_reset(&b);
    assert_int_equal(tmodel_encode(&m, &b, RDB_VERSION_WRITE, 1), 0);
    assert_int_equal(rdb_dec_load_mem(d, b.data, b.len), 0);
    const struct rdb_dec_stats *st = rdb_dec_get_stats(d);
    assert_int_equal(st->version, 9);
    assert_int_equal(st->keys, m.n);
    assert_int_equal(st->hashes, 2);
    assert_int_equal(st->hash_fields, 1003);
    assert_int_equal(st->crc_checked, 1);
    assert_int_equal(st->bytes, b.len);
    assert_string_equal(rdb_dec_error(d), "");
    rdb_dec_destroy(&d);
    assert_null(d);
    rdb_buf_free(&b);
    tmodel_free(&m);
}

static void test_roundtrip_fd_and_pipe(void **state)
{
    struct tmodel m = { 0 };
    build_model(&m, now_ms());
    struct rdb_buf b = { 0 };
    assert_int_equal(tmodel_encode(&m, &b, RDB_VERSION_WRITE, 1), 0);
    char *dir = make_tmpdir("fd");
    assert_non_null(dir);
    char path[512], why[256];
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    assert_int_equal(write_file(path, b.data, b.len), 0);

    struct tcollect c = { 0 };
    struct rdb_dec *d = rdb_dec_new(NULL, &tcollect_ops, &c);
    int rc = rdb_dec_load_file(d, path);
    if (rc != 0)
        fail_msg("%s", rdb_dec_error(d));
    assert_true(tmodel_equal(&m, &c.m, why, sizeof(why)));
    tcollect_free(&c);

    /* Unknown size: a pipe fed by a child. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        size_t off = 0;
        while (off < b.len) {
            ssize_t k = write(pfd[1], b.data + off, b.len - off > 3000 ? 3000 : b.len - off);
            if (k <= 0)
                _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(pfd[1]);
    rc = rdb_dec_load_fd(d, pfd[0]);
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    if (rc != 0)
        fail_msg("%s", rdb_dec_error(d));
    assert_true(tmodel_equal(&m, &c.m, why, sizeof(why)));
    tcollect_free(&c);

    /* Missing file: the message names the path. */
    snprintf(path, sizeof(path), "%s/missing.rdb", dir);
    assert_int_equal(rdb_dec_load_file(d, path), -ENOENT);
    assert_non_null(strstr(rdb_dec_error(d), path));

    rdb_dec_destroy(&d);
    remove_tree(dir);
    free(dir);
    rdb_buf_free(&b);
    tmodel_free(&m);
}

/* want_key keeps keys of odd length only; with NO_CRC and a file, big skipped values are
 * seeked over. */
static int want_odd(void *ud, uint32_t db, const uint8_t *key, size_t klen, unsigned type)
{
    return (int)(klen % 2);
}

static void test_want_key_filter(void **state)
{
    struct tmodel m = { 0 }, odd = { 0 };
    build_model(&m, now_ms());
    for (size_t i = 0; i < m.n; i++) {
        struct tkey *k = &m.keys[i];
        if (k->klen % 2 == 0)
            continue;
        struct tkey *o = k->type == TK_STRING
                             ? tmodel_add_string(&odd, k->db, k->key, k->klen, k->val, k->vlen,
                                                 k->expire_ms)
                             : tmodel_add_hash(&odd, k->db, k->key, k->klen, k->expire_ms);
        for (size_t j = 0; j < k->nfields; j++)
            tkey_add_field(o, k->fields[j].f, k->fields[j].flen, k->fields[j].v,
                           k->fields[j].vlen);
    }
    struct rdb_buf b = { 0 };
    assert_int_equal(tmodel_encode(&m, &b, RDB_VERSION_WRITE, 1), 0);
    char *dir = make_tmpdir("filter");
    char path[512], why[256];
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    assert_int_equal(write_file(path, b.data, b.len), 0);

    for (int nocrc = 0; nocrc < 2; nocrc++) {
        struct tcollect c = { 0 };
        struct rdb_dec_ops ops = tcollect_ops;
        ops.want_key = want_odd;
        struct rdb_dec_opts o = { .flags = nocrc ? RDB_DEC_NO_CRC : 0 };
        struct rdb_dec *d = rdb_dec_new(&o, &ops, &c);
        int rc = rdb_dec_load_file(d, path);
        if (rc != 0)
            fail_msg("%s", rdb_dec_error(d));
        assert_true(tmodel_equal(&odd, &c.m, why, sizeof(why)));
        assert_int_equal(rdb_dec_get_stats(d)->filtered, m.n - odd.n);
        assert_int_equal(rdb_dec_get_stats(d)->crc_checked, !nocrc);
        tcollect_free(&c);
        rdb_dec_destroy(&d);
    }
    remove_tree(dir);
    free(dir);
    rdb_buf_free(&b);
    tmodel_free(&m);
    tmodel_free(&odd);
}

static void test_callback_stop(void **state)
{
    struct tmodel m = { 0 };
    build_model(&m, now_ms());
    struct rdb_buf b = { 0 };
    assert_int_equal(tmodel_encode(&m, &b, RDB_VERSION_WRITE, 1), 0);
    struct tcollect c = { .stop_after_keys = 3 };
    struct rdb_dec *d = rdb_dec_new(NULL, &tcollect_ops, &c);
    assert_int_equal(rdb_dec_load_mem(d, b.data, b.len), -EINTR);
    assert_non_null(strstr(rdb_dec_error(d), "callback"));
    assert_int_equal(c.m.n, 3);
    tcollect_free(&c);
    rdb_dec_destroy(&d);
    rdb_buf_free(&b);
    tmodel_free(&m);
}

/* ---- decoder: opcodes, versions, CRC -------------------------------------------------------- */

static void test_versions_and_magic(void **state)
{
    struct rdb_buf b = { 0 };
    file_begin(&b, 11);
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, 0, -ENOTSUP, "unsupported RDB version 11"), 5);
    rdb_buf_reset(&b);
    file_begin(&b, 0);
    file_end(&b, 1);
    expect_fail(&b, 0, -ENOTSUP, "unsupported RDB version 0");
    rdb_buf_reset(&b);
    put(&b, "REDIS00x9", 9);
    file_end(&b, 1);
    expect_fail(&b, 0, -EBADMSG, "bad version digits");
    rdb_buf_reset(&b);
    put(&b, "RADIS0009", 9);
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, 0, -EBADMSG, "not an RDB file"), 0);
    rdb_buf_reset(&b);
    put(&b, "REDI", 4);
    expect_fail(&b, 0, -EBADMSG, "RDB truncated");

    /* Versions 1..4 have no CRC trailer. */
    for (unsigned v = 1; v <= 10; v++) {
        rdb_buf_reset(&b);
        file_begin(&b, v);
        put8(&b, RDB_TYPE_STRING);
        put_str(&b, "k");
        put_str(&b, "v");
        if (v < RDB_VERSION_CRC)
            put8(&b, RDB_OPCODE_EOF);
        else
            file_end(&b, 1);
        struct tcollect c;
        char err[512];
        assert_int_equal(decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL), 0);
        assert_int_equal(c.m.n, 1);
        tcollect_free(&c);
    }
    rdb_buf_free(&b);
}

static void test_crc_trailer(void **state)
{
    struct rdb_buf b = { 0 };
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "k");
    put_str(&b, "v");
    put8(&b, RDB_OPCODE_EOF);
    uint64_t crc = rdb_crc64(0, b.data, b.len);
    uint8_t t[8];
    rdb_enc_trailer(crc ^ 1, t);
    put(&b, t, 8);
    char want[128];
    snprintf(want, sizeof(want), "RDB CRC mismatch (computed 0x%016" PRIx64 ", stored 0x%016" PRIx64
             ") at offset %zu", crc, crc ^ 1, b.len - 8);
    assert_int_equal(expect_fail(&b, 0, -EBADMSG, want), b.len - 8);

    /* RDB_DEC_NO_CRC ignores it; a zero trailer is not checked. */
    struct tcollect c;
    assert_int_equal(decode_mem(b.data, b.len, RDB_DEC_NO_CRC, &c, NULL, 0, NULL), 0);
    tcollect_free(&c);
    memset(b.data + b.len - 8, 0, 8);
    struct rdb_dec *d = rdb_dec_new(NULL, NULL, NULL);
    assert_int_equal(rdb_dec_load_mem(d, b.data, b.len), 0);
    assert_int_equal(rdb_dec_get_stats(d)->crc_checked, 0);
    assert_true(rdb_dec_get_stats(d)->crc == crc);
    rdb_dec_destroy(&d);

    /* Missing trailer / missing EOF. */
    b.len -= 5;
    expect_fail(&b, 0, -EBADMSG, "CRC64 trailer");
    b.len -= 4;
    expect_fail(&b, 0, -EBADMSG, "EOF marker is missing");
    rdb_buf_free(&b);
}

static void test_opcodes(void **state)
{
    struct rdb_buf b = { 0 };
    file_begin(&b, 10);
    put8(&b, RDB_OPCODE_AUX);
    put_str(&b, "redis-bits");
    put_str(&b, "64");
    put8(&b, RDB_OPCODE_FUNCTION2);
    put_str(&b, "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    put8(&b, RDB_OPCODE_FUNCTION); /* 7.0-rc format */
    put_str(&b, "lib2");
    put_str(&b, "LUA");
    assert_int_equal(rdb_enc_len(&b, 1), 0);
    put_str(&b, "desc");
    put_str(&b, "code");
    assert_int_equal(rdb_enc_selectdb(&b, 3), 0);
    assert_int_equal(rdb_enc_resizedb(&b, 4, 1), 0);
    /* EXPIRETIME in seconds, IDLE and FREQ before a key. */
    put8(&b, RDB_OPCODE_EXPIRETIME);
    const uint8_t secs[4] = { 0x10, 0x27, 0, 0 }; /* 10000 s */
    put(&b, secs, 4);
    put8(&b, RDB_OPCODE_IDLE);
    assert_int_equal(rdb_enc_len(&b, 1000), 0);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "old");
    put_str(&b, "v");
    put8(&b, RDB_OPCODE_FREQ);
    put8(&b, 5);
    /* Negative absolute expiry: reported as 0 (already expired). */
    put8(&b, RDB_OPCODE_EXPIRETIME_MS);
    const uint8_t neg[8] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    put(&b, neg, 8);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "neg");
    put_str(&b, "v");
    /* Empty hash: skipped like Redis does. */
    put8(&b, RDB_TYPE_HASH);
    put_str(&b, "emptyhash");
    assert_int_equal(rdb_enc_len(&b, 0), 0);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "after");
    put_str(&b, "x");
    file_end(&b, 1);

    struct tcollect c = { 0 };
    struct rdb_dec *d = rdb_dec_new(NULL, &tcollect_ops, &c);
    int rc = rdb_dec_load_mem(d, b.data, b.len);
    if (rc != 0)
        fail_msg("%s", rdb_dec_error(d));
    const struct rdb_dec_stats *st = rdb_dec_get_stats(d);
    assert_int_equal(st->functions, 2);
    assert_int_equal(st->empty_skipped, 1);
    assert_int_equal(st->aux, 1);
    tmodel_sort(&c.m);
    assert_int_equal(c.m.n, 3);
    assert_memory_equal(c.m.keys[0].key, "after", 5);
    assert_int_equal(c.m.keys[0].expire_ms, RDB_DEC_NO_EXPIRE);
    assert_int_equal(c.m.keys[0].db, 3);
    assert_memory_equal(c.m.keys[1].key, "neg", 3);
    assert_int_equal(c.m.keys[1].expire_ms, 0);
    assert_memory_equal(c.m.keys[2].key, "old", 3);
    assert_int_equal(c.m.keys[2].expire_ms, 10000000);
    tcollect_free(&c);
    rdb_dec_destroy(&d);

    /* MODULE_AUX is refused, skip flag or not. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_OPCODE_MODULE_AUX);
    assert_int_equal(rdb_enc_len(&b, 12345), 0);
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, RDB_DEC_SKIP_UNSUPPORTED, -ENOTSUP, "module AUX"), 9);

    /* Unknown record type. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, 0x42);
    put_str(&b, "k");
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, RDB_DEC_SKIP_UNSUPPORTED, -EBADMSG,
                                 "unknown record type 0x42"),
                     9);
    rdb_buf_free(&b);
}

/* ---- decoder: strings, limits, corrupt lengths ----------------------------------------------- */

static void test_lzf_and_int_strings(void **state)
{
    size_t n = 100000;
    uint8_t *val = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        val[i] = (uint8_t)("abcdefgh"[i % 8] + (i / 5000));
    struct rdb_buf b = { 0 };
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    rdb_put_lzf_str(&b, "lzf-key-aaaaaaaaaaaaaaaaaaaa", 28);
    rdb_put_lzf_str(&b, val, n);
    put8(&b, RDB_TYPE_STRING);
    const uint8_t k16[] = { 0xC1, 0x39, 0x30 }; /* 12345 */
    put(&b, k16, 3);
    const uint8_t v32[] = { 0xC2, 0x00, 0x00, 0x00, 0x80 }; /* INT32_MIN */
    put(&b, v32, 5);
    put8(&b, RDB_TYPE_HASH);
    put_str(&b, "h");
    assert_int_equal(rdb_enc_len(&b, 1), 0);
    const uint8_t f8[] = { 0xC0, 0x9c }; /* -100 */
    put(&b, f8, 2);
    rdb_put_lzf_str(&b, val, 1000);
    file_end(&b, 1);

    struct tcollect c;
    char err[512];
    int rc = decode_mem(b.data, b.len, 0, &c, err, sizeof(err), NULL);
    if (rc != 0)
        fail_msg("%s", err);
    tmodel_sort(&c.m);
    assert_int_equal(c.m.n, 3);
    assert_int_equal(c.m.keys[0].klen, 5);
    assert_memory_equal(c.m.keys[0].key, "12345", 5);
    assert_string_equal((char *)c.m.keys[0].val, "-2147483648");
    assert_memory_equal(c.m.keys[1].key, "h", 1);
    assert_int_equal(c.m.keys[1].nfields, 1);
    assert_string_equal((char *)c.m.keys[1].fields[0].f, "-100");
    assert_int_equal(c.m.keys[1].fields[0].vlen, 1000);
    assert_memory_equal(c.m.keys[1].fields[0].v, val, 1000);
    assert_int_equal(c.m.keys[2].klen, 28);
    assert_int_equal(c.m.keys[2].vlen, n);
    assert_memory_equal(c.m.keys[2].val, val, n);
    tcollect_free(&c);

    /* Impossible LZF lengths (tiny input claiming a huge output) are refused before any
     * allocation; a bad stream is refused with the offset of the bad command. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "k");
    put8(&b, 0xC3);
    assert_int_equal(rdb_enc_len(&b, 3), 0);
    assert_int_equal(rdb_enc_len(&b, 100000), 0);
    put(&b, "\x01xy", 3);
    file_end(&b, 1);
    expect_fail(&b, 0, -EBADMSG, "impossible lengths");
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "k");
    put8(&b, 0xC3);
    assert_int_equal(rdb_enc_len(&b, 4), 0);
    assert_int_equal(rdb_enc_len(&b, 8), 0);
    put(&b, "\x00x\x40\x05", 4); /* back reference before the start */
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, 0, -EBADMSG, "invalid LZF data"), 17);
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "k");
    put8(&b, 0xC4); /* unknown special encoding */
    file_end(&b, 1);
    expect_fail(&b, 0, -EBADMSG, "unknown string encoding 4");
    rdb_buf_free(&b);
    free(val);
}

static void test_limits_and_bad_lengths(void **state)
{
    struct rdb_buf b = { 0 };
    /* A string claiming 2^40 bytes in a tiny file: refused without allocating. */
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_STRING);
    put_str(&b, "k");
    const uint8_t huge[] = { 0x81, 0, 0, 0x01, 0, 0, 0, 0, 0 };
    put(&b, huge, sizeof(huge));
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, 0, -EBADMSG, "exceeds the 9 bytes left"), 12);
    /* Bad length encoding byte (0x82). */
    b.data[12] = 0x82;
    expect_fail(&b, 0, -EBADMSG, "bad length encoding 0x82");

    /* Hash count larger than the file can hold. */
    rdb_buf_reset(&b);
    file_begin(&b, 9);
    put8(&b, RDB_TYPE_HASH);
    put_str(&b, "h");
    assert_int_equal(rdb_enc_len(&b, 1000000), 0);
    file_end(&b, 1);
    expect_fail(&b, 0, -EBADMSG, "hash field count 1000000 exceeds");

    /* Configured limits. */
    struct tmodel m = { 0 };
    build_model(&m, now_ms());
    rdb_buf_reset(&b);
    assert_int_equal(tmodel_encode(&m, &b, 9, 1), 0);
    struct {
        struct rdb_dec_opts o;
        int code;
        const char *needle;
    } cases[] = {
        { { .max_key_len = 4 }, -E2BIG, "key length 5 exceeds the limit of 4 bytes" },
        { { .max_value_len = 1000 }, -E2BIG, "string value length 700000 exceeds the limit" },
        { { .max_hash_fields = 100 }, -E2BIG, "hash has 1000 fields, more than the limit of 100" },
        { { .max_db = 5 }, -E2BIG, "database index 7 exceeds the limit of 5" },
        { { .max_aux_len = 3 }, -E2BIG, "AUX key length 9 exceeds the limit of 3" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rdb_dec *d = rdb_dec_new(&cases[i].o, NULL, NULL);
        assert_int_equal(rdb_dec_load_mem(d, b.data, b.len), cases[i].code);
        if (strstr(rdb_dec_error(d), cases[i].needle) == NULL ||
            strstr(rdb_dec_error(d), " at offset ") == NULL)
            fail_msg("case %zu: %s", i, rdb_dec_error(d));
        assert_int_not_equal(rdb_dec_error_offset(d), UINT64_MAX);
        rdb_dec_destroy(&d);
    }
    tmodel_free(&m);
    rdb_buf_free(&b);
}

static void test_duplicate_fields(void **state)
{
    struct rdb_buf b = { 0 };
    file_begin(&b, 9);
    assert_int_equal(rdb_enc_hash_begin(&b, "h", 1, 3, RDB_NO_EXPIRE), 0);
    assert_int_equal(rdb_enc_hash_field(&b, "a", 1, "1", 1), 0);
    assert_int_equal(rdb_enc_hash_field(&b, "b", 1, "2", 1), 0);
    size_t dup_off = b.len;
    assert_int_equal(rdb_enc_hash_field(&b, "a", 1, "3", 1), 0);
    file_end(&b, 1);
    assert_int_equal(expect_fail(&b, 0, -EBADMSG, "duplicate hash field \"a\" (key \"h\")"),
                     dup_off);
    struct tcollect c;
    assert_int_equal(decode_mem(b.data, b.len, RDB_DEC_NO_DUP_FIELD_CHECK, &c, NULL, 0, NULL), 0);
    tcollect_free(&c);

    /* In a listpack: found before any field is reported. */
    struct tblob lp;
    lp_begin(&lp);
    lp_add(&lp, "x", 1);
    lp_add(&lp, "1", 1);
    lp_add(&lp, "x", 1);
    lp_add(&lp, "2", 1);
    lp_end(&lp, 0);
    rdb_buf_reset(&b);
    file_begin(&b, 10);
    put8(&b, RDB_TYPE_HASH_LISTPACK);
    put_str(&b, "lp");
    put_raw_str(&b, lp.b.data, lp.b.len);
    file_end(&b, 1);
    expect_fail(&b, 0, -EBADMSG, "duplicate hash field \"x\"");
    rdb_buf_free(&lp.b);
    rdb_buf_free(&b);
}

/* ---- file writer ------------------------------------------------------------------------------ */

static void test_file_writer(void **state)
{
    char *dir = make_tmpdir("writer");
    assert_non_null(dir);
    struct tmodel m = { 0 };
    build_model(&m, now_ms());
    struct rdb_buf full = { 0 };
    assert_int_equal(tmodel_encode(&m, &full, 9, 1), 0);
    size_t body = full.len - 9; /* everything but EOF + CRC */

    char err[512];
    struct rdb_file_writer *w = NULL;
    assert_int_equal(rdb_file_writer_open(&w, dir, "dump.rdb", err, sizeof(err)), 0);
    const char *tmp = rdb_file_writer_temp_path(w);
    assert_int_equal(access(tmp, F_OK), 0);
    /* Small pieces, then one large piece (> the writer buffer). */
    size_t off = 0;
    while (off < 5000) {
        assert_int_equal(rdb_file_writer_write(w, full.data + off, 7), 0);
        off += 7;
    }
    assert_int_equal(rdb_file_writer_write(w, full.data + off, body - off), 0);
    assert_int_equal(rdb_file_writer_finish(w), 0);
    assert_int_equal(rdb_file_writer_bytes(w), full.len);
    char tmpcopy[512];
    snprintf(tmpcopy, sizeof(tmpcopy), "%s", tmp);
    assert_int_equal(rdb_file_writer_finish(w), -EINVAL); /* only once */
    rdb_file_writer_destroy(&w);
    assert_null(w);
    assert_int_equal(access(tmpcopy, F_OK), -1);

    char path[512];
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    size_t n = 0;
    uint8_t *p = read_file_all(path, &n);
    assert_non_null(p);
    assert_int_equal(n, full.len);
    assert_memory_equal(p, full.data, n); /* byte-identical, CRC included */
    free(p);

    /* Abort: the temp file goes away and the existing file is untouched. */
    assert_int_equal(rdb_file_writer_open(&w, dir, "dump.rdb", err, sizeof(err)), 0);
    assert_int_equal(rdb_file_writer_write(w, "REDIS0009", 9), 0);
    snprintf(tmpcopy, sizeof(tmpcopy), "%s", rdb_file_writer_temp_path(w));
    rdb_file_writer_destroy(&w); /* destroy without finish = abort */
    assert_int_equal(access(tmpcopy, F_OK), -1);
    p = read_file_all(path, &n);
    assert_int_equal(n, full.len);
    free(p);

    /* Errors name the path. */
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/no/such/dir", dir);
    assert_int_equal(rdb_file_writer_open(&w, bad, "dump.rdb", err, sizeof(err)), -ENOENT);
    assert_null(w);
    assert_non_null(strstr(err, bad));
    assert_int_equal(rdb_file_writer_open(&w, dir, "a/b", err, sizeof(err)), -EINVAL);
    assert_int_equal(rdb_file_writer_open(&w, dir, "..", err, sizeof(err)), -EINVAL);

    remove_tree(dir);
    free(dir);
    rdb_buf_free(&full);
    tmodel_free(&m);
}

int rdb_run_unit_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_check_value),
        cmocka_unit_test(test_lzf),
        cmocka_unit_test(test_enc_lengths_and_ints),
        cmocka_unit_test(test_enc_records),
        cmocka_unit_test(test_roundtrip_mem),
        cmocka_unit_test(test_roundtrip_fd_and_pipe),
        cmocka_unit_test(test_want_key_filter),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_versions_and_magic),
        cmocka_unit_test(test_crc_trailer),
        cmocka_unit_test(test_opcodes),
        cmocka_unit_test(test_lzf_and_int_strings),
        cmocka_unit_test(test_limits_and_bad_lengths),
        cmocka_unit_test(test_duplicate_fields),
        cmocka_unit_test(test_file_writer),
    };
    return cmocka_run_group_tests_name("rdb_units", tests, NULL, NULL);
}
