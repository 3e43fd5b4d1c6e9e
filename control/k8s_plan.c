/*
 * k8s_plan.c - the data plane's command line from what a Kubernetes pod gets (k8s_plan.h).
 *
 * Order of the derivation: pod name (file prefix) -> CPUs (lcores) -> port (VF from the
 * device plugin and Multus, or net_af_packet, or none for posix) -> memory (hugepages within
 * the limits, or --no-huge) -> address (DPCACHE_ADDR_MAP, DPCACHE_ADDR_RANGE) -> argv. The
 * first thing that cannot work ends it with its message.
 */
#include "k8s_plan.h"

#include "json.h"
#include "k8s_addr.h"

#include "eal_sizing.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIB (1024LL * 1024)

static const char *const hp_names[K8S_HP_SIZES] = { "hugepages-2Mi", "hugepages-1Gi" };
static const long long hp_bytes[K8S_HP_SIZES] = { 2 * MIB, 1024 * MIB };

long long k8s_eal_memory_mb(long long maxkeys, int native, int workers, int mtu)
{
    return eal_sizing_mb(maxkeys, native, workers, mtu);
}

/* ---- small parsers ---------------------------------------------------------------------- */

int k8s_parse_cpulist(const char *s, int *cpus, int max)
{
    unsigned char seen[K8S_MAX_CPUS];
    int n = 0;

    memset(seen, 0, sizeof(seen));
    while (*s == ' ' || *s == '\n')
        s++;
    while (*s && *s != '\n') {
        char *end;
        long a, b;
        errno = 0;
        a = strtol(s, &end, 10);
        if (end == s || errno || a < 0 || a >= K8S_MAX_CPUS)
            return -1;
        b = a;
        s = end;
        if (*s == '-') {
            s++;
            b = strtol(s, &end, 10);
            if (end == s || errno || b < a || b >= K8S_MAX_CPUS)
                return -1;
            s = end;
        }
        for (long c = a; c <= b; c++)
            seen[c] = 1;
        if (*s == ',')
            s++;
        else if (*s && *s != '\n')
            return -1;
    }
    for (int c = 0; c < K8S_MAX_CPUS; c++)
        if (seen[c]) {
            if (n == max)
                return -1;
            cpus[n++] = c;
        }
    return n;
}

int k8s_parse_mem(const char *s, long long *out)
{
    char *end;
    long long v, mul = 1;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0)
        return -1;
    if (!strcasecmp(end, "k"))
        mul = 1000;
    else if (!strcasecmp(end, "kb"))
        mul = 1024;
    else if (!strcasecmp(end, "m"))
        mul = 1000 * 1000;
    else if (!strcasecmp(end, "mb"))
        mul = MIB;
    else if (!strcasecmp(end, "g"))
        mul = 1000LL * 1000 * 1000;
    else if (!strcasecmp(end, "gb"))
        mul = 1024 * MIB;
    else if (*end)
        return -1;
    if (v > LLONG_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* dddd:bb:dd.f, hex digits. */
static int valid_bdf(const char *s)
{
    static const char pat[] = "hhhh:hh:hh.o";
    if (strlen(s) != sizeof(pat) - 1)
        return 0;
    for (size_t i = 0; pat[i]; i++) {
        if (pat[i] == 'h' && !isxdigit((unsigned char)s[i]))
            return 0;
        if (pat[i] == 'o' && (s[i] < '0' || s[i] > '7'))
            return 0;
        if ((pat[i] == ':' || pat[i] == '.') && s[i] != pat[i])
            return 0;
    }
    return 1;
}

/* A DNS-1123 label (a pod name: the EAL file prefix and a file name). */
static int valid_pod_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > K8S_POD_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return 0;
    return 1;
}

/* ---- the plan's argv -------------------------------------------------------------------- */

static int add(struct k8s_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add(struct k8s_plan *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->argc >= K8S_ARGV_MAX)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(p->store + p->used, sizeof(p->store) - p->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(p->store) - p->used)
        return -1;
    p->argv[p->argc++] = p->store + p->used;
    p->argv[p->argc] = NULL;
    p->used += (size_t)n + 1;
    return 0;
}

/* ---- the VF: device plugin variable, network-status, _INFO ----------------------------- */

struct attach {
    const char *name; /* "namespace/name" as Multus writes it */
    const char *pci;  /* device-info pci-address, or NULL */
};

/* PCIDEVICE_ + the resource name upper-cased, every other character an underscore (the
 * device plugin's pool_stub.go: "PCIDEVICE_" + prefix + "_" + name, '.' -> '_'). */
