/* Stateless RDB record encoders: each call appends one complete record to a caller-owned
 * struct rdb_buf.
 *
 * Used by the data plane, which serializes its partitions in bounded slices on several cores at
 * once and streams the bytes to the control plane (which adds the EOF/CRC trailer through
 * rdb_file_writer, or rdb_enc_eof + rdb_enc_trailer). The functions keep no state and touch only
 * the buffer they are given: they are reentrant and may run concurrently on distinct buffers.
 *
 * Every append is all-or-nothing: on error the buffer's len is what it was before the call.
 * Return values: 0, -ENOMEM (allocation failed or size overflow), -EINVAL (bad argument).
 *
 * What is written: only types Redis 5.0 through 7.x load, i.e. string (type 0) and plain hash
 * (type 4), with EXPIRETIME_MS for expiries. Strings that are canonical decimal integers fitting
 * in 32 bits are written with the int8/16/32 encodings, like Redis does; everything else is
 * written raw (no LZF compression).
 *
 * The caller must emit each key once per file: Redis refuses to load a file with a duplicate
 * key, and redis-check-rdb does not notice.
 */
#ifndef DPCACHE_RDB_ENC_H
#define DPCACHE_RDB_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "rdb_buf.h"
#include "rdb_format.h"

/* Pass as expire_ms for a key without a time to live. */
#define RDB_NO_EXPIRE (-1)

/**
 * rdb_enc_header: append the magic, "REDIS" and the 4-digit @version. @version must be 9 or 10
 * (use RDB_VERSION_WRITE = 9: loadable by Redis 5.0-7.x); anything else is -EINVAL.
 */
int rdb_enc_header(struct rdb_buf *b, unsigned version);

/**
 * rdb_enc_aux: append an AUX field with NUL-terminated @key and @val (e.g. "redis-ver", "7.0.15").
 * Redis logs '%'-prefixed keys and ignores unknown ones. Returns 0, -EINVAL (NULL), -ENOMEM.
 */
int rdb_enc_aux(struct rdb_buf *b, const char *key, const char *val);

/**
 * rdb_enc_aux_int: append an AUX field whose value is the decimal integer @val (written with an
 * int encoding when it fits 32 bits, as Redis writes "redis-bits" or "ctime").
 */
int rdb_enc_aux_int(struct rdb_buf *b, const char *key, long long val);

/**
 * rdb_enc_selectdb: append SELECTDB @db. Keys that follow belong to database @db. A file may
 * select the same db more than once (e.g. one section per data-plane core).
 */
int rdb_enc_selectdb(struct rdb_buf *b, uint32_t db);

/**
 * rdb_enc_resizedb: append RESIZEDB, a sizing hint for the current db: @db_size keys, of which
 * @expires_size have a TTL. Optional; the hint need not be exact.
 */
int rdb_enc_resizedb(struct rdb_buf *b, uint64_t db_size, uint64_t expires_size);

/**
 * rdb_enc_string: append a string key: [EXPIRETIME_MS @expire_ms] 0 key value.
 * @key/@klen and @val/@vlen are binary-safe (a pointer may be NULL only with length 0).
 * @expire_ms is an absolute Unix time in milliseconds, or RDB_NO_EXPIRE; other negative values
 * are -EINVAL.
 */
int rdb_enc_string(struct rdb_buf *b, const void *key, size_t klen, const void *val, size_t vlen,
                   int64_t expire_ms);

/**
 * rdb_enc_hash_begin: append the head of a plain hash (type 4): [EXPIRETIME_MS] 4 key
 * len(@nfields). Exactly @nfields calls of rdb_enc_hash_field() must follow before any other
 * record, each with a distinct field (Redis treats duplicate fields as corruption).
 * @nfields == 0 is -EINVAL: Redis skips empty hashes on load, so do not write them.
 */
int rdb_enc_hash_begin(struct rdb_buf *b, const void *key, size_t klen, uint64_t nfields,
                       int64_t expire_ms);

/**
 * rdb_enc_hash_field: append one field/value pair of the hash begun by rdb_enc_hash_begin().
 * The pairs of one hash may be spread over several buffers (slices).
 */
int rdb_enc_hash_field(struct rdb_buf *b, const void *field, size_t flen, const void *val,
                       size_t vlen);

/**
 * rdb_enc_eof: append the EOF opcode (0xFF) only. The CRC64 of every byte of the file from the
 * magic through this 0xFF follows it (rdb_enc_trailer).
 */
int rdb_enc_eof(struct rdb_buf *b);

/**
 * rdb_enc_trailer: store @crc as the 8-byte little-endian RDB trailer in @out. Cannot fail.
 */
void rdb_enc_trailer(uint64_t crc, uint8_t out[8]);

/**
 * rdb_enc_len: append @len in the RDB length encoding (1, 2, 5 or 9 bytes). Building block for
 * callers that write other records.
 */
int rdb_enc_len(struct rdb_buf *b, uint64_t len);

/**
 * rdb_enc_str: append an RDB string: an int encoding when @s is a canonical decimal integer that
 * fits in 32 bits, otherwise len(@n) followed by the bytes.
 */
int rdb_enc_str(struct rdb_buf *b, const void *s, size_t n);

#endif /* DPCACHE_RDB_ENC_H */
