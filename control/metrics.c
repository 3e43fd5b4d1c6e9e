/*
 * metrics.c - the /metrics page (see metrics.h).
 */
#include "metrics.h"

#include "config.h"
#include "ctl_front.h"
#include "info.h"
#include "json.h"
#include "resp.h"
#include "state.h"
#include "telemetry.h"

#include "../dataplane/engine/stats.h"
#include "ctl_stack_metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mtype { GAUGE, COUNTER, HISTOGRAM };
static const char *const mtype_names[] = { "gauge", "counter", "histogram" };

/*
 * The metric table: M(ID, "name", type, "source", "help").
 * source: the INFO field a plain redis_* series is read from, the DPDK telemetry key of a
 * per-core or per-port series, or "" when the renderer computes it. Names, types and labels
 * of redis_* follow redis_exporter (docs/operations.md), so its dashboards and alerts work.
 * Two redis_exporter names fail `promtool check metrics` (a gauge named *_total, the unit
 * "sec"): the *_Q rows reproduce them only with metrics-exporter-quirks yes; by default
 * redis_rdb_saves_total is a counter and the duration is redis_rdb_last_bgsave_duration_seconds.
 */
/* clang-format off */
#define CTL_METRICS(M) \
    M(UP,               "redis_up",                                 GAUGE,   "",                           "Information about the Redis instance (1: the data plane answered this scrape)") \
    M(INSTANCE_INFO,    "redis_instance_info",                      GAUGE,   "",                           "Information about the Redis instance") \
    M(UPTIME,           "redis_uptime_in_seconds",                  GAUGE,   "uptime_in_seconds",          "uptime_in_seconds metric") \
    M(START_TIME,       "redis_start_time_seconds",                 GAUGE,   "",                           "Start time of the Redis instance since unix epoch in seconds.") \
    M(CONNECTED_CLIENTS,"redis_connected_clients",                  GAUGE,   "connected_clients",          "connected_clients metric") \
    M(BLOCKED_CLIENTS,  "redis_blocked_clients",                    GAUGE,   "blocked_clients",            "blocked_clients metric") \
    M(MAX_CLIENTS,      "redis_max_clients",                        GAUGE,   "maxclients",                 "maxclients metric") \
    M(CFG_MAXCLIENTS,   "redis_config_maxclients",                  GAUGE,   "",                           "config_maxclients metric") \
    M(CFG_MAXMEMORY,    "redis_config_maxmemory",                   GAUGE,   "",                           "config_maxmemory metric") \
    M(MEM_USED,         "redis_memory_used_bytes",                  GAUGE,   "used_memory",                "used_memory metric") \
    M(MEM_RSS,          "redis_memory_used_rss_bytes",              GAUGE,   "used_memory_rss",            "used_memory_rss metric") \
    M(MEM_PEAK,         "redis_memory_used_peak_bytes",             GAUGE,   "used_memory_peak",           "used_memory_peak metric") \
    M(MEM_MAX,          "redis_memory_max_bytes",                   GAUGE,   "maxmemory",                  "maxmemory metric") \
    M(MEM_FRAG,         "redis_mem_fragmentation_ratio",            GAUGE,   "mem_fragmentation_ratio",    "mem_fragmentation_ratio metric") \
    M(SYS_MEM,          "redis_total_system_memory_bytes",          GAUGE,   "total_system_memory",        "total_system_memory metric") \
    M(CMDS_PROCESSED,   "redis_commands_processed_total",           COUNTER, "total_commands_processed",   "total_commands_processed metric") \
    M(CONNS_RECEIVED,   "redis_connections_received_total",         COUNTER, "total_connections_received", "total_connections_received metric") \
    M(CONNS_REJECTED,   "redis_rejected_connections_total",         COUNTER, "rejected_connections",       "rejected_connections metric") \
    M(NET_IN,           "redis_net_input_bytes_total",              COUNTER, "total_net_input_bytes",      "total_net_input_bytes metric") \
    M(NET_OUT,          "redis_net_output_bytes_total",             COUNTER, "total_net_output_bytes",     "total_net_output_bytes metric") \
    M(HITS,             "redis_keyspace_hits_total",                COUNTER, "keyspace_hits",              "keyspace_hits metric") \
    M(MISSES,           "redis_keyspace_misses_total",              COUNTER, "keyspace_misses",            "keyspace_misses metric") \
    M(EXPIRED,          "redis_expired_keys_total",                 COUNTER, "expired_keys",               "expired_keys metric") \
    M(EVICTED,          "redis_evicted_keys_total",                 COUNTER, "evicted_keys",               "evicted_keys metric") \
    M(CPU_SYS,          "redis_cpu_sys_seconds_total",              COUNTER, "used_cpu_sys",               "used_cpu_sys metric") \
    M(CPU_USER,         "redis_cpu_user_seconds_total",             COUNTER, "used_cpu_user",              "used_cpu_user metric") \
    M(CONNECTED_SLAVES, "redis_connected_slaves",                   GAUGE,   "connected_slaves",           "connected_slaves metric") \
    M(RDB_LAST_SAVE,    "redis_rdb_last_save_timestamp_seconds",    GAUGE,   "rdb_last_save_time",         "rdb_last_save_time metric") \
    M(RDB_CHANGES,      "redis_rdb_changes_since_last_save",        GAUGE,   "rdb_changes_since_last_save","rdb_changes_since_last_save metric") \
    M(RDB_IN_PROGRESS,  "redis_rdb_bgsave_in_progress",             GAUGE,   "rdb_bgsave_in_progress",     "rdb_bgsave_in_progress metric") \
    M(RDB_LAST_STATUS,  "redis_rdb_last_bgsave_status",             GAUGE,   "rdb_last_bgsave_status",     "rdb_last_bgsave_status metric") \
    M(RDB_LAST_DUR,     "redis_rdb_last_bgsave_duration_seconds",   GAUGE,   "rdb_last_bgsave_time_sec",   "rdb_last_bgsave_time_sec metric") \
    M(RDB_LAST_DUR_Q,   "redis_rdb_last_bgsave_duration_sec",       GAUGE,   "rdb_last_bgsave_time_sec",   "rdb_last_bgsave_duration_sec metric (with metrics-exporter-quirks yes, instead of ..._seconds)") \
    M(RDB_SAVES,        "redis_rdb_saves_total",                    COUNTER, "rdb_saves",                  "rdb_saves metric") \
    M(RDB_SAVES_Q,      "redis_rdb_saves_total",                    GAUGE,   "rdb_saves",                  "rdb_saves metric (a gauge with metrics-exporter-quirks yes)") \
    M(AOF_ENABLED,      "redis_aof_enabled",                        GAUGE,   "aof_enabled",                "aof_enabled metric") \
    M(LOADING,          "redis_loading_dump_file",                  GAUGE,   "loading",                    "loading metric") \
    M(DB_KEYS,          "redis_db_keys",                            GAUGE,   "",                           "Total number of keys by DB") \
    M(DB_KEYS_EXPIRING, "redis_db_keys_expiring",                   GAUGE,   "",                           "Total number of expiring keys by DB") \
    M(DB_AVG_TTL,       "redis_db_avg_ttl_seconds",                 GAUGE,   "",                           "Avg TTL in seconds") \
    M(CMD_CALLS,        "redis_commands_total",                     COUNTER, "",                           "Total number of calls per command") \
    M(CMD_DURATION,     "redis_commands_duration_seconds_total",    COUNTER, "",                           "Total amount of time in seconds spent per command") \
    M(CMD_REJECTED,     "redis_commands_rejected_calls_total",      COUNTER, "",                           "Total number of errors prior command execution per command") \
    M(CMD_FAILED,       "redis_commands_failed_calls_total",        COUNTER, "",                           "Total number of errors within command execution per command") \
    M(ERRORS,           "redis_errors_total",                       COUNTER, "",                           "Total number of errors per error type") \
    M(CORE_KEYS,        "dpcache_core_keys",                        GAUGE,   "keys",                       "Keys in the partition this core owns") \
    M(CORE_MEM,         "dpcache_core_used_memory_bytes",           GAUGE,   "used_memory",                "Memory used by the partition this core owns") \
    M(CORE_INDEX,       "dpcache_core_index_bytes",                 GAUGE,   "index_bytes",                "Bytes reserved by the partition's key index") \
    M(CORE_EXPIRED,     "dpcache_core_expired_keys_total",          COUNTER, "expired_keys",               "Keys of the partition deleted because they expired") \
    M(CORE_EVICTED,     "dpcache_core_evicted_keys_total",          COUNTER, "evicted_keys",               "Keys of the partition evicted at maxmemory") \
    M(PORT_UP,          "dpcache_port_up",                          GAUGE,   "",                           "1 if the DPDK port has link") \
    M(PORT_RX_PKTS,     "dpcache_port_rx_packets_total",            COUNTER, "ipackets",                   "Packets received by the DPDK port") \
    M(PORT_TX_PKTS,     "dpcache_port_tx_packets_total",            COUNTER, "opackets",                   "Packets sent by the DPDK port") \
    M(PORT_RX_BYTES,    "dpcache_port_rx_bytes_total",              COUNTER, "ibytes",                     "Bytes received by the DPDK port") \
    M(PORT_TX_BYTES,    "dpcache_port_tx_bytes_total",              COUNTER, "obytes",                     "Bytes sent by the DPDK port") \
    M(PORT_RX_MISSED,   "dpcache_port_rx_missed_total",             COUNTER, "imissed",                    "Packets the port dropped because the receive queues were full") \
    M(PORT_RX_ERRORS,   "dpcache_port_rx_errors_total",             COUNTER, "ierrors",                    "Erroneous packets received by the port") \
    M(PORT_TX_ERRORS,   "dpcache_port_tx_errors_total",             COUNTER, "oerrors",                    "Packets the port failed to send") \
    M(PORT_RX_NOMBUF,   "dpcache_port_rx_nombuf_total",             COUNTER, "rx_nombuf",                  "Receive buffer allocation failures") \
    M(LATENCY,          "dpcache_command_latency_seconds",          HISTOGRAM, "",                         "Command execution time by class (read, write, other); the sum is estimated from the buckets") \
    M(SNAP_RUNNING,     "dpcache_snapshot_in_progress",             GAUGE,   "",                           "1 while dpcache-control writes a snapshot") \
    M(SNAP_BYTES,       "dpcache_snapshot_written_bytes",           GAUGE,   "",                           "Bytes of records received so far by the running snapshot") \
    M(SNAP_CHUNKS,      "dpcache_snapshot_written_chunks",          GAUGE,   "",                           "Chunks received so far by the running snapshot") \
    M(SNAP_ELAPSED,     "dpcache_snapshot_elapsed_seconds",         GAUGE,   "",                           "Time the running snapshot has taken so far") \
    M(SNAP_TOTAL,       "dpcache_snapshots_total",                  COUNTER, "",                           "Snapshots finished by dpcache-control, by result") \
    M(SNAP_LAST_OK,     "dpcache_snapshot_last_success",            GAUGE,   "",                           "1 if the last snapshot succeeded") \
    M(SNAP_LAST_OK_TS,  "dpcache_snapshot_last_success_timestamp_seconds", GAUGE, "",                      "Time of the last successful snapshot") \
    M(SNAP_LAST_DUR,    "dpcache_snapshot_last_duration_seconds",   GAUGE,   "",                           "Duration of the last snapshot") \
    M(SNAP_LAST_SIZE,   "dpcache_snapshot_last_size_bytes",         GAUGE,   "",                           "Size of the last successful snapshot file") \
    M(CTL_ATTACHED,     "dpcache_control_attached",                 GAUGE,   "",                           "1 while dpcache-control is attached to the data plane's control socket") \
    M(CTL_READY,        "dpcache_control_ready",                    GAUGE,   "",                           "1 when /readyz answers 200 (data plane attached, not loading, ports up; in front mode the XDP front attached)") \
    M(CTL_RECONNECTS,   "dpcache_control_reconnects_total",         COUNTER, "",                           "Times dpcache-control attached again after losing the data plane") \
    M(CTL_BUILD,        "dpcache_control_build_info",               GAUGE,   "",                           "dpcache-control version") \
    M(FRONT_ATTACHED,   "dpcache_front_attached",                   GAUGE,   "",                           "1 while the XDP front is attached to its interface (front mode; label iface)") \
    M(FRONT_RX_PACKETS, "dpcache_front_rx_packets_total",           COUNTER, "rx_packets",                 "Packets seen by the XDP front") \
    M(FRONT_RX_BYTES,   "dpcache_front_rx_bytes_total",             COUNTER, "rx_bytes",                   "Bytes seen by the XDP front (frame length)") \
    M(FRONT_VERDICTS,   "dpcache_front_verdicts_total",             COUNTER, "verdict_",                   "Packets by verdict: tx (XDP_TX), redirect (XDP_REDIRECT), pass (to the kernel), drop") \
    M(FRONT_PASSED,     "dpcache_front_passed_total",               COUNTER, "pass_",                      "Packets passed to the kernel, by reason (docs/front.md, section 4)") \
    M(FRONT_DROPPED,    "dpcache_front_dropped_total",              COUNTER, "drop_",                      "Packets dropped, by reason (docs/front.md, section 4)") \
    M(FRONT_CT_HITS,    "dpcache_front_conntrack_hits_total",       COUNTER, "tcp_ct_hit",                 "TCP packets of a flow found in the connection table") \
    M(FRONT_CT_MISSES,  "dpcache_front_conntrack_misses_total",     COUNTER, "tcp_ct_miss",                "TCP packets of a flow not in the connection table (placed by Maglev)") \
    M(FRONT_CT_STALE,   "dpcache_front_conntrack_stale_total",      COUNTER, "tcp_ct_stale",               "TCP packets of a flow whose backend was removed (placed again by Maglev)") \
    M(FRONT_CT_ADOPTED, "dpcache_front_conntrack_adopted_total",    COUNTER, "tcp_ct_adopted",             "TCP flows found in another CPU's connection-table entry") \
    M(FRONT_UDP,        "dpcache_front_udp_requests_total",         COUNTER, "udp_",                       "UDP requests steered, by steering (keyed: by the key's slot; keyless: by Maglev on the flow)") \
    M(FRONT_UDP_TAG,    "dpcache_front_udp_hash_tag_total",         COUNTER, "udp_hash_tag",               "UDP keys whose slot came from a {hash tag}") \
    M(FRONT_IP_OPTIONS, "dpcache_front_ip_options_total",           COUNTER, "ip_options",                 "VIP packets with IPv4 options (handled)") \
    M(FRONT_BACKENDS,   "dpcache_front_backends",                   GAUGE,   "",                           "Backends by state (active: takes new flows; draining: established flows only)") \
    M(FRONT_BE_STATE,   "dpcache_front_backend_state",              GAUGE,   "",                           "1 for the backend's current state (label state: active, draining)") \
    M(FRONT_BE_PACKETS, "dpcache_front_backend_packets_total",      COUNTER, "",                           "Packets the XDP front forwarded to the backend") \
    M(FRONT_BE_BYTES,   "dpcache_front_backend_bytes_total",        COUNTER, "",                           "Bytes the XDP front forwarded to the backend (frame length)") \
    M(FRONT_BE_TCP,     "dpcache_front_backend_tcp_flows_total",    COUNTER, "",                           "TCP flows placed on the backend by Maglev") \
    M(FRONT_BE_UDP,     "dpcache_front_backend_udp_requests_total", COUNTER, "",                           "UDP requests steered to the backend") \
    M(FRONT_BE_MAGLEV,  "dpcache_front_backend_maglev_entries",     GAUGE,   "",                           "Positions the backend holds in the Maglev table (of 65537)") \
    M(FRONT_BE_SLOTS,   "dpcache_front_backend_slots",              GAUGE,   "",                           "Hash slots the backend holds in the slot table (of 16384)") \
    M(SCRAPES,          "redis_exporter_scrapes_total",             COUNTER, "",                           "Current total redis scrapes.") \
    M(SCRAPE_DURATION,  "redis_exporter_last_scrape_duration_seconds", GAUGE, "",                          "The last scrape duration.") \
    M(SCRAPE_ERROR,     "redis_exporter_last_scrape_error",         GAUGE,   "",                           "The last scrape error status.")
