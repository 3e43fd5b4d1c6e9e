/*
 * test_k8s.c - unit tests of dpcache-k8s's derivation (control/k8s_plan.c, k8s_facts.c,
 * k8s_settings.c) on fixtures of what a pod really gets: the SR-IOV device plugin's
 * PCIDEVICE_* variables and their _INFO companions, Multus network-status annotations with one
 * and two attachments (tests/k8s/fixtures), cpusets, CPU quotas, hugepage and memory limits,
 * address maps and ranges; every refusal is checked for its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k8s_facts.h"
#include "k8s_plan.h"
#include "k8s_settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024LL * 1024)
#define GIB (1024 * MIB)

/* ---- fixtures --------------------------------------------------------------------------- */

static char *fixture(const char *name)
{
    char path[1024];
    FILE *fp;
    long n;
    char *buf;

    snprintf(path, sizeof(path), "%s/%s", K8S_FIXTURES, name);
    fp = fopen(path, "r");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* An environment: "NAME=value" strings, NULL-terminated. */
struct env {
    char *v[64];
    int n;
};

static void env_add(struct env *e, const char *s)
{
    assert_true(e->n < 63);
    e->v[e->n++] = strdup(s);
    e->v[e->n] = NULL;
}

/* The lines of a .env fixture. */
static void env_file(struct env *e, const char *name)
{
    char *text = fixture(name), *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        env_add(e, l);
    free(text);
}

static void env_free(struct env *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
    e->v[0] = NULL;
}

/* NUMA node of the fixtures' VFs: 0000:3b:* on node 0, 0000:d8:* on node 1. */
static int fake_numa(const char *bdf, void *arg)
{
    (void)arg;
    return strncmp(bdf, "0000:d8", 7) == 0 ? 1 : 0;
}

static int vfio_present = 1;
static int fake_exists(const char *path, void *arg)
{
    (void)arg;
    return vfio_present && strncmp(path, "/dev/vfio/", 10) == 0;
}

/* A Guaranteed pod on a node with the static CPU manager: 4 exclusive CPUs, 2 GiB of
 * hugepages-2Mi, 4 GiB of memory; the node has 2 MiB pages only; dpcache.conf says native,
 * maxkeys 1M, maxmemory 1 GiB. */
static void facts_default(struct k8s_facts *f)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < 4; i++)
        f->cpus[i] = 2 + i;
    f->ncpus = 4;
    f->cpu_limit_milli = 4000;
    f->huge_limit[K8S_HP_2M] = 2 * GIB;
    f->huge_limit[K8S_HP_1G] = 0;
    f->host_hugepages[K8S_HP_2M] = 2048;
    f->host_hugepages[K8S_HP_1G] = 0;
    f->mem_limit = 4 * GIB;
    f->native = 1;
    f->maxkeys = 1 << 20;
    f->maxmemory = GIB;
    f->mtu = 1500;
    f->numa_node = fake_numa;
    f->exists = fake_exists;
    vfio_present = 1;
}

/* Runs the derivation for pod @pod with @e (plus POD_NAME) and @f; returns its result. */
static int plan(struct env *e, const char *pod, struct k8s_facts *f, struct k8s_plan *p, char *err,
                size_t errlen)
{
    struct k8s_settings s;
    char buf[128];
    int rc;

    if (pod) {
        snprintf(buf, sizeof(buf), "POD_NAME=%s", pod);
        env_add(e, buf);
    }
    env_add(e, "DPCACHE_TERMINATION_LOG=");
    assert_int_equal(k8s_settings_load(&s, e->v, err, errlen), 0);
    rc = k8s_plan_make(&s, e->v, f, p, err, errlen);
    k8s_settings_free(&s);
    return rc;
}

/* The derived command line joined by spaces. */
static const char *joined(const struct k8s_plan *p)
{
    static char out[8192];
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < p->argc; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", p->argv[i]);
    return out;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("'%s' does not contain '%s'", (hay), (needle));                               \
    } while (0)

/* Expects a refusal of the plan whose message contains @needle. */
static void refused(struct env *e, const char *pod, struct k8s_facts *f, const char *needle)
{
    struct k8s_plan p;
    char err[2048];
    assert_int_equal(plan(e, pod, f, &p, err, sizeof(err)), -1);
    assert_contains(err, needle);
    env_free(e);
}

/* ---- SR-IOV ----------------------------------------------------------------------------- */

static const char *const addr_env[] = {
    "DPCACHE_ADDR_RANGE=192.0.2.10-192.0.2.40/24",
    "DPCACHE_GATEWAY=192.0.2.1",
};

/* The device plugin's variables of fixture @devices and the address settings. */
static void env_sriov(struct env *e, const char *devices)
{
    env_file(e, devices);
    for (size_t i = 0; i < sizeof(addr_env) / sizeof(addr_env[0]); i++)
        env_add(e, addr_env[i]);
}