static void resource_var(const char *res, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "PCIDEVICE_");
    for (; *res && o + 1 < len; res++)
        out[o++] = isalnum((unsigned char)*res) ? (char)toupper((unsigned char)*res) : '_';
    out[o] = '\0';
}

static int is_device_var(const char *e, size_t *namelen)
{
    const char *eq = strchr(e, '=');
    if (strncmp(e, "PCIDEVICE_", 10) != 0 || !eq)
        return 0;
    *namelen = (size_t)(eq - e);
    return !(*namelen > 5 && strncmp(eq - 5, "_INFO", 5) == 0);
}

/* Names of the attachment: "ns/name" matches "ns/name" and "name". */
static int attach_matches(const char *full, const char *want)
{
    const char *slash = strrchr(full, '/');
    return !strcmp(full, want) || (slash && !strchr(want, '/') && !strcmp(slash + 1, want));
}

static int parse_network_status(const char *text, struct json **root, struct attach *a, int *na,
                                char *err, size_t errlen)
{
    char jerr[128] = "";

    *na = 0;
    *root = json_parse(text, strlen(text), jerr, sizeof(jerr));
    if (!*root || (*root)->type != JSON_ARR) {
        snprintf(err, errlen,
                 "the network-status annotation is not a JSON array of attachments (%s): check "
                 "the downward API item of DPCACHE_NETWORK_STATUS_FILE (fieldRef "
                 "metadata.annotations['k8s.v1.cni.cncf.io/network-status'])",
                 *root ? "not an array" : jerr);
        return -1;
    }
    for (size_t i = 0; i < (*root)->n && *na < K8S_MAX_ATTACH; i++) {
        const struct json *e = &(*root)->kids[i], *name = json_get(e, "name");
        const struct json *di = json_get(e, "device-info"), *pci = NULL, *addr = NULL;
        if (e->type != JSON_OBJ || !name || name->type != JSON_STR)
            continue;
        if (di && json_get(di, "type") && json_get(di, "type")->type == JSON_STR &&
            !strcmp(json_get(di, "type")->str, "pci"))
            pci = json_get(di, "pci");
        if (pci)
            addr = json_get(pci, "pci-address");
        a[*na].name = name->str;
        a[*na].pci = addr && addr->type == JSON_STR ? addr->str : NULL;
        (*na)++;
    }
    return 0;
}

static void list_names(const struct attach *a, int na, int pci_only, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < na && o < len; i++)
        if (!pci_only || a[i].pci)
            o += (size_t)snprintf(out + o, len - o, "%s%s%s%s%s", o ? ", " : "", a[i].name,
                                  a[i].pci ? " (" : "", a[i].pci ? a[i].pci : "",
                                  a[i].pci ? ")" : "");
    if (!out[0])
        snprintf(out, len, "none");
}

struct vf {
    char var[256];     /* the PCIDEVICE_ variable used */
    char bdf[16];      /* the chosen VF */
    char network[256]; /* its attachment, "" if not known */
    int ndev;
};

/* Picks the VF the data plane uses. Returns 1 with one, 0 when the pod has none (no
 * PCIDEVICE_* variable and no DPCACHE_SRIOV_RESOURCE), -1 refused. */
static int choose_vf(const struct k8s_settings *s, char *const *env, const struct k8s_facts *f,
                     struct vf *vf, char *err, size_t errlen)
{
    char devs[K8S_MAX_DEVICES][16], names[1024] = "", buf[1024];
    const char *val = NULL, *info;
    struct attach at[K8S_MAX_ATTACH];
    struct json *ns = NULL;
    int nd = 0, na = 0, chosen = -1, rc = -1;

