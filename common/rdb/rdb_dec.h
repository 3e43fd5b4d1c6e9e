/* Streaming RDB decoder: reads an RDB file (versions 1..10) from a file descriptor through its own
 * fixed-size buffer, or from memory, and reports its contents through callbacks.
 *
 * Used by the data plane to restore a snapshot at start (each core may run its own decoder on the
 * same file in parallel, keeping only its keys through the want_key filter), by the control plane
 * to verify snapshots, and by tools and tests. Files of any size are decoded in bounded memory:
 * the read buffer plus scratch space for the current key, value or encoded blob, each capped by a
 * named limit (struct rdb_dec_opts) and, when the input size is known, by the bytes left in it.
 *
 * Supported: strings (raw, int8/16/32 and LZF encodings), hashes as plain (type 4), zipmap (9),
 * ziplist (13) and listpack (16), EXPIRETIME_MS / EXPIRETIME, IDLE, FREQ, AUX, SELECTDB,
 * RESIZEDB, FUNCTION/FUNCTION2 (skipped), EOF and the CRC64 trailer (a stored 0 means "not
 * computed" and is not checked, like Redis). Encoded blobs are fully validated (every length is
 * checked against the blob size) before any of their contents is reported.
 *
 * Keys of other types (lists, sets, sorted sets, streams) are refused with an error that names the
 * key and the type, unless RDB_DEC_SKIP_UNSUPPORTED is set: then they are parsed, validated and
 * skipped, and counted per RDB type in the statistics. Module values and module AUX data are
 * always refused (they cannot be parsed without the module).
 *
 * Not checked here: duplicate top-level keys (a file Redis would refuse). Detecting them needs
 * the whole key set, which the caller already has (e.g. its hash table insert reports an
 * existing key); callers must treat a duplicate key as a corrupt file. Duplicate hash fields ARE
 * detected (unless RDB_DEC_NO_DUP_FIELD_CHECK).
 *
 * Errors: every function returns 0 or a negative errno-style code, and rdb_dec_error() gives a
 * message that ends with the byte offset where the problem is, e.g.
 *   "RDB CRC mismatch (computed 0x1234..., stored 0xabcd...) at offset 1234"
 *   "key \"mylist\" has type list (RDB type 18), which dpcache does not support, at offset 42"
 * Codes: -EBADMSG corrupt or truncated input; -ENOTSUP unsupported version, type or module data;
 * -E2BIG a limit of rdb_dec_opts exceeded; -ENOMEM; -EIO/-errno read errors; or the negative
 * value a callback returned. After an error the callbacks may have seen part of the file: the
 * caller must discard what it restored.
 *
 * Threading: a struct rdb_dec is used by one thread at a time. Distinct decoders share nothing
 * and may run concurrently (the library has no global mutable state).
 */
#ifndef DPCACHE_RDB_DEC_H
#define DPCACHE_RDB_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "rdb_format.h"

/* Default limits (struct rdb_dec_opts fields left 0 take these). */
#define RDB_DEC_DEFAULT_MAX_KEY_LEN     (512u << 20) /* Redis's proto-max-bulk-len */
#define RDB_DEC_DEFAULT_MAX_VALUE_LEN   (512u << 20) /* string values, hash fields and values,
                                                        encoded blobs */
#define RDB_DEC_DEFAULT_MAX_AUX_LEN     (1u << 20)   /* AUX keys and values */
#define RDB_DEC_DEFAULT_MAX_HASH_FIELDS (UINT64_C(1) << 32)
#define RDB_DEC_DEFAULT_MAX_DB          65535u       /* highest SELECTDB index accepted */

/* Read buffer of a decoder reading from a file descriptor. */
#define RDB_DEC_READ_BUF (256u << 10)
/* Scratch buffers that grew past this size are released after the record that needed them. */
#define RDB_DEC_SCRATCH_KEEP (1u << 20)

/* Flags of struct rdb_dec_opts. */
#define RDB_DEC_SKIP_UNSUPPORTED   (1u << 0) /* skip (and count) lists, sets, zsets, streams */
#define RDB_DEC_NO_CRC             (1u << 1) /* neither compute nor check the CRC64 trailer */
#define RDB_DEC_NO_DUP_FIELD_CHECK (1u << 2) /* caller detects duplicate hash fields itself */

/* Expiry argument of the callbacks for a key without a time to live. */
#define RDB_DEC_NO_EXPIRE (-1)

struct rdb_dec_opts {
    uint32_t flags;           /* RDB_DEC_* */
    size_t max_key_len;       /* 0: RDB_DEC_DEFAULT_MAX_KEY_LEN */
    size_t max_value_len;     /* 0: RDB_DEC_DEFAULT_MAX_VALUE_LEN */
    size_t max_aux_len;       /* 0: RDB_DEC_DEFAULT_MAX_AUX_LEN */
    uint64_t max_hash_fields; /* 0: RDB_DEC_DEFAULT_MAX_HASH_FIELDS */
    uint32_t max_db;          /* 0: RDB_DEC_DEFAULT_MAX_DB (db 0 is always accepted) */
};

