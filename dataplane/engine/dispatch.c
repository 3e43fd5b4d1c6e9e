/*
 * dispatch.c - command routing, execution accounting and cross-worker forwarding
 * (see dispatch.h).
 */
#include "dispatch.h"

#include "../core/hash.h"
#include "../core/log.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "expire.h"
#include "plan.h"
#include "server.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_ring.h>

#define RING_BURST 32

static uint64_t tsc_per_us;

static inline uint64_t get_tsc_per_us(void)
{
    uint64_t v = __atomic_load_n(&tsc_per_us, __ATOMIC_RELAXED);

    if (unlikely(!v)) { /* every thread computes the same value */
        v = rte_get_tsc_hz() / 1000000;
        v = v ? v : 1000;
        __atomic_store_n(&tsc_per_us, v, __ATOMIC_RELAXED);
    }
    return v;
}

uint64_t cmdstat_usec(const struct cmdstat *cs)
{
    return __atomic_load_n(&cs->tsc, __ATOMIC_RELAXED) / get_tsc_per_us();
}

int cmd_exec(struct ctx *x)
{
    struct worker *w = x->w;
    const struct cmd_def *cmd = x->cmd;
    /* In a client's input pass a command's time runs from the end of the previous command
     * (so it counts its own parsing too): one TSC read per command instead of two, which
     * matters in a pipeline (rdtsc costs about 20 ns in a VM). A command run from inside
     * this one (a plan's own-partition part) finds no mark and times itself. */
    uint64_t mark = w->tsc_mark, t0, t1, tsc, us, per_us;
    struct cmdstat *cs;
    int cls, b, rc;
    long long slower;

    w->tsc_mark = 0;
    t0 = mark ? mark : rte_rdtsc();
    if (x->owner && x->p && (cmd->flags & (CMD_WRITE | CMD_DENYOOM)) && srv.cfg.maxmemory &&
        evict_if_needed(w, x->p) < 0 && (cmd->flags & CMD_DENYOOM)) {
        ctx_error(x, ERR_OOM);
        w->cmdstat[cmd->id].rejected++;
        if (mark)
            w->tsc_mark = rte_rdtsc();
        return CMD_DONE;
    }
    rc = cmd->fn(x);
    if (rc == NEED_OWNER) {
        if (mark)
            w->tsc_mark = rte_rdtsc();
        return rc;
    }
    t1 = rte_rdtsc();
    tsc = t1 - t0;
    if (mark)
        w->tsc_mark = t1;
    per_us = get_tsc_per_us();
    us = tsc < per_us ? 0 : tsc / per_us; /* most commands: under 1 us, no division */
    cs = &w->cmdstat[cmd->id];
    cs->calls++;
    cs->tsc += tsc;
    if (x->failed)
        cs->failed++;
    stat_add(w, commands, 1);
    if (x->dirty)
        stat_add(w, dirty, (uint64_t)x->dirty);
    cls = (cmd->flags & CMD_WRITE) ? CLASS_WRITE : (cmd->flags & CMD_READONLY) ? CLASS_READ
                                                                            : CLASS_OTHER;
    b = us ? 64 - __builtin_clzll(us) : 0;
    if (b >= LAT_BUCKETS)
        b = LAT_BUCKETS - 1;
    w->st.lat[cls][b]++;
    slower = srv.cfg.slowlog_log_slower_than;
    if (slower >= 0 && (long long)us >= slower && !(cmd->flags & CMD_INTERNAL)) {
        const struct client *cl = x->c ? x->c : x->origin;
        slowlog_add(&w->slowlog, (size_t)srv.cfg.slowlog_max_len,
                    __atomic_fetch_add(&srv.slowlog_next_id, 1, __ATOMIC_RELAXED), w->now_ms / 1000,
                    us, x->argc, x->argv, cmd_redact_mask(cmd, x->argc, x->argv),
                    cl ? cl->raddr : "", cl && cl->name ? cl->name : "");
    }
    return rc;
}

