/*
 * hashobj.c - packed and dict encodings of the hash type (see hashobj.h).
 */
#include "hashobj.h"

#include "../core/hash.h"
#include "../core/util.h"
#include "part.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t hash_max_packed_entries = 128;
uint32_t hash_max_packed_value = 64;

#define HDICT_MIN 4

/* ---- varints (LEB128, at most 5 bytes for 32-bit values) ---- */

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Returns the position after the varint, or NULL if it runs past @end. */
static inline const uint8_t *varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return p;
        }
    }
    return NULL;
}

/* ---- packed ---- */

static const uint8_t *packed_begin(const struct entry *e, uint64_t *count, const uint8_t **end)
{
    const uint8_t *p = (const uint8_t *)entry_cval(e);
    *end = p + entry_vlen(e);
    p = varint_get(p, *end, count);
    if (!p)
        *count = 0;
    return p;
}

static const uint8_t *packed_next(const uint8_t *p, const uint8_t *end, struct hfield *hf)
{
    uint64_t fl, vl;

    if (!p || !(p = varint_get(p, end, &fl)) || (uint64_t)(end - p) < fl)
        return NULL;
    hf->f = (const char *)p;
    hf->flen = fl;
    p += fl;
    if (!(p = varint_get(p, end, &vl)) || (uint64_t)(end - p) < vl)
        return NULL;
    hf->v = (const char *)p;
    hf->vlen = vl;
    return p + vl;
}

static size_t packed_pair_size(size_t fl, size_t vl)
{
    return varint_len(fl) + fl + varint_len(vl) + vl;
}

/* ---- dict ---- */

static inline uint64_t field_hash(const char *f, size_t n)
{
    return hash64(f, n);
}

static struct hnode **dict_table_alloc(struct part *p, uint64_t size)
{
    struct hnode **t = slab_alloc(&p->slab, size * sizeof(*t));
    if (t)
        memset(t, 0, size * sizeof(*t));
    return t;
}

static struct hdict *dict_new(struct part *p, uint64_t hint)
{
    struct hdict *d = slab_alloc(&p->slab, sizeof(*d));
    uint64_t size = HDICT_MIN;

    if (!d)
        return NULL;
    while (size < hint && size < (1ULL << 40))
        size <<= 1;
    d->table = dict_table_alloc(p, size);
    if (!d->table) {
        slab_free(&p->slab, d, sizeof(*d));
        return NULL;
    }
    d->mask = size - 1;
    d->count = 0;
    return d;
}

static void dict_resize(struct part *p, struct hdict *d, uint64_t size)
{
    struct hnode **nt = dict_table_alloc(p, size);

    if (!nt)
        return; /* keep the old table: slower, still correct */
    for (uint64_t i = 0; i <= d->mask; i++) {
        struct hnode *n = d->table[i], *next;
        while (n) {
            next = n->next;
            uint64_t b = field_hash((const char *)n->data, n->flen) & (size - 1);
            n->next = nt[b];
            nt[b] = n;
            n = next;
        }
    }
    slab_free(&p->slab, d->table, (d->mask + 1) * sizeof(*d->table));
    d->table = nt;
    d->mask = size - 1;
}

static struct hnode **dict_slot(const struct hdict *d, const char *f, size_t fl)
{
    struct hnode **pp = &d->table[field_hash(f, fl) & d->mask];

    while (*pp && !((*pp)->flen == fl && memcmp((*pp)->data, f, fl) == 0))
        pp = &(*pp)->next;
    return pp;
}

static size_t node_size(size_t fl, size_t vl)
{
    return sizeof(struct hnode) + fl + vl;
}

/* Set @f to @v. Returns 1 if added, 0 if updated or (nx) left alone, -1 on no memory. */
static int dict_set(struct part *p, struct hdict *d, const struct hfield *hf, int nx)
{
    struct hnode **pp = dict_slot(d, hf->f, hf->flen), *n;

    if (*pp && nx)
        return 0;
    n = slab_alloc(&p->slab, node_size(hf->flen, hf->vlen));
    if (!n)
        return -1;
    n->flen = (uint32_t)hf->flen;
    n->vlen = (uint32_t)hf->vlen;
    memcpy(n->data, hf->f, hf->flen);
    memcpy(n->data + hf->flen, hf->v, hf->vlen);
    if (*pp) {
        struct hnode *old = *pp;
        n->next = old->next;
        *pp = n;
        slab_free(&p->slab, old, node_size(old->flen, old->vlen));
        return 0;
    }
    n->next = NULL;
    *pp = n;
    d->count++;
    if (d->count > d->mask + 1)
        dict_resize(p, d, (d->mask + 1) * 2);
    return 1;
}

