/*
 * k8s_facts.c - the container's CPUs, limits and files for the derivation (k8s_facts.h).
 *
 * cgroup paths: the container's cgroup is where its controller hierarchy is mounted (cgroup
 * namespaces, v2) or, on cgroup v1 without a namespace, the path /proc/self/cgroup names below
 * that mount; both are tried. A file that cannot be read leaves its fact unknown (-1).
 */
#include "k8s_facts.h"

#include "cliargs/cliargs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define UNLIMITED_V1 (1LL << 62) /* v1 "no limit" is PAGE_COUNTER_MAX pages: above this */

/* Reads a small file into @buf; 0 or -1. */
static int read_small(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "r");
    size_t n;

    if (!fp)
        return -1;
    n = fread(buf, 1, len - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return 0;
}

/* Whether the controller list @ctls ("cpu,cpuacct") of a /proc/self/cgroup line holds @ctl
 * (a v1 mount name such as "cpu,cpuacct" matches its own list too); "" matches v2's line. */
static int ctl_match(const char *ctls, const char *ctl)
{
    char buf[256], *save = NULL;

    if (!*ctl || !strcmp(ctls, ctl))
        return !strcmp(ctls, ctl);
    snprintf(buf, sizeof(buf), "%s", ctls);
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (!strcmp(w, ctl))
            return 1;
    return 0;
}

/* The cgroup path of this process for controller @ctl ("" for v2), from /proc/self/cgroup;
 * "" for the root. */
static void self_cgroup(const char *ctl, char *out, size_t len)
{
    char line[1024];
    FILE *fp = fopen("/proc/self/cgroup", "r");

    out[0] = '\0';
    if (!fp)
        return;
    while (fgets(line, sizeof(line), fp)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        if (ctl_match(c1 + 1, ctl)) {
            snprintf(out, len, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
            break;
        }
    }
    fclose(fp);
}

/* Reads @file of controller @ctl (v1 mount name, or NULL for v2) into @buf. */
static int cg_read(const char *root, const char *ctl, const char *file, char *buf, size_t len)
{
    char path[2048], own[1024];

    self_cgroup(ctl ? ctl : "", own, sizeof(own));
    if (own[0]) {
        snprintf(path, sizeof(path), "%s%s%s%s/%s", root, ctl ? "/" : "", ctl ? ctl : "", own,
                 file);
        if (read_small(path, buf, len) == 0)
            return 0;
    }
    snprintf(path, sizeof(path), "%s%s%s/%s", root, ctl ? "/" : "", ctl ? ctl : "", file);
    return read_small(path, buf, len);
}

/* "max" or a number; v1's huge "unlimited" numbers become LLONG_MAX. -1 if unreadable. */
static long long cg_limit(const char *root, const char *ctl, const char *file)
{
    char buf[64], *end;
    long long v;

    if (cg_read(root, ctl, file, buf, sizeof(buf)))
        return -1;
    if (!strncmp(buf, "max", 3))
        return LLONG_MAX;
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || end == buf)
        return -1;
    if (v >= UNLIMITED_V1 || v < 0)
        return LLONG_MAX;
    return v;
}

static void read_cpus(struct k8s_facts *f, const struct k8s_settings *s)
{
    cpu_set_t set;
    char buf[4096];
    int cg[K8S_MAX_CPUS], ncg = -1;

    if (cg_read(s->cgroup_root, NULL, "cpuset.cpus.effective", buf, sizeof(buf)) == 0 ||
        cg_read(s->cgroup_root, "cpuset", "cpuset.effective_cpus", buf, sizeof(buf)) == 0 ||
        cg_read(s->cgroup_root, "cpuset", "cpuset.cpus", buf, sizeof(buf)) == 0)
        ncg = k8s_parse_cpulist(buf, cg, K8S_MAX_CPUS);
    f->ncpus = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int c = 0; c < K8S_MAX_CPUS && c < CPU_SETSIZE; c++) {
            int in_cg = ncg <= 0;
            for (int i = 0; i < ncg && !in_cg; i++)
                in_cg = cg[i] == c;
            if (CPU_ISSET(c, &set) && in_cg)
                f->cpus[f->ncpus++] = c;
        }
    } else if (ncg > 0) {
        memcpy(f->cpus, cg, sizeof(int) * (size_t)ncg);
        f->ncpus = ncg;
    }
}

