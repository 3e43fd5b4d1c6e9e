/*
 * reclaim.h - deferred freeing of memory that other cores may still be reading (liburcu QSBR).
 *
 * The owner core of a partition retires entries, hash-table positions and other blocks with
 * reclaim_defer(). Items are gathered in batches; a batch is handed to liburcu's call_rcu when
 * it is full or 1 ms old, the RCU callback thread pushes it back once every registered reader
 * thread has passed a quiescent state, and the owner frees its items in reclaim_poll(). So no
 * memory is freed while a reader on another core may hold a pointer to it, the owner never
 * waits, and frees happen on the owner (the slab allocator is single-threaded).
 *
 * With a single worker there are no concurrent readers and items are freed at once.
 *
 * Thread-safety: every function is for the owner thread only, which must be a registered
 * urcu-qsbr thread (online when it calls reclaim_defer/reclaim_poll).
 */
#ifndef DP_RECLAIM_H
#define DP_RECLAIM_H

#include <stdint.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>
#include <urcu/wfcqueue.h>

#define LIMBO_ITEMS      512
#define LIMBO_MAX_AGE_MS 1

/* free callback: (@ctx, @p, @aux) as given to reclaim_defer */
typedef void (*reclaim_free_fn)(void *ctx, void *p, uint64_t aux);

struct limbo {
    struct rcu_head rcu;
    struct cds_wfcq_node qnode;
    struct reclaim *rc;
    struct limbo *next; /* in the free pool */
    uint32_t n;
    struct {
        void *p;
        uint64_t aux;
    } item[LIMBO_ITEMS];
};

struct reclaim {
    struct limbo *cur;    /* batch being filled */
    uint64_t cur_since;   /* ms when cur got its first item */
    struct limbo *pool;   /* empty batches */
    struct cds_wfcq_head done_head; /* batches past their grace period */
    struct cds_wfcq_tail done_tail;
    uint32_t inflight;    /* batches waiting for a grace period */
    int immediate;        /* no concurrent readers: free at once */
    reclaim_free_fn free_fn;
    void *ctx;
    uint64_t pending;     /* items not yet freed */
};

void reclaim_init(struct reclaim *rc, reclaim_free_fn fn, void *ctx, int immediate);

/* reclaim_defer: free (@p, @aux) once no reader can hold it. Returns 0, -1 if no memory for a
 * batch (then the item was freed after a synchronous grace period). */
int reclaim_defer(struct reclaim *rc, void *p, uint64_t aux);

/* reclaim_poll: free batches whose grace period ended; submit the current batch if old.
 * Returns the number of items freed. */
unsigned reclaim_poll(struct reclaim *rc, uint64_t now_ms);

/* reclaim_drain: wait for every outstanding grace period and free everything (teardown). The
 * caller is a registered thread; it is taken offline while it waits. */
void reclaim_drain(struct reclaim *rc);

#endif
