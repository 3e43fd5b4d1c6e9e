/* Decoder primitives: error reporting, scratch buffers, and reading lengths and strings (raw,
 * integer-encoded and LZF-compressed), each checked against the limits and the input size. */
#include "rdb_dec_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb_format.h"
#include "rdb_lzf.h"

/* Appends to d->err at *n, keeping it NUL-terminated and clamping at its size. */
static void err_vappend(struct rdb_dec *d, size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void err_vappend(struct rdb_dec *d, size_t *n, const char *fmt, va_list ap)
{
    if (*n >= sizeof(d->err) - 1)
        return;
    int k = vsnprintf(d->err + *n, sizeof(d->err) - *n, fmt, ap);
    if (k > 0)
        *n = *n + (size_t)k < sizeof(d->err) - 1 ? *n + (size_t)k : sizeof(d->err) - 1;
}

static void err_append(struct rdb_dec *d, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_append(struct rdb_dec *d, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vappend(d, n, fmt, ap);
    va_end(ap);
}

int rdb_dec_fail(struct rdb_dec *d, int code, uint64_t off, const char *fmt, ...)
{
    if (d->err_code != 0)
        return code; /* keep the first (root) error */
    size_t n = 0;
    d->err[0] = '\0';
    if (d->path != NULL)
        err_append(d, &n, "%s: ", d->path);
    va_list ap;
    va_start(ap, fmt);
    err_vappend(d, &n, fmt, ap);
    va_end(ap);
    if (d->key_ctx) {
        char q[300];
        rdb_dec_quote(q, sizeof(q), d->key.p, d->key.len);
        err_append(d, &n, " (key \"%s\")", q);
    }
    if (off != UINT64_MAX)
        err_append(d, &n, " at offset %" PRIu64, off);
    d->err_code = code;
    d->err_off = off;
    return code;
}

int rdb_dec_src_fail(struct rdb_dec *d, int rc, uint64_t off, const char *what)
{
    if (rc == -ENODATA)
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB truncated: input ends inside %s (read up to offset %" PRIu64 ")",
                            what, rdb_src_off(&d->src));
    return rdb_dec_fail(d, rc, off, "read error in %s: %s", what, strerror(-rc));
}

void rdb_dec_quote(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, max_in = 64;
    if (outlen == 0)
        return;
    for (size_t i = 0; i < n && i < max_in; i++) {
        uint8_t c = p[i];
        char tmp[4];
        size_t k = 0;
        if (c == '"' || c == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            tmp[k++] = (char)c;
        } else {
            tmp[k++] = '\\';
            tmp[k++] = 'x';
            tmp[k++] = hex[c >> 4];
            tmp[k++] = hex[c & 15];
        }
        if (o + k + 4 >= outlen)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    if (n > max_in && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

int rdb_scratch_reserve(struct rdb_scratch *s, size_t n)
{
    if (n >= SIZE_MAX - 1)
        return -ENOMEM;
    if (n + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n + 1)
        cap = cap > SIZE_MAX / 2 ? n + 1 : cap * 2;
    uint8_t *p = realloc(s->p, cap);
    if (p == NULL)
        return -ENOMEM;
    s->p = p;
    s->cap = cap;
    return 0;
}

void rdb_scratch_trim(struct rdb_scratch *s)
{
    if (s->cap > RDB_DEC_SCRATCH_KEEP)
        rdb_scratch_free(s);
}

void rdb_scratch_free(struct rdb_scratch *s)
{
    free(s->p);
    s->p = NULL;
    s->len = 0;
    s->cap = 0;
}

int rdb_dec_u8(struct rdb_dec *d, uint8_t *out, const char *what)
{
    if (d->src.p < d->src.end) {
        *out = *d->src.p++;
        return 0;
    }
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_src_fill(&d->src, 1);
    if (rc != 0)
        return rdb_dec_src_fail(d, rc, off, what);
    *out = *d->src.p++;
    return 0;
}

int rdb_dec_bytes(struct rdb_dec *d, void *dst, size_t n, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_src_read(&d->src, dst, n);
    return rc == 0 ? 0 : rdb_dec_src_fail(d, rc, off, what);
}

int rdb_dec_len(struct rdb_dec *d, uint64_t *len, int *encoded, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    uint8_t b[9];
    int rc;
    if (encoded != NULL)
        *encoded = 0;
    if ((rc = rdb_dec_u8(d, &b[0], what)) != 0)
        return rc;
    switch (b[0] >> 6) {
    case RDB_LEN_6BIT: *len = b[0] & 0x3f; return 0;
    case RDB_LEN_14BIT:
        if ((rc = rdb_dec_u8(d, &b[1], what)) != 0)
            return rc;
        *len = ((uint64_t)(b[0] & 0x3f) << 8) | b[1];
        return 0;
    case RDB_LEN_ENCVAL:
        if (encoded == NULL)
            return rdb_dec_fail(d, -EBADMSG, off,
                                "RDB corrupt: %s has a string encoding byte 0x%02x where a "
                                "length is expected",
                                what, b[0]);
        *encoded = 1;
        *len = b[0] & 0x3f;
        return 0;
    default: break;
    }
    size_t nb;
    if (b[0] == RDB_LEN_32BIT)
        nb = 4;
    else if (b[0] == RDB_LEN_64BIT)
        nb = 8;
    else
        return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: bad length encoding 0x%02x in %s",
                            b[0], what);
    if ((rc = rdb_dec_bytes(d, b + 1, nb, what)) != 0)
        return rc;
    uint64_t v = 0;
    for (size_t i = 0; i < nb; i++)
        v = (v << 8) | b[1 + i];
    *len = v;
    return 0;
}

/* Checks a declared length of bytes that must follow in the input. */
static int check_avail(struct rdb_dec *d, uint64_t len, uint64_t off, const char *what)
{
    uint64_t left = rdb_src_left(&d->src);
    if (len > left)
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB corrupt or truncated: %s length %" PRIu64
                            " exceeds the %" PRIu64 " bytes left in the input",
                            what, len, left);
    return 0;
}

static int check_limit(struct rdb_dec *d, uint64_t len, size_t max, uint64_t off,
                       const char *what)
{
    if (len > max)
        return rdb_dec_fail(d, -E2BIG, off, "%s length %" PRIu64 " exceeds the limit of %zu bytes",
                            what, len, max);
    return 0;
}

/* Reads the int8/16/32 encodings and renders the value in decimal into dst. */
static int read_int_string(struct rdb_dec *d, unsigned kind, struct rdb_scratch *dst, size_t max,
                           uint64_t off, const char *what)
{
    uint8_t b[4];
    size_t nb = kind == RDB_ENC_INT8 ? 1 : kind == RDB_ENC_INT16 ? 2 : 4;
    int rc = rdb_dec_bytes(d, b, nb, what);
    if (rc != 0)
        return rc;
    uint32_t u = 0;
    for (size_t i = 0; i < nb; i++)
        u |= (uint32_t)b[i] << (8 * i);
    int32_t v = nb == 1 ? (int8_t)u : nb == 2 ? (int16_t)u : (int32_t)u;
    char num[16];
    int n = snprintf(num, sizeof(num), "%" PRId32, v);
    if ((rc = check_limit(d, (uint64_t)n, max, off, what)) != 0)
        return rc;
    if (rdb_scratch_reserve(dst, (size_t)n) != 0)
        return rdb_dec_fail(d, -ENOMEM, off, "out of memory reading %s", what);
    memcpy(dst->p, num, (size_t)n);
    dst->len = (size_t)n;
    return 0;
}

static int read_lzf_string(struct rdb_dec *d, struct rdb_scratch *dst, size_t max, uint64_t off,
                           const char *what)
{
    uint64_t clen, ulen;
    int rc;
    if ((rc = rdb_dec_len(d, &clen, NULL, what)) != 0 ||
        (rc = rdb_dec_len(d, &ulen, NULL, what)) != 0)
        return rc;
    if ((rc = check_avail(d, clen, off, what)) != 0 ||
        (rc = check_limit(d, ulen, max, off, what)) != 0)
        return rc;
    /* A valid stream of ulen output bytes needs at least ulen/88 input bytes, and never more
     * than one control byte per 32 literals. */
    if ((clen == 0) != (ulen == 0) || ulen / RDB_LZF_MAX_RATIO > clen ||
        (clen > ulen && clen - ulen > ulen / 32 + 1))
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB corrupt: %s is LZF with impossible lengths (compressed %" PRIu64
                            ", uncompressed %" PRIu64 ")",
                            what, clen, ulen);
    if (rdb_scratch_reserve(&d->lzf, (size_t)clen) != 0 ||
        rdb_scratch_reserve(dst, (size_t)ulen) != 0)
        return rdb_dec_fail(d, -ENOMEM, off, "out of memory reading %s (%" PRIu64 " bytes)", what,
                            ulen);
    uint64_t data_off = rdb_src_off(&d->src);
    if ((rc = rdb_dec_bytes(d, d->lzf.p, (size_t)clen, what)) != 0)
        return rc;
    size_t bad = 0;
    if (rdb_lzf_decompress(d->lzf.p, (size_t)clen, dst->p, (size_t)ulen, &bad) != 0)
        return rdb_dec_fail(d, -EBADMSG, data_off + bad,
                            "RDB corrupt: invalid LZF data in %s (expected %" PRIu64 " bytes)",
                            what, ulen);
    dst->len = (size_t)ulen;
    rdb_scratch_trim(&d->lzf);
    return 0;
}

int rdb_dec_string(struct rdb_dec *d, struct rdb_scratch *dst, size_t max, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    uint64_t len;
    int enc, rc;
    d->str_data_off = UINT64_MAX;
    if ((rc = rdb_dec_len(d, &len, &enc, what)) != 0)
        return rc;
    if (enc) {
        switch (len) {
        case RDB_ENC_INT8:
        case RDB_ENC_INT16:
        case RDB_ENC_INT32: return read_int_string(d, (unsigned)len, dst, max, off, what);
        case RDB_ENC_LZF: return read_lzf_string(d, dst, max, off, what);
        default:
            return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: unknown string encoding %" PRIu64
                                " in %s", len, what);
        }
    }
    if ((rc = check_avail(d, len, off, what)) != 0 || (rc = check_limit(d, len, max, off, what)))
        return rc;
    if (rdb_scratch_reserve(dst, (size_t)len) != 0)
        return rdb_dec_fail(d, -ENOMEM, off, "out of memory reading %s (%" PRIu64 " bytes)", what,
                            len);
    uint64_t data_off = rdb_src_off(&d->src);
    if ((rc = rdb_dec_bytes(d, dst->p, (size_t)len, what)) != 0)
        return rc;
    dst->len = (size_t)len;
    d->str_data_off = data_off;
    return 0;
}

int rdb_dec_skip_string(struct rdb_dec *d, const char *what)
{
    uint64_t off = rdb_src_off(&d->src);
    uint64_t len;
    int enc, rc;
    if ((rc = rdb_dec_len(d, &len, &enc, what)) != 0)
        return rc;
    if (enc) {
        switch (len) {
        case RDB_ENC_INT8: len = 1; break;
        case RDB_ENC_INT16: len = 2; break;
        case RDB_ENC_INT32: len = 4; break;
        case RDB_ENC_LZF: {
            uint64_t ulen;
            if ((rc = rdb_dec_len(d, &len, NULL, what)) != 0 ||
                (rc = rdb_dec_len(d, &ulen, NULL, what)) != 0)
                return rc;
            break;
        }
        default:
            return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: unknown string encoding %" PRIu64
                                " in %s", len, what);
        }
    }
    if ((rc = check_avail(d, len, off, what)) != 0)
        return rc;
    rc = rdb_src_skip(&d->src, len);
    return rc == 0 ? 0 : rdb_dec_src_fail(d, rc, off, what);
}
