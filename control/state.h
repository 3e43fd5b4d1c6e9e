/*
 * state.h - what the control loop knows, shared with the HTTP threads.
 *
 * The control loop (agent.c, main thread) is the only writer of everything except the
 * request fields; HTTP handlers read a consistent copy under the mutex (state_copy) and post
 * requests (state_request_*), which wake the loop through the condition variable.
 */
#ifndef CTL_STATE_H
#define CTL_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_config;

struct ctl_view {
    /* the data plane (from CTL.HELLO, INFO) */
    int attached;
    int loading;
    int ports_total, ports_up; /* DPDK ports (native stack) and how many have link */
    long pid;
    long port;
    int workers;
    char run_id[48];
    char version[32];
    char stack[16];
    char dir[4096]; /* resolved snapshot directory */
    char dbfilename[256];
    char socket_path[108];
    char telemetry_path[108]; /* empty: not found */
    char save_rules[256];     /* rules in force (ours or the data plane's) */
    uint64_t reconnects;      /* attachments after the first */
    int64_t attached_since;   /* Unix seconds */
    int64_t dirty;            /* rdb_changes_since_last_save */
    int64_t lastsave;         /* rdb_last_save_time */

    /* snapshots */
    int snap_running;
    uint64_t snap_seq; /* snapshots started by this process */
    char snap_reason[32];
    int64_t snap_started_ms; /* Unix ms */
    uint64_t snap_bytes;     /* written so far */
    uint64_t snap_chunks;
    uint64_t snaps_ok, snaps_failed;
    int last_ok;           /* last finished snapshot succeeded (1 before any) */
    int64_t last_finished; /* Unix seconds */
    int64_t last_ok_time;  /* Unix seconds of the last success */
    double last_duration;  /* seconds */
    uint64_t last_bytes;
    char last_error[512];
    char last_path[4200];
};

struct ctl_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct ctl_config *cfg;
    struct ctl_view v;
    /* requests from the HTTP threads (under mu) */
    uint64_t req_gen;     /* snapshot requests posted */
    uint64_t serving_gen; /* requests the running snapshot answers */
    uint64_t done_gen;    /* requests answered */
    int req_shutdown;     /* POST /admin/shutdown */
    volatile int stop;    /* SIGTERM/SIGINT of dpcache-control */
};

extern struct ctl_state ctl_state;

void state_init(const struct ctl_config *cfg);

/* state_copy: a consistent copy of the view. */
void state_copy(struct ctl_view *out);

/**
 * state_request_snapshot: ask the loop for a snapshot; returns the generation to wait for.
 * state_wait_snapshot: wait until that generation is answered or @timeout_ms passes;
 * returns 1 answered (the view in @out tells the result), 0 timeout.
 */
uint64_t state_request_snapshot(void);
int state_wait_snapshot(uint64_t gen, int timeout_ms, struct ctl_view *out);

/* state_request_shutdown: final snapshot (if configured) then CTL.SHUTDOWN. */
void state_request_shutdown(void);

/**
 * state_ready: what /readyz answers. With a data plane (option dataplane yes): attached, not
 * loading, every DPDK port has link; in front mode: the XDP front attached to front-iface.
 * Returns 1 when ready, else 0 with the reason in @why (NULL: not wanted).
 */
int state_ready(const struct ctl_view *v, char *why, size_t len);

#endif
