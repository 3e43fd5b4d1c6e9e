/*
 * hashobj.h - the hash type: a small immutable packed encoding and an in-place dict.
 *
 * Packed (ENC_HASH_PACKED): the entry's value bytes are
 *     varint count, then count x (varint flen, field, varint vlen, value)
 * and are never modified after the entry is published: a write builds a new entry. Readers on
 * any core may walk it. A hash is packed while it has at most hash-max-listpack-entries
 * fields, each field and value at most hash-max-listpack-value bytes (Redis's thresholds).
 *
 * Dict (ENC_HASH_DICT): the value holds a struct hdict * whose nodes live in the owner's slab
 * and are changed in place; only the owner may read it (other cores forward the request).
 * It never goes back to packed (as in Redis).
 *
 * Thread-safety: hobj_* readers that take a const entry work on any core for packed hashes
 * and on the owner for dicts; everything that takes a struct part * is owner-only.
 */
#ifndef DP_HASHOBJ_H
#define DP_HASHOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

struct part;

struct hnode {
    struct hnode *next;
    uint32_t flen;
    uint32_t vlen;
    uint8_t data[]; /* field, then value */
};

struct hdict {
    struct hnode **table;
    uint64_t mask;  /* table size - 1; size is a power of two */
    uint64_t count; /* fields */
};

/* Limits for the packed encoding (CONFIG hash-max-listpack-entries / -value). */
extern uint32_t hash_max_packed_entries;
extern uint32_t hash_max_packed_value;

/* A field/value pair being read or written. */
struct hfield {
    const char *f;
    size_t flen;
    const char *v;
    size_t vlen;
};

static inline struct hdict *hobj_dict(const struct entry *e)
{
    struct hdict *d;

    memcpy(&d, (const char *)e->data + e->klen, sizeof(d));
    return d;
}

/* hobj_len: number of fields. */
uint64_t hobj_len(const struct entry *e);

/* hobj_get: find @f; returns 1 and the value, or 0. */
int hobj_get(const struct entry *e, const char *f, size_t flen, const char **v, size_t *vlen);

/* Iteration over all pairs (order: packed = insertion, dict = table order). */
struct hiter {
    const struct entry *e;
    const uint8_t *p, *end; /* packed */
    uint64_t left;
    uint64_t bucket;        /* dict */
    const struct hnode *node;
};
void hobj_iter_init(struct hiter *it, const struct entry *e);
/* hobj_iter_next: next pair into @out; 0 at the end. */
int hobj_iter_next(struct hiter *it, struct hfield *out);

/* hobj_random: pair number @idx-th at random for HRANDFIELD: uniform for packed, by random
 * bucket walk for dicts (as Redis). @rng: caller's state. */
void hobj_random(const struct entry *e, uint64_t *rng, struct hfield *out);

/* hobj_scan: visit up to ~@count pairs from cursor @cur (Redis's reverse-binary cursor over
 * dict buckets; packed hashes are returned whole with next cursor 0). Returns the next cursor.
 * @fn is called for each pair. */
uint64_t hobj_scan(const struct entry *e, uint64_t cur, uint64_t count,
                   void (*fn)(void *arg, const struct hfield *hf), void *arg);

/* hobj_write: apply @nset pairs (HSET; if @nx, only missing fields) and delete @ndel fields to
 * the hash at *@ep (NULL: create key @key in @pdb) and publish the result. *@ep is updated to
 * the live entry, or NULL when the hash became empty and was deleted. @changed receives the
 * number of fields added (HSET) or deleted (HDEL). Returns 0, -ENOMEM or -ENOSPC. */
int hobj_write(struct part *p, struct entry **ep, uint16_t pdb, const char *key, size_t klen,
               uint64_t dg, const struct hfield *set, int nset, int nx, const struct hfield *del,
               int ndel, long long *changed);

/* hdict_destroy: free a dict and its nodes (owner; used when a retired entry is freed). */
void hdict_destroy(struct part *p, struct hdict *d);

/* hobj_copy_value: duplicate @src's hash value into a new unpublished entry for @key/@pdb in
 * partition @p (which may differ from @src's: RENAME/MOVE across partitions). */
struct entry *hobj_copy(struct part *p, const struct entry *src, uint16_t pdb, const char *key,
                        size_t klen);

/* hobj_serialize: the hash as one packed blob (varint count, then flen/field/vlen/value),
 * whatever its encoding. hobj_serialize_len gives the size to reserve. */
size_t hobj_serialize_len(const struct entry *e);
void hobj_serialize(const struct entry *e, char *out);

/* hobj_from_blob: build an unpublished hash entry for @key from a serialized blob (packed if
 * it fits the packed limits, dict otherwise). NULL if the blob is malformed or memory runs
 * out. */
struct entry *hobj_from_blob(struct part *p, uint16_t pdb, const char *key, size_t klen,
                             const char *blob, size_t len);

/* hobj_bytes: payload bytes (fields + values), for MEMORY/snapshot sizing. */
uint64_t hobj_bytes(const struct entry *e);

#endif
