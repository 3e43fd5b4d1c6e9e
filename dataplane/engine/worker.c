/*
 * worker.c - per-lcore engine context (see worker.h).
 */
#include "worker.h"

#include "../core/log.h"
#include "../store/part.h"
#include "client.h"
#include "control.h"
#include "dispatch.h"
#include "expire.h"
#include "server.h"
#include "snapshot.h"
#include "udp.h"

#include <rte_cycles.h>

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

static __thread struct worker *self;

struct worker *worker_self(void)
{
    return self;
}

void worker_set_self(struct worker *w)
{
    self = w;
}

struct worker *worker_create(uint32_t id, unsigned lcore, int socket)
{
    struct worker *w;

    (void)socket;
    if (posix_memalign((void **)&w, 64, sizeof(*w)))
        return NULL;
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->lcore = lcore;
    w->part = &srv.parts[id];
    w->rng = 0x853C49E6748FEA9BULL ^ ((uint64_t)id * 0x9E3779B97F4A7C15ULL);
    CDS_INIT_LIST_HEAD(&w->clients);
    CDS_INIT_LIST_HEAD(&w->dirty);
    slowlog_init(&w->slowlog);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0) {
        free(w);
        return NULL;
    }
    worker_begin_iteration(w);
    if (rte_get_tsc_hz() >= 1000000) {
        w->clk_mult = (1000000ULL << 32) / rte_get_tsc_hz();
        w->clk_resync = rte_get_tsc_hz() / 1000000 * WORKER_CLOCK_RESYNC_US;
    }
    return w;
}

void worker_destroy(struct worker *w)
{
    if (!w)
        return;
    slowlog_free(&w->slowlog);
    obuf_pool_drain(&w->opool);
    close(w->efd);
    free(w);
}

void worker_begin_iteration(struct worker *w)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    w->now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    w->now_ms = w->now_us / 1000;
}

void worker_clock_tsc(struct worker *w, uint64_t tsc)
{
    uint64_t d = tsc - w->clk_tsc, prev = w->now_us, us;

    if (!w->clk_mult || d >= w->clk_resync) { /* (a TSC behind clk_tsc wraps: resync too) */
        worker_begin_iteration(w);
        w->clk_tsc = tsc;
        w->clk_us = w->now_us;
        if (w->now_us >= prev || prev - w->now_us >= 1000000)
            return;
        us = prev;
    } else {
        us = w->clk_us + (d * w->clk_mult >> 32);
        if (us < prev)
            us = prev;
    }
    w->now_us = us;
    w->now_ms = us / 1000;
}

unsigned worker_poll(struct worker *w)
{
    unsigned work = fwd_poll(w);

    part_poll(w->part, w->now_ms);
    work += expire_cycle(w);
    work += snapshot_poll(w);
    if (__builtin_expect(srv.persist.save_seq != w->save_seq_seen, 0))
        control_wake_savers(w);
    if (w->id == 0 && __builtin_expect(srv.sigterm, 0))
        srv_shutdown_check(w->now_ms);
    return work;
}

void worker_quiescent(struct worker *w)
{
    (void)w;
    /* a load and a compare unless a grace period is waiting (pmd_guard, config swaps) */
    urcu_qsbr_quiescent_state();
}

void worker_kick(struct worker *w)
{
    uint64_t one = 1;

    if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) {
        if (write(w->efd, &one, sizeof(one)) < 0) {
            /* EAGAIN: the counter is already non-zero, the worker will wake */
        }
    }
}

void worker_shutdown(struct worker *w)
{
    struct client *c, *tmp;

    udp_pool_free(w); /* pooled UDP pseudo-clients are on w->clients too: free them once */
    cds_list_for_each_entry_safe(c, tmp, &w->clients, node)
        client_release(c);
    /* keep serving forwards until ours have come back */
    for (int spin = 0; w->inflight && spin < 1000000; spin++) {
        worker_begin_iteration(w);
        fwd_poll(w);
        worker_quiescent(w);
    }
}
