/*
 * front.h - loader and configuration API of the XDP front (lb.bpf.c), prefix front_.
 *
 * Lifecycle: front_open (load the program; create or reuse the maps, pinned under a directory
 * when one is given) -> front_set_service -> front_backend_add... -> front_attach ->
 * (front_backend_drain / _remove / _add, front_stats_read at any time) -> front_detach ->
 * front_unpin (forget the pinned state) -> front_destroy. A separate process reconfigures a
 * running front with front_open_pinned (maps only, no program load).
 *
 * Backends are identified by IPv4 address. Every mutator republishes the Maglev and slot
 * tables before returning (see front_publish), so the program never sees a backend set and
 * tables that disagree in a harmful way.
 *
 * Thread safety: a struct front has no internal locking; use one per thread or serialize calls.
 * Two processes mutating the same pinned front at once are not serialized either: the control
 * plane is meant to be the single writer (the CLI is for tests and operators). Reading stats
 * concurrently with a writer is safe.
 *
 * Errors: functions returning int give 0 (or a documented non-negative value) on success and a
 * negative errno on failure; constructors return NULL and set errno.
 */
#ifndef DPCACHE_FRONT_H
#define DPCACHE_FRONT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "lb_shared.h"

struct front;

/* Default parent of the per-interface pin directories (bpffs is mounted there if needed). */
#define FRONT_PIN_ROOT "/sys/fs/bpf/dpcache"

enum front_xdp_mode {
    FRONT_XDP_AUTO = 0, /* native when the driver supports it, else generic (kernel's choice) */
    FRONT_XDP_GENERIC,  /* skb mode: works on every device, slower */
    FRONT_XDP_NATIVE,   /* driver mode: fails if the driver has no XDP support */
};

/* What the caller says about a backend (see struct lb_backend for the stored form). */
struct front_backend_spec {
    struct in_addr addr; /* backend IPv4 address (must not be 0); its identity */
    uint8_t mac[6];      /* backend MAC: the frame's new destination (DSR) */
    uint16_t weight;     /* 1..LB_WEIGHT_MAX */
    uint16_t base_port;  /* core i listens on base_port + i; >= 1 */
    uint16_t ncores;     /* 1..LB_CORES_MAX, base_port + ncores - 1 <= 65535 */
    int egress_ifindex;  /* 0: XDP_TX back out of the attach interface; else XDP_REDIRECT */
    uint8_t src_mac[6];  /* all zero: the MAC of the egress (or attach) interface */
};

/* One backend as read back from the maps, with its counters summed over CPUs. */
struct front_backend_info {
    uint32_t index;                /* backend id inside the program */
    struct lb_backend be;          /* the stored entry (state != LB_BE_EMPTY) */
    struct lb_backend_stats stats; /* packets, bytes, tcp_new, udp_requests */
    uint32_t maglev_entries;       /* positions it holds in the published Maglev table */
    uint32_t slots;                /* slots it holds in the published slot table */
};

/* Snapshot returned by front_stats_read (about 20 KB: allocate it, don't put it on a stack). */
struct front_stats {
    uint64_t counters[LB_CNT__COUNT]; /* summed over CPUs; names: front_counter_name() */
    struct lb_config config;          /* service configuration */
    uint32_t n_backends;              /* entries used in backends[], ascending index */
    struct front_backend_info backends[LB_MAX_BACKENDS];
};

/*
 * front_open: loads the XDP program and creates its maps.
 * @pin_dir: NULL for private maps (tests, benchmarks); else the directory (created, with bpffs
 *           mounted at /sys/fs/bpf if missing) where maps are pinned by name, reusing maps
 *           already pinned there so a reload keeps config, backends and connections.
 * Returns the handle, or NULL with errno set. Not attached to any interface yet.
 */
struct front *front_open(const char *pin_dir);

/*
 * front_open_pinned: opens the maps pinned under @pin_dir by an earlier front_open, without
 * loading a program (front_attach and front_prog_fd are then unavailable).
 * Returns the handle, or NULL with errno set (ENOENT when nothing is pinned there).
 */
struct front *front_open_pinned(const char *pin_dir);

/* front_prog_fd: the loaded program's fd (for BPF_PROG_TEST_RUN), or -1 if none. */
int front_prog_fd(const struct front *f);

/*
 * front_attach: attaches the program to @ifindex with a BPF link (pinned as <pin_dir>/link
 * when pinning). If a link is already pinned, the program is swapped into it atomically
 * instead (upgrade without a gap); @ifindex must then match. Returns 0 or -errno
 * (-EOPNOTSUPP: native mode not supported by the driver; -EBUSY: other XDP program there).
 */
int front_attach(struct front *f, int ifindex, enum front_xdp_mode mode);

/* front_attached_ifindex: the interface this handle's link holds the program on: > 0 while
 * attached, 0 when the handle has no link or the link's device went away, or -errno. */
int front_attached_ifindex(struct front *f);

/* front_detach: removes the program from its interface and deletes the link pin.
 * Returns 0, -ENOENT when not attached, or -errno. */
int front_detach(struct front *f);

/* front_unpin: deletes every pin under the pin directory and the directory itself; the maps
 * live on while this handle or an attached program holds them. Returns 0 or -errno. */
int front_unpin(struct front *f);

/*
 * front_set_service: sets the VIP and the TCP and UDP service ports (host order; 0 disables
 * that protocol). Takes effect for the next packet. Returns 0 or -errno.
 */
int front_set_service(struct front *f, struct in_addr vip, uint16_t tcp_port, uint16_t udp_port);

/*
 * front_backend_add: adds an ACTIVE backend in the lowest free index and republishes.
 * Returns the index (>= 0), -EEXIST if the address is already a backend, -ENOSPC when all
 * LB_MAX_BACKENDS are used, -EINVAL for a bad spec, or -errno.
 */
