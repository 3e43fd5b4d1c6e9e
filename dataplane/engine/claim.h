/*
 * claim.h - what one dpcache process owns alone: its service port and core ports, its control
 * socket, its native port (TAP or netdev interface, PCI device), and its DPDK file prefix.
 *
 * Each is a lock file held with a POSIX record lock for the life of the process (the kernel
 * drops it when the process ends, however it ends), taken before anything another instance
 * could be using is touched: before rte_eal_init (file prefix, TAP) and before the control
 * socket is created or a stale one removed. A second instance finds the lock held, learns the
 * holder's pid (F_GETLK) and stops with one message naming what is taken and by whom; it has
 * removed nothing.
 *
 *   port N, core port N   <lockdir>/port-N.net<netns>.lock   (ports belong to a network
 *                         namespace: the same port in two namespaces is two ports)
 *   control socket P      P.lock, next to the socket
 *   native port           <lockdir>/iface-IF.net<netns>.lock (vdev with iface=IF, the embedded
 *                         TAP dpcache0), <lockdir>/pci-ADDR.lock (PCI device)
 *   file prefix X         DPDK's own lock on <runtime>/dpdk/X/config, read to name the holder
 * <lockdir> is /var/run/dpcache for root, else $XDG_RUNTIME_DIR/dpcache or /tmp/dpcache-<uid>.
 *
 * Thread-safety: main thread only, at start (claim_*) and exit (claim_release).
 */
#ifndef DP_CLAIM_H
#define DP_CLAIM_H

#include <stddef.h>

/* claim_start: the service port, the control socket at @ctl_path, the native port @native_spec
 * (a vdev spec or PCI address; NULL for the posix stack) and the file prefix of the EAL
 * arguments @eal (@neal of them, eal[0] the program). 0, or -1 with @err holding the one-line
 * message (what is taken, the holder's pid, what to do). */
int claim_start(const char *ctl_path, const char *native_spec, char *const *eal, int neal,
                char *err, size_t errlen);

/* claim_core_ports: core ports @base .. @base + @n - 1 (none if @base <= 0). 0 or -1 (@err). */
int claim_core_ports(int base, int n, char *err, size_t errlen);

/* claim_pid_name: "<comm> " of process @pid from /proc into @out ("dpcache "), "" if
 * unreadable: for messages that say "<name>pid N". */
void claim_pid_name(long pid, char *out, size_t len);

/* claim_release: remove the lock files this process holds and drop the locks (at exit). */
void claim_release(void);

#endif