static void test_sriov_one_vf(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048];
    long long need = k8s_eal_memory_mb(1 << 20, 1, 4, 1500);
    char want[2048];

    (void)state;
    facts_default(&f);
    f.network_status = fixture("network-status-one.json");
    env_sriov(&e, "pcidevice-one.env");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    snprintf(want, sizeof(want),
             "/usr/bin/dpcache --lcores 0@2,1@3,2@4,3@5 --file-prefix dpcache-0 --log-level "
             "lib.*:warning --in-memory --socket-mem %lld -a 0000:3b:02.1 -- "
             "/etc/dpcache/dpcache.conf --native-port 0000:3b:02.1 --native-addr 192.0.2.10/24 "
             "--native-gateway 192.0.2.1",
             need);
    assert_string_equal(joined(&p), want);
    assert_null(p.argv[p.argc]);
    assert_contains(p.summary, "4 workers on CPUs 2,3,4,5");
    assert_contains(p.summary, "VF 0000:3b:02.1 from PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK "
                               "(attachment dpcache/sriov-dpdk) on NUMA node 0");
    assert_contains(p.summary, "address 192.0.2.10/24 (DPCACHE_ADDR_RANGE ordinal 0) via "
                               "192.0.2.1");
    /* 1 M keys, 4 workers at MTU 1500: 256 + 48 MiB of index + the 512 MiB packet pool floor */
    assert_int_equal(need, 256 + 48 + 512);
    free((char *)f.network_status);
    env_free(&e);

    /* the same without the annotation: the only VF; the resource named explicitly */
    facts_default(&f);
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_SRIOV_RESOURCE=intel.com/intel_sriov_dpdk");
    assert_int_equal(plan(&e, "dpcache-3", &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "-a 0000:3b:02.1 --");
    assert_contains(joined(&p), "--native-addr 192.0.2.13/24");
    env_free(&e);
}

static void test_sriov_control_cpu_and_workers(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048];

    (void)state;
    facts_default(&f);
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_CONTROL_CPU=yes");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "--lcores 0@3,1@4,2@5 ");
    assert_contains(p.summary, "3 workers on CPUs 3,4,5 (control threads on 2)");
    env_free(&e);

    facts_default(&f);
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_WORKERS=2");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "--lcores 0@2,1@3 ");
    env_free(&e);
}

static void test_sriov_two_attachments(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048];
    long long need = k8s_eal_memory_mb(1 << 20, 1, 4, 1500);
    char want[128];

    (void)state;
    facts_default(&f);
    f.network_status = fixture("network-status-two.json");
    env_sriov(&e, "pcidevice-two.env");
    refused(&e, "dpcache-0", &f,
            "the pod has 2 VF attachments (dpcache/sriov-dpdk-a (0000:3b:02.1), "
            "dpcache/sriov-dpdk-b (0000:d8:0a.3)): set DPCACHE_NETWORK");

    /* by name, without the namespace: the second VF, on NUMA node 1 */
    env_sriov(&e, "pcidevice-two.env");
    env_add(&e, "DPCACHE_NETWORK=sriov-dpdk-b");
    assert_int_equal(plan(&e, "dpcache-1", &f, &p, err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "--socket-mem 0,%lld -a 0000:d8:0a.3 --", need);
    assert_contains(joined(&p), want);
    assert_contains(joined(&p), "--native-port 0000:d8:0a.3 --native-addr 192.0.2.11/24");
    assert_contains(p.summary, "(attachment dpcache/sriov-dpdk-b) on NUMA node 1");
    env_free(&e);

    /* by namespace/name */
    env_sriov(&e, "pcidevice-two.env");
    env_add(&e, "DPCACHE_NETWORK=dpcache/sriov-dpdk-a");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "-a 0000:3b:02.1 --");
    env_free(&e);

    /* a name the annotation does not have */
    env_sriov(&e, "pcidevice-two.env");
    env_add(&e, "DPCACHE_NETWORK=other/sriov-dpdk-a");
    refused(&e, "dpcache-0", &f, "has no attachment other/sriov-dpdk-a (it has: cbr0, ");

    /* the default network is no VF */
    env_sriov(&e, "pcidevice-two.env");
    env_add(&e, "DPCACHE_NETWORK=cbr0");
    refused(&e, "dpcache-0", &f, "the attachment cbr0 has no PCI device");

    /* an attachment whose VF is not the data plane's resource */
    env_add(&e, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=0000:3b:02.1");
    for (size_t i = 0; i < 2; i++)
        env_add(&e, addr_env[i]);
    env_add(&e, "DPCACHE_NETWORK=sriov-dpdk-b");
    refused(&e, "dpcache-0", &f,
            "the attachment dpcache/sriov-dpdk-b has the VF 0000:d8:0a.3, which is not among "
            "the VFs of PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK (0000:3b:02.1)");
    free((char *)f.network_status);

    /* two VFs and nothing to tell them apart */
    facts_default(&f);
    env_sriov(&e, "pcidevice-two.env");
    refused(&e, "dpcache-0", &f,
            "holds 2 VFs (0000:3b:02.1,0000:d8:0a.3) and no network-status annotation tells");
    f.network_status = fixture("network-status-none.json");
    env_sriov(&e, "pcidevice-two.env");
    refused(&e, "dpcache-0", &f, "the network-status annotation names none of them");
    free((char *)f.network_status);

    /* DPCACHE_NETWORK without the annotation */
    facts_default(&f);
    env_sriov(&e, "pcidevice-two.env");
    env_add(&e, "DPCACHE_NETWORK=sriov-dpdk-a");
    refused(&e, "dpcache-0", &f,
            "there is no network-status annotation at "
            "DPCACHE_NETWORK_STATUS_FILE (/etc/podinfo/network-status)");
}

