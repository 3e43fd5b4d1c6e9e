/*
 * expire.c - active expiry, eviction and LRU/LFU bookkeeping (see expire.h).
 */
#include "expire.h"

#include "../core/hash.h"
#include "../core/util.h"
#include "../store/part.h"
#include "db.h"
#include "server.h"
#include "worker.h"

#include <math.h>

#include <rte_cycles.h>

#define EXPIRE_KEYS_PER_LOOP 20
#define EVICT_TIME_LIMIT_US  500
#define LFU_INIT_VAL         5

static __thread uint64_t lfu_rng = 0x2545F4914F6CDD1DULL;

static int policy_lfu(int pol)
{
    return pol == MM_ALLKEYS_LFU || pol == MM_VOLATILE_LFU;
}

static uint32_t lfu_minutes(uint64_t now_ms)
{
    return (uint32_t)((now_ms / 60000) & 0xFFFF);
}

/* Counter after decay (Redis's LFUDecrAndReturn). */
static uint32_t lfu_decayed(uint32_t lru, uint64_t now_ms)
{
    uint32_t ldt = lru >> 8, counter = lru & 0xff, now = lfu_minutes(now_ms);
    uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    long long decay = srv.cfg.lfu_decay_time;
    uint32_t periods = decay ? elapsed / (uint32_t)decay : 0;

    return periods > counter ? 0 : counter - periods;
}

uint32_t lru_initial(uint64_t now_ms)
{
    if (policy_lfu(srv.cfg.maxmemory_policy))
        return lfu_minutes(now_ms) << 8 | LFU_INIT_VAL;
    return (uint32_t)now_ms; /* LRU clock in ms: wraps after 49 days, compared modulo 2^32 */
}

void lru_touch(struct entry *e, uint64_t now_ms)
{
    uint32_t v;

    if (policy_lfu(srv.cfg.maxmemory_policy)) {
        uint32_t counter = lfu_decayed(__atomic_load_n(&e->lru, __ATOMIC_RELAXED), now_ms);
        if (counter < 255) {
            double r = (double)(rand64(&lfu_rng) >> 11) / 9007199254740992.0;
            double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
            if (r < 1.0 / (base * (double)srv.cfg.lfu_log_factor + 1))
                counter++;
        }
        v = lfu_minutes(now_ms) << 8 | counter;
    } else {
        v = (uint32_t)now_ms;
    }
    __atomic_store_n(&e->lru, v, __ATOMIC_RELAXED);
}

static void expire_entry(struct part *p, struct entry *e)
{
    uint64_t dg = key_digest(e->db, entry_key(e), e->klen);

    part_delete(p, e, dg, 0);
    __atomic_store_n(&p->expired_keys, p->expired_keys + 1, __ATOMIC_RELAXED);
}

struct ttl_sample {
    uint16_t db; /* physical */
    uint64_t ttl;
};

/* INFO keyspace avg_ttl, as Redis's activeExpireCycle: per database, the mean TTL of this
 * round's samples, folded into a running average (2% new, 98% old). */
static void avg_ttl_update(struct part *p, struct ttl_sample *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint16_t db = s[i].db;
        uint64_t sum = 0, cnt = 0, avg, *cur;
        if (db == UINT16_MAX) /* folded already */
            continue;
        for (unsigned j = i; j < n; j++)
            if (s[j].db == db) {
                sum += s[j].ttl;
                cnt++;
                s[j].db = UINT16_MAX;
            }
        avg = sum / cnt;
        cur = &p->dbs[db].avg_ttl;
        __atomic_store_n(cur, *cur ? (*cur / 50) * 49 + avg / 50 : avg, __ATOMIC_RELAXED);
    }
}