int front_backend_add(struct front *f, const struct front_backend_spec *spec);

/*
 * front_backend_drain: stops new flows and UDP requests to @addr (it leaves the Maglev table
 * and the default slot split); its established TCP flows keep going. Idempotent.
 * Returns 0, -ENOENT if unknown, or -errno.
 */
int front_backend_drain(struct front *f, struct in_addr addr);

/*
 * front_backend_remove: removes @addr: tables are republished without it first, then its entry
 * is freed, so established flows to it are re-placed by Maglev on their next packet.
 * Returns 0, -ENOENT if unknown, or -errno.
 */
int front_backend_remove(struct front *f, struct in_addr addr);

/*
 * front_publish: recomputes the Maglev table (weighted, over ACTIVE backends) and the slot
 * table (contiguous ranges proportional to weight over ACTIVE backends in index order, unless
 * slots are manual), fills fresh inner maps and swaps them in. When it returns, no packet uses
 * the old tables. Returns 0 or -errno.
 */
int front_publish(struct front *f);

/*
 * front_slots_assign: gives slots [first, last] to backend @addr (ACTIVE or DRAINING) and switches
 * the slot table to manual mode: later publishes keep assignments and only unassign slots of
 * removed backends. Returns 0, -ENOENT, -EINVAL (range), or -errno.
 */
int front_slots_assign(struct front *f, uint32_t first, uint32_t last, struct in_addr addr);

/* front_slots_auto: back to the default weighted split, republished. Returns 0 or -errno. */
int front_slots_auto(struct front *f);

/* front_counters_read: the global counters (LB_COUNTERS order), summed over CPUs. Cheap: one
 * map read; what a metrics scrape needs. Returns 0 or -errno. */
int front_counters_read(struct front *f, uint64_t counters[LB_CNT__COUNT]);

/* front_stats_read: fills @out with counters, config and backends, including each backend's
 * share of the published tables (reads both tables: milliseconds). Returns 0 or -errno. */
int front_stats_read(struct front *f, struct front_stats *out);

/* front_maglev_read / front_slots_read: copy the published table (LB_MAGLEV_SIZE / LB_SLOTS
 * backend indices, LB_NO_BACKEND for none) into @table. Return 0, -ENOENT if none published. */
int front_maglev_read(struct front *f, uint32_t *table);
int front_slots_read(struct front *f, uint32_t *table);

/* front_conntrack_flush: forgets every tracked TCP flow. Returns the number removed or -errno. */
int front_conntrack_flush(struct front *f);

/* front_counter_name / front_counter_help: from LB_COUNTERS; NULL when id >= LB_CNT__COUNT. */
const char *front_counter_name(unsigned int id);
const char *front_counter_help(unsigned int id);

/* ---------------------------------------------------------------------------------------------
 * Text forms (front_parse.c), shared by dpcache-front and dpcache-control so both take the same
 * fields with the same checks. Pure except where noted; any thread.
 *
 * A backend as text: "ADDR,mac=M,base-port=P[,cores=C][,weight=W][,egress=IF][,src-mac=M]",
 * fields in any order ("addr=ADDR" works too), at most FRONT_SPEC_TEXT_MAX bytes. The names
 * are dpcache-front add's options; '_' may replace '-' (JSON keys: base_port, src_mac).
 */
#define FRONT_SPEC_TEXT_MAX 512

/* front_parse_mode: "auto", "native" (or "drv"), "generic" (or "skb") -> @mode. 0 or -EINVAL. */
int front_parse_mode(const char *s, enum front_xdp_mode *mode);

/* front_mode_name: "auto", "native" or "generic". */
const char *front_mode_name(enum front_xdp_mode mode);

/* front_parse_mac: "aa:bb:cc:dd:ee:ff" -> @mac. 0 or -EINVAL. */
int front_parse_mac(const char *s, uint8_t mac[6]);

/* front_state_name: "active", "draining" or "empty" for an LB_BE_* state. */
const char *front_state_name(uint8_t state);

/* front_if_mac: the MAC address of interface @ifindex (the caller's network namespace), as
 * front_backend_add takes for a spec without src_mac. 0 or -errno. */
int front_if_mac(int ifindex, uint8_t mac[6]);

/* front_backend_spec_init: an empty spec with the defaults: weight 1, 1 core, no egress. */
void front_backend_spec_init(struct front_backend_spec *spec);

/*
 * front_backend_spec_set: sets the field @name (addr, mac, base-port, cores, weight, egress,
 * src-mac) from @value. egress is an interface name, resolved in the caller's network namespace.
 * Returns 0; -EINVAL (bad value), -ENOENT (unknown field), -ENODEV (no such interface), each
 * with a message in @err naming the field and its limit.
 */
int front_backend_spec_set(struct front_backend_spec *spec, const char *name, const char *value,
                           char *err, size_t errlen);

/* front_backend_spec_check: the spec is complete (addr, mac, base-port) and in range (what
 * front_backend_add checks). 0 or -EINVAL with a message in @err. */
int front_backend_spec_check(const struct front_backend_spec *spec, char *err, size_t errlen);

/* front_backend_spec_parse: a backend as text (above) -> @spec, checked. 0 or a negative errno
 * of front_backend_spec_set/_check, with a message in @err. */
int front_backend_spec_parse(const char *text, struct front_backend_spec *spec, char *err,
                             size_t errlen);

/* front_destroy: closes the handle and sets *fp to NULL; NULL or *fp == NULL is a no-op.
 * A pinned link keeps the program attached and pinned maps stay; without a pin directory the
 * link (and with it the attachment) and the maps go away with the handle. */
void front_destroy(struct front **fp);

#endif /* DPCACHE_FRONT_H */
