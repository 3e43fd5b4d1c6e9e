/*
 * slowlog.h - the slow log: commands slower than slowlog-log-slower-than, kept per worker in
 * a ring of slowlog-max-len entries and merged by id when read (SLOWLOG GET).
 *
 * Thread-safety: each worker adds to and resets its own log; SLOWLOG GET/LEN/RESET reach every
 * worker through internal commands, so nothing is shared.
 */
#ifndef DP_SLOWLOG_H
#define DP_SLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "../core/limits.h"

struct obuf;
struct rstr;

struct slowlog_entry {
    uint64_t id;
    uint64_t time;     /* Unix seconds */
    uint64_t duration; /* microseconds */
    int argc;          /* arguments kept (at most SLOWLOG_ARGS_MAX) */
    int orig_argc;
    char *argv[SLOWLOG_ARGS_MAX];
    uint32_t arglen[SLOWLOG_ARGS_MAX];
    char peer[64];
    char name[64];
};

struct slowlog {
    struct slowlog_entry *ring; /* newest at head - 1 */
    size_t cap, len, head;
};

void slowlog_init(struct slowlog *sl);
void slowlog_free(struct slowlog *sl);

/* slowlog_add: record a command (arguments truncated like Redis: 32 arguments, 128 bytes).
 * Arguments whose bit is set in @redact (bit i: argv[i]) are kept as "(redacted)", as Redis
 * does for passwords (cmd_redact_mask). */
void slowlog_add(struct slowlog *sl, size_t max_len, uint64_t id, uint64_t now_s, uint64_t duration,
                 int argc, const struct rstr *argv, uint64_t redact, const char *peer,
                 const char *name);
void slowlog_reset(struct slowlog *sl);

/* slowlog_write: append the newest @count entries as a RESP array of entries to @ob, each
 * preceded (for merging) by nothing: the caller merges by id. */
void slowlog_reply_entry(struct obuf *ob, const struct slowlog_entry *e);

#endif
