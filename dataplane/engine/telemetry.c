/*
 * telemetry.c - DPDK telemetry commands of the data plane (see telemetry.h).
 */
#include "telemetry.h"

#include "../store/part.h"
#include "cmd.h"
#include "server.h"
#include "dispatch.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_telemetry.h>

static telemetry_core_fn core_fn;

#define ADD(d, name, v) rte_tel_data_add_dict_u64((d), (name), (uint64_t)(v))

static int cb_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "version", DPCACHE_VERSION);
    rte_tel_data_add_dict_string(d, "redis_version", "7.0.15");
    rte_tel_data_add_dict_string(d, "stack", opt_stack_names[srv.cfg.stack]);
    rte_tel_data_add_dict_string(d, "run_id", srv.run_id);
    rte_tel_data_add_dict_string(d, "mode", srv.cfg.cluster_enabled ? "cluster" : "standalone");
    rte_tel_data_add_dict_string(d, "maxmemory_policy",
                                 opt_policy_names[srv.cfg.maxmemory_policy]);
    ADD(d, "workers", srv.nworkers);
    ADD(d, "port", srv.cfg.port);
    ADD(d, "core_port_base", srv.core_port_base);
    ADD(d, "start_time_ms", srv.start_ms);
    ADD(d, "used_memory", srv_used_memory());
    ADD(d, "maxmemory", srv.cfg.maxmemory);
    ADD(d, "maxclients", srv.cfg.maxclients);
    ADD(d, "databases", srv.cfg.databases);
    ADD(d, "maxkeys", srv.cfg.maxkeys);
    ADD(d, "loading", srv.persist.loading);
    ADD(d, "rdb_last_save_time", srv.persist.lastsave);
    ADD(d, "rdb_changes_since_last_save", srv_dirty() - srv.persist.dirty_at_save);
    ADD(d, "rdb_bgsave_in_progress", srv.persist.bgsave_in_progress);
    ADD(d, "rdb_last_bgsave_status_ok", srv.persist.last_status_ok);
    ADD(d, "rdb_saves", srv.persist.saves);
    ADD(d, "pid", (uint64_t)getpid());
    return 0;
}

static void part_figures(struct rte_tel_data *d, int i)
{
    struct part *p = &srv.parts[i];

    ADD(d, "keys", __atomic_load_n(&p->nkeys, __ATOMIC_RELAXED));
    ADD(d, "expired_keys", __atomic_load_n(&p->expired_keys, __ATOMIC_RELAXED));
    ADD(d, "evicted_keys", __atomic_load_n(&p->evicted_keys, __ATOMIC_RELAXED));
    ADD(d, "used_memory", part_used(p));
    ADD(d, "index_bytes", p->index_bytes);
}

static int cb_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
    uint64_t keys = 0, expired = 0, evicted = 0;

    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
#define M_SUM(f, k, h)                                                                             \
    {                                                                                              \
        uint64_t s = 0;                                                                            \
        for (int i = 0; i < srv.nworkers; i++)                                                     \
            s += stat_get(srv.workers[i], f);                                                      \
        ADD(d, #f, s);                                                                             \
    }
    WORKER_METRICS(M_SUM)
#undef M_SUM
    for (int i = 0; i < srv.nworkers; i++) {
        keys += __atomic_load_n(&srv.parts[i].nkeys, __ATOMIC_RELAXED);
        expired += __atomic_load_n(&srv.parts[i].expired_keys, __ATOMIC_RELAXED);
        evicted += __atomic_load_n(&srv.parts[i].evicted_keys, __ATOMIC_RELAXED);
    }
    ADD(d, "keys", keys);
    ADD(d, "expired_keys", expired);
    ADD(d, "evicted_keys", evicted);
    ADD(d, "used_memory", srv_used_memory());
    return 0;
}

static int cb_core(const char *cmd, const char *params, struct rte_tel_data *d)
{
    char *end;
    long i;

    (void)cmd;
    if (!params || !*params)
        return -1;
    i = strtol(params, &end, 10);
    if (*end || i < 0 || i >= srv.nworkers)
        return -1;
    rte_tel_data_start_dict(d);
#define M_ONE(f, k, h) ADD(d, #f, stat_get(srv.workers[i], f));
    WORKER_METRICS(M_ONE)
#undef M_ONE
    part_figures(d, (int)i);
    if (core_fn)
        core_fn((int)i, d);
    return 0;
}