unsigned expire_cycle(struct worker *w)
{
    struct part *p = w->part;
    uint64_t period = 1000 / (uint64_t)srv.cfg.hz, budget_us, t0, tsc_us;
    unsigned expired = 0;
    uint32_t end;

    if (w->now_ms - w->expire_last_ms < (period ? period : 1))
        return 0;
    w->expire_last_ms = w->now_ms;
    for (uint32_t db = 0; db < p->ndb; db++) /* as Redis: no TTLs, no estimate */
        if (!p->dbs[db].expires && p->dbs[db].avg_ttl)
            __atomic_store_n(&p->dbs[db].avg_ttl, 0, __ATOMIC_RELAXED);
    end = part_scan_end(p);
    if (!end || !p->nkeys)
        return 0;
    /* Redis's slow cycle: up to 25% (+ effort) of one hz period */
    budget_us = period * 1000 * (25 + 2 * ((uint64_t)srv.cfg.active_expire_effort - 1)) / 100;
    tsc_us = rte_get_tsc_hz() / 1000000;
    if (!tsc_us)
        tsc_us = 1000;
    t0 = rte_rdtsc();
    for (int round = 0;; round++) {
        unsigned with_ttl = 0, gone = 0, nttl = 0;
        struct ttl_sample ttls[EXPIRE_KEYS_PER_LOOP];
        for (int i = 0; i < EXPIRE_KEYS_PER_LOOP * 4 && with_ttl < EXPIRE_KEYS_PER_LOOP; i++) {
            struct entry *e = part_entry_at(p, (uint32_t)(rand64(&p->rng) % end));
            uint64_t when;
            if (!e || !(when = entry_expire(e)))
                continue;
            with_ttl++;
            if (db_expired(e, w->now_ms)) {
                expire_entry(p, e);
                gone++;
            } else if (when > w->now_ms) {
                ttls[nttl++] = (struct ttl_sample){ e->db, when - w->now_ms };
            }
        }
        expired += gone;
        avg_ttl_update(p, ttls, nttl);
        if (with_ttl == 0 || gone * 10 <= with_ttl)
            break;
        if ((round & 15) == 15 && (rte_rdtsc() - t0) / tsc_us > budget_us)
            break;
    }
    return expired;
}

/* Candidate score: larger evicts first. */
static double evict_score(const struct entry *e, int pol, uint64_t now_ms)
{
    uint32_t lru = __atomic_load_n(&e->lru, __ATOMIC_RELAXED);

    switch (pol) {
    case MM_ALLKEYS_LRU:
    case MM_VOLATILE_LRU: return (double)(uint32_t)((uint32_t)now_ms - lru);
    case MM_ALLKEYS_LFU:
    case MM_VOLATILE_LFU: return 255.0 - lfu_decayed(lru, now_ms);
    case MM_VOLATILE_TTL: return -(double)entry_expire(e);
    default: return 0;
    }
}

int evict_one(struct worker *w, struct part *p)
{
    int pol = srv.cfg.maxmemory_policy;
    int volatile_only = pol <= MM_VOLATILE_TTL;
    int samples = (int)srv.cfg.maxmemory_samples;
    struct entry *best = NULL;
    double best_score = -INFINITY;
    uint32_t end = part_scan_end(p);

    if (pol == MM_NOEVICTION || !p->nkeys || !end)
        return -1;
    for (int tries = 0, got = 0; got < samples && tries < samples * 64; tries++) {
        struct entry *e;
        if (pol == MM_ALLKEYS_RANDOM || (tries >= samples * 8 && !volatile_only))
            e = part_random(p);
        else
            e = part_entry_at(p, (uint32_t)(rand64(&p->rng) % end));
        if (!e || (volatile_only && !entry_expire(e)))
            continue;
        got++;
        double s = pol == MM_VOLATILE_RANDOM || pol == MM_ALLKEYS_RANDOM
                       ? (double)(rand64(&p->rng) >> 11)
                       : evict_score(e, pol, w->now_ms);
        if (!best || s > best_score) {
            best = e;
            best_score = s;
        }
    }
    if (!best)
        return -1;
    part_delete(p, best, key_digest(best->db, entry_key(best), best->klen), 0);
    __atomic_store_n(&p->evicted_keys, p->evicted_keys + 1, __ATOMIC_RELAXED);
    return 0;
}

int evict_if_needed(struct worker *w, struct part *p)
{
    uint64_t budget = srv_maxmemory_per_part(), t0, tsc_us;
    int evicted = 0;

    if (!budget || part_used(p) <= budget)
        return 0;
    tsc_us = rte_get_tsc_hz() / 1000000;
    if (!tsc_us)
        tsc_us = 1000;
    t0 = rte_rdtsc();
    while (part_used(p) > budget) {
        if (evict_one(w, p))
            return evicted ? 0 : -1; /* Redis: fail only if nothing at all could go */
        evicted++;
        if ((evicted & 15) == 0 && (rte_rdtsc() - t0) / tsc_us > EVICT_TIME_LIMIT_US)
            break;
    }
    return 0;
}
