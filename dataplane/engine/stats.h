/*
 * stats.h - per-worker counters, declared once.
 *
 * WORKER_METRICS(M): M(field, kind, "help") with kind COUNTER or GAUGE. The table is the single
 * source of these names: INFO, DPDK telemetry (/dpcache/stats) and the control plane's
 * dpcache_* Prometheus series are generated from it.
 *
 * Thread-safety: a worker updates its own counters with plain stores (stat_add); any thread
 * may read them with relaxed loads (stat_get) and sum over workers.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>

/* clang-format off */
#define WORKER_METRICS(M) \
    M(commands,             COUNTER, "Commands executed by this worker") \
    M(connections_received, COUNTER, "Connections accepted") \
    M(rejected_connections, COUNTER, "Connections refused (maxclients, protected mode)") \
    M(net_input_bytes,      COUNTER, "Bytes read from clients") \
    M(net_output_bytes,     COUNTER, "Bytes written to clients") \
    M(keyspace_hits,        COUNTER, "Key lookups that found the key") \
    M(keyspace_misses,      COUNTER, "Key lookups that missed") \
    M(errors,               COUNTER, "Error replies") \
    M(protocol_errors,      COUNTER, "Clients closed for a protocol error") \
    M(fwd_sent,             COUNTER, "Command batches forwarded to other workers") \
    M(fwd_executed,         COUNTER, "Command batches executed for other workers") \
    M(remote_reads,         COUNTER, "Commands served lock-free from another worker's partition") \
    M(dirty,                COUNTER, "Writes (changes to the data set)") \
    M(udp_requests,         COUNTER, "UDP requests served") \
    M(udp_dropped,          COUNTER, "UDP datagrams dropped (bad frame, incomplete request, no memory)") \
    M(busy_polls,           COUNTER, "Poll iterations that found work") \
    M(idle_polls,           COUNTER, "Poll iterations that found nothing") \
    M(busy_cycles,          COUNTER, "TSC cycles spent in busy iterations") \
    M(idle_cycles,          COUNTER, "TSC cycles spent in idle iterations") \
    M(connected_clients,    GAUGE,   "Clients connected to this worker")
/* clang-format on */

/* Error codes counted in INFO errorstats (the first word of the error reply). */
/* clang-format off */
#define ERROR_CODES(E) \
    E(ERR) E(WRONGTYPE) E(NOAUTH) E(WRONGPASS) E(OOM) E(NOPROTO) E(MOVED) E(CROSSSLOT) \
    E(DENIED) E(CLUSTERDOWN) E(LOADING) E(BUSY) E(NOSCRIPT) E(EXECABORT)
/* clang-format on */

enum err_code {
#define E_ENUM(x) ERRC_##x,
    ERROR_CODES(E_ENUM)
#undef E_ENUM
    ERRC_OTHER,
    ERRC_COUNT,
};

extern const char *const err_code_names[ERRC_COUNT];

/* err_code_of: the counted code of an error text ("WRONGTYPE Operation..." -> ERRC_WRONGTYPE). */
enum err_code err_code_of(const char *msg);

/* Latency histogram buckets: bucket b counts commands that took [2^(b-1), 2^b) microseconds
 * (bucket 0: < 1 us); the last bucket is open-ended. */
#define LAT_BUCKETS 24

enum cmd_class { CLASS_READ = 0, CLASS_WRITE, CLASS_OTHER, CLASS_COUNT };

struct worker_stats {
#define M_FIELD(f, k, h) uint64_t f;
    WORKER_METRICS(M_FIELD)
#undef M_FIELD
    uint64_t errstat[ERRC_COUNT];
    uint64_t lat[CLASS_COUNT][LAT_BUCKETS];
};

#define stat_add(w, f, n) ((w)->st.f += (n))
#define stat_get(w, f)    __atomic_load_n(&(w)->st.f, __ATOMIC_RELAXED)

#endif
