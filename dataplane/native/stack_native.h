/*
 * stack_native.h - the "native" network stack: DPDK ports and dpcache's own per-core
 * ARP/IPv4/ICMP/UDP/TCP, driving the same engine as the posix stack.
 */
#ifndef DP_STACK_NATIVE_H
#define DP_STACK_NATIVE_H

/* native_eal_args: EAL arguments the native stack needs for its configured port (vdevs).
 * Fills up to @max pointers into @argv (static strings); returns how many. */
int native_eal_args(char **argv, int max);

/* native_run: bring up the port(s) and run the poll loops until srv.shutdown. 0 or -1. */
int native_run(void);

#endif
