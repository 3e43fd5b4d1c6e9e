/*
 * plan.c - multi-partition command coordination (see plan.h).
 */
#include "plan.h"

#include "../core/hash.h"
#include "../core/util.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "dispatch.h"
#include "worker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct plan_str {
    struct plan_str *next;
    size_t len;
    char data[];
};

static void free_strs(struct plan *pl);

void plan_free(struct plan *pl)
{
    if (!pl)
        return;
    for (int i = 0; i < MAX_WORKERS; i++)
        if (pl->fwds[i]) {
            obuf_reset(&pl->fwds[i]->reply);
            free(pl->fwds[i]);
        }
    free(pl->argv);
    free_strs(pl);
    free(pl);
}

struct plan *plan_begin(struct ctx *x, plan_step_fn step)
{
    struct client *c = x->c;
    struct plan *pl = c->plan;

    if (!pl) {
        pl = calloc(1, sizeof(*pl));
        if (!pl) {
            ctx_error(x, "ERR out of memory");
            return NULL;
        }
        c->plan = pl;
    }
    pl->active = 1;
    pl->phase = 0;
    pl->step = step;
    pl->nsub = 0;
    pl->pending = 0;
    pl->argv_len = 0;
    pl->cmd_id = (int)x->cmd->id;
    pl->argc = x->argc;
    pl->argv0 = x->argv;
    pl->db = x->db;
    pl->proto = x->proto;
    pl->acc = 0;
    pl->target = -1;
    return pl;
}

const char *plan_strdup(struct plan *pl, const void *p, size_t n)
{
    struct plan_str *s;

    if (n > SIZE_MAX - sizeof(*s) - 1)
        return NULL;
    s = malloc(sizeof(*s) + n + 1);
    if (!s)
        return NULL;
    memcpy(s->data, p, n);
    s->data[n] = '\0';
    s->len = n;
    s->next = pl->strs;
    pl->strs = s;
    return s->data;
}

static void free_strs(struct plan *pl)
{
    struct plan_str *s = pl->strs, *n;

    while (s) {
        n = s->next;
        free(s);
        s = n;
    }
    pl->strs = NULL;
}

int plan_add(struct plan *pl, unsigned part, int argc, const struct rstr *argv)
{
    struct fwd *f = pl->fwds[part];
    size_t need = pl->argv_len + (size_t)argc;
    int i = pl->nsub;
    const struct cmd_def *d;

    if (!f) {
        f = fwd_alloc(1);
        if (!f)
            return -1;
        pl->fwds[part] = f;
    }
    if (need > pl->argv_cap) {
        size_t cap = pl->argv_cap ? pl->argv_cap : 64;
        while (cap < need)
            cap *= 2;
        struct rstr *a = realloc(pl->argv, cap * sizeof(*a));
        if (!a)
            return -1;
        pl->argv = a;
        pl->argv_cap = cap;
    }
    d = cmd_lookup(argv[0].p, argv[0].len, 1); /* by its own name: rename-command aside */
    if (!d)
        return -1;
    memcpy(pl->argv + pl->argv_len, argv, (size_t)argc * sizeof(*argv));
    f->cmd[0].argv_at = pl->argv_len;
    f->cmd[0].argc = argc;
    f->cmd[0].id = (uint16_t)d->id;
    pl->argv_len = need;
    pl->sub_part[i] = (uint16_t)part;
    pl->nsub++;
    return i;
}

static void phase_done(struct client *c, struct plan *pl)
{
    pl->step(c, pl);
    if (!pl->active && !(c->flags & CLIENT_ZOMBIE))
        client_mark_dirty(c);
}

