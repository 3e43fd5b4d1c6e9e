/*
 * info.c - INFO, in redis-server 7.0's exact line format ("# Section" headers, "name:value"
 * lines, CRLF), so that redis_exporter, redis-cli and client libraries parse it unchanged.
 * Counters are summed over the workers with relaxed loads (see stats.h).
 */
#include "../core/util.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "server.h"
#include "dispatch.h"
#include "worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return;
        b->p = np;
        b->cap = cap;
    }
}

#define SUM(field)                                                                                 \
    ({                                                                                             \
        uint64_t _s = 0;                                                                           \
        for (int _i = 0; _i < srv.nworkers; _i++)                                                  \
            _s += stat_get(srv.workers[_i], field);                                                \
        _s;                                                                                        \
    })

static uint64_t peak_memory;

static void sec_server(struct sbuf *b, struct ctx *x)
{
    struct utsname u;
    uint64_t up = (x->w->now_ms - srv.start_ms) / 1000;

    uname(&u);
    sb_printf(b, "# Server\r\n");
    sb_printf(b, "redis_version:7.0.15\r\n");
    sb_printf(b, "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\n");
    sb_printf(b, "redis_build_id:dpcache-%s\r\n", DPCACHE_VERSION);
    sb_printf(b, "redis_mode:%s\r\n", srv.cfg.cluster_enabled ? "cluster" : "standalone");
    sb_printf(b, "os:%s %s %s\r\n", u.sysname, u.release, u.machine);
    sb_printf(b, "arch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\n");
    sb_printf(b, "multiplexing_api:%s\r\n", srv.cfg.stack == STACK_NATIVE ? "dpdk" : "epoll");
    sb_printf(b, "atomicvar_api:c11-builtin\r\n");
    sb_printf(b, "gcc_version:%d.%d.%d\r\n", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
    sb_printf(b, "process_id:%d\r\nprocess_supervised:no\r\n", (int)getpid());
    sb_printf(b, "run_id:%s\r\n", srv.run_id);
    sb_printf(b, "tcp_port:%lld\r\n", srv.cfg.port);
    sb_printf(b, "server_time_usec:%llu\r\n", (unsigned long long)x->w->now_us);
    sb_printf(b, "uptime_in_seconds:%llu\r\nuptime_in_days:%llu\r\n", (unsigned long long)up,
              (unsigned long long)(up / 86400));
    sb_printf(b, "hz:%lld\r\nconfigured_hz:%lld\r\n", srv.cfg.hz, srv.cfg.hz);
    sb_printf(b, "lru_clock:%llu\r\n", (unsigned long long)((x->w->now_ms / 1000) & 0xFFFFFF));
    sb_printf(b, "executable:%s\r\nconfig_file:%s\r\n", srv.executable ? srv.executable : "",
              srv.config_file ? srv.config_file : "");
    sb_printf(b, "io_threads_active:0\r\n");
    sb_printf(b, "dpcache_version:%s\r\n", DPCACHE_VERSION);
    sb_printf(b, "dpcache_stack:%s\r\n", opt_stack_names[srv.cfg.stack]);
    sb_printf(b, "dpcache_workers:%d\r\n", srv.nworkers);
    sb_printf(b, "dpcache_core_port_base:%d\r\n", srv.core_port_base);
}

static void sec_clients(struct sbuf *b)
{
    sb_printf(b, "# Clients\r\n");
    sb_printf(b, "connected_clients:%llu\r\n", (unsigned long long)SUM(connected_clients));
    sb_printf(b, "cluster_connections:0\r\n");
    sb_printf(b, "maxclients:%lld\r\n", srv.cfg.maxclients);
    sb_printf(b, "client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n");
    sb_printf(b, "blocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n");
}

uint64_t srv_used_memory(void)
{
    uint64_t used = 0;

    for (int i = 0; i < srv.nworkers; i++) {
        used += part_used(&srv.parts[i]);
        used += __atomic_load_n(&srv.workers[i]->opool.bytes, __ATOMIC_RELAXED);
    }
    return used;
}

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0, rss = 0;

    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Output chunks handed out by the workers' pools. */
static uint64_t client_buffer_bytes(void)
{
    uint64_t n = 0;

    for (int i = 0; i < srv.nworkers; i++)
        n += __atomic_load_n(&srv.workers[i]->opool.bytes, __ATOMIC_RELAXED);
    return n;
}

static void sec_memory(struct sbuf *b)
{
    uint64_t used = srv_used_memory(), rss = rss_bytes(), index = 0, data = 0, mapped = 0;
    char h1[32], h2[32], h3[32], h4[32];
    long long mm = srv.cfg.maxmemory;

    for (int i = 0; i < srv.nworkers; i++) {
        index += srv.parts[i].index_bytes;
        data += __atomic_load_n(&srv.parts[i].slab.used, __ATOMIC_RELAXED);
        mapped += __atomic_load_n(&srv.parts[i].slab.mapped, __ATOMIC_RELAXED);
    }
    if (used > peak_memory)
        peak_memory = used;
    bytes_human(h1, sizeof(h1), used);
    bytes_human(h2, sizeof(h2), rss);
    bytes_human(h3, sizeof(h3), peak_memory);
    bytes_human(h4, sizeof(h4), srv.total_mem);
    sb_printf(b, "# Memory\r\n");
    sb_printf(b, "used_memory:%llu\r\nused_memory_human:%s\r\n", (unsigned long long)used, h1);
    sb_printf(b, "used_memory_rss:%llu\r\nused_memory_rss_human:%s\r\n", (unsigned long long)rss,
              h2);
    sb_printf(b, "used_memory_peak:%llu\r\nused_memory_peak_human:%s\r\n",
              (unsigned long long)peak_memory, h3);
    sb_printf(b, "used_memory_peak_perc:%.2f%%\r\n",
              peak_memory ? 100.0 * (double)used / (double)peak_memory : 100.0);
    sb_printf(b, "used_memory_overhead:%llu\r\nused_memory_startup:0\r\n",
              (unsigned long long)(used > data ? used - data : 0));
    sb_printf(b, "used_memory_dataset:%llu\r\n", (unsigned long long)data);
    sb_printf(b, "allocator_allocated:%llu\r\nallocator_active:%llu\r\n", (unsigned long long)data,
              (unsigned long long)mapped);
    sb_printf(b, "total_system_memory:%llu\r\ntotal_system_memory_human:%s\r\n",
              (unsigned long long)srv.total_mem, h4);
    bytes_human(h1, sizeof(h1), (uint64_t)mm);
    sb_printf(b, "maxmemory:%lld\r\nmaxmemory_human:%s\r\n", mm, h1);
    sb_printf(b, "maxmemory_policy:%s\r\n", opt_policy_names[srv.cfg.maxmemory_policy]);
    sb_printf(b, "mem_fragmentation_ratio:%.2f\r\n", used ? (double)rss / (double)used : 0.0);
    sb_printf(b, "mem_fragmentation_bytes:%lld\r\n", (long long)rss - (long long)used);
    sb_printf(b, "mem_not_counted_for_evict:0\r\nmem_clients_normal:%llu\r\n",
              (unsigned long long)client_buffer_bytes());
    sb_printf(b, "mem_allocator:dpcache-slab\r\n");
    sb_printf(b, "lazyfree_pending_objects:0\r\n");
    sb_printf(b, "dpcache_index_reserved_bytes:%llu\r\n", (unsigned long long)index);
    sb_printf(b, "dpcache_slab_mapped_bytes:%llu\r\n", (unsigned long long)mapped);
}

static void sec_persistence(struct sbuf *b)
{
    const struct persist_state *ps = &srv.persist;
    uint64_t dirty = srv_dirty();

    sb_printf(b, "# Persistence\r\n");
    sb_printf(b, "loading:%d\r\nasync_loading:0\r\n", ps->loading);
    sb_printf(b, "current_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\n");
    sb_printf(b, "current_fork_perc:0.00\r\n");
    sb_printf(b, "rdb_changes_since_last_save:%llu\r\n",
              (unsigned long long)(dirty - ps->dirty_at_save));
    sb_printf(b, "rdb_bgsave_in_progress:%d\r\n", ps->bgsave_in_progress);
    sb_printf(b, "rdb_last_save_time:%llu\r\n", (unsigned long long)ps->lastsave);
    sb_printf(b, "rdb_last_bgsave_status:%s\r\n", ps->last_status_ok ? "ok" : "err");
    sb_printf(b, "rdb_last_bgsave_time_sec:%lld\r\n",
              ps->saves ? (long long)ps->last_duration_s : -1LL);
    sb_printf(b, "rdb_current_bgsave_time_sec:-1\r\n");
    sb_printf(b, "rdb_saves:%llu\r\n", (unsigned long long)ps->saves);
    sb_printf(b, "rdb_last_cow_size:0\r\n");
    sb_printf(b, "aof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n");
    sb_printf(b, "aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\n");
    sb_printf(b, "aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\naof_last_write_status:ok\r\n");
    sb_printf(b, "dpcache_control_attached:%d\r\n", ps->control_attached);
}

static void sec_stats(struct sbuf *b)
{
    uint64_t expired = 0, evicted = 0;

    for (int i = 0; i < srv.nworkers; i++) {
        expired += __atomic_load_n(&srv.parts[i].expired_keys, __ATOMIC_RELAXED);
        evicted += __atomic_load_n(&srv.parts[i].evicted_keys, __ATOMIC_RELAXED);
    }
    sb_printf(b, "# Stats\r\n");
    sb_printf(b, "total_connections_received:%llu\r\n",
              (unsigned long long)SUM(connections_received));
    sb_printf(b, "total_commands_processed:%llu\r\n", (unsigned long long)SUM(commands));
    sb_printf(b, "instantaneous_ops_per_sec:0\r\n");
    sb_printf(b, "total_net_input_bytes:%llu\r\n", (unsigned long long)SUM(net_input_bytes));
    sb_printf(b, "total_net_output_bytes:%llu\r\n", (unsigned long long)SUM(net_output_bytes));
    sb_printf(b, "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n");
    sb_printf(b, "instantaneous_input_kbps:0.00\r\ninstantaneous_output_kbps:0.00\r\n");
    sb_printf(b, "rejected_connections:%llu\r\n", (unsigned long long)SUM(rejected_connections));
    sb_printf(b, "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n");
    sb_printf(b, "expired_keys:%llu\r\n", (unsigned long long)expired);
    sb_printf(b, "expired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\n");
    sb_printf(b, "evicted_keys:%llu\r\nevicted_clients:0\r\n", (unsigned long long)evicted);
    sb_printf(b, "keyspace_hits:%llu\r\n", (unsigned long long)SUM(keyspace_hits));
    sb_printf(b, "keyspace_misses:%llu\r\n", (unsigned long long)SUM(keyspace_misses));
    sb_printf(b, "pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n");
    sb_printf(b, "latest_fork_usec:0\r\ntotal_forks:0\r\n");
    sb_printf(b, "unexpected_error_replies:0\r\n");
    sb_printf(b, "total_error_replies:%llu\r\n", (unsigned long long)SUM(errors));
    sb_printf(b, "dpcache_forwarded_batches:%llu\r\n", (unsigned long long)SUM(fwd_sent));
    sb_printf(b, "dpcache_remote_reads:%llu\r\n", (unsigned long long)SUM(remote_reads));
    sb_printf(b, "dpcache_protocol_errors:%llu\r\n", (unsigned long long)SUM(protocol_errors));
}

static void sec_replication(struct sbuf *b)
{
    sb_printf(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
    sb_printf(b, "master_failover_state:no-failover\r\n");
    sb_printf(b, "master_replid:%s\r\n", srv.run_id);
    sb_printf(b, "master_replid2:0000000000000000000000000000000000000000\r\n");
    sb_printf(b, "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n");
    sb_printf(b, "repl_backlog_size:0\r\nrepl_backlog_first_byte_offset:0\r\n");
    sb_printf(b, "repl_backlog_histlen:0\r\n");
}

static void sec_cpu(struct sbuf *b)
{
    struct rusage self;

    getrusage(RUSAGE_SELF, &self);
    sb_printf(b, "# CPU\r\n");
    sb_printf(b, "used_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
              (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
              (long)self.ru_utime.tv_usec);
    sb_printf(b, "used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n");
}

static void cmdstat_line(struct sbuf *b, int id)
{
    uint64_t calls = 0, usec = 0, rej = 0, fail = 0;

    for (int i = 0; i < srv.nworkers; i++) {
        const struct cmdstat *cs = &srv.workers[i]->cmdstat[id];
        calls += __atomic_load_n(&cs->calls, __ATOMIC_RELAXED);
        usec += cmdstat_usec(cs);
        rej += __atomic_load_n(&cs->rejected, __ATOMIC_RELAXED);
        fail += __atomic_load_n(&cs->failed, __ATOMIC_RELAXED);
    }
    if (!calls && !rej && !fail)
        return;
    sb_printf(b,
              "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
              "failed_calls=%llu\r\n",
              cmd_defs[id].name, (unsigned long long)calls, (unsigned long long)usec,
              calls ? (double)usec / (double)calls : 0.0, (unsigned long long)rej,
              (unsigned long long)fail);
}

/* As Redis 7: a container's own line (only its rejected "CLIENT" alone calls, usually
 * absent) followed by its subcommands' lines ("cmdstat_client|info"); a command renamed by
 * rename-command under its own name. */
static void sec_commandstats(struct sbuf *b)
{
    sb_printf(b, "# Commandstats\r\n");
    for (int id = 0; id < CMD_TOP_COUNT; id++) {
        if ((cmd_defs[id].flags & CMD_INTERNAL) || cmd_removed(&cmd_defs[id]))
            continue; /* as Redis: a command rename-command removed has no line */
        cmdstat_line(b, id);
        if (!(cmd_defs[id].flags & CMD_CONTAINER))
            continue;
        for (int sub = CMD_TOP_COUNT; sub < CMD_COUNT; sub++)
            if (cmd_defs[sub].parent == id)
                cmdstat_line(b, sub);
    }
}

static void sec_errorstats(struct sbuf *b)
{
    sb_printf(b, "# Errorstats\r\n");
    for (int e = 0; e < ERRC_COUNT; e++) {
        uint64_t n = 0;
        for (int i = 0; i < srv.nworkers; i++)
            n += __atomic_load_n(&srv.workers[i]->st.errstat[e], __ATOMIC_RELAXED);
        if (n)
            sb_printf(b, "errorstat_%s:count=%llu\r\n", err_code_names[e], (unsigned long long)n);
    }
}

static void sec_cluster(struct sbuf *b)
{
    sb_printf(b, "# Cluster\r\ncluster_enabled:%d\r\n", srv.cfg.cluster_enabled ? 1 : 0);
}

static void sec_keyspace(struct sbuf *b, struct ctx *x)
{
    sb_printf(b, "# Keyspace\r\n");
    for (int db = 0; db < srv.cfg.databases; db++) {
        uint64_t keys = 0, expires = 0, wexp = 0;
        double wsum = 0; /* avg * keys overflows 64 bits for far expiry times */
        for (int i = 0; i < srv.nworkers; i++) {
            struct part *p = &srv.parts[i];
            const struct part_db *d = &p->dbs[part_pdb(p, db)];
            uint64_t e = __atomic_load_n(&d->expires, __ATOMIC_RELAXED);
            uint64_t avg = __atomic_load_n(&d->avg_ttl, __ATOMIC_RELAXED);
            keys += __atomic_load_n(&d->keys, __ATOMIC_RELAXED);
            expires += e;
            if (e && avg) { /* partitions' estimates weighted by their keys with a TTL */
                wsum += (double)avg * (double)e;
                wexp += e;
            }
        }
        if (keys)
            sb_printf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=%llu\r\n", db,
                      (unsigned long long)keys, (unsigned long long)expires,
                      (unsigned long long)(wexp ? wsum / (double)wexp : 0));
    }
    (void)x;
}

static void sec_dpcache(struct sbuf *b)
{
    sb_printf(b, "# Dpcache\r\n");
    for (int i = 0; i < srv.nworkers; i++) {
        struct worker *w = srv.workers[i];
        sb_printf(b,
                  "worker%d:keys=%llu,used_memory=%llu,commands=%llu,connected_clients=%llu,"
                  "forwarded=%llu,executed_for_others=%llu,remote_reads=%llu\r\n",
                  i, (unsigned long long)__atomic_load_n(&srv.parts[i].nkeys, __ATOMIC_RELAXED),
                  (unsigned long long)part_used(&srv.parts[i]),
                  (unsigned long long)stat_get(w, commands),
                  (unsigned long long)stat_get(w, connected_clients),
                  (unsigned long long)stat_get(w, fwd_sent),
                  (unsigned long long)stat_get(w, fwd_executed),
                  (unsigned long long)stat_get(w, remote_reads));
    }
}

enum {
    S_SERVER = 1 << 0, S_CLIENTS = 1 << 1, S_MEMORY = 1 << 2, S_PERSIST = 1 << 3,
    S_STATS = 1 << 4, S_REPL = 1 << 5, S_CPU = 1 << 6, S_MODULES = 1 << 7, S_CMDSTATS = 1 << 8,
    S_ERRSTATS = 1 << 9, S_CLUSTER = 1 << 10, S_KEYSPACE = 1 << 11, S_LATENCY = 1 << 12,
    S_DPCACHE = 1 << 13,
};

#define S_DEFAULT (S_SERVER | S_CLIENTS | S_MEMORY | S_PERSIST | S_STATS | S_REPL | S_CPU | \
                   S_MODULES | S_ERRSTATS | S_CLUSTER | S_KEYSPACE)
#define S_ALL     (S_DEFAULT | S_CMDSTATS | S_LATENCY | S_DPCACHE)

static unsigned section_bit(const struct rstr *a)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        { "server", S_SERVER },
        { "clients", S_CLIENTS },
        { "memory", S_MEMORY },
        { "persistence", S_PERSIST },
        { "stats", S_STATS },
        { "replication", S_REPL },
        { "cpu", S_CPU },
        { "modules", S_MODULES },
        { "commandstats", S_CMDSTATS },
        { "errorstats", S_ERRSTATS },
        { "cluster", S_CLUSTER },
        { "keyspace", S_KEYSPACE },
        { "latencystats", S_LATENCY },
        { "dpcache", S_DPCACHE },
        { "default", S_DEFAULT },
        { "all", S_ALL },
        { "everything", S_ALL },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (arg_is(a, names[i].name))
            return names[i].bits;
    return 0;
}

