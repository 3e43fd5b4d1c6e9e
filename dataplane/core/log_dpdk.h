/*
 * log_dpdk.h - DPDK's log stream through dpcache's logger (log.h).
 *
 * DPDK writes its messages (EAL, PMDs, telemetry) to one stdio stream; log_dpdk_attach gives
 * it a stream whose every line becomes a log_write line in dpcache's format, at the Redis level
 * of the message's DPDK level:
 *   EMERG .. ERR -> warning '#'   WARNING -> notice '*'   NOTICE -> verbose '-'
 *   INFO, DEBUG  -> debug '.'
 * and a few known messages that say nothing to an operator (LOG_DPDK_NOISE, log_dpdk.c) at
 * debug.
 *
 * Thread-safety: DPDK serializes writes to its stream (stdio's lock); log_dpdk_last_error is
 * meant for the main thread after a DPDK call failed.
 */
#ifndef DP_LOG_DPDK_H
#define DP_LOG_DPDK_H

/* log_dpdk_attach: route DPDK's log stream (rte_openlog_stream) through log_write. Call before
 * rte_eal_init. 0, or -1 if the stream cannot be made (DPDK then writes to stderr). */
int log_dpdk_attach(void);

/* log_dpdk_last_error: the last DPDK message at ERR or worse ("EAL: ..."), "" if none. Used to
 * say what failed when DPDK leaves rte_errno at 0. */
const char *log_dpdk_last_error(void);

#endif
