/*
 * cmd_keys.c - generic key commands (Redis's db.c/expire.c semantics and replies), with the
 * coordinators for keys in several partitions and the internal per-partition commands they
 * send (__take, __put, __keys, __scan, __randomkey, __flush, __swapdb).
 */
#include "../core/hash.h"
#include "../core/util.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "db.h"
#include "dispatch.h"
#include "expire.h"
#include "keyctx.h"
#include "plan.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANDOMKEY_TRIES 100

static const char *type_name(const struct entry *e)
{
    return entry_type(e) == OBJ_HASH ? "hash" : "string";
}

/* ---- DEL / UNLINK / EXISTS / TOUCH ---- */

static int del_keys(struct ctx *x)
{
    long long n = 0;

    if (!x->p)
        return plan_split_keys(x, NULL, 1, plan_merge_sum);
    for (int i = 1; i < x->argc; i++) {
        uint64_t dg;
        struct entry *e = db_write(x, &x->argv[i], &dg);
        if (e) {
            db_delete(x, e, dg);
            n++;
        }
    }
    rsp_int(x->out, n);
    return CMD_DONE;
}

int cmd_del(struct ctx *x)
{
    return del_keys(x);
}

int cmd_unlink(struct ctx *x)
{
    return del_keys(x);
}

int cmd_exists(struct ctx *x)
{
    long long n = 0;

    for (int i = 1; i < x->argc; i++) {
        struct ctx kx;
        key_ctx(x, &x->argv[i], &kx);
        if (db_read_notouch(&kx, &x->argv[i]))
            n++;
    }
    rsp_int(x->out, n);
    return CMD_DONE;
}

int cmd_touch(struct ctx *x)
{
    long long n = 0;

    for (int i = 1; i < x->argc; i++) {
        struct ctx kx;
        key_ctx(x, &x->argv[i], &kx);
        if (db_read(&kx, &x->argv[i]))
            n++;
    }
    rsp_int(x->out, n);
    return CMD_DONE;
}

int cmd_type(struct ctx *x)
{
    struct entry *e = db_read_notouch(x, &x->argv[1]);

    rsp_simple(x->out, e ? type_name(e) : "none");
    return CMD_DONE;
}

/* ---- expiry ---- */

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

static int expire_generic(struct ctx *x, long long base, int seconds)
{
    int flags = 0;
    long long when, cur;
    uint64_t dg;
    struct entry *e;

    for (int j = 3; j < x->argc; j++) {
        if (arg_is(&x->argv[j], "nx"))
            flags |= EXP_NX;
        else if (arg_is(&x->argv[j], "xx"))
            flags |= EXP_XX;
        else if (arg_is(&x->argv[j], "gt"))
            flags |= EXP_GT;
        else if (arg_is(&x->argv[j], "lt"))
            flags |= EXP_LT;
        else {
            ctx_errorf(x, "ERR Unsupported option %.*s", (int)x->argv[j].len, x->argv[j].p);
            return CMD_DONE;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        ctx_error(x, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return CMD_DONE;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        ctx_error(x, "ERR GT and LT options at the same time are not compatible");
        return CMD_DONE;
    }
    if (arg_ll_or_reply(x, &x->argv[2], &when))
        return CMD_DONE;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            ctx_errorf(x, ERR_EXPIRE, x->cmd->name);
            return CMD_DONE;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - base) {
        ctx_errorf(x, ERR_EXPIRE, x->cmd->name);
        return CMD_DONE;
    }
    when += base;
    e = db_write(x, &x->argv[1], &dg);
    if (!e) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    cur = entry_expire(e) ? (long long)entry_expire(e) : -1;
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (when <= cur || cur == -1)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    if (when <= (long long)x->now)
        db_delete(x, e, dg);
    else
        db_set_expire(x, e, dg, (uint64_t)when);
    rsp_int(x->out, 1);
    return CMD_DONE;
}

int cmd_expire(struct ctx *x)
{
    return expire_generic(x, (long long)x->now, 1);
}

int cmd_pexpire(struct ctx *x)
{
    return expire_generic(x, (long long)x->now, 0);
}

int cmd_expireat(struct ctx *x)
{
    return expire_generic(x, 0, 1);
}

int cmd_pexpireat(struct ctx *x)
{
    return expire_generic(x, 0, 0);
}

static int ttl_generic(struct ctx *x, int ms, int abs)
{
    struct entry *e = db_read_notouch(x, &x->argv[1]);
    long long ttl;
    uint64_t t;

    if (!e) {
        rsp_int(x->out, -2);
        return CMD_DONE;
    }
    t = entry_expire(e);
    if (!t) {
        rsp_int(x->out, -1);
        return CMD_DONE;
    }
    ttl = abs ? (long long)t : (long long)t - (long long)x->now;
    if (ttl < 0)
        ttl = 0;
    rsp_int(x->out, ms ? ttl : (ttl + 500) / 1000);
    return CMD_DONE;
}

int cmd_ttl(struct ctx *x)
{
    return ttl_generic(x, 0, 0);
}

int cmd_pttl(struct ctx *x)
{
    return ttl_generic(x, 1, 0);
}

int cmd_expiretime(struct ctx *x)
{
    return ttl_generic(x, 0, 1);
}

int cmd_pexpiretime(struct ctx *x)
{
    return ttl_generic(x, 1, 1);
}

int cmd_persist(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);

    if (!e || !entry_expire(e)) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    part_set_expire(x->p, e, 0);
    ctx_dirty(x, 1);
    rsp_int(x->out, 1);
    return CMD_DONE;
}

