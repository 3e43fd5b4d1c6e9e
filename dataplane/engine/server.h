/*
 * server.h - process-wide state: configuration, workers, partitions and the slot map.
 *
 * Written by the main thread before the workers start; afterwards read-only except for the
 * fields documented as atomic. One worker per lcore; worker i owns partition i.
 */
#ifndef DP_SERVER_H
#define DP_SERVER_H

#include <stdint.h>

#include "../core/hash.h"
#include "config.h"

#define MAX_WORKERS 128

struct worker;
struct part;
struct rte_ring;

/* Persistence status shown by INFO persistence and LASTSAVE (written by the control channel). */
struct persist_state {
    uint64_t lastsave;          /* Unix seconds of the last successful snapshot */
    uint64_t dirty_at_save;     /* srv_dirty() when it started */
    int bgsave_in_progress;
    int last_status_ok;
    uint64_t last_duration_s;
    uint64_t saves;             /* successful snapshots */
    int loading;                /* restore in progress */
    int control_attached;       /* dpcache-control connections (atomic) */
    int bgsave_requested;       /* BGSAVE/SAVE from a client, for CTL.POLL (atomic) */
    int shutdown_requested;     /* SIGTERM while a control plane is attached (atomic) */
    uint64_t save_seq;          /* snapshots finished (ok or not), wakes SAVE (atomic) */
    uint64_t snapshot_keys;     /* keys in the last snapshot */
};

struct server {
    struct config cfg;
    int nworkers;
    struct worker *workers[MAX_WORKERS];
    struct part *parts;                 /* nworkers partitions, parts[i] owned by worker i */
    uint16_t slot2part[CLUSTER_SLOTS];  /* slot -> partition: contiguous ranges */
    struct rte_ring *fwd_ring[MAX_WORKERS][MAX_WORKERS];  /* [src][dst] requests */
    struct rte_ring *done_ring[MAX_WORKERS][MAX_WORKERS]; /* [dst][src] completions */
    uint64_t start_ms;
    char run_id[41];
    char node_id[MAX_WORKERS][41];      /* cluster node id of each worker */
    int core_port_base;                 /* resolved core-port-base */
    const char *executable;
    const char *config_file;
    volatile int shutdown;              /* stop now */
    volatile int sigterm;               /* SIGTERM/SIGINT received (worker 0 decides) */
    uint64_t shutdown_deadline_ms;      /* give the control plane until then */
    uint64_t next_client_id;            /* atomic */
    uint64_t slowlog_next_id;           /* atomic */
    struct persist_state persist;
    uint64_t total_mem;                 /* physical memory, for INFO */
};

extern struct server srv;

/* srv_part_of_slot: partition owning @slot. */
static inline unsigned srv_part_of_slot(unsigned slot)
{
    return srv.slot2part[slot];
}

/* srv_slot_range: first and last slot of partition @i of @n (contiguous, as a cluster). */
static inline void srv_slot_range(unsigned i, unsigned n, unsigned *first, unsigned *last)
{
    *first = (i * CLUSTER_SLOTS) / n;
    *last = ((i + 1) * CLUSTER_SLOTS) / n - 1;
}

/* srv_setup: create partitions, rings and the slot map for @nworkers (after config and EAL).
 * Returns 0 or -errno with a logged explanation. */
int srv_setup(int nworkers);
void srv_teardown(void);

/* srv_shutdown_check: worker 0, every iteration: turn a SIGTERM into a shutdown, after the
 * attached control plane took its final snapshot (CTL.SHUTDOWN) or at the deadline. */
void srv_shutdown_check(uint64_t now_ms);

/* srv_used_memory: bytes held by all partitions plus client buffers (approximate). */
uint64_t srv_used_memory(void);
/* srv_dirty: writes since start (sum over workers). */
uint64_t srv_dirty(void);

static inline uint64_t srv_maxmemory_per_part(void)
{
    long long mm = __atomic_load_n(&srv.cfg.maxmemory, __ATOMIC_RELAXED);
    return mm > 0 ? (uint64_t)mm / (uint64_t)srv.nworkers : 0;
}

#endif