static void test_sriov_refusals(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;

    (void)state;
    facts_default(&f);
    /* no VF at all */
    for (size_t i = 0; i < 2; i++)
        env_add(&e, addr_env[i]);
    refused(&e, "dpcache-0", &f,
            "no VF: the native stack (stack native in "
            "/etc/dpcache/dpcache.conf) needs a port");
    /* the resource is named but was not allocated */
    env_add(&e, "DPCACHE_SRIOV_RESOURCE=intel.com/intel_sriov_dpdk");
    refused(&e, "dpcache-0", &f,
            "no VF: the pod has no PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK variable for the "
            "resource intel.com/intel_sriov_dpdk");
    /* allocated none */
    env_add(&e, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=");
    refused(&e, "dpcache-0", &f, "no VF: PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK is empty");
    /* not a PCI address */
    env_add(&e, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=0000:3b:02");
    refused(&e, "dpcache-0", &f, "holds '0000:3b:02', not a PCI address");
    /* VFs of two resources */
    env_file(&e, "pcidevice-one.env");
    env_file(&e, "pcidevice-netdevice.env");
    refused(&e, "dpcache-0", &f,
            "several device plugin resources (PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK, "
            "PCIDEVICE_INTEL_COM_INTEL_SRIOV_NETDEVICE): set DPCACHE_SRIOV_RESOURCE");
    /* a VF left on its kernel driver */
    env_file(&e, "pcidevice-netdevice.env");
    for (size_t i = 0; i < 2; i++)
        env_add(&e, addr_env[i]);
    refused(&e, "dpcache-0", &f, "the VF 0000:3b:02.1 is not bound to vfio-pci");
    /* its VFIO group device is not in the container */
    vfio_present = 0;
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f,
            "the VF 0000:3b:02.1's VFIO group device /dev/vfio/169 is not in the container");
    vfio_present = 1;
    /* malformed annotation and _INFO */
    f.network_status = "[{\"name\": \"x\",";
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f, "the network-status annotation is not a JSON array");
    f.network_status = "{\"name\": \"x\"}";
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f, "is not a JSON array of attachments (not an array)");
    f.network_status = NULL;
    env_add(&e, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=0000:3b:02.1");
    env_add(&e, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK_INFO={\"0000:3b:02.1\":");
    refused(&e, "dpcache-0", &f, "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK_INFO is not a JSON object");
}

/* ---- CPUs ------------------------------------------------------------------------------- */

static void test_cpus(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048];

    (void)state;
    facts_default(&f);
    f.ncpus = 2;
    f.cpu_limit_milli = 2000;
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_WORKERS=2");
    env_add(&e, "DPCACHE_CONTROL_CPU=yes");
    refused(&e, "dpcache-0", &f,
            "fewer CPUs than workers: the container's cpuset is 2,3 (2 CPUs); 2 workers and a "
            "CPU for the control threads need 3");
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_WORKERS=3");
    refused(&e, "dpcache-0", &f, "3 workers need 3. Raise the container's CPU request");
    f.ncpus = 1;
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_CONTROL_CPU=yes");
    refused(&e, "dpcache-0", &f, "(1 CPU); 1 worker and a CPU for the control threads need 2");
    f.ncpus = 0;
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f, "cannot tell the container's CPUs");

    /* shared CPUs under a quota: refused for busy polling, fine for kernel sockets */
    facts_default(&f);
    f.cpu_limit_milli = 1500;
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f,
            "the CPUs are not exclusive: the container may run on 4 CPUs (2,3,4,5) but its CPU "
            "limit is 1.500");
    f.native = 0;
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    env_free(&e);
}

