/*
 * control.h - the data plane's side of the channel to dpcache-control (snapshots, config
 * changes, drain, shutdown). See docs/operations.md and control/.
 *
 * Thread-safety: control_request_save and control_config_changed run on workers; the channel
 * itself is served by the data plane's control thread.
 */
#ifndef DP_CONTROL_H
#define DP_CONTROL_H

struct ctx;

/* control_request_save: SAVE (@background 0) or BGSAVE (1) from a client. Replies itself.
 * Without an attached dpcache-control it replies an error: snapshots are written by it. */
int control_request_save(struct ctx *x, int background);

/* control_wake_savers: answer this worker's SAVE clients once a snapshot has ended. */
struct worker;
void control_wake_savers(struct worker *w);

/* control_config_changed: CONFIG SET changed @name (forwarded to the control plane when it
 * cares, e.g. save rules). */
void control_config_changed(const char *name);

#endif
