/*
 * log_dpdk.h - DPDK's log stream through dpcache's logger (log.h).
 *
 * DPDK writes its messages (EAL, PMDs, telemetry) to one stdio stream; log_dpdk_attach gives
 * it a stream whose every line becomes a log_write line in dpcache's format, at the Redis level
 * of the message's DPDK level:
 *   EMERG .. ERR -> warning '#'   WARNING -> notice '*'   NOTICE -> verbose '-'
 *   INFO, DEBUG  -> debug '.'
 * and a few known messages that say nothing to an operator (LOG_DPDK_NOISE, log_dpdk.c) at
 * debug. What is printed to stdio's stderr (DPDK's "EAL: FATAL: ..." alerts, getopt's complaints
 * about EAL arguments) becomes warning lines too, so every line on standard error (or in the
 * log file) has dpcache's format.
 *
 * Thread-safety: DPDK serializes writes to its stream (stdio's lock); log_dpdk_mark and
 * log_dpdk_first_error are for the main thread around a DPDK call that may fail.
 */
#ifndef DP_LOG_DPDK_H
#define DP_LOG_DPDK_H

/* log_dpdk_attach: route DPDK's log stream (rte_openlog_stream) and stdio's stderr through
 * log_write. Call before rte_eal_init. 0, or -1 if the streams cannot be made (DPDK then writes
 * to stderr). */
int log_dpdk_attach(void);

/* log_dpdk_mark: forget the DPDK errors seen so far (before a call that may fail). */
void log_dpdk_mark(void);

/* log_dpdk_first_error: the first DPDK message at ERR or worse since log_dpdk_mark ("EAL: ..."),
 * "" if none: the cause, where the later errors are its consequences. Used to say what failed
 * when DPDK leaves rte_errno at 0. */
const char *log_dpdk_first_error(void);

#endif
