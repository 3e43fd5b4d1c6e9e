/*
 * part.h - a partition of the keyspace: an rte_hash index, entries in the owner core's slab
 * memory, per-database counters and RCU reclamation.
 *
 * Index: the rte_hash key is the entry's 64-bit digest of (physical db, key) and its data the
 * struct entry pointer. The table runs in RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF mode, so
 * readers on any core look keys up without locks while the single writer, the owner core,
 * adds, replaces and deletes. Two different keys with the same digest are rare but legal: the
 * first lives in the table with ENTRY_F_COLLIDE set, the others in an RCU list ("overflow").
 * Every lookup compares the full key.
 *
 * Positions: rte_hash gives each key a position (its key-store index) that does not change
 * while the key exists and is not reused until an RCU grace period after the delete. Scans
 * (SCAN, KEYS, FLUSHDB, eviction and expiry sampling, snapshots) walk positions, so a key that
 * exists for a whole scan is seen, whatever the cuckoo displacements do. Overflow keys come
 * after the table's positions.
 *
 * Thread-safety (liburcu form):
 *   part_find, part_pdb, part_db_keys...: any registered urcu-qsbr thread, online ("call with
 *     rcu_read_lock held": QSBR readers are simply online between quiescent states); the
 *     returned entry stays valid until the caller's next quiescent state.
 *   everything else: must only be called from the owner core.
 */
#ifndef DP_PART_H
#define DP_PART_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "reclaim.h"
#include "slab.h"

#include <urcu/rcuhlist.h>

struct rte_hash;

/* Per physical database counters (owner writes, anyone reads, relaxed). */
struct part_db {
    uint64_t keys;
    uint64_t expires;
    uint64_t avg_ttl; /* ms: Redis's running estimate from the expiry cycle's samples; 0 none */
};

/* Reclaim item kinds (low two bits of the aux word). */
enum { RC_ENTRY = 0, RC_ENTRY_KEEPVAL = 1, RC_POS = 2, RC_BLOCK = 3 };

struct ovf_node {
    struct cds_hlist_node node;
    struct entry *e;
    uint64_t dg;
};

/* The lookup memo: the owner's latest bulk lookup (a pipeline's or an RX burst's keys),
 * kept so that the commands which follow find their key's digest and entry without hashing
 * the key and searching the table again. Owner only. part_replace and part_delete drop an
 * entry that leaves the table from it, so an entry it hands out is the key's entry. */
#define PART_MEMO_MAX 32
#define PART_MEMO_KEY 16
#define PART_MEMO_WINDOW 4 /* slots part_memo_take looks at from the next one */
#define PART_MEMO_LEAD 6   /* entries whose lines are in flight ahead of the one in use */

struct part_memo {
    int n, next;
    const void *owner; /* who filled it (only it clears it) */
    /* a key of up to PART_MEMO_KEY bytes is recognised by a copy of its bytes; a longer one
     * only at the same address (the same bytes of the same input buffer) */
    const char *key[PART_MEMO_MAX];
    char kcopy[PART_MEMO_MAX][PART_MEMO_KEY];
    uint32_t klen[PART_MEMO_MAX];
    uint16_t pdb[PART_MEMO_MAX];
    uint64_t dg[PART_MEMO_MAX];
    struct entry *e[PART_MEMO_MAX]; /* NULL: not found (or dropped): look the digest up */
};

struct part {
    /* shared with readers */
    struct rte_hash *h;
    uint32_t id;
    uint32_t ndb;
    uint16_t *dbmap;          /* logical -> physical database (SWAPDB); relaxed atomics */
    struct part_db *dbs;      /* indexed by physical database */
    struct cds_hlist_head ovf;
    uint64_t nkeys;           /* keys in all databases */
    uint32_t novf;            /* entries in the overflow list */
    uint32_t capacity;        /* rte_hash entries */
    uint32_t hiwater;         /* 1 + the highest position ever handed out */
    uint64_t index_bytes;     /* memory of the rte_hash */
    uint64_t retired_bytes;   /* entry bytes waiting for a grace period (still allocated) */
    uint64_t expired_keys;    /* counters for INFO */
    uint64_t evicted_keys;

    /* snapshot (engine/snapshot.c): entries with snap < snap_epoch are not yet in the running
     * snapshot; the hook serializes such an entry before a write changes or frees it */
    uint32_t snap_epoch;
    int snap_active;
    uint64_t snap_seen;       /* last snapshot id this partition cut */
    void (*snap_hook)(struct part *p, struct entry *e);

    /* owner only (on lines of its own: other cores read the fields above) */
    struct slab slab __attribute__((aligned(64)));
    struct reclaim rc;
    uint64_t rng;
    uint32_t expire_cursor;
    struct part_memo memo;
} __attribute__((aligned(64))); /* an array of them: no line shared between partitions */

/* part_setup: create the partition's table (@capacity keys) and memory. @shared: other cores
 * may read it concurrently (enables RCU-deferred frees). Returns 0 or -errno. */
int part_setup(struct part *p, uint32_t id, uint32_t capacity, uint32_t ndb, int socket,
               int shared);
