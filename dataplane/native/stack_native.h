/*
 * stack_native.h - the "native" network stack: DPDK ports and dpcache's own per-core
 * ARP/IPv4/ICMP/UDP/TCP, driving the same engine as the posix stack.
 */
#ifndef DP_STACK_NATIVE_H
#define DP_STACK_NATIVE_H

#include <stddef.h>

/* native_eal_args: EAL arguments the native stack needs for its configured port (vdevs).
 * Fills up to @max pointers into @argv (static strings); returns how many. */
int native_eal_args(char **argv, int max);

/* native_port_spec: the configured port (native-port), or the embedded TAP's vdev spec. */
const char *native_port_spec(void);

/* native_check_privileges: the port's driver needs capabilities this process lacks (a TAP or
 * an AF_XDP socket: CAP_NET_ADMIN; AF_PACKET: CAP_NET_RAW)? 0 if not, else -1 with @err
 * saying what to grant. Checked before the EAL starts, whose probe would fail obscurely. */
int native_check_privileges(char *err, size_t errlen);

/* native_run: bring up the port(s) and run the poll loops until srv.shutdown. 0 or -1. */
int native_run(void);

#endif
