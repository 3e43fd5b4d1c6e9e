/*
 * cmds.c - dpcache-pmd's commands on librte_cmdline, in testpmd's pattern: per command a
 * result struct, a _parsed() function, its tokens and a cmdline_parse_inst_t (help string
 * shown by '?' and `help`; TAB completes every fixed word).
 */
#include "pmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>
#include <cmdline_socket.h>

#define TOK(s, f, str) static cmdline_parse_token_string_t s = TOKEN_STRING_INITIALIZER(struct f, str, NULL)
#define TOKF(s, f, field, words)                                                                   \
    static cmdline_parse_token_string_t s = TOKEN_STRING_INITIALIZER(struct f, field, words)

static void pause_interval(void)
{
    struct timespec ts = { (time_t)pmd_interval,
                           (long)((pmd_interval - (double)(time_t)pmd_interval) * 1e9) };
    nanosleep(&ts, NULL);
}

static int nworkers(void)
{
    struct kv kv[KV_MAX];
    int n = tel_query("/dpcache/info", kv);

    if (n < 0) {
        pmd_failed = 1;
        return -1;
    }
    return (int)kv_u64(kv, n, "workers");
}

/* counter @key of object @prefix minus the `clear stats` baseline */
static uint64_t since(const char *prefix, const struct kv *kv, int n, const char *key)
{
    char k[160];
    snprintf(k, sizeof(k), "%.31s.%.63s", prefix, key);
    return kv_u64(kv, n, key) - base_get(k);
}

/* ------------------------------------------------------------------ show port info|stats */
struct cmd_show_port_result {
    cmdline_fixed_string_t show, port, what;
};

static void port_info(long id)
{
    struct kv kv[KV_MAX];
    char cmd[64];
    int n;

    snprintf(cmd, sizeof(cmd), "/ethdev/info,%ld", id);
    n = tel_query(cmd, kv);
    if (n < 0) {
        pmd_failed = 1;
        return;
    }
    printf("\n********************* Infos for port %-2ld *********************\n", id);
    for (int i = 0; i < n; i++)
        if (kv[i].val[0] != '[' && kv[i].val[0] != '{')
            printf("%-24s %s\n", kv[i].key, kv[i].val);
    snprintf(cmd, sizeof(cmd), "/ethdev/link_status,%ld", id);
    n = tel_query(cmd, kv);
    for (int i = 0; i < n; i++)
        printf("link_%-19s %s\n", kv[i].key, kv[i].val);
}

static void port_stats(long id)
{
    static const char *const f[] = { "ipackets", "opackets", "ibytes",   "obytes",
                                     "imissed",  "ierrors",  "oerrors", "rx_nombuf" };
    struct kv a[KV_MAX], b[KV_MAX];
    char cmd[64], pfx[32];
    int na, nb;

    snprintf(cmd, sizeof(cmd), "/ethdev/stats,%ld", id);
    snprintf(pfx, sizeof(pfx), "port%ld", id);
    na = tel_query(cmd, a);
    pause_interval();
    nb = tel_query(cmd, b);
    if (na < 0 || nb < 0) {
        pmd_failed = 1;
        return;
    }
    printf("\n  ######################## NIC statistics for port %-2ld ########################\n",
           id);
    printf("  RX-packets: %-12llu RX-missed: %-10llu RX-bytes:  %llu\n",
           (unsigned long long)since(pfx, b, nb, f[0]), (unsigned long long)since(pfx, b, nb, f[4]),
           (unsigned long long)since(pfx, b, nb, f[2]));
    printf("  RX-errors: %llu  RX-nombuf: %llu\n", (unsigned long long)since(pfx, b, nb, f[5]),
           (unsigned long long)since(pfx, b, nb, f[7]));
    printf("  TX-packets: %-12llu TX-errors: %-10llu TX-bytes:  %llu\n",
           (unsigned long long)since(pfx, b, nb, f[1]), (unsigned long long)since(pfx, b, nb, f[6]),
           (unsigned long long)since(pfx, b, nb, f[3]));
    printf("\n  Throughput (over %.1f s)\n", pmd_interval);
    printf("  Rx-pps: %12.0f          Rx-bps: %12.0f\n",
           (double)(kv_u64(b, nb, "ipackets") - kv_u64(a, na, "ipackets")) / pmd_interval,
           8.0 * (double)(kv_u64(b, nb, "ibytes") - kv_u64(a, na, "ibytes")) / pmd_interval);
    printf("  Tx-pps: %12.0f          Tx-bps: %12.0f\n",
           (double)(kv_u64(b, nb, "opackets") - kv_u64(a, na, "opackets")) / pmd_interval,
           8.0 * (double)(kv_u64(b, nb, "obytes") - kv_u64(a, na, "obytes")) / pmd_interval);
    printf("  ############################################################################\n");
}

