/*
 * state.c - shared state of the control loop and the HTTP threads (see state.h).
 */
#include "state.h"

#include "config.h"
#include "ctl_front.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct ctl_state ctl_state;

void state_init(const struct ctl_config *cfg)
{
    pthread_condattr_t ca;

    memset(&ctl_state, 0, sizeof(ctl_state));
    pthread_mutex_init(&ctl_state.mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ctl_state.cv, &ca);
    pthread_condattr_destroy(&ca);
    ctl_state.cfg = cfg;
    ctl_state.v.last_ok = 1;
}

void state_copy(struct ctl_view *out)
{
    pthread_mutex_lock(&ctl_state.mu);
    *out = ctl_state.v;
    pthread_mutex_unlock(&ctl_state.mu);
}

uint64_t state_request_snapshot(void)
{
    uint64_t g;

    pthread_mutex_lock(&ctl_state.mu);
    g = ++ctl_state.req_gen;
    pthread_cond_broadcast(&ctl_state.cv);
    pthread_mutex_unlock(&ctl_state.mu);
    return g;
}

int state_wait_snapshot(uint64_t gen, int timeout_ms, struct ctl_view *out)
{
    struct timespec dl;
    int done;

    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ctl_state.mu);
    while (ctl_state.done_gen < gen &&
           pthread_cond_timedwait(&ctl_state.cv, &ctl_state.mu, &dl) != ETIMEDOUT)
        ;
    done = ctl_state.done_gen >= gen;
    *out = ctl_state.v;
    pthread_mutex_unlock(&ctl_state.mu);
    return done;
}

void state_request_shutdown(void)
{
    pthread_mutex_lock(&ctl_state.mu);
    ctl_state.req_shutdown = 1;
    pthread_cond_broadcast(&ctl_state.cv);
    pthread_mutex_unlock(&ctl_state.mu);
}

int state_ready(const struct ctl_view *v, char *why, size_t len)
{
    char buf[256];
    const struct ctl_config *cfg = ctl_state.cfg;

    if (!why) {
        why = buf;
        len = sizeof(buf);
    }
    if (!cfg || cfg->dataplane) {
        if (!v->attached) {
            snprintf(why, len, "the data plane is not attached");
            return 0;
        }
        if (v->loading) {
            snprintf(why, len, "the data plane is loading a snapshot");
            return 0;
        }
        if (v->ports_up != v->ports_total) {
            snprintf(why, len, "%d of %d ports have link", v->ports_up, v->ports_total);
            return 0;
        }
    }
    if (cfg && cfg->front_iface[0] && !ctl_front_ready(why, len))
        return 0;
    return 1;
}
