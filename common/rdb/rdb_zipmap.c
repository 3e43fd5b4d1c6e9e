/* Validating walkers for the two legacy blobs: zipmap (hashes in RDB files of Redis < 2.6) and
 * intset (small integer sets; validated only, since sets are never restored). See rdb_blob.h.
 *
 * Zipmap: count (1 byte; >= 254 means unknown) · { len key · len free value <free bytes> }* ·
 * 0xFF, where len is 1 byte (< 254) or 0xFE + u32 (little-endian, as written on x86), and free is
 * one byte counting unused bytes after the value.
 *
 * Intset: encoding u32 LE (2, 4 or 8 bytes per integer) · count u32 LE · count integers LE,
 * strictly ascending.
 */
#include "rdb_blob.h"

#include <errno.h>

static int bad(struct rdb_blob_err *err, size_t pos, const char *msg)
{
    err->pos = pos;
    err->msg = msg;
    return -EBADMSG;
}

/* Reads a zipmap length at *pos (before @last). Returns 0 or -EBADMSG. */
static int zm_len(const uint8_t *zm, size_t last, size_t *pos, uint64_t *len,
                  struct rdb_blob_err *err)
{
    uint8_t b = zm[*pos];
    if (b < 254) {
        *len = b;
        *pos += 1;
        return 0;
    }
    if (b == 255)
        return bad(err, *pos, "zipmap end marker where a length is expected");
    if (5 > last - *pos)
        return bad(err, *pos, "zipmap length runs past the end");
    *len = rdb_le32(zm + *pos + 1);
    *pos += 5;
    return 0;
}

int rdb_zipmap_walk(const uint8_t *zm, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                    struct rdb_blob_err *err)
{
    *count = 0;
    if (n < 2)
        return bad(err, 0, "zipmap shorter than its header");
    if (zm[n - 1] != 0xFF)
        return bad(err, n - 1, "zipmap does not end with the 0xFF marker");
    const size_t last = n - 1;
    size_t pos = 1;
    uint64_t pairs = 0;
    int rc;
    while (pos < last && zm[pos] != 0xFF) {
        uint64_t klen, vlen;
        size_t at = pos;
        if ((rc = zm_len(zm, last, &pos, &klen, err)) != 0)
            return rc;
        if (klen > last - pos)
            return bad(err, at, "zipmap key runs past the end");
        const uint8_t *key = zm + pos;
        pos += (size_t)klen;
        if (pos >= last)
            return bad(err, pos, "zipmap entry without a value");
        at = pos;
        if ((rc = zm_len(zm, last, &pos, &vlen, err)) != 0)
            return rc;
        if (pos >= last)
            return bad(err, at, "zipmap value free-byte runs past the end");
        uint8_t fr = zm[pos++];
        if (vlen > last - pos || fr > last - pos - vlen)
            return bad(err, at, "zipmap value runs past the end");
        const uint8_t *val = zm + pos;
        pos += (size_t)vlen + fr;
        if (fn != NULL && ((rc = fn(arg, key, (size_t)klen)) != 0 ||
                           (rc = fn(arg, val, (size_t)vlen)) != 0))
            return rc;
        pairs++;
    }
    if (pos != last)
        return bad(err, pos, "zipmap end marker before the end of the blob");
    if (pairs == 0)
        return bad(err, 0, "empty zipmap");
    if (zm[0] < 254 && zm[0] != pairs)
        return bad(err, 0, "zipmap count header does not match its entries");
    *count = pairs * 2;
    return 0;
}

int rdb_intset_check(const uint8_t *is, size_t n, uint64_t *count, struct rdb_blob_err *err)
{
    *count = 0;
    if (n < 8)
        return bad(err, 0, "intset shorter than its header");
    uint32_t enc = rdb_le32(is), len = rdb_le32(is + 4);
    if (enc != 2 && enc != 4 && enc != 8)
        return bad(err, 0, "invalid intset encoding");
    if ((uint64_t)len * enc != n - 8)
        return bad(err, 4, "intset count does not match the blob size");
    if (len == 0)
        return bad(err, 4, "empty intset");
    int64_t prev = 0;
    for (uint32_t i = 0; i < len; i++) {
        const uint8_t *p = is + 8 + (size_t)i * enc;
        int64_t v = enc == 2   ? (int16_t)rdb_le16(p)
                    : enc == 4 ? (int32_t)rdb_le32(p)
                               : (int64_t)rdb_le64(p);
        if (i > 0 && v <= prev)
            return bad(err, 8 + (size_t)i * enc, "intset integers not strictly ascending");
        prev = v;
    }
    *count = len;
    return 0;
}