static int dict_del(struct part *p, struct hdict *d, const char *f, size_t fl)
{
    struct hnode **pp = dict_slot(d, f, fl), *n = *pp;

    if (!n)
        return 0;
    *pp = n->next;
    slab_free(&p->slab, n, node_size(n->flen, n->vlen));
    d->count--;
    if (d->mask + 1 > HDICT_MIN && d->count < (d->mask + 1) / 8)
        dict_resize(p, d, (d->mask + 1) / 2);
    return 1;
}

void hdict_destroy(struct part *p, struct hdict *d)
{
    for (uint64_t i = 0; i <= d->mask; i++) {
        struct hnode *n = d->table[i], *next;
        while (n) {
            next = n->next;
            slab_free(&p->slab, n, node_size(n->flen, n->vlen));
            n = next;
        }
    }
    slab_free(&p->slab, d->table, (d->mask + 1) * sizeof(*d->table));
    slab_free(&p->slab, d, sizeof(*d));
}

/* ---- readers ---- */

uint64_t hobj_len(const struct entry *e)
{
    const uint8_t *end;
    uint64_t n;

    if (entry_enc(e) == ENC_HASH_DICT)
        return hobj_dict(e)->count;
    packed_begin(e, &n, &end);
    return n;
}

int hobj_get(const struct entry *e, const char *f, size_t flen, const char **v, size_t *vlen)
{
    if (entry_enc(e) == ENC_HASH_DICT) {
        struct hnode *n = *dict_slot(hobj_dict(e), f, flen);
        if (!n)
            return 0;
        *v = (const char *)n->data + n->flen;
        *vlen = n->vlen;
        return 1;
    }
    const uint8_t *end, *p;
    uint64_t cnt;
    struct hfield hf;
    p = packed_begin(e, &cnt, &end);
    while (cnt-- && (p = packed_next(p, end, &hf)) != NULL) {
        if (hf.flen == flen && memcmp(hf.f, f, flen) == 0) {
            *v = hf.v;
            *vlen = hf.vlen;
            return 1;
        }
    }
    return 0;
}

void hobj_iter_init(struct hiter *it, const struct entry *e)
{
    it->e = e;
    it->node = NULL;
    it->bucket = 0;
    if (entry_enc(e) == ENC_HASH_DICT) {
        it->p = NULL;
        it->left = hobj_dict(e)->count;
    } else {
        it->p = packed_begin(e, &it->left, &it->end);
    }
}

int hobj_iter_next(struct hiter *it, struct hfield *out)
{
    if (it->left == 0)
        return 0;
    if (entry_enc(it->e) != ENC_HASH_DICT) {
        it->p = packed_next(it->p, it->end, out);
        if (!it->p)
            return 0;
        it->left--;
        return 1;
    }
    const struct hdict *d = hobj_dict(it->e);
    while (!it->node) {
        if (it->bucket > d->mask)
            return 0;
        it->node = d->table[it->bucket++];
    }
    out->f = (const char *)it->node->data;
    out->flen = it->node->flen;
    out->v = (const char *)it->node->data + it->node->flen;
    out->vlen = it->node->vlen;
    it->node = it->node->next;
    it->left--;
    return 1;
}

void hobj_random(const struct entry *e, uint64_t *rng, struct hfield *out)
{
    if (entry_enc(e) == ENC_HASH_DICT) {
        const struct hdict *d = hobj_dict(e);
        const struct hnode *n;
        uint64_t len = 0, k;
        do {
            n = d->table[rand64(rng) & d->mask];
        } while (!n);
        for (const struct hnode *c = n; c; c = c->next)
            len++;
        for (k = rand64(rng) % len; k; k--)
            n = n->next;
        out->f = (const char *)n->data;
        out->flen = n->flen;
        out->v = (const char *)n->data + n->flen;
        out->vlen = n->vlen;
        return;
    }
    struct hiter it;
    uint64_t k = rand64(rng) % hobj_len(e);
    hobj_iter_init(&it, e);
    do {
        hobj_iter_next(&it, out);
    } while (k--);
}