/* ---- memory ----------------------------------------------------------------------------- */

static void test_hugepages(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048], want[256];
    long long need = k8s_eal_memory_mb(1 << 20, 1, 4, 1500);

    (void)state;
    /* below the need */
    facts_default(&f);
    f.huge_limit[K8S_HP_2M] = 512 * MIB;
    env_sriov(&e, "pcidevice-one.env");
    snprintf(want, sizeof(want),
             "hugepages below what maxkeys needs: the data plane needs %lld MiB of EAL memory "
             "(maxkeys 1048576, 4 workers, the native stack's packet pool) and the container may "
             "use 512 MiB of hugepages-2Mi and 0 MiB of hugepages-1Gi",
             need);
    refused(&e, "dpcache-0", &f, want);
    /* none: a vfio-pci VF needs them */
    f.huge_limit[K8S_HP_2M] = 0;
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f, "(a vfio-pci VF needs hugepages)");
    /* maxkeys too large for the limit */
    facts_default(&f);
    f.maxkeys = 100000000;
    env_sriov(&e, "pcidevice-one.env");
    refused(&e, "dpcache-0", &f, "maxkeys 100000000");
    /* the downward API's limit wins over the cgroup's */
    facts_default(&f);
    f.huge_limit[K8S_HP_2M] = 0;
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_HUGEPAGES_2MI=1073741824");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(p.summary, "of hugepages-2Mi (limit 1024 MiB)");
    env_free(&e);
    /* 1 GiB pages while the node also has 2 MiB pages: --in-memory would use those too, so
     * the hugetlbfs mount of the requested size is named instead */
    facts_default(&f);
    f.huge_limit[K8S_HP_2M] = 0;
    f.huge_limit[K8S_HP_1G] = 2 * GIB;
    f.host_hugepages[K8S_HP_1G] = 8;
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_HUGE_DIR=/dev/hugepages-1Gi");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "--huge-dir /dev/hugepages-1Gi --socket-mem");
    assert_null(strstr(joined(&p), "--in-memory"));
    assert_contains(p.summary, "of hugepages-1Gi (limit 2048 MiB)");
    env_free(&e);
    /* no NUMA node known: -m */
    facts_default(&f);
    f.numa_node = NULL;
    env_sriov(&e, "pcidevice-one.env");
    env_add(&e, "DPCACHE_IN_MEMORY=no");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "--huge-dir /dev/hugepages -m %lld -a", need);
    assert_contains(joined(&p), want);
    env_free(&e);
    /* a container without a hugetlb limit (podman): the node's pages */
    facts_default(&f);
    f.huge_limit[K8S_HP_2M] = LLONG_MAX;
    f.host_hugepages[K8S_HP_2M] = 1024;
    env_sriov(&e, "pcidevice-one.env");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_contains(p.summary, "(limit 2048 MiB)");
    env_free(&e);
}

static void test_memory_limit(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;

    (void)state;
    facts_default(&f);
    f.native = 0;
    f.maxmemory = 4 * GIB;
    f.huge_limit[K8S_HP_2M] = 0;
    refused(&e, "dpcache-0", &f,
            "memory: maxmemory 4096 MiB and the EAL's 304 MiB without hugepages exceed the "
            "container's memory limit 4096 MiB");
    f.maxmemory = 5 * GIB;
    f.huge_limit[K8S_HP_2M] = 2 * GIB;
    env_sriov(&e, "pcidevice-one.env");
    f.native = 1;
    refused(&e, "dpcache-0", &f,
            "memory: maxmemory 5120 MiB exceeds the container's memory "
            "limit 4096 MiB");
    env_add(&e, "DPCACHE_MEMORY_LIMIT=bad");
    {
        struct k8s_settings s;
        char err[256];
        assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), -1);
        assert_string_equal(err, "DPCACHE_MEMORY_LIMIT 'bad': a byte count (the downward "
                                 "API's number)");
        k8s_settings_free(&s);
    }
    env_free(&e);
}

/* ---- addresses -------------------------------------------------------------------------- */

static void addr_case(const char *pod, const char *map, const char *range, const char *gw,
                      const char *want_addr, const char *want_err)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048], buf[512];

    facts_default(&f);
    env_file(&e, "pcidevice-one.env");
    if (map) {
        snprintf(buf, sizeof(buf), "DPCACHE_ADDR_MAP=%s", map);
        env_add(&e, buf);
    }
    if (range) {
        snprintf(buf, sizeof(buf), "DPCACHE_ADDR_RANGE=%s", range);
        env_add(&e, buf);
    }
    if (gw) {
        snprintf(buf, sizeof(buf), "DPCACHE_GATEWAY=%s", gw);
        env_add(&e, buf);
    }
    if (want_err) {
        refused(&e, pod, &f, want_err);
        return;
    }
    if (plan(&e, pod, &f, &p, err, sizeof(err)))
        fail_msg("refused: %s", err);
    snprintf(buf, sizeof(buf), "--native-addr %s", want_addr);
    assert_contains(joined(&p), buf);
    env_free(&e);
}

