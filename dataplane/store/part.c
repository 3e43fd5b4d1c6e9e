/*
 * part.c - partition index and lifecycle (see part.h).
 */
#include "part.h"

#include "../core/hash.h"
#include "../core/log.h"
#include "../core/util.h"
#include "hashobj.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>

/* The table's own hash function: the digest is already a hash, use its low 32 bits, so that
 * rte_hash_hash() (used by rte_hash_get_key_with_position) agrees with our signatures. */
static uint32_t digest_sig(const void *key, uint32_t len, uint32_t init)
{
    uint64_t d;

    (void)len;
    (void)init;
    memcpy(&d, key, sizeof(d));
    return (uint32_t)d;
}

/* The table's keys are 8-byte digests: rte_hash would compare them with memcmp (it has
 * vector compares for 16 bytes and up only); this is one load and compare each. */
static int digest_eq(const void *a, const void *b, size_t len)
{
    uint64_t x, y;

    (void)len;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x != y;
}

static inline uint64_t rc_aux(unsigned kind, uint64_t v)
{
    return kind | v << 2;
}

static void retire_entry(struct part *p, struct entry *e, int keep_val)
{
    if (!p->rc.immediate)
        __atomic_store_n(&p->retired_bytes, p->retired_bytes + entry_size(e), __ATOMIC_RELAXED);
    reclaim_defer(&p->rc, e, rc_aux(keep_val ? RC_ENTRY_KEEPVAL : RC_ENTRY, 0));
}

static void part_reclaim_item(void *ctx, void *ptr, uint64_t aux)
{
    struct part *p = ctx;
    struct entry *e = ptr;

    switch (aux & 3) {
    case RC_ENTRY:
        part_free_value(p, e);
        /* fall through */
    case RC_ENTRY_KEEPVAL:
        if (!p->rc.immediate)
            __atomic_store_n(&p->retired_bytes, p->retired_bytes - entry_size(e),
                             __ATOMIC_RELAXED);
        slab_free(&p->slab, e, entry_size(e));
        break;
    case RC_POS:
        rte_hash_free_key_with_position(p->h, (int32_t)(aux >> 2));
        break;
    case RC_BLOCK:
        slab_free(&p->slab, ptr, aux >> 2);
        break;
    }
}

int part_setup(struct part *p, uint32_t id, uint32_t capacity, uint32_t ndb, int socket,
               int shared)
{
    static unsigned seq;
    char name[RTE_HASH_NAMESIZE];
    struct rte_hash_parameters hp = { 0 };
    uint64_t pow2;

    memset(p, 0, sizeof(*p));
    p->id = id;
    p->ndb = ndb;
    p->capacity = capacity;
    p->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)id << 32 | (uint64_t)(uintptr_t)p);
    snprintf(name, sizeof(name), "dpp%u_%u", id, __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
    hp.name = name;
    hp.entries = capacity;
    hp.key_len = sizeof(uint64_t);
    hp.hash_func = digest_sig;
    hp.socket_id = socket;
    hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    p->h = rte_hash_create(&hp);
    if (!p->h)
        return -ENOMEM; /* the caller says what to do (one message) */
    rte_hash_set_cmp_func(p->h, digest_eq); /* single process: a function pointer is fine */
    pow2 = rte_align64pow2(capacity);
    /* key store, buckets and extendable buckets, free-slot ring */
    p->index_bytes = (uint64_t)(capacity + 1) * 16 + pow2 / 8 * 64 * 2 + pow2 * 4;
    p->dbmap = calloc(ndb, sizeof(*p->dbmap));
    p->dbs = calloc(ndb, sizeof(*p->dbs));
    if (!p->dbmap || !p->dbs) {
        rte_hash_free(p->h);
        free(p->dbmap);
        free(p->dbs);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < ndb; i++)
        p->dbmap[i] = (uint16_t)i;
    CDS_INIT_HLIST_HEAD(&p->ovf);
    slab_init(&p->slab);
    reclaim_init(&p->rc, part_reclaim_item, p, !shared);
    return 0;
}

void part_teardown(struct part *p)
{
    uint32_t end = part_scan_end(p);

    reclaim_drain(&p->rc);
    /* free what the entries own outside the slab (large strings are slab-accounted) */
    for (uint32_t pos = 0; pos < end; pos++) {
        struct entry *e = part_entry_at(p, pos);
        if (e) {
            part_free_value(p, e);
            if (entry_size(e) > SLAB_MAX_CHUNK)
                slab_free(&p->slab, e, entry_size(e));
        }
    }
    rte_hash_free(p->h);
    slab_destroy(&p->slab);
    free(p->dbmap);
    free(p->dbs);
    memset(p, 0, sizeof(*p));
}

