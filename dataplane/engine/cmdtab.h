/*
 * cmdtab.h - the command table, one row per command (Valkey's commands.def / Pelikan's
 * REQ_* tables as a model). Expanded into the enum of command ids, the table of
 * struct cmd_def (cmd.c) and the handler prototypes.
 *
 * CMD(id, name, handler, arity, flags, first_key, last_key, key_step, group, since, summary)
 *   arity     Redis convention: N = exactly N arguments (with the name), -N = at least N.
 *   flags     CMD_* from cmd.h; CMD_CONTAINER marks a command with subcommands (below).
 *   keys      first/last/step as in COMMAND INFO (last -1 = the last argument, 0 = none).
 *   group     COMMAND DOCS group.
 *   since     COMMAND DOCS since: the Redis version that introduced the command.
 *
 * Keep rows sorted by group, then name. Internal commands (prefix "__") carry CMD_INTERNAL:
 * they are what one core asks another to run for a multi-partition command and are refused
 * when a client sends them.
 */
/* clang-format off */
#define CMD_TABLE(CMD) \
    /* connection */ \
    CMD(AUTH,        "auth",        cmd_auth,        -2, CMD_NOAUTH | CMD_LOCAL | CMD_FAST | CMD_NOSCRIPT, 0, 0, 0, "connection", "1.0.0", "Authenticates the connection.") \
    CMD(CLIENT,      "client",      cmd_client,      -2, CMD_CONTAINER | CMD_LOCAL | CMD_NOSCRIPT, 0, 0, 0, "connection", "2.4.0", "A container for client connection commands.") \
    CMD(ECHO,        "echo",        cmd_echo,         2, CMD_LOCAL | CMD_FAST, 0, 0, 0, "connection", "1.0.0", "Returns the given string.") \
    CMD(HELLO,       "hello",       cmd_hello,       -1, CMD_NOAUTH | CMD_LOCAL | CMD_FAST | CMD_NOSCRIPT, 0, 0, 0, "connection", "6.0.0", "Handshakes with the Redis server.") \
    CMD(PING,        "ping",        cmd_ping,        -1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "connection", "1.0.0", "Returns the server's liveliness response.") \
    CMD(QUIT,        "quit",        cmd_quit,        -1, CMD_NOAUTH | CMD_LOCAL | CMD_FAST, 0, 0, 0, "connection", "1.0.0", "Closes the connection.") \
    CMD(SELECT,      "select",      cmd_select,       2, CMD_LOCAL | CMD_FAST, 0, 0, 0, "connection", "1.0.0", "Changes the selected database.") \
    /* generic */ \
    CMD(DEL,         "del",         cmd_del,         -2, CMD_WRITE | CMD_SPLIT, 1, -1, 1, "generic", "1.0.0", "Deletes one or more keys.") \
    CMD(EXISTS,      "exists",      cmd_exists,      -2, CMD_READONLY | CMD_FAST | CMD_LFREAD | CMD_SPLIT, 1, -1, 1, "generic", "1.0.0", "Determines whether one or more keys exist.") \
    CMD(EXPIRE,      "expire",      cmd_expire,      -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "1.0.0", "Sets the expiration time of a key in seconds.") \
    CMD(EXPIREAT,    "expireat",    cmd_expireat,    -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.") \
    CMD(EXPIRETIME,  "expiretime",  cmd_expiretime,   2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.") \
    CMD(KEYS,        "keys",        cmd_keys,         2, CMD_READONLY | CMD_ALLPART, 0, 0, 0, "generic", "1.0.0", "Returns all key names that match a pattern.") \
    CMD(MOVE,        "move",        cmd_move,         3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "1.0.0", "Moves a key to another database.") \
    CMD(PERSIST,     "persist",     cmd_persist,      2, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "2.2.0", "Removes the expiration time of a key.") \
    CMD(PEXPIRE,     "pexpire",     cmd_pexpire,     -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.") \
    CMD(PEXPIREAT,   "pexpireat",   cmd_pexpireat,   -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.") \
    CMD(PEXPIRETIME, "pexpiretime", cmd_pexpiretime,  2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.") \
    CMD(PTTL,        "pttl",        cmd_pttl,         2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.") \
    CMD(RANDOMKEY,   "randomkey",   cmd_randomkey,    1, CMD_READONLY | CMD_LOCAL, 0, 0, 0, "generic", "1.0.0", "Returns a random key name from the database.") \
    CMD(RENAME,      "rename",      cmd_rename,       3, CMD_WRITE | CMD_SPLIT, 1, 2, 1, "generic", "1.0.0", "Renames a key and overwrites the destination.") \
    CMD(RENAMENX,    "renamenx",    cmd_renamenx,     3, CMD_WRITE | CMD_FAST | CMD_SPLIT, 1, 2, 1, "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.") \
    CMD(SCAN,        "scan",        cmd_scan,        -2, CMD_READONLY | CMD_LOCAL, 0, 0, 0, "generic", "2.8.0", "Iterates over the key names in the database.") \
    CMD(TOUCH,       "touch",       cmd_touch,       -2, CMD_READONLY | CMD_FAST | CMD_LFREAD | CMD_SPLIT, 1, -1, 1, "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.") \
    CMD(TTL,         "ttl",         cmd_ttl,          2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "generic", "1.0.0", "Returns the expiration time in seconds of a key.") \
    CMD(TYPE,        "type",        cmd_type,         2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "generic", "1.0.0", "Determines the type of value stored at a key.") \
    CMD(UNLINK,      "unlink",      cmd_unlink,      -2, CMD_WRITE | CMD_FAST | CMD_SPLIT, 1, -1, 1, "generic", "4.0.0", "Asynchronously deletes one or more keys.") \
    /* hash */ \
    CMD(HDEL,        "hdel",        cmd_hdel,        -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "hash", "2.0.0", "Deletes one or more fields and their values from a hash.") \
    CMD(HEXISTS,     "hexists",     cmd_hexists,      3, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Determines whether a field exists in a hash.") \
    CMD(HGET,        "hget",        cmd_hget,         3, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns the value of a field in a hash.") \
    CMD(HGETALL,     "hgetall",     cmd_hgetall,      2, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns all fields and values in a hash.") \
    CMD(HINCRBY,     "hincrby",     cmd_hincrby,      4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash", "2.0.0", "Increments the integer value of a field in a hash by a number.") \
    CMD(HINCRBYFLOAT,"hincrbyfloat",cmd_hincrbyfloat, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash", "2.6.0", "Increments the floating point value of a field by a number.") \
    CMD(HKEYS,       "hkeys",       cmd_hkeys,        2, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns all fields in a hash.") \
    CMD(HLEN,        "hlen",        cmd_hlen,         2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns the number of fields in a hash.") \
    CMD(HMGET,       "hmget",       cmd_hmget,       -3, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns the values of all fields in a hash.") \
    CMD(HMSET,       "hmset",       cmd_hmset,       -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash", "2.0.0", "Sets the values of multiple fields.") \
    CMD(HRANDFIELD,  "hrandfield",  cmd_hrandfield,  -2, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "hash", "6.2.0", "Returns one or more random fields from a hash.") \
    CMD(HSCAN,       "hscan",       cmd_hscan,       -3, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "hash", "2.8.0", "Iterates over fields and values of a hash.") \
    CMD(HSET,        "hset",        cmd_hset,        -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash", "2.0.0", "Creates or modifies the value of a field in a hash.") \
    CMD(HSETNX,      "hsetnx",      cmd_hsetnx,       4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash", "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.") \
    CMD(HSTRLEN,     "hstrlen",     cmd_hstrlen,      3, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "hash", "3.2.0", "Returns the length of the value of a field.") \
    CMD(HVALS,       "hvals",       cmd_hvals,        2, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "hash", "2.0.0", "Returns all values in a hash.") \
    /* server */ \
    CMD(BGSAVE,      "bgsave",      cmd_bgsave,      -1, CMD_LOCAL | CMD_NOSCRIPT, 0, 0, 0, "server", "1.0.0", "Asynchronously saves the database(s) to disk.") \
    CMD(COMMAND,     "command",     cmd_command,     -1, CMD_CONTAINER | CMD_LOCAL, 0, 0, 0, "server", "2.8.13", "Returns detailed information about all commands.") \
    CMD(CONFIG,      "config",      cmd_config,      -2, CMD_CONTAINER | CMD_LOCAL | CMD_NOSCRIPT, 0, 0, 0, "server", "2.0.0", "A container for server configuration commands.") \
    CMD(DBSIZE,      "dbsize",      cmd_dbsize,       1, CMD_READONLY | CMD_FAST | CMD_LOCAL, 0, 0, 0, "server", "1.0.0", "Returns the number of keys in the database.") \
    CMD(DEBUG,       "debug",       cmd_debug,       -2, CMD_LOCAL | CMD_NOSCRIPT | CMD_PROTECTED, 0, 0, 0, "server", "1.0.0", "A container for debugging commands.") \
    CMD(FLUSHALL,    "flushall",    cmd_flushall,    -1, CMD_WRITE | CMD_ALLPART, 0, 0, 0, "server", "1.0.0", "Removes all keys from all databases.") \
    CMD(FLUSHDB,     "flushdb",     cmd_flushdb,     -1, CMD_WRITE | CMD_ALLPART, 0, 0, 0, "server", "1.0.0", "Remove all keys from the current database.") \
    CMD(INFO,        "info",        cmd_info,        -1, CMD_LOCAL, 0, 0, 0, "server", "1.0.0", "Returns information and statistics about the server.") \
    CMD(LASTSAVE,    "lastsave",    cmd_lastsave,     1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "server", "1.0.0", "Returns the Unix timestamp of the last successful save to disk.") \
    CMD(MODULE,      "module",      cmd_module,      -2, CMD_CONTAINER | CMD_LOCAL, 0, 0, 0, "server", "4.0.0", "A container for module commands.") \
    CMD(SAVE,        "save",        cmd_save,         1, CMD_LOCAL | CMD_NOSCRIPT, 0, 0, 0, "server", "1.0.0", "Synchronously saves the database(s) to disk.") \
    CMD(SHUTDOWN,    "shutdown",    cmd_shutdown,    -1, CMD_LOCAL | CMD_NOSCRIPT, 0, 0, 0, "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.") \
    CMD(SLOWLOG,     "slowlog",     cmd_slowlog,     -2, CMD_CONTAINER | CMD_LOCAL, 0, 0, 0, "server", "2.2.12", "A container for slow log commands.") \
    CMD(SWAPDB,      "swapdb",      cmd_swapdb,       3, CMD_WRITE | CMD_FAST | CMD_ALLPART, 0, 0, 0, "server", "4.0.0", "Swaps two Redis databases.") \
    CMD(TIME,        "time",        cmd_time,         1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "server", "2.6.0", "Returns the server time.") \
    /* cluster */ \
    CMD(ASKING,      "asking",      cmd_asking,       1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "cluster", "3.0.0", "Signals that a cluster client is following an -ASK redirect.") \
    CMD(CLUSTER,     "cluster",     cmd_cluster,     -2, CMD_CONTAINER | CMD_LOCAL, 0, 0, 0, "cluster", "3.0.0", "A container for Redis Cluster commands.") \
    CMD(READONLY,    "readonly",    cmd_readonly,     1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "cluster", "3.0.0", "Enables read-only queries for a connection to a Redis Cluster replica node.") \
    CMD(READWRITE,   "readwrite",   cmd_readwrite,    1, CMD_LOCAL | CMD_FAST, 0, 0, 0, "cluster", "3.0.0", "Enables read-write queries for a connection to a Reids Cluster replica node.") \
    /* string */ \
    CMD(APPEND,      "append",      cmd_append,       3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.") \
    CMD(DECR,        "decr",        cmd_decr,         2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.") \
    CMD(DECRBY,      "decrby",      cmd_decrby,       3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.") \
    CMD(GET,         "get",         cmd_get,          2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "string", "1.0.0", "Returns the string value of a key.") \
    CMD(GETDEL,      "getdel",      cmd_getdel,       2, CMD_WRITE | CMD_FAST, 1, 1, 1, "string", "6.2.0", "Returns the string value of a key after deleting the key.") \
    CMD(GETEX,       "getex",       cmd_getex,       -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "string", "6.2.0", "Returns the string value of a key after setting its expiration time.") \
    CMD(GETRANGE,    "getrange",    cmd_getrange,     4, CMD_READONLY | CMD_LFREAD, 1, 1, 1, "string", "2.4.0", "Returns a substring of the string stored at a key.") \
    CMD(GETSET,      "getset",      cmd_getset,       3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.") \
    CMD(INCR,        "incr",        cmd_incr,         2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.") \
    CMD(INCRBY,      "incrby",      cmd_incrby,       3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.") \
    CMD(INCRBYFLOAT, "incrbyfloat", cmd_incrbyfloat,  3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.") \
    CMD(MGET,        "mget",        cmd_mget,        -2, CMD_READONLY | CMD_FAST | CMD_LFREAD | CMD_SPLIT, 1, -1, 1, "string", "1.0.0", "Atomically returns the string values of one or more keys.") \
    CMD(MSET,        "mset",        cmd_mset,        -3, CMD_WRITE | CMD_DENYOOM | CMD_SPLIT, 1, -1, 2, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.") \
    CMD(MSETNX,      "msetnx",      cmd_msetnx,      -3, CMD_WRITE | CMD_DENYOOM | CMD_SPLIT, 1, -1, 2, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.") \
    CMD(PSETEX,      "psetex",      cmd_psetex,       4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.") \
    CMD(SET,         "set",         cmd_set,         -3, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.") \
    CMD(SETEX,       "setex",       cmd_setex,        4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.") \
    CMD(SETNX,       "setnx",       cmd_setnx,        3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.") \
    CMD(SETRANGE,    "setrange",    cmd_setrange,     4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.") \
    CMD(STRLEN,      "strlen",      cmd_strlen,       2, CMD_READONLY | CMD_FAST | CMD_LFREAD, 1, 1, 1, "string", "2.2.0", "Returns the length of a string value.") \
    /* internal: what a core asks a partition's owner to run */ \
    CMD(I_CLIENTS,   "__clients",   cmd_i_clients,   -1, CMD_INTERNAL, 0, 0, 0, "internal", "", "CLIENT LIST/KILL part on one core.") \
    CMD(I_FLUSH,     "__flush",     cmd_i_flush,      2, CMD_INTERNAL | CMD_WRITE, 0, 0, 0, "internal", "", "Empties one database (or all: -1) of one partition.") \
    CMD(I_KEYS,      "__keys",      cmd_i_keys,       2, CMD_INTERNAL | CMD_READONLY, 0, 0, 0, "internal", "", "KEYS on one partition.") \
    CMD(I_PUT,       "__put",       cmd_i_put,        4, CMD_INTERNAL | CMD_WRITE, 1, 1, 1, "internal", "", "Stores a value taken by __take (RENAME/MOVE across partitions).") \
    CMD(I_RANDOMKEY, "__randomkey", cmd_i_randomkey,  1, CMD_INTERNAL | CMD_READONLY, 0, 0, 0, "internal", "", "RANDOMKEY on one partition.") \
    CMD(I_SCAN,      "__scan",      cmd_i_scan,       6, CMD_INTERNAL | CMD_READONLY, 0, 0, 0, "internal", "", "One SCAN step on one partition.") \
    CMD(I_SLOWLOG,   "__slowlog",   cmd_i_slowlog,    2, CMD_INTERNAL, 0, 0, 0, "internal", "", "SLOWLOG GET/RESET part on one core.") \
    CMD(I_SWAPDB,    "__swapdb",    cmd_i_swapdb,     3, CMD_INTERNAL | CMD_WRITE, 0, 0, 0, "internal", "", "SWAPDB on one partition.") \
    CMD(I_TAKE,      "__take",      cmd_i_take,       2, CMD_INTERNAL | CMD_WRITE, 1, 1, 1, "internal", "", "Removes a key and returns its serialized value (RENAME/MOVE across partitions).")
/* clang-format on */

/*
 * SUBCMD(id, parent, handler, name, arity, flags, since, summary): the subcommands of the
 * CMD_CONTAINER commands, as Redis 7 has them. Each is a command of its own for arity checks,
 * errors ('client|info'), INFO commandstats and CLIENT LIST's cmd= field; its handler is the
 * container's, which still reads argv[1]. name is the full "container|sub" name; arity counts
 * the container name too (Redis convention). Keep rows grouped by parent, sorted by name.
 */
/* clang-format off */
#define SUBCMD_TABLE(SUB) \
    SUB(CLIENT_GETNAME,   CLIENT,  cmd_client,  "client|getname",    2, CMD_LOCAL | CMD_NOSCRIPT, "2.6.9", "Returns the name of the connection.") \
    SUB(CLIENT_HELP,      CLIENT,  cmd_client,  "client|help",       2, CMD_LOCAL, "5.0.0", "Returns helpful text about the different subcommands.") \
    SUB(CLIENT_ID,        CLIENT,  cmd_client,  "client|id",         2, CMD_LOCAL | CMD_NOSCRIPT, "5.0.0", "Returns the unique client ID of the connection.") \
    SUB(CLIENT_INFO,      CLIENT,  cmd_client,  "client|info",       2, CMD_LOCAL | CMD_NOSCRIPT, "6.2.0", "Returns information about the connection.") \
    SUB(CLIENT_KILL,      CLIENT,  cmd_client,  "client|kill",      -3, CMD_LOCAL | CMD_NOSCRIPT, "2.4.0", "Terminates open connections.") \
    SUB(CLIENT_LIST,      CLIENT,  cmd_client,  "client|list",      -2, CMD_LOCAL | CMD_NOSCRIPT, "2.4.0", "Lists open connections.") \
    SUB(CLIENT_SETINFO,   CLIENT,  cmd_client,  "client|setinfo",    4, CMD_LOCAL | CMD_NOSCRIPT, "7.2.0", "Sets information specific to the client or connection.") \
    SUB(CLIENT_SETNAME,   CLIENT,  cmd_client,  "client|setname",    3, CMD_LOCAL | CMD_NOSCRIPT, "2.6.9", "Sets the connection name.") \
    SUB(CLUSTER_HELP,     CLUSTER, cmd_cluster, "cluster|help",      2, CMD_LOCAL, "5.0.0", "Returns helpful text about the different subcommands.") \
    SUB(CLUSTER_INFO,     CLUSTER, cmd_cluster, "cluster|info",      2, CMD_LOCAL, "3.0.0", "Returns information about the state of a node.") \
    SUB(CLUSTER_KEYSLOT,  CLUSTER, cmd_cluster, "cluster|keyslot",   3, CMD_LOCAL, "3.0.0", "Returns the hash slot for a key.") \
    SUB(CLUSTER_MYID,     CLUSTER, cmd_cluster, "cluster|myid",      2, CMD_LOCAL, "3.0.0", "Returns the ID of a node.") \
    SUB(CLUSTER_NODES,    CLUSTER, cmd_cluster, "cluster|nodes",     2, CMD_LOCAL, "3.0.0", "Returns the cluster configuration for a node.") \
    SUB(CLUSTER_SHARDS,   CLUSTER, cmd_cluster, "cluster|shards",    2, CMD_LOCAL, "7.0.0", "Returns the mapping of cluster slots to shards.") \
    SUB(CLUSTER_SLOTS,    CLUSTER, cmd_cluster, "cluster|slots",     2, CMD_LOCAL, "3.0.0", "Returns the mapping of cluster slots to nodes.") \
    SUB(COMMAND_COUNT,    COMMAND, cmd_command, "command|count",     2, CMD_LOCAL, "2.8.13", "Returns a count of commands.") \
    SUB(COMMAND_DOCS,     COMMAND, cmd_command, "command|docs",     -2, CMD_LOCAL, "7.0.0", "Returns documentary information about one, multiple or all commands.") \
    SUB(COMMAND_HELP,     COMMAND, cmd_command, "command|help",      2, CMD_LOCAL, "5.0.0", "Returns helpful text about the different subcommands.") \
    SUB(COMMAND_INFO,     COMMAND, cmd_command, "command|info",     -2, CMD_LOCAL, "2.8.13", "Returns information about one, multiple or all commands.") \
    SUB(COMMAND_LIST,     COMMAND, cmd_command, "command|list",     -2, CMD_LOCAL, "7.0.0", "Returns a list of command names.") \
    SUB(CONFIG_GET,       CONFIG,  cmd_config,  "config|get",       -3, CMD_LOCAL | CMD_NOSCRIPT, "2.0.0", "Returns the effective values of configuration parameters.") \
    SUB(CONFIG_HELP,      CONFIG,  cmd_config,  "config|help",       2, CMD_LOCAL, "5.0.0", "Returns helpful text about the different subcommands.") \
    SUB(CONFIG_RESETSTAT, CONFIG,  cmd_config,  "config|resetstat",  2, CMD_LOCAL | CMD_NOSCRIPT, "2.0.0", "Resets the server's statistics.") \
    SUB(CONFIG_REWRITE,   CONFIG,  cmd_config,  "config|rewrite",    2, CMD_LOCAL | CMD_NOSCRIPT, "2.8.0", "Persists the effective configuration to file.") \
    SUB(CONFIG_SET,       CONFIG,  cmd_config,  "config|set",       -4, CMD_LOCAL | CMD_NOSCRIPT, "2.0.0", "Sets configuration parameters in-flight.") \
    SUB(MODULE_HELP,      MODULE,  cmd_module,  "module|help",       2, CMD_LOCAL, "5.0.0", "Returns helpful text about the different subcommands.") \
    SUB(MODULE_LIST,      MODULE,  cmd_module,  "module|list",       2, CMD_LOCAL | CMD_NOSCRIPT, "4.0.0", "Returns all loaded modules.") \
    SUB(MODULE_LOAD,      MODULE,  cmd_module,  "module|load",      -3, CMD_LOCAL | CMD_NOSCRIPT | CMD_PROTECTED, "4.0.0", "Loads a module.") \
    SUB(MODULE_LOADEX,    MODULE,  cmd_module,  "module|loadex",    -3, CMD_LOCAL | CMD_NOSCRIPT | CMD_PROTECTED, "7.0.0", "Loads a module using extended parameters.") \
    SUB(MODULE_UNLOAD,    MODULE,  cmd_module,  "module|unload",     3, CMD_LOCAL | CMD_NOSCRIPT | CMD_PROTECTED, "4.0.0", "Unloads a module.") \
    SUB(SLOWLOG_GET,      SLOWLOG, cmd_slowlog, "slowlog|get",      -2, CMD_LOCAL, "2.2.12", "Returns the slow log's entries.") \
    SUB(SLOWLOG_HELP,     SLOWLOG, cmd_slowlog, "slowlog|help",      2, CMD_LOCAL, "6.2.0", "Show helpful text about the different subcommands.") \
    SUB(SLOWLOG_LEN,      SLOWLOG, cmd_slowlog, "slowlog|len",       2, CMD_LOCAL, "2.2.12", "Returns the number of entries in the slow log.") \
    SUB(SLOWLOG_RESET,    SLOWLOG, cmd_slowlog, "slowlog|reset",     2, CMD_LOCAL, "2.2.12", "Clears all entries from the slow log.")
/* clang-format on */
