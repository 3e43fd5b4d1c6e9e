/*
 * options.h - every configuration directive, declared once.
 *
 * OPT(field, "name", type, default, min, max, flags, enum_names, "description")
 *   type      OPT_BOOL (yes/no), OPT_INT (integer in [min, max]), OPT_MEM (bytes, with k/kb/
 *             m/mb/g/gb units, in [min, max]), OPT_STR, OPT_ENUM (one of enum_names), OPT_SAVE
 *             (Redis "save" rules), OPT_OBL (client-output-buffer-limit classes), OPT_RENAME
 *             (Redis's rename-command: "<command> <new-name>", repeatable).
 *   flags     OPT_IMMUTABLE: only at start (CONFIG SET refuses, like Redis);
 *             OPT_PROTECTED: CONFIG SET only where enable-protected-configs allows it (Redis 7.0's
 *             PROTECTED_CONFIG: dir, dbfilename; dpcache's options naming files too);
 *             OPT_REDACT: a secret: never logged, "(redacted)" in the slow log and on the
 *             control socket; OPT_NOCONFIGGET: not listed by CONFIG GET;
 *             OPT_FILEONLY: a directive of the config file and command line only, unknown to
 *             CONFIG GET/SET (as rename-command in Redis).
 *
 * The same table drives the command line (--name value), the config file (name value),
 * CONFIG GET/SET, --help and the documentation in docs/operations.md. Names and semantics
 * follow redis.conf where Redis has the directive; dpcache's own are marked [dpcache].
 */