static void cmd_show_port_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_show_port_result *r = res;
    long ids[32];
    int n = tel_list("/ethdev/list", ids, 32);

    (void)cl, (void)data;
    if (n < 0) {
        pmd_failed = 1;
        return;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(r->what, "info"))
            port_info(ids[i]);
        else
            port_stats(ids[i]);
    }
}

TOKF(cmd_show_port_show, cmd_show_port_result, show, "show");
TOKF(cmd_show_port_port, cmd_show_port_result, port, "port");
TOKF(cmd_show_port_what, cmd_show_port_result, what, "info#stats");

static cmdline_parse_inst_t cmd_show_port = {
    .f = cmd_show_port_parsed,
    .help_str = "show port info|stats: device information, or packet counters and rates of "
                "every port",
    .tokens = { (void *)&cmd_show_port_show, (void *)&cmd_show_port_port,
                (void *)&cmd_show_port_what, NULL },
};

/* ------------------------------------------------------------------ show core|partition stats */
struct cmd_show_stats_result {
    cmdline_fixed_string_t show, what, stats;
};

static void cmd_show_stats_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_show_stats_result *r = res;
    int nw = nworkers();
    static struct kv a[64][KV_MAX], b[64][KV_MAX];
    int na[64], nb[64];
    char cmd[64], pfx[32];

    (void)cl, (void)data;
    if (nw <= 0)
        return;
    if (nw > 64)
        nw = 64;
    for (int i = 0; i < nw; i++) {
        snprintf(cmd, sizeof(cmd), "/dpcache/core,%d", i);
        na[i] = tel_query(cmd, a[i]);
    }
    if (!strcmp(r->what, "core"))
        pause_interval();
    for (int i = 0; i < nw; i++) {
        snprintf(cmd, sizeof(cmd), "/dpcache/core,%d", i);
        nb[i] = tel_query(cmd, b[i]);
        if (na[i] < 0 || nb[i] < 0) {
            pmd_failed = 1;
            return;
        }
    }
    if (!strcmp(r->what, "core")) {
        printf("%-5s %12s %7s %14s %12s %8s %12s %12s\n", "core", "requests/s", "busy%",
               "commands", "udp_requests", "clients", "rx_pkts/s", "tx_pkts/s");
        for (int i = 0; i < nw; i++) {
            uint64_t db = kv_u64(b[i], nb[i], "busy_cycles") - kv_u64(a[i], na[i], "busy_cycles");
            uint64_t di = kv_u64(b[i], nb[i], "idle_cycles") - kv_u64(a[i], na[i], "idle_cycles");
            snprintf(pfx, sizeof(pfx), "core%d", i);
            printf("%-5d %12.0f %6.1f%% %14llu %12llu %8llu %12.0f %12.0f\n", i,
                   (double)(kv_u64(b[i], nb[i], "commands") - kv_u64(a[i], na[i], "commands")) /
                       pmd_interval,
                   db + di ? 100.0 * (double)db / (double)(db + di) : 0.0,
                   (unsigned long long)since(pfx, b[i], nb[i], "commands"),
                   (unsigned long long)since(pfx, b[i], nb[i], "udp_requests"),
                   (unsigned long long)kv_u64(b[i], nb[i], "connected_clients"),
                   (double)(kv_u64(b[i], nb[i], "net_rx_packets") -
                            kv_u64(a[i], na[i], "net_rx_packets")) / pmd_interval,
                   (double)(kv_u64(b[i], nb[i], "net_tx_packets") -
                            kv_u64(a[i], na[i], "net_tx_packets")) / pmd_interval);
        }
        return;
    }
    printf("%-9s %12s %14s %14s %12s %12s %14s %14s\n", "partition", "keys", "used_memory",
           "index_bytes", "expired", "evicted", "hits", "misses");
    for (int i = 0; i < nw; i++) {
        snprintf(pfx, sizeof(pfx), "core%d", i);
        printf("%-9d %12llu %14llu %14llu %12llu %12llu %14llu %14llu\n", i,
               (unsigned long long)kv_u64(b[i], nb[i], "keys"),
               (unsigned long long)kv_u64(b[i], nb[i], "used_memory"),
               (unsigned long long)kv_u64(b[i], nb[i], "index_bytes"),
               (unsigned long long)since(pfx, b[i], nb[i], "expired_keys"),
               (unsigned long long)since(pfx, b[i], nb[i], "evicted_keys"),
               (unsigned long long)since(pfx, b[i], nb[i], "keyspace_hits"),
               (unsigned long long)since(pfx, b[i], nb[i], "keyspace_misses"));
    }
}

