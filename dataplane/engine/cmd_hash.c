/*
 * cmd_hash.c - hash commands (Redis's t_hash.c semantics and replies).
 *
 * Reads of a packed hash may run on any core; a dict-encoded hash is only read by its owner
 * (reader mode answers NEED_OWNER before any output, and the command is forwarded).
 */
#include "../core/util.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "cmd.h"
#include "db.h"
#include "expire.h"
#include "worker.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Read lookup for hash commands: 1 = must run on the owner; 0 with *@e (NULL if missing). */
static int hash_read(struct ctx *x, const struct rstr *key, struct entry **e)
{
    struct entry *h = db_peek(x, key);

    if (h && !x->owner && entry_type(h) == OBJ_HASH && entry_enc(h) == ENC_HASH_DICT)
        return 1;
    if (h)
        stat_add(x->w, keyspace_hits, 1);
    else
        stat_add(x->w, keyspace_misses, 1);
    if (h)
        lru_touch(h, x->now);
    *e = h;
    return 0;
}

static int write_error(struct ctx *x, int rc)
{
    if (rc)
        db_reply_insert_error(x, rc);
    return rc;
}

static int hset_generic(struct ctx *x, int reply_ok)
{
    uint64_t dg;
    struct entry *e;
    int n = (x->argc - 2) / 2, rc;
    struct hfield *set;
    long long added = 0;

    if (x->argc % 2 == 1) {
        ctx_error_arity(x);
        return CMD_DONE;
    }
    e = db_write(x, &x->argv[1], &dg);
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    set = malloc(sizeof(*set) * (size_t)n);
    if (!set) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    for (int i = 0; i < n; i++) {
        set[i].f = x->argv[2 + 2 * i].p;
        set[i].flen = x->argv[2 + 2 * i].len;
        set[i].v = x->argv[3 + 2 * i].p;
        set[i].vlen = x->argv[3 + 2 * i].len;
    }
    rc = hobj_write(x->p, &e, x->pdb, x->argv[1].p, x->argv[1].len, dg, set, n, 0, NULL, 0,
                    &added);
    free(set);
    if (write_error(x, rc))
        return CMD_DONE;
    ctx_dirty(x, n);
    if (reply_ok)
        rsp_ok(x->out);
    else
        rsp_int(x->out, added);
    return CMD_DONE;
}

int cmd_hset(struct ctx *x)
{
    return hset_generic(x, 0);
}

int cmd_hmset(struct ctx *x)
{
    return hset_generic(x, 1);
}

int cmd_hsetnx(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    struct hfield hf = { x->argv[2].p, x->argv[2].len, x->argv[3].p, x->argv[3].len };
    long long added = 0;

    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    if (write_error(x, hobj_write(x->p, &e, x->pdb, x->argv[1].p, x->argv[1].len, dg, &hf, 1, 1,
                                  NULL, 0, &added)))
        return CMD_DONE;
    if (added)
        ctx_dirty(x, 1);
    rsp_int(x->out, added);
    return CMD_DONE;
}

int cmd_hget(struct ctx *x)
{
    struct entry *e;
    const char *v;
    size_t vl;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    if (e && hobj_get(e, x->argv[2].p, x->argv[2].len, &v, &vl))
        rsp_bulk(x->out, v, vl);
    else
        rsp_null(x->out, x->proto);
    return CMD_DONE;
}

int cmd_hmget(struct ctx *x)
{
    struct entry *e;
    const char *v;
    size_t vl;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    rsp_array(x->out, x->argc - 2);
    for (int i = 2; i < x->argc; i++)
        if (e && hobj_get(e, x->argv[i].p, x->argv[i].len, &v, &vl))
            rsp_bulk(x->out, v, vl);
        else
            rsp_null(x->out, x->proto);
    return CMD_DONE;
}

static int hgetall_generic(struct ctx *x, int keys, int vals)
{
    struct entry *e;
    struct hiter it;
    struct hfield hf;
    uint64_t n;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    n = e ? hobj_len(e) : 0;
    if (keys && vals)
        rsp_map(x->out, (long long)n, x->proto);
    else
        rsp_array(x->out, (long long)n);
    if (!e)
        return CMD_DONE;
    hobj_iter_init(&it, e);
    while (hobj_iter_next(&it, &hf)) {
        if (keys)
            rsp_bulk(x->out, hf.f, hf.flen);
        if (vals)
            rsp_bulk(x->out, hf.v, hf.vlen);
    }
    return CMD_DONE;
}

int cmd_hgetall(struct ctx *x)
{
    return hgetall_generic(x, 1, 1);
}

