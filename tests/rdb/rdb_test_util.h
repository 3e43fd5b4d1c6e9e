/* Test helpers for the RDB library: an in-memory model of a keyspace (strings and hashes with
 * expiries in several dbs) that can be encoded with rdb_enc, filled by the decoder through
 * callbacks, and compared; builders of encoded blobs (listpack, ziplist, zipmap, LZF) for
 * hand-made RDB records; and small file helpers. */
#ifndef DPCACHE_TEST_RDB_UTIL_H
#define DPCACHE_TEST_RDB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "rdb/rdb.h"

enum tkey_type { TK_STRING, TK_HASH };

struct tfield {
    uint8_t *f, *v;
    size_t flen, vlen;
};

struct tkey {
    uint32_t db;
    enum tkey_type type;
    uint8_t *key;
    size_t klen;
    uint8_t *val; /* TK_STRING */
    size_t vlen;
    struct tfield *fields; /* TK_HASH */
    size_t nfields, cap;
    int64_t expire_ms; /* RDB_NO_EXPIRE if none */
};

struct tmodel {
    struct tkey *keys;
    size_t n, cap;
};

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
uint8_t *xmemdup(const void *p, size_t n);

void tmodel_free(struct tmodel *m);
struct tkey *tmodel_add_string(struct tmodel *m, uint32_t db, const void *key, size_t klen,
                               const void *val, size_t vlen, int64_t expire_ms);
struct tkey *tmodel_add_hash(struct tmodel *m, uint32_t db, const void *key, size_t klen,
                             int64_t expire_ms);
void tkey_add_field(struct tkey *k, const void *f, size_t flen, const void *v, size_t vlen);
/* Sorts keys by (db, key) and hash fields by field. */
void tmodel_sort(struct tmodel *m);
/* Compares two models after sorting; on a difference writes a description to @why and returns
 * 0. Expiries must match exactly. */
int tmodel_equal(struct tmodel *a, struct tmodel *b, char *why, size_t whylen);
/* Encodes @m as a complete RDB file (header, aux fields, per-db SELECTDB/RESIZEDB, keys, EOF,
 * CRC) into @out. @crc = 0 writes a zero ("not computed") checksum. Returns 0 or -errno. */
int tmodel_encode(const struct tmodel *m, struct rdb_buf *out, unsigned version, int crc);

/* Decoder callbacks that fill a model. */
struct tcollect {
    struct tmodel m;
    struct tkey *cur;
    uint64_t aux;
    uint64_t selectdb;
    uint64_t hash_end;
    int stop_after_keys; /* > 0: stop (return -EINTR) when that many keys were collected */
};
extern const struct rdb_dec_ops tcollect_ops;
void tcollect_free(struct tcollect *c);

/* Builders of encoded blobs for hand-made records (abort on OOM). Elements that are canonical
 * decimal integers get integer encodings, like Redis writes them. */
struct tblob {
    struct rdb_buf b;
    uint64_t count; /* elements (zipmap: pairs) */
    size_t prev;    /* ziplist: size of the previous entry */
    size_t tail;    /* ziplist: offset of the last entry */
};
void lp_begin(struct tblob *t);
void lp_add(struct tblob *t, const void *s, size_t n);
void lp_end(struct tblob *t, int count_unknown); /* patch header, append 0xFF */
void zl_begin(struct tblob *t);
void zl_add(struct tblob *t, const void *s, size_t n);
void zl_end(struct tblob *t);
void zm_begin(struct tblob *t);
void zm_add(struct tblob *t, const void *k, size_t kn, const void *v, size_t vn);
void zm_end(struct tblob *t);
/* A valid (not optimal) LZF stream of @n bytes: literals plus back references. */
void lzf_compress_simple(struct rdb_buf *out, const uint8_t *in, size_t n);

/* Appends an RDB string with the LZF encoding (0xC3). */
void rdb_put_lzf_str(struct rdb_buf *b, const void *s, size_t n);
/* Appends the CRC trailer (or 8 zero bytes) for a file whose bytes are b->data[0..len). */
void rdb_put_trailer(struct rdb_buf *b, int crc);

/* Files. */
int write_file(const char *path, const void *p, size_t n);
uint8_t *read_file_all(const char *path, size_t *n);
/* Creates a private temp directory; returns a malloc'ed path. */
char *make_tmpdir(const char *tag);
/* Removes the files in @dir (one level) and the directory. */
void remove_tree(const char *dir);

int64_t now_ms(void);

/* If DPCACHE_RDB_SEED_DIR is set, store a copy of a test file there (fuzzing seed corpus). */
void save_seed(const char *name, const void *p, size_t n);

#endif /* DPCACHE_TEST_RDB_UTIL_H */
