/*
 * lb_shared.h - the one header shared by the XDP front (lb.bpf.c) and user space (front.c, the
 * dpcache-front CLI, tests, benchmark).
 *
 * It holds only fixed-width, explicitly padded structs (map keys and values), the limits every
 * length and count is checked against, the dpcache UDP frame format, and the counter table
 * (X-macro) from which both the BPF program's counter indices and the user-space names come.
 * Nothing here may depend on the compiler target: no pointers, no bool, no enums in structs.
 * Byte order is part of each field's name: `_be` fields are network order, all others host.
 */
#ifndef DPCACHE_LB_SHARED_H
#define DPCACHE_LB_SHARED_H

#include <linux/types.h>

/* ---------------------------------------------------------------------------------------------
 * Limits. Each has a build-time override (Katran style) except the protocol constants.
 */

/* Maglev lookup table size: a prime, ~256 entries per backend at LB_MAX_BACKENDS. */
#define LB_MAGLEV_SIZE 65537u

#ifndef LB_MAX_BACKENDS
/* Backend slots in the backends array (index = backend id inside the program). */
#define LB_MAX_BACKENDS 256u
#endif

#ifndef LB_CT_MAX_ENTRIES
/* Connection-table entries (LRU; the least recently used flow is evicted when full). */
#define LB_CT_MAX_ENTRIES 262144u
#endif

#ifndef LB_MAX_CPUS
/* CPUs whose connection-table values a CPU looks at when a flow shows up on it without one. */
#define LB_MAX_CPUS 512u
#endif

/* Redis Cluster hash slots. */
#define LB_SLOTS     16384u
#define LB_SLOT_MASK 0x3fffu

/* CRC16/XMODEM (poly 0x1021, init 0, no reflection, no final xor) is computed 8 bytes per step
 * ("slicing"): table k holds the CRC of byte x followed by k zero bytes. The loader computes the
 * LB_CRC16_SLICES x 256 tables into the program's read-only data before loading it. */
#define LB_CRC16_POLY   0x1021u
#define LB_CRC16_SLICES 8u

/* Largest backend weight; weights are relative, 0 is refused. */
#define LB_WEIGHT_MAX 10000u

/* A dpcache node has 1..LB_CORES_MAX cores; each core owns at least one slot. */
#define LB_CORES_MAX LB_SLOTS

/* Maglev/slot table value meaning "no backend": packets that hit it are dropped and counted. */
#define LB_NO_BACKEND 0xffffffffu

/* ---------------------------------------------------------------------------------------------
 * dpcache UDP framing (specified by the lead; docs/front.md carries the same text).
 *
 * Every datagram starts with an 8-byte frame header, all fields big-endian u16:
 *   request_id  echoed in the reply
 *   seq         datagram index within the message, 0-based
 *   total       datagram count of the message
 *   reserved    must be 0
 * A request is exactly one datagram (seq == 0, total == 1): the header followed by one RESP2
 * multibulk command, e.g. "*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n". The key is argument 1.
 */
#define LB_FRAME_HDR_LEN 8u

struct lb_frame_hdr {
    __be16 request_id_be;
    __be16 seq_be;
    __be16 total_be;
    __be16 reserved_be;
};

/* Keys longer than this are hashed only if a complete non-empty {hash tag} lies within their
 * first LB_KEY_MAX bytes; otherwise the datagram is dropped (LB_CNT_DROP_KEY_TOO_LONG). */
#define LB_KEY_MAX 256u
/* Command names longer than this are not RESP we steer (LB_CNT_DROP_RESP_MALFORMED). */
#define LB_CMD_NAME_MAX 32u
/* Decimal digits in a RESP length ("*<n>" or "$<n>"); values above LB_RESP_LEN_MAX are refused
 * (no UDP datagram can hold more). */
#define LB_RESP_DIGITS_MAX 5u
#define LB_RESP_LEN_MAX    65535u
/* Bytes of UDP payload the program copies and parses. Must be a power of two (the program masks
 * indices with LB_UDP_SCAN_MAX - 1) and hold the frame header, the largest "*<n>\r\n$<n>\r\n",
 * a LB_CMD_NAME_MAX name and the key length line plus LB_KEY_MAX key bytes. */
#define LB_UDP_SCAN_MAX 512u

#if (LB_UDP_SCAN_MAX & (LB_UDP_SCAN_MAX - 1)) != 0
#error "LB_UDP_SCAN_MAX must be a power of two"
#endif
#if LB_FRAME_HDR_LEN + 2 * (LB_RESP_DIGITS_MAX + 3) + LB_CMD_NAME_MAX + 2 +                        \
        (LB_RESP_DIGITS_MAX + 3) + LB_KEY_MAX + 2 >                                                \
    LB_UDP_SCAN_MAX
