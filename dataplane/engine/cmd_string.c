/*
 * cmd_string.c - string commands (Redis's t_string.c semantics and replies).
 *
 * Values are immutable once published, except for APPEND growing a string in place within
 * its capacity (entry.h); every other change builds a new entry.
 */
#include "../core/util.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "db.h"
#include "expire.h"
#include "keyctx.h"
#include "plan.h"
#include "server.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SET_NX      (1 << 0)
#define SET_XX      (1 << 1)
#define SET_GET     (1 << 2)
#define SET_KEEPTTL (1 << 3)
#define SET_PERSIST (1 << 4)
#define SET_EX      (1 << 5)
#define SET_PX      (1 << 6)
#define SET_EXAT    (1 << 7)
#define SET_PXAT    (1 << 8)
#define SET_ANYEXP  (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

enum { FOR_SET, FOR_GETEX };

static const char *const err_maxlen = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/* Redis's parseExtendedStringArgumentsOrReply. */
static int parse_set_flags(struct ctx *x, int from, int kind, int *flags, const struct rstr **exp)
{
    for (int j = from; j < x->argc; j++) {
        const struct rstr *a = &x->argv[j];
        int has_next = j + 1 < x->argc;
        if (arg_is(a, "nx") && !(*flags & SET_XX) && kind == FOR_SET) {
            *flags |= SET_NX;
        } else if (arg_is(a, "xx") && !(*flags & SET_NX) && kind == FOR_SET) {
            *flags |= SET_XX;
        } else if (arg_is(a, "get") && kind == FOR_SET) {
            *flags |= SET_GET;
        } else if (arg_is(a, "keepttl") && !(*flags & (SET_PERSIST | SET_ANYEXP)) &&
                   kind == FOR_SET) {
            *flags |= SET_KEEPTTL;
        } else if (arg_is(a, "persist") && kind == FOR_GETEX &&
                   !(*flags & (SET_ANYEXP | SET_KEEPTTL))) {
            *flags |= SET_PERSIST;
        } else if (arg_is(a, "ex") && !(*flags & (SET_KEEPTTL | SET_PERSIST | SET_EXAT | SET_PX |
                                                    SET_PXAT)) &&
                   has_next) {
            *flags |= SET_EX;
            *exp = &x->argv[++j];
        } else if (arg_is(a, "px") && !(*flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_EXAT |
                                                    SET_PXAT)) &&
                   has_next) {
            *flags |= SET_PX;
            *exp = &x->argv[++j];
        } else if (arg_is(a, "exat") && !(*flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_PX |
                                                      SET_PXAT)) &&
                   has_next) {
            *flags |= SET_EXAT;
            *exp = &x->argv[++j];
        } else if (arg_is(a, "pxat") && !(*flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_EXAT |
                                                      SET_PX)) &&
                   has_next) {
            *flags |= SET_PXAT;
            *exp = &x->argv[++j];
        } else {
            ctx_error(x, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Redis's getExpireMillisecondsOrReply: absolute ms, or -1 after replying. */
static long long expire_ms_or_reply(struct ctx *x, const struct rstr *a, int flags, int seconds)
{
    long long v;

    if (arg_ll_or_reply(x, a, &v))
        return -1;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        ctx_errorf(x, ERR_EXPIRE, x->cmd->name);
        return -1;
    }
    if (seconds)
        v *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        if (v > LLONG_MAX - (long long)x->now) {
            ctx_errorf(x, ERR_EXPIRE, x->cmd->name);
            return -1;
        }
        v += (long long)x->now;
    }
    return v;
}

/* Reply the value (GET part of SET ... GET, GETSET, GETDEL). Returns 0, -1 after WRONGTYPE. */
static int reply_get(struct ctx *x, struct entry *e)
{
    if (!e) {
        rsp_null(x->out, x->proto);
        return 0;
    }
    if (db_check_type(x, e, OBJ_STRING))
        return -1;
    rsp_bulk(x->out, entry_cval(e), entry_vlen(e));
    return 0;
}

