/*
 * arp.h - per-core ARP (see arp.c). Owning lcore only.
 */
#ifndef DP_ARP_H
#define DP_ARP_H

#include <stdint.h>

struct net_core;
struct net_port;
struct rte_mbuf;
struct rte_ether_addr;

/* arp_input: an ARP frame on @port (consumes @m). */
void arp_input(struct net_core *nc, struct net_port *port, struct rte_mbuf *m);

/* arp_learn: @ip is at @mac; @share: tell the other cores too. */
void arp_learn(struct net_core *nc, uint32_t ip, const struct rte_ether_addr *mac, int share);

/* arp_output: @m is a whole Ethernet frame for next hop @nh on @port: fill the destination
 * MAC and queue it, or hold it until @nh resolves (bounded; dropped beyond). */
void arp_output(struct net_core *nc, struct net_port *port, struct rte_mbuf *m, uint32_t nh);

/* arp_poll: learn from other cores, retry and expire pending resolutions. */
void arp_poll(struct net_core *nc);

/* arp_announce: gratuitous ARP for @port's address. */
void arp_announce(struct net_core *nc, struct net_port *port);

/* Element size of the ARP rings (ip + mac, padded). */
#define ARP_MSG_SIZE 12

#endif