static struct ovf_node *ovf_find(const struct part *p, uint16_t pdb, const char *key,
                                 size_t klen, uint64_t dg)
{
    struct ovf_node *n;

    cds_hlist_for_each_entry_rcu_2(n, &p->ovf, node)
    {
        if (n->dg == dg && entry_key_eq(n->e, pdb, key, klen))
            return n;
    }
    return NULL;
}

/* ---- lookup memo ---- */

/* @key matches memo slot @i: by its bytes when the slot holds a copy, else by address */
static inline int memo_key_eq(const struct part_memo *m, int i, const char *key, size_t klen)
{
    return klen > PART_MEMO_KEY ? m->key[i] == key : key_bytes_eq(m->kcopy[i], key, klen);
}

void part_memo_reset(struct part *p, const void *owner)
{
    p->memo.n = p->memo.next = 0;
    p->memo.owner = owner;
}

int part_memo_add(struct part *p, uint16_t pdb, const char *key, size_t klen, uint64_t dg,
                  struct entry *e)
{
    struct part_memo *m = &p->memo;

    if (m->n == PART_MEMO_MAX)
        return 0;
    m->key[m->n] = key;
    if (klen >= 8 && klen <= PART_MEMO_KEY) { /* two overlapping words, as compared */
        memcpy(m->kcopy[m->n], key, 8);
        memcpy(m->kcopy[m->n] + klen - 8, key + klen - 8, 8);
    } else if (klen < 8) {
        for (size_t i = 0; i < klen; i++)
            m->kcopy[m->n][i] = key[i];
    }
    m->klen[m->n] = (uint32_t)klen;
    m->pdb[m->n] = pdb;
    m->dg[m->n] = dg;
    m->e[m->n] = e;
    m->n++;
    return 1;
}

int part_memo_take(struct part *p, uint16_t pdb, const char *key, size_t klen, uint64_t *dg,
                   struct entry **e)
{
    struct part_memo *m = &p->memo;

    /* keys are looked up in the order they were added: try the next few (commands whose
     * argument 1 is not looked up, or that were rejected, leave theirs behind) */
    for (int i = m->next; i < m->n && i < m->next + PART_MEMO_WINDOW; i++) {
        if (m->klen[i] != klen || m->pdb[i] != pdb || !memo_key_eq(m, i, key, klen))
            continue;
        /* keep PART_MEMO_LEAD slots ahead loading, counting the slots skipped over */
        for (int k = m->next + PART_MEMO_LEAD; k <= i + PART_MEMO_LEAD; k++)
            part_memo_prefetch(m, k);
        m->next = i + 1;
        *dg = m->dg[i];
        /* a digest match only: the entry may hold another key of the same digest */
        *e = (m->e[i] && entry_key_eq(m->e[i], pdb, key, klen)) ? m->e[i] : NULL;
        return 1;
    }
    return 0;
}

/* An entry leaves the table: the memo must not hand it out any more. */
static inline void part_memo_forget(struct part *p, const struct entry *e)
{
    struct part_memo *m = &p->memo;

    for (int i = m->next; i < m->n; i++)
        if (m->e[i] == e)
            m->e[i] = NULL;
}

struct entry *part_find(const struct part *p, uint16_t pdb, const char *key, size_t klen,
                        uint64_t dg)
{
    void *data;
    struct entry *e;
    struct ovf_node *n;

    if (rte_hash_lookup_with_hash_data(p->h, &dg, (hash_sig_t)dg, &data) < 0)
        return NULL;
    e = data;
    /* a lookup outside a batch (a lone request): the value's lines load while the header is
     * compared, not after it (the reply reads them next); as prefetch_run does for batches */
    entry_prefetch(e);
    if (likely(entry_key_eq(e, pdb, key, klen)))
        return e;
    if (!(entry_flags(e) & ENTRY_F_COLLIDE))
        return NULL;
    n = ovf_find(p, pdb, key, klen, dg);
    return n ? n->e : NULL;
}