/* clang-format on */

enum metric_id {
#define M_ENUM(id, n, t, s, h) MID_##id,
    CTL_METRICS(M_ENUM)
#undef M_ENUM
        MID_COUNT
};

struct fam {
    const char *name;
    enum mtype type;
    const char *src;
    const char *help;
};

static const struct fam fams[MID_COUNT] = {
#define M_DEF(id, n, t, s, h) [MID_##id] = { n, t, s, h },
    CTL_METRICS(M_DEF)
#undef M_DEF
};

/* Per-core families generated from the data plane's tables: dpcache_core_<field>[_total],
 * dpcache_core_net_<field>[_total], dpcache_core_tcp_<field>[_total]. */
#define GEN_COUNT_W(f, k, h) +1
#define N_WORKER             (0 WORKER_METRICS(GEN_COUNT_W))
#define N_NET                (0 NET_METRICS(GEN_COUNT_W))
#define N_TCP                (0 TCP_METRICS(GEN_COUNT_W))
struct genfam {
    struct fam f;
    const char *key; /* telemetry key in /dpcache/core,<i> */
    char name[96];
    char keybuf[64];
};
static struct genfam gen_fams[N_WORKER + N_NET + N_TCP];
static int n_gen;

static void gen_add(const char *prefix, const char *keyprefix, const char *field, int counter,
                    const char *help)
{
    struct genfam *g = &gen_fams[n_gen++];

    snprintf(g->name, sizeof(g->name), "dpcache_core_%s%s%s", prefix, field,
             counter ? "_total" : "");
    snprintf(g->keybuf, sizeof(g->keybuf), "%s%s", keyprefix, field);
    g->f.name = g->name;
    g->f.type = counter ? COUNTER : GAUGE;
    g->f.help = help;
    g->key = g->keybuf;
}

