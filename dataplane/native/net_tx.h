/*
 * net_tx.h - the transmit side of a core: TX buffers per port flushed every iteration, IPv4
 * output (checksums offloaded, or computed in software when the buffer is flushed), and the
 * fault injector's TX half.
 * Owning lcore only.
 */
#ifndef DP_NET_TX_H
#define DP_NET_TX_H

#include <stdint.h>

struct net_core;
struct rte_mbuf;

/* net_tx_queue: @m is a whole frame for port index @port: buffer it for this iteration's TX
 * burst (flushing early when the buffer is full). Checksums @m requests (RTE_MBUF_F_TX_*_CKSUM,
 * with l2_len and l3_len set) that the port does not offload are computed at the flush, and
 * their flags cleared: frames go to the port only through here. */
void net_tx_queue(struct net_core *nc, uint16_t port, struct rte_mbuf *m);

/* fault_apply: run the fault injector over @pkts (in place: drops, duplicates, holds one back
 * for reordering) with the rates of direction @tx (native-fault-{rx,tx}-* options, parts per
 * million, changeable with CONFIG SET; native-fault-seed seeds the generator). @pkts has room
 * for @cap packets, @n <= @cap <= NET_TX_BUF. Returns the new count (at most @cap). */
unsigned fault_apply(struct net_core *nc, int tx, struct rte_mbuf **pkts, unsigned n,
                     unsigned cap, struct rte_mbuf **held);

#endif