struct entry *part_new_entry(struct part *p, uint16_t pdb, const char *key, size_t klen,
                             size_t vcap)
{
    struct entry *e;

    if (klen > UINT32_MAX / 2 || vcap > UINT32_MAX / 2)
        return NULL;
    e = slab_alloc(&p->slab, sizeof(*e) + klen + vcap);
    if (!e)
        return NULL;
    memset(e, 0, sizeof(*e));
    e->snap = p->snap_epoch; /* created after the running snapshot's cut: not part of it */
    e->klen = (uint32_t)klen;
    e->vcap = (uint32_t)vcap;
    e->db = pdb;
    memcpy(e->data, key, klen);
    return e;
}

void part_free_entry(struct part *p, struct entry *e)
{
    slab_free(&p->slab, e, entry_size(e));
}

static void count_add(struct part *p, const struct entry *e, int sign)
{
    struct part_db *d = &p->dbs[e->db];

    __atomic_store_n(&d->keys, d->keys + (uint64_t)(int64_t)sign, __ATOMIC_RELAXED);
    __atomic_store_n(&p->nkeys, p->nkeys + (uint64_t)(int64_t)sign, __ATOMIC_RELAXED);
    if (e->expire)
        __atomic_store_n(&d->expires, d->expires + (uint64_t)(int64_t)sign, __ATOMIC_RELAXED);
}

int part_insert(struct part *p, struct entry *e, uint64_t dg)
{
    void *data;
    int32_t pos;

    if (rte_hash_lookup_with_hash_data(p->h, &dg, (hash_sig_t)dg, &data) >= 0) {
        /* another key has this digest: keep the new one in the overflow list */
        struct entry *prim = data;
        struct ovf_node *n = slab_alloc(&p->slab, sizeof(*n));
        if (!n)
            return -ENOMEM;
        n->e = e;
        n->dg = dg;
        entry_set_flags(e, entry_flags(e) | ENTRY_F_OVF);
        cds_hlist_add_head_rcu(&n->node, &p->ovf);
        __atomic_store_n(&p->novf, p->novf + 1, __ATOMIC_RELAXED);
        entry_set_flags(prim, entry_flags(prim) | ENTRY_F_COLLIDE);
        count_add(p, e, 1);
        return 0;
    }
    pos = rte_hash_add_key_with_hash_data(p->h, &dg, (hash_sig_t)dg, e);
    if (pos < 0)
        return pos == -ENOSPC ? -ENOSPC : -ENOMEM;
    /* rte_hash_add_key_with_hash_data returns 0 on success: find the position for hiwater */
    pos = rte_hash_lookup_with_hash(p->h, &dg, (hash_sig_t)dg);
    if (pos >= 0 && (uint32_t)pos + 1 > p->hiwater)
        __atomic_store_n(&p->hiwater, (uint32_t)pos + 1, __ATOMIC_RELAXED);
    count_add(p, e, 1);
    return 0;
}

void part_replace(struct part *p, struct entry *old, struct entry *nw, uint64_t dg, int keep_val)
{
    uint8_t f = entry_flags(old);

    part_memo_forget(p, old);
    part_before_write(p, old);

    if (f & ENTRY_F_OVF) {
        struct ovf_node *n = ovf_find(p, old->db, entry_key(old), old->klen, dg);
        entry_set_flags(nw, (uint8_t)(entry_flags(nw) | ENTRY_F_OVF));
        __atomic_store_n(&n->e, nw, __ATOMIC_RELEASE);
    } else {
        entry_set_flags(nw, (uint8_t)(entry_flags(nw) | (f & ENTRY_F_COLLIDE)));
        /* adding an existing key replaces its data pointer atomically (LF mode) */
        rte_hash_add_key_with_hash_data(p->h, &dg, (hash_sig_t)dg, nw);
    }
    if (!old->expire != !nw->expire) {
        struct part_db *d = &p->dbs[nw->db];
        __atomic_store_n(&d->expires, d->expires + (nw->expire ? 1 : (uint64_t)-1),
                         __ATOMIC_RELAXED);
    }
    retire_entry(p, old, keep_val);
}

static void ovf_unlink(struct part *p, struct ovf_node *n)
{
    cds_hlist_del_rcu(&n->node);
    __atomic_store_n(&p->novf, p->novf - 1, __ATOMIC_RELAXED);
    reclaim_defer(&p->rc, n, rc_aux(RC_BLOCK, sizeof(*n)));
}

