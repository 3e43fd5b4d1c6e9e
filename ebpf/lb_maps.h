/*
 * lb_maps.h - every map of the XDP front, one definition and one comment each. Keys and values
 * are the structs of lb_shared.h. User space (front.c) reaches them through the skeleton or,
 * from a separate process, through the pins under /sys/fs/bpf/dpcache/<ifname>/<map name>.
 * Map names stay under 16 bytes (BPF_OBJ_NAME_LEN).
 */
#ifndef DPCACHE_LB_MAPS_H
#define DPCACHE_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lb_shared.h"

/* Service configuration: VIP, ports, hash seed. One entry, written only by user space. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lb_config);
} lb_config SEC(".maps");

/* Backends by index. The Maglev table, the slot table and conntrack values hold indices. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, LB_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, struct lb_backend);
} lb_backends SEC(".maps");

/* Per-backend counters, per CPU so forwarding never contends on a cache line. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, LB_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, struct lb_backend_stats);
} lb_be_stats SEC(".maps");

/* Global counters (indices from LB_COUNTERS), one entry per CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lb_stats);
} lb_stats SEC(".maps");

/* TCP connection table: 4-tuple -> backend index + generation. Per-CPU LRU: the key space is
 * shared, each CPU writes only its own value, so the hot path never bounces a cache line
 * between CPUs (RSS keeps a flow on one CPU). A flow that shows up on another CPU finds the
 * element with an empty value there and adopts the value of the CPU that placed it. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    __uint(max_entries, LB_CT_MAX_ENTRIES);
    __type(key, struct lb_flow_key);
    __type(value, struct lb_ct_value);
} lb_conntrack SEC(".maps");

/* Egress devices for XDP_REDIRECT, keyed by backend index (value: ifindex). Only backends
 * with lb_backend.ifindex != 0 have an entry. */
struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, LB_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, __u32);
} lb_tx_ports SEC(".maps");

/* Inner map template: one Maglev lookup table, position -> backend index (LB_NO_BACKEND). */
struct lb_maglev_inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, LB_MAGLEV_SIZE);
    __type(key, __u32);
    __type(value, __u32);
};

/* The published Maglev table. User space fills a fresh inner map and swaps it into entry 0;
 * the swap is one pointer store and the kernel waits for running programs before the update
 * returns, so a packet sees either the whole old table or the whole new one. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct lb_maglev_inner);
} lb_maglev SEC(".maps");

/* Inner map template: one Redis Cluster slot table, slot -> backend index (LB_NO_BACKEND). */
struct lb_slots_inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, LB_SLOTS);
    __type(key, __u32);
    __type(value, __u32);
};

/* The published slot table, swapped like lb_maglev. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct lb_slots_inner);
} lb_slots SEC(".maps");

/* Per-CPU scratch: the first LB_UDP_SCAN_MAX payload bytes of a UDP request, copied with
 * bpf_xdp_load_bytes so the RESP parser indexes a bounded buffer instead of the packet. */
struct lb_scratch_buf {
    __u8 b[LB_UDP_SCAN_MAX];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lb_scratch_buf);
} lb_scratch SEC(".maps");

#endif /* DPCACHE_LB_MAPS_H */
