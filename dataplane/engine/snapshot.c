/*
 * snapshot.c - fork-less point-in-time snapshots (see snapshot.h).
 */
#include "snapshot.h"

#include "../core/hash.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "rdb/rdb.h"
#include "server.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>

struct snap_part {
    /* written by the control thread */
    uint64_t requested;   /* id of the snapshot asked for */
    uint64_t aborted;     /* id of a snapshot given up */
    /* owner only */
    uint64_t id;          /* snapshot this partition is producing, 0: none */
    int walking;
    uint32_t cursor;
    uint64_t cut_ms;
    uint16_t *inv;        /* physical db -> logical db at the cut (SWAPDB) */
    struct snap_chunk *cur;
    int cur_db;
    /* read by anyone */
    uint64_t keys, bytes;
    struct rte_ring *ring; /* owner -> control thread */
    /* control thread only */
    int finished;
};

static struct snap_part *snaps;
static uint64_t snap_seq;      /* control thread */
static int running;            /* control thread writes, others read */
static uint64_t keys_total;

int snapshot_setup(void)
{
    snaps = calloc((size_t)srv.nworkers, sizeof(*snaps));
    if (!snaps)
        return -1;
    for (int i = 0; i < srv.nworkers; i++) {
        char name[32];
        snprintf(name, sizeof(name), "dpsnap%d", i);
        snaps[i].ring = rte_ring_create(name, SNAP_RING, SOCKET_ID_ANY,
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
        snaps[i].inv = calloc((size_t)srv.cfg.databases, sizeof(uint16_t));
        if (!snaps[i].ring || !snaps[i].inv)
            return -1;
    }
    return 0;
}

void snapshot_chunk_free(struct snap_chunk *c)
{
    if (c) {
        free(c->data);
        free(c);
    }
}

static void drain_ring(struct snap_part *sp)
{
    void *c;

    while (rte_ring_sc_dequeue(sp->ring, &c) == 0)
        snapshot_chunk_free(c);
}

void snapshot_teardown(void)
{
    if (!snaps)
        return;
    for (int i = 0; i < srv.nworkers; i++) {
        drain_ring(&snaps[i]);
        rte_ring_free(snaps[i].ring);
        snapshot_chunk_free(snaps[i].cur);
        free(snaps[i].inv);
    }
    free(snaps);
    snaps = NULL;
}

long long snapshot_request(void)
{
    if (__atomic_load_n(&running, __ATOMIC_ACQUIRE))
        return -1;
    snap_seq++;
    keys_total = 0;
    for (int i = 0; i < srv.nworkers; i++) {
        snaps[i].finished = 0;
        __atomic_store_n(&snaps[i].keys, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&snaps[i].bytes, 0, __ATOMIC_RELAXED);
        keys_total += __atomic_load_n(&srv.parts[i].nkeys, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&running, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < srv.nworkers; i++) {
        __atomic_store_n(&snaps[i].requested, snap_seq, __ATOMIC_RELEASE);
        worker_kick(srv.workers[i]);
    }
    return (long long)snap_seq;
}

int snapshot_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

int snapshot_next(struct snap_chunk **out, int max, int *done)
{
    int n = 0, finished = 0;

    for (int i = 0; i < srv.nworkers; i++) {
        struct snap_part *sp = &snaps[i];
        while (n < max && !sp->finished) {
            struct snap_chunk *c;
            if (rte_ring_sc_dequeue(sp->ring, (void **)&c) != 0)
                break;
            if (c->id != snap_seq) {
                /* pushed by an owner that had not yet seen an abort */
                snapshot_chunk_free(c);
                continue;
            }
            if (c->last)
                sp->finished = 1;
            out[n++] = c;
        }
        finished += sp->finished;
    }
    *done = finished == srv.nworkers;
    if (*done)
        __atomic_store_n(&running, 0, __ATOMIC_RELEASE);
    return n;
}

void snapshot_abort(void)
{
    for (int i = 0; i < srv.nworkers; i++)
        __atomic_store_n(&snaps[i].aborted, snap_seq, __ATOMIC_RELEASE);
    for (int i = 0; i < srv.nworkers; i++)
        drain_ring(&snaps[i]);
    __atomic_store_n(&running, 0, __ATOMIC_RELEASE);
}

void snapshot_progress(struct snapshot_progress *pr)
{
    memset(pr, 0, sizeof(*pr));
    pr->id = snap_seq;
    pr->keys_total = keys_total;
    if (!snaps)
        return;
    for (int i = 0; i < srv.nworkers; i++) {
        pr->keys += __atomic_load_n(&snaps[i].keys, __ATOMIC_RELAXED);
        pr->bytes += __atomic_load_n(&snaps[i].bytes, __ATOMIC_RELAXED);
        pr->pending_bytes += (uint64_t)rte_ring_count(snaps[i].ring) * SNAP_CHUNK;
    }
}

/* ---- owner side ---- */

static struct snap_chunk *chunk_new(int part, uint64_t id)
{
    struct snap_chunk *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->id = id;
    c->part = part;
    c->cap = SNAP_CHUNK + SNAP_CHUNK / 4;
    c->data = malloc(c->cap);
    if (!c->data) {
        free(c);
        return NULL;
    }
    return c;
}

/* Append one entry's RDB record to the current chunk. */
static void serialize(struct snap_part *sp, struct part *p, const struct entry *e)
{
    struct rdb_buf b;
    uint64_t exp = entry_expire(e);
    int db = sp->inv[e->db];
    size_t before;

    if (exp && exp <= sp->cut_ms)
        return; /* already gone at the cut */
    if (!sp->cur) {
        sp->cur = chunk_new((int)p->id, sp->id);
        sp->cur_db = -1;
        if (!sp->cur)
            return;
    }
    b.data = sp->cur->data;
    b.len = sp->cur->len;
    b.cap = sp->cur->cap;
    before = b.len;
    if (sp->cur_db != db) {
        rdb_enc_selectdb(&b, (uint64_t)db);
        sp->cur_db = db;
    }
    if (entry_type(e) == OBJ_STRING) {
        rdb_enc_string(&b, entry_key(e), e->klen, entry_cval(e), entry_vlen(e),
                       exp ? (int64_t)exp : -1);
    } else {
        struct hiter it;
        struct hfield hf;
        rdb_enc_hash_begin(&b, entry_key(e), e->klen, hobj_len(e), exp ? (int64_t)exp : -1);
        hobj_iter_init(&it, e);
        while (hobj_iter_next(&it, &hf))
            rdb_enc_hash_field(&b, hf.f, hf.flen, hf.v, hf.vlen);
    }
    sp->cur->data = b.data;
    sp->cur->len = b.len;
    sp->cur->cap = b.cap;
    __atomic_store_n(&sp->keys, sp->keys + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&sp->bytes, sp->bytes + (b.len - before), __ATOMIC_RELAXED);
}

/* part_before_write hook: the entry is about to change; save its value at the cut first. */
static void before_write(struct part *p, struct entry *e)
{
    struct snap_part *sp = &snaps[p->id];

    serialize(sp, p, e);
    e->snap = p->snap_epoch;
}

static int push(struct snap_part *sp, int last)
{
    struct snap_chunk *c = sp->cur;

    if (!c) {
        if (!last)
            return 0;
        c = chunk_new((int)(sp - snaps), sp->id);
        if (!c)
            return -1;
    }
    c->last = last;
    if (rte_ring_sp_enqueue(sp->ring, c) != 0) {
        sp->cur = c;
        return -1;
    }
    sp->cur = NULL;
    return 0;
}

static void stop(struct snap_part *sp, struct part *p)
{
    __atomic_store_n(&p->snap_active, 0, __ATOMIC_RELEASE);
    sp->walking = 0;
    sp->id = 0;
    snapshot_chunk_free(sp->cur);
    sp->cur = NULL;
}

int snapshot_busy(const struct worker *w)
{
    const struct snap_part *sp;
    uint64_t req;

    if (!snaps || !w->part)
        return 0;
    sp = &snaps[w->id];
    if (sp->id != 0)
        return 1;
    req = __atomic_load_n(&sp->requested, __ATOMIC_ACQUIRE);
    /* a request aborted before its cut is no work (snapshot_poll marks it seen) */
    return req != w->part->snap_seen && req > __atomic_load_n(&sp->aborted, __ATOMIC_ACQUIRE);
}

unsigned snapshot_poll(struct worker *w)
{
    struct snap_part *sp;
    struct part *p = w->part;
    uint64_t req;
    unsigned work = 0;

    if (!snaps)
        return 0;
    sp = &snaps[w->id];
    req = __atomic_load_n(&sp->requested, __ATOMIC_ACQUIRE);
    if (sp->id && __atomic_load_n(&sp->aborted, __ATOMIC_ACQUIRE) == sp->id) {
        stop(sp, p);
        return 1;
    }
    if (!sp->id && req != p->snap_seen && req <= __atomic_load_n(&sp->aborted, __ATOMIC_ACQUIRE))
        p->snap_seen = req; /* aborted before this partition's cut: nothing to do */
    if (!sp->id && req > __atomic_load_n(&sp->aborted, __ATOMIC_ACQUIRE) && req != p->snap_seen) {
        /* the cut */
        sp->id = req;
        p->snap_seen = req;
        for (int db = 0; db < srv.cfg.databases; db++)
            sp->inv[part_pdb(p, db)] = (uint16_t)db;
        sp->cut_ms = w->now_ms;
        sp->cursor = 0;
        sp->walking = 1;
        sp->cur = NULL;
        p->snap_hook = before_write;
        p->snap_epoch++;
        __atomic_store_n(&p->snap_active, 1, __ATOMIC_RELEASE);
        work++;
    }
    if (!sp->id)
        return work;
    if (sp->walking) {
        uint32_t end = p->hiwater;
        if (rte_ring_free_count(sp->ring) == 0)
            return work; /* the control plane is behind: wait, memory stays bounded */
        for (int i = 0; i < SNAP_SLICE_KEYS && sp->cursor < end; i++, sp->cursor++) {
            struct entry *e = part_entry_at(p, sp->cursor);
            if (e && e->snap < p->snap_epoch)
                before_write(p, e);
            if (sp->cur && sp->cur->len >= SNAP_CHUNK && push(sp, 0))
                break;
        }
        work++;
        if (sp->cursor >= end) {
            /* overflow entries (digest collisions) last, all at once: the list is short */
            for (uint32_t pos = p->hiwater; pos < part_scan_end(p); pos++) {
                struct entry *e = part_entry_at(p, pos);
                if (e && e->snap < p->snap_epoch)
                    before_write(p, e);
            }
            sp->walking = 0;
        }
        if (sp->cur && sp->cur->len >= SNAP_CHUNK)
            push(sp, 0);
    }
    if (!sp->walking && push(sp, 1) == 0) {
        __atomic_store_n(&p->snap_active, 0, __ATOMIC_RELEASE);
        sp->id = 0;
        work++;
    }
    return work;
}