#error "LB_UDP_SCAN_MAX too small for the parse limits"
#endif

/* ---------------------------------------------------------------------------------------------
 * Counters. One row per counter: X(enum suffix, exported name, help). The program indexes the
 * per-CPU stats array with LB_CNT_<suffix>; user space sums over CPUs and names them from here.
 * Every packet increments rx_packets and exactly one verdict_* counter; every pass/drop also
 * increments exactly one pass_* or drop_* reason. The reasons are the contiguous rows from
 * PASS_NOT_IPV4 to DROP_INTERNAL (tests rely on it); the rest are informational.
 */
#define LB_COUNTERS(X)                                                                             \
    X(RX_PACKETS, "rx_packets", "Packets seen by the XDP front")                                   \
    X(RX_BYTES, "rx_bytes", "Bytes seen by the XDP front (frame length)")                          \
    X(VERDICT_TX, "verdict_tx", "Packets forwarded with XDP_TX")                                   \
    X(VERDICT_REDIRECT, "verdict_redirect", "Packets forwarded with XDP_REDIRECT (devmap)")        \
    X(VERDICT_PASS, "verdict_pass", "Packets passed to the kernel stack")                          \
    X(VERDICT_DROP, "verdict_drop", "Packets dropped")                                             \
    X(PASS_NOT_IPV4, "pass_not_ipv4", "Passed: not an untagged IPv4 frame (ARP, IPv6, VLAN)")      \
    X(PASS_NOT_VIP, "pass_not_vip", "Passed: IPv4 not addressed to the VIP, or no VIP set")        \
    X(PASS_VIP_OTHER, "pass_vip_other", "Passed: VIP traffic of another protocol or port")         \
    X(DROP_ETH_TRUNCATED, "drop_eth_truncated", "Dropped: frame shorter than an Ethernet header")  \
    X(DROP_IP_TRUNCATED, "drop_ip_truncated", "Dropped: IPv4 frame shorter than 20 header bytes")  \
    X(DROP_IP_MALFORMED, "drop_ip_malformed", "Dropped: VIP packet with bad version/IHL/length")   \
    X(DROP_IP_FRAGMENT, "drop_ip_fragment", "Dropped: VIP packet that is an IPv4 fragment")        \
    X(DROP_TCP_MALFORMED, "drop_tcp_malformed", "Dropped: truncated TCP header or bad offset")     \
    X(DROP_UDP_MALFORMED, "drop_udp_malformed", "Dropped: truncated UDP header or bad length")     \
    X(DROP_FRAME_MALFORMED, "drop_frame_malformed", "Dropped: bad dpcache UDP frame header")       \
    X(DROP_RESP_MALFORMED, "drop_resp_malformed", "Dropped: payload not one RESP2 multibulk")      \
    X(DROP_KEY_TOO_LONG, "drop_key_too_long", "Dropped: key over LB_KEY_MAX without hash tag")     \
    X(DROP_NO_BACKEND, "drop_no_backend", "Dropped: no backend owns the flow or slot")             \
    X(DROP_REDIRECT, "drop_redirect", "Dropped: devmap has no entry for the backend")              \
    X(DROP_INTERNAL, "drop_internal", "Dropped: a lookup that cannot fail failed (bug)")           \
    X(IP_OPTIONS, "ip_options", "VIP packets with IPv4 options (IHL > 5), handled")                \
    X(TCP_CT_HIT, "tcp_ct_hit", "TCP packets of a flow found in the connection table")             \
    X(TCP_CT_MISS, "tcp_ct_miss", "TCP packets of a flow not in the table (Maglev pick)")          \
    X(TCP_CT_STALE, "tcp_ct_stale", "TCP flows whose backend was removed (Maglev re-pick)")        \
    X(TCP_CT_ADOPTED, "tcp_ct_adopted", "TCP flows found in another CPU's entry (CPU changed)")    \
    X(UDP_KEYED, "udp_keyed", "UDP requests steered by key slot")                                  \
    X(UDP_KEYLESS, "udp_keyless", "UDP requests without a key (Maglev by flow)")                   \
    X(UDP_HASH_TAG, "udp_hash_tag", "UDP keys whose slot came from a {hash tag}")

#define LB_CNT_ENUM_ROW(id, name, help) LB_CNT_##id,
enum lb_counter { LB_COUNTERS(LB_CNT_ENUM_ROW) LB_CNT__COUNT };
#undef LB_CNT_ENUM_ROW

