/* Test helpers for the RDB library (see rdb_test_util.h). */
#include "rdb_test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

uint8_t *xmemdup(const void *p, size_t n)
{
    uint8_t *q = xmalloc(n + 1);
    if (n)
        memcpy(q, p, n);
    q[n] = 0;
    return q;
}

static void xappend(struct rdb_buf *b, const void *p, size_t n)
{
    if (rdb_buf_append(b, p, n) != 0)
        abort();
}

static void xput(struct rdb_buf *b, uint8_t v)
{
    xappend(b, &v, 1);
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- model ----------------------------------------------------------------------------- */

static struct tkey *add_key(struct tmodel *m)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->keys = xrealloc(m->keys, m->cap * sizeof(*m->keys));
    }
    struct tkey *k = &m->keys[m->n++];
    memset(k, 0, sizeof(*k));
    return k;
}

struct tkey *tmodel_add_string(struct tmodel *m, uint32_t db, const void *key, size_t klen,
                               const void *val, size_t vlen, int64_t expire_ms)
{
    struct tkey *k = add_key(m);
    k->db = db;
    k->type = TK_STRING;
    k->key = xmemdup(key, klen);
    k->klen = klen;
    k->val = xmemdup(val, vlen);
    k->vlen = vlen;
    k->expire_ms = expire_ms;
    return k;
}

struct tkey *tmodel_add_hash(struct tmodel *m, uint32_t db, const void *key, size_t klen,
                             int64_t expire_ms)
{
    struct tkey *k = add_key(m);
    k->db = db;
    k->type = TK_HASH;
    k->key = xmemdup(key, klen);
    k->klen = klen;
    k->expire_ms = expire_ms;
    return k;
}

void tkey_add_field(struct tkey *k, const void *f, size_t flen, const void *v, size_t vlen)
{
    if (k->nfields == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->fields = xrealloc(k->fields, k->cap * sizeof(*k->fields));
    }
    struct tfield *fl = &k->fields[k->nfields++];
    fl->f = xmemdup(f, flen);
    fl->flen = flen;
    fl->v = xmemdup(v, vlen);
    fl->vlen = vlen;
}

void tmodel_free(struct tmodel *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct tkey *k = &m->keys[i];
        free(k->key);
        free(k->val);
        for (size_t j = 0; j < k->nfields; j++) {
            free(k->fields[j].f);
            free(k->fields[j].v);
        }
        free(k->fields);
    }
    free(m->keys);
    memset(m, 0, sizeof(*m));
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c != 0)
        return c;
    return an < bn ? -1 : an > bn;
}

static int cmp_key(const void *x, const void *y)
{
    const struct tkey *a = x, *b = y;
    if (a->db != b->db)
        return a->db < b->db ? -1 : 1;
    return cmp_bytes(a->key, a->klen, b->key, b->klen);
}

static int cmp_field(const void *x, const void *y)
{
    const struct tfield *a = x, *b = y;
    return cmp_bytes(a->f, a->flen, b->f, b->flen);
}

void tmodel_sort(struct tmodel *m)
{
    if (m->n > 1)
        qsort(m->keys, m->n, sizeof(*m->keys), cmp_key);
    for (size_t i = 0; i < m->n; i++)
        if (m->keys[i].nfields > 1)
            qsort(m->keys[i].fields, m->keys[i].nfields, sizeof(struct tfield), cmp_field);
}

static void quote(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < outlen; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"')
            out[o++] = (char)p[i];
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", p[i]);
    }
    out[o] = '\0';
}