/* Add command @id's counters summed over the workers to @v (calls, usec, rejected, failed). */
static void cmdstat_sum(int id, uint64_t v[4])
{
    for (int i = 0; i < srv.nworkers; i++) {
        const struct cmdstat *cs = &srv.workers[i]->cmdstat[id];
        v[0] += __atomic_load_n(&cs->calls, __ATOMIC_RELAXED);
        v[1] += cmdstat_usec(cs);
        v[2] += __atomic_load_n(&cs->rejected, __ATOMIC_RELAXED);
        v[3] += __atomic_load_n(&cs->failed, __ATOMIC_RELAXED);
    }
}

static int cb_commands(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
    for (int id = 0; id < CMD_TOP_COUNT; id++) {
        uint64_t v[4] = { 0 };
        struct rte_tel_data *a;
        if ((cmd_defs[id].flags & CMD_INTERNAL) || cmd_removed(&cmd_defs[id]))
            continue;
        cmdstat_sum(id, v);
        if (cmd_defs[id].flags & CMD_CONTAINER) /* telemetry names allow no '|': */
            for (int sub = CMD_TOP_COUNT; sub < CMD_COUNT; sub++) /* client|info in client */
                if (cmd_defs[sub].parent == id)
                    cmdstat_sum(sub, v);
        if (!v[0] && !v[2] && !v[3])
            continue;
        a = rte_tel_data_alloc();
        if (!a)
            return -1;
        rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
        for (int k = 0; k < 4; k++)
            rte_tel_data_add_array_u64(a, v[k]);
        rte_tel_data_add_dict_container(d, cmd_defs[id].name, a, 0);
    }
    return 0;
}

static int cb_errors(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
    for (int e = 0; e < ERRC_COUNT; e++) {
        uint64_t n = 0;
        for (int i = 0; i < srv.nworkers; i++)
            n += __atomic_load_n(&srv.workers[i]->st.errstat[e], __ATOMIC_RELAXED);
        if (n)
            ADD(d, err_code_names[e], n);
    }
    return 0;
}

static int cb_keyspace(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
    for (int db = 0; db < srv.cfg.databases && db < 120; db++) {
        uint64_t keys = 0, exp = 0;
        char name[32];
        for (int i = 0; i < srv.nworkers; i++) {
            struct part *p = &srv.parts[i];
            const struct part_db *pd = &p->dbs[part_pdb(p, db)];
            keys += __atomic_load_n(&pd->keys, __ATOMIC_RELAXED);
            exp += __atomic_load_n(&pd->expires, __ATOMIC_RELAXED);
        }
        if (!keys)
            continue;
        snprintf(name, sizeof(name), "db%d", db);
        ADD(d, name, keys);
        snprintf(name, sizeof(name), "db%d_expires", db);
        ADD(d, name, exp);
    }
    return 0;
}

static int cb_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
    static const char *const names[CLASS_COUNT] = { "read", "write", "other" };

    (void)cmd, (void)params;
    rte_tel_data_start_dict(d);
    for (int c = 0; c < CLASS_COUNT; c++) {
        struct rte_tel_data *a = rte_tel_data_alloc();
        if (!a)
            return -1;
        rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
        for (int b = 0; b < LAT_BUCKETS; b++) {
            uint64_t n = 0;
            for (int i = 0; i < srv.nworkers; i++)
                n += __atomic_load_n(&srv.workers[i]->st.lat[c][b], __ATOMIC_RELAXED);
            rte_tel_data_add_array_u64(a, n);
        }
        rte_tel_data_add_dict_container(d, names[c], a, 0);
    }
    return 0;
}

void telemetry_setup(telemetry_core_fn stack_fn)
{
    core_fn = stack_fn;
    rte_telemetry_register_cmd("/dpcache/info", cb_info, "dpcache instance information");
    rte_telemetry_register_cmd("/dpcache/stats", cb_stats, "Counters summed over the workers");
    rte_telemetry_register_cmd("/dpcache/core", cb_core,
                               "Counters of one worker. Parameter: worker index");
    rte_telemetry_register_cmd("/dpcache/commands", cb_commands,
                               "Per command: calls, usec, rejected, failed");
    rte_telemetry_register_cmd("/dpcache/errors", cb_errors, "Error replies by code");
    rte_telemetry_register_cmd("/dpcache/keyspace", cb_keyspace, "Keys per database");
    rte_telemetry_register_cmd("/dpcache/latency", cb_latency,
                               "Latency histogram per command class (bucket b: < 2^b us)");
}