/* Value of the single-entry per-CPU stats array. */
struct lb_stats {
    __u64 c[LB_CNT__COUNT];
};

/* ---------------------------------------------------------------------------------------------
 * Map keys and values.
 */

/* Backend states (lb_backend.state). */
#define LB_BE_EMPTY    0u /* slot free; conntrack entries pointing here are stale */
#define LB_BE_ACTIVE   1u /* in the Maglev and default slot tables: takes new flows */
#define LB_BE_DRAINING 2u /* out of the tables; established TCP flows keep going */

/* Backends array value (index = backend id). Written by user space in two steps (all fields
 * with state EMPTY, then the state byte) so the program never acts on a half-written entry. */
struct lb_backend {
    __be32 addr_be;  /* IPv4 address; the backend's identity */
    __u32 gen;       /* bumped each time the index is reused; 0 is never a valid gen */
    __u8 dst_mac[6]; /* backend MAC: destination of the L2 (DSR) rewrite */
    __u8 src_mac[6]; /* MAC of the egress interface: source of the rewrite */
    __u32 ifindex;   /* egress ifindex (devmap redirect); 0 = XDP_TX on the ingress device */
    __u16 base_port; /* core i of the node listens on base_port + i (UDP and TCP) */
    __u16 ncores;    /* 1..LB_CORES_MAX; base_port + ncores - 1 <= 65535 */
    __u16 weight;    /* 1..LB_WEIGHT_MAX, relative share of Maglev entries and slots */
    __u8 state;      /* LB_BE_* */
    __u8 pad0;       /* must be 0 */
};

/* Per-backend per-CPU counters (index = backend id; reset when the index is reused). */
struct lb_backend_stats {
    __u64 packets;      /* packets forwarded to the backend */
    __u64 bytes;        /* their bytes (frame length) */
    __u64 tcp_new;      /* TCP flows placed on it by Maglev (conntrack miss or stale) */
    __u64 udp_requests; /* UDP requests steered to it (keyed or keyless) */
};

/* Config flags (lb_config.flags). */
#define LB_CFG_F_SLOTS_MANUAL (1u << 0) /* slot table set by front_slots_assign, not by weight */

/* Single-entry config array, written only by user space. */
struct lb_config {
    __be32 vip_be;      /* service IPv4 address; 0 = unset: every packet passes */
    __be16 tcp_port_be; /* TCP service port balanced by Maglev; 0 = TCP not handled */
    __be16 udp_port_be; /* UDP service port steered by key; 0 = UDP not handled */
    __u32 ifindex;      /* interface the program is attached to (informational) */
    __u32 flags;        /* LB_CFG_F_* (user space only) */
};

/* Connection-table key: the TCP 4-tuple as on the wire (+ protocol for future use). */
struct lb_flow_key {
    __be32 saddr_be;
    __be32 daddr_be;
    __be16 sport_be;
    __be16 dport_be;
    __u8 proto;
    __u8 pad0[3]; /* must be 0 (hashed as part of the key) */
};

/* Connection-table value (per CPU). backend/gen must match the backends array entry. */
struct lb_ct_value {
    __u32 backend; /* backend index */
    __u32 gen;     /* lb_backend.gen when the flow was placed; 0 = empty per-CPU slot */
};

_Static_assert(sizeof(struct lb_frame_hdr) == LB_FRAME_HDR_LEN, "frame header layout");
_Static_assert(sizeof(struct lb_backend) == 32, "lb_backend layout");
_Static_assert(sizeof(struct lb_backend_stats) == 32, "lb_backend_stats layout");
_Static_assert(sizeof(struct lb_config) == 16, "lb_config layout");
_Static_assert(sizeof(struct lb_flow_key) == 16, "lb_flow_key layout");
_Static_assert(sizeof(struct lb_ct_value) == 8, "lb_ct_value layout");

/*
 * lb_slot_core: the core of a node with `ncores` cores that owns `slot`.
 * Core i owns [(i * LB_SLOTS) / ncores, ((i + 1) * LB_SLOTS) / ncores - 1] (integer division);
 * inverting that range gives i = ((slot + 1) * ncores - 1) / LB_SLOTS.
 * @slot: 0..LB_SLOTS-1; @ncores: 1..LB_CORES_MAX. Returns 0..ncores-1. Pure; any thread.
 */
static inline __u32 lb_slot_core(__u32 slot, __u32 ncores)
{
    return ((slot + 1) * ncores - 1) / LB_SLOTS;
}

#endif /* DPCACHE_LB_SHARED_H */