static void read_limits(struct k8s_facts *f, const struct k8s_settings *s)
{
    static const char *const hv2[K8S_HP_SIZES] = { "hugetlb.2MB.max", "hugetlb.1GB.max" };
    static const char *const hv1[K8S_HP_SIZES] = { "hugetlb.2MB.limit_in_bytes",
                                                   "hugetlb.1GB.limit_in_bytes" };
    static const char *const sz[K8S_HP_SIZES] = { "2048kB", "1048576kB" };
    char buf[256], path[1024];
    long long quota, period;

    /* CPU quota: v2 cpu.max "quota period" or "max period"; v1 cfs_quota_us/cfs_period_us */
    f->cpu_limit_milli = -1;
    if (cg_read(s->cgroup_root, NULL, "cpu.max", buf, sizeof(buf)) == 0) {
        if (strncmp(buf, "max", 3) && sscanf(buf, "%lld %lld", &quota, &period) == 2 && period > 0)
            f->cpu_limit_milli = quota * 1000 / period;
    } else {
        const char *ctl =
            cg_limit(s->cgroup_root, "cpu", "cpu.cfs_period_us") > 0 ? "cpu" : "cpu,cpuacct";
        quota = cg_limit(s->cgroup_root, ctl, "cpu.cfs_quota_us");
        period = cg_limit(s->cgroup_root, ctl, "cpu.cfs_period_us");
        if (quota > 0 && quota != LLONG_MAX && period > 0 && period != LLONG_MAX)
            f->cpu_limit_milli = quota * 1000 / period;
    }
    for (int i = 0; i < K8S_HP_SIZES; i++) {
        f->huge_limit[i] = cg_limit(s->cgroup_root, NULL, hv2[i]);
        if (f->huge_limit[i] < 0)
            f->huge_limit[i] = cg_limit(s->cgroup_root, "hugetlb", hv1[i]);
        snprintf(path, sizeof(path), "%s/kernel/mm/hugepages/hugepages-%s/nr_hugepages", s->sysfs,
                 sz[i]);
        if (read_small(path, buf, sizeof(buf)) == 0) {
            f->host_hugepages[i] = strtoll(buf, NULL, 10);
        } else {
            snprintf(path, sizeof(path), "%s/kernel/mm/hugepages", s->sysfs);
            f->host_hugepages[i] = access(path, F_OK) == 0 ? 0 : -1;
        }
    }
    f->mem_limit = cg_limit(s->cgroup_root, NULL, "memory.max");
    if (f->mem_limit < 0)
        f->mem_limit = cg_limit(s->cgroup_root, "memory", "memory.limit_in_bytes");
}

static int sysfs_numa(const char *bdf, void *arg)
{
    const struct k8s_settings *s = arg;
    char path[1024], buf[32];

    snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/numa_node", s->sysfs, bdf);
    if (read_small(path, buf, sizeof(buf)))
        return -1;
    return atoi(buf);
}

static int path_exists(const char *path, void *arg)
{
    (void)arg;
    return access(path, F_OK) == 0;
}

