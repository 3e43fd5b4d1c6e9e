/*
 * k8s_settings.h - dpcache-k8s's settings, declared once: environment variables, as a pod
 * spec gives them (env, envFrom a ConfigMap, the downward API).
 *
 * KS(field, "VARIABLE", type, "default", min, max, "description")
 *   type  KS_STR, KS_INT (integer in [min, max]), KS_BOOL (yes/no, true/false, 1/0),
 *         KS_BYTES (a byte count as the downward API writes it; empty: unknown).
 *
 * The table drives reading the environment, --help and the table of docs/kubernetes.md
 * (dpcache-k8s --env-markdown, checked by meson test docs.k8s_settings).
 */
#ifndef CTL_K8S_SETTINGS_H
#define CTL_K8S_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

/* Longest value read from one variable; longer values are refused with a message. */
#define K8S_VALUE_MAX 65536

/* clang-format off */
#define K8S_SETTINGS(KS) \
    KS(pod_name,        "POD_NAME",                    KS_STR,   "",  0, 0, "the pod's name (downward API fieldRef metadata.name); empty: HOSTNAME. It names the EAL file prefix and gives the StatefulSet ordinal and the DPCACHE_ADDR_MAP key") \
    KS(config,          "DPCACHE_CONFIG",              KS_STR,   "/etc/dpcache/dpcache.conf", 0, 0, "the data plane's config file (the ConfigMap's dpcache.conf): passed to dpcache; its stack, maxkeys, maxmemory and native-mtu size the derivation (arguments after -- override them)") \
    KS(bin,             "DPCACHE_BIN",                 KS_STR,   "/usr/bin/dpcache", 0, 0, "the data plane executable started with the derived arguments") \
    KS(workers,         "DPCACHE_WORKERS",             KS_INT,   "0", 0, 128, "worker lcores, one per exclusive CPU; 0: every CPU of the container's cpuset (less the control CPU)") \
    KS(control_cpu,     "DPCACHE_CONTROL_CPU",         KS_BOOL,  "no", 0, 0, "keep the cpuset's first CPU out of the workers for the data plane's control threads (control socket, telemetry, snapshot streaming)") \
    KS(resource,        "DPCACHE_SRIOV_RESOURCE",      KS_STR,   "",  0, 0, "SR-IOV device plugin resource whose VF the native stack uses (intel.com/intel_sriov_dpdk: variable PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK); empty: the pod's only PCIDEVICE_* variable") \
    KS(network,         "DPCACHE_NETWORK",             KS_STR,   "",  0, 0, "the Multus attachment (namespace/name, or name) whose VF the native stack uses; needed when the pod has two or more VFs") \
    KS(network_status,  "DPCACHE_NETWORK_STATUS_FILE", KS_STR,   "/etc/podinfo/network-status", 0, 0, "downward API file of the annotation k8s.v1.cni.cncf.io/network-status (which attachment has which PCI address); a missing file is no annotation") \
    KS(native_iface,    "DPCACHE_NATIVE_IFACE",        KS_STR,   "",  0, 0, "native stack without SR-IOV: the interface net_af_packet opens (a secondary interface whose address the kernel does not use)") \
    KS(addr_map,        "DPCACHE_ADDR_MAP",            KS_STR,   "",  0, 0, "native stack: the data plane's address per pod, 'pod=a.b.c.d/len ...' (spaces or commas); wins over DPCACHE_ADDR_RANGE") \
    KS(addr_range,      "DPCACHE_ADDR_RANGE",          KS_STR,   "",  0, 0, "native stack: 'first-last/len': the pod with StatefulSet ordinal n gets first + n") \
    KS(gateway,         "DPCACHE_GATEWAY",             KS_STR,   "",  0, 0, "native stack: the default gateway on the data plane's network (native-gateway); empty: none") \
    KS(huge_2m,         "DPCACHE_HUGEPAGES_2MI",       KS_BYTES, "",  0, 0, "the container's hugepages-2Mi limit in bytes (downward API resourceFieldRef limits.hugepages-2Mi); empty: its hugetlb cgroup limit") \
    KS(huge_1g,         "DPCACHE_HUGEPAGES_1GI",       KS_BYTES, "",  0, 0, "the container's hugepages-1Gi limit in bytes (limits.hugepages-1Gi); empty: its hugetlb cgroup limit") \
    KS(mem_limit,       "DPCACHE_MEMORY_LIMIT",        KS_BYTES, "",  0, 0, "the container's memory limit in bytes (limits.memory); empty: its memory cgroup limit") \
    KS(huge_dir,        "DPCACHE_HUGE_DIR",            KS_STR,   "/dev/hugepages", 0, 0, "hugetlbfs mount (emptyDir medium HugePages) given as --huge-dir when --in-memory does not fit") \
    KS(in_memory,       "DPCACHE_IN_MEMORY",           KS_BOOL,  "yes", 0, 0, "with hugepages, start the EAL with --in-memory (no hugetlbfs files, no shared config) where it fits: when the node has hugepages of the used size only; else --huge-dir") \
    KS(cgroup_root,     "DPCACHE_CGROUP_ROOT",         KS_STR,   "/sys/fs/cgroup", 0, 0, "where the container's cgroup (v2) or cgroup controllers (v1) are mounted") \
    KS(sysfs,           "DPCACHE_SYSFS",               KS_STR,   "/sys", 0, 0, "sysfs: a VF's NUMA node, the node's hugepages") \
    KS(password,        "DPCACHE_PASSWORD",            KS_STR,   "",  0, 0, "the default user's password (env valueFrom secretKeyRef): given to dpcache as --requirepass, never logged; empty: the config file's requirepass") \
    KS(termination_log, "DPCACHE_TERMINATION_LOG",     KS_STR,   "/dev/termination-log", 0, 0, "a refusal is also written here (the pod's terminationMessagePath: kubectl describe pod shows it); empty: not")
/* clang-format on */

enum ks_type { KS_STR, KS_INT, KS_BOOL, KS_BYTES };

struct k8s_settings {
#define KS_FIELD_KS_STR                 char *
#define KS_FIELD_KS_INT                 long long
#define KS_FIELD_KS_BOOL                int
#define KS_FIELD_KS_BYTES               long long /* -1: not given */
#define KS_FIELD(f, n, t, d, mn, mx, h) KS_FIELD_##t f;
    K8S_SETTINGS(KS_FIELD)
#undef KS_FIELD
};

/**
 * k8s_settings_load: every setting from @env ("NAME=value" strings, NULL-terminated, as
 * environ), or its default. Returns 0, or -1 with a message naming the variable in @err
 * (invalid value, value longer than K8S_VALUE_MAX, out of memory). Free with
 * k8s_settings_free() in both cases.
 */
int k8s_settings_load(struct k8s_settings *s, char *const *env, char *err, size_t errlen);
void k8s_settings_free(struct k8s_settings *s);

/* k8s_env_get: the value of @name in @env, or NULL. */
const char *k8s_env_get(char *const *env, const char *name);

/* k8s_settings_print_help / _markdown: one entry per setting (--help, docs/kubernetes.md). */
void k8s_settings_print_help(FILE *fp);
void k8s_settings_print_markdown(FILE *fp);

#endif
