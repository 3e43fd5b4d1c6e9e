/*
 * telemetry.h - dpcache's DPDK telemetry commands (socket dpdk_telemetry.v2 of the process's
 * file prefix), read by dpcache-control and dpdk-telemetry.py:
 *
 *   /dpcache/info            version, stack, workers, ports, uptime, memory and limits
 *   /dpcache/stats           WORKER_METRICS summed over the workers, plus keys/expired/evicted
 *   /dpcache/core,<i>        one worker: WORKER_METRICS, partition figures, and its stack's
 *                            counters (NET_METRICS and TCP_METRICS on the native stack)
 *   /dpcache/commands        per command: calls, usec, rejected, failed (arrays in that order)
 *   /dpcache/errors          error replies by code
 *   /dpcache/keyspace        keys and keys with a TTL per database
 *   /dpcache/latency         per command class: LAT_BUCKETS counts (bucket b: < 2^b us)
 *
 * Callbacks run on the telemetry thread and read counters with relaxed loads; dict keys use
 * only [A-Za-z0-9_] (DPDK 22.11 rule).
 */
#ifndef DP_TELEMETRY_H
#define DP_TELEMETRY_H

struct rte_tel_data;

/* Per-core counters a stack adds to /dpcache/core,<i>. */
typedef void (*telemetry_core_fn)(int core, struct rte_tel_data *d);

/* telemetry_setup: register the commands (after srv_setup). @stack_fn may be NULL. */
void telemetry_setup(telemetry_core_fn stack_fn);

#endif