static void test_addresses(void **state)
{
    const char *map = "dpcache-0=198.51.100.7/26, dpcache-1=198.51.100.8/26";
    (void)state;
    addr_case("dpcache-1", map, NULL, NULL, "198.51.100.8/26", NULL);
    addr_case("dpcache-1", "dpcache-1=198.51.100.8/26", "192.0.2.10-192.0.2.40/24", NULL,
              "198.51.100.8/26", NULL);
    addr_case("dpcache-30", NULL, "192.0.2.10-192.0.2.40/24", NULL, "192.0.2.40/24", NULL);
    addr_case("web-7", NULL, "10.1.0.1-10.1.255.254/16", "10.1.0.1", NULL,
              "DPCACHE_GATEWAY 10.1.0.1 is inside DPCACHE_ADDR_RANGE (the address of ordinal 0)");
    addr_case("web-7", "web-1=10.1.9.9/16", "10.1.0.2-10.1.0.99/16", "10.1.9.9", NULL,
              "DPCACHE_GATEWAY 10.1.9.9 is the address DPCACHE_ADDR_MAP gives web-1");
    addr_case("web-7", NULL, "10.1.0.2-10.1.0.99/16", "10.1.0", NULL,
              "DPCACHE_GATEWAY '10.1.0' is not an IPv4 address");
    addr_case("web-7", NULL, "10.1.0.2-10.1.255.254/16", "10.1.0.1", "10.1.0.9/16", NULL);
    /* a map entry of this pod that is another pod's range address: only when that pod has no
     * entry of its own */
    addr_case("dpcache-5", "dpcache-5=192.0.2.11/24", "192.0.2.10-192.0.2.40/24", NULL, NULL,
              "address collision: DPCACHE_ADDR_MAP gives dpcache-5 the address 192.0.2.11, "
              "which DPCACHE_ADDR_RANGE gives dpcache-1");
    addr_case("dpcache-5", "dpcache-5=192.0.2.11/24 dpcache-1=192.0.2.99/24",
              "192.0.2.10-192.0.2.40/24", NULL, "192.0.2.11/24", NULL);
    addr_case("dpcache-1", "dpcache-5=192.0.2.11/24", "192.0.2.10-192.0.2.40/24", NULL, NULL,
              "address collision: DPCACHE_ADDR_RANGE gives dpcache-1 the address 192.0.2.11, "
              "which DPCACHE_ADDR_MAP gives dpcache-5");
    /* refusals */
    addr_case("dpcache-0", NULL, NULL, NULL, NULL,
              "no address for the data plane: sriov-cni ignores IPAM for a VF bound to vfio-pci");
    addr_case("dpcache-2", map, NULL, NULL, NULL,
              "no address for the pod dpcache-2: DPCACHE_ADDR_MAP has no entry for it");
    addr_case("dpcache-31", NULL, "192.0.2.10-192.0.2.40/24", NULL, NULL,
              "DPCACHE_ADDR_RANGE 192.0.2.10-192.0.2.40 holds 31 pods (ordinals 0-30)");
    addr_case("dpcache-abc", NULL, "192.0.2.10-192.0.2.40/24", NULL, NULL,
              "its name has no StatefulSet ordinal");
    addr_case("dpcache-0", "dpcache-0=192.0.2.5/24 dpcache-1=192.0.2.5/24", NULL, NULL, NULL,
              "DPCACHE_ADDR_MAP gives the address 192.0.2.5 to both dpcache-0 and dpcache-1");
    addr_case("dpcache-0", "dpcache-0=192.0.2.5/24 dpcache-0=192.0.2.6/24", NULL, NULL, NULL,
              "DPCACHE_ADDR_MAP names the pod dpcache-0 twice");
    addr_case("dpcache-0", "dpcache-0=192.0.2.5", NULL, NULL, NULL,
              "DPCACHE_ADDR_MAP: 'dpcache-0=192.0.2.5' is not pod=a.b.c.d/len");
    addr_case("dpcache-0", "dpcache-0=192.0.2.0/24", NULL, NULL, NULL,
              "which is its network's own or broadcast address");
    addr_case("dpcache-0", NULL, "192.0.2.10-192.0.3.40/24", NULL, NULL,
              "first and last must be host addresses of one network (192.0.2.0/24)");
    addr_case("dpcache-0", NULL, "192.0.2.40-192.0.2.10/24", NULL, NULL, "first <= last");
    addr_case("dpcache-0", NULL, "192.0.2.10/24", NULL, NULL, "is not first-last/len");
    addr_case("dpcache-0", NULL, "192.0.2.10-192.0.2.40/24", "198.51.100.1", NULL,
              "DPCACHE_GATEWAY '198.51.100.1' must be another host address of the data "
              "plane's network (192.0.2.10/24)");
    addr_case("dpcache-0", NULL, "192.0.2.10-192.0.2.40/24", "192.0.2.10", NULL,
              "DPCACHE_GATEWAY 192.0.2.10 is inside DPCACHE_ADDR_RANGE");
    addr_case("dpcache-0", "dpcache-0=192.0.2.10/24", NULL, "192.0.2.10", NULL,
              "DPCACHE_GATEWAY 192.0.2.10 is the address DPCACHE_ADDR_MAP gives dpcache-0");
}

