/*
 * options.h - every dpcache-control option, declared once.
 *
 * CO(field, "name", type, "default", min, max, "description")
 *   type  CO_STR, CO_INT (integer in [min, max]), CO_BOOL (yes/no), CO_LIST (repeatable:
 *         each occurrence appends its whitespace-separated items, an empty value clears).
 *
 * The table drives the command line (--name value), the config file ("name value" lines,
 * '#' comments), --help and the options table of docs/operations.md. An empty string default
 * means "ask the data plane" where the description says so.
 */
#ifndef CTL_OPTIONS_H
#define CTL_OPTIONS_H

/* clang-format off */
#define CTL_OPTIONS(CO) \
    CO(port,              "port",                 CO_INT,  "6379",  0, 65535, "service port of the dpcache to attach to: finds its control socket (/var/run/dpcache/<port>.sock) and its telemetry (file prefix dpcache<port>)") \
    CO(socket,            "socket",               CO_STR,  "",      0, 0, "control socket of the data plane (its control-socket option); empty: /var/run/dpcache/<port>.sock") \
    CO(telemetry,         "telemetry-socket",     CO_STR,  "",      0, 0, "DPDK telemetry v2 socket of the data plane; empty: /var/run/dpdk/dpcache<port>/dpdk_telemetry.v2, else the one whose /dpcache/info has the data plane's run_id") \
    CO(listen,            "listen",               CO_STR,  "127.0.0.1:9121", 0, 0, "HTTP address:port for /metrics, /healthz, /readyz and the admin API ([v6addr]:port for IPv6; 9121 is redis_exporter's port)") \
    CO(admin_token_file,  "admin-token-file",     CO_STR,  "",      0, 0, "file holding the admin API bearer token (read at start); empty: environment DPCACHE_ADMIN_TOKEN; neither: the admin API answers 403") \
    CO(admin_protected,   "admin-protected-configs", CO_BOOL, "no", 0, 0, "let PUT /v1/config change the data plane's protected configs (dir, dbfilename); the data plane's enable-protected-configs must allow it too (yes, or local: the control socket is local); no: refused whatever the data plane allows (docs/operations.md, Security)") \
    CO(http_body_limit,   "http-body-limit",      CO_INT,  "65536", 64, 16777216, "largest request body accepted (bytes); larger: 413") \
    CO(http_connections,  "http-max-connections", CO_INT,  "32",    1, 1024, "simultaneous HTTP connections (more are refused)") \
    CO(http_timeout,      "http-timeout",         CO_INT,  "10",    1, 3600, "seconds an idle or slow HTTP connection is kept") \
    CO(dir,               "dir",                  CO_STR,  "",      0, 0, "snapshot directory; empty: the data plane's dir (CONFIG GET dir, relative to its working directory)") \
    CO(dbfilename,        "dbfilename",           CO_STR,  "",      0, 0, "newest snapshot's file name; empty: the data plane's dbfilename") \
    CO(keep,              "keep",                 CO_INT,  "3",     1, 1000, "snapshots kept: <dbfilename> (newest) and <dbfilename>.1 ... .<keep-1>") \
    CO(snapshot_interval, "snapshot-interval",    CO_INT,  "0",     0, 31536000, "take a snapshot every this many seconds (0: only by save rules and requests)") \
    CO(save,              "save",                 CO_STR,  "-",     0, 0, "Redis save rules '<seconds> <changes> ...' counted from the last save; '-': follow the data plane's save (CONFIG GET save); empty: none") \
    CO(shutdown_snapshot, "shutdown-snapshot",    CO_BOOL, "yes",   0, 0, "when the data plane shuts down (SIGTERM), write a final snapshot before letting it exit") \
    CO(poll_ms,           "poll-interval-ms",     CO_INT,  "100",   10, 10000, "how often requests of the data plane (BGSAVE, SAVE, shutdown) are polled") \
    CO(reconnect_ms,      "reconnect-interval-ms",CO_INT,  "500",   10, 60000, "wait between attempts to reach the data plane") \
    CO(io_timeout_ms,     "io-timeout-ms",        CO_INT,  "10000", 100, 600000, "a data plane that does not answer a command within this time is considered gone") \
    CO(exporter_quirks,   "metrics-exporter-quirks", CO_BOOL, "no", 0, 0, "export redis_rdb_saves_total as a gauge and redis_rdb_last_bgsave_duration_sec exactly as redis_exporter does (promtool check metrics then complains); no: a counter and ..._duration_seconds") \
    CO(loglevel,          "loglevel",             CO_STR,  "notice",0, 0, "log verbosity: debug, verbose, notice, warning, nothing") \
    CO(dataplane,         "dataplane",            CO_BOOL, "yes",   0, 0, "attach to a dpcache data plane (snapshots, redis_* metrics); no: front mode alone, as on a front node (needs front-iface)") \
    CO(front_iface,       "front-iface",          CO_STR,  "",      0, 0, "front mode: the network interface the XDP front is attached to; dpcache-control then owns its backend set (docs/front.md); empty: off") \
    CO(front_mode,        "front-mode",           CO_STR,  "auto",  0, 0, "front mode: XDP attach mode: auto (the kernel's choice), native (driver mode) or generic (also skb: skb mode, any device)") \
    CO(front_vip,         "front-vip",            CO_STR,  "",      0, 0, "front mode: the service IPv4 address; the backends own it (direct server return)") \
    CO(front_tcp_port,    "front-tcp-port",       CO_INT,  "6379",  0, 65535, "front mode: TCP service port, balanced by Maglev with a connection table (0: TCP passes untouched)") \
    CO(front_udp_port,    "front-udp-port",       CO_INT,  "6379",  0, 65535, "front mode: UDP service port, requests steered by key to the owner node and core (0: UDP passes untouched)") \
    CO(front_backend,     "front-backend",        CO_LIST, "",      0, 0, "front mode: a backend 'ADDR,mac=M,base-port=P[,cores=C][,weight=W][,egress=IF]' (dpcache-front add's fields); repeat it for each; the set applied at start, then changed through /v1/front/backends") \
    CO(front_pin_dir,     "front-pin-dir",        CO_STR,  "",      0, 0, "front mode: bpffs directory of the front's maps and link, reused by the next start (connections survive a restart); empty: /sys/fs/bpf/dpcache/<front-iface>")
/* clang-format on */

enum co_type { CO_STR, CO_INT, CO_BOOL, CO_LIST };

struct ctl_config {
#define CO_FIELD_CO_STR                 char *
#define CO_FIELD_CO_INT                 long long
#define CO_FIELD_CO_BOOL                int
#define CO_FIELD_CO_LIST                char * /* items separated by whitespace */
#define CO_FIELD(f, n, t, d, mn, mx, h) CO_FIELD_##t f;
    CTL_OPTIONS(CO_FIELD)
#undef CO_FIELD
};

#endif