int cmd_info(struct ctx *x)
{
    struct sbuf b = { 0 };
    unsigned want = 0;
    int first = 1;

    if (x->argc == 1)
        want = S_DEFAULT;
    for (int i = 1; i < x->argc; i++)
        want |= section_bit(&x->argv[i]);
#define SECTION(bit, call)                                                                         \
    if (want & (bit)) {                                                                            \
        if (!first)                                                                                \
            sb_printf(&b, "\r\n");                                                                 \
        first = 0;                                                                                 \
        call;                                                                                      \
    }
    SECTION(S_SERVER, sec_server(&b, x));
    SECTION(S_CLIENTS, sec_clients(&b));
    SECTION(S_MEMORY, sec_memory(&b));
    SECTION(S_PERSIST, sec_persistence(&b));
    SECTION(S_STATS, sec_stats(&b));
    SECTION(S_REPL, sec_replication(&b));
    SECTION(S_CPU, sec_cpu(&b));
    SECTION(S_MODULES, sb_printf(&b, "# Modules\r\n"));
    SECTION(S_CMDSTATS, sec_commandstats(&b));
    SECTION(S_ERRSTATS, sec_errorstats(&b));
    SECTION(S_LATENCY, sb_printf(&b, "# Latencystats\r\n"));
    SECTION(S_CLUSTER, sec_cluster(&b));
    SECTION(S_KEYSPACE, sec_keyspace(&b, x));
    SECTION(S_DPCACHE, sec_dpcache(&b));
#undef SECTION
    rsp_verbatim(x->out, b.p ? b.p : "", b.len, x->proto);
    free(b.p);
    return CMD_DONE;
}

uint64_t srv_dirty(void)
{
    return SUM(dirty);
}
