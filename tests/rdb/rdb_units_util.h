/*
 * rdb_units_util.h - small helpers shared by the RDB unit test files: hand-built RDB bytes,
 * a seeded random fill, and "this input must fail with this code and message".
 */
#ifndef RDB_UNITS_UTIL_H
#define RDB_UNITS_UTIL_H

#include "test_rdb.h"
#include "rdb_test_util.h"

#include <stdint.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static inline void put(struct rdb_buf *b, const void *p, size_t n)
{
    assert_int_equal(rdb_buf_append(b, p, n), 0);
}

static inline void put8(struct rdb_buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static inline void put_str(struct rdb_buf *b, const char *s)
{
    assert_int_equal(rdb_enc_str(b, s, strlen(s)), 0);
}

static inline void put_raw_str(struct rdb_buf *b, const void *s, size_t n)
{
    assert_int_equal(rdb_enc_len(b, n), 0);
    put(b, s, n);
}

static inline void file_begin(struct rdb_buf *b, unsigned ver)
{
    char h[16];
    snprintf(h, sizeof(h), "REDIS%04u", ver);
    put(b, h, 9);
}

static inline void file_end(struct rdb_buf *b, int crc)
{
    put8(b, RDB_OPCODE_EOF);
    rdb_put_trailer(b, crc);
}

static inline uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)xorshift(&s);
}

/* Decodes and expects failure with @code and @needle in the message; returns the offset. */
static inline uint64_t expect_fail(const struct rdb_buf *b, uint32_t flags, int code, const char *needle)
{
    struct tcollect c;
    char err[1024];
    uint64_t off = 0;
    int rc = decode_mem(b->data, b->len, flags, &c, err, sizeof(err), &off);
    tcollect_free(&c);
    if (rc != code || strstr(err, needle) == NULL)
        fail_msg("expected %d with \"%s\", got %d: %s", code, needle, rc, err);
    return off;
}


#endif