/* ---- errors before execution ---- */

static void reject(struct client *c, const struct cmd_def *cmd, const char *msg)
{
    struct ctx x = { .w = c->w, .c = c, .out = &c->out };

    ctx_error(&x, msg);
    if (cmd)
        c->w->cmdstat[cmd->id].rejected++;
}

static void reject_unknown(struct client *c, int argc, const struct rstr *argv)
{
    char args[512], msg[1024], name[129];
    size_t n = 0;
    size_t nl = argv[0].len < 128 ? argv[0].len : 128;

    memcpy(name, argv[0].p, nl);
    name[nl] = '\0';
    name[strnlen(name, nl)] = '\0';
    args[0] = '\0';
    for (int i = 1; i < argc && n < 128; i++) {
        int room = 128 - (int)n;
        int al = (int)(argv[i].len < (size_t)room ? argv[i].len : (size_t)room);
        n += (size_t)snprintf(args + n, sizeof(args) - n, "'%.*s' ", al, argv[i].p);
    }
    snprintf(msg, sizeof(msg), "ERR unknown command '%s', with args beginning with: %s", name,
             args);
    reject(c, NULL, msg);
}

static void reject_unknown_sub(struct client *c, const struct rstr *argv)
{
    char msg[320];

    cmd_unknown_sub_msg(msg, sizeof(msg), argv);
    reject(c, NULL, msg);
}

/* DEBUG (enable-debug-command) and MODULE LOAD/LOADEX/UNLOAD (enable-module-command), checked
 * as Redis 7.0 does: after the arity check, before AUTH. */
static int protected_cmd_allowed(const struct client *c, const struct cmd_def *cmd)
{
    int mode =
        cmd->id == CMDID_DEBUG ? srv.cfg.enable_debug_command : srv.cfg.enable_module_command;

    return protected_allowed(mode, client_is_local(c));
}

static void reject_protected(struct client *c, const struct cmd_def *cmd)
{
    int debug = cmd->id == CMDID_DEBUG;
    char msg[320];

    snprintf(msg, sizeof(msg),
             "ERR %s command not allowed. If the %s option is set to \"local\", you can run it "
             "from a local connection, otherwise you need to set this option in the "
             "configuration file, and then restart the server.",
             debug ? "DEBUG" : "MODULE", debug ? "enable-debug-command" : "enable-module-command");
    reject(c, cmd, msg);
}

/* ---- routing ---- */

/* Partition of the command's keys: >= 0 one partition, -1 several, -2 no keys. In cluster
 * mode also checks CROSSSLOT (returns -3 after replying). @slot gets the first key's slot. */
static int key_partition(struct client *c, const struct cmd_def *cmd, int argc,
                         const struct rstr *argv, unsigned *slot)
{
    int first = cmd->first_key, last = cmd->last_key, step = cmd->key_step;
    int part = -2;
    unsigned s0 = 0;

    if (first <= 0 || first >= argc)
        return -2;
    if (srv.nworkers == 1 && !srv.cfg.cluster_enabled)
        return 0; /* one partition: no need to hash the keys */
    if (last < 0)
        last = argc + last;
    if (last >= argc)
        last = argc - 1;
    for (int i = first; i <= last; i += step) {
        unsigned s = key_slot(argv[i].p, argv[i].len);
        int p = srv_part_of_slot(s);
        if (part == -2) {
            part = p;
            s0 = s;
        } else if (srv.cfg.cluster_enabled && s != s0) {
            reject(c, cmd, "CROSSSLOT Keys in request don't hash to the same slot");
            return -3;
        } else if (p != part) {
            part = -1;
        }
    }
    *slot = s0;
    return part;
}