/* ---- posix, af_packet, pod name, settings ---------------------------------------------- */

static void test_posix_and_af_packet(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    char err[2048], want[512];

    (void)state;
    /* posix on an ordinary node: no hugepages, no devices; 2 shared CPUs under a quota */
    facts_default(&f);
    f.native = 0;
    f.ncpus = 2;
    f.cpus[0] = 0;
    f.cpus[1] = 1;
    f.cpu_limit_milli = 1000;
    f.huge_limit[K8S_HP_2M] = -1;
    f.maxkeys = 1 << 16;
    f.maxmemory = 64 * MIB;
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_string_equal(joined(&p),
                        "/usr/bin/dpcache --lcores 0@0,1@1 --file-prefix dpcache-0 --log-level "
                        "lib.*:warning --no-huge -m 259 --no-pci -- "
                        "/etc/dpcache/dpcache.conf");
    assert_contains(p.summary, "posix stack, 2 workers on CPUs 0,1, 259 MiB without hugepages");
    env_free(&e);
    /* the Secret's password reaches dpcache as requirepass, and not the log line */
    env_add(&e, "DPCACHE_PASSWORD=s3cret pass");
    assert_int_equal(plan(&e, "dpcache-0", &f, &p, err, sizeof(err)), 0);
    assert_string_equal(p.argv[p.argc - 2], "--requirepass");
    assert_string_equal(p.argv[p.argc - 1], "s3cret pass");
    assert_null(strstr(p.summary, "s3cret"));
    env_free(&e);

    /* the native stack on a secondary interface through net_af_packet */
    facts_default(&f);
    f.huge_limit[K8S_HP_2M] = 0;
    env_add(&e, "DPCACHE_NATIVE_IFACE=net1");
    env_add(&e, "DPCACHE_ADDR_MAP=cache-a=10.20.0.5/24");
    env_add(&e, "DPCACHE_CONFIG=/cfg/d.conf");
    env_add(&e, "DPCACHE_BIN=/opt/dpcache");
    env_add(&e, "DPCACHE_IN_MEMORY=no");
    assert_int_equal(plan(&e, "cache-a", &f, &p, err, sizeof(err)), 0);
    snprintf(want, sizeof(want),
             "/opt/dpcache --lcores 0@2,1@3,2@4,3@5 --file-prefix cache-a --log-level "
             "lib.*:warning --no-huge -m %lld --vdev net_af_packet0,iface=net1 --no-pci -- "
             "/cfg/d.conf --native-port net_af_packet0,iface=net1 --native-addr 10.20.0.5/24",
             k8s_eal_memory_mb(1 << 20, 1, 4, 1500));
    assert_string_equal(joined(&p), want);
    assert_contains(p.summary, "net_af_packet on net1, address 10.20.0.5/24 (DPCACHE_ADDR_MAP)");
    env_free(&e);
}

static void test_pod_name_and_settings(void **state)
{
    struct env e = { 0 };
    struct k8s_facts f;
    struct k8s_plan p;
    struct k8s_settings s;
    char err[2048];

    (void)state;
    facts_default(&f);
    f.native = 0;
    refused(&e, NULL, &f, "no pod name: set POD_NAME from the downward API");
    refused(&e, "Dpcache_0", &f, "POD_NAME 'Dpcache_0' is not a pod name");
    /* HOSTNAME when POD_NAME is not set (a pod's hostname is its name) */
    env_add(&e, "HOSTNAME=dpcache-4");
    assert_int_equal(plan(&e, NULL, &f, &p, err, sizeof(err)), 0);
    assert_contains(joined(&p), "--file-prefix dpcache-4 ");
    env_free(&e);

    env_add(&e, "DPCACHE_WORKERS=abc");
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), -1);
    assert_string_equal(err, "DPCACHE_WORKERS 'abc': an integer from 0 to 128");
    k8s_settings_free(&s);
    env_free(&e);
    env_add(&e, "DPCACHE_WORKERS=129");
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), -1);
    k8s_settings_free(&s);
    env_free(&e);
    env_add(&e, "DPCACHE_CONTROL_CPU=maybe");
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), -1);
    assert_string_equal(err, "DPCACHE_CONTROL_CPU 'maybe': yes or no");
    k8s_settings_free(&s);
    env_free(&e);
    /* defaults */
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    assert_string_equal(s.config, "/etc/dpcache/dpcache.conf");
    assert_int_equal(s.huge_2m, -1);
    assert_int_equal(s.in_memory, 1);
    assert_int_equal(s.control_cpu, 0);
    k8s_settings_free(&s);
}