/* Redis's setGenericCommand. @ok/@abort: custom replies (SETNX: :1/:0), NULL for +OK/null. */
static int set_generic(struct ctx *x, int flags, const struct rstr *key, const struct rstr *val,
                       const struct rstr *exp, int seconds, const char *ok, const char *abort)
{
    long long when = 0;
    uint64_t dg;
    struct entry *old;

    if (exp && (when = expire_ms_or_reply(x, exp, flags, seconds)) < 0)
        return CMD_DONE;
    if ((size_t)val->len > (size_t)srv.cfg.proto_max_bulk_len) {
        ctx_error(x, err_maxlen);
        return CMD_DONE;
    }
    old = db_write(x, key, &dg);
    if (flags & SET_GET) {
        if (old) {
            stat_add(x->w, keyspace_hits, 1);
        } else {
            stat_add(x->w, keyspace_misses, 1);
        }
        if (reply_get(x, old))
            return CMD_DONE;
    }
    if (((flags & SET_NX) && old) || ((flags & SET_XX) && !old)) {
        if (!(flags & SET_GET)) {
            if (abort)
                rsp_raw(x->out, abort, strlen(abort));
            else
                rsp_null(x->out, x->proto);
        }
        return CMD_DONE;
    }
    if (!exp && (flags & SET_KEEPTTL) && old)
        when = (long long)entry_expire(old);
    if (exp && (uint64_t)when <= x->now) {
        /* EXAT/PXAT in the past: the value can never be read; drop the key now rather than
         * store it expired, so that DBSIZE, INFO and other cores' lock-free readers (which
         * never delete) see it gone at once, as Redis's lazy delete on the next access */
        if (old)
            db_delete(x, old, dg);
        else
            ctx_dirty(x, 1);
    } else if (!db_store_string(x, key, dg, old, val->p, val->len, val->len, (uint64_t)when)) {
        return CMD_DONE;
    }
    if (!(flags & SET_GET)) {
        if (ok)
            rsp_raw(x->out, ok, strlen(ok));
        else
            rsp_ok(x->out);
    }
    return CMD_DONE;
}

int cmd_set(struct ctx *x)
{
    int flags = 0;
    const struct rstr *exp = NULL;

    if (parse_set_flags(x, 3, FOR_SET, &flags, &exp))
        return CMD_DONE;
    return set_generic(x, flags, &x->argv[1], &x->argv[2], exp, (flags & (SET_EX | SET_EXAT)) != 0,
                       NULL, NULL);
}

int cmd_setnx(struct ctx *x)
{
    return set_generic(x, SET_NX, &x->argv[1], &x->argv[2], NULL, 0, ":1\r\n", ":0\r\n");
}

int cmd_setex(struct ctx *x)
{
    return set_generic(x, SET_EX, &x->argv[1], &x->argv[3], &x->argv[2], 1, NULL, NULL);
}

int cmd_psetex(struct ctx *x)
{
    return set_generic(x, SET_PX, &x->argv[1], &x->argv[3], &x->argv[2], 0, NULL, NULL);
}

int cmd_get(struct ctx *x)
{
    reply_get(x, db_read(x, &x->argv[1]));
    return CMD_DONE;
}

int cmd_getset(struct ctx *x)
{
    uint64_t dg;
    struct entry *old = db_write(x, &x->argv[1], &dg);

    if (old)
        stat_add(x->w, keyspace_hits, 1);
    else
        stat_add(x->w, keyspace_misses, 1);
    if (reply_get(x, old))
        return CMD_DONE;
    db_store_string(x, &x->argv[1], dg, old, x->argv[2].p, x->argv[2].len, x->argv[2].len, 0);
    return CMD_DONE;
}

int cmd_getdel(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);

    if (e)
        stat_add(x->w, keyspace_hits, 1);
    else
        stat_add(x->w, keyspace_misses, 1);
    if (reply_get(x, e))
        return CMD_DONE;
    if (e)
        db_delete(x, e, dg);
    return CMD_DONE;
}

int cmd_getex(struct ctx *x)
{
    int flags = 0;
    const struct rstr *exp = NULL;
    long long when = 0;
    uint64_t dg;
    struct entry *e;

    if (parse_set_flags(x, 2, FOR_GETEX, &flags, &exp))
        return CMD_DONE;
    e = db_write(x, &x->argv[1], &dg);
    if (e)
        stat_add(x->w, keyspace_hits, 1);
    else
        stat_add(x->w, keyspace_misses, 1);
    if (!e) {
        rsp_null(x->out, x->proto);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_STRING))
        return CMD_DONE;
    if (exp && (when = expire_ms_or_reply(x, exp, flags, (flags & (SET_EX | SET_EXAT)) != 0)) < 0)
        return CMD_DONE;
    rsp_bulk(x->out, entry_cval(e), entry_vlen(e));
    if ((flags & (SET_PXAT | SET_EXAT)) && (uint64_t)when <= x->now) {
        db_delete(x, e, dg);
    } else if (exp) {
        db_set_expire(x, e, dg, (uint64_t)when);
    } else if ((flags & SET_PERSIST) && entry_expire(e)) {
        part_set_expire(x->p, e, 0);
        ctx_dirty(x, 1);
    }
    return CMD_DONE;
}

int cmd_mget(struct ctx *x)
{
    rsp_array(x->out, x->argc - 1);
    for (int i = 1; i < x->argc; i++) {
        struct ctx kx;
        struct entry *e;
        key_ctx(x, &x->argv[i], &kx);
        e = db_read(&kx, &x->argv[i]);
        if (!e || entry_type(e) != OBJ_STRING)
            rsp_null(x->out, x->proto);
        else
            rsp_bulk(x->out, entry_cval(e), entry_vlen(e));
    }
    return CMD_DONE;
}

