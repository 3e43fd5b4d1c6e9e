/*
 * expire.h - active expiry and eviction, run by each worker on its own partition.
 *
 * Active expiry samples random keys of the partition (Redis's algorithm: 20 keys per round,
 * another round while more than 10% of the keys with a TTL in the sample were expired), within
 * a time budget that follows hz and active-expire-effort. Expired keys are also removed lazily
 * by any owner access; readers on other cores treat them as missing.
 *
 * Eviction (maxmemory) samples maxmemory-samples keys (all keys or those with a TTL) and
 * removes the best candidate for the policy: LRU (oldest access), LFU (lowest logarithmic
 * counter, decayed by lfu-decay-time), TTL (nearest expiry) or random. The memory budget of a
 * partition is maxmemory / workers.
 *
 * Thread-safety: owner core only.
 */
#ifndef DP_EXPIRE_H
#define DP_EXPIRE_H

#include <stdint.h>

struct worker;
struct part;
struct entry;

/* expire_cycle: one slice of active expiry if due. Returns keys expired. */
unsigned expire_cycle(struct worker *w);

/* evict_if_needed: free memory until the partition is under its budget. Returns 0 if the
 * partition is (now) under budget or has no limit, -1 if nothing more can be evicted. */
int evict_if_needed(struct worker *w, struct part *p);

/* evict_one: remove one key chosen by the policy (also when the index is full). Returns 0 or
 * -1 if the policy allows no candidate. */
int evict_one(struct worker *w, struct part *p);

/* lru_touch: record an access (LRU clock or LFU counter) on @e; any core. */
void lru_touch(struct entry *e, uint64_t now_ms);
/* lru_init: the access data of a new entry. */
uint32_t lru_initial(uint64_t now_ms);

#endif