static uint64_t rev(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
}

uint64_t hobj_scan(const struct entry *e, uint64_t cur, uint64_t count,
                   void (*fn)(void *arg, const struct hfield *hf), void *arg)
{
    struct hfield hf;

    if (entry_enc(e) != ENC_HASH_DICT) {
        struct hiter it;
        hobj_iter_init(&it, e);
        while (hobj_iter_next(&it, &hf))
            fn(arg, &hf);
        return 0;
    }
    const struct hdict *d = hobj_dict(e);
    uint64_t v = cur, mask = d->mask;
    if (count == 0)
        count = 1;
    do {
        for (const struct hnode *n = d->table[v & mask]; n; n = n->next) {
            hf.f = (const char *)n->data;
            hf.flen = n->flen;
            hf.v = (const char *)n->data + n->flen;
            hf.vlen = n->vlen;
            fn(arg, &hf);
        }
        v |= ~mask;
        v = rev(v);
        v++;
        v = rev(v);
    } while (v && --count);
    return v;
}

uint64_t hobj_bytes(const struct entry *e)
{
    struct hiter it;
    struct hfield hf;
    uint64_t n = 0;

    hobj_iter_init(&it, e);
    while (hobj_iter_next(&it, &hf))
        n += hf.flen + hf.vlen;
    return n;
}

/* ---- writers ---- */

static int fits_packed(size_t fl, size_t vl)
{
    return fl <= hash_max_packed_value && vl <= hash_max_packed_value;
}

static struct entry *dict_entry(struct part *p, uint16_t pdb, const char *key, size_t klen,
                                struct hdict *d)
{
    struct entry *e = part_new_entry(p, pdb, key, klen, sizeof(d));

    if (!e)
        return NULL;
    entry_set_type(e, OBJ_HASH, ENC_HASH_DICT);
    memcpy(entry_val(e), &d, sizeof(d));
    e->vlen = sizeof(d);
    return e;
}

/* Publish @nw for the key: insert if there was no entry, replace otherwise. */
static int publish(struct part *p, struct entry *old, struct entry *nw, uint64_t dg, int keep)
{
    int rc;

    if (old) {
        nw->expire = old->expire;
        nw->lru = old->lru;
        part_replace(p, old, nw, dg, keep);
        return 0;
    }
    rc = part_insert(p, nw, dg);
    if (rc)
        part_free_entry(p, nw);
    return rc;
}

static int packed_to_dict_write(struct part *p, struct entry **ep, uint16_t pdb, const char *key,
                                size_t klen, uint64_t dg, const struct hfield *set, int nset,
                                int nx, const struct hfield *del, int ndel, long long *changed)
{
    struct entry *old = *ep, *nw;
    struct hdict *d = dict_new(p, (old ? hobj_len(old) : 0) + (uint64_t)nset);
    struct hiter it;
    struct hfield hf;
    long long n = 0;
    int rc;

    if (!d)
        return -ENOMEM;
    if (old) {
        hobj_iter_init(&it, old);
        while (hobj_iter_next(&it, &hf))
            if (dict_set(p, d, &hf, 0) < 0)
                goto oom;
    }
    for (int i = 0; i < nset; i++) {
        int r = dict_set(p, d, &set[i], nx);
        if (r < 0)
            goto oom;
        n += r;
    }
    for (int i = 0; i < ndel; i++)
        n += dict_del(p, d, del[i].f, del[i].flen);
    if (d->count == 0) { /* only deletes: the hash is gone */
        hdict_destroy(p, d);
        if (old)
            part_delete(p, old, dg, 0);
        *ep = NULL;
        *changed = n;
        return 0;
    }
    nw = dict_entry(p, pdb, key, klen, d);
    if (!nw)
        goto oom;
    rc = publish(p, old, nw, dg, 0);
    if (rc) {
        hdict_destroy(p, d);
        return rc;
    }
    *ep = nw;
    *changed = n;
    return 0;
oom:
    hdict_destroy(p, d);
    return -ENOMEM;
}