static void reply_moved(struct client *c, const struct cmd_def *cmd, unsigned slot, int part)
{
    char msg[160], ip[64];
    const char *ann = srv.cfg.cluster_announce_ip;
    char *colon;

    snprintf(ip, sizeof(ip), "%s", ann && ann[0] ? ann : c->laddr);
    if (!(ann && ann[0]) && (colon = strrchr(ip, ':')) != NULL)
        *colon = '\0';
    snprintf(msg, sizeof(msg), "MOVED %u %s:%d", slot, ip, srv.core_port_base + part);
    reject(c, cmd, msg);
}

static int batch_open(const struct client *c)
{
    return c->fwd && c->fwd->ncmd > 0 && c->pending == 0;
}

/* Copy @argc arguments into the client's forward arena; returns the index or -1. */
static long arena_push(struct client *c, int argc, const struct rstr *argv)
{
    size_t need = c->fargv_len + (size_t)argc;

    if (need > c->fargv_cap) {
        size_t cap = c->fargv_cap ? c->fargv_cap : 64;
        while (cap < need)
            cap *= 2;
        struct rstr *a = realloc(c->fargv, cap * sizeof(*a));
        if (!a)
            return -1;
        c->fargv = a;
        c->fargv_cap = cap;
    }
    memcpy(c->fargv + c->fargv_len, argv, (size_t)argc * sizeof(*argv));
    c->fargv_len = need;
    return (long)(need - (size_t)argc);
}

static enum dispatch_result batch_add(struct client *c, const struct cmd_def *cmd, int part,
                                      int argc, const struct rstr *argv)
{
    struct fwd *f = c->fwd;
    long at;

    if (!f) {
        f = fwd_alloc(FWD_BATCH_MAX);
        if (!f) {
            reject(c, cmd, "ERR out of memory forwarding the command");
            return DISPATCH_DONE;
        }
        c->fwd = f;
    }
    if (f->ncmd) {
        if (f->dst != part || f->ncmd == f->cap)
            return DISPATCH_DEFER;
    } else {
        f->dst = (uint16_t)part;
        f->db = c->db;
        f->proto = (uint8_t)c->proto;
        f->sub = -1;
        f->c = c;
    }
    at = arena_push(c, argc, argv);
    if (at < 0) {
        if (f->ncmd)
            return DISPATCH_DEFER;
        reject(c, cmd, "ERR out of memory forwarding the command");
        return DISPATCH_DONE;
    }
    f->cmd[f->ncmd].id = (uint16_t)cmd->id;
    f->cmd[f->ncmd].argc = argc;
    f->cmd[f->ncmd].argv_at = (size_t)at;
    f->ncmd++;
    return DISPATCH_BATCHED;
}

void dispatch_flush_batch(struct client *c)
{
    struct fwd *f = c->fwd;

    if (!batch_open(c))
        return;
    for (uint32_t i = 0; i < f->ncmd; i++)
        f->cmd[i].argv = c->fargv + f->cmd[i].argv_at;
    c->pending++;
    fwd_send(c->w, f);
}

enum dispatch_result dispatch_command(struct client *c, int argc, const struct rstr *argv)
{
    struct worker *w = c->w;
    const struct cmd_def *cmd = cmd_lookup(argv[0].p, argv[0].len, 0);
    int open = batch_open(c);
    struct ctx x;
    unsigned slot;
    int part, rc;