/* ---- output ---- */

void prom_escape_label(struct sbuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            sb_put(b, "\\\\", 2);
        else if (*v == '"')
            sb_put(b, "\\\"", 2);
        else if (*v == '\n')
            sb_put(b, "\\n", 2);
        else
            sb_put(b, v, 1);
    }
}

struct out {
    struct sbuf b;
    const struct fam *last; /* family whose HELP/TYPE was written last */
};

static void header(struct out *o, const struct fam *f)
{
    if (o->last == f)
        return;
    o->last = f;
    sb_printf(&o->b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
              mtype_names[f->type]);
}

static void put_value(struct sbuf *b, double v)
{
    if (isnan(v))
        sb_printf(b, "NaN\n");
    else if (isinf(v))
        sb_printf(b, v > 0 ? "+Inf\n" : "-Inf\n");
    else if (v == (double)(long long)v && fabs(v) < 9e15)
        sb_printf(b, "%lld\n", (long long)v);
    else
        sb_printf(b, "%.17g\n", v);
}

/* A sample of @f with @labels: NULL or k1, v1, k2, v2, ..., NULL. */
static void samplev(struct out *o, const struct fam *f, const char *suffix, double v, va_list ap)
{
    const char *k;
    int first = 1;

    header(o, f);
    sb_printf(&o->b, "%s%s", f->name, suffix ? suffix : "");
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        sb_printf(&o->b, "%s%s=\"", first ? "{" : ",", k);
        prom_escape_label(&o->b, val ? val : "");
        sb_put(&o->b, "\"", 1);
        first = 0;
    }
    if (!first)
        sb_put(&o->b, "}", 1);
    sb_put(&o->b, " ", 1);
    put_value(&o->b, v);
}