/* clang-format off */
#define OPT_TABLE(OPT) \
    OPT(stack,            "stack",                       OPT_ENUM, "posix",     0, 0, OPT_IMMUTABLE, opt_stack_names, "[dpcache] network stack: posix (kernel sockets) or native (DPDK ports and dpcache's own TCP/IP)") \
    OPT(workers,          "workers",                     OPT_INT,  "1",         1, 128, OPT_IMMUTABLE, NULL, "[dpcache] worker lcores when no EAL arguments are given (each owns a partition)") \
    OPT(maxkeys,          "maxkeys",                     OPT_INT,  "4194304",   1024, 1073741824, OPT_IMMUTABLE, NULL, "[dpcache] keys the index holds (split over the partitions); rte_hash tables never resize") \
    OPT(eal_memory_mb,    "eal-memory",                  OPT_INT,  "0",         0, 1048576, OPT_IMMUTABLE, NULL, "[dpcache] MiB for the EAL without hugepages (0: computed from maxkeys)") \
    OPT(bind,             "bind",                        OPT_STR,  "127.0.0.1", 0, 0, OPT_IMMUTABLE, NULL, "address(es) to listen on (posix stack), space separated") \
    OPT(port,             "port",                        OPT_INT,  "6379",      0, 65535, OPT_IMMUTABLE, NULL, "TCP/UDP service port, served by every worker") \
    OPT(core_port_base,   "core-port-base",              OPT_INT,  "-1",        -1, 65535, OPT_IMMUTABLE, NULL, "[dpcache] worker i also listens alone on core-port-base + i (-1: port + 1000; 0: no core ports)") \
    OPT(udp,              "udp",                         OPT_BOOL, "yes",       0, 0, OPT_IMMUTABLE, NULL, "[dpcache] serve the UDP RESP framing (docs/protocol.md) on the same ports") \
    OPT(udp_reply_from_service,"udp-reply-from-service-port",OPT_BOOL,"no",      0, 0, OPT_IMMUTABLE, NULL, "[dpcache] UDP requests that arrive on a core port are answered from the service port and from the address they were sent to (direct server return behind dpcache-front, docs/front.md); posix stack, not with cluster-enabled") \
    OPT(tcp_backlog,      "tcp-backlog",                 OPT_INT,  "511",       0, 65535, OPT_IMMUTABLE, NULL, "listen() backlog") \
    OPT(protected_mode,   "protected-mode",              OPT_BOOL, "yes",       0, 0, 0, NULL, "refuse non-loopback clients while no password is set") \
    OPT(requirepass,      "requirepass",                 OPT_STR,  "",          0, 0, OPT_REDACT, NULL, "password of the default user (AUTH); empty: none") \
    OPT(enable_protected_configs,"enable-protected-configs",OPT_ENUM,"no",   0, 0, OPT_IMMUTABLE, opt_protected_names, "CONFIG SET of protected configs (dir, dbfilename): no, yes, or local (clients on 127.0.0.1/::1 and the control socket only); docs/operations.md, Security") \
    OPT(enable_debug_command,"enable-debug-command",     OPT_ENUM, "no",        0, 0, OPT_IMMUTABLE, opt_protected_names, "the DEBUG command: no, yes, or local (clients on 127.0.0.1/::1 only)") \
    OPT(enable_module_command,"enable-module-command",   OPT_ENUM, "no",        0, 0, OPT_IMMUTABLE, opt_protected_names, "MODULE LOAD/LOADEX/UNLOAD: no, yes, or local (clients on 127.0.0.1/::1 only); dpcache loads no modules either way") \
    OPT(rename_command,   "rename-command",              OPT_RENAME,"",         0, 0, OPT_IMMUTABLE | OPT_FILEONLY, NULL, "rename a command for clients: rename-command CONFIG <new-name>; an empty new name ('') removes it; one directive per command; config file or command line only") \
    OPT(maxclients,       "maxclients",                  OPT_INT,  "10000",     1, 4294967295LL, 0, NULL, "most simultaneous clients") \
    OPT(timeout,          "timeout",                     OPT_INT,  "0",         0, 2147483647, 0, NULL, "close a client idle this many seconds (0: never)") \
    OPT(tcp_keepalive,    "tcp-keepalive",               OPT_INT,  "300",       0, 2147483647, 0, NULL, "TCP keepalive interval in seconds (0: off)") \
    OPT(databases,        "databases",                   OPT_INT,  "16",        1, DATABASES_MAX, OPT_IMMUTABLE, NULL, "number of logical databases (SELECT)") \
    OPT(maxmemory,        "maxmemory",                   OPT_MEM,  "0",         0, LLONG_MAX, 0, NULL, "memory limit for data (0: none); split evenly over the partitions") \
    OPT(maxmemory_policy, "maxmemory-policy",            OPT_ENUM, "noeviction",0, 0, 0, opt_policy_names, "what to do at maxmemory") \
    OPT(maxmemory_samples,"maxmemory-samples",           OPT_INT,  "5",         1, 64, 0, NULL, "keys sampled per eviction") \
    OPT(lfu_log_factor,   "lfu-log-factor",              OPT_INT,  "10",        0, 2147483647, 0, NULL, "LFU counter logarithm factor") \
    OPT(lfu_decay_time,   "lfu-decay-time",              OPT_INT,  "1",         0, 2147483647, 0, NULL, "LFU counter decay period in minutes") \
    OPT(proto_max_bulk_len,"proto-max-bulk-len",         OPT_MEM,  "512mb",     1048576, STRING_MAX_LEN, 0, NULL, "longest bulk string a client may send") \
    OPT(client_query_buffer_limit,"client-query-buffer-limit",OPT_MEM,"1gb",   1048576, LLONG_MAX, 0, NULL, "largest query buffer of a client before it is closed") \
    OPT(client_output_buffer_limit,"client-output-buffer-limit",OPT_OBL,"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", 0, 0, 0, NULL, "output buffer limits per class (hard soft seconds)") \
    OPT(hz,               "hz",                          OPT_INT,  "10",        1, 500, 0, NULL, "background task frequency (active expiry effort)") \
    OPT(active_expire_effort,"active-expire-effort",     OPT_INT,  "1",         1, 10, 0, NULL, "active expiry effort (1-10)") \
    OPT(loglevel,         "loglevel",                    OPT_ENUM, "notice",    0, 0, 0, opt_loglevel_names, "log verbosity") \
    OPT(logfile,          "logfile",                     OPT_STR,  "",          0, 0, OPT_IMMUTABLE | OPT_PROTECTED, NULL, "log file (empty: standard error)") \
    OPT(dir,              "dir",                         OPT_STR,  "./",        0, 0, OPT_PROTECTED, NULL, "directory of the snapshot files") \
    OPT(dbfilename,       "dbfilename",                  OPT_STR,  "dump.rdb",  0, 0, OPT_PROTECTED, NULL, "snapshot file name") \
    OPT(save,             "save",                        OPT_SAVE, "3600 1 300 100 60 10000", 0, 0, 0, NULL, "snapshot rules: <seconds> <changes> ...; empty: none") \
    OPT(appendonly,       "appendonly",                  OPT_BOOL, "no",        0, 0, OPT_IMMUTABLE, NULL, "append-only file: not supported (always no)") \
    OPT(slowlog_log_slower_than,"slowlog-log-slower-than",OPT_INT, "10000",     -1, LLONG_MAX, 0, NULL, "log commands slower than this many microseconds (-1: never)") \
    OPT(slowlog_max_len,  "slowlog-max-len",             OPT_INT,  "128",       0, LONG_MAX, 0, NULL, "slow log entries kept per worker") \
    OPT(hash_max_listpack_entries,"hash-max-listpack-entries",OPT_INT,"512",    0, 4096, 0, NULL, "hashes with at most this many fields use the packed encoding") \
    OPT(hash_max_listpack_value,"hash-max-listpack-value",OPT_INT, "64",        0, 65536, 0, NULL, "... and fields and values of at most this many bytes") \
    OPT(cluster_enabled,  "cluster-enabled",             OPT_BOOL, "no",        0, 0, OPT_IMMUTABLE, NULL, "Redis Cluster mode: every worker is a node on its core port, MOVED for others' keys") \
    OPT(cluster_announce_ip,"cluster-announce-ip",       OPT_STR,  "",          0, 0, 0, NULL, "address advertised by CLUSTER SLOTS/NODES (empty: the bind or port address)") \
    OPT(control_socket,   "control-socket",              OPT_STR,  "",          0, 0, OPT_IMMUTABLE | OPT_PROTECTED, NULL, "[dpcache] Unix socket for dpcache-control (empty: /var/run/dpcache/<port>.sock)") \
    OPT(snapshot_load,    "snapshot-load",               OPT_BOOL, "yes",       0, 0, OPT_IMMUTABLE, NULL, "[dpcache] at start, load the newest snapshot (dir/dbfilename) into the partitions before accepting clients") \
    OPT(snapshot_on_corrupt,"snapshot-on-corrupt",       OPT_ENUM, "refuse",    0, 0, OPT_IMMUTABLE, opt_corrupt_names, "[dpcache] a corrupt or unreadable snapshot at start: refuse to start, fallback to the older snapshots (dbfilename.1, .2, ...), or start empty") \
    OPT(snapshot_skip_unsupported,"snapshot-skip-unsupported",OPT_BOOL,"no",    0, 0, OPT_IMMUTABLE, NULL, "[dpcache] skip (and count) keys of types dpcache lacks (lists, sets, ...) when loading an RDB instead of refusing it") \
    OPT(io_threads,       "io-threads",                  OPT_INT,  "1",         1, 1, OPT_IMMUTABLE, NULL, "for tools that read it: dpcache has no I/O threads (workers do I/O)") \
    OPT(native_port,      "native-port",                 OPT_STR,  "",          0, 0, OPT_IMMUTABLE, NULL, "[dpcache] native stack: DPDK port, a vdev spec (net_tap0,iface=x; net_af_packet0,iface=veth0; net_af_xdp0,iface=x; net_memif0,...) or a PCI address (empty: the embedded TAP dpcache0, 10.88.0.2/24, host 10.88.0.1)") \
    OPT(native_addr,      "native-addr",                 OPT_STR,  "",          0, 0, OPT_IMMUTABLE, NULL, "[dpcache] native stack: IPv4 address/prefix of the port") \
    OPT(native_gateway,   "native-gateway",              OPT_STR,  "",          0, 0, OPT_IMMUTABLE, NULL, "[dpcache] native stack: IPv4 default gateway") \
    OPT(native_mtu,       "native-mtu",                  OPT_INT,  "1500",      576, 9000, OPT_IMMUTABLE, NULL, "[dpcache] native stack: MTU") \
    OPT(native_rto_min_ms,"native-tcp-rto-min",          OPT_INT,  "20",        1, 1000, OPT_IMMUTABLE, NULL, "[dpcache] native stack: minimum TCP retransmission timeout (ms)") \
    OPT(native_fault_rx_drop,"native-fault-rx-drop",     OPT_INT,  "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: received packets dropped, per million") \
    OPT(native_fault_rx_dup,"native-fault-rx-dup",       OPT_INT,  "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: received packets duplicated, per million") \
    OPT(native_fault_rx_reorder,"native-fault-rx-reorder",OPT_INT, "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: received packets reordered, per million") \
    OPT(native_fault_tx_drop,"native-fault-tx-drop",     OPT_INT,  "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: sent packets dropped, per million") \
    OPT(native_fault_tx_dup,"native-fault-tx-dup",       OPT_INT,  "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: sent packets duplicated, per million") \
    OPT(native_fault_tx_reorder,"native-fault-tx-reorder",OPT_INT, "0",         0, 1000000, 0, NULL, "[dpcache] fault injection: sent packets reordered, per million") \
    OPT(native_fault_seed,"native-fault-seed",           OPT_INT,  "0",         0, 9007199254740991LL, 0, NULL, "[dpcache] fault injection: seed of the per-core generators (core i uses seed + i; 0: random); setting it restarts them")
/* clang-format on */
