/*
 * db.c - keyspace access helpers (see db.h).
 */
#include "db.h"

#include "../core/hash.h"
#include "../store/part.h"
#include "expire.h"
#include "server.h"
#include "worker.h"

#include <errno.h>
#include <string.h>

uint64_t db_digest(const struct ctx *x, const struct rstr *key)
{
    return key_digest(x->pdb, key->p, key->len);
}

static struct entry *lookup(struct ctx *x, const struct rstr *key, uint64_t *dgp)
{
    uint64_t dg;
    struct entry *e = NULL;

    /* a pipeline's or an RX burst's bulk lookup may have found it already (part.h memo) */
    if (!x->owner || !part_memo_take(x->p, x->pdb, key->p, key->len, &dg, &e))
        dg = key_digest(x->pdb, key->p, key->len);
    if (!e)
        e = part_find(x->p, x->pdb, key->p, key->len, dg);

    if (dgp)
        *dgp = dg;
    if (e && db_expired(e, x->now)) {
        if (x->owner) {
            part_delete(x->p, e, dg, 0);
            __atomic_store_n(&x->p->expired_keys, x->p->expired_keys + 1, __ATOMIC_RELAXED);
        }
        return NULL;
    }
    return e;
}

struct entry *db_read(struct ctx *x, const struct rstr *key)
{
    struct entry *e = lookup(x, key, NULL);

    if (e) {
        stat_add(x->w, keyspace_hits, 1);
        lru_touch(e, x->now);
    } else {
        stat_add(x->w, keyspace_misses, 1);
    }
    return e;
}

struct entry *db_read_notouch(struct ctx *x, const struct rstr *key)
{
    struct entry *e = lookup(x, key, NULL);

    if (e)
        stat_add(x->w, keyspace_hits, 1);
    else
        stat_add(x->w, keyspace_misses, 1);
    return e;
}

struct entry *db_peek(struct ctx *x, const struct rstr *key)
{
    return lookup(x, key, NULL);
}

struct entry *db_write(struct ctx *x, const struct rstr *key, uint64_t *dg)
{
    return lookup(x, key, dg);
}

void db_reply_insert_error(struct ctx *x, int rc)
{
    if (rc == -ENOSPC)
        ctx_errorf(x, "OOM command not allowed when the key index is full (maxkeys %lld)",
                   srv.cfg.maxkeys);
    else
        ctx_error(x, ERR_OOM);
}

int db_insert(struct ctx *x, struct entry *e, uint64_t dg)
{
    int rc = part_insert(x->p, e, dg);

    while (rc == -ENOSPC && evict_one(x->w, x->p) == 0)
        rc = part_insert(x->p, e, dg);
    if (rc) {
        part_free_value(x->p, e);
        part_free_entry(x->p, e);
        db_reply_insert_error(x, rc);
        return -1;
    }
    return 0;
}

struct entry *db_store_string(struct ctx *x, const struct rstr *key, uint64_t dg,
                              struct entry *old, const char *v, size_t vlen, size_t cap,
                              uint64_t expire)
{
    struct entry *e = part_new_entry(x->p, x->pdb, key->p, key->len, cap);

    if (!e) {
        ctx_error(x, ERR_OOM);
        return NULL;
    }
    entry_set_type(e, OBJ_STRING, ENC_RAW);
    if (vlen)
        memcpy(entry_val(e), v, vlen);
    e->vlen = (uint32_t)vlen;
    e->expire = expire;
    if (old) {
        e->lru = old->lru;
        part_replace(x->p, old, e, dg, 0);
    } else {
        e->lru = lru_initial(x->now);
        if (db_insert(x, e, dg))
            return NULL;
    }
    ctx_dirty(x, 1);
    return e;
}

void db_delete(struct ctx *x, struct entry *e, uint64_t dg)
{
    part_delete(x->p, e, dg, 0);
    ctx_dirty(x, 1);
}

int db_set_expire(struct ctx *x, struct entry *e, uint64_t dg, uint64_t when)
{
    if (when && when <= x->now) {
        db_delete(x, e, dg);
        return 0;
    }
    part_set_expire(x->p, e, when);
    ctx_dirty(x, 1);
    return 1;
}

int db_check_type(struct ctx *x, const struct entry *e, int type)
{
    if (entry_type(e) != type) {
        ctx_error(x, ERR_WRONGTYPE);
        return -1;
    }
    return 0;
}