/* part_teardown: free everything (owner, after all readers stopped). */
void part_teardown(struct part *p);

/* part_pdb: physical database of logical @db. Any thread. */
static inline uint16_t part_pdb(const struct part *p, int db)
{
    return __atomic_load_n(&p->dbmap[db], __ATOMIC_ACQUIRE);
}

/* part_find: the entry of @key in physical db @pdb with digest @dg (key_digest), or NULL.
 * Does not look at expiry. Any online thread (see the file comment). */
struct entry *part_find(const struct part *p, uint16_t pdb, const char *key, size_t klen,
                        uint64_t dg);

/* part_memo_reset: empty the memo and name its @owner. Owner thread. */
void part_memo_reset(struct part *p, const void *owner);
/* part_memo_add: remember that @key (@klen bytes, physical db @pdb) has digest @dg and that
 * the table mapped it to @e (NULL: nothing) just now. Returns 0 when full (not added), 1.
 * The memo keeps @key's address (compared, never read, for keys over PART_MEMO_KEY bytes).
 * Owner thread. */
int part_memo_add(struct part *p, uint16_t pdb, const char *key, size_t klen, uint64_t dg,
                  struct entry *e);
/* part_memo_prefetch: start loading the first lines of the entry in slot @i (none past the
 * end or for NULL): header, key and a short value. The memo's entries are loaded in step
 * with their use (taking slot i starts loading every slot up to i + PART_MEMO_LEAD not yet
 * started), not all at once: a burst's 32 entries x 4 lines are more misses than a core
 * keeps in flight, and prefetches issued beyond that wait. Owner thread. */
static inline void part_memo_prefetch(const struct part_memo *m, int i)
{
    if (i < m->n && m->e[i])
        entry_prefetch(m->e[i]);
}
/* part_memo_take: if the memo holds @key next: 1, its digest in *@dg and its entry in *@e
 * (NULL: look it up by digest; expiry not checked). Else 0. Owner thread. */
int part_memo_take(struct part *p, uint16_t pdb, const char *key, size_t klen, uint64_t *dg,
                   struct entry **e);
/* part_memo_clear: empty the memo if @owner filled it (before the key bytes it points to go
 * away). Owner thread; inline: it runs after every client input pass. */
static inline void part_memo_clear(struct part *p, const void *owner)
{
    if (p->memo.owner == owner)
        p->memo.n = p->memo.next = 0;
}

/* part_new_entry: allocate an unpublished entry for (@pdb, @key) with @vcap value bytes; all
 * other fields zero (type string, no expiry). NULL when out of memory. Owner. */
struct entry *part_new_entry(struct part *p, uint16_t pdb, const char *key, size_t klen,
                             size_t vcap);
/* part_free_entry: free an entry that was never published (value not freed). Owner. */
void part_free_entry(struct part *p, struct entry *e);

/* part_insert: publish @e, whose key must not exist. Returns 0, -ENOSPC when the table is
 * full, -ENOMEM. Owner. */
int part_insert(struct part *p, struct entry *e, uint64_t dg);

/* part_replace: publish @nw in place of @old (same db and key); @old is retired, its value
 * freed unless @keep_val (the value moved to @nw, e.g. a hash dict). Owner. */
void part_replace(struct part *p, struct entry *old, struct entry *nw, uint64_t dg, int keep_val);

/* part_delete: remove @e from the index and retire it (value too unless @keep_val). Owner. */
void part_delete(struct part *p, struct entry *e, uint64_t dg, int keep_val);

/* part_before_write: call before changing @e in place (APPEND within capacity, a dict hash):
 * lets a running snapshot save the entry's value first. Owner. */
static inline void part_before_write(struct part *p, struct entry *e)
{
    if (__builtin_expect(p->snap_active, 0) && e->snap < p->snap_epoch)
        p->snap_hook(p, e);
}

/* part_set_expire: change @e's expiry (0 = persist) and the expires counters. Owner. */
void part_set_expire(struct part *p, struct entry *e, uint64_t ms);

/* part_entry_at: the entry at scan position @pos, or NULL if the position is free. Positions
 * run from 0 to part_scan_end(p) - 1. Owner (it may run rte_hash_iterate-free lookups only,
 * but overflow positions walk the list). */
struct entry *part_entry_at(const struct part *p, uint32_t pos);
static inline uint32_t part_scan_end(const struct part *p)
{
    return p->hiwater + p->novf;
}

/* part_random: a random entry (any db), or NULL if the partition is empty. Owner. */
struct entry *part_random(struct part *p);

/* part_used: bytes this partition really holds: slab chunks in use plus the index's share for
 * the live keys. Any thread (approximate while the owner writes). */
uint64_t part_used(const struct part *p);

/* part_poll: owner's periodic work: free retired memory. */
static inline void part_poll(struct part *p, uint64_t now_ms)
{
    reclaim_poll(&p->rc, now_ms);
}

/* part_retire_block: free a slab block of @size bytes after a grace period. Owner. */
void part_retire_block(struct part *p, void *blk, size_t size);

/* part_free_value: release what an entry's value owns outside the entry (hash dicts). */
void part_free_value(struct part *p, struct entry *e);

#endif