int hobj_write(struct part *p, struct entry **ep, uint16_t pdb, const char *key, size_t klen,
               uint64_t dg, const struct hfield *set, int nset, int nx, const struct hfield *del,
               int ndel, long long *changed)
{
    struct entry *old = *ep;
    long long n = 0;

    if (old && entry_enc(old) == ENC_HASH_DICT) {
        struct hdict *d = hobj_dict(old);
        part_before_write(p, old); /* changed in place below */
        for (int i = 0; i < nset; i++) {
            int r = dict_set(p, d, &set[i], nx);
            if (r < 0)
                return -ENOMEM;
            n += r;
        }
        for (int i = 0; i < ndel; i++)
            n += dict_del(p, d, del[i].f, del[i].flen);
        if (d->count == 0) {
            part_delete(p, old, dg, 0);
            *ep = NULL;
        }
        *changed = n;
        return 0;
    }

    /* packed (or new): work out the result size; go to a dict if it would not fit */
    uint64_t cnt = old ? hobj_len(old) : 0;
    if ((uint64_t)nset > hash_max_packed_entries)
        return packed_to_dict_write(p, ep, pdb, key, klen, dg, set, nset, nx, del, ndel, changed);
    for (int i = 0; i < nset; i++)
        if (!fits_packed(set[i].flen, set[i].vlen))
            return packed_to_dict_write(p, ep, pdb, key, klen, dg, set, nset, nx, del, ndel,
                                        changed);

    /* Decide each old pair's fate and each new pair's, in one O(n*m) pass (n, m <= limits). */
    struct hfield oldf[cnt ? cnt : 1];
    uint8_t keep_old[cnt ? cnt : 1], use_new[nset ? nset : 1];
    uint64_t count = 0, i;
    size_t bytes = 0;
    if (old) {
        struct hiter it;
        hobj_iter_init(&it, old);
        for (i = 0; i < cnt && hobj_iter_next(&it, &oldf[i]); i++)
            keep_old[i] = 1;
        cnt = i;
    }
    for (int s = 0; s < nset; s++) {
        int found = 0;
        use_new[s] = 1;
        for (int t = s + 1; t < nset; t++) /* a later duplicate argument wins */
            if (set[t].flen == set[s].flen && !memcmp(set[t].f, set[s].f, set[s].flen)) {
                use_new[s] = 0;
                break;
            }
        for (i = 0; i < cnt; i++)
            if (oldf[i].flen == set[s].flen && !memcmp(oldf[i].f, set[s].f, set[s].flen)) {
                found = 1;
                if (nx)
                    use_new[s] = 0;
                else if (use_new[s])
                    keep_old[i] = 0;
                break;
            }
        if (!found) {
            for (int t = 0; t < s && !found; t++)
                if (set[t].flen == set[s].flen && !memcmp(set[t].f, set[s].f, set[s].flen))
                    found = 1;
            if (!found)
                n++;
        }
    }
    for (int d = 0; d < ndel; d++)
        for (i = 0; i < cnt; i++)
            if (keep_old[i] && oldf[i].flen == del[d].flen &&
                !memcmp(oldf[i].f, del[d].f, del[d].flen)) {
                keep_old[i] = 0;
                n++;
                break;
            }
    for (i = 0; i < cnt; i++)
        if (keep_old[i]) {
            count++;
            bytes += packed_pair_size(oldf[i].flen, oldf[i].vlen);
        }
    for (int s = 0; s < nset; s++)
        if (use_new[s]) {
            count++;
            bytes += packed_pair_size(set[s].flen, set[s].vlen);
        }
    if (count > hash_max_packed_entries)
        return packed_to_dict_write(p, ep, pdb, key, klen, dg, set, nset, nx, del, ndel, changed);
    *changed = n;
    if (count == 0) {
        if (old)
            part_delete(p, old, dg, 0);
        *ep = NULL;
        return 0;
    }
    bytes += varint_len(count);
    struct entry *nw = part_new_entry(p, pdb, key, klen, bytes);
    if (!nw)
        return -ENOMEM;
    entry_set_type(nw, OBJ_HASH, ENC_HASH_PACKED);
    uint8_t *w = (uint8_t *)entry_val(nw);
    w = varint_put(w, count);
    for (i = 0; i < cnt; i++) /* surviving old pairs keep their order */
        if (keep_old[i]) {
            w = varint_put(w, oldf[i].flen);
            memcpy(w, oldf[i].f, oldf[i].flen);
            w += oldf[i].flen;
            w = varint_put(w, oldf[i].vlen);
            memcpy(w, oldf[i].v, oldf[i].vlen);
            w += oldf[i].vlen;
        }
    for (int s = 0; s < nset; s++)
        if (use_new[s]) {
            w = varint_put(w, set[s].flen);
            memcpy(w, set[s].f, set[s].flen);
            w += set[s].flen;
            w = varint_put(w, set[s].vlen);
            memcpy(w, set[s].v, set[s].vlen);
            w += set[s].vlen;
        }
    nw->vlen = (uint32_t)bytes;
    int rc = publish(p, old, nw, dg, 0);
    if (rc)
        return rc;
    *ep = nw;
    return 0;
}

