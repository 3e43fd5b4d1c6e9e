/* Skipping values the decoder does not restore: keys of unsupported types (lists, sets, sorted
 * sets, streams) when RDB_DEC_SKIP_UNSUPPORTED is set, and keys the want_key filter declined.
 * Every value is parsed according to its type, so the record that follows is found correctly;
 * with validate, encoded blobs (ziplist, listpack, intset, zipmap) are also loaded and checked.
 * Counts read from the input are never used to size allocations: each loop step consumes input,
 * so a bogus count ends at the end of the input. */
#include "rdb_dec_int.h"

#include <errno.h>
#include <inttypes.h>

#include "rdb_blob.h"
#include "rdb_format.h"

/* Max size of a stream node key (a 128-bit stream ID). */
#define STREAM_ID_LEN 16

static int skip_bytes(struct rdb_dec *d, uint64_t n, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    if (n > rdb_src_left(&d->src))
        return rdb_dec_src_fail(d, -ENODATA, off, what);
    int rc = rdb_src_skip(&d->src, n);
    return rc == 0 ? 0 : rdb_dec_src_fail(d, rc, off, what);
}

/* A count of items that each take at least @min_bytes bytes of input. */
static int read_count(struct rdb_dec *d, uint64_t *n, uint64_t min_bytes, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_dec_len(d, n, NULL, what);
    if (rc != 0)
        return rc;
    if (*n > rdb_src_left(&d->src) / min_bytes)
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB corrupt or truncated: %s %" PRIu64
                            " exceeds what the rest of the input can hold",
                            what, *n);
    return 0;
}

/* Old zset score: a length byte (253 NaN, 254 +inf, 255 -inf) and that many ASCII bytes. */
static int skip_double_str(struct rdb_dec *d)
{
    uint8_t len;
    int rc = rdb_dec_u8(d, &len, "zset score");
    if (rc != 0 || len >= 253)
        return rc;
    return skip_bytes(d, len, "zset score");
}

enum blob_kind { B_LISTPACK, B_ZIPLIST, B_ZIPMAP, B_INTSET };

/* Reads an encoded blob and, when @validate, checks its structure; @pairs requires an even
 * number of elements; @nonempty refuses an empty one. */
static int skip_blob(struct rdb_dec *d, enum blob_kind kind, bool validate, bool pairs,
                     bool nonempty)
{
    static const char *const names[] = { "listpack", "ziplist", "zipmap", "intset" };
    if (!validate)
        return rdb_dec_skip_string(d, names[kind]);
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_dec_string(d, &d->val, d->opts.max_value_len, names[kind]);
    if (rc != 0)
        return rc;
    uint64_t data_off = d->str_data_off, count = 0;
    struct rdb_blob_err err = { 0, NULL };
    switch (kind) {
    case B_LISTPACK: rc = rdb_listpack_walk(d->val.p, d->val.len, NULL, NULL, &count, &err); break;
    case B_ZIPLIST: rc = rdb_ziplist_walk(d->val.p, d->val.len, NULL, NULL, &count, &err); break;
    case B_ZIPMAP: rc = rdb_zipmap_walk(d->val.p, d->val.len, NULL, NULL, &count, &err); break;
    case B_INTSET: rc = rdb_intset_check(d->val.p, d->val.len, &count, &err); break;
    }
    if (rc != 0)
        return rdb_dec_fail(d, -EBADMSG, data_off != UINT64_MAX ? data_off + err.pos : off,
                            "RDB corrupt: %s: %s (byte %zu of %zu)", names[kind], err.msg,
                            err.pos, d->val.len);
    if (pairs && count % 2 != 0)
        return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: %s has an odd number of entries",
                            names[kind]);
    if (nonempty && count == 0)
        return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: empty %s", names[kind]);
    return 0;
}

static int skip_strings(struct rdb_dec *d, uint64_t per_item, const char *what)
{
    uint64_t n;
    int rc = read_count(d, &n, per_item, what);
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        for (uint64_t k = 0; rc == 0 && k < per_item; k++)
            rc = rdb_dec_skip_string(d, what);
    return rc;
}