void part_delete(struct part *p, struct entry *e, uint64_t dg, int keep_val)
{
    uint8_t f = entry_flags(e);

    part_memo_forget(p, e);
    part_before_write(p, e);

    count_add(p, e, -1);
    if (f & ENTRY_F_OVF) {
        ovf_unlink(p, ovf_find(p, e->db, entry_key(e), e->klen, dg));
    } else if (f & ENTRY_F_COLLIDE) {
        /* promote an overflow entry with the same digest into the table slot */
        struct ovf_node *n, *sib = NULL;
        int more = 0;
        cds_hlist_for_each_entry_2(n, &p->ovf, node)
        {
            if (n->dg != dg)
                continue;
            if (!sib)
                sib = n;
            else
                more = 1;
        }
        if (sib) {
            struct entry *s = sib->e;
            part_before_write(p, s); /* it moves to a table position a snapshot walk passed */
            entry_set_flags(s, (uint8_t)((entry_flags(s) & ~ENTRY_F_OVF) |
                                         (more ? ENTRY_F_COLLIDE : 0)));
            rte_hash_add_key_with_hash_data(p->h, &dg, (hash_sig_t)dg, s);
            ovf_unlink(p, sib);
        } else {
            int32_t pos = rte_hash_del_key_with_hash(p->h, &dg, (hash_sig_t)dg);
            if (pos >= 0)
                reclaim_defer(&p->rc, NULL, rc_aux(RC_POS, (uint64_t)pos));
        }
    } else {
        int32_t pos = rte_hash_del_key_with_hash(p->h, &dg, (hash_sig_t)dg);
        if (pos >= 0)
            reclaim_defer(&p->rc, NULL, rc_aux(RC_POS, (uint64_t)pos));
    }
    retire_entry(p, e, keep_val);
}

void part_set_expire(struct part *p, struct entry *e, uint64_t ms)
{
    part_before_write(p, e);
    if (!e->expire != !ms) {
        struct part_db *d = &p->dbs[e->db];
        __atomic_store_n(&d->expires, d->expires + (ms ? 1 : (uint64_t)-1), __ATOMIC_RELAXED);
    }
    entry_set_expire(e, ms);
}

struct entry *part_entry_at(const struct part *p, uint32_t pos)
{
    void *key, *data;

    if (pos < p->hiwater) {
        if (rte_hash_get_key_with_position(p->h, (int32_t)pos, &key) < 0)
            return NULL;
        if (rte_hash_lookup_with_hash_data(p->h, key, digest_sig(key, 8, 0), &data) < 0)
            return NULL;
        return data;
    }
    pos -= p->hiwater;
    if (pos < p->novf) {
        struct ovf_node *n;
        cds_hlist_for_each_entry_rcu_2(n, &p->ovf, node)
        {
            if (pos-- == 0)
                return n->e;
        }
    }
    return NULL;
}

struct entry *part_random(struct part *p)
{
    uint32_t end = part_scan_end(p), start, i;

    if (p->nkeys == 0 || end == 0)
        return NULL;
    /* a few random probes, then a walk from a random place (sparse tables) */
    for (i = 0; i < 16; i++) {
        struct entry *e = part_entry_at(p, (uint32_t)(rand64(&p->rng) % end));
        if (e)
            return e;
    }
    start = (uint32_t)(rand64(&p->rng) % end);
    for (i = 0; i < end; i++) {
        struct entry *e = part_entry_at(p, (start + i) % end);
        if (e)
            return e;
    }
    return NULL;
}

uint64_t part_used(const struct part *p)
{
    uint64_t keys = __atomic_load_n(&p->nkeys, __ATOMIC_RELAXED);
    uint64_t per_key = p->capacity ? p->index_bytes / p->capacity : 0;

    uint64_t used = __atomic_load_n(&p->slab.used, __ATOMIC_RELAXED);
    uint64_t retired = __atomic_load_n(&p->retired_bytes, __ATOMIC_RELAXED);

    return (used > retired ? used - retired : 0) + keys * per_key;
}

void part_retire_block(struct part *p, void *blk, size_t size)
{
    reclaim_defer(&p->rc, blk, rc_aux(RC_BLOCK, size));
}

void part_free_value(struct part *p, struct entry *e)
{
    if (entry_type(e) == OBJ_HASH && entry_enc(e) == ENC_HASH_DICT)
        hdict_destroy(p, hobj_dict(e));
}