/* ---- parsers and the facts read from files ----------------------------------------------- */

static void test_parsers(void **state)
{
    int cpus[K8S_MAX_CPUS];
    long long v;

    (void)state;
    assert_int_equal(k8s_parse_cpulist("0-3,8,10-11\n", cpus, K8S_MAX_CPUS), 7);
    assert_int_equal(cpus[4], 8);
    assert_int_equal(cpus[6], 11);
    assert_int_equal(k8s_parse_cpulist("5,1,1,3-4", cpus, K8S_MAX_CPUS), 4);
    assert_int_equal(cpus[0], 1);
    assert_int_equal(cpus[3], 5);
    assert_int_equal(k8s_parse_cpulist("0-1023", cpus, K8S_MAX_CPUS), 1024);
    assert_int_equal(k8s_parse_cpulist("0-3", cpus, 3), -1);
    assert_int_equal(k8s_parse_cpulist("1-", cpus, K8S_MAX_CPUS), -1);
    assert_int_equal(k8s_parse_cpulist("5-2", cpus, K8S_MAX_CPUS), -1);
    assert_int_equal(k8s_parse_cpulist("a", cpus, K8S_MAX_CPUS), -1);
    assert_int_equal(k8s_parse_cpulist("1024", cpus, K8S_MAX_CPUS), -1);
    assert_int_equal(k8s_parse_cpulist("", cpus, K8S_MAX_CPUS), 0);
    assert_int_equal(k8s_parse_mem("100mb", &v), 0);
    assert_int_equal(v, 100 * MIB);
    assert_int_equal(k8s_parse_mem("2GB", &v), 0);
    assert_int_equal(v, 2 * GIB);
    assert_int_equal(k8s_parse_mem("3k", &v), 0);
    assert_int_equal(v, 3000);
    assert_int_equal(k8s_parse_mem("12", &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(k8s_parse_mem("1tb", &v), -1);
    assert_int_equal(k8s_parse_mem("-1", &v), -1);
    assert_int_equal(k8s_parse_mem("99999999999999gb", &v), -1);
}

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[1024], cmd[1200];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* k8s_facts_read on cgroup v2 and v1 trees, sysfs and a config file laid out in a temporary
 * directory, as a container sees them. */
static void test_facts_files(void **state)
{
    char dir[] = "/tmp/dpcache-k8s-XXXXXX", buf[1100], cmd[1100];
    struct env e = { 0 };
    struct k8s_settings s;
    struct k8s_facts f;
    char err[1024];
    char *args[] = { "--maxkeys", "3000000", "--port", "7000" };

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "v2/cpuset.cpus.effective", "0\n");
    write_file(dir, "v2/cpu.max", "400000 100000\n");
    write_file(dir, "v2/hugetlb.2MB.max", "2147483648\n");
    write_file(dir, "v2/hugetlb.1GB.max", "0\n");
    write_file(dir, "v2/memory.max", "max\n");
    write_file(dir, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "1024\n");
    write_file(dir, "sys/bus/pci/devices/0000:3b:02.1/numa_node", "1\n");
    write_file(dir, "dpcache.conf",
               "# dpcache\nstack native\nmaxkeys 2000000\nmaxmemory \"1gb\"\n"
               "native-mtu 9000\nbind 0.0.0.0\n");
    write_file(dir, "status", "");
    snprintf(buf, sizeof(buf), "DPCACHE_CGROUP_ROOT=%s/v2", dir);
    env_add(&e, buf);
    snprintf(buf, sizeof(buf), "DPCACHE_SYSFS=%s/sys", dir);
    env_add(&e, buf);
    snprintf(buf, sizeof(buf), "DPCACHE_CONFIG=%s/dpcache.conf", dir);
    env_add(&e, buf);
    snprintf(buf, sizeof(buf), "DPCACHE_NETWORK_STATUS_FILE=%s/status", dir);
    env_add(&e, buf);
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    if (k8s_facts_read(&f, &s, 4, args, err, sizeof(err)))
        fail_msg("%s", err);
    assert_int_equal(f.ncpus, 1);
    assert_int_equal(f.cpus[0], 0);
    assert_int_equal(f.cpu_limit_milli, 4000);
    assert_int_equal(f.huge_limit[K8S_HP_2M], 2 * GIB);
    assert_int_equal(f.huge_limit[K8S_HP_1G], 0);
    assert_true(f.mem_limit == LLONG_MAX);
    assert_int_equal(f.host_hugepages[K8S_HP_2M], 1024);
    assert_int_equal(f.host_hugepages[K8S_HP_1G], 0);
    assert_int_equal(f.numa_node("0000:3b:02.1", f.cb_arg), 1);
    assert_int_equal(f.numa_node("0000:3b:02.2", f.cb_arg), -1);
    assert_null(f.network_status); /* an empty file: no annotation */
    assert_int_equal(f.native, 1);
    assert_int_equal(f.maxkeys, 3000000); /* the argument wins over the file */
    assert_int_equal(f.maxmemory, GIB);
    assert_int_equal(f.mtu, 9000);
    k8s_facts_free(&f);
    k8s_settings_free(&s);
    env_free(&e);

    /* cgroup v1: one mount per controller, "unlimited" as a huge number */
    write_file(dir, "v1/cpuset/cpuset.cpus", "0\n");
    write_file(dir, "v1/cpu,cpuacct/cpu.cfs_quota_us", "150000\n");
    write_file(dir, "v1/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    write_file(dir, "v1/hugetlb/hugetlb.2MB.limit_in_bytes", "1073741824\n");
    write_file(dir, "v1/hugetlb/hugetlb.1GB.limit_in_bytes", "9223372036854771712\n");
    write_file(dir, "v1/memory/memory.limit_in_bytes", "2147483648\n");
    write_file(dir, "status", "[]");
    write_file(dir, "bad.conf", "stack native\nmaxkeys lots\n");
    snprintf(buf, sizeof(buf), "DPCACHE_CGROUP_ROOT=%s/v1", dir);
    env_add(&e, buf);
    snprintf(buf, sizeof(buf), "DPCACHE_CONFIG=%s/dpcache.conf", dir);
    env_add(&e, buf);
    snprintf(buf, sizeof(buf), "DPCACHE_NETWORK_STATUS_FILE=%s/status", dir);
    env_add(&e, buf);
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    assert_int_equal(k8s_facts_read(&f, &s, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(f.ncpus, 1);
    assert_int_equal(f.cpu_limit_milli, 1500);
    assert_int_equal(f.huge_limit[K8S_HP_2M], GIB);
    assert_true(f.huge_limit[K8S_HP_1G] == LLONG_MAX);
    assert_int_equal(f.mem_limit, 2 * GIB);
    assert_string_equal(f.network_status, "[]");
    k8s_facts_free(&f);
    k8s_settings_free(&s);
    env_free(&e);

    /* refusals: a bad config value, a missing config file, a bad argument */
    snprintf(buf, sizeof(buf), "DPCACHE_CONFIG=%s/bad.conf", dir);
    env_add(&e, buf);
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    assert_int_equal(k8s_facts_read(&f, &s, 0, NULL, err, sizeof(err)), -1);
    assert_contains(err, "bad.conf:2: maxkeys 'lots': a positive integer");
    k8s_facts_free(&f);
    k8s_settings_free(&s);
    env_free(&e);
    env_add(&e, "DPCACHE_CONFIG=/nonexistent/dpcache.conf");
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    assert_int_equal(k8s_facts_read(&f, &s, 0, NULL, err, sizeof(err)), -1);
    assert_contains(err, "cannot read the data plane's config file /nonexistent/dpcache.conf "
                         "(DPCACHE_CONFIG): No such file or directory");
    k8s_facts_free(&f);
    k8s_settings_free(&s);
    env_free(&e);
    snprintf(buf, sizeof(buf), "DPCACHE_CONFIG=%s/dpcache.conf", dir);
    env_add(&e, buf);
    assert_int_equal(k8s_settings_load(&s, e.v, err, sizeof(err)), 0);
    {
        char *bad[] = { "--stack", "dpdk" };
        assert_int_equal(k8s_facts_read(&f, &s, 2, bad, err, sizeof(err)), -1);
        assert_contains(err, "stack 'dpdk': native or posix");
    }
    k8s_facts_free(&f);
    k8s_settings_free(&s);
    env_free(&e);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sriov_one_vf),
        cmocka_unit_test(test_sriov_control_cpu_and_workers),
        cmocka_unit_test(test_sriov_two_attachments),
        cmocka_unit_test(test_sriov_refusals),
        cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_hugepages),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_posix_and_af_packet),
        cmocka_unit_test(test_pod_name_and_settings),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_facts_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