/* ---- RENAME / MOVE ---- */

/* A copy of @src's value under (@pdb, @key) in partition @p, unpublished. @move: a dict value
 * is moved, not copied (same partition only). */
static struct entry *clone_entry(struct part *p, const struct entry *src, uint16_t pdb,
                                 const char *key, size_t klen, int move)
{
    struct entry *e;

    if (entry_type(src) == OBJ_HASH && !(move && entry_enc(src) == ENC_HASH_DICT))
        return hobj_copy(p, src, pdb, key, klen);
    e = part_new_entry(p, pdb, key, klen, src->vcap);
    if (!e)
        return NULL;
    e->type_enc = src->type_enc;
    memcpy(entry_val(e), entry_cval(src), src->vcap);
    e->vlen = src->vlen;
    return e;
}

static int rename_local(struct ctx *x, int nx)
{
    const struct rstr *src = &x->argv[1], *dst = &x->argv[2];
    uint64_t sdg, ddg;
    struct entry *s = db_write(x, src, &sdg), *d, *n;

    if (!s) {
        ctx_error(x, ERR_NO_KEY);
        return CMD_DONE;
    }
    if (src->len == dst->len && memcmp(src->p, dst->p, src->len) == 0) {
        if (nx)
            rsp_int(x->out, 0);
        else
            rsp_ok(x->out);
        return CMD_DONE;
    }
    d = db_write(x, dst, &ddg);
    if (d && nx) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    n = clone_entry(x->p, s, x->pdb, dst->p, dst->len, 1);
    if (!n) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    n->expire = s->expire;
    n->lru = s->lru;
    if (d) {
        part_replace(x->p, d, n, ddg, 0);
    } else if (db_insert(x, n, ddg)) {
        return CMD_DONE;
    }
    part_delete(x->p, s, sdg, entry_enc(s) == ENC_HASH_DICT);
    ctx_dirty(x, 2);
    if (nx)
        rsp_int(x->out, 1);
    else
        rsp_ok(x->out);
    return CMD_DONE;
}

/* Serialized value: type byte, expire (8 bytes little endian), then the value. */
#define DUMP_HDR 9

int cmd_i_take(struct ctx *x)
{
    uint64_t dg, exp;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    size_t vl;
    uint8_t *d;

    if (!e) {
        rsp_null(x->out, 2);
        return CMD_DONE;
    }
    vl = entry_type(e) == OBJ_HASH ? hobj_serialize_len(e) : e->vlen;
    d = malloc(DUMP_HDR + vl);
    if (!d) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    d[0] = (uint8_t)entry_type(e);
    exp = entry_expire(e);
    for (int i = 0; i < 8; i++)
        d[1 + i] = (uint8_t)(exp >> (8 * i));
    if (entry_type(e) == OBJ_HASH)
        hobj_serialize(e, (char *)d + DUMP_HDR);
    else
        memcpy(d + DUMP_HDR, entry_cval(e), vl);
    rsp_bulk(x->out, d, DUMP_HDR + vl);
    free(d);
    db_delete(x, e, dg);
    return CMD_DONE;
}