int tmodel_equal(struct tmodel *a, struct tmodel *b, char *why, size_t whylen)
{
    tmodel_sort(a);
    tmodel_sort(b);
    if (a->n != b->n) {
        snprintf(why, whylen, "key count %zu vs %zu", a->n, b->n);
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        struct tkey *x = &a->keys[i], *y = &b->keys[i];
        char kq[80];
        quote(kq, sizeof(kq), x->key, x->klen);
        if (cmp_key(x, y) != 0) {
            snprintf(why, whylen, "key #%zu differs (db %u \"%s\")", i, x->db, kq);
            return 0;
        }
        if (x->type != y->type || x->expire_ms != y->expire_ms) {
            snprintf(why, whylen, "key \"%s\": type %d/%d expire %lld/%lld", kq, x->type, y->type,
                     (long long)x->expire_ms, (long long)y->expire_ms);
            return 0;
        }
        if (x->type == TK_STRING && cmp_bytes(x->val, x->vlen, y->val, y->vlen) != 0) {
            snprintf(why, whylen, "key \"%s\": value differs (len %zu vs %zu)", kq, x->vlen,
                     y->vlen);
            return 0;
        }
        if (x->type == TK_HASH) {
            if (x->nfields != y->nfields) {
                snprintf(why, whylen, "key \"%s\": %zu vs %zu fields", kq, x->nfields,
                         y->nfields);
                return 0;
            }
            for (size_t j = 0; j < x->nfields; j++)
                if (cmp_field(&x->fields[j], &y->fields[j]) != 0 ||
                    cmp_bytes(x->fields[j].v, x->fields[j].vlen, y->fields[j].v,
                              y->fields[j].vlen) != 0) {
                    snprintf(why, whylen, "key \"%s\": field #%zu differs", kq, j);
                    return 0;
                }
        }
    }
    return 1;
}

void rdb_put_trailer(struct rdb_buf *b, int crc)
{
    uint8_t t[8] = { 0 };
    if (crc)
        rdb_enc_trailer(rdb_crc64(0, b->data, b->len), t);
    xappend(b, t, 8);
}

int tmodel_encode(const struct tmodel *m, struct rdb_buf *out, unsigned version, int crc)
{
    int rc;
    if ((rc = rdb_enc_header(out, version)) != 0 ||
        (rc = rdb_enc_aux(out, "redis-ver", "7.0.15")) != 0 ||
        (rc = rdb_enc_aux_int(out, "redis-bits", 64)) != 0 ||
        (rc = rdb_enc_aux_int(out, "ctime", now_ms() / 1000)) != 0 ||
        (rc = rdb_enc_aux(out, "dpcache-test", "1")) != 0)
        return rc;
    /* Keys grouped by db in ascending order, in model order within a db. */
    uint32_t maxdb = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->keys[i].db > maxdb)
            maxdb = m->keys[i].db;
    for (uint32_t db = 0; db <= maxdb; db++) {
        uint64_t n = 0, nexp = 0;
        for (size_t i = 0; i < m->n; i++)
            if (m->keys[i].db == db) {
                n++;
                nexp += m->keys[i].expire_ms != RDB_NO_EXPIRE;
            }
        if (n == 0)
            continue;
        if ((rc = rdb_enc_selectdb(out, db)) != 0 || (rc = rdb_enc_resizedb(out, n, nexp)) != 0)
            return rc;
        for (size_t i = 0; i < m->n; i++) {
            const struct tkey *k = &m->keys[i];
            if (k->db != db)
                continue;
            if (k->type == TK_STRING) {
                rc = rdb_enc_string(out, k->key, k->klen, k->val, k->vlen, k->expire_ms);
            } else {
                rc = rdb_enc_hash_begin(out, k->key, k->klen, k->nfields, k->expire_ms);
                for (size_t j = 0; rc == 0 && j < k->nfields; j++)
                    rc = rdb_enc_hash_field(out, k->fields[j].f, k->fields[j].flen,
                                            k->fields[j].v, k->fields[j].vlen);
            }
            if (rc != 0)
                return rc;
        }
    }
    if ((rc = rdb_enc_eof(out)) != 0)
        return rc;
    rdb_put_trailer(out, crc);
    return 0;
}

/* ---- collector ------------------------------------------------------------------------- */

static int c_aux(void *ud, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    struct tcollect *c = ud;
    c->aux++;
    return 0;
}