int k8s_facts_config(struct k8s_facts *f, const char *name, const char *value, char *err,
                     size_t errlen)
{
    char *end;
    long long v;

    if (!strcasecmp(name, "stack")) {
        if (strcasecmp(value, "native") && strcasecmp(value, "posix")) {
            snprintf(err, errlen, "stack '%s': native or posix", value);
            return -1;
        }
        f->native = !strcasecmp(value, "native");
    } else if (!strcasecmp(name, "maxkeys") || !strcasecmp(name, "native-mtu")) {
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < 1 || v > (1LL << 40)) {
            snprintf(err, errlen, "%s '%s': a positive integer", name, value);
            return -1;
        }
        if (!strcasecmp(name, "maxkeys"))
            f->maxkeys = v;
        else
            f->mtu = (int)(v > 65535 ? 65535 : v);
    } else if (!strcasecmp(name, "maxmemory")) {
        if (k8s_parse_mem(value, &f->maxmemory)) {
            snprintf(err, errlen, "maxmemory '%s': bytes, with k/kb/m/mb/g/gb units", value);
            return -1;
        }
    }
    return 0;
}

/* The config file: "name value" lines ('#' comments), a value in quotes as one word. */
static int read_config(struct k8s_facts *f, const char *path, char *err, size_t errlen)
{
    char line[4096], msg[256];
    FILE *fp = fopen(path, "r");
    int ln = 0;

    if (!fp) {
        snprintf(err, errlen,
                 "cannot read the data plane's config file %s (DPCACHE_CONFIG): %s: mount the "
                 "ConfigMap's dpcache.conf there",
                 path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), fp)) {
        char *p = line, *name, *val, *e;
        ln++;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        name = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
        while (isspace((unsigned char)*p))
            p++;
        val = p;
        e = val + strlen(val);
        while (e > val && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (e - val >= 2 && (*val == '"' || *val == '\'') && e[-1] == *val) {
            e[-1] = '\0';
            val++;
        }
        if (k8s_facts_config(f, name, val, msg, sizeof(msg))) {
            snprintf(err, errlen, "%s:%d: %s", path, ln, msg);
            fclose(fp);
            return -1;
        }
    }
    fclose(fp);
    return 0;
}

int k8s_facts_read(struct k8s_facts *f, const struct k8s_settings *s, int argc, char **argv,
                   char *err, size_t errlen)
{
    char msg[256], value[CLIARGS_VALUE_MAX];
    const char *name;
    int i = 0, rc;
    FILE *fp;

    memset(f, 0, sizeof(*f));
    f->maxkeys = 4194304;
    f->mtu = 1500;
    f->numa_node = sysfs_numa;
    f->exists = path_exists;
    f->cb_arg = (void *)s;
    read_cpus(f, s);
    read_limits(f, s);
    fp = fopen(s->network_status, "r");
    if (fp) {
        char *buf = malloc(K8S_STATUS_MAX + 1);
        size_t n = buf ? fread(buf, 1, K8S_STATUS_MAX + 1, fp) : 0;
        fclose(fp);
        if (!buf || n > K8S_STATUS_MAX) {
            free(buf);
            snprintf(err, errlen, "%s (DPCACHE_NETWORK_STATUS_FILE): %s", s->network_status,
                     buf ? "larger than 64 KiB" : "out of memory");
            return -1;
        }
        buf[n] = '\0';
        /* the downward API writes an empty file when the pod has no such annotation */
        if (n == 0)
            free(buf);
        else
            f->network_status = buf;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot read %s (DPCACHE_NETWORK_STATUS_FILE): %s", s->network_status,
                 strerror(errno));
        return -1;
    }
    if (read_config(f, s->config, err, errlen))
        return -1;
    while ((rc = cliargs_next(argc, argv, &i, &name, value, sizeof(value), msg, sizeof(msg))) == 1)
        if (k8s_facts_config(f, name, value, msg, sizeof(msg))) {
            snprintf(err, errlen, "argument --%s", msg);
            return -1;
        }
    if (rc < 0) {
        snprintf(err, errlen, "the arguments for dpcache: %s", msg);
        return -1;
    }
    return 0;
}

void k8s_facts_free(struct k8s_facts *f)
{
    free((char *)f->network_status);
    f->network_status = NULL;
}
