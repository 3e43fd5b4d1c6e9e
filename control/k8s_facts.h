/*
 * k8s_facts.h - what the container is given, read from the system for k8s_plan_make(): its
 * cpuset (sched_getaffinity and the cpuset cgroup, v1 or v2), CPU quota, hugetlb and memory
 * limits (cgroup v1 or v2), the node's hugepages and a VF's NUMA node (sysfs), the
 * network-status file, and the data plane's configuration (config file, then arguments).
 *
 * Not thread-safe (called once at start by dpcache-k8s).
 */
#ifndef CTL_K8S_FACTS_H
#define CTL_K8S_FACTS_H

#include "k8s_plan.h"

/* Largest network-status annotation read (Multus writes a few hundred bytes per attachment). */
#define K8S_STATUS_MAX 65536

/**
 * k8s_facts_read: fill @f from the system as @s says where to look, then from the data
 * plane's config file @s->config and the extra arguments @argv (--name value, as dpcache
 * takes them). Returns 0, or -1 with a message in @err (unreadable config file, invalid
 * stack/maxkeys/maxmemory/native-mtu, unreadable or oversized network-status file).
 * Free with k8s_facts_free().
 */
int k8s_facts_read(struct k8s_facts *f, const struct k8s_settings *s, int argc, char **argv,
                   char *err, size_t errlen);
void k8s_facts_free(struct k8s_facts *f);

/* k8s_facts_config_line: apply one "name value" of the data plane's configuration to @f
 * (only stack, maxkeys, maxmemory and native-mtu matter; others are ignored).
 * Returns 0, or -1 with @err. */
int k8s_facts_config(struct k8s_facts *f, const char *name, const char *value, char *err,
                     size_t errlen);

#endif