struct entry *hobj_copy(struct part *p, const struct entry *src, uint16_t pdb, const char *key,
                        size_t klen)
{
    struct entry *e;

    if (entry_enc(src) != ENC_HASH_DICT) {
        uint32_t n = entry_vlen(src);
        e = part_new_entry(p, pdb, key, klen, n);
        if (!e)
            return NULL;
        entry_set_type(e, OBJ_HASH, ENC_HASH_PACKED);
        memcpy(entry_val(e), entry_cval(src), n);
        e->vlen = n;
        return e;
    }
    const struct hdict *sd = hobj_dict(src);
    struct hdict *d = dict_new(p, sd->count);
    struct hiter it;
    struct hfield hf;
    if (!d)
        return NULL;
    hobj_iter_init(&it, src);
    while (hobj_iter_next(&it, &hf))
        if (dict_set(p, d, &hf, 0) < 0) {
            hdict_destroy(p, d);
            return NULL;
        }
    e = dict_entry(p, pdb, key, klen, d);
    if (!e)
        hdict_destroy(p, d);
    return e;
}

size_t hobj_serialize_len(const struct entry *e)
{
    struct hiter it;
    struct hfield hf;
    size_t n;

    if (entry_enc(e) != ENC_HASH_DICT)
        return entry_vlen(e);
    n = varint_len(hobj_len(e));
    hobj_iter_init(&it, e);
    while (hobj_iter_next(&it, &hf))
        n += packed_pair_size(hf.flen, hf.vlen);
    return n;
}

void hobj_serialize(const struct entry *e, char *out)
{
    struct hiter it;
    struct hfield hf;
    uint8_t *w = (uint8_t *)out;

    if (entry_enc(e) != ENC_HASH_DICT) {
        memcpy(out, entry_cval(e), entry_vlen(e));
        return;
    }
    w = varint_put(w, hobj_len(e));
    hobj_iter_init(&it, e);
    while (hobj_iter_next(&it, &hf)) {
        w = varint_put(w, hf.flen);
        memcpy(w, hf.f, hf.flen);
        w += hf.flen;
        w = varint_put(w, hf.vlen);
        memcpy(w, hf.v, hf.vlen);
        w += hf.vlen;
    }
}

struct entry *hobj_from_blob(struct part *p, uint16_t pdb, const char *key, size_t klen,
                             const char *blob, size_t len)
{
    const uint8_t *q = (const uint8_t *)blob, *end = q + len;
    uint64_t cnt, i;
    struct hfield hf;
    int packed = 1;
    struct entry *e;

    q = varint_get(q, end, &cnt);
    if (!q || cnt == 0 || cnt > len)
        return NULL;
    for (i = 0; i < cnt; i++) {
        q = packed_next(q, end, &hf);
        if (!q)
            return NULL;
        if (!fits_packed(hf.flen, hf.vlen))
            packed = 0;
    }
    if (q != end)
        return NULL;
    if (packed && cnt <= hash_max_packed_entries) {
        e = part_new_entry(p, pdb, key, klen, len);
        if (!e)
            return NULL;
        entry_set_type(e, OBJ_HASH, ENC_HASH_PACKED);
        memcpy(entry_val(e), blob, len);
        e->vlen = (uint32_t)len;
        return e;
    }
    struct hdict *d = dict_new(p, cnt);
    if (!d)
        return NULL;
    q = varint_get((const uint8_t *)blob, end, &cnt);
    for (i = 0; i < cnt; i++) {
        q = packed_next(q, end, &hf);
        if (dict_set(p, d, &hf, 0) < 0) {
            hdict_destroy(p, d);
            return NULL;
        }
    }
    e = dict_entry(p, pdb, key, klen, d);
    if (!e)
        hdict_destroy(p, d);
    return e;
}