static int skip_stream(struct rdb_dec *d, unsigned type, bool validate)
{
    uint64_t n, v;
    int rc;
    /* Radix-tree nodes: master ID (16-byte string) and a listpack of entries. */
    if ((rc = read_count(d, &n, 2, "stream node count")) != 0)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t off = rdb_src_off(&d->src);
        if ((rc = rdb_dec_string(d, &d->field, STREAM_ID_LEN, "stream node ID")) != 0)
            return rc;
        if (d->field.len != STREAM_ID_LEN)
            return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: stream node ID of %zu bytes",
                                d->field.len);
        if ((rc = skip_blob(d, B_LISTPACK, validate, false, true)) != 0)
            return rc;
    }
    /* length, last ID; v2+: first ID, max deleted ID, entries added. */
    int lens = type == RDB_TYPE_STREAM_LISTPACKS ? 3 : 8;
    for (int i = 0; i < lens; i++)
        if ((rc = rdb_dec_len(d, &v, NULL, "stream metadata")) != 0)
            return rc;
    uint64_t groups;
    if ((rc = read_count(d, &groups, 4, "stream consumer group count")) != 0)
        return rc;
    for (uint64_t g = 0; g < groups; g++) {
        if ((rc = rdb_dec_skip_string(d, "consumer group name")) != 0)
            return rc;
        int glens = type == RDB_TYPE_STREAM_LISTPACKS ? 2 : 3; /* last ID [, entries read] */
        for (int i = 0; i < glens; i++)
            if ((rc = rdb_dec_len(d, &v, NULL, "consumer group metadata")) != 0)
                return rc;
        uint64_t pel;
        if ((rc = read_count(d, &pel, STREAM_ID_LEN + 9, "consumer group PEL size")) != 0)
            return rc;
        for (uint64_t i = 0; i < pel; i++) {
            /* entry ID, delivery time (ms), delivery count */
            if ((rc = skip_bytes(d, STREAM_ID_LEN + 8, "PEL entry")) != 0 ||
                (rc = rdb_dec_len(d, &v, NULL, "PEL delivery count")) != 0)
                return rc;
        }
        uint64_t consumers;
        if ((rc = read_count(d, &consumers, 10, "consumer count")) != 0)
            return rc;
        for (uint64_t c = 0; c < consumers; c++) {
            /* name, seen time [, active time (v3)], PEL of entry IDs */
            uint64_t times = type == RDB_TYPE_STREAM_LISTPACKS_3 ? 16 : 8;
            if ((rc = rdb_dec_skip_string(d, "consumer name")) != 0 ||
                (rc = skip_bytes(d, times, "consumer times")) != 0 ||
                (rc = read_count(d, &pel, STREAM_ID_LEN, "consumer PEL size")) != 0)
                return rc;
            for (uint64_t i = 0; i < pel; i++)
                if ((rc = skip_bytes(d, STREAM_ID_LEN, "consumer PEL entry")) != 0)
                    return rc;
        }
    }
    return 0;
}

int rdb_dec_skip_value(struct rdb_dec *d, unsigned type, bool validate, uint64_t key_off)
{
    uint64_t n;
    int rc;
    switch (type) {
    case RDB_TYPE_STRING: return rdb_dec_skip_string(d, "string value");
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET: return skip_strings(d, 1, "collection element");
    case RDB_TYPE_HASH: return skip_strings(d, 2, "hash field or value");
    case RDB_TYPE_ZSET:
        if ((rc = read_count(d, &n, 2, "zset size")) != 0)
            return rc;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = rdb_dec_skip_string(d, "zset member")) != 0 ||
                (rc = skip_double_str(d)) != 0)
                return rc;
        return 0;
    case RDB_TYPE_ZSET_2:
        if ((rc = read_count(d, &n, 9, "zset size")) != 0)
            return rc;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = rdb_dec_skip_string(d, "zset member")) != 0 ||
                (rc = skip_bytes(d, 8, "zset score")) != 0)
                return rc;
        return 0;
    case RDB_TYPE_HASH_ZIPMAP: return skip_blob(d, B_ZIPMAP, validate, true, true);
    case RDB_TYPE_LIST_ZIPLIST: return skip_blob(d, B_ZIPLIST, validate, false, false);
    case RDB_TYPE_SET_INTSET: return skip_blob(d, B_INTSET, validate, false, true);
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST: return skip_blob(d, B_ZIPLIST, validate, true, false);
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK: return skip_blob(d, B_LISTPACK, validate, true, false);
    case RDB_TYPE_SET_LISTPACK: return skip_blob(d, B_LISTPACK, validate, false, false);
    case RDB_TYPE_LIST_QUICKLIST:
        if ((rc = read_count(d, &n, 1, "quicklist node count")) != 0)
            return rc;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = skip_blob(d, B_ZIPLIST, validate, false, false)) != 0)
                return rc;
        return 0;
    case RDB_TYPE_LIST_QUICKLIST_2:
        if ((rc = read_count(d, &n, 2, "quicklist node count")) != 0)
            return rc;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t off = rdb_src_off(&d->src), container;
            if ((rc = rdb_dec_len(d, &container, NULL, "quicklist node container")) != 0)
                return rc;
            if (container == RDB_QUICKLIST_NODE_PACKED)
                rc = skip_blob(d, B_LISTPACK, validate, false, false);
            else if (container == RDB_QUICKLIST_NODE_PLAIN)
                rc = rdb_dec_skip_string(d, "quicklist plain node");
            else
                rc = rdb_dec_fail(d, -EBADMSG, off,
                                  "RDB corrupt: bad quicklist node container %" PRIu64,
                                  container);
            if (rc != 0)
                return rc;
        }
        return 0;
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3: return skip_stream(d, type, validate);
    default:
        return rdb_dec_fail(d, -ENOTSUP, key_off, "values of RDB type %u cannot be skipped",
                            type);
    }
}
