/* Private to the decoder (rdb_src.c, rdb_dec_read.c, rdb_dec.c, rdb_skip.c, rdb_fieldset.c):
 * the byte source, the decoder state and the helpers the files share. Not installed, not for
 * callers of the library. */
#ifndef DPCACHE_RDB_DEC_INT_H
#define DPCACHE_RDB_DEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdb_dec.h"

/* ---- byte source (rdb_src.c) ------------------------------------------------------------- */

/* Longest run rdb_src_fill() can make contiguous on request (lengths are at most 9 bytes). */
#define RDB_SRC_MAX_FILL 16

/*
 * A window [base, end) over the input; p is the next unread byte. In fd mode the window lives in
 * buf and is refilled by read(2); in memory mode it is the whole input. The CRC covers every
 * consumed byte: bytes in [crc_from, p) are consumed but not yet added (added lazily, in bulk).
 */
struct rdb_src {
    int fd;                  /* -1 in memory mode */
    uint8_t *buf;            /* fd mode: read buffer of cap bytes */
    size_t cap;
    const uint8_t *base;     /* window start; its input offset is base_off */
    const uint8_t *p;        /* next unread byte */
    const uint8_t *end;      /* end of the bytes available in the window */
    const uint8_t *crc_from; /* first consumed byte not yet in crc */
    uint64_t base_off;
    uint64_t size;           /* input offset where the input ends, UINT64_MAX if unknown */
    uint64_t crc;
    bool crc_on;
};

void rdb_src_init_fd(struct rdb_src *s, int fd, uint8_t *buf, size_t cap, uint64_t start_off,
                     uint64_t size);
void rdb_src_init_mem(struct rdb_src *s, const uint8_t *p, size_t n);
/* Make n (<= RDB_SRC_MAX_FILL) bytes available at s->p. 0, -ENODATA (input ends), -errno. */
int rdb_src_fill(struct rdb_src *s, size_t n);
/* Copy the next n bytes to dst. 0, -ENODATA, -errno. */
int rdb_src_read(struct rdb_src *s, void *dst, size_t n);
/* Consume n bytes. 0, -ENODATA, -errno. */
int rdb_src_skip(struct rdb_src *s, uint64_t n);
/* CRC of every byte consumed so far. */
uint64_t rdb_src_crc(struct rdb_src *s);

static inline uint64_t rdb_src_off(const struct rdb_src *s)
{
    return s->base_off + (uint64_t)(s->p - s->base);
}

/* Bytes left in the input, UINT64_MAX if unknown. */
static inline uint64_t rdb_src_left(const struct rdb_src *s)
{
    if (s->size == UINT64_MAX)
        return UINT64_MAX;
    uint64_t off = rdb_src_off(s);
    return off < s->size ? s->size - off : 0;
}

/* ---- growable scratch buffers ------------------------------------------------------------ */

struct rdb_scratch {
    uint8_t *p;
    size_t len; /* bytes of the current item */
    size_t cap;
};

/* Capacity for n bytes (+1 spare). 0 or -ENOMEM. */
int rdb_scratch_reserve(struct rdb_scratch *s, size_t n);
/* Release the memory if it grew past RDB_DEC_SCRATCH_KEEP. */
void rdb_scratch_trim(struct rdb_scratch *s);
void rdb_scratch_free(struct rdb_scratch *s);

/* ---- duplicate detection of hash fields (rdb_fieldset.c) ---------------------------------- */

struct rdb_fieldset_slot;

struct rdb_fieldset {
    uint64_t seed;                  /* random per decoder: collisions cannot be precomputed */
    struct rdb_fieldset_slot *slot; /* open addressing, power-of-two size */
    size_t nslots;
    size_t used;
    struct rdb_scratch arena;       /* copies of the fields */
};

void rdb_fieldset_init(struct rdb_fieldset *fs, uint64_t seed);
/* Add a field: 0 new, 1 already present, -ENOMEM. */
int rdb_fieldset_add(struct rdb_fieldset *fs, const uint8_t *p, size_t n);
/* Forget all fields (keeps small allocations). */
void rdb_fieldset_clear(struct rdb_fieldset *fs);
void rdb_fieldset_free(struct rdb_fieldset *fs);

/* ---- decoder state ------------------------------------------------------------------------ */

struct rdb_dec {
    struct rdb_dec_opts opts; /* limits resolved (no zero fields) */
    struct rdb_dec_ops ops;
    void *ud;
    struct rdb_src src;
    uint8_t *rbuf; /* RDB_DEC_READ_BUF bytes, fd mode */
    struct rdb_scratch key, field, val, lzf;
    struct rdb_fieldset fields;
    struct rdb_dec_stats st;
    uint32_t db;
    const char *path; /* prefix of error messages, or NULL */
    bool key_ctx;     /* d->key holds the key being decoded: name it in error messages */
    uint64_t str_data_off; /* input offset of the bytes of the last raw string read by
                            * rdb_dec_string(), UINT64_MAX if it was encoded (int/LZF) */
    int err_code;
    uint64_t err_off;
    char err[768];
};

/* Record the first error: "<path>: <message> at offset <off>" (no offset part if off is
 * UINT64_MAX). Returns code. */
int rdb_dec_fail(struct rdb_dec *d, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Turn a source error into a decoder error about reading @what that started at @off. */
int rdb_dec_src_fail(struct rdb_dec *d, int rc, uint64_t off, const char *what);
/* Quote @n bytes for a message: printable ASCII kept, others \xNN, long keys cut with "...". */
void rdb_dec_quote(char *out, size_t outlen, const uint8_t *p, size_t n);

/* Primitive reads (rdb_dec_read.c); @what names the item for messages. */
int rdb_dec_u8(struct rdb_dec *d, uint8_t *out, const char *what);
int rdb_dec_bytes(struct rdb_dec *d, void *dst, size_t n, const char *what);
/* A length. If @encoded is NULL a special string encoding is an error; otherwise *encoded is set
 * to 1 and *len to the encoding kind. */
int rdb_dec_len(struct rdb_dec *d, uint64_t *len, int *encoded, const char *what);
/* A string of at most @max bytes (after decompression) into @dst (dst->p, dst->len). */
int rdb_dec_string(struct rdb_dec *d, struct rdb_scratch *dst, size_t max, const char *what);
/* Skip a string without decoding it. */
int rdb_dec_skip_string(struct rdb_dec *d, const char *what);

/* Skip the value of a key of RDB type @type (rdb_skip.c). With @validate, encoded blobs are
 * loaded and checked as well. Refuses module types. */
int rdb_dec_skip_value(struct rdb_dec *d, unsigned type, bool validate, uint64_t key_off);

#endif /* DPCACHE_RDB_DEC_INT_H */