static void sample(struct out *o, enum metric_id id, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    samplev(o, &fams[id], NULL, v, ap);
    va_end(ap);
}

static void sample_f(struct out *o, const struct fam *f, const char *suffix, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    samplev(o, f, suffix, v, ap);
    va_end(ap);
}

/* ---- scraping ---- */

#define MAX_CORES 128
#define MAX_PORTS 16

struct scrape {
    struct ctl_view v;
    char *info; /* INFO ALL, NULL if the data plane did not answer */
    double cfg_maxclients, cfg_maxmemory;
    int databases;
    int ncores;
    struct json *core_doc[MAX_CORES];
    const struct json *core[MAX_CORES];
    struct json *lat_doc;
    const struct json *lat;
    int nports;
    long port_id[MAX_PORTS];
    struct json *port_doc[MAX_PORTS];
    const struct json *port_stats[MAX_PORTS];
    int port_up[MAX_PORTS];
    struct ctl_front_sample *front; /* front mode: its counters; NULL otherwise */
    char err[256];
};

static pthread_mutex_t scrape_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct ctl_config *mcfg;
static struct resp_conn mlink;
static struct tel mtel;
static unsigned long long scrapes;
static double last_duration;

void metrics_setup(const struct ctl_config *cfg)
{
    mcfg = cfg;
    resp_init(&mlink);
    tel_init(&mtel);
    n_gen = 0;
#define G_W(f, k, h) gen_add("", "", #f, k == COUNTER, h);
#define G_N(f, k, h) gen_add("net_", "net_", #f, k == COUNTER, h);
#define G_T(f, k, h) gen_add("tcp_", "tcp_", #f, k == COUNTER, h);
    WORKER_METRICS(G_W)
    NET_METRICS(G_N)
    TCP_METRICS(G_T)
#undef G_W
#undef G_N
#undef G_T
}

void metrics_teardown(void)
{
    pthread_mutex_lock(&scrape_mu);
    resp_close(&mlink);
    tel_close(&mtel);
    pthread_mutex_unlock(&scrape_mu);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A command on the API's connection; a connection kept from an earlier scrape may lead to a
 * data plane that has restarted since, so a failure on it is retried once on a new one. */
static struct rv *link_cmd(int argc, const char *const *argv, struct scrape *s)
{
    struct rv *r = NULL;

    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = resp_connected(&mlink);
        if (!reused) {
            int rc;
            if (!s->v.socket_path[0])
                return NULL;
            rc = resp_connect_unix(&mlink, s->v.socket_path, 5000);
            if (rc) {
                snprintf(s->err, sizeof(s->err), "connect %s: %s", s->v.socket_path, strerror(-rc));
                return NULL;
            }
        }
        if (resp_command(&mlink, &r, argc, argv) == 0)
            return r;
        snprintf(s->err, sizeof(s->err), "%s: the data plane did not answer", argv[0]);
        if (!reused)
            break;
    }
    return NULL;
}

static void scrape_config(struct scrape *s, const char *name, double *out)
{
    const char *argv[] = { "CONFIG", "GET", name };
    struct rv *r = link_cmd(3, argv, s);
    const struct rv *val = rv_map_get(r, name);

    if (val && val->type == RV_BULK)
        *out = strtod(val->str, NULL);
    rv_free(r);
}

