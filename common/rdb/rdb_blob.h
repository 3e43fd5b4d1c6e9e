/* Validating walkers over the encoded blobs that RDB values embed as strings: listpack (Redis 7),
 * ziplist (Redis 3.2-6.2), zipmap (Redis < 2.6) and intset. Private to the decoder.
 *
 * Each walker checks the whole structure against the blob size before and while it reads it: no
 * length is trusted, no byte outside [blob, blob + n) is ever read. Elements are passed to @fn in
 * order as contiguous byte strings (integers rendered in decimal, as Redis returns them); for a
 * zipmap the elements alternate key, value. The bytes of an element stay valid until the callback
 * for the element after it returns, so a field can be kept while its value is reported. @fn may
 * be NULL (validate and count only).
 *
 * Return: 0 with *count set to the number of elements; -EBADMSG with @err describing the first
 * problem and its byte position in the blob; or the negative value @fn returned. Pure functions,
 * reentrant.
 */
#ifndef DPCACHE_RDB_BLOB_H
#define DPCACHE_RDB_BLOB_H

#include <stddef.h>
#include <stdint.h>

struct rdb_blob_err {
    size_t pos;      /* byte position inside the blob */
    const char *msg; /* static text */
};

typedef int (*rdb_blob_fn)(void *arg, const uint8_t *p, size_t n);

int rdb_listpack_walk(const uint8_t *blob, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                      struct rdb_blob_err *err);
int rdb_ziplist_walk(const uint8_t *blob, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                     struct rdb_blob_err *err);
int rdb_zipmap_walk(const uint8_t *blob, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                    struct rdb_blob_err *err);
/* Intsets hold integers only: validated (header, size, strictly ascending), not walked. */
int rdb_intset_check(const uint8_t *blob, size_t n, uint64_t *count, struct rdb_blob_err *err);

/* Little-endian loads used by the walkers. */
static inline uint32_t rdb_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static inline uint32_t rdb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rdb_le64(const uint8_t *p)
{
    return (uint64_t)rdb_le32(p) | (uint64_t)rdb_le32(p + 4) << 32;
}

/* Renders @v in decimal into @buf (at least 21 bytes); returns the length. */
size_t rdb_blob_i64_str(int64_t v, char *buf);

#endif /* DPCACHE_RDB_BLOB_H */
