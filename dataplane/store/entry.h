/*
 * entry.h - the layout of a stored key: one slab chunk holding a 32-byte header, the key
 * bytes, then the value (a string's bytes, a packed hash, or a pointer to a hash dict).
 *
 * Concurrency contract (see docs/architecture.md):
 *  - Only the owner core writes an entry. Once published in the partition's table an entry is
 *    immutable except for: `expire` and `lru` (single atomic stores), and a string growing in
 *    place by APPEND (bytes written past `vlen`, then `vlen` stored with release).
 *  - Every other change (SET over a key, SETRANGE, HSET on a packed hash, INCR, ...) builds a
 *    new entry, publishes it in place of the old one, and retires the old one through RCU.
 *  - Readers on other cores load `vlen` with acquire before reading value bytes, and never
 *    follow the dict pointer of ENC_HASH_DICT (that encoding is mutated in place: requests for
 *    it are forwarded to the owner).
 */
#ifndef DP_ENTRY_H
#define DP_ENTRY_H

#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_prefetch.h>

enum obj_type {
    OBJ_STRING = 0,
    OBJ_HASH = 1,
};

enum obj_enc {
    ENC_RAW = 0,         /* string bytes inline */
    ENC_HASH_PACKED = 1, /* immutable packed field/value list inline (see hashobj.h) */
    ENC_HASH_DICT = 2,   /* value holds a struct hdict * owned by the owner core */
};

#define ENTRY_F_COLLIDE 0x01 /* in the table; keys with the same digest are in the overflow list */
#define ENTRY_F_OVF     0x02 /* lives in the overflow list, not in the table */

struct entry {
    uint64_t expire; /* absolute Unix time in ms; 0 = no expiry. Atomic. */
    uint32_t lru;    /* LRU clock (ms, mod 2^32) or LFU (minutes << 8 | log counter). Relaxed. */
    uint32_t klen;   /* key length */
    uint32_t vlen;   /* value bytes in use (strings: length). Atomic (release/acquire). */
    uint32_t vcap;   /* value bytes allocated after the key */
    uint32_t snap;   /* snapshot epoch this entry was written or serialized in */
    uint16_t db;       /* physical database */
    uint8_t type_enc;  /* enum obj_type | enum obj_enc << 4; fixed once published */
    uint8_t flags;     /* ENTRY_F_*; changed by the owner with atomic stores */
    uint8_t data[];    /* key bytes, then vcap value bytes */
};

_Static_assert(sizeof(struct entry) == 32, "entry header must stay 32 bytes");

static inline int entry_type(const struct entry *e)
{
    return e->type_enc & 0x0f;
}

static inline int entry_enc(const struct entry *e)
{
    return e->type_enc >> 4;
}

static inline void entry_set_type(struct entry *e, int type, int enc)
{
    e->type_enc = (uint8_t)(type | enc << 4);
}

static inline uint8_t entry_flags(const struct entry *e)
{
    return __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
}

static inline void entry_set_flags(struct entry *e, uint8_t f)
{
    __atomic_store_n(&e->flags, f, __ATOMIC_RELEASE);
}

static inline const char *entry_key(const struct entry *e)
{
    return (const char *)e->data;
}

static inline char *entry_val(struct entry *e)
{
    return (char *)e->data + e->klen;
}

static inline const char *entry_cval(const struct entry *e)
{
    return (const char *)e->data + e->klen;
}

static inline uint32_t entry_vlen(const struct entry *e)
{
    return __atomic_load_n(&e->vlen, __ATOMIC_ACQUIRE);
}

static inline uint64_t entry_expire(const struct entry *e)
{
    return __atomic_load_n(&e->expire, __ATOMIC_RELAXED);
}

static inline void entry_set_expire(struct entry *e, uint64_t ms)
{
    __atomic_store_n(&e->expire, ms, __ATOMIC_RELAXED);
}

/* entry_size: bytes of the chunk holding @e. */
static inline size_t entry_size(const struct entry *e)
{
    return sizeof(struct entry) + e->klen + e->vcap;
}

/* entry_prefetch: start loading the first four lines of the entry at @e: header, key and
 * value (a 16-byte key's 100-byte value ends in the third or, depending on where the chunk
 * starts in its line, the fourth line; the reply copies it). Any thread; a hint only. */
static inline void entry_prefetch(const void *e)
{
    rte_prefetch0(e);
    rte_prefetch0((const char *)e + RTE_CACHE_LINE_SIZE);
    rte_prefetch0((const char *)e + 2 * RTE_CACHE_LINE_SIZE);
    rte_prefetch0((const char *)e + 3 * RTE_CACHE_LINE_SIZE);
}

/* key_bytes_eq: whether the @n bytes at @a and @b are equal. Up to 16 bytes (sessions,
 * counters) inline, as two overlapping word pairs from 8 bytes up; longer ones with memcmp. */
static inline int key_bytes_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* entry_key_eq: whether @e holds key @k of @klen bytes in physical database @db. */
static inline int entry_key_eq(const struct entry *e, uint16_t db, const char *k, size_t klen)
{
    return e->db == db && e->klen == klen && key_bytes_eq((const char *)e->data, k, klen);
}

#endif
