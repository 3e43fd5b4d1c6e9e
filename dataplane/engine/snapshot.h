/*
 * snapshot.h - fork-less point-in-time snapshots (Dragonfly's scheme, per entry).
 *
 * A snapshot starts when dpcache-control asks for it (snapshot_request). Each partition's
 * owner then takes its *cut*: it bumps the partition's epoch; every entry whose `snap` stamp
 * is below the epoch belongs to the snapshot and has not been written out yet, every entry
 * created from then on is stamped with the new epoch and is not part of it. The owner
 *   - walks its key positions a bounded slice per poll iteration, serializing (RDB records)
 *     and stamping every entry still below the epoch, and
 *   - serializes an entry *before* any write changes or frees it (part_before_write hook),
 * so each key is written exactly once, with its value at the cut. Keys already expired at the
 * cut are left out. Output goes into chunks of about SNAP_CHUNK bytes (each starts with a
 * SELECTDB) passed to the control thread on a single-producer/single-consumer ring per
 * partition; when the ring is full the walk pauses (memory stays bounded) while
 * before-write records still go into the current chunk (they are what changes during the
 * snapshot, typically small).
 *
 * Cuts of different partitions happen when each owner polls (microseconds apart); a write
 * is in the snapshot if its partition received it before that partition's cut.
 *
 * Thread-safety: snapshot_request/snapshot_next/snapshot_abort run on the control thread;
 * snapshot_poll on each worker for its own partition.
 */
#ifndef DP_SNAPSHOT_H
#define DP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct part;

#define SNAP_CHUNK      (64 * 1024) /* bytes per chunk handed to the control thread */
#define SNAP_RING       64          /* chunks in flight per partition */
#define SNAP_SLICE_KEYS 512         /* positions walked per poll iteration */

struct snap_chunk {
    uint64_t id;      /* snapshot it belongs to: chunks of an aborted one are dropped */
    int part;
    int last;         /* the partition's final chunk */
    size_t len, cap;
    uint8_t *data;
};

/* snapshot_setup: allocate per-partition state (after srv_setup). */
int snapshot_setup(void);
void snapshot_teardown(void);

/* snapshot_request: start a snapshot of every partition. Returns its id (> 0), or -1 if one is
 * running. */
long long snapshot_request(void);

/* snapshot_next: take up to @max chunks produced so far (the caller frees each with
 * snapshot_chunk_free). Returns the number taken; *@done is set when every partition has
 * delivered its last chunk. */
int snapshot_next(struct snap_chunk **out, int max, int *done);
void snapshot_chunk_free(struct snap_chunk *c);

/* snapshot_abort: stop the running snapshot. Chunks not yet taken, and any its owners still
 * push before they notice the abort, are dropped (snapshot_next skips chunks of other ids). */
void snapshot_abort(void);

/* snapshot_running: a snapshot is in progress. */
int snapshot_running(void);

/* snapshot_poll: the owner's share of the work for one poll iteration (cut, walk a slice).
 * Returns units of work done. */
unsigned snapshot_poll(struct worker *w);

/* snapshot_busy: @w has snapshot work to do (a cut to take or a walk to continue): its poll
 * loop must not sleep. Owner. */
int snapshot_busy(const struct worker *w);

/* Figures of the running (or last) snapshot, for INFO and /metrics. */
struct snapshot_progress {
    uint64_t id;
    uint64_t keys;        /* keys written so far */
    uint64_t bytes;
    uint64_t keys_total;  /* keys at the cut (approximate: counters) */
    uint64_t pending_bytes; /* bytes in chunks not yet taken by the control thread */
};
void snapshot_progress(struct snapshot_progress *pr);

#endif
