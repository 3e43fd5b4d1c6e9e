/*
 * db.h - keyspace access for command bodies (Redis's db.c): lookups with lazy expiry, LRU/LFU
 * touch and hit/miss statistics, and the store/delete operations of the owner.
 *
 * Lookups work in owner and reader mode (cmd.h). In reader mode an expired key is reported
 * missing and left for its owner to delete. Writers must be the owner.
 */
#ifndef DP_DB_H
#define DP_DB_H

#include <stdint.h>

#include "../store/entry.h"
#include "cmd.h"

/* db_digest: the digest of @key in x's physical db. */
uint64_t db_digest(const struct ctx *x, const struct rstr *key);

/* db_expired: @e has an expiry in the past (Redis: now > expire). */
static inline int db_expired(const struct entry *e, uint64_t now)
{
    uint64_t t = entry_expire(e);
    return t && now > t;
}

/* db_read: the live entry of @key or NULL; counts keyspace hits/misses and touches LRU/LFU. */
struct entry *db_read(struct ctx *x, const struct rstr *key);
/* db_read_notouch: db_read without touching LRU/LFU (TTL, TYPE, EXISTS). */
struct entry *db_read_notouch(struct ctx *x, const struct rstr *key);
/* db_peek: like db_read without statistics or touching (TTL, TYPE, EXISTS-like checks). */
struct entry *db_peek(struct ctx *x, const struct rstr *key);
/* db_write: owner lookup before a change: NULL if missing (an expired key is deleted first).
 * *@dg receives the digest. */
struct entry *db_write(struct ctx *x, const struct rstr *key, uint64_t *dg);

/* db_store_string: set @key to the string @v (@vlen bytes) with @expire (0: none), replacing
 * @old (may be NULL) and keeping old's LRU data. @cap: value capacity (>= vlen) for strings
 * grown by APPEND/SETRANGE. Returns the new entry, or NULL after replying an OOM error. */
struct entry *db_store_string(struct ctx *x, const struct rstr *key, uint64_t dg,
                              struct entry *old, const char *v, size_t vlen, size_t cap,
                              uint64_t expire);

/* db_delete: remove @e (owner). */
void db_delete(struct ctx *x, struct entry *e, uint64_t dg);

/* db_set_expire: set @e's expiry (owner); an expiry in the past deletes the key. Returns 1 if
 * the key still exists. */
int db_set_expire(struct ctx *x, struct entry *e, uint64_t dg, uint64_t when);

/* db_reply_oom_insert: reply the error for a failed insert (-ENOMEM / -ENOSPC). */
void db_reply_insert_error(struct ctx *x, int rc);

/* db_insert: publish a new entry, evicting when the index is full and the policy allows.
 * Returns 0 or replies an error and returns -1 (the entry is freed). */
int db_insert(struct ctx *x, struct entry *e, uint64_t dg);

/* Shared type check: reply WRONGTYPE and return -1 unless @e is a @type. */
int db_check_type(struct ctx *x, const struct entry *e, int type);

#endif