    memset(vf, 0, sizeof(*vf));
    if (s->resource[0]) {
        resource_var(s->resource, vf->var, sizeof(vf->var));
        val = k8s_env_get(env, vf->var);
        if (!val) {
            snprintf(err, errlen,
                     "no VF: the pod has no %s variable for the resource %s: request %s: 1 in "
                     "the container's resources.requests and resources.limits (the SR-IOV device "
                     "plugin sets the variable when it allocates a VF; kubectl describe node "
                     "shows whether the node has one free)",
                     vf->var, s->resource, s->resource);
            return -1;
        }
    } else {
        int nvars = 0;
        size_t nl, o = 0;
        for (char *const *e = env; e && *e; e++)
            if (is_device_var(*e, &nl)) {
                if (!nvars++) {
                    snprintf(vf->var, sizeof(vf->var), "%.*s", (int)nl, *e);
                    val = *e + nl + 1;
                }
                o += (size_t)snprintf(names + o, o < sizeof(names) ? sizeof(names) - o : 0,
                                      "%s%.*s", o ? ", " : "", (int)nl, *e);
            }
        if (nvars == 0)
            return 0;
        if (nvars > 1) {
            snprintf(err, errlen,
                     "the pod has VFs of several device plugin resources (%s): set "
                     "DPCACHE_SRIOV_RESOURCE to the one the data plane uses",
                     names);
            return -1;
        }
    }
    /* the comma-separated PCI addresses */
    if (strlen(val) >= sizeof(buf)) {
        snprintf(err, errlen, "%s is longer than %zu bytes", vf->var, sizeof(buf) - 1);
        return -1;
    }
    strcpy(buf, val);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (!valid_bdf(t)) {
            snprintf(err, errlen, "%s holds '%s', not a PCI address (dddd:bb:dd.f)", vf->var, t);
            return -1;
        }
        if (nd == K8S_MAX_DEVICES) {
            snprintf(err, errlen, "%s holds more than %d PCI addresses", vf->var, K8S_MAX_DEVICES);
            return -1;
        }
        snprintf(devs[nd++], sizeof(devs[0]), "%s", t);
    }
    vf->ndev = nd;
    if (nd == 0) {
        snprintf(err, errlen,
                 "no VF: %s is empty (the device plugin allocated none): request the resource "
                 "in resources.limits",
                 vf->var);
        return -1;
    }
    if (f->network_status && parse_network_status(f->network_status, &ns, at, &na, err, errlen))
        goto out;
    if (s->network[0]) {
        int i;
        if (!f->network_status) {
            snprintf(err, errlen,
                     "DPCACHE_NETWORK names the attachment %s but there is no network-status "
                     "annotation at DPCACHE_NETWORK_STATUS_FILE (%s): mount it with the "
                     "downward API (fieldRef metadata.annotations['k8s.v1.cni.cncf.io/"
                     "network-status'])",
                     s->network, s->network_status);
            goto out;
        }
        for (i = 0; i < na && !attach_matches(at[i].name, s->network); i++)
            ;
        if (i == na) {
            list_names(at, na, 0, buf, sizeof(buf));
            snprintf(err, errlen,
                     "DPCACHE_NETWORK: the network-status annotation has no attachment %s (it "
                     "has: %s): fix DPCACHE_NETWORK or the pod's k8s.v1.cni.cncf.io/networks",
                     s->network, buf);
            goto out;
        }
        if (!at[i].pci) {
            snprintf(err, errlen,
                     "the attachment %s has no PCI device in the network-status annotation "
                     "(device-info): it is not an SR-IOV network; DPCACHE_NETWORK must name one",
                     at[i].name);
            goto out;
        }
        for (chosen = 0; chosen < nd && strcasecmp(devs[chosen], at[i].pci); chosen++)
            ;
        if (chosen == nd) {
            snprintf(err, errlen,
                     "the attachment %s has the VF %s, which is not among the VFs of %s (%s): "
                     "its NetworkAttachmentDefinition's k8s.v1.cni.cncf.io/resourceName must be "
                     "the resource the data plane requests",
                     at[i].name, at[i].pci, vf->var, val);
            goto out;
        }
        snprintf(vf->network, sizeof(vf->network), "%s", at[i].name);
    } else {
        /* the attachments whose VF is one of ours */
        int mine = 0, last = -1;
        for (int i = 0; i < na; i++)
            for (int d = 0; at[i].pci && d < nd; d++)
                if (!strcasecmp(devs[d], at[i].pci)) {
                    mine++;
                    last = i;
                    chosen = d;
                }
        if (mine > 1) {
            list_names(at, na, 1, buf, sizeof(buf));
            snprintf(err, errlen,
                     "the pod has %d VF attachments (%s): set DPCACHE_NETWORK to the one the "
                     "data plane serves on",
                     mine, buf);
            goto out;
        }
        if (mine == 1) {
            snprintf(vf->network, sizeof(vf->network), "%s", at[last].name);
        } else if (nd == 1) {
            chosen = 0;
        } else {
            snprintf(err, errlen,
                     "%s holds %d VFs (%s) and %s tells which attachment each serves: request "
                     "one VF, or mount the network-status annotation (DPCACHE_NETWORK_STATUS_FILE) "
                     "and set DPCACHE_NETWORK",
                     vf->var, nd, val,
                     f->network_status ? "the network-status annotation names none of them, so "
                                         "nothing"
                                       : "no network-status annotation");
            goto out;
        }
    }
    snprintf(vf->bdf, sizeof(vf->bdf), "%s", devs[chosen]);

    /* the _INFO companion: the VF must be bound to vfio-pci and its group device mounted */
    snprintf(buf, sizeof(buf), "%s_INFO", vf->var);
    info = k8s_env_get(env, buf);
    if (info) {
        char jerr[128] = "";
        struct json *ij = json_parse(info, strlen(info), jerr, sizeof(jerr));
        const struct json *d = NULL, *vfio, *dev;
        if (!ij || ij->type != JSON_OBJ) {
            snprintf(err, errlen, "%s_INFO is not a JSON object (%s)", vf->var,
                     ij ? "not an object" : jerr);
            json_free(ij);
            goto out;
        }
        for (size_t i = 0; i < ij->n; i++)
            if (!strcasecmp(ij->keys[i], vf->bdf))
                d = &ij->kids[i];
        if (d) {
            vfio = json_get(d, "vfio");
            dev = vfio ? json_get(vfio, "dev-mount") : NULL;
            if (!vfio) {
                snprintf(err, errlen,
                         "the VF %s is not bound to vfio-pci (%s_INFO has no vfio section): the "
                         "device plugin's resource pool must select drivers: [\"vfio-pci\"] "
                         "(dpdk-devbind.py --bind=vfio-pci on the node)",
                         vf->bdf, vf->var);
                json_free(ij);
                goto out;
            }
            if (dev && dev->type == JSON_STR && f->exists && !f->exists(dev->str, f->cb_arg)) {
                snprintf(err, errlen,
                         "the VF %s's VFIO group device %s is not in the container: the device "
                         "plugin mounts it when it allocates the VF (is the container the one "
                         "whose resources request it?)",
                         vf->bdf, dev->str);
                json_free(ij);
                goto out;
            }
        }
        json_free(ij);
    }
    rc = 1;