TOKF(cmd_show_stats_show, cmd_show_stats_result, show, "show");
TOKF(cmd_show_stats_what, cmd_show_stats_result, what, "core#partition");
TOKF(cmd_show_stats_stats, cmd_show_stats_result, stats, "stats");

static cmdline_parse_inst_t cmd_show_stats = {
    .f = cmd_show_stats_parsed,
    .help_str = "show core|partition stats: per worker requests/s and busy %, or per partition "
                "keys, memory, expiries, evictions",
    .tokens = { (void *)&cmd_show_stats_show, (void *)&cmd_show_stats_what,
                (void *)&cmd_show_stats_stats, NULL },
};

/* ------------------------------------------------------------------ show tcp */
struct cmd_show_tcp_result {
    cmdline_fixed_string_t show, tcp;
};

static void cmd_show_tcp_parsed(void *res, struct cmdline *cl, void *data)
{
    int nw = nworkers();
    struct kv kv[KV_MAX];
    char cmd[64], pfx[32];

    (void)res, (void)cl, (void)data;
    for (int i = 0; i < nw; i++) {
        int n;
        snprintf(cmd, sizeof(cmd), "/dpcache/core,%d", i);
        snprintf(pfx, sizeof(pfx), "core%d", i);
        n = tel_query(cmd, kv);
        if (n < 0) {
            pmd_failed = 1;
            return;
        }
        if (!kv_get(kv, n, "tcp_segs_in")) {
            printf("core %d: no native TCP (posix stack)\n", i);
            continue;
        }
        printf("core %d connections by state:", i);
        for (int k = 0; k < n; k++)
            if (!strncmp(kv[k].key, "tcp_state_", 10))
                printf(" %s %s", kv[k].key + 10, kv[k].val);
        printf("\n  ");
        for (int k = 0, col = 0; k < n; k++)
            if (!strncmp(kv[k].key, "tcp_", 4) && strncmp(kv[k].key, "tcp_state_", 10)) {
                printf("%-22s %-12llu%s", kv[k].key + 4,
                       (unsigned long long)since(pfx, kv, n, kv[k].key),
                       ++col % 3 ? "" : "\n  ");
            }
        printf("\n");
    }
}

TOKF(cmd_show_tcp_show, cmd_show_tcp_result, show, "show");
TOKF(cmd_show_tcp_tcp, cmd_show_tcp_result, tcp, "tcp");

static cmdline_parse_inst_t cmd_show_tcp = {
    .f = cmd_show_tcp_parsed,
    .help_str = "show tcp: native TCP connections by state and counters, per core",
    .tokens = { (void *)&cmd_show_tcp_show, (void *)&cmd_show_tcp_tcp, NULL },
};

/* ------------------------------------------------------------------ show info / show config */
struct cmd_show_info_result {
    cmdline_fixed_string_t show, info;
};

static void cmd_show_info_parsed(void *res, struct cmdline *cl, void *data)
{
    struct kv kv[KV_MAX];
    int n = tel_query("/dpcache/info", kv);

    (void)res, (void)cl, (void)data;
    if (n < 0) {
        pmd_failed = 1;
        return;
    }
    for (int i = 0; i < n; i++)
        printf("%-28s %s\n", kv[i].key, kv[i].val);
}

TOKF(cmd_show_info_show, cmd_show_info_result, show, "show");
TOKF(cmd_show_info_info, cmd_show_info_result, info, "info");

static cmdline_parse_inst_t cmd_show_info = {
    .f = cmd_show_info_parsed,
    .help_str = "show info: version, stack, workers, ports, memory of the data plane",
    .tokens = { (void *)&cmd_show_info_show, (void *)&cmd_show_info_info, NULL },
};

struct cmd_show_config_result {
    cmdline_fixed_string_t show, config, name;
};

static void run_ctl(int argc, const char **argv)
{
    static char out[65536];
    int rc = ctl_call(argc, argv, out, sizeof(out));

    if (rc)
        pmd_failed = 1;
    fputs(out, stdout);
}

static void cmd_show_config_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_show_config_result *r = res;
    const char *argv[] = { "CONFIG", "GET", r->name };

    (void)cl, (void)data;
    run_ctl(3, argv);
}