int cmd_i_put(struct ctx *x)
{
    const struct rstr *key = &x->argv[1], *blob = &x->argv[2];
    const uint8_t *b = (const uint8_t *)blob->p;
    uint64_t dg, exp = 0;
    struct entry *old, *n;

    if (blob->len < DUMP_HDR) {
        ctx_error(x, "ERR bad serialized value");
        return CMD_DONE;
    }
    for (int i = 0; i < 8; i++)
        exp |= (uint64_t)b[1 + i] << (8 * i);
    old = db_write(x, key, &dg);
    if (b[0] == OBJ_HASH)
        n = hobj_from_blob(x->p, x->pdb, key->p, key->len, blob->p + DUMP_HDR,
                           blob->len - DUMP_HDR);
    else {
        n = part_new_entry(x->p, x->pdb, key->p, key->len, blob->len - DUMP_HDR);
        if (n) {
            entry_set_type(n, OBJ_STRING, ENC_RAW);
            memcpy(entry_val(n), blob->p + DUMP_HDR, blob->len - DUMP_HDR);
            n->vlen = (uint32_t)(blob->len - DUMP_HDR);
        }
    }
    if (!n) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    n->expire = exp;
    n->lru = lru_initial(x->now);
    if (old)
        part_replace(x->p, old, n, dg, 0);
    else if (db_insert(x, n, dg))
        return CMD_DONE;
    ctx_dirty(x, 1);
    rsp_ok(x->out);
    return CMD_DONE;
}

static void rename_put_done(struct client *c, struct plan *pl)
{
    size_t n;
    const char *r = plan_reply(pl, 0, &n);

    if (n && r[0] == '-')
        obuf_append(&c->out, r, n);
    else if (pl->cmd_id == CMDID_RENAMENX)
        rsp_int(&c->out, 1);
    else
        rsp_ok(&c->out);
    plan_end(c, pl);
}

static void rename_take_done(struct client *c, struct plan *pl)
{
    static const struct rstr put = { "__put", 5 };
    size_t n, hl;
    const char *r = plan_reply(pl, 0, &n), *crlf;
    long long len;
    struct rstr argv[3];

    if (n && r[0] == '-') {
        obuf_append(&c->out, r, n);
        plan_end(c, pl);
        return;
    }
    crlf = memchr(r, '\r', n);
    if (!crlf || r[0] != '$' || !string2ll(r + 1, (size_t)(crlf - r - 1), &len) || len < 0) {
        rsp_error(&c->out, ERR_NO_KEY);
        plan_end(c, pl);
        return;
    }
    hl = (size_t)(crlf - r) + 2;
    argv[0] = put;
    argv[1] = pl->argv0[2];
    argv[2].p = plan_strdup(pl, r + hl, (size_t)len);
    argv[2].len = (size_t)len;
    pl->nsub = 0; /* next phase */
    if (!argv[2].p || plan_add(pl, srv_part_of_slot(key_slot(argv[1].p, argv[1].len)), 3,
                               argv) < 0) {
        rsp_error(&c->out, ERR_OOM);
        plan_end(c, pl);
        return;
    }
    pl->step = rename_put_done;
    plan_run(c, pl);
}