static void scrape_dp(struct scrape *s)
{
    const char *info_all[] = { "INFO", "all" };
    struct rv *r;
    double dbs = 16;

    s->cfg_maxclients = s->cfg_maxmemory = NAN;
    if (mcfg && !mcfg->dataplane)
        return; /* front node: no data plane to ask */
    if (!s->v.attached) {
        snprintf(s->err, sizeof(s->err), "the data plane is not attached");
        return;
    }
    r = link_cmd(2, info_all, s);
    if (r && r->type == RV_BULK) {
        s->info = r->str;
        r->str = NULL;
    } else if (r) {
        snprintf(s->err, sizeof(s->err), "INFO: %s", r->str ? r->str : "unexpected reply");
    }
    rv_free(r);
    if (!s->info)
        return;
    scrape_config(s, "maxclients", &s->cfg_maxclients);
    scrape_config(s, "maxmemory", &s->cfg_maxmemory);
    scrape_config(s, "databases", &dbs);
    s->databases = dbs >= 1 && dbs <= 1024 ? (int)dbs : 16;
}

static void scrape_tel(struct scrape *s)
{
    char q[64];
    struct json *doc;
    const struct json *list;

    if (!s->v.telemetry_path[0] || !s->info)
        return;
    if (mtel.fd >= 0 && strcmp(mtel.path, s->v.telemetry_path) == 0) {
        /* kept from an earlier scrape: check it still leads to a live process */
        struct json *d0;
        tel_query(&mtel, "/dpcache/info", &d0);
        json_free(d0);
    }
    if (mtel.fd < 0 || strcmp(mtel.path, s->v.telemetry_path) != 0) {
        if (tel_connect(&mtel, s->v.telemetry_path, 2000))
            return;
    }
    s->ncores = s->v.workers < MAX_CORES ? s->v.workers : MAX_CORES;
    for (int i = 0; i < s->ncores; i++) {
        snprintf(q, sizeof(q), "/dpcache/core,%d", i);
        s->core[i] = tel_query(&mtel, q, &s->core_doc[i]);
    }
    s->lat = tel_query(&mtel, "/dpcache/latency", &s->lat_doc);
    list = tel_query(&mtel, "/ethdev/list", &doc);
    if (list && list->type == JSON_ARR)
        for (size_t i = 0; i < list->n && s->nports < MAX_PORTS; i++) {
            int k = s->nports++;
            struct json *d2;
            const struct json *st;
            s->port_id[k] = (long)json_u64(&list->kids[i]);
            snprintf(q, sizeof(q), "/ethdev/stats,%ld", s->port_id[k]);
            s->port_stats[k] = tel_query(&mtel, q, &s->port_doc[k]);
            snprintf(q, sizeof(q), "/ethdev/link_status,%ld", s->port_id[k]);
            st = json_get(tel_query(&mtel, q, &d2), "status");
            s->port_up[k] = st && st->type == JSON_STR && !strcmp(st->str, "UP");
            json_free(d2);
        }
    json_free(doc);
}

static void scrape_front(struct scrape *s)
{
    if (!ctl_front_enabled())
        return;
    s->front = malloc(sizeof(*s->front));
    if (s->front && ctl_front_sample(s->front)) {
        snprintf(s->err, sizeof(s->err), "the XDP front's maps could not be read");
        free(s->front);
        s->front = NULL;
    }
}

static void scrape_free(struct scrape *s)
{
    free(s->front);
    free(s->info);
    for (int i = 0; i < s->ncores; i++)
        json_free(s->core_doc[i]);
    json_free(s->lat_doc);
    for (int i = 0; i < s->nports; i++)
        json_free(s->port_doc[i]);
}

/* An INFO value as a number, with redis_exporter's conversions (ok/true 1, err/fail/false
 * 0). Returns 0 if missing or not a number. */
static int info_num(const struct scrape *s, const char *field, double *out)
{
    char buf[128], *end;

    if (!s->info || !info_field(s->info, field, buf, sizeof(buf)))
        return 0;
    if (!strcmp(buf, "ok") || !strcmp(buf, "true")) {
        *out = 1;
        return 1;
    }
    if (!strcmp(buf, "err") || !strcmp(buf, "fail") || !strcmp(buf, "false")) {
        *out = 0;
        return 1;
    }
    *out = strtod(buf, &end);
    return end != buf && *end == '\0';
}

/* ---- rendering ---- */

struct line_ctx {
    struct out *o;
    enum metric_id id;
    int *seen_db;
};

static void each_cmdstat(void *ud, const char *section, const char *name, const char *value)
{
    struct line_ctx *c = ud;
    double calls, usec, v;

    if (strcmp(section, "commandstats") || strncmp(name, "cmdstat_", 8))
        return;
    name += 8;
    switch (c->id) {
    case MID_CMD_CALLS:
        if (info_subfield(value, "calls", &calls))
            sample(c->o, c->id, calls, "cmd", name, NULL);
        break;
    case MID_CMD_DURATION:
        if (info_subfield(value, "usec", &usec))
            sample(c->o, c->id, usec / 1e6, "cmd", name, NULL);
        break;
    case MID_CMD_REJECTED:
        if (info_subfield(value, "rejected_calls", &v))
            sample(c->o, c->id, v, "cmd", name, NULL);
        break;
    case MID_CMD_FAILED:
        if (info_subfield(value, "failed_calls", &v))
            sample(c->o, c->id, v, "cmd", name, NULL);
        break;
    default: break;
    }
}

static void each_errorstat(void *ud, const char *section, const char *name, const char *value)
{
    struct line_ctx *c = ud;
    double n;

    if (strcmp(section, "errorstats") || strncmp(name, "errorstat_", 10))
        return;
    if (info_subfield(value, "count", &n))
        sample(c->o, MID_ERRORS, n, "err", name + 10, NULL);
}

