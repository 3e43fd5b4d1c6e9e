/*
 * port.h - DPDK port set-up for the native stack: queues (one RX/TX pair per worker), RSS on
 * the IPv4 TCP/UDP 4-tuple where the port supports it, checksum offloads where offered,
 * rte_flow rules steering each core port to its core where supported (software steering
 * otherwise), MTU and link. Main lcore, before the workers start.
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stddef.h>
#include <stdint.h>

struct net_port;
struct rte_mempool;

/* port_setup: bring up the DPDK port named @dev (ethdev name: vdev name such as "net_tap0" or
 * PCI address) with @nq queue pairs, filling @p (addresses must be set by the caller).
 * Returns 0, or -1 with a message for the operator in @err. */
int port_setup(struct net_port *p, const char *dev, int nq, struct rte_mempool *pool, char *err,
               size_t errlen);

/* port_check_spec: for the vdev drivers dpcache documents (net_tap, net_af_packet, net_af_xdp,
 * net_memif, net_ring, net_null), refuse arguments the driver does not take: these PMDs ignore
 * a devargs string they cannot parse, or silently fall back to defaults. @spec is the
 * native-port value. Returns 0 (also for PCI addresses and other drivers), or -1 with a
 * message for the operator in @err. */
int port_check_spec(const char *spec, char *err, size_t errlen);

/* port_steer_rules: try rte_flow rules "TCP/UDP to core port base+i -> queue i". Sets
 * p->hw_steer on success. */
void port_steer_rules(struct net_port *p, uint16_t base, int nq);

void port_stop(struct net_port *p);

#endif