    if (cmd && (cmd->flags & CMD_CONTAINER) && argc >= 2) {
        /* Redis 7: "client info" is the command client|info; an unknown one is refused
         * before arity and AUTH checks and counted for no command */
        const struct cmd_def *sub = cmd_lookup_sub(cmd, argv[1].p, argv[1].len);
        if (!sub) {
            if (open)
                return DISPATCH_DEFER;
            c->last_cmd = -1;
            reject_unknown_sub(c, argv);
            return DISPATCH_DONE;
        }
        cmd = sub;
    }
    if (!open)
        c->last_cmd = cmd ? (int)cmd->id : -1;
    if (!cmd) {
        if (open)
            return DISPATCH_DEFER;
        reject_unknown(c, argc, argv);
        return DISPATCH_DONE;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
        char msg[128];
        if (open)
            return DISPATCH_DEFER;
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command", cmd->name);
        reject(c, cmd, msg);
        return DISPATCH_DONE;
    }
    if (unlikely(cmd->flags & CMD_PROTECTED) && !protected_cmd_allowed(c, cmd)) {
        if (open)
            return DISPATCH_DEFER;
        reject_protected(c, cmd);
        return DISPATCH_DONE;
    }
    if (!(c->flags & CLIENT_AUTHED) && !(cmd->flags & CMD_NOAUTH)) {
        const char *pass = __atomic_load_n(&srv.cfg.requirepass, __ATOMIC_ACQUIRE);
        if (pass && pass[0]) {
            if (open)
                return DISPATCH_DEFER;
            reject(c, cmd, "NOAUTH Authentication required.");
            return DISPATCH_DONE;
        }
    }
    memset(&x, 0, sizeof(x));
    x.w = w;
    x.c = c;
    x.cmd = cmd;
    x.argc = argc;
    x.argv = argv;
    x.out = &c->out;
    x.db = c->db;
    x.proto = c->proto;
    x.now = w->now_ms;

    part = key_partition(c, cmd, argc, argv, &slot);
    if (part == -3)
        return open ? DISPATCH_DEFER : DISPATCH_DONE;
    if (part >= 0 && srv.cfg.cluster_enabled && part != (int)w->id) {
        if (open)
            return DISPATCH_DEFER;
        reply_moved(c, cmd, slot, part);
        return DISPATCH_DONE;
    }
    if (part >= 0 && part != (int)w->id) {
        struct part *p = &srv.parts[part];
        if ((cmd->flags & CMD_LFREAD) && !open) {
            x.p = p;
            x.pdb = part_pdb(p, c->db);
            x.owner = 0;
            rc = cmd_exec(&x);
            if (rc != NEED_OWNER) {
                stat_add(w, remote_reads, 1);
                return rc == CMD_SUSPENDED ? DISPATCH_SUSPENDED : DISPATCH_DONE;
            }
        }
        return batch_add(c, cmd, part, argc, argv);
    }
    if (open)
        return DISPATCH_DEFER;
    if (part >= 0 || (srv.cfg.cluster_enabled && (cmd->flags & CMD_ALLPART))) {
        x.p = w->part;
        x.pdb = part_pdb(w->part, c->db);
        x.owner = 1;
    }
    /* part == -1 (keys in several partitions) and ALLPART: coordinator, x.p == NULL */
    rc = cmd_exec(&x);
    return rc == CMD_SUSPENDED ? DISPATCH_SUSPENDED : DISPATCH_DONE;
}

/* ---- prefetching ---- */

/* Length of the "<digits>\r\n" line at @p, its value in *@v; 0 if not whole/valid. */
static size_t num_line(const char *p, const char *end, long long *v)
{
    long long n = 0;
    const char *q = p;

    if (q < end && *q == '-')
        return 0;
    while (q < end && *q >= '0' && *q <= '9' && q - p < 18)
        n = n * 10 + (*q++ - '0');
    if (q == p || q + 2 > end || q[0] != '\r')
        return 0;
    *v = n;
    return (size_t)(q + 2 - p);
}

/* Scan whole commands from *@pp (at most @max) and add the key (argument 1) of each to @b.
 * Returns the number of commands scanned; *@pp moves past them. */