int cmd_hkeys(struct ctx *x)
{
    return hgetall_generic(x, 1, 0);
}

int cmd_hvals(struct ctx *x)
{
    return hgetall_generic(x, 0, 1);
}

int cmd_hdel(struct ctx *x)
{
    uint64_t dg;
    struct entry *e = db_write(x, &x->argv[1], &dg);
    int n = x->argc - 2, rc;
    struct hfield *del;
    long long deleted = 0;

    if (!e) {
        rsp_int(x->out, 0);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    del = malloc(sizeof(*del) * (size_t)n);
    if (!del) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    for (int i = 0; i < n; i++) {
        del[i].f = x->argv[2 + i].p;
        del[i].flen = x->argv[2 + i].len;
        del[i].v = NULL;
        del[i].vlen = 0;
    }
    rc = hobj_write(x->p, &e, x->pdb, x->argv[1].p, x->argv[1].len, dg, NULL, 0, 0, del, n,
                    &deleted);
    free(del);
    if (write_error(x, rc))
        return CMD_DONE;
    ctx_dirty(x, (int)deleted);
    rsp_int(x->out, deleted);
    return CMD_DONE;
}

int cmd_hlen(struct ctx *x)
{
    struct entry *e;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    rsp_int(x->out, e ? (long long)hobj_len(e) : 0);
    return CMD_DONE;
}

int cmd_hexists(struct ctx *x)
{
    struct entry *e;
    const char *v;
    size_t vl;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    rsp_int(x->out, e && hobj_get(e, x->argv[2].p, x->argv[2].len, &v, &vl));
    return CMD_DONE;
}

int cmd_hstrlen(struct ctx *x)
{
    struct entry *e;
    const char *v;
    size_t vl;

    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    rsp_int(x->out, e && hobj_get(e, x->argv[2].p, x->argv[2].len, &v, &vl) ? (long long)vl : 0);
    return CMD_DONE;
}

/* Store one field's new value (HINCRBY*). */
static int hset_one(struct ctx *x, struct entry *e, uint64_t dg, const char *v, size_t vl)
{
    struct hfield hf = { x->argv[2].p, x->argv[2].len, v, vl };
    long long added;

    if (write_error(x, hobj_write(x->p, &e, x->pdb, x->argv[1].p, x->argv[1].len, dg, &hf, 1, 0,
                                  NULL, 0, &added)))
        return -1;
    ctx_dirty(x, 1);
    return 0;
}

int cmd_hincrby(struct ctx *x)
{
    long long incr, v = 0;
    uint64_t dg;
    struct entry *e;
    const char *cur;
    size_t cl;
    char buf[LL_STR_SIZE];
    int n;

    if (arg_ll_or_reply(x, &x->argv[3], &incr))
        return CMD_DONE;
    e = db_write(x, &x->argv[1], &dg);
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    if (e && hobj_get(e, x->argv[2].p, x->argv[2].len, &cur, &cl) && !string2ll(cur, cl, &v)) {
        ctx_error(x, "ERR hash value is not an integer");
        return CMD_DONE;
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
        (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        ctx_error(x, ERR_OVERFLOW);
        return CMD_DONE;
    }
    v += incr;
    n = ll2string(buf, v);
    if (hset_one(x, e, dg, buf, (size_t)n) == 0)
        rsp_int(x->out, v);
    return CMD_DONE;
}

int cmd_hincrbyfloat(struct ctx *x)
{
    long double incr, v = 0;
    uint64_t dg;
    struct entry *e;
    const char *cur;
    size_t cl;
    char buf[LD_STR_MAX];
    int n;

    if (arg_ld_or_reply(x, &x->argv[3], &incr))
        return CMD_DONE;
    if (isnan(incr) || isinf(incr)) {
        ctx_error(x, "ERR value is NaN or Infinity");
        return CMD_DONE;
    }
    e = db_write(x, &x->argv[1], &dg);
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    if (e && hobj_get(e, x->argv[2].p, x->argv[2].len, &cur, &cl) && !string2ld(cur, cl, &v)) {
        ctx_error(x, "ERR hash value is not a float");
        return CMD_DONE;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        ctx_error(x, ERR_NAN_INF);
        return CMD_DONE;
    }
    n = ld2string_human(buf, sizeof(buf), v);
    if (hset_one(x, e, dg, buf, (size_t)n) == 0)
        rsp_bulk(x->out, buf, (size_t)n);
    return CMD_DONE;
}

static void reply_field(struct ctx *x, const struct hfield *hf, int withvalues)
{
    if (withvalues && x->proto > 2)
        rsp_array(x->out, 2);
    rsp_bulk(x->out, hf->f, hf->flen);
    if (withvalues)
        rsp_bulk(x->out, hf->v, hf->vlen);
}

int cmd_hrandfield(struct ctx *x)
{
    struct entry *e;
    long long count;
    int withvalues = 0;
    uint64_t size;
    struct hfield hf;

    if (x->argc >= 3) {
        if (!string2ll(x->argv[2].p, x->argv[2].len, &count)) {
            ctx_error(x, ERR_NOT_INT);
            return CMD_DONE;
        }
        if (count < -LLONG_MAX) {
            ctx_errorf(x, "ERR value is out of range, value must between %lld and %lld",
                       -LLONG_MAX, LLONG_MAX);
            return CMD_DONE;
        }
        if (x->argc > 4 || (x->argc == 4 && !arg_is(&x->argv[3], "withvalues"))) {
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
        if (x->argc == 4) {
            withvalues = 1;
            if (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2) {
                ctx_error(x, "ERR value is out of range");
                return CMD_DONE;
            }
        }
    }
    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (x->argc < 3) {
        if (!e) {
            rsp_null(x->out, x->proto);
            return CMD_DONE;
        }
        if (db_check_type(x, e, OBJ_HASH))
            return CMD_DONE;
        hobj_random(e, &x->w->rng, &hf);
        rsp_bulk(x->out, hf.f, hf.flen);
        return CMD_DONE;
    }
    if (!e) {
        rsp_array(x->out, 0);
        return CMD_DONE;
    }
    if (db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    size = hobj_len(e);
    if (count == 0) {
        rsp_array(x->out, 0);
        return CMD_DONE;
    }
    if (count < 0 || count == 1) { /* with repetitions, random order */
        long long n = count < 0 ? -count : count;
        rsp_array(x->out, withvalues && x->proto == 2 ? n * 2 : n);
        while (n--) {
            hobj_random(e, &x->w->rng, &hf);
            reply_field(x, &hf, withvalues);
        }
        return CMD_DONE;
    }
    {
        uint64_t want = (uint64_t)count < size ? (uint64_t)count : size, i;
        struct hfield *all = malloc(sizeof(*all) * size);
        struct hiter it;
        if (!all) {
            ctx_error(x, ERR_OOM);
            return CMD_DONE;
        }
        hobj_iter_init(&it, e);
        for (i = 0; i < size && hobj_iter_next(&it, &all[i]); i++)
            ;
        size = i;
        if (want > size)
            want = size;
        rsp_array(x->out, (long long)(withvalues && x->proto == 2 ? want * 2 : want));
        for (i = 0; i < want; i++) { /* partial Fisher-Yates: distinct fields */
            uint64_t j = i + rand64(&x->w->rng) % (size - i);
            struct hfield t = all[i];
            all[i] = all[j];
            all[j] = t;
            reply_field(x, &all[i], withvalues);
        }
        free(all);
    }
    return CMD_DONE;
}

struct hscan_arg {
    struct ctx *x;
    struct obuf *tmp;
    const struct rstr *pat;
    long long n;
};

static void hscan_visit(void *arg, const struct hfield *hf)
{
    struct hscan_arg *a = arg;

    if (a->pat && !glob_match(a->pat->p, a->pat->len, hf->f, hf->flen, 0))
        return;
    rsp_bulk(a->tmp, hf->f, hf->flen);
    rsp_bulk(a->tmp, hf->v, hf->vlen);
    a->n += 2;
}

int cmd_hscan(struct ctx *x)
{
    unsigned long long cur;
    long long count = 10;
    const struct rstr *pat = NULL;
    struct entry *e;
    struct obuf tmp;
    struct hscan_arg a;

    if (arg_cursor_or_reply(x, &x->argv[2], &cur))
        return CMD_DONE;
    for (int i = 3; i < x->argc;) {
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
            if (pat->len == 1 && pat->p[0] == '*')
                pat = NULL;
            i += 2;
        } else {
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
    }
    if (hash_read(x, &x->argv[1], &e))
        return NEED_OWNER;
    if (e && db_check_type(x, e, OBJ_HASH))
        return CMD_DONE;
    obuf_init(&tmp, x->out->pool);
    a.x = x;
    a.tmp = &tmp;
    a.pat = pat;
    a.n = 0;
    if (e)
        cur = hobj_scan(e, cur, (uint64_t)count, hscan_visit, &a);
    else
        cur = 0;
    rsp_array(x->out, 2);
    rsp_bulk_ll(x->out, (long long)cur);
    rsp_array(x->out, a.n);
    obuf_splice(x->out, &tmp);
    return CMD_DONE;
}
