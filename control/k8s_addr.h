/*
 * k8s_addr.h - the data plane's address on the SR-IOV network for dpcache-k8s: sriov-cni ignores
 * IPAM for a VF bound to vfio-pci, so no address arrives with the VF; the operator gives
 * DPCACHE_ADDR_MAP ("pod=a.b.c.d/len ...", wins for the pods it names) and/or
 * DPCACHE_ADDR_RANGE ("first-last/len": StatefulSet ordinal n gets first + n), and
 * DPCACHE_GATEWAY (docs/kubernetes.md, "What dpcache-k8s derives").
 *
 * Pure; reentrant.
 */
#ifndef CTL_K8S_ADDR_H
#define CTL_K8S_ADDR_H

#include "k8s_settings.h"

#include <stddef.h>

#define K8S_MAX_MAP 4096 /* entries of DPCACHE_ADDR_MAP */

/**
 * k8s_addr_assign: the address of pod @pod into @cidr ("a.b.c.d/len") and the gateway into
 * @gw ("a.b.c.d", "" if none), with where the address came from in @how.
 * Returns 0, or -1 with the refusal in @err: no map entry nor range, no ordinal, an ordinal past
 * the range, a malformed map or range, one address for two pods (twice in the map, or a map
 * entry that is another pod's range address), a network or broadcast address, a gateway outside
 * the network, inside the range or equal to a pod's address.
 */
int k8s_addr_assign(const struct k8s_settings *s, const char *pod, char *cidr, size_t cidrlen,
                    char *gw, size_t gwlen, char *how, size_t howlen, char *err, size_t errlen);

#endif