static int scan_keys(struct prefetch_batch *b, const char **pp, const char *end, int db, int max)
{
    const char *p = *pp;
    int multi = srv.nworkers > 1, cmds = 0;

    while (cmds < max && b->n < PREFETCH_AHEAD && p < end && *p == '*') {
        long long argc, len;
        size_t l = num_line(p + 1, end, &argc);
        const char *q = p + 1 + l, *key = NULL;
        size_t klen = 0;
        if (!l || argc < 1 || argc > 1024)
            break;
        for (long long a = 0; a < argc; a++) {
            if (q >= end || *q != '$' || !(l = num_line(q + 1, end, &len)) ||
                (size_t)(end - (q + 1 + l)) < (size_t)len + 2)
                goto done;
            q += 1 + l;
            if (a == 1) {
                key = q;
                klen = (size_t)len;
            }
            q += len + 2;
        }
        if (key) {
            unsigned pi = multi ? srv_part_of_slot(key_slot(key, klen)) : 0;
            uint16_t pdb = part_pdb(&srv.parts[pi], db);
            b->part[b->n] = (uint16_t)pi;
            b->pdb[b->n] = pdb;
            b->key[b->n] = key;
            b->klen[b->n] = (uint32_t)klen; /* digest: prefetch_run, if it runs */
            b->n++;
        }
        cmds++;
        p = q;
    }
done:
    *pp = p;
    return cmds;
}

void prefetch_add(struct prefetch_batch *b, const char *p, size_t len, int db)
{
    scan_keys(b, &p, p + len, db, 1);
}

void prefetch_run(struct prefetch_batch *b, struct part *own, const void *owner)
{
    const void *keyp[PREFETCH_AHEAD];
    hash_sig_t sig[PREFETCH_AHEAD];
    void *data[PREFETCH_AHEAD];
    int idx[PREFETCH_AHEAD];
    int n = b->n;

    b->n = 0;
    if (n < 2)
        return; /* one lookup gains nothing from batching (and the memo stays as it is) */
    for (int i = 0; i < n; i++)
        b->dg[i] = key_digest(b->pdb[i], b->key[i], b->klen[i]);
    part_memo_reset(own, owner);
    /* one bulk lookup per partition present in the batch */
    for (int i = 0; i < n; i++) {
        int m = 0;
        uint64_t hits = 0;
        unsigned pi = b->part[i];
        struct part *p;
        if (pi == UINT16_MAX)
            continue;
        for (int j = i; j < n; j++)
            if (b->part[j] == pi) {
                keyp[m] = &b->dg[j];
                sig[m] = (hash_sig_t)b->dg[j];
                idx[m] = j;
                m++;
                b->part[j] = UINT16_MAX;
            }
        p = &srv.parts[pi];
        if (rte_hash_lookup_with_hash_bulk_data(p->h, keyp, sig, (uint32_t)m, &hits, data) < 0)
            continue;
        for (int j = 0; j < m; j++) { /* in scan order: idx[] grows */
            int k = idx[j];
            if (!(hits & (1ULL << j)))
                data[j] = NULL;
            /* the own partition's keys go to the memo, which loads their entries in step
             * with their use (part_memo_prefetch). An RX burst's long keys would be matched
             * by address, but each request is copied into its pseudo-client before it runs:
             * they could never match */
            if (p == own && (owner || b->klen[k] <= PART_MEMO_KEY) &&
                part_memo_add(p, b->pdb[k], b->key[k], b->klen[k], b->dg[k], data[j]))
                continue;
            if (data[j])
                entry_prefetch(data[j]);
        }
    }
    for (int i = 0; i < PART_MEMO_LEAD; i++)
        part_memo_prefetch(&own->memo, i);
}

void dispatch_prefetch(struct client *c)
{
    const char *p = c->in.data + c->in.pos, *end = c->in.data + c->in.len;
    struct prefetch_batch b;

    b.n = 0;
    scan_keys(&b, &p, end, c->db, PREFETCH_AHEAD);
    prefetch_run(&b, c->w->part, c);
}

/* ---- forwarding ---- */

struct fwd *fwd_alloc(uint32_t cap)
{
    struct fwd *f = calloc(1, sizeof(*f) + cap * sizeof(f->cmd[0]));

    if (!f)
        return NULL;
    f->cap = cap;
    f->sub = -1;
    obuf_init(&f->reply, NULL);
    return f;
}

