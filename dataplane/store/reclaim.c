/*
 * reclaim.c - batched RCU reclamation (see reclaim.h).
 */
#include "reclaim.h"

#include <stdlib.h>

static void grace_done(struct rcu_head *head)
{
    struct limbo *b = caa_container_of(head, struct limbo, rcu);

    /* runs on liburcu's call_rcu thread: hand the batch back to its owner, lock-free */
    cds_wfcq_node_init(&b->qnode);
    cds_wfcq_enqueue(&b->rc->done_head, &b->rc->done_tail, &b->qnode);
}

void reclaim_init(struct reclaim *rc, reclaim_free_fn fn, void *ctx, int immediate)
{
    rc->cur = NULL;
    rc->cur_since = 0;
    rc->pool = NULL;
    cds_wfcq_init(&rc->done_head, &rc->done_tail);
    rc->inflight = 0;
    rc->immediate = immediate;
    rc->free_fn = fn;
    rc->ctx = ctx;
    rc->pending = 0;
}

static void free_batch(struct reclaim *rc, struct limbo *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        rc->free_fn(rc->ctx, b->item[i].p, b->item[i].aux);
    rc->pending -= b->n;
    b->n = 0;
    b->next = rc->pool;
    rc->pool = b;
}

static void submit(struct reclaim *rc)
{
    struct limbo *b = rc->cur;

    rc->cur = NULL;
    rc->inflight++;
    urcu_qsbr_call_rcu(&b->rcu, grace_done);
}

int reclaim_defer(struct reclaim *rc, void *p, uint64_t aux)
{
    struct limbo *b = rc->cur;

    if (rc->immediate) {
        rc->free_fn(rc->ctx, p, aux);
        return 0;
    }
    if (!b) {
        b = rc->pool;
        if (b) {
            rc->pool = b->next;
        } else {
            b = malloc(sizeof(*b));
            if (!b) { /* last resort: wait for readers, then free */
                urcu_qsbr_synchronize_rcu();
                rc->free_fn(rc->ctx, p, aux);
                return -1;
            }
        }
        b->rc = rc;
        b->n = 0;
        rc->cur = b;
        rc->cur_since = 0;
    }
    b->item[b->n].p = p;
    b->item[b->n].aux = aux;
    b->n++;
    rc->pending++;
    if (b->n == LIMBO_ITEMS)
        submit(rc);
    return 0;
}

unsigned reclaim_poll(struct reclaim *rc, uint64_t now_ms)
{
    struct cds_wfcq_node *node;
    unsigned freed = 0;

    if (rc->cur) {
        if (rc->cur_since == 0)
            rc->cur_since = now_ms;
        else if (now_ms - rc->cur_since >= LIMBO_MAX_AGE_MS)
            submit(rc);
    }
    if (!rc->inflight)
        return 0;
    while ((node = __cds_wfcq_dequeue_nonblocking(&rc->done_head, &rc->done_tail)) != NULL &&
           node != CDS_WFCQ_WOULDBLOCK) {
        struct limbo *b = caa_container_of(node, struct limbo, qnode);
        freed += b->n;
        rc->inflight--;
        free_batch(rc, b);
    }
    return freed;
}

void reclaim_drain(struct reclaim *rc)
{
    struct limbo *b;

    if (rc->cur && rc->cur->n)
        submit(rc);
    else if (rc->cur) {
        rc->cur->next = rc->pool;
        rc->pool = rc->cur;
        rc->cur = NULL;
    }
    if (rc->inflight) {
        /* the callbacks wait for our own quiescent state: stay offline while waiting */
        int online = urcu_qsbr_read_ongoing();
        if (online)
            urcu_qsbr_thread_offline();
        urcu_qsbr_barrier();
        if (online)
            urcu_qsbr_thread_online();
    }
    reclaim_poll(rc, 0);
    while ((b = rc->pool) != NULL) {
        rc->pool = b->next;
        free(b);
    }
}