static void each_keyspace(void *ud, const char *section, const char *name, const char *value)
{
    struct line_ctx *c = ud;
    double v;
    long db;
    char *end;

    if (strcmp(section, "keyspace") || strncmp(name, "db", 2))
        return;
    db = strtol(name + 2, &end, 10);
    if (*end || db < 0)
        return;
    if (db < 1024)
        c->seen_db[db] = 1;
    if (c->id == MID_DB_KEYS && info_subfield(value, "keys", &v))
        sample(c->o, c->id, v, "db", name, NULL);
    else if (c->id == MID_DB_KEYS_EXPIRING && info_subfield(value, "expires", &v))
        sample(c->o, c->id, v, "db", name, NULL);
    else if (c->id == MID_DB_AVG_TTL && info_subfield(value, "avg_ttl", &v))
        sample(c->o, c->id, v / 1000, "db", name, NULL);
}

static void render_latency(struct out *o, const struct scrape *s)
{
    static const char *const classes[] = { "read", "write", "other" };

    if (!s->lat)
        return;
    for (int c = 0; c < 3; c++) {
        const struct json *a = json_get(s->lat, classes[c]);
        double cum = 0, sum = 0;
        char le[32];
        if (!a || a->type != JSON_ARR)
            continue;
        for (size_t b = 0; b < a->n; b++) {
            double n = (double)json_u64(&a->kids[b]);
            /* bucket b: [2^(b-1), 2^b) us (bucket 0: < 1 us); the last is open-ended */
            double lo = b ? ldexp(1, (int)b - 1) : 0, hi = ldexp(1, (int)b);
            cum += n;
            sum += n * (b + 1 < a->n ? (lo + hi) / 2 : lo) / 1e6;
            if (b + 1 < a->n) {
                snprintf(le, sizeof(le), "%g", hi / 1e6);
                sample_f(o, &fams[MID_LATENCY], "_bucket", cum, "class", classes[c], "le", le,
                         NULL);
            }
        }
        sample_f(o, &fams[MID_LATENCY], "_bucket", cum, "class", classes[c], "le", "+Inf", NULL);
        sample_f(o, &fams[MID_LATENCY], "_sum", sum, "class", classes[c], NULL);
        sample_f(o, &fams[MID_LATENCY], "_count", cum, "class", classes[c], NULL);
    }
}

static int ready(const struct ctl_view *v)
{
    return state_ready(v, NULL, 0);
}

/* ---- the XDP front's series (front mode) ---- */

#define LB_NAME_ROW(id, name, help) name,
static const char *const lb_names[LB_CNT__COUNT] = { LB_COUNTERS(LB_NAME_ROW) };
#undef LB_NAME_ROW

/* The front family counter @k of LB_COUNTERS belongs to: a family whose source is the counter's
 * name, else one whose source ends in '_' and prefixes it (the rest of the name is then the
 * label value in *@lv). -1 if none. */
static int front_family(unsigned k, const char **lv)
{
    *lv = NULL;
    for (int id = MID_FRONT_RX_PACKETS; id <= MID_FRONT_IP_OPTIONS; id++)
        if (!strcmp(fams[id].src, lb_names[k]))
            return id;
    for (int id = MID_FRONT_RX_PACKETS; id <= MID_FRONT_IP_OPTIONS; id++) {
        size_t l = strlen(fams[id].src);
        if (l && fams[id].src[l - 1] == '_' && !strncmp(fams[id].src, lb_names[k], l)) {
            *lv = lb_names[k] + l;
            return id;
        }
    }
    return -1;
}

static void render_front(struct out *o, const struct ctl_front_sample *f, enum metric_id id)
{
    const char *lv, *lk = id == MID_FRONT_VERDICTS ? "verdict"
                          : id == MID_FRONT_UDP    ? "steering"
                                                   : "reason";
    uint32_t by_state[3] = { 0 };

    switch (id) {
    case MID_FRONT_ATTACHED: sample(o, id, f->attached, "iface", f->iface, NULL); return;
    case MID_FRONT_BACKENDS:
        for (uint32_t i = 0; i < f->n; i++)
            if (f->be[i].state < 3)
                by_state[f->be[i].state]++;
        sample(o, id, by_state[LB_BE_ACTIVE], "state", "active", NULL);
        sample(o, id, by_state[LB_BE_DRAINING], "state", "draining", NULL);
        return;
    default: break;
    }
    if (id >= MID_FRONT_BE_STATE) {
        for (uint32_t i = 0; i < f->n; i++) {
            const struct ctl_front_backend *b = &f->be[i];
            double v = 0;
            switch (id) {
            case MID_FRONT_BE_STATE:
                sample(o, id, b->state == LB_BE_ACTIVE, "backend", b->addr, "state", "active",
                       NULL);
                sample(o, id, b->state == LB_BE_DRAINING, "backend", b->addr, "state", "draining",
                       NULL);
                continue;
            case MID_FRONT_BE_PACKETS: v = (double)b->stats.packets; break;
            case MID_FRONT_BE_BYTES: v = (double)b->stats.bytes; break;
            case MID_FRONT_BE_TCP: v = (double)b->stats.tcp_new; break;
            case MID_FRONT_BE_UDP: v = (double)b->stats.udp_requests; break;
            case MID_FRONT_BE_MAGLEV: v = b->maglev_entries; break;
            case MID_FRONT_BE_SLOTS: v = b->slots; break;
            default: continue;
            }
            sample(o, id, v, "backend", b->addr, NULL);
        }
        return;
    }
    for (unsigned k = 0; k < LB_CNT__COUNT; k++)
        if (front_family(k, &lv) == (int)id) {
            if (lv)
                sample(o, id, (double)f->counters[k], lk, lv, NULL);
            else
                sample(o, id, (double)f->counters[k], NULL);
        }
}