void fwd_send(struct worker *w, struct fwd *f)
{
    f->src = w;
    f->next = NULL;
    w->inflight++;
    stat_add(w, fwd_sent, 1);
    if (w->backlog || rte_ring_sp_enqueue(srv.fwd_ring[w->id][f->dst], f) != 0) {
        struct fwd **pp = &w->backlog;
        while (*pp)
            pp = &(*pp)->next;
        *pp = f;
        return;
    }
    worker_kick(srv.workers[f->dst]);
}

void fwd_execute(struct worker *w, struct fwd *f)
{
    struct part *p = w->part;

    f->reply.pool = &w->opool;
    for (uint32_t i = 0; i < f->ncmd; i++) {
        struct ctx x;
        memset(&x, 0, sizeof(x));
        x.w = w;
        x.p = p;
        x.owner = 1;
        x.cmd = &cmd_defs[f->cmd[i].id];
        x.argc = f->cmd[i].argc;
        x.argv = f->cmd[i].argv;
        x.out = &f->reply;
        x.db = f->db;
        x.pdb = part_pdb(p, f->db);
        x.proto = f->proto;
        x.now = w->now_ms;
        x.origin = f->c;
        cmd_exec(&x);
    }
    stat_add(w, fwd_executed, 1);
    f->next = NULL;
    if (w->done_backlog || rte_ring_sp_enqueue(srv.done_ring[w->id][f->src->id], f) != 0) {
        struct fwd **pp = &w->done_backlog;
        while (*pp)
            pp = &(*pp)->next;
        *pp = f;
        return;
    }
    worker_kick(f->src);
}

void fwd_complete(struct worker *w, struct fwd *f)
{
    struct client *c = f->c;

    w->inflight--;
    if (f->sub >= 0) {
        plan_on_complete(c, f);
        return;
    }
    c->pending--;
    f->ncmd = 0;
    c->fargv_len = 0;
    if (c->flags & CLIENT_ZOMBIE) {
        obuf_reset(&f->reply);
        if (c->pending == 0)
            client_release(c);
        return;
    }
    obuf_splice(&c->out, &f->reply);
    client_mark_dirty(c);
    if (c->pending == 0)
        client_input(c);
}

static unsigned retry_backlog(struct fwd **head, struct rte_ring *(*ring_of)(struct fwd *),
                              int completion)
{
    unsigned n = 0;

    while (*head) {
        struct fwd *f = *head;
        if (rte_ring_sp_enqueue(ring_of(f), f) != 0)
            break;
        *head = f->next;
        worker_kick(completion ? f->src : srv.workers[f->dst]);
        n++;
    }
    return n;
}

static struct rte_ring *req_ring_of(struct fwd *f)
{
    return srv.fwd_ring[f->src->id][f->dst];
}

static struct rte_ring *done_ring_of(struct fwd *f)
{
    return srv.done_ring[f->dst][f->src->id];
}

unsigned fwd_poll(struct worker *w)
{
    void *burst[RING_BURST];
    unsigned work = 0, n;

    if (srv.nworkers == 1)
        return 0;
    if (w->backlog)
        work += retry_backlog(&w->backlog, req_ring_of, 0);
    if (w->done_backlog)
        work += retry_backlog(&w->done_backlog, done_ring_of, 1);
    for (int src = 0; src < srv.nworkers; src++) {
        struct rte_ring *r = srv.fwd_ring[src][w->id];
        if (!r)
            continue;
        while ((n = rte_ring_sc_dequeue_burst(r, burst, RING_BURST, NULL)) != 0) {
            for (unsigned i = 0; i < n; i++)
                fwd_execute(w, burst[i]);
            work += n;
        }
    }
    if (!w->inflight)
        return work;
    for (int dst = 0; dst < srv.nworkers; dst++) {
        struct rte_ring *r = srv.done_ring[dst][w->id];
        if (!r)
            continue;
        while ((n = rte_ring_sc_dequeue_burst(r, burst, RING_BURST, NULL)) != 0) {
            for (unsigned i = 0; i < n; i++)
                fwd_complete(w, burst[i]);
            work += n;
        }
    }
    return work;
}