static int mset_local(struct ctx *x)
{
    for (int i = 1; i + 1 < x->argc; i += 2) {
        uint64_t dg;
        struct entry *old = db_write(x, &x->argv[i], &dg);
        if (!db_store_string(x, &x->argv[i], dg, old, x->argv[i + 1].p, x->argv[i + 1].len,
                             x->argv[i + 1].len, 0))
            return -1;
    }
    return 0;
}

int cmd_mset(struct ctx *x)
{
    if (x->argc % 2 == 0) {
        ctx_error_arity(x);
        return CMD_DONE;
    }
    if (!x->p)
        return plan_split_keys(x, NULL, 2, plan_merge_ok);
    if (mset_local(x) == 0)
        rsp_ok(x->out);
    return CMD_DONE;
}

static void msetnx_done(struct client *c, struct plan *pl)
{
    size_t n;

    for (int i = 0; i < pl->nsub; i++) {
        const char *r = plan_reply(pl, i, &n);
        if (n && r[0] == '-') {
            obuf_append(&c->out, r, n);
            plan_end(c, pl);
            return;
        }
    }
    rsp_int(&c->out, 1);
    plan_end(c, pl);
}

int cmd_msetnx(struct ctx *x)
{
    if (x->argc % 2 == 0) {
        ctx_error_arity(x);
        return CMD_DONE;
    }
    for (int i = 1; i < x->argc; i += 2) {
        struct ctx kx;
        key_ctx(x, &x->argv[i], &kx);
        if (db_peek(&kx, &x->argv[i])) {
            rsp_int(x->out, 0);
            return CMD_DONE;
        }
    }
    if (!x->p) {
        /* not atomic across partitions: a key created meanwhile by another client is
         * overwritten (docs/architecture.md) */
        static const struct rstr mset = { "MSET", 4 };
        return plan_split_keys(x, &mset, 2, msetnx_done);
    }
    if (mset_local(x) == 0)
        rsp_int(x->out, 1);
    return CMD_DONE;
}

static size_t grow_cap(size_t need)
{
    /* Redis's sdsMakeRoomFor greedy growth: double up to 1 MiB, then +1 MiB */
    size_t cap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
    return cap > STRING_MAX_LEN ? (size_t)STRING_MAX_LEN : cap;
}

int cmd_append(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    const struct rstr *add = &x->argv[2];
    size_t len, total;

    if (!e) {
        if (db_store_string(x, &x->argv[1], dg, NULL, add->p, add->len, add->len, 0))
            rsp_int(x->out, (long long)add->len);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_STRING))
        return CMD_DONE;
    len = e->vlen;
    total = len + add->len;
    if (total > (size_t)srv.cfg.proto_max_bulk_len) {
        ctx_error(x, err_maxlen);
        return CMD_DONE;
    }
    if (total <= e->vcap) {
        /* in place: bytes past vlen are invisible to readers until vlen is published */
        part_before_write(x->p, e);
        memcpy(entry_val(e) + len, add->p, add->len);
        __atomic_store_n(&e->vlen, (uint32_t)total, __ATOMIC_RELEASE);
        ctx_dirty(x, 1);
    } else {
        struct entry *n = part_new_entry(x->p, x->pdb, x->argv[1].p, x->argv[1].len,
                                         grow_cap(total));
        if (!n) {
            ctx_error(x, ERR_OOM);
            return CMD_DONE;
        }
        entry_set_type(n, OBJ_STRING, ENC_RAW);
        memcpy(entry_val(n), entry_cval(e), len);
        memcpy(entry_val(n) + len, add->p, add->len);
        n->vlen = (uint32_t)total;
        n->expire = e->expire;
        n->lru = e->lru;
        part_replace(x->p, e, n, dg, 0);
        ctx_dirty(x, 1);
    }
    rsp_int(x->out, (long long)total);
    return CMD_DONE;
}

int cmd_strlen(struct ctx *x)
{
    struct entry *e = db_read(x, &x->argv[1]);

    if (!e) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_STRING))
        return CMD_DONE;
    rsp_int(x->out, (long long)entry_vlen(e));
    return CMD_DONE;
}

static int incr_by(struct ctx *x, long long incr)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    long long v = 0;
    char buf[LL_STR_SIZE];
    int n;

    if (e) {
        if (db_check_type(x, e, OBJ_STRING))
            return CMD_DONE;
        if (!string2ll(entry_cval(e), e->vlen, &v)) {
            ctx_error(x, ERR_NOT_INT);
            return CMD_DONE;
        }
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
        (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        ctx_error(x, ERR_OVERFLOW);
        return CMD_DONE;
    }
    v += incr;
    n = ll2string(buf, v);
    if (db_store_string(x, &x->argv[1], dg, e, buf, (size_t)n, (size_t)n, e ? e->expire : 0))
        rsp_int(x->out, v);
    return CMD_DONE;
}

