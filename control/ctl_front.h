/*
 * ctl_front.h - front mode of dpcache-control: it loads the XDP front (ebpf/front.h) onto
 * front-iface, configures the service (front-vip, front-tcp-port, front-udp-port), applies the
 * configured backend set (front-backend), owns that set while it runs (admin API
 * /v1/front/backends), exports the front's counters on /metrics and detaches on exit.
 *
 * Start: the maps are pinned under front-pin-dir; pins left by an earlier dpcache-control are
 * reused (the connection table survives a restart) and reconciled with the configuration: a
 * pinned backend the configuration does not name, or names with other fields, is removed, a
 * configured one that is missing is added. Exit (SIGTERM, SIGINT): detach, unpin.
 *
 * Threads: every function may be called from any thread (HTTP threads, the main thread); calls
 * into the front are serialized by a mutex inside. Built without eBPF (meson -Debpf=disabled,
 * ctl_front_none.c), front mode is refused at start and the API answers 404.
 */
#ifndef CTL_FRONT_H
#define CTL_FRONT_H

#include "../ebpf/lb_shared.h"

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_config;
struct sbuf;

/* Longest backend id accepted in an API path (an IPv4 address or an index). */
#define CTL_FRONT_ID_MAX 64

/* Backend fields of a POST /v1/front/backends body (JSON object members). */
#define CTL_FRONT_FIELDS_MAX 8

/**
 * ctl_front_start: front mode, when cfg->front_iface is set: open (or reuse) the front, set
 * the service, reconcile the backends, attach. Returns 0 (also when front mode is off), or
 * -errno with a message in @err; nothing stays attached on failure.
 */
int ctl_front_start(const struct ctl_config *cfg, char *err, size_t errlen);

/* ctl_front_stop: detach the program, delete the pins, close. No-op when not started. */
void ctl_front_stop(void);

/* ctl_front_enabled: 1 when front mode runs (started and not stopped). */
int ctl_front_enabled(void);

/* ctl_front_ready: 1 when the program is attached to its interface; 0 with the reason in @why
 * otherwise (also when front mode is off). */
int ctl_front_ready(char *why, size_t len);

/*
 * The admin API. Each returns an HTTP status; on 2xx the JSON answer is appended to @out,
 * otherwise @err holds the message (the caller answers {"error": ...}).
 *   ctl_front_list:   GET /v1/front/backends
 *   ctl_front_add:    POST /v1/front/backends, @body a JSON object {"addr": ..., "mac": ...,
 *                     "base_port": ..., "cores": ..., "weight": ..., "egress": ...}
 *   ctl_front_drain:  POST /v1/front/backends/<id>/drain (no new flows; established stay)
 *   ctl_front_remove: DELETE /v1/front/backends/<id> (out of the tables, entry freed)
 * <id> is the backend's IPv4 address (its identity) or its index as listed.
 */
int ctl_front_list(struct sbuf *out, char *err, size_t errlen);
int ctl_front_add(const char *body, size_t len, struct sbuf *out, char *err, size_t errlen);
int ctl_front_drain(const char *id, struct sbuf *out, char *err, size_t errlen);
int ctl_front_remove(const char *id, struct sbuf *out, char *err, size_t errlen);

/* One backend in a metrics sample. */
struct ctl_front_backend {
    char addr[16]; /* dotted IPv4: the backend label */
    uint8_t state; /* LB_BE_ACTIVE or LB_BE_DRAINING */
    uint32_t maglev_entries, slots;
    struct lb_backend_stats stats; /* summed over CPUs */
};

/* What a /metrics scrape reads (about 12 KB: allocate it). */
struct ctl_front_sample {
    int attached; /* the program is on its interface */
    char iface[IF_NAMESIZE];
    uint64_t counters[LB_CNT__COUNT]; /* summed over CPUs, LB_COUNTERS order */
    uint32_t n;
    struct ctl_front_backend be[LB_MAX_BACKENDS];
};

/* ctl_front_sample: fills @out. 0, -ENODEV when front mode is off, or -errno. */
int ctl_front_sample(struct ctl_front_sample *out);

#endif