TOKF(cmd_show_config_show, cmd_show_config_result, show, "show");
TOKF(cmd_show_config_config, cmd_show_config_result, config, "config");
TOK(cmd_show_config_name, cmd_show_config_result, name);

static cmdline_parse_inst_t cmd_show_config = {
    .f = cmd_show_config_parsed,
    .help_str = "show config <pattern>: CONFIG GET <pattern>",
    .tokens = { (void *)&cmd_show_config_show, (void *)&cmd_show_config_config,
                (void *)&cmd_show_config_name, NULL },
};

/* ------------------------------------------------------------------ set fault / set config */
struct cmd_set_fault_result {
    cmdline_fixed_string_t set, fault, dir, kind;
    uint32_t ppm;
};

static void cmd_set_fault_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_set_fault_result *r = res;
    char name[64], val[16];
    const char *argv[] = { "CONFIG", "SET", name, val };

    (void)cl, (void)data;
    snprintf(name, sizeof(name), "native-fault-%.8s-%.8s", r->dir, r->kind);
    snprintf(val, sizeof(val), "%u", r->ppm);
    run_ctl(4, argv);
}

TOKF(cmd_set_fault_set, cmd_set_fault_result, set, "set");
TOKF(cmd_set_fault_fault, cmd_set_fault_result, fault, "fault");
TOKF(cmd_set_fault_dir, cmd_set_fault_result, dir, "rx#tx");
TOKF(cmd_set_fault_kind, cmd_set_fault_result, kind, "drop#dup#reorder");
static cmdline_parse_token_num_t cmd_set_fault_ppm =
    TOKEN_NUM_INITIALIZER(struct cmd_set_fault_result, ppm, RTE_UINT32);

static cmdline_parse_inst_t cmd_set_fault = {
    .f = cmd_set_fault_parsed,
    .help_str = "set fault rx|tx drop|dup|reorder <per-million>: native stack fault injection "
                "(0 turns it off)",
    .tokens = { (void *)&cmd_set_fault_set, (void *)&cmd_set_fault_fault,
                (void *)&cmd_set_fault_dir, (void *)&cmd_set_fault_kind,
                (void *)&cmd_set_fault_ppm, NULL },
};

struct cmd_set_config_result {
    cmdline_fixed_string_t set, config, name, value;
};

static void cmd_set_config_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_set_config_result *r = res;
    const char *argv[] = { "CONFIG", "SET", r->name, r->value };

    (void)cl, (void)data;
    run_ctl(4, argv);
}

TOKF(cmd_set_config_set, cmd_set_config_result, set, "set");
TOKF(cmd_set_config_config, cmd_set_config_result, config, "config");
TOK(cmd_set_config_name, cmd_set_config_result, name);
TOK(cmd_set_config_value, cmd_set_config_result, value);

static cmdline_parse_inst_t cmd_set_config = {
    .f = cmd_set_config_parsed,
    .help_str = "set config <name> <value>: CONFIG SET <name> <value>",
    .tokens = { (void *)&cmd_set_config_set, (void *)&cmd_set_config_config,
                (void *)&cmd_set_config_name, (void *)&cmd_set_config_value, NULL },
};

/* ------------------------------------------------------------------ snapshot */
struct cmd_snapshot_result {
    cmdline_fixed_string_t snapshot, path;
};

static void cmd_snapshot_parsed(void *res, struct cmdline *cl, void *data)
{
    struct cmd_snapshot_result *r = res;
    const char *path = data ? "dpcache-pmd.rdb" : r->path;

    (void)cl;
    if (ctl_snapshot(path)) {
        pmd_failed = 1;
        return;
    }
    printf("snapshot written to %s\n", path);
}

TOKF(cmd_snapshot_snapshot, cmd_snapshot_result, snapshot, "snapshot");
TOK(cmd_snapshot_path, cmd_snapshot_result, path);

static cmdline_parse_inst_t cmd_snapshot = {
    .f = cmd_snapshot_parsed,
    .help_str = "snapshot <file>: write an RDB snapshot of the running data plane into <file>",
    .tokens = { (void *)&cmd_snapshot_snapshot, (void *)&cmd_snapshot_path, NULL },
};

static cmdline_parse_inst_t cmd_snapshot_default = {
    .f = cmd_snapshot_parsed,
    .data = (void *)1,
    .help_str = "snapshot: write an RDB snapshot into ./dpcache-pmd.rdb",
    .tokens = { (void *)&cmd_snapshot_snapshot, NULL },
};