out:
    json_free(ns);
    return rc;
}

/* ---- memory ----------------------------------------------------------------------------- */

static long long huge_limit(const struct k8s_settings *s, const struct k8s_facts *f, int hp)
{
    long long set = hp == K8S_HP_2M ? s->huge_2m : s->huge_1g;
    long long lim = set >= 0 ? set : f->huge_limit[hp];
    /* no limit (a container outside Kubernetes): what the node has */
    if (lim == LLONG_MAX && f->host_hugepages[hp] >= 0)
        lim = f->host_hugepages[hp] * hp_bytes[hp];
    return lim < 0 ? 0 : lim;
}

/* ---- the whole derivation --------------------------------------------------------------- */

int k8s_plan_make(const struct k8s_settings *s, char *const *env, const struct k8s_facts *f,
                  struct k8s_plan *p, char *err, size_t errlen)
{
    struct vf vf;
    int have_vf = 0, reserve = s->control_cpu ? 1 : 0, workers, hp = -1, numa = -1;
    long long need, lim[K8S_HP_SIZES], mem_limit;
    char cpus[512], lcores[4096], how[96] = "", a[24] = "", g[16] = "", mem[64];
    size_t o = 0;

    memset(p, 0, sizeof(*p));
    err[0] = '\0';
    if (!s->pod_name[0]) {
        snprintf(err, errlen,
                 "no pod name: set POD_NAME from the downward API (env valueFrom fieldRef "
                 "metadata.name)");
        return -1;
    }
    if (!valid_pod_name(s->pod_name)) {
        snprintf(err, errlen,
                 "POD_NAME '%s' is not a pod name (a DNS-1123 label of at most %d characters): "
                 "it becomes the EAL file prefix",
                 s->pod_name, K8S_POD_NAME_MAX);
        return -1;
    }

