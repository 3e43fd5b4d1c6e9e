/*
 * dispatch.h - from a parsed command to its execution: lookup, arity and AUTH checks,
 * routing to the partition that owns the keys, and forwarding to other workers.
 *
 * Routing of a command on worker W (the client's core), keys in partition P:
 *   no keys (CMD_LOCAL)             run on W
 *   P owned by W                    run on W (owner mode)
 *   P elsewhere, CMD_LFREAD         run on W against P lock-free (reader mode); if the command
 *                                   answers NEED_OWNER, forward it
 *   P elsewhere, otherwise          forward to P's owner
 *   keys in several partitions      run on W as coordinator (plan.h)
 * In cluster mode (cluster-enabled yes) keys must share a slot (CROSSSLOT) and a slot owned
 * by another worker gets -MOVED <slot> <ip>:<core port>.
 *
 * Forwarding: consecutive commands of a pipeline that all go to the same owner travel as one
 * batch (struct fwd, at most FWD_BATCH_MAX commands) on the single-producer/single-consumer
 * ring srv.fwd_ring[W][owner]. The client stays suspended (no further command of it runs)
 * until the batch comes back on srv.done_ring[owner][W] with the replies, which keeps reply
 * order and read-your-writes. The owner writes replies into the batch's own output buffer,
 * never into the client's.
 *
 * Thread-safety: dispatch_* and fwd_* run on the worker that owns the client, except
 * fwd_execute, which runs on the owner of the forwarded batch.
 */
#ifndef DP_DISPATCH_H
#define DP_DISPATCH_H

#include <stdint.h>

#include "../core/limits.h"
#include "../resp/obuf.h"
#include "../resp/parse.h"

struct worker;
struct client;
struct part;
struct cmdstat;
struct cmd_def;
struct ctx;

struct fwd_cmd {
    uint16_t id;      /* enum cmd_id */
    int argc;
    size_t argv_at;   /* index of argv[0] in the client's fargv arena (or the plan's) */
    const struct rstr *argv;
};

struct fwd {
    struct fwd *next;     /* backlog lists */
    struct client *c;
    struct worker *src;
    uint16_t dst;         /* partition / worker that runs the commands */
    int16_t sub;          /* plan sub-command index, -1 for a pipeline batch */
    uint8_t proto;
    int db;
    uint32_t ncmd, cap;
    struct obuf reply;    /* written by the owner */
    struct fwd_cmd cmd[];
};

enum dispatch_result {
    DISPATCH_DONE = 0,    /* the command ran (or was answered); consume it */
    DISPATCH_BATCHED,     /* added to the open forward batch; consume it */
    DISPATCH_SUSPENDED,   /* a plan started; consume it; the client waits */
    DISPATCH_DEFER,       /* not now: the open batch must go first; do not consume */
};

/* dispatch_command: route and run one parsed command of @c (see the file comment). */
enum dispatch_result dispatch_command(struct client *c, int argc, const struct rstr *argv);

/* Commands looked ahead by dispatch_prefetch. */
#define PREFETCH_AHEAD 32

/* dispatch_prefetch: look at the next whole commands in @c's input (up to PREFETCH_AHEAD),
 * look their keys up in bulk and prefetch the entries, so that running them one by one finds
 * the index buckets and entries in cache (a pipeline's memory latency overlaps instead of
 * adding up). Only a hint: nothing is executed or changed. */
void dispatch_prefetch(struct client *c);

/* A batch of keys from several requests (one UDP datagram each) to prefetch together: the
 * native stack fills it from an RX burst before running the requests one by one. */
struct prefetch_batch {
    int n;
    uint64_t dg[PREFETCH_AHEAD];
    uint16_t part[PREFETCH_AHEAD];
    uint16_t pdb[PREFETCH_AHEAD];
    uint32_t klen[PREFETCH_AHEAD];
    const char *key[PREFETCH_AHEAD];
};

/* prefetch_add: add the key of the first whole command in @p..@p+@len (db @db) if it has
 * one and the batch has room. Only reads the bytes; anything unexpected adds nothing. */
void prefetch_add(struct prefetch_batch *b, const char *p, size_t len, int db);

/* prefetch_run: bulk-look up the batch's keys and prefetch their entries; empties it. What
 * it found in @own (the calling worker's partition) goes into @own's lookup memo (part.h)
 * until the next prefetch_run or part_memo_clear(@own, @owner). @owner: the client whose
 * input was scanned, NULL for an RX burst. The key bytes must stay readable until then. */
void prefetch_run(struct prefetch_batch *b, struct part *own, const void *owner);

/* dispatch_flush_batch: send @c's open batch, if any (the client becomes suspended). */
void dispatch_flush_batch(struct client *c);

/* cmd_exec: run x->cmd with statistics, slow log and latency accounting. Returns the handler
 * result (CMD_DONE, NEED_OWNER, CMD_SUSPENDED). */
int cmd_exec(struct ctx *x);

/* cmdstat_usec: microseconds spent in @cs's command (its cycle count converted); any thread
 * (the owner adds to it with plain stores; a reader may be one command behind). */
uint64_t cmdstat_usec(const struct cmdstat *cs);

/* fwd_alloc: a forward message with room for @cap commands. */
struct fwd *fwd_alloc(uint32_t cap);
/* fwd_send: hand @f to its owner (src = the calling worker). */
void fwd_send(struct worker *w, struct fwd *f);
/* fwd_execute: run a forwarded message on its owner and send it back. */
void fwd_execute(struct worker *w, struct fwd *f);
/* fwd_complete: a message of ours came back. */
void fwd_complete(struct worker *w, struct fwd *f);
/* fwd_poll: drain request and completion rings and retry backlogs. Returns work done. */
unsigned fwd_poll(struct worker *w);

#endif