int plan_run(struct client *c, struct plan *pl)
{
    struct worker *w = c->w;
    int n = pl->nsub;

    pl->pending = n;
    c->pending++; /* the plan as a whole holds the client */
    for (int i = 0; i < n; i++) {
        unsigned part = pl->sub_part[i];
        struct fwd *f = pl->fwds[part];
        obuf_reset(&f->reply);
        f->reply.pool = &w->opool;
        f->cmd[0].argv = pl->argv + f->cmd[0].argv_at;
        f->ncmd = 1;
        f->sub = (int16_t)i;
        f->c = c;
        f->db = pl->db;
        f->proto = (uint8_t)pl->proto;
        f->dst = (uint16_t)part;
        if (part == w->id) {
            struct ctx x;
            memset(&x, 0, sizeof(x));
            x.w = w;
            x.p = w->part;
            x.owner = 1;
            x.cmd = &cmd_defs[f->cmd[0].id];
            x.argc = f->cmd[0].argc;
            x.argv = f->cmd[0].argv;
            x.out = &f->reply;
            x.db = pl->db;
            x.pdb = part_pdb(w->part, pl->db);
            x.proto = pl->proto;
            x.now = w->now_ms;
            cmd_exec(&x);
            pl->pending--;
        } else {
            f->reply.pool = NULL; /* the owner sets its own pool */
            fwd_send(w, f);
        }
    }
    if (pl->pending == 0) {
        c->pending--;
        phase_done(c, pl);
        /* every part ran here (one worker) and the plan is over: nothing will come back to
         * resume the client, so the rest of its pipeline runs now */
        if (!pl->active && c->pending == 0)
            return CMD_DONE;
    }
    return CMD_SUSPENDED;
}

void plan_on_complete(struct client *c, struct fwd *f)
{
    struct plan *pl = c->plan;

    (void)f;
    if (--pl->pending > 0)
        return;
    c->pending--;
    if (c->flags & CLIENT_ZOMBIE) {
        plan_end(c, pl);
        if (c->pending == 0)
            client_release(c);
        return;
    }
    phase_done(c, pl);
    if (!pl->active && c->pending == 0)
        client_input(c);
}

const char *plan_reply(struct plan *pl, int i, size_t *len)
{
    struct fwd *f = pl->fwds[pl->sub_part[i]];
    struct obuf *ob = &f->reply;
    const uint8_t *p;
    size_t n = obuf_peek(ob, 0, &p);

    *len = obuf_len(ob);
    if (n == *len)
        return (const char *)p;
    /* spans chunks: linearize into one chunk-sized reservation */
    {
        struct obuf tmp;
        uint8_t *d;
        obuf_init(&tmp, ob->pool);
        d = obuf_reserve(&tmp, *len);
        if (!d) {
            *len = 0;
            return "";
        }
        obuf_copy_out(ob, 0, d, *len);
        obuf_commit(&tmp, *len);
        obuf_reset(ob);
        *ob = tmp;
        obuf_peek(ob, 0, &p);
        return (const char *)p;
    }
}

void plan_end(struct client *c, struct plan *pl)
{
    (void)c;
    for (int i = 0; i < pl->nsub; i++)
        obuf_reset(&pl->fwds[pl->sub_part[i]]->reply);
    pl->active = 0;
    pl->nsub = 0;
    free_strs(pl);
}

/* Error among the sub-replies? Pass the first through and end the plan. */
static int pass_error(struct client *c, struct plan *pl)
{
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        if (n && r[0] == '-') {
            obuf_append(&c->out, r, n);
            plan_end(c, pl);
            return 1;
        }
    }
    return 0;
}

void plan_merge_sum(struct client *c, struct plan *pl)
{
    long long sum = 0, v;

    if (pass_error(c, pl))
        return;
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        if (n > 3 && r[0] == ':' && string2ll(r + 1, n - 3, &v))
            sum += v;
    }
    rsp_int(&c->out, sum);
    plan_end(c, pl);
}

void plan_merge_ok(struct client *c, struct plan *pl)
{
    if (pass_error(c, pl))
        return;
    rsp_ok(&c->out);
    plan_end(c, pl);
}

void plan_merge_first(struct client *c, struct plan *pl)
{
    struct fwd *f = pl->fwds[pl->sub_part[0]];

    obuf_splice(&c->out, &f->reply);
    plan_end(c, pl);
}

/* Header "*<n>\r\n" (or "~"/"%"): count and its length. */
static int agg_header(const char *r, size_t n, long long *count, size_t *hlen)
{
    const char *crlf = memchr(r, '\r', n);

    if (!crlf || n < 4)
        return -1;
    if (!string2ll(r + 1, (size_t)(crlf - r - 1), count))
        return -1;
    *hlen = (size_t)(crlf - r) + 2;
    return 0;
}

void plan_merge_concat_array(struct client *c, struct plan *pl)
{
    long long total = 0, cnt;
    size_t hl;

    if (pass_error(c, pl))
        return;
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        if (agg_header(r, n, &cnt, &hl) == 0 && cnt > 0)
            total += cnt;
    }
    rsp_array(&c->out, total);
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        struct fwd *f = pl->fwds[pl->sub_part[i]];
        if (agg_header(r, n, &cnt, &hl) == 0 && cnt > 0) {
            obuf_consume(&f->reply, hl);
            obuf_splice(&c->out, &f->reply);
        }
    }
    plan_end(c, pl);
}