static void render(struct out *o, struct scrape *s)
{
    const int up = s->info != NULL;
    double now = now_s(), x;
    char core[16], port[16];

    for (int id = 0; id < MID_COUNT; id++) {
        const struct fam *f = &fams[id];
        struct line_ctx lc = { o, (enum metric_id)id, NULL };

        if (((id == MID_RDB_LAST_DUR_Q || id == MID_RDB_SAVES_Q) && !mcfg->exporter_quirks) ||
            ((id == MID_RDB_LAST_DUR || id == MID_RDB_SAVES) && mcfg->exporter_quirks))
            continue;
        /* a front node without a data plane: no redis_* / data-plane / snapshot series */
        if (!mcfg->dataplane &&
            (id <= MID_SNAP_LAST_SIZE || id == MID_CTL_ATTACHED || id == MID_CTL_RECONNECTS))
            continue;
        if (id >= MID_FRONT_ATTACHED && id <= MID_FRONT_BE_SLOTS) {
            if (s->front)
                render_front(o, s->front, (enum metric_id)id);
            continue;
        }
        /* plain INFO fields */
        if (f->src[0] && id < MID_CORE_KEYS) {
            if (up && info_num(s, f->src, &x))
                sample(o, id, x, NULL);
            continue;
        }
        switch (id) {
        case MID_UP: sample(o, id, up, NULL); break;
        case MID_INSTANCE_INFO:
            if (up) {
                char f_[10][128];
                static const char *const keys[10] = {
                    "role",       "redis_version",    "redis_build_id", "redis_mode",
                    "os",         "maxmemory_policy", "tcp_port",       "run_id",
                    "process_id", "master_replid"
                };
                for (int k = 0; k < 10; k++)
                    if (!info_field(s->info, keys[k], f_[k], sizeof(f_[k])))
                        f_[k][0] = '\0';
                sample(o, id, 1, keys[0], f_[0], keys[1], f_[1], keys[2], f_[2], keys[3], f_[3],
                       keys[4], f_[4], keys[5], f_[5], keys[6], f_[6], keys[7], f_[7], keys[8],
                       f_[8], keys[9], f_[9], NULL);
            }
            break;
        case MID_START_TIME:
            if (up && info_num(s, "uptime_in_seconds", &x))
                sample(o, id, (double)(long long)(now - x), NULL);
            break;
        case MID_CFG_MAXCLIENTS:
            if (up && !isnan(s->cfg_maxclients))
                sample(o, id, s->cfg_maxclients, NULL);
            break;
        case MID_CFG_MAXMEMORY:
            if (up && !isnan(s->cfg_maxmemory))
                sample(o, id, s->cfg_maxmemory, NULL);
            break;
        case MID_DB_KEYS:
        case MID_DB_KEYS_EXPIRING:
        case MID_DB_AVG_TTL:
            if (up) {
                int seen[1024] = { 0 };
                lc.seen_db = seen;
                info_foreach(s->info, each_keyspace, &lc);
                for (int db = 0; db < s->databases; db++) {
                    char name[16];
                    if (seen[db])
                        continue;
                    snprintf(name, sizeof(name), "db%d", db);
                    sample(o, id, 0, "db", name, NULL);
                }
            }
            break;
        case MID_CMD_CALLS:
        case MID_CMD_DURATION:
        case MID_CMD_REJECTED:
        case MID_CMD_FAILED:
            if (up)
                info_foreach(s->info, each_cmdstat, &lc);
            break;
        case MID_ERRORS:
            if (up)
                info_foreach(s->info, each_errorstat, &lc);
            break;
        case MID_CORE_KEYS:
        case MID_CORE_MEM:
        case MID_CORE_INDEX:
        case MID_CORE_EXPIRED:
        case MID_CORE_EVICTED:
            for (int i = 0; i < s->ncores; i++) {
                const struct json *j = json_get(s->core[i], f->src);
                snprintf(core, sizeof(core), "%d", i);
                if (j)
                    sample(o, id, (double)json_u64(j), "core", core, NULL);
            }
            if (id == MID_CORE_EVICTED) /* then the generated per-core families */
                for (int g = 0; g < n_gen; g++)
                    for (int i = 0; i < s->ncores; i++) {
                        const struct json *j = json_get(s->core[i], gen_fams[g].key);
                        snprintf(core, sizeof(core), "%d", i);
                        if (j)
                            sample_f(o, &gen_fams[g].f, NULL, (double)json_u64(j), "core", core,
                                     NULL);
                    }
            break;
        case MID_PORT_UP:
            for (int i = 0; i < s->nports; i++) {
                snprintf(port, sizeof(port), "%ld", s->port_id[i]);
                sample(o, id, s->port_up[i], "port", port, NULL);
            }
            break;
        case MID_PORT_RX_PKTS:
        case MID_PORT_TX_PKTS:
        case MID_PORT_RX_BYTES:
        case MID_PORT_TX_BYTES:
        case MID_PORT_RX_MISSED:
        case MID_PORT_RX_ERRORS:
        case MID_PORT_TX_ERRORS:
        case MID_PORT_RX_NOMBUF:
            for (int i = 0; i < s->nports; i++) {
                const struct json *j = json_get(s->port_stats[i], f->src);
                snprintf(port, sizeof(port), "%ld", s->port_id[i]);
                if (j)
                    sample(o, id, (double)json_u64(j), "port", port, NULL);
            }
            break;
        case MID_LATENCY: render_latency(o, s); break;
        case MID_SNAP_RUNNING: sample(o, id, s->v.snap_running, NULL); break;
        case MID_SNAP_BYTES: sample(o, id, (double)s->v.snap_bytes, NULL); break;
        case MID_SNAP_CHUNKS: sample(o, id, (double)s->v.snap_chunks, NULL); break;
        case MID_SNAP_ELAPSED:
            sample(o, id, s->v.snap_running ? now - s->v.snap_started_ms / 1000.0 : 0, NULL);
            break;
        case MID_SNAP_TOTAL:
            sample(o, id, (double)s->v.snaps_ok, "result", "ok", NULL);
            sample(o, id, (double)s->v.snaps_failed, "result", "err", NULL);
            break;
        case MID_SNAP_LAST_OK: sample(o, id, s->v.last_ok, NULL); break;
        case MID_SNAP_LAST_OK_TS: sample(o, id, (double)s->v.last_ok_time, NULL); break;
        case MID_SNAP_LAST_DUR: sample(o, id, s->v.last_duration, NULL); break;
        case MID_SNAP_LAST_SIZE: sample(o, id, (double)s->v.last_bytes, NULL); break;
        case MID_CTL_ATTACHED: sample(o, id, s->v.attached, NULL); break;
        case MID_CTL_READY: sample(o, id, ready(&s->v), NULL); break;
        case MID_CTL_RECONNECTS: sample(o, id, (double)s->v.reconnects, NULL); break;
        case MID_CTL_BUILD: sample(o, id, 1, "version", DPCACHE_VERSION, NULL); break;
        case MID_SCRAPES: sample(o, id, (double)scrapes, NULL); break;
        case MID_SCRAPE_DURATION: sample(o, id, last_duration, NULL); break;
        case MID_SCRAPE_ERROR: sample(o, id, s->err[0] ? 1 : 0, "err", s->err, NULL); break;
        default: break;
        }
    }
}

