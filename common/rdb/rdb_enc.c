/* Stateless RDB record encoders (see rdb_enc.h). Each public function appends one whole record
 * or, on failure, restores the buffer length it found. */
#include "rdb_enc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Parses @s as a canonical decimal integer (no sign but '-', no leading zeros, no "-0") that fits
 * in int32_t, as Redis does before choosing an int encoding. Returns 1 and sets *@out, or 0. */
static int canonical_int32(const uint8_t *s, size_t n, int32_t *out)
{
    if (n == 0 || n > 11)
        return 0;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= n || s[i] < '1' || s[i] > '9')
        return 0;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0'); /* at most 11 chars: cannot overflow int64 */
    }
    if (neg)
        v = -v;
    if (v < INT32_MIN || v > INT32_MAX)
        return 0;
    *out = (int32_t)v;
    return 1;
}

static int put_int_enc(struct rdb_buf *b, int32_t v)
{
    uint8_t enc[5];
    size_t n;
    uint32_t u = (uint32_t)v;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        enc[0] = (RDB_LEN_ENCVAL << 6) | RDB_ENC_INT8;
        enc[1] = u & 0xff;
        n = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        enc[0] = (RDB_LEN_ENCVAL << 6) | RDB_ENC_INT16;
        enc[1] = u & 0xff;
        enc[2] = (u >> 8) & 0xff;
        n = 3;
    } else {
        enc[0] = (RDB_LEN_ENCVAL << 6) | RDB_ENC_INT32;
        enc[1] = u & 0xff;
        enc[2] = (u >> 8) & 0xff;
        enc[3] = (u >> 16) & 0xff;
        enc[4] = (u >> 24) & 0xff;
        n = 5;
    }
    return rdb_buf_append(b, enc, n);
}

int rdb_enc_len(struct rdb_buf *b, uint64_t len)
{
    uint8_t enc[9];
    size_t n;
    if (len < (1u << 6)) {
        enc[0] = (uint8_t)len;
        n = 1;
    } else if (len < (1u << 14)) {
        enc[0] = (uint8_t)((RDB_LEN_14BIT << 6) | (len >> 8));
        enc[1] = len & 0xff;
        n = 2;
    } else if (len <= UINT32_MAX) {
        enc[0] = RDB_LEN_32BIT;
        for (int i = 0; i < 4; i++)
            enc[1 + i] = (uint8_t)(len >> (24 - 8 * i));
        n = 5;
    } else {
        enc[0] = RDB_LEN_64BIT;
        for (int i = 0; i < 8; i++)
            enc[1 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 9;
    }
    return rdb_buf_append(b, enc, n);
}

int rdb_enc_str(struct rdb_buf *b, const void *s, size_t n)
{
    if (s == NULL && n != 0)
        return -EINVAL;
    size_t mark = b->len;
    int32_t v;
    int rc;
    if (canonical_int32(s, n, &v))
        return put_int_enc(b, v);
    /* One reservation, so a failure cannot leave a length without its bytes. */
    if ((rc = rdb_buf_reserve(b, n > SIZE_MAX - 9 ? SIZE_MAX : n + 9)) != 0)
        return rc;
    if ((rc = rdb_enc_len(b, n)) != 0 || (rc = rdb_buf_append(b, s, n)) != 0)
        b->len = mark;
    return rc;
}

/* Appends [EXPIRETIME_MS t] type key. */
static int put_key_head(struct rdb_buf *b, uint8_t type, const void *key, size_t klen,
                        int64_t expire_ms)
{
    int rc;
    if (expire_ms != RDB_NO_EXPIRE) {
        uint8_t enc[9];
        uint64_t u = (uint64_t)expire_ms;
        enc[0] = RDB_OPCODE_EXPIRETIME_MS;
        for (int i = 0; i < 8; i++)
            enc[1 + i] = (uint8_t)(u >> (8 * i));
        if ((rc = rdb_buf_append(b, enc, sizeof(enc))) != 0)
            return rc;
    }
    if ((rc = rdb_buf_put_u8(b, type)) != 0)
        return rc;
    return rdb_enc_str(b, key, klen);
}

int rdb_enc_header(struct rdb_buf *b, unsigned version)
{
    char magic[RDB_HEADER_LEN + 1];
    if (version != 9 && version != 10)
        return -EINVAL;
    snprintf(magic, sizeof(magic), "%s%04u", RDB_MAGIC, version);
    return rdb_buf_append(b, magic, RDB_HEADER_LEN);
}

int rdb_enc_aux(struct rdb_buf *b, const char *key, const char *val)
{
    if (key == NULL || val == NULL)
        return -EINVAL;
    size_t mark = b->len;
    int rc;
    if ((rc = rdb_buf_put_u8(b, RDB_OPCODE_AUX)) != 0 ||
        (rc = rdb_enc_str(b, key, strlen(key))) != 0 ||
        (rc = rdb_enc_str(b, val, strlen(val))) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_aux_int(struct rdb_buf *b, const char *key, long long val)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", val);
    return rdb_enc_aux(b, key, num);
}

int rdb_enc_selectdb(struct rdb_buf *b, uint32_t db)
{
    size_t mark = b->len;
    int rc;
    if ((rc = rdb_buf_put_u8(b, RDB_OPCODE_SELECTDB)) != 0 || (rc = rdb_enc_len(b, db)) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_resizedb(struct rdb_buf *b, uint64_t db_size, uint64_t expires_size)
{
    size_t mark = b->len;
    int rc;
    if ((rc = rdb_buf_put_u8(b, RDB_OPCODE_RESIZEDB)) != 0 ||
        (rc = rdb_enc_len(b, db_size)) != 0 || (rc = rdb_enc_len(b, expires_size)) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_string(struct rdb_buf *b, const void *key, size_t klen, const void *val, size_t vlen,
                   int64_t expire_ms)
{
    if ((key == NULL && klen != 0) || (val == NULL && vlen != 0) ||
        (expire_ms < 0 && expire_ms != RDB_NO_EXPIRE))
        return -EINVAL;
    size_t mark = b->len;
    int rc;
    if ((rc = put_key_head(b, RDB_TYPE_STRING, key, klen, expire_ms)) != 0 ||
        (rc = rdb_enc_str(b, val, vlen)) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_hash_begin(struct rdb_buf *b, const void *key, size_t klen, uint64_t nfields,
                       int64_t expire_ms)
{
    if ((key == NULL && klen != 0) || nfields == 0 ||
        (expire_ms < 0 && expire_ms != RDB_NO_EXPIRE))
        return -EINVAL;
    size_t mark = b->len;
    int rc;
    if ((rc = put_key_head(b, RDB_TYPE_HASH, key, klen, expire_ms)) != 0 ||
        (rc = rdb_enc_len(b, nfields)) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_hash_field(struct rdb_buf *b, const void *field, size_t flen, const void *val,
                       size_t vlen)
{
    if ((field == NULL && flen != 0) || (val == NULL && vlen != 0))
        return -EINVAL;
    size_t mark = b->len;
    int rc;
    if ((rc = rdb_enc_str(b, field, flen)) != 0 || (rc = rdb_enc_str(b, val, vlen)) != 0)
        b->len = mark;
    return rc;
}

int rdb_enc_eof(struct rdb_buf *b)
{
    return rdb_buf_put_u8(b, RDB_OPCODE_EOF);
}

void rdb_enc_trailer(uint64_t crc, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(crc >> (8 * i));
}