/*
 * Callbacks. Any may be NULL (the item is then parsed and dropped). @ud is the pointer given to
 * rdb_dec_new(). Buffers passed to a callback are valid only during the call and are contiguous,
 * but not NUL-terminated. A callback returns 0 to continue, or a negative value to stop: the load
 * then returns that value and rdb_dec_error() says which callback stopped it.
 *
 * expire_ms is the absolute Unix time in milliseconds, or RDB_DEC_NO_EXPIRE; a negative time
 * stored in the file is reported as 0 (already expired). The decoder does not drop expired keys:
 * compare with the clock in the callback.
 */
struct rdb_dec_ops {
    int (*on_aux)(void *ud, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
    int (*on_selectdb)(void *ud, uint32_t db);
    int (*on_resizedb)(void *ud, uint64_t db_size, uint64_t expires_size);
    /* Optional filter, called after the key is read and before its value: return 1 to decode
     * the value, 0 to skip it (only its structure is parsed; counted in stats.filtered), or
     * < 0 to stop. @type is the RDB type (only string and hash types are offered). */
    int (*want_key)(void *ud, uint32_t db, const uint8_t *key, size_t klen, unsigned type);
    int (*on_string)(void *ud, uint32_t db, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, int64_t expire_ms);
    /* @nfields_hint is the field count stored in the file: exact for encoded hashes (the blob is
     * validated first); for plain hashes it is checked against max_hash_fields and the bytes left
     * in the input, but the file may still be cut short. Do not preallocate from it unbounded. */
    int (*on_hash_begin)(void *ud, uint32_t db, const uint8_t *key, size_t klen,
                         uint64_t nfields_hint, int64_t expire_ms);
    int (*on_hash_field)(void *ud, const uint8_t *field, size_t flen, const uint8_t *val,
                         size_t vlen);
    int (*on_hash_end)(void *ud);
};

struct rdb_dec_stats {
    unsigned version;       /* RDB version of the file */
    uint64_t bytes;         /* bytes consumed, including the trailer */
    uint64_t aux;           /* AUX fields */
    uint64_t keys;          /* keys reported (strings + hashes) */
    uint64_t strings;
    uint64_t hashes;
    uint64_t hash_fields;
    uint64_t expires;       /* reported keys that carry an expiry */
    uint64_t filtered;      /* keys the want_key callback declined */
    uint64_t empty_skipped; /* empty hashes/collections skipped, as Redis does */
    uint64_t functions;     /* FUNCTION/FUNCTION2 records skipped */
    uint64_t skipped;       /* keys of unsupported types skipped (RDB_DEC_SKIP_UNSUPPORTED) */
    uint64_t skipped_by_type[RDB_TYPE_MAX + 1]; /* the same, per RDB type */
    uint64_t crc;           /* CRC64 computed through EOF (0 with RDB_DEC_NO_CRC) */
    int crc_checked;        /* 1 if the stored CRC was compared (and matched) */
};

struct rdb_dec;

/**
 * rdb_dec_new: create a decoder. @opts may be NULL (defaults); @ops may be NULL (validate only).
 * The decoder copies both. Returns NULL if out of memory. Reusable for several loads.
 */
struct rdb_dec *rdb_dec_new(const struct rdb_dec_opts *opts, const struct rdb_dec_ops *ops,
                            void *ud);

/**
 * rdb_dec_destroy: free the decoder and set *@dp to NULL. NULL-safe.
 */
void rdb_dec_destroy(struct rdb_dec **dp);

/**
 * rdb_dec_load_fd: decode a whole RDB from @fd, reading sequentially from its current position
 * until the trailer (bytes after it are not read). The fd is not closed. If @fd is a regular
 * file, its size bounds every length read from it. Returns 0 or a negative code (see above).
 */
int rdb_dec_load_fd(struct rdb_dec *d, int fd);

/**
 * rdb_dec_load_file: open @path, decode it with rdb_dec_load_fd() and close it. Error messages
 * start with the path.
 */
int rdb_dec_load_file(struct rdb_dec *d, const char *path);

/**
 * rdb_dec_load_mem: decode @n bytes at @p (not copied; must stay valid during the call).
 */
int rdb_dec_load_mem(struct rdb_dec *d, const void *p, size_t n);

/** rdb_dec_error: message of the last failed load, or "" after a successful one. */
const char *rdb_dec_error(const struct rdb_dec *d);

/** rdb_dec_error_offset: byte offset of the last error, or UINT64_MAX if none / not positional. */
uint64_t rdb_dec_error_offset(const struct rdb_dec *d);

/** rdb_dec_get_stats: statistics of the last (or current) load. */
const struct rdb_dec_stats *rdb_dec_get_stats(const struct rdb_dec *d);

#endif /* DPCACHE_RDB_DEC_H */