int metrics_render(char **out, size_t *len)
{
    struct scrape *s = calloc(1, sizeof(*s));
    struct out o = { { 0 }, NULL };
    double t0 = now_s();

    if (!s)
        return -ENOMEM;
    pthread_mutex_lock(&scrape_mu);
    state_copy(&s->v);
    scrape_dp(s);
    scrape_tel(s);
    scrape_front(s);
    scrapes++;
    last_duration = now_s() - t0;
    render(&o, s);
    pthread_mutex_unlock(&scrape_mu);
    scrape_free(s);
    free(s);
    if (o.b.oom) {
        free(o.b.p);
        return -ENOMEM;
    }
    *out = o.b.p;
    *len = o.b.len;
    return 0;
}

static void json_str(struct sbuf *b, const char *k, const char *v, int comma)
{
    sb_printf(b, "%s\"%s\":", comma ? "," : "", k);
    sb_put_json(b, v);
}

struct info_json {
    struct sbuf *b;
    char section[64];
    int nsec, nfield;
};

static void each_info_json(void *ud, const char *section, const char *name, const char *value)
{
    struct info_json *j = ud;

    if (strcmp(section, j->section) != 0) {
        if (j->nsec++)
            sb_put(j->b, "}", 1);
        sb_printf(j->b, "%s\"%s\":{", j->nsec > 1 ? "," : "", section);
        snprintf(j->section, sizeof(j->section), "%s", section);
        j->nfield = 0;
    }
    json_str(j->b, name, value, j->nfield++ > 0);
}

int metrics_info_json(char **out, size_t *len)
{
    struct sbuf b = { 0 };
    struct scrape *s = calloc(1, sizeof(*s));
    const struct ctl_view *v;

    if (!s)
        return -ENOMEM;
    pthread_mutex_lock(&scrape_mu);
    state_copy(&s->v);
    scrape_dp(s);
    pthread_mutex_unlock(&scrape_mu);
    v = &s->v;
    sb_printf(&b, "{\"control\":{\"version\":\"%s\",\"attached\":%s,\"ready\":%s", DPCACHE_VERSION,
              v->attached ? "true" : "false", ready(v) ? "true" : "false");
    json_str(&b, "socket", v->socket_path, 1);
    json_str(&b, "telemetry", v->telemetry_path, 1);
    json_str(&b, "dir", v->dir, 1);
    json_str(&b, "dbfilename", v->dbfilename, 1);
    json_str(&b, "save", v->save_rules, 1);
    sb_printf(&b, ",\"keep\":%lld,\"snapshot_interval\":%lld,\"reconnects\":%llu}",
              mcfg ? mcfg->keep : 0, mcfg ? mcfg->snapshot_interval : 0,
              (unsigned long long)v->reconnects);
    sb_printf(&b, ",\"dataplane\":{\"pid\":%ld,\"port\":%ld,\"workers\":%d", v->pid, v->port,
              v->workers);
    json_str(&b, "version", v->version, 1);
    json_str(&b, "run_id", v->run_id, 1);
    json_str(&b, "stack", v->stack, 1);
    sb_printf(&b, ",\"loading\":%d,\"ports\":%d,\"ports_up\":%d}", v->loading, v->ports_total,
              v->ports_up);
    sb_printf(&b, ",\"info\":{");
    if (s->info) {
        struct info_json j = { &b, "", 0, 0 };
        strcpy(j.section, "\x01");
        info_foreach(s->info, each_info_json, &j);
        if (j.nsec)
            sb_put(&b, "}", 1);
    }
    sb_printf(&b, "}}\n");
    scrape_free(s);
    free(s);
    if (b.oom) {
        free(b.p);
        return -ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

int dp_command(int argc, const char *const *argv, struct rv **out, char *err, size_t errlen)
{
    struct scrape *s = calloc(1, sizeof(*s));
    int rc = 0;

    *out = NULL;
    if (!s)
        return -ENOMEM;
    pthread_mutex_lock(&scrape_mu);
    state_copy(&s->v);
    if (!s->v.attached) {
        snprintf(err, errlen, "the data plane is not attached");
        rc = -ENOTCONN;
    } else {
        *out = link_cmd(argc, argv, s);
        if (!*out) {
            snprintf(err, errlen, "%s", s->err[0] ? s->err : "the data plane did not answer");
            rc = -EIO;
        }
    }
    pthread_mutex_unlock(&scrape_mu);
    free(s);
    return rc;
}

void metrics_print_markdown(FILE *fp)
{
    fprintf(fp, "| Metric | Type | Meaning |\n|---|---|---|\n");
    for (int id = 0; id < MID_COUNT; id++) {
        fprintf(fp, "| `%s` | %s | %s |\n", fams[id].name, mtype_names[fams[id].type],
                fams[id].help);
        if (id == MID_CORE_EVICTED)
            for (int g = 0; g < n_gen; g++)
                fprintf(fp, "| `%s` | %s | %s |\n", gen_fams[g].f.name,
                        mtype_names[gen_fams[g].f.type], gen_fams[g].f.help);
    }
}