static int c_selectdb(void *ud, uint32_t db)
{
    struct tcollect *c = ud;
    c->selectdb++;
    return 0;
}

static int c_string(void *ud, uint32_t db, const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen, int64_t expire_ms)
{
    struct tcollect *c = ud;
    if (c->stop_after_keys > 0 && c->m.n >= (size_t)c->stop_after_keys)
        return -EINTR;
    tmodel_add_string(&c->m, db, key, klen, val, vlen, expire_ms);
    return 0;
}

static int c_hash_begin(void *ud, uint32_t db, const uint8_t *key, size_t klen, uint64_t nfields,
                        int64_t expire_ms)
{
    struct tcollect *c = ud;
    if (c->stop_after_keys > 0 && c->m.n >= (size_t)c->stop_after_keys)
        return -EINTR;
    c->cur = tmodel_add_hash(&c->m, db, key, klen, expire_ms);
    return 0;
}

static int c_hash_field(void *ud, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
    struct tcollect *c = ud;
    if (c->cur == NULL)
        return -EPROTO;
    tkey_add_field(c->cur, f, fl, v, vl);
    return 0;
}

static int c_hash_end(void *ud)
{
    struct tcollect *c = ud;
    c->cur = NULL;
    c->hash_end++;
    return 0;
}

const struct rdb_dec_ops tcollect_ops = {
    .on_aux = c_aux,
    .on_selectdb = c_selectdb,
    .on_string = c_string,
    .on_hash_begin = c_hash_begin,
    .on_hash_field = c_hash_field,
    .on_hash_end = c_hash_end,
};

void tcollect_free(struct tcollect *c)
{
    tmodel_free(&c->m);
    memset(c, 0, sizeof(*c));
}

/* ---- blob builders ---------------------------------------------------------------------- */

/* Canonical decimal int64, as Redis checks before choosing an integer encoding. */
static int canon_i64(const uint8_t *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 20)
        return 0;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = s[0] == '-';
    if (i >= n || s[i] < '1' || s[i] > '9')
        return 0;
    unsigned long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        if (v > (~0ULL - 9) / 10)
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (s[0] == '-') {
        if (v > (unsigned long long)INT64_MAX + 1)
            return 0;
        *out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (unsigned long long)INT64_MAX)
            return 0;
        *out = (int64_t)v;
    }
    return 1;
}

static void put_le(struct rdb_buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        xput(b, (uint8_t)(v >> (8 * i)));
}

void lp_begin(struct tblob *t)
{
    memset(t, 0, sizeof(*t));
    uint8_t hdr[6] = { 0 };
    xappend(&t->b, hdr, sizeof(hdr));
}

void lp_add(struct tblob *t, const void *s, size_t n)
{
    struct rdb_buf *b = &t->b;
    size_t start = b->len;
    int64_t v;
    if (canon_i64(s, n, &v)) {
        uint64_t u = (uint64_t)v;
        if (v >= 0 && v <= 127) {
            xput(b, (uint8_t)v);
        } else if (v >= -4096 && v <= 4095) {
            xput(b, (uint8_t)(0xC0 | ((u >> 8) & 0x1f)));
            xput(b, (uint8_t)u);
        } else if (v >= -32768 && v <= 32767) {
            xput(b, 0xF1);
            put_le(b, u, 2);
        } else if (v >= -8388608 && v <= 8388607) {
            xput(b, 0xF2);
            put_le(b, u, 3);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            xput(b, 0xF3);
            put_le(b, u, 4);
        } else {
            xput(b, 0xF4);
            put_le(b, u, 8);
        }
    } else if (n < 64) {
        xput(b, (uint8_t)(0x80 | n));
        xappend(b, s, n);
    } else if (n < 4096) {
        xput(b, (uint8_t)(0xE0 | (n >> 8)));
        xput(b, (uint8_t)n);
        xappend(b, s, n);
    } else {
        xput(b, 0xF0);
        put_le(b, n, 4);
        xappend(b, s, n);
    }
    uint64_t l = b->len - start;
    uint8_t bl[5];
    int k;
    if (l <= 127) {
        bl[0] = (uint8_t)l;
        k = 1;
    } else if (l < 16383) {
        bl[0] = (uint8_t)(l >> 7);
        bl[1] = (uint8_t)((l & 127) | 128);
        k = 2;
    } else if (l < 2097151) {
        bl[0] = (uint8_t)(l >> 14);
        bl[1] = (uint8_t)(((l >> 7) & 127) | 128);
        bl[2] = (uint8_t)((l & 127) | 128);
        k = 3;
    } else {
        bl[0] = (uint8_t)(l >> 21);
        bl[1] = (uint8_t)(((l >> 14) & 127) | 128);
        bl[2] = (uint8_t)(((l >> 7) & 127) | 128);
        bl[3] = (uint8_t)((l & 127) | 128);
        k = 4;
    }
    xappend(b, bl, (size_t)k);
    t->count++;
}

