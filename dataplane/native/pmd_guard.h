/*
 * pmd_guard.h - keep a PMD from unmapping packet memory under a polling lcore.
 *
 * DPDK's net_memif (22.11 and later) handles a peer's disconnect in the EAL interrupt thread:
 * it clears its "connected" flag and then munmap()s the shared rings and buffers at once, with
 * no synchronisation with the lcores. An lcore that is inside rte_eth_rx_burst() or
 * rte_eth_tx_burst() on that port at that moment reads unmapped memory and the process dies
 * (seen as a SIGSEGV in librte_net_memif when a load generator exits under load).
 *
 * pmd_guard interposes munmap() for the process. While armed, a munmap() called from the EAL
 * interrupt thread first waits for an RCU grace period (liburcu QSBR): every polling lcore is
 * an online urcu-qsbr reader that reports a quiescent state once per loop iteration, outside
 * any burst call. Each burst call tests the connected flag before it touches the rings and
 * buffers, so once the grace period has passed no lcore can still be using the memory. Calls
 * from any other thread, or while disarmed, go straight to the system call.
 *
 * Not covered: net_memif closes the queues' event fds before the unmap; a burst in progress on
 * a ring in interrupt mode (a peer that clears MEMIF_RING_FLAG_MASK_INT, e.g. libmemif in
 * interrupt mode) may read or write a closed fd number. DPDK peers poll.
 *
 * Thread-safety: pmd_guard_arm() from the main lcore before the workers start and after they
 * stop; munmap() from any thread. While armed, the interrupt thread (and every EAL interrupt
 * or alarm callback behind it) waits up to one iteration of the slowest lcore per unmap: no
 * lcore may block on something the interrupt thread provides.
 */
#ifndef DP_PMD_GUARD_H
#define DP_PMD_GUARD_H

#include <stdbool.h>

/* pmd_guard_arm: start (true) or stop (false) delaying the interrupt thread's unmaps. Arm
 * only while every lcore that calls rx/tx bursts is a registered urcu-qsbr reader that
 * reports quiescent states. @note (may be NULL) is called from the interrupt thread after
 * each delayed unmap with the time waited; it must be safe there (no lcore-owned state). */
void pmd_guard_arm(bool on, void (*note)(double waited_us));

/* pmd_guard_waits: how many unmaps have waited for a grace period (for tests and logs). */
unsigned long pmd_guard_waits(void);

#endif
