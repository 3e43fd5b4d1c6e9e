/*
 * k8s_plan.h - the data plane's start arguments, derived from what a Kubernetes pod gets:
 * the SR-IOV device plugin's PCIDEVICE_<RESOURCE> variable and its _INFO companion, the Multus
 * network-status annotation, the container's cpuset, its hugepage and memory limits and the
 * pod's name (docs/kubernetes.md, "What dpcache-k8s derives").
 *
 * k8s_plan_make() is pure: the environment comes as an array, the system's facts as a struct
 * (k8s_facts.c reads them), the file checks through callbacks; so the unit tests run it on
 * fixtures. Everything that cannot work is refused with one message saying what to change.
 *
 * Thread-safety: no shared state; reentrant.
 */
#ifndef CTL_K8S_PLAN_H
#define CTL_K8S_PLAN_H

#include "k8s_settings.h"

#define K8S_MAX_CPUS     1024 /* CPUs of a cpuset (CPU_SETSIZE) */
#define K8S_MAX_DEVICES  64   /* PCI addresses in one PCIDEVICE_* variable */
#define K8S_MAX_ATTACH   32   /* attachments in a network-status annotation */
#define K8S_ARGV_MAX     48   /* arguments of the data plane's command line we build */
#define K8S_POD_NAME_MAX 63   /* a DNS-1123 label; the EAL file prefix */

enum k8s_hp { K8S_HP_2M, K8S_HP_1G, K8S_HP_SIZES };

/* The system's facts and the data plane's configuration; -1 marks what is unknown. */
struct k8s_facts {
    int cpus[K8S_MAX_CPUS]; /* the container's cpuset, ascending */
    int ncpus;
    long long cpu_limit_milli;              /* CFS quota in milli-CPUs; -1: none */
    long long huge_limit[K8S_HP_SIZES];     /* hugetlb cgroup limits, bytes; -1: unknown */
    long long host_hugepages[K8S_HP_SIZES]; /* the node's nr_hugepages per size; -1: unknown */
    long long mem_limit;                    /* memory cgroup limit, bytes; -1: none */
    const char *network_status;             /* the annotation's text; NULL: no file */
    /* the data plane's configuration (config file, then the extra arguments) */
    int native;          /* stack native */
    long long maxkeys;   /* default 4194304 */
    long long maxmemory; /* bytes; 0: none */
    int mtu;             /* native-mtu, default 1500 */
    /* numa_node: the NUMA node of PCI device @bdf, -1 if unknown. exists: whether @path
     * exists in the container (a VF's /dev/vfio/<group>). */
    int (*numa_node)(const char *bdf, void *arg);
    int (*exists)(const char *path, void *arg);
    void *cb_arg;
};

struct k8s_plan {
    int argc;
    char *argv[K8S_ARGV_MAX + 1]; /* dpcache, EAL args, "--", config, app args; NULL-ended */
    char store[8192];             /* the strings argv points into */
    size_t used;
    char summary[1024]; /* one line for the log: what was derived and from what */
};

/**
 * k8s_plan_make: derive the data plane's command line into @p from the settings @s, the
 * environment @env (for the PCIDEVICE_* variables) and the facts @f.
 * Returns 0, or -1 with the refusal in @err (one message: what is wrong, what to change).
 */
int k8s_plan_make(const struct k8s_settings *s, char *const *env, const struct k8s_facts *f,
                  struct k8s_plan *p, char *err, size_t errlen);

/* k8s_eal_memory_mb: MiB of EAL memory the data plane needs (its rte_hash index for
 * @maxkeys, the native stack's mbuf pools for @workers at @mtu, EAL overhead); the same
 * estimate as dpcache's own EAL arguments (common/eal_sizing.h). */
long long k8s_eal_memory_mb(long long maxkeys, int native, int workers, int mtu);

/* k8s_parse_cpulist: "0-3,8,10-11" (the kernel's list format) into @cpus (ascending,
 * deduplicated). Returns the count, or -1 if malformed or more than @max. */
int k8s_parse_cpulist(const char *s, int *cpus, int max);

/* k8s_parse_mem: "100mb", "1gb", "4096" (Redis units: k=1000, kb=1024, m, mb, g, gb) into
 * bytes. Returns 0 or -1. */
int k8s_parse_mem(const char *s, long long *out);

#endif
