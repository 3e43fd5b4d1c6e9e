/*
 * schedule.h - when to take a snapshot: Redis "save <seconds> <changes>" rules and a fixed
 * interval. Pure functions of their arguments (no clock, no I/O), so tests can drive them.
 */
#ifndef CTL_SCHED_H
#define CTL_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SAVE_RULES_MAX 16
#define SAVE_RETRY_DELAY                                                                           \
    5 /* seconds between attempts after a failed snapshot (Redis's                                 \
         CONFIG_BGSAVE_RETRY_DELAY) */

struct save_rule {
    long long seconds;
    long long changes;
};

struct sched {
    struct save_rule rules[SAVE_RULES_MAX];
    int nrules;
    long long interval; /* seconds; 0: none */
};

/**
 * sched_parse_save: parse "<seconds> <changes> ..." (empty or "" : no rules) into @s.
 * Returns 0, or -1 with a message in @err (odd count, not a number, negative, too many).
 */
int sched_parse_save(struct sched *s, const char *text, char *err, size_t errlen);

struct sched_input {
    int64_t now;      /* Unix seconds */
    int64_t lastsave; /* rdb_last_save_time: last successful snapshot (or start) */
    int64_t dirty;    /* rdb_changes_since_last_save */
    int64_t last_try; /* last attempt (0: none) */
    int last_ok;      /* last attempt succeeded (or none yet) */
};

/**
 * sched_due: why a snapshot is due now, or NULL. Redis's rule: some rule has
 * dirty >= changes and now - lastsave > seconds, and the last attempt succeeded or is more
 * than SAVE_RETRY_DELAY seconds old. The interval: now - max(lastsave, last_try) >= interval.
 * The returned text is static ("save rule", "interval").
 */
const char *sched_due(const struct sched *s, const struct sched_input *in);

#endif