void lp_end(struct tblob *t, int count_unknown)
{
    xput(&t->b, 0xFF);
    uint8_t *h = t->b.data;
    uint32_t total = (uint32_t)t->b.len;
    uint32_t cnt = count_unknown || t->count >= 65535 ? 65535 : (uint32_t)t->count;
    for (int i = 0; i < 4; i++)
        h[i] = (uint8_t)(total >> (8 * i));
    h[4] = (uint8_t)cnt;
    h[5] = (uint8_t)(cnt >> 8);
}

void zl_begin(struct tblob *t)
{
    memset(t, 0, sizeof(*t));
    uint8_t hdr[10] = { 0 };
    xappend(&t->b, hdr, sizeof(hdr));
    t->tail = 10;
}

void zl_add(struct tblob *t, const void *s, size_t n)
{
    struct rdb_buf *b = &t->b;
    size_t start = b->len;
    if (t->prev < 254) {
        xput(b, (uint8_t)t->prev);
    } else {
        xput(b, 0xFE);
        put_le(b, t->prev, 4);
    }
    int64_t v;
    if (canon_i64(s, n, &v)) {
        uint64_t u = (uint64_t)v;
        if (v >= 0 && v <= 12) {
            xput(b, (uint8_t)(0xF1 + v));
        } else if (v >= INT8_MIN && v <= INT8_MAX) {
            xput(b, 0xFE);
            put_le(b, u, 1);
        } else if (v >= INT16_MIN && v <= INT16_MAX) {
            xput(b, 0xC0);
            put_le(b, u, 2);
        } else if (v >= -8388608 && v <= 8388607) {
            xput(b, 0xF0);
            put_le(b, u, 3);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            xput(b, 0xD0);
            put_le(b, u, 4);
        } else {
            xput(b, 0xE0);
            put_le(b, u, 8);
        }
    } else if (n < 64) {
        xput(b, (uint8_t)n);
        xappend(b, s, n);
    } else if (n < 16384) {
        xput(b, (uint8_t)(0x40 | (n >> 8)));
        xput(b, (uint8_t)n);
        xappend(b, s, n);
    } else {
        xput(b, 0x80);
        for (int i = 3; i >= 0; i--)
            xput(b, (uint8_t)(n >> (8 * i)));
        xappend(b, s, n);
    }
    t->prev = b->len - start;
    t->tail = start;
    t->count++;
}

void zl_end(struct tblob *t)
{
    xput(&t->b, 0xFF);
    uint8_t *h = t->b.data;
    uint32_t total = (uint32_t)t->b.len, tail = (uint32_t)t->tail;
    uint32_t cnt = t->count >= 65535 ? 65535 : (uint32_t)t->count;
    for (int i = 0; i < 4; i++) {
        h[i] = (uint8_t)(total >> (8 * i));
        h[4 + i] = (uint8_t)(tail >> (8 * i));
    }
    h[8] = (uint8_t)cnt;
    h[9] = (uint8_t)(cnt >> 8);
}

