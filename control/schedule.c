/*
 * schedule.c - snapshot schedule (see schedule.h).
 */
#include "schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sched_parse_save(struct sched *s, const char *text, char *err, size_t errlen)
{
    long long v[2 * SAVE_RULES_MAX];
    int n = 0;
    const char *p = text ? text : "";

    for (;;) {
        char *end;
        long long x;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (p[0] == '"' && p[1] == '"' && (!p[2] || p[2] == ' ')) { /* save "" */
            p += 2;
            continue;
        }
        if (n == 2 * SAVE_RULES_MAX) {
            snprintf(err, errlen, "too many save rules (at most %d)", SAVE_RULES_MAX);
            return -1;
        }
        errno = 0;
        x = strtoll(p, &end, 10);
        if (errno || end == p || (*end && *end != ' ' && *end != '\t') || x < 0) {
            snprintf(err, errlen, "invalid save rules '%s': expected <seconds> <changes> ...",
                     text);
            return -1;
        }
        v[n++] = x;
        p = end;
    }
    if (n % 2) {
        snprintf(err, errlen, "invalid save rules '%s': an odd number of values", text);
        return -1;
    }
    s->nrules = n / 2;
    for (int i = 0; i < s->nrules; i++) {
        s->rules[i].seconds = v[2 * i];
        s->rules[i].changes = v[2 * i + 1];
    }
    return 0;
}

const char *sched_due(const struct sched *s, const struct sched_input *in)
{
    int may_retry = in->last_ok || in->last_try == 0 || in->now - in->last_try > SAVE_RETRY_DELAY;

    if (!may_retry)
        return NULL;
    for (int i = 0; i < s->nrules; i++)
        if (in->dirty >= s->rules[i].changes && in->now - in->lastsave > s->rules[i].seconds)
            return "save rule";
    if (s->interval > 0) {
        int64_t last = in->lastsave > in->last_try ? in->lastsave : in->last_try;
        if (in->now - last >= s->interval)
            return "interval";
    }
    return NULL;
}
