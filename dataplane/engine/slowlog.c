/*
 * slowlog.c - per-worker slow log ring (see slowlog.h).
 */
#include "slowlog.h"

#include "../resp/compose.h"
#include "../resp/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void slowlog_init(struct slowlog *sl)
{
    memset(sl, 0, sizeof(*sl));
}

static void entry_clear(struct slowlog_entry *e)
{
    for (int i = 0; i < e->argc; i++)
        free(e->argv[i]);
    e->argc = 0;
}

void slowlog_reset(struct slowlog *sl)
{
    for (size_t i = 0; i < sl->cap; i++)
        entry_clear(&sl->ring[i]);
    sl->len = 0;
    sl->head = 0;
}

void slowlog_free(struct slowlog *sl)
{
    slowlog_reset(sl);
    free(sl->ring);
    memset(sl, 0, sizeof(*sl));
}

void slowlog_add(struct slowlog *sl, size_t max_len, uint64_t id, uint64_t now_s, uint64_t duration,
                 int argc, const struct rstr *argv, uint64_t redact, const char *peer,
                 const char *name)
{
    struct slowlog_entry *e;
    int keep;

    if (max_len == 0)
        return;
    if (sl->cap != max_len) { /* slowlog-max-len changed: start over */
        struct slowlog_entry *r = calloc(max_len, sizeof(*r));
        if (!r)
            return;
        slowlog_reset(sl);
        free(sl->ring);
        sl->ring = r;
        sl->cap = max_len;
    }
    e = &sl->ring[sl->head];
    entry_clear(e);
    sl->head = (sl->head + 1) % sl->cap;
    if (sl->len < sl->cap)
        sl->len++;
    e->id = id;
    e->time = now_s;
    e->duration = duration;
    e->orig_argc = argc;
    keep = argc > SLOWLOG_ARGS_MAX ? SLOWLOG_ARGS_MAX : argc;
    for (int i = 0; i < keep; i++) {
        char buf[SLOWLOG_ARG_BYTES + 64];
        size_t n;
        if (i == SLOWLOG_ARGS_MAX - 1 && argc > SLOWLOG_ARGS_MAX) {
            n = (size_t)snprintf(buf, sizeof(buf), "... (%d more arguments)",
                                 argc - SLOWLOG_ARGS_MAX + 1);
        } else if (i < 64 && (redact >> i) & 1) {
            n = sizeof("(redacted)") - 1;
            memcpy(buf, "(redacted)", n);
        } else if (argv[i].len > SLOWLOG_ARG_BYTES) {
            memcpy(buf, argv[i].p, SLOWLOG_ARG_BYTES);
            n = SLOWLOG_ARG_BYTES + (size_t)snprintf(buf + SLOWLOG_ARG_BYTES, 64,
                                                     "... (%zu more bytes)",
                                                     argv[i].len - SLOWLOG_ARG_BYTES);
        } else {
            memcpy(buf, argv[i].p, argv[i].len);
            n = argv[i].len;
        }
        e->argv[i] = malloc(n ? n : 1);
        if (!e->argv[i]) {
            keep = i;
            break;
        }
        memcpy(e->argv[i], buf, n);
        e->arglen[i] = (uint32_t)n;
    }
    e->argc = keep;
    snprintf(e->peer, sizeof(e->peer), "%s", peer ? peer : "");
    snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
}

void slowlog_reply_entry(struct obuf *ob, const struct slowlog_entry *e)
{
    rsp_array(ob, 6);
    rsp_int(ob, (long long)e->id);
    rsp_int(ob, (long long)e->time);
    rsp_int(ob, (long long)e->duration);
    rsp_array(ob, e->argc);
    for (int i = 0; i < e->argc; i++)
        rsp_bulk(ob, e->argv[i], e->arglen[i]);
    rsp_bulk_cstr(ob, e->peer);
    rsp_bulk_cstr(ob, e->name);
}