void zm_begin(struct tblob *t)
{
    memset(t, 0, sizeof(*t));
    xput(&t->b, 0);
}

static void zm_len(struct rdb_buf *b, size_t n)
{
    if (n < 254) {
        xput(b, (uint8_t)n);
    } else {
        xput(b, 254);
        put_le(b, n, 4);
    }
}

void zm_add(struct tblob *t, const void *k, size_t kn, const void *v, size_t vn)
{
    zm_len(&t->b, kn);
    xappend(&t->b, k, kn);
    zm_len(&t->b, vn);
    xput(&t->b, 0); /* free */
    xappend(&t->b, v, vn);
    t->count++;
}

void zm_end(struct tblob *t)
{
    xput(&t->b, 0xFF);
    t->b.data[0] = (uint8_t)(t->count < 254 ? t->count : 254);
}

void lzf_compress_simple(struct rdb_buf *out, const uint8_t *in, size_t n)
{
    enum { HBITS = 13, MAXOFF = 8192, MAXREF = 264 };
    size_t *last = xmalloc(sizeof(size_t) << HBITS);
    for (size_t i = 0; i < (1u << HBITS); i++)
        last[i] = SIZE_MAX;
    size_t i = 0, lit_start = 0;
#define FLUSH_LIT(upto)                                                                            \
    while (lit_start < (upto)) {                                                                   \
        size_t run = (upto) - lit_start > 32 ? 32 : (upto) - lit_start;                            \
        xput(out, (uint8_t)(run - 1));                                                             \
        xappend(out, in + lit_start, run);                                                         \
        lit_start += run;                                                                          \
    }
    while (i + 2 < n) {
        unsigned h = ((unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2]) * 2654435761u >>
                     (32 - HBITS);
        size_t ref = last[h];
        last[h] = i;
        if (ref != SIZE_MAX && i - ref <= MAXOFF && i > ref && memcmp(in + ref, in + i, 3) == 0) {
            size_t len = 3;
            while (i + len < n && len < MAXREF && in[ref + len] == in[i + len])
                len++;
            FLUSH_LIT(i);
            size_t dist = i - ref - 1, l = len - 2;
            if (l < 7) {
                xput(out, (uint8_t)((l << 5) | (dist >> 8)));
            } else {
                xput(out, (uint8_t)((7 << 5) | (dist >> 8)));
                xput(out, (uint8_t)(l - 7));
            }
            xput(out, (uint8_t)dist);
            i += len;
            lit_start = i;
            continue;
        }
        i++;
    }
    FLUSH_LIT(n);
#undef FLUSH_LIT
    free(last);
}

void rdb_put_lzf_str(struct rdb_buf *b, const void *s, size_t n)
{
    struct rdb_buf c = { 0 };
    lzf_compress_simple(&c, s, n);
    xput(b, 0xC3);
    if (rdb_enc_len(b, c.len) != 0 || rdb_enc_len(b, n) != 0)
        abort();
    xappend(b, c.data, c.len);
    rdb_buf_free(&c);
}

/* ---- files ------------------------------------------------------------------------------ */

int write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    const uint8_t *s = p;
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k <= 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        s += k;
        n -= (size_t)k;
    }
    return close(fd) == 0 ? 0 : -errno;
}

uint8_t *read_file_all(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    uint8_t *p = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, p + got, (size_t)st.st_size - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    *n = got;
    return p;
}

char *make_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    size_t len = strlen(base) + strlen(tag) + 32;
    char *p = xmalloc(len);
    snprintf(p, len, "%s/dpcache-rdb-%s-XXXXXX", base, tag);
    if (mkdtemp(p) == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

void save_seed(const char *name, const void *p, size_t n)
{
    const char *dir = getenv("DPCACHE_RDB_SEED_DIR");
    if (dir == NULL || dir[0] == '\0')
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_file(path, p, n);
}
