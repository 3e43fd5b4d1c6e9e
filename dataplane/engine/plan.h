/*
 * plan.h - multi-partition commands: a coordinator (the client's worker) sends one
 * sub-command to each partition concerned, waits for all replies, and merges them.
 *
 * A plan runs in phases. In each phase the command body adds sub-commands (plan_add) and
 * starts them (plan_run); sub-commands for the coordinator's own partition run at once, the
 * others are forwarded. When every sub-command of the phase has answered, the plan's step
 * function runs: it merges the replies into the client's output (plan_merge_*) and finishes,
 * or starts another phase (RENAME across partitions: take the value, then put it).
 *
 * What other clients can observe: a multi-partition command is not atomic; each
 * sub-command is atomic on its partition, and concurrent clients may see some partitions
 * changed before others (docs/architecture.md). A single client sees exactly Redis's results
 * because it is suspended until the plan ends.
 *
 * Thread-safety: the coordinator's worker only.
 */
#ifndef DP_PLAN_H
#define DP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../resp/obuf.h"
#include "../resp/parse.h"
#include "server.h"

struct client;
struct ctx;
struct fwd;
struct plan;
struct plan_str;

typedef void (*plan_step_fn)(struct client *c, struct plan *pl);

struct plan {
    int active;
    int phase;
    plan_step_fn step;
    int nsub;
    int pending;
    uint16_t sub_part[MAX_WORKERS];
    struct fwd *fwds[MAX_WORKERS];  /* one reusable single-command message per partition */
    struct rstr *argv;              /* arena of sub-command arguments */
    size_t argv_len, argv_cap;
    /* the original command */
    int cmd_id;
    int argc;
    const struct rstr *argv0;
    int db;
    int proto;
    /* scratch for multi-phase commands */
    long long acc;
    int target;
    struct plan_str *strs; /* plan_strdup storage, freed by plan_end */
};

/* plan_begin: start a plan for the command in @x (coordinator) with @step to finish it.
 * Returns the plan, or NULL when out of memory (an error was replied). */
struct plan *plan_begin(struct ctx *x, plan_step_fn step);

/* plan_add: sub-command for partition @part: @argc arguments; arguments must stay valid until
 * the phase ends (point into the client's input, static strings, or plan_strdup). Returns
 * the sub index, -1 on no memory. */
int plan_add(struct plan *pl, unsigned part, int argc, const struct rstr *argv);

/* plan_strdup: copy @n bytes into plan-owned storage that lives until the plan ends. */
const char *plan_strdup(struct plan *pl, const void *p, size_t n);

/* plan_run: start every sub-command added since the last phase. Returns CMD_SUSPENDED, or
 * CMD_DONE when all of them were local and the plan is already over (its reply written: the
 * client's next command may run at once). */
int plan_run(struct client *c, struct plan *pl);

/* plan_reply: the reply bytes of sub-command @i (linearized, valid until the plan ends). */
const char *plan_reply(struct plan *pl, int i, size_t *len);

/* plan_end: release the phase's buffers and mark the plan finished. */
void plan_end(struct client *c, struct plan *pl);

/* Merges that cover most commands (they write to c->out and end the plan). A sub-reply that
 * is an error is passed through instead (the first one). */
void plan_merge_sum(struct client *c, struct plan *pl);          /* :n replies summed */
void plan_merge_ok(struct client *c, struct plan *pl);           /* +OK */
void plan_merge_concat_array(struct client *c, struct plan *pl); /* arrays joined */
void plan_merge_concat_bulk(struct client *c, struct plan *pl);  /* bulk strings joined */
void plan_merge_first(struct client *c, struct plan *pl);        /* one sub: passed on */

/* plan_split_keys: the common coordinator for commands whose arguments after the name are
 * keys (step 1: DEL, UNLINK) or key/value pairs (step 2: MSET): group them by partition and
 * send each group as command @name (NULL: the same command). */
int plan_split_keys(struct ctx *x, const struct rstr *name, int step, plan_step_fn merge);

/* plan_broadcast: the same sub-command (@argc, @argv) to every partition. */
int plan_broadcast(struct ctx *x, int argc, const struct rstr *argv, plan_step_fn merge);

/* plan_on_complete: a forwarded sub-command came back (dispatch calls it). */
void plan_on_complete(struct client *c, struct fwd *f);

void plan_free(struct plan *pl);

/* resp_elem_len: byte length of the complete RESP element at @p (trusted input produced by
 * dpcache itself), or 0 if it is cut short. */
size_t resp_elem_len(const char *p, size_t n);

#endif