    /* CPUs */
    for (int i = 0; i < f->ncpus && o < sizeof(cpus); i++)
        o += (size_t)snprintf(cpus + o, sizeof(cpus) - o, "%s%d", i ? "," : "", f->cpus[i]);
    if (f->ncpus <= 0) {
        snprintf(err, errlen,
                 "cannot tell the container's CPUs (sched_getaffinity and the cpuset cgroup "
                 "gave none)");
        return -1;
    }
    workers = s->workers ? (int)s->workers : f->ncpus - reserve;
    if (workers > 128)
        workers = 128;
    if (workers < 1 || f->ncpus < workers + reserve) {
        int w = workers < 1 ? 1 : workers;
        snprintf(err, errlen,
                 "fewer CPUs than workers: the container's cpuset is %s (%d CPU%s); %d worker%s%s "
                 "need%s %d. Raise the container's CPU request and limit (equal integers: the "
                 "static CPU manager gives that many exclusive CPUs) or lower DPCACHE_WORKERS",
                 cpus, f->ncpus, f->ncpus == 1 ? "" : "s", w, w == 1 ? "" : "s",
                 reserve ? " and a CPU for the control threads" : "", w == 1 && !reserve ? "s" : "",
                 w + reserve);
        return -1;
    }
    if (f->native && f->cpu_limit_milli > 0 && f->cpu_limit_milli < (long long)f->ncpus * 1000) {
        snprintf(err, errlen,
                 "the CPUs are not exclusive: the container may run on %d CPUs (%s) but its CPU "
                 "limit is %lld.%03lld; busy-polling workers on shared CPUs under a CFS quota "
                 "are throttled. Run a Guaranteed pod (requests = limits) with an integer CPU "
                 "count on a node whose kubelet has --cpu-manager-policy=static",
                 f->ncpus, cpus, f->cpu_limit_milli / 1000, f->cpu_limit_milli % 1000);
        return -1;
    }
    o = 0;
    for (int i = 0; i < workers; i++)
        o += (size_t)snprintf(lcores + o, sizeof(lcores) - o, "%s%d@%d", i ? "," : "", i,
                              f->cpus[reserve + i]);

    /* the port */
    if (f->native) {
        have_vf = choose_vf(s, env, f, &vf, err, errlen);
        if (have_vf < 0)
            return -1;
        if (!have_vf && !s->native_iface[0]) {
            snprintf(err, errlen,
                     "no VF: the native stack (stack native in %s) needs a port and the pod has "
                     "no PCIDEVICE_* variable: request the SR-IOV resource (the sriov overlay), "
                     "set DPCACHE_NATIVE_IFACE for net_af_packet on a secondary interface, or "
                     "use stack posix",
                     s->config);
            return -1;
        }
        if (have_vf && f->numa_node)
            numa = f->numa_node(vf.bdf, f->cb_arg);
    }

    /* memory */
    need = k8s_eal_memory_mb(f->maxkeys, f->native, workers, f->mtu);
    for (int i = 0; i < K8S_HP_SIZES; i++)
        lim[i] = huge_limit(s, f, i);
    if (lim[K8S_HP_1G] >= need * MIB)
        hp = K8S_HP_1G;
    else if (lim[K8S_HP_2M] >= need * MIB)
        hp = K8S_HP_2M;
    else if (have_vf || lim[K8S_HP_2M] > 0 || lim[K8S_HP_1G] > 0) {
        snprintf(err, errlen,
                 "hugepages below what maxkeys needs: the data plane needs %lld MiB of EAL "
                 "memory (maxkeys %lld, %d worker%s%s) and the container may use %lld MiB of "
                 "hugepages-2Mi and %lld MiB of hugepages-1Gi%s: raise resources.limits."
                 "hugepages-2Mi (or -1Gi) to %lldMi, or lower maxkeys",
                 need, f->maxkeys, workers, workers == 1 ? "" : "s",
                 f->native ? ", the native stack's packet pool" : "", lim[K8S_HP_2M] / MIB,
                 lim[K8S_HP_1G] / MIB, have_vf ? " (a vfio-pci VF needs hugepages)" : "", need);
        return -1;
    }
    mem_limit = s->mem_limit >= 0 ? s->mem_limit : f->mem_limit;
    if (mem_limit >= 0 && mem_limit != LLONG_MAX &&
        (hp < 0 ? need * MIB : 0) + f->maxmemory > mem_limit) {
        if (hp < 0)
            snprintf(err, errlen,
                     "memory: maxmemory %lld MiB and the EAL's %lld MiB without hugepages exceed "
                     "the container's memory limit %lld MiB: raise resources.limits.memory (and "
                     "requests.memory), lower maxmemory or maxkeys, or give hugepages",
                     f->maxmemory / MIB, need, mem_limit / MIB);
        else
            snprintf(err, errlen,
                     "memory: maxmemory %lld MiB exceeds the container's memory limit %lld MiB: "
                     "raise resources.limits.memory (and requests.memory) or lower maxmemory",
                     f->maxmemory / MIB, mem_limit / MIB);
        return -1;
    }