static int rename_generic(struct ctx *x, int nx)
{
    static const struct rstr take = { "__take", 6 };
    struct rstr argv[2];
    struct plan *pl;
    struct ctx kx;

    if (x->p)
        return rename_local(x, nx);
    /* across partitions: take the value from the source's owner, put it at the target's */
    key_ctx(x, &x->argv[1], &kx);
    if (!db_peek(&kx, &x->argv[1])) {
        ctx_error(x, ERR_NO_KEY);
        return CMD_DONE;
    }
    if (nx) {
        key_ctx(x, &x->argv[2], &kx);
        if (db_peek(&kx, &x->argv[2])) {
            rsp_int(x->out, 0);
            return CMD_DONE;
        }
    }
    pl = plan_begin(x, rename_take_done);
    if (!pl)
        return CMD_DONE;
    argv[0] = take;
    argv[1] = x->argv[1];
    if (plan_add(pl, srv_part_of_slot(key_slot(x->argv[1].p, x->argv[1].len)), 2, argv) < 0) {
        plan_end(x->c, pl);
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    return plan_run(x->c, pl);
}

int cmd_rename(struct ctx *x)
{
    return rename_generic(x, 0);
}

int cmd_renamenx(struct ctx *x)
{
    return rename_generic(x, 1);
}

int cmd_move(struct ctx *x)
{
    long long db;
    uint64_t sdg, ddg;
    struct entry *s, *d, *n;
    struct ctx dx;

    if (srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR MOVE is not allowed in cluster mode");
        return CMD_DONE;
    }
    if (arg_ll_range_or_reply(x, &x->argv[2], INT_MIN, INT_MAX, NULL, &db))
        return CMD_DONE;
    if (db < 0 || db >= srv.cfg.databases) {
        ctx_error(x, ERR_DB_RANGE);
        return CMD_DONE;
    }
    if (db == x->db) {
        ctx_error(x, "ERR source and destination objects are the same");
        return CMD_DONE;
    }
    s = db_write(x, &x->argv[1], &sdg);
    if (!s) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    dx = *x;
    dx.db = (int)db;
    dx.pdb = part_pdb(x->p, (int)db);
    d = db_write(&dx, &x->argv[1], &ddg);
    if (d) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    n = clone_entry(x->p, s, dx.pdb, x->argv[1].p, x->argv[1].len, 1);
    if (!n) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    n->expire = s->expire;
    n->lru = s->lru;
    if (db_insert(&dx, n, ddg))
        return CMD_DONE;
    part_delete(x->p, s, sdg, entry_enc(s) == ENC_HASH_DICT);
    ctx_dirty(x, 1);
    rsp_int(x->out, 1);
    return CMD_DONE;
}

/* ---- KEYS / SCAN / RANDOMKEY ---- */

/* Visit keys of the partition's current db from position *@pos; stops after @max_keys keys
 * or @max_visits positions. Returns 1 when the partition is exhausted. */
static int walk_keys(struct ctx *x, uint32_t *pos, uint64_t max_keys, uint64_t max_visits,
                     void (*fn)(struct ctx *x, struct entry *e, void *arg), void *arg)
{
    struct part *p = x->p;
    uint64_t keys = 0, visits = 0;

    while (*pos < part_scan_end(p)) {
        struct entry *e = part_entry_at(p, *pos);
        (*pos)++;
        visits++;
        if (e && e->db == x->pdb && !db_expired(e, x->now)) {
            fn(x, e, arg);
            keys++;
        }
        if (keys >= max_keys || visits >= max_visits)
            return *pos >= part_scan_end(p);
    }
    return 1;
}

struct keys_arg {
    const struct rstr *pat;
    int all;
    const char *type;
    struct obuf *tmp;
    long long n;
};

static void keys_visit(struct ctx *x, struct entry *e, void *arg)
{
    struct keys_arg *a = arg;

    (void)x;
    if (a->type && strcasecmp(a->type, type_name(e)) != 0)
        return;
    if (!a->all && !glob_match(a->pat->p, a->pat->len, entry_key(e), e->klen, 0))
        return;
    rsp_bulk(a->tmp, entry_key(e), e->klen);
    a->n++;
}

int cmd_i_keys(struct ctx *x)
{
    struct obuf tmp;
    struct keys_arg a = { &x->argv[1], 0, NULL, &tmp, 0 };
    uint32_t pos = 0;

    obuf_init(&tmp, x->out->pool);
    a.all = x->argv[1].len == 1 && x->argv[1].p[0] == '*';
    walk_keys(x, &pos, UINT64_MAX, UINT64_MAX, keys_visit, &a);
    rsp_array(x->out, a.n);
    obuf_splice(x->out, &tmp);
    return CMD_DONE;
}

int cmd_keys(struct ctx *x)
{
    static const struct rstr name = { "__keys", 6 };
    struct rstr argv[2] = { name, x->argv[1] };

    if (x->p) /* cluster mode: this node's keys only */
        return cmd_i_keys(x);
    return plan_broadcast(x, 2, argv, plan_merge_concat_array);
}

/* __scan <cursor> <count> <pattern|""> <type|""> on the owner of the cursor's partition */
int cmd_i_scan(struct ctx *x)
{
    unsigned long long cur;
    long long count;
    struct obuf tmp;
    struct keys_arg a = { &x->argv[3], 0, NULL, &tmp, 0 };
    char type[16];
    uint32_t pos;
    int done;
    unsigned np = srv.cfg.cluster_enabled ? 1 : (unsigned)srv.nworkers;
    unsigned part = srv.cfg.cluster_enabled ? 0 : x->p->id;

    if (!string2ull(x->argv[1].p, x->argv[1].len, &cur) ||
        !string2ll(x->argv[2].p, x->argv[2].len, &count)) {
        ctx_error(x, "ERR invalid cursor");
        return CMD_DONE;
    }
    obuf_init(&tmp, x->out->pool);
    a.all = x->argv[3].len == 0 || (x->argv[3].len == 1 && x->argv[3].p[0] == '*');
    if (x->argv[4].len) {
        size_t l = x->argv[4].len < sizeof(type) - 1 ? x->argv[4].len : sizeof(type) - 1;
        memcpy(type, x->argv[4].p, l);
        type[l] = '\0';
        a.type = type;
    }
    if (cur / np > UINT32_MAX) { /* no cursor of ours (e.g. -1): the iteration is over */
        cur = 0;
    } else {
        pos = (uint32_t)(cur / np);
        done = walk_keys(x, &pos, (uint64_t)count, (uint64_t)count * 10, keys_visit, &a);
        if (done) { /* on to the next partition holding keys of this database, as Redis
                     * ends at once on an empty one (a relaxed count: keys added meanwhile
                     * were not there for the whole iteration) */
            unsigned nx = part + 1;
            for (; nx < np; nx++) {
                struct part *q = &srv.parts[nx];
                if (__atomic_load_n(&q->dbs[part_pdb(q, x->db)].keys, __ATOMIC_RELAXED))
                    break;
            }
            cur = nx < np ? nx : 0;
        } else
            cur = (unsigned long long)pos * np + part;
    }
    rsp_array(x->out, 2);
    rsp_bulk_ll(x->out, (long long)cur);
    rsp_array(x->out, a.n);
    obuf_splice(x->out, &tmp);
    return CMD_DONE;
}

int cmd_scan(struct ctx *x)
{
    static const struct rstr name = { "__scan", 6 };
    const struct rstr *pat = NULL, *type = NULL;
    unsigned long long cur;
    long long count = SCAN_COUNT_DEFAULT;
    char cbuf[32], nbuf[LL_STR_SIZE];
    struct rstr argv[5];
    unsigned np = (unsigned)srv.nworkers, part;
    struct plan *pl;

    if (arg_cursor_or_reply(x, &x->argv[1], &cur))
        return CMD_DONE;
    for (int i = 2; i < x->argc;) {
        int left = x->argc - i;
        if (arg_is(&x->argv[i], "count") && left >= 2) {
            if (arg_ll_or_reply(x, &x->argv[i + 1], &count))
                return CMD_DONE;
            if (count < 1) {
                ctx_error(x, ERR_SYNTAX);
                return CMD_DONE;
            }
            i += 2;
        } else if (arg_is(&x->argv[i], "match") && left >= 2) {
            pat = &x->argv[i + 1];
            i += 2;
        } else if (arg_is(&x->argv[i], "type") && left >= 2) {
            type = &x->argv[i + 1];
            i += 2;
        } else {
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
    }
    argv[0] = name;
    argv[1].p = cbuf;
    argv[1].len = (size_t)snprintf(cbuf, sizeof(cbuf), "%llu", cur);
    argv[2].p = nbuf;
    argv[2].len = (size_t)ll2string(nbuf, count);
    argv[3] = pat ? *pat : (struct rstr){ "", 0 };
    argv[4] = type ? *type : (struct rstr){ "", 0 };
    if (srv.cfg.cluster_enabled) {
        struct ctx sx = *x;
        sx.p = x->w->part;
        sx.owner = 1;
        sx.pdb = part_pdb(sx.p, x->db);
        sx.argc = 5;
        sx.argv = argv;
        return cmd_i_scan(&sx);
    }
    part = (unsigned)(cur % np);
    pl = plan_begin(x, plan_merge_first);
    if (!pl)
        return CMD_DONE;
    argv[1].p = plan_strdup(pl, cbuf, argv[1].len);
    argv[2].p = plan_strdup(pl, nbuf, argv[2].len);
    if (!argv[1].p || !argv[2].p || plan_add(pl, part, 5, argv) < 0) {
        plan_end(x->c, pl);
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    return plan_run(x->c, pl);
}

int cmd_i_randomkey(struct ctx *x)
{
    struct part *p = x->p;
    uint32_t end = part_scan_end(p), start, i;

    if (!end || !__atomic_load_n(&p->dbs[x->pdb].keys, __ATOMIC_RELAXED)) {
        rsp_null(x->out, x->proto);
        return CMD_DONE;
    }
    for (i = 0; i < RANDOMKEY_TRIES; i++) {
        struct entry *e = part_entry_at(p, (uint32_t)(rand64(&p->rng) % end));
        if (e && e->db == x->pdb && !db_expired(e, x->now)) {
            rsp_bulk(x->out, entry_key(e), e->klen);
            return CMD_DONE;
        }
    }
    start = (uint32_t)(rand64(&p->rng) % end);
    for (i = 0; i < end; i++) {
        struct entry *e = part_entry_at(p, (start + i) % end);
        if (e && e->db == x->pdb && !db_expired(e, x->now)) {
            rsp_bulk(x->out, entry_key(e), e->klen);
            return CMD_DONE;
        }
    }
    rsp_null(x->out, x->proto);
    return CMD_DONE;
}

static void randomkey_done(struct client *c, struct plan *pl);

static int randomkey_try(struct ctx *x, struct plan *pl, uint64_t tried_mask_lo)
{
    static const struct rstr name = { "__randomkey", 11 };
    uint64_t total = 0, pick;
    int nw = srv.nworkers;
    uint64_t counts[MAX_WORKERS];

    for (int i = 0; i < nw; i++) {
        struct part *p = &srv.parts[i];
        counts[i] = (i < 64 && (tried_mask_lo >> i) & 1)
                        ? 0
                        : __atomic_load_n(&p->dbs[part_pdb(p, pl->db)].keys, __ATOMIC_RELAXED);
        total += counts[i];
    }
    if (total == 0)
        return -1;
    pick = rand64(&x->w->rng) % total;
    for (int i = 0; i < nw; i++) {
        if (pick < counts[i]) {
            pl->nsub = 0;
            pl->acc = (long long)(tried_mask_lo | (i < 64 ? 1ULL << i : 0));
            if (plan_add(pl, (unsigned)i, 1, &name) < 0)
                return -1;
            return 0;
        }
        pick -= counts[i];
    }
    return -1;
}

static void randomkey_done(struct client *c, struct plan *pl)
{
    size_t n;
    const char *r = plan_reply(pl, 0, &n);
    struct ctx x = { .w = c->w, .c = c, .db = pl->db, .proto = pl->proto, .out = &c->out };

    if (!(n && (r[0] == '_' || (r[0] == '$' && r[1] == '-')))) {
        plan_merge_first(c, pl);
        return;
    }
    /* that partition had only expired keys: try the others */
    obuf_reset(&pl->fwds[pl->sub_part[0]]->reply);
    if (randomkey_try(&x, pl, (uint64_t)pl->acc) < 0) {
        rsp_null(&c->out, pl->proto);
        plan_end(c, pl);
        return;
    }
    plan_run(c, pl);
}

int cmd_randomkey(struct ctx *x)
{
    struct plan *pl;

    if (srv.cfg.cluster_enabled) {
        struct ctx sx = *x;
        sx.p = x->w->part;
        sx.owner = 1;
        sx.pdb = part_pdb(sx.p, x->db);
        return cmd_i_randomkey(&sx);
    }
    pl = plan_begin(x, randomkey_done);
    if (!pl)
        return CMD_DONE;
    if (randomkey_try(x, pl, 0) < 0) {
        plan_end(x->c, pl);
        rsp_null(x->out, x->proto);
        return CMD_DONE;
    }
    return plan_run(x->c, pl);
}

/* ---- FLUSHDB / FLUSHALL / SWAPDB ---- */

/* __flush <db|-1>: empty one logical database (or all) of this partition */
int cmd_i_flush(struct ctx *x)
{
    long long db;
    struct part *p = x->p;
    uint16_t pdb = 0;
    int again = 1;

    if (!string2ll(x->argv[1].p, x->argv[1].len, &db)) {
        ctx_error(x, ERR_NOT_INT);
        return CMD_DONE;
    }
    if (db >= 0)
        pdb = part_pdb(p, (int)db);
    /* deleting may reorder the overflow list: repeat until a pass removes nothing */
    while (again) {
        uint32_t end = part_scan_end(p);
        again = 0;
        for (uint32_t pos = 0; pos < end && p->nkeys; pos++) {
            struct entry *e = part_entry_at(p, pos);
            if (e && (db < 0 || e->db == pdb)) {
                part_delete(p, e, key_digest(e->db, entry_key(e), e->klen), 0);
                ctx_dirty(x, 1);
                again = 1;
            }
        }
        if (!p->novf)
            break;
    }
    for (uint32_t d = 0; d < p->ndb; d++) /* Redis's emptyDb forgets the TTL estimate */
        if (db < 0 || d == pdb)
            __atomic_store_n(&p->dbs[d].avg_ttl, 0, __ATOMIC_RELAXED);
    rsp_ok(x->out);
    return CMD_DONE;
}

static int flush_generic(struct ctx *x, int all)
{
    static const struct rstr name = { "__flush", 7 };
    char buf[LL_STR_SIZE];
    struct rstr argv[2];
    struct plan *pl;

    if (x->argc > 2 || (x->argc == 2 && !arg_is(&x->argv[1], "sync") &&
                        !arg_is(&x->argv[1], "async"))) {
        ctx_error(x, ERR_SYNTAX);
        return CMD_DONE;
    }
    argv[0] = name;
    argv[1].p = buf;
    argv[1].len = (size_t)ll2string(buf, all ? -1 : x->db);
    if (x->p) {
        struct ctx fx = *x;
        fx.argc = 2;
        fx.argv = argv;
        return cmd_i_flush(&fx);
    }
    pl = plan_begin(x, plan_merge_ok);
    if (!pl)
        return CMD_DONE;
    argv[1].p = plan_strdup(pl, buf, argv[1].len);
    for (int part = 0; part < srv.nworkers; part++)
        if (!argv[1].p || plan_add(pl, (unsigned)part, 2, argv) < 0) {
            plan_end(x->c, pl);
            ctx_error(x, ERR_OOM);
            return CMD_DONE;
        }
    return plan_run(x->c, pl);
}

int cmd_flushdb(struct ctx *x)
{
    return flush_generic(x, 0);
}

int cmd_flushall(struct ctx *x)
{
    return flush_generic(x, 1);
}

int cmd_i_swapdb(struct ctx *x)
{
    long long a, b;
    struct part *p = x->p;
    uint16_t t;

    if (!string2ll(x->argv[1].p, x->argv[1].len, &a) ||
        !string2ll(x->argv[2].p, x->argv[2].len, &b)) {
        ctx_error(x, ERR_NOT_INT);
        return CMD_DONE;
    }
    t = p->dbmap[a];
    __atomic_store_n(&p->dbmap[a], p->dbmap[b], __ATOMIC_RELEASE);
    __atomic_store_n(&p->dbmap[b], t, __ATOMIC_RELEASE);
    ctx_dirty(x, 1);
    rsp_ok(x->out);
    return CMD_DONE;
}

int cmd_swapdb(struct ctx *x)
{
    static const struct rstr name = { "__swapdb", 8 };
    long long a, b;
    struct rstr argv[3];

    if (srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR SWAPDB is not allowed in cluster mode");
        return CMD_DONE;
    }
    if (arg_ll_range_or_reply(x, &x->argv[1], INT_MIN, INT_MAX, "ERR invalid first DB index", &a) ||
        arg_ll_range_or_reply(x, &x->argv[2], INT_MIN, INT_MAX, "ERR invalid second DB index",
                              &b))
        return CMD_DONE;
    if (a < 0 || a >= srv.cfg.databases || b < 0 || b >= srv.cfg.databases) {
        ctx_error(x, ERR_DB_RANGE);
        return CMD_DONE;
    }
    argv[0] = name;
    argv[1] = x->argv[1];
    argv[2] = x->argv[2];
    return plan_broadcast(x, 3, argv, plan_merge_ok);
}