int cmd_incr(struct ctx *x)
{
    return incr_by(x, 1);
}

int cmd_decr(struct ctx *x)
{
    return incr_by(x, -1);
}

int cmd_incrby(struct ctx *x)
{
    long long incr;

    if (arg_ll_or_reply(x, &x->argv[2], &incr))
        return CMD_DONE;
    return incr_by(x, incr);
}

int cmd_decrby(struct ctx *x)
{
    long long incr;

    if (arg_ll_or_reply(x, &x->argv[2], &incr))
        return CMD_DONE;
    if (incr == LLONG_MIN) {
        ctx_error(x, "ERR decrement would overflow");
        return CMD_DONE;
    }
    return incr_by(x, -incr);
}

int cmd_incrbyfloat(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    long double v = 0, incr;
    char buf[LD_STR_MAX];
    int n;

    if (e) {
        if (db_check_type(x, e, OBJ_STRING))
            return CMD_DONE;
        if (!string2ld(entry_cval(e), e->vlen, &v)) {
            ctx_error(x, ERR_NOT_FLOAT);
            return CMD_DONE;
        }
    }
    if (arg_ld_or_reply(x, &x->argv[2], &incr))
        return CMD_DONE;
    v += incr;
    if (isnan(v) || isinf(v)) {
        ctx_error(x, ERR_NAN_INF);
        return CMD_DONE;
    }
    n = ld2string_human(buf, sizeof(buf), v);
    if (n <= 0) {
        ctx_error(x, ERR_NOT_FLOAT);
        return CMD_DONE;
    }
    if (db_store_string(x, &x->argv[1], dg, e, buf, (size_t)n, (size_t)n, e ? e->expire : 0))
        rsp_bulk(x->out, buf, (size_t)n);
    return CMD_DONE;
}

int cmd_getrange(struct ctx *x)
{
    long long start, end, len;
    struct entry *e;

    if (arg_ll_or_reply(x, &x->argv[2], &start) || arg_ll_or_reply(x, &x->argv[3], &end))
        return CMD_DONE;
    e = db_read(x, &x->argv[1]);
    if (!e) {
        rsp_bulk(x->out, "", 0);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_STRING))
        return CMD_DONE;
    len = entry_vlen(e);
    if (start < 0 && end < 0 && start > end) {
        rsp_bulk(x->out, "", 0);
        return CMD_DONE;
    }
    if (start < 0)
        start = len + start;
    if (end < 0)
        end = len + end;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (start > end || len == 0)
        rsp_bulk(x->out, "", 0);
    else
        rsp_bulk(x->out, entry_cval(e) + start, (size_t)(end - start + 1));
    return CMD_DONE;
}

int cmd_setrange(struct ctx *x)
{
    const struct rstr *val = &x->argv[3];
    long long off;
    uint64_t dg;
    struct entry *e, *n;
    size_t olen = 0, total;

    if (arg_ll_or_reply(x, &x->argv[2], &off))
        return CMD_DONE;
    if (off < 0) {
        ctx_error(x, "ERR offset is out of range");
        return CMD_DONE;
    }
    e = db_write(x, &x->argv[1], &dg);
    if (e) {
        if (db_check_type(x, e, OBJ_STRING))
            return CMD_DONE;
        olen = e->vlen;
        if (val->len == 0) {
            rsp_int(x->out, (long long)olen);
            return CMD_DONE;
        }
    } else if (val->len == 0) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    if ((unsigned long long)off + val->len > (unsigned long long)srv.cfg.proto_max_bulk_len) {
        ctx_error(x, err_maxlen);
        return CMD_DONE;
    }
    total = (size_t)off + val->len;
    if (total < olen)
        total = olen;
    n = part_new_entry(x->p, x->pdb, x->argv[1].p, x->argv[1].len, total);
    if (!n) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    entry_set_type(n, OBJ_STRING, ENC_RAW);
    if (olen)
        memcpy(entry_val(n), entry_cval(e), olen);
    if ((size_t)off > olen)
        memset(entry_val(n) + olen, 0, (size_t)off - olen);
    memcpy(entry_val(n) + off, val->p, val->len);
    n->vlen = (uint32_t)total;
    if (e) {
        n->expire = e->expire;
        n->lru = e->lru;
        part_replace(x->p, e, n, dg, 0);
    } else {
        n->lru = lru_initial(x->now);
        if (db_insert(x, n, dg))
            return CMD_DONE;
    }
    ctx_dirty(x, 1);
    rsp_int(x->out, (long long)total);
    return CMD_DONE;
}
