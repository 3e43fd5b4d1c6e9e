/*
 * worker.h - the per-lcore engine context shared by both network stacks.
 *
 * A worker owns one partition, the clients whose connections arrived on its core, its output
 * chunk pool and counters. It talks to other workers only through single-producer/single-
 * consumer rte_rings (see dispatch.h: forwarding) and through lock-free reads of their
 * partitions.
 *
 * The stack drives a worker with this poll-loop contract, every iteration:
 *   worker_begin_iteration(w)        refresh the cached clock (or worker_clock_tsc: the
 *                                    same from a TSC read the stack made anyway)
 *   ... client_input(c) for clients with new bytes, client_new/client_release ...
 *   worker_poll(w)                   run other cores' requests, finish ours, active expiry,
 *                                    reclamation, statistics
 *   for each client on w->dirty: flush its output / close it   (stack's job)
 *   worker_quiescent(w)              report an RCU quiescent state
 *
 * Thread-safety: every function here must be called on the worker's own lcore, except
 * worker_kick (any thread) and reads of w->st (any thread, relaxed).
 */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <stdint.h>

#include "../resp/obuf.h"
#include "cmdid.h"
#include "slowlog.h"
#include "stats.h"

#include <urcu/list.h>

struct part;
struct client;
struct fwd;

struct cmdstat {
    uint64_t calls;
    uint64_t tsc; /* TSC cycles in the command; cmdstat_usec() converts (no division per call) */
    uint64_t rejected;
    uint64_t failed;
};

struct worker {
    uint32_t id;
    unsigned lcore;
    struct part *part;
    struct obuf_pool opool;
    uint64_t now_ms;   /* cached wall clock (ms) for this iteration */
    uint64_t now_us;   /* cached wall clock (us) */
    uint64_t tsc_mark; /* within a client's input pass: the TSC where the next command's time
                        * starts (the end of the previous one); 0 outside (see cmd_exec) */
    uint64_t rng;
    /* worker_clock_tsc: the wall clock (us) read at TSC clk_tsc; clk_mult converts TSC cycles
     * to us (<< 32); 0 when the TSC rate is unknown (then every call reads the clock) */
    uint64_t clk_tsc, clk_us, clk_mult, clk_resync;

    struct cds_list_head clients; /* every client of this worker */
    struct cds_list_head dirty;   /* clients with output to flush or to close (stack drains) */

    struct fwd *backlog;          /* forwards waiting for room in a ring */
    struct fwd *done_backlog;     /* completions waiting for room */
    uint32_t inflight;            /* forwards of ours not yet completed */

    int efd;                      /* eventfd to wake a sleeping worker (posix stack) */
    int sleeping;                 /* set while blocked in epoll_wait; atomic */

    uint64_t expire_last_ms;      /* last active expiry run */
    uint64_t expire_stale_perc;   /* for INFO */
    uint64_t hz_last_ms;
    uint64_t save_seq_seen;       /* srv.persist.save_seq when SAVE waiters were last woken */

    struct slowlog slowlog;
    struct worker_stats st;
    struct cmdstat cmdstat[CMD_COUNT];

    void *stack;                  /* the network stack's per-worker state */
} __attribute__((aligned(64)));

/* worker_create: a worker for partition/lcore @id (memory on @socket). NULL on failure. */
struct worker *worker_create(uint32_t id, unsigned lcore, int socket);
void worker_destroy(struct worker *w);

void worker_begin_iteration(struct worker *w);

/* worker_clock_tsc: worker_begin_iteration for a poll loop that reads the TSC anyway (@tsc,
 * just read): the wall clock is derived from the TSC since the last clock_gettime, which is
 * read again every WORKER_CLOCK_RESYNC_US. The cached clock never steps back by less than a
 * second (a resync that finds the TSC estimate ran ahead holds the time until the clock
 * catches up); a larger step back is the wall clock being set, and is taken. */
#define WORKER_CLOCK_RESYNC_US 1000
void worker_clock_tsc(struct worker *w, uint64_t tsc);

/* worker_poll: background work of one iteration (see the file comment). Returns the number of
 * units of work done (0: idle). */
unsigned worker_poll(struct worker *w);

/* worker_quiescent: report an RCU quiescent state (no entry pointers kept past this). */
void worker_quiescent(struct worker *w);

/* worker_kick: wake @w if it sleeps in its event loop (after enqueueing to its rings). Any
 * thread. */
void worker_kick(struct worker *w);

/* worker_self: the worker of the calling lcore (NULL on non-worker threads). */
struct worker *worker_self(void);
void worker_set_self(struct worker *w);

/* worker_shutdown_drain: release every client and wait for in-flight forwards (at exit). */
void worker_shutdown(struct worker *w);

#endif