/* ------------------------------------------------------------------ clear stats */
struct cmd_clear_result {
    cmdline_fixed_string_t clear, stats;
};

static void cmd_clear_parsed(void *res, struct cmdline *cl, void *data)
{
    struct kv kv[KV_MAX];
    long ids[32];
    char cmd[64], key[160];
    int nw = nworkers(), np, n;

    (void)res, (void)cl, (void)data;
    for (int i = 0; i < nw; i++) {
        snprintf(cmd, sizeof(cmd), "/dpcache/core,%d", i);
        n = tel_query(cmd, kv);
        for (int k = 0; k < n; k++) {
            snprintf(key, sizeof(key), "core%d.%.63s", i, kv[k].key);
            base_set(key, strtoull(kv[k].val, NULL, 10));
        }
    }
    np = tel_list("/ethdev/list", ids, 32);
    for (int i = 0; i < np; i++) {
        snprintf(cmd, sizeof(cmd), "/ethdev/stats,%ld", ids[i]);
        n = tel_query(cmd, kv);
        for (int k = 0; k < n; k++) {
            snprintf(key, sizeof(key), "port%ld.%.63s", ids[i], kv[k].key);
            base_set(key, strtoull(kv[k].val, NULL, 10));
        }
    }
    printf("statistics cleared (counters shown from now on count from this point)\n");
}

TOKF(cmd_clear_clear, cmd_clear_result, clear, "clear");
TOKF(cmd_clear_stats, cmd_clear_result, stats, "stats");

static cmdline_parse_inst_t cmd_clear = {
    .f = cmd_clear_parsed,
    .help_str = "clear stats: count port, core, partition and TCP counters from now on",
    .tokens = { (void *)&cmd_clear_clear, (void *)&cmd_clear_stats, NULL },
};

/* ------------------------------------------------------------------ help / quit */
struct cmd_word_result {
    cmdline_fixed_string_t word;
};

static cmdline_parse_inst_t *const all_cmds[];

static void cmd_help_parsed(void *res, struct cmdline *cl, void *data)
{
    (void)res, (void)cl, (void)data;
    printf("Commands (TAB completes, '?' shows the choices):\n");
    for (int i = 0; all_cmds[i]; i++)
        printf("  %s\n", all_cmds[i]->help_str);
}

static void cmd_quit_parsed(void *res, struct cmdline *cl, void *data)
{
    (void)res, (void)data;
    cmdline_quit(cl);
}

TOKF(cmd_help_word, cmd_word_result, word, "help");
TOKF(cmd_quit_word, cmd_word_result, word, "quit#exit");

static cmdline_parse_inst_t cmd_help = {
    .f = cmd_help_parsed,
    .help_str = "help: this list",
    .tokens = { (void *)&cmd_help_word, NULL },
};

static cmdline_parse_inst_t cmd_quit = {
    .f = cmd_quit_parsed,
    .help_str = "quit: leave the shell",
    .tokens = { (void *)&cmd_quit_word, NULL },
};

static cmdline_parse_inst_t *const all_cmds[] = {
    &cmd_show_port, &cmd_show_stats, &cmd_show_tcp,   &cmd_show_info, &cmd_show_config,
    &cmd_set_fault, &cmd_set_config, &cmd_snapshot,   &cmd_snapshot_default,
    &cmd_clear,     &cmd_help,       &cmd_quit,       NULL,
};

static cmdline_parse_ctx_t main_ctx[] = {
    (cmdline_parse_inst_t *)&cmd_show_port, (cmdline_parse_inst_t *)&cmd_show_stats,
    (cmdline_parse_inst_t *)&cmd_show_tcp,  (cmdline_parse_inst_t *)&cmd_show_info,
    (cmdline_parse_inst_t *)&cmd_show_config, (cmdline_parse_inst_t *)&cmd_set_fault,
    (cmdline_parse_inst_t *)&cmd_set_config, (cmdline_parse_inst_t *)&cmd_snapshot,
    (cmdline_parse_inst_t *)&cmd_snapshot_default, (cmdline_parse_inst_t *)&cmd_clear,
    (cmdline_parse_inst_t *)&cmd_help,      (cmdline_parse_inst_t *)&cmd_quit,
    NULL,
};

struct cmdline *pmd_cmdline(int interactive)
{
    if (interactive)
        return cmdline_stdin_new(main_ctx, "dpcache-pmd> ");
    return cmdline_new(main_ctx, "", 0, 1);
}