    /* the address */
    if (f->native &&
        k8s_addr_assign(s, s->pod_name, a, sizeof(a), g, sizeof(g), how, sizeof(how), err, errlen))
        return -1;

    /* argv: dpcache EAL-args -- config app-args */
    if (add(p, "%s", s->bin) || add(p, "--lcores") || add(p, "%s", lcores) ||
        add(p, "--file-prefix") || add(p, "%s", s->pod_name) || add(p, "--log-level") ||
        add(p, "lib.*:warning"))
        goto full;
    if (hp >= 0) {
        /* --in-memory fits when DPDK would find no pages of the other size (it would try to
         * use them, beyond this container's hugetlb limit) */
        long long other = f->host_hugepages[hp == K8S_HP_2M ? K8S_HP_1G : K8S_HP_2M];
        if (s->in_memory && other == 0) {
            if (add(p, "--in-memory"))
                goto full;
        } else if (add(p, "--huge-dir") || add(p, "%s", s->huge_dir)) {
            goto full;
        }
        if (numa >= 0 && numa < 64) {
            size_t mo = 0;
            for (int i = 0; i <= numa; i++)
                mo += (size_t)snprintf(mem + mo, sizeof(mem) - mo, "%s%lld", i ? "," : "",
                                       i == numa ? need : 0);
            if (add(p, "--socket-mem") || add(p, "%s", mem))
                goto full;
        } else if (add(p, "-m") || add(p, "%lld", need)) {
            goto full;
        }
    } else {
        /* --no-huge implies legacy memory, which --in-memory refuses; without hugepages the
         * EAL leaves only its runtime directory (telemetry) anyway */
        if (add(p, "--no-huge") || add(p, "-m") || add(p, "%lld", need))
            goto full;
    }
    if (have_vf) {
        if (add(p, "-a") || add(p, "%s", vf.bdf))
            goto full;
    } else if (f->native) {
        if (add(p, "--vdev") || add(p, "net_af_packet0,iface=%s", s->native_iface) ||
            add(p, "--no-pci"))
            goto full;
    } else if (add(p, "--no-pci")) {
        goto full;
    }
    if (add(p, "--") || add(p, "%s", s->config))
        goto full;
    if (f->native) {
        if (add(p, "--native-port") ||
            (have_vf ? add(p, "%s", vf.bdf) : add(p, "net_af_packet0,iface=%s", s->native_iface)) ||
            add(p, "--native-addr") || add(p, "%s", a))
            goto full;
        if (g[0] && (add(p, "--native-gateway") || add(p, "%s", g)))
            goto full;
    }
    if (s->password[0] && (add(p, "--requirepass") || add(p, "%s", s->password)))
        goto full;

    /* the summary */
    o = (size_t)snprintf(p->summary, sizeof(p->summary), "pod %s: %s stack, %d worker%s on CPU%s ",
                         s->pod_name, f->native ? "native" : "posix", workers,
                         workers == 1 ? "" : "s", workers == 1 ? "" : "s");
    for (int i = 0; i < workers && o < sizeof(p->summary); i++)
        o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o, "%s%d", i ? "," : "",
                              f->cpus[reserve + i]);
    if (reserve && o < sizeof(p->summary))
        o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o, " (control threads on %d)",
                              f->cpus[0]);
    if (o < sizeof(p->summary)) {
        if (hp >= 0)
            o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o,
                                  ", %lld MiB of %s (limit %lld MiB)", need, hp_names[hp],
                                  lim[hp] / MIB);
        else
            o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o,
                                  ", %lld MiB without hugepages", need);
    }
    if (have_vf && o < sizeof(p->summary))
        o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o, ", VF %s from %s%s%s%s",
                              vf.bdf, vf.var, vf.network[0] ? " (attachment " : "", vf.network,
                              vf.network[0] ? ")" : "");
    if (numa >= 0 && o < sizeof(p->summary))
        o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o, " on NUMA node %d", numa);
    if (f->native && !have_vf && o < sizeof(p->summary))
        o += (size_t)snprintf(p->summary + o, sizeof(p->summary) - o, ", net_af_packet on %s",
                              s->native_iface);
    if (f->native && o < sizeof(p->summary))
        snprintf(p->summary + o, sizeof(p->summary) - o, ", address %s (%s)%s%s", a, how,
                 g[0] ? " via " : "", g);
    return 0;
full:
    snprintf(err, errlen, "the data plane's command line is too long (%d arguments, %zu bytes)",
             p->argc, p->used);
    return -1;
}