void plan_merge_concat_bulk(struct client *c, struct plan *pl)
{
    size_t total = 0, hl;
    long long len;

    if (pass_error(c, pl))
        return;
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        if (agg_header(r, n, &len, &hl) == 0 && len > 0)
            total += (size_t)len;
    }
    {
        char hdr[32];
        int h = snprintf(hdr, sizeof(hdr), "$%zu\r\n", total);
        obuf_append(&c->out, hdr, (size_t)h);
    }
    for (int i = 0; i < pl->nsub; i++) {
        size_t n;
        const char *r = plan_reply(pl, i, &n);
        if (agg_header(r, n, &len, &hl) == 0 && len > 0)
            obuf_append(&c->out, r + hl, (size_t)len);
    }
    rsp_raw(&c->out, "\r\n", 2);
    plan_end(c, pl);
}

int plan_split_keys(struct ctx *x, const struct rstr *name, int step, plan_step_fn merge)
{
    struct plan *pl = plan_begin(x, merge);
    int nw = srv.nworkers;
    struct rstr *grp;
    /* the sub-commands go by the command's own name (x->argv[0] may be a rename-command name) */
    struct rstr own = { x->cmd->name, x->cmd->namelen };
    int *cnt;

    if (!pl)
        return CMD_DONE;
    grp = malloc(sizeof(*grp) * (size_t)x->argc * (size_t)nw);
    cnt = calloc((size_t)nw, sizeof(*cnt));
    if (!grp || !cnt) {
        free(grp);
        free(cnt);
        plan_end(x->c, pl);
        ctx_error(x, "ERR out of memory");
        return CMD_DONE;
    }
    /* group i: argv[0] then its keys (and values) in the original order */
    for (int i = 1; i + step - 1 < x->argc; i += step) {
        unsigned part = srv_part_of_slot(key_slot(x->argv[i].p, x->argv[i].len));
        struct rstr *g = grp + (size_t)part * (size_t)x->argc;
        if (cnt[part] == 0)
            g[cnt[part]++] = name ? *name : own;
        for (int k = 0; k < step; k++)
            g[cnt[part]++] = x->argv[i + k];
    }
    for (int part = 0; part < nw; part++)
        if (cnt[part] && plan_add(pl, (unsigned)part, cnt[part],
                                  grp + (size_t)part * (size_t)x->argc) < 0) {
            free(grp);
            free(cnt);
            plan_end(x->c, pl);
            ctx_error(x, "ERR out of memory");
            return CMD_DONE;
        }
    free(grp);
    free(cnt);
    return plan_run(x->c, pl);
}

int plan_broadcast(struct ctx *x, int argc, const struct rstr *argv, plan_step_fn merge)
{
    struct plan *pl = plan_begin(x, merge);

    if (!pl)
        return CMD_DONE;
    for (int part = 0; part < srv.nworkers; part++)
        if (plan_add(pl, (unsigned)part, argc, argv) < 0) {
            plan_end(x->c, pl);
            ctx_error(x, "ERR out of memory");
            return CMD_DONE;
        }
    return plan_run(x->c, pl);
}

size_t resp_elem_len(const char *p, size_t n)
{
    const char *crlf;
    long long v;
    size_t h, off;

    if (n < 3)
        return 0;
    crlf = memchr(p, '\r', n);
    if (!crlf || (size_t)(crlf - p) + 2 > n)
        return 0;
    h = (size_t)(crlf - p) + 2;
    switch (p[0]) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        return h;
    case '$': case '=': case '!':
        if (!string2ll(p + 1, h - 3, &v))
            return 0;
        if (v < 0)
            return h;
        return h + (size_t)v + 2 <= n ? h + (size_t)v + 2 : 0;
    case '*': case '~': case '%': case '>':
        if (!string2ll(p + 1, h - 3, &v))
            return 0;
        if (v < 0)
            return h;
        if (p[0] == '%')
            v *= 2;
        off = h;
        for (long long i = 0; i < v; i++) {
            size_t e = resp_elem_len(p + off, n - off);
            if (!e)
                return 0;
            off += e;
        }
        return off;
    }
    return 0;
}
