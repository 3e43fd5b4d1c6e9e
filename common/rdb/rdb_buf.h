/* A caller-owned growable byte buffer that the RDB record encoders append to.
 *
 * The data plane keeps one per snapshot slice: it encodes records into it, hands data/len to the
 * channel towards the control plane, then calls rdb_buf_reset() and reuses the memory. There is
 * no hidden state: a buffer belongs to whoever holds it, and distinct buffers may be used on
 * different threads at the same time.
 */
#ifndef DPCACHE_RDB_BUF_H
#define DPCACHE_RDB_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Invariant: len <= cap; data is NULL iff cap == 0. */
struct rdb_buf {
    uint8_t *data; /* heap memory owned by the buffer (malloc/realloc/free) */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
};

/* Initial allocation when an empty buffer first grows. */
#define RDB_BUF_MIN_CAP 256

/**
 * rdb_buf_init: make @b an empty buffer that owns no memory (same as `= {0}`). Cannot fail.
 */
void rdb_buf_init(struct rdb_buf *b);

/**
 * rdb_buf_free: release the memory of @b and leave it empty and reusable. NULL-safe.
 */
void rdb_buf_free(struct rdb_buf *b);

/**
 * rdb_buf_reset: forget the contents of @b (len = 0) but keep its memory for reuse.
 */
void rdb_buf_reset(struct rdb_buf *b);

/**
 * rdb_buf_reserve: make room for at least @n more bytes after b->len, growing geometrically.
 * Returns 0, or -ENOMEM if len + n overflows size_t or the allocation fails (then @b is unchanged).
 */
int rdb_buf_reserve(struct rdb_buf *b, size_t n);

/**
 * rdb_buf_append: append @n bytes from @p (may be NULL when n == 0).
 * Returns 0, or -ENOMEM (then @b is unchanged).
 */
int rdb_buf_append(struct rdb_buf *b, const void *p, size_t n);

/**
 * rdb_buf_put_u8: append one byte. Returns 0 or -ENOMEM (then @b is unchanged).
 */
int rdb_buf_put_u8(struct rdb_buf *b, uint8_t v);

#endif /* DPCACHE_RDB_BUF_H */
