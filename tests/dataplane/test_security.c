/*
 * test_security.c - the engine's security rules in process (issue 19): protected configs and
 * commands (enable-protected-configs, enable-debug-command, enable-module-command with no,
 * yes and local; local and remote clients; the control socket's CTL.CONFIG.SET rule), the
 * order of the checks (arity, then protection, then AUTH), rename-command (lookup, COMMAND,
 * INFO commandstats, dpcache's own lookups by original names, errors) and the redaction of
 * secrets in the slow log and on the control socket. The same replies are compared with a
 * real redis-server 7.0.15 in tests/integration/test_security.py.
 */
#include "dp_test.h"

#include "engine/cmd.h"
#include "engine/config.h"
#include "engine/worker.h"
#include "resp/obuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTECTED_CFG_ERR(arg)                                                                     \
    "-ERR CONFIG SET failed (possibly related to argument '" arg "') - can't set protected "       \
    "config\r\n"
#define DEBUG_ERR                                                                                  \
    "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "     \
    "you can run it from a local connection, otherwise you need to set this option in the "        \
    "configuration file, and then restart the server.\r\n"
#define MODULE_ERR                                                                                 \
    "-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", "   \
    "you can run it from a local connection, otherwise you need to set this option in the "        \
    "configuration file, and then restart the server.\r\n"

static struct client *client_at(const char *raddr)
{
    struct client *c = client_new(srv.workers[0], NULL, "127.0.0.1:6379", raddr, 0);

    assert_non_null(c);
    return c;
}

/* Does @c hold @needle in the reply to @req? */
static int reply_has(struct client *c, const char *req, const char *needle)
{
    char *r = dp_test_cmd(c, req);
    int has = strstr(r, needle) != NULL;

    free(r);
    return has;
}

/* What the control socket gets for @argv (ctl.c runs commands this way). */
static char *ctl_run(int argc, const struct rstr *argv, int ctl_config_set)
{
    struct obuf ob;
    struct ctx x;
    char *out;
    size_t n;

    obuf_init(&ob, NULL);
    memset(&x, 0, sizeof(x));
    x.w = srv.workers[0];
    x.cmd = ctl_config_set
                ? &cmd_defs[CMDID_CONFIG_SET]
                : cmd_lookup_sub(cmd_lookup(argv[0].p, argv[0].len, 1), argv[1].p, argv[1].len);
    assert_non_null(x.cmd);
    x.argc = argc;
    x.argv = argv;
    x.out = &ob;
    x.proto = 2;
    x.ctl = 1;
    if (ctl_config_set)
        cmd_config_set(&x, 0);
    else
        x.cmd->fn(&x);
    n = obuf_len(&ob);
    out = malloc(n + 1);
    assert_non_null(out);
    obuf_copy_out(&ob, 0, out, n);
    out[n] = '\0';
    obuf_reset(&ob);
    return out;
}

static void test_protected_configs(void **state)
{
    static const char *const modes[] = { "no", "yes", "local" };
    static const char *const peers[] = { "127.0.0.1:40000", "[::1]",          "::1:40001",
                                         "127.0.0.2:40002", "10.1.2.3:40003", "" };
    static const int peer_local[] = { 1, 0, 1, 0, 0, 0 };
    char dirset[256], want_get[128];

    (void)state;
    snprintf(dirset, sizeof(dirset), "CONFIG SET dir /tmp\r\n");
    for (int m = 0; m < 3; m++) {
        const char *opts[] = { "--enable-protected-configs", modes[m], "--dir", "/tmp", NULL };
        dp_test_server(opts);
        snprintf(want_get, sizeof(want_get),
                 "*2\r\n$24\r\nenable-protected-configs\r\n$%zu\r\n%s\r\n", strlen(modes[m]),
                 modes[m]);
        for (size_t p = 0; p < sizeof(peers) / sizeof(peers[0]); p++) {
            struct client *c = client_at(peers[p]);
            int ok = m == 1 || (m == 2 && peer_local[p]);
            assert_int_equal(client_is_local(c), peer_local[p]);
            assert_reply(c, dirset, ok ? "+OK\r\n" : PROTECTED_CFG_ERR("dir"));
            assert_reply(c, "CONFIG SET DbFileName x.rdb\r\n",
                         ok ? "+OK\r\n" : PROTECTED_CFG_ERR("DbFileName"));
            /* the first parameter that cannot be set is the one named */
            assert_reply(c, "CONFIG SET maxmemory 1 dir /tmp maxmemory 2\r\n",
                         ok ? "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') "
                              "- duplicate parameter\r\n"
                            : PROTECTED_CFG_ERR("dir"));
            assert_reply(c, "CONFIG SET databases 3 dir /tmp\r\n",
                         "-ERR CONFIG SET failed (possibly related to argument 'databases') - "
                         "can't set immutable config\r\n");
            assert_reply(c, "CONFIG SET dir /tmp nosuch 1\r\n",
                         ok ? "-ERR Unknown option or number of arguments for CONFIG SET - "
                              "'nosuch'\r\n"
                            : PROTECTED_CFG_ERR("dir"));
            assert_reply(c, "CONFIG SET nosuch 1 dir /tmp\r\n",
                         "-ERR Unknown option or number of arguments for CONFIG SET - "
                         "'nosuch'\r\n");
            assert_reply(c, "CONFIG GET enable-protected-configs\r\n", want_get);
            assert_reply(c, "CONFIG SET enable-protected-configs yes\r\n",
                         "-ERR CONFIG SET failed (possibly related to argument "
                         "'enable-protected-configs') - can't set immutable config\r\n");
            /* what failed changed nothing */
            assert_reply(c, "CONFIG GET dbfilename\r\n",
                         ok ? "*2\r\n$10\r\ndbfilename\r\n$5\r\nx.rdb\r\n"
                            : "*2\r\n$10\r\ndbfilename\r\n$8\r\ndump.rdb\r\n");
            assert_reply(c, "CONFIG SET dbfilename dump.rdb maxmemory 0\r\n",
                         ok ? "+OK\r\n" : PROTECTED_CFG_ERR("dbfilename"));
            client_release(c);
        }
        {
            /* the control socket: local (a Unix socket) for CONFIG SET; never for the admin
             * API's CTL.CONFIG.SET */
            struct rstr set[] = {
                { "config", 6 }, { "set", 3 }, { "dbfilename", 10 }, { "ctl.rdb", 7 }
            };
            char *r = ctl_run(4, set, 0);
            assert_string_equal(r, m ? "+OK\r\n" : PROTECTED_CFG_ERR("dbfilename"));
            free(r);
            r = ctl_run(4, set, 1);
            assert_string_equal(r, PROTECTED_CFG_ERR("dbfilename"));
            free(r);
            set[2] = (struct rstr){ "maxmemory", 9 };
            set[3] = (struct rstr){ "1mb", 3 };
            r = ctl_run(4, set, 1);
            assert_string_equal(r, "+OK\r\n");
            free(r);
            assert_int_equal(srv.cfg.maxmemory, 1 << 20);
        }
        dp_test_server_down();
    }
}

static void test_protected_commands(void **state)
{
    static const char *const modes[] = { "no", "yes", "local" };

    (void)state;
    for (int m = 0; m < 3; m++) {
        const char *opts[] = { "--enable-debug-command",
                               modes[m],
                               "--enable-module-command",
                               modes[(m + 1) % 3],
                               "--requirepass",
                               "pw",
                               NULL };
        int debug_mode = m, module_mode = (m + 1) % 3;
        dp_test_server(opts);
        for (int local = 0; local < 2; local++) {
            struct client *c = client_at(local ? "127.0.0.1:5000" : "192.0.2.1:5000");
            int dbg = protected_allowed(debug_mode, local);
            int mod = protected_allowed(module_mode, local);
            /* arity first, then the protection, then AUTH (as Redis 7.0's processCommand) */
            assert_reply(c, "DEBUG\r\n", "-ERR wrong number of arguments for 'debug' command\r\n");
            assert_reply(c, "MODULE LOAD\r\n",
                         "-ERR wrong number of arguments for 'module|load' command\r\n");
            assert_reply(c, "MODULE NOPE\r\n",
                         "-ERR unknown subcommand 'NOPE'. Try MODULE HELP.\r\n");
            assert_reply(c, "DEBUG SLEEP 0\r\n",
                         dbg ? "-NOAUTH Authentication required.\r\n" : DEBUG_ERR);
            assert_reply(c, "MODULE UNLOAD x\r\n",
                         mod ? "-NOAUTH Authentication required.\r\n" : MODULE_ERR);
            assert_reply(c, "AUTH pw\r\n", "+OK\r\n");
            assert_reply(c, "DEBUG SLEEP 0\r\n", dbg ? "+OK\r\n" : DEBUG_ERR);
            assert_reply(c, "DEBUG sleep x\r\n", dbg ? "+OK\r\n" : DEBUG_ERR);
            assert_reply(c, "DEBUG LOG hello\r\n", dbg ? "+OK\r\n" : DEBUG_ERR);
            assert_reply(c, "debug Nope 1\r\n",
                         dbg ? "-ERR unknown subcommand or wrong number of arguments for 'Nope'. "
                               "Try DEBUG HELP.\r\n"
                             : DEBUG_ERR);
            assert_reply(c, "DEBUG HELP\r\n",
                         dbg ? "*7\r\n+DEBUG <subcommand> [<arg> [value] "
                               "[opt] ...]. Subcommands are:\r\n+LOG "
                               "<message>\r\n+    Write <message> to the "
                               "server log.\r\n+SLEEP <seconds>\r\n+    "
                               "Stop this worker (and its clients) for "
                               "<seconds>. Decimals allowed.\r\n+HELP\r\n+"
                               "    Prints this help.\r\n"
                             : DEBUG_ERR);
            /* LIST and HELP are not protected, as in Redis 7.0 */
            assert_reply(c, "MODULE LIST\r\n", "*0\r\n");
            assert_true(reply_has(c, "MODULE HELP\r\n", "*11\r\n+MODULE <subcommand>"));
            assert_reply(c, "MODULE LOAD /x/y.so a b\r\n",
                         mod ? "-ERR Error loading the extension. Please check the server "
                               "logs.\r\n"
                             : MODULE_ERR);
            assert_reply(c, "MODULE LOADEX /x/y.so CONFIG a b\r\n",
                         mod ? "-ERR Error loading the extension. Please check the server "
                               "logs.\r\n"
                             : MODULE_ERR);
            assert_reply(c, "MODULE UNLOAD x\r\n",
                         mod ? "-ERR Error unloading module: no such module with that name\r\n"
                             : MODULE_ERR);
            client_release(c);
        }
        /* refused ones count as rejected calls, as Redis's rejectCommand */
        {
            struct client *c = client_at("127.0.0.1:5001");
            char *r, *line;
            assert_reply(c, "AUTH pw\r\n", "+OK\r\n");
            r = dp_test_cmd(c, "INFO commandstats\r\n");
            line = strstr(r, "cmdstat_debug:");
            assert_non_null(line);
            *strchr(line, '\r') = '\0';
            /* per client: DEBUG alone (arity), DEBUG SLEEP before AUTH (protection or NOAUTH),
             * then 5 after AUTH: run, or refused */
            {
                int runs = protected_allowed(debug_mode, 0) + protected_allowed(debug_mode, 1);
                char want[128];
                snprintf(want, sizeof(want), "cmdstat_debug:calls=%d,", 5 * runs);
                assert_non_null(strstr(line, want));
                snprintf(want, sizeof(want), "rejected_calls=%d,", 4 + 5 * (2 - runs));
                assert_non_null(strstr(line, want));
            }
            free(r);
            client_release(c);
        }
        dp_test_server_down();
    }
}

static void test_rename_command(void **state)
{
    const char *opts[] = { "--rename-command",
                           "FLUSHALL",
                           "secret-FLUSH",
                           "--rename-command",
                           "config",
                           "",
                           "--rename-command",
                           "get",
                           "G2",
                           "--rename-command",
                           "hgetall",
                           "a-very-long-"
                           "name-for-hgetall",
                           NULL };
    const char *plain[] = { NULL };
    char err[512], *r, count[32];
    struct client *c;
    long long all;

    (void)state;
    dp_test_server(plain);
    c = dp_test_client();
    r = dp_test_cmd(c, "COMMAND COUNT\r\n");
    all = strtoll(r + 1, NULL, 10);
    free(r);
    dp_test_server_down();

    dp_test_server(opts);
    c = dp_test_client();
    assert_reply(c, "FLUSHALL\r\n",
                 "-ERR unknown command 'FLUSHALL', with args beginning with: \r\n");
    assert_reply(c, "SECRET-flush\r\n", "+OK\r\n");
    assert_reply(c, "CONFIG GET port\r\n",
                 "-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' \r\n");
    assert_reply(c, "SET k v\r\n", "+OK\r\n");
    assert_reply(c, "g2 k\r\n", "$1\r\nv\r\n");
    assert_reply(c, "GET k\r\n", "-ERR unknown command 'GET', with args beginning with: 'k' \r\n");
    assert_reply(c, "G2\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
    assert_reply(c, "HSET h f 1\r\n", ":1\r\n");
    assert_reply(c, "A-VERY-LONG-NAME-FOR-HGETALL h\r\n", "*2\r\n$1\r\nf\r\n$1\r\n1\r\n");
    assert_reply(c, "HGETALL h\r\n",
                 "-ERR unknown command 'HGETALL', with args beginning with: 'h' \r\n");
    /* COMMAND: under their own names, the removed one gone, found by their new names */
    snprintf(count, sizeof(count), ":%lld\r\n", all - 1);
    assert_reply(c, "COMMAND COUNT\r\n", count);
    assert_true(reply_has(c, "COMMAND INFO secret-flush\r\n", "*1\r\n*10\r\n$8\r\nflushall\r\n"));
    assert_reply(c, "COMMAND INFO flushall config config|get\r\n", "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
    assert_reply(c, "COMMAND LIST FILTERBY PATTERN config*\r\n", "*0\r\n");
    assert_reply(c, "COMMAND LIST FILTERBY PATTERN flush*\r\n",
                 "*2\r\n$8\r\nflushall\r\n$7\r\nflushdb\r\n");
    assert_false(reply_has(c, "COMMAND LIST\r\n", "config"));
    assert_false(reply_has(c, "COMMAND\r\n", "$6\r\nconfig\r\n"));
    assert_true(reply_has(c, "COMMAND DOCS g2\r\n", "*2\r\n$3\r\nget\r\n"));
    assert_true(reply_has(c, "INFO commandstats\r\n", "cmdstat_flushall:calls=1,"));
    assert_true(reply_has(c, "INFO commandstats\r\n", "cmdstat_get:calls=1,"));
    assert_false(reply_has(c, "INFO commandstats\r\n", "secret"));
    assert_false(reply_has(c, "INFO commandstats\r\n", "g2"));
    /* dpcache's own lookups (plans, restore, the control socket) keep the own names */
    assert_ptr_equal(cmd_lookup("config", 6, 1), &cmd_defs[CMDID_CONFIG]);
    assert_ptr_equal(cmd_lookup("GET", 3, 1), &cmd_defs[CMDID_GET]);
    assert_ptr_equal(cmd_lookup("__put", 5, 1), &cmd_defs[CMDID_I_PUT]);
    assert_null(cmd_lookup("g2", 2, 1));
    assert_null(cmd_lookup("config", 6, 0));
    assert_null(cmd_lookup("__put", 5, 0)); /* internal: never a client's */
    assert_true(cmd_removed(&cmd_defs[CMDID_CONFIG]));
    assert_true(cmd_removed(&cmd_defs[CMDID_CONFIG_GET]));
    assert_false(cmd_removed(&cmd_defs[CMDID_FLUSHALL]));
    {
        struct rstr get[] = { { "CONFIG", 6 }, { "GET", 3 }, { "maxclients", 10 } };
        r = ctl_run(3, get, 0);
        assert_string_equal(r, "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
        free(r);
    }
    /* rename-command's errors, as Redis's where it has them */
    assert_int_equal(cmd_rename_command("get", 3, "x", 1, err, sizeof(err)), -1);
    assert_string_equal(err, "No such command in rename-command");
    assert_int_equal(cmd_rename_command("nosuch", 6, "x", 1, err, sizeof(err)), -1);
    assert_string_equal(err, "No such command in rename-command");
    assert_int_equal(cmd_rename_command("client|info", 11, "x", 1, err, sizeof(err)), -1);
    assert_string_equal(err, "No such command in rename-command");
    assert_int_equal(cmd_rename_command("__put", 5, "x", 1, err, sizeof(err)), -1);
    assert_string_equal(err, "No such command in rename-command");
    assert_int_equal(cmd_rename_command("set", 3, "Del", 3, err, sizeof(err)), -1);
    assert_string_equal(err, "Target command name already exists");
    assert_int_equal(cmd_rename_command("del", 3, "a b", 3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "printable ASCII"));
    assert_int_equal(cmd_rename_command("del", 3, "a|b", 3, err, sizeof(err)), -1);
    assert_int_equal(
        cmd_rename_command("del", 3, "0123456789012345678901234567890123", 34, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "longer than 32"));
    assert_int_equal(cmd_rename_command("del", 3, "DEL", 3, err, sizeof(err)), 0); /* itself */
    assert_int_equal(cmd_rename_command("g2", 2, "Get", 3, err, sizeof(err)), 0);
    assert_reply(c, "GET k\r\n", "$1\r\nv\r\n");
    dp_test_server_down();

    /* a new configuration starts from the own names (rename-command's default) */
    dp_test_server(plain);
    c = dp_test_client();
    assert_reply(c, "CONFIG GET rename-command\r\n", "*0\r\n");
    assert_reply(c, "CONFIG SET rename-command x\r\n",
                 "-ERR Unknown option or number of arguments for CONFIG SET - "
                 "'rename-command'\r\n");
    assert_reply(c, "FLUSHALL\r\n", "+OK\r\n");
    snprintf(count, sizeof(count), ":%lld\r\n", all);
    assert_reply(c, "COMMAND COUNT\r\n", count);
    dp_test_server_down();

    /* the directive's own errors, naming it */
    {
        struct config cfg;
        char *bad1[] = { "--rename-command", "GET" };
        char *bad2[] = { "--rename-command", "NOSUCH", "x" };
        char *bad3[] = { "--rename-command", "GET", "a", "b" };
        config_init(&cfg);
        assert_int_equal(config_load_args(&cfg, 2, bad1, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "wrong number of arguments"));
        assert_non_null(strstr(err, "rename-command"));
        assert_int_equal(config_load_args(&cfg, 3, bad2, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "No such command in rename-command"));
        assert_int_equal(config_load_args(&cfg, 4, bad3, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "wrong number of arguments"));
        config_free(&cfg);
        config_init(&cfg); /* back to the own names for the tests that follow */
        config_free(&cfg);
    }
}

static void test_secrets_redacted(void **state)
{
    const char *opts[] = { "--slowlog-log-slower-than", "0", NULL };
    struct client *c;
    char *r;

    (void)state;
    dp_test_server(opts);
    c = dp_test_client();
    assert_reply(c, "SLOWLOG RESET\r\n", "+OK\r\n");
    free(dp_test_cmd(c, "AUTH wrongpass1\r\n"));
    free(dp_test_cmd(c, "AUTH default wrongpass2\r\n"));
    free(dp_test_cmd(c, "HELLO 3 AUTH default wrongpass3 SETNAME n1\r\n"));
    free(dp_test_cmd(c, "HELLO 2\r\n"));
    assert_reply(c, "CONFIG SET requirepass sekret4 maxmemory 0\r\n", "+OK\r\n");
    r = dp_test_cmd(c, "SLOWLOG GET 100\r\n");
    assert_null(strstr(r, "wrongpass"));
    assert_null(strstr(r, "sekret4"));
    assert_non_null(strstr(r, "$4\r\nAUTH\r\n$10\r\n(redacted)\r\n"));
    assert_non_null(strstr(r, "$4\r\nAUTH\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n"));
    assert_non_null(strstr(r, "$4\r\nAUTH\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n$7\r\n"
                              "SETNAME\r\n$2\r\nn1\r\n"));
    assert_non_null(strstr(r, "$11\r\nrequirepass\r\n$10\r\n(redacted)\r\n$9\r\nmaxmemory\r\n$1\r\n"
                              "0\r\n"));
    free(r);
    /* CONFIG GET answers the password to clients, as Redis; the control socket sees it redacted */
    assert_reply(c, "CONFIG GET requirepass\r\n", "*2\r\n$11\r\nrequirepass\r\n$7\r\nsekret4\r\n");
    {
        struct rstr get[] = { { "config", 6 }, { "get", 3 }, { "*pass*", 6 } };
        r = ctl_run(3, get, 0);
        assert_string_equal(r, "*2\r\n$11\r\nrequirepass\r\n$10\r\n(redacted)\r\n");
        free(r);
    }
    assert_reply(c, "CONFIG SET requirepass \"\"\r\n", "+OK\r\n");
    {
        struct rstr get[] = { { "config", 6 }, { "get", 3 }, { "requirepass", 11 } };
        r = ctl_run(3, get, 0);
        assert_string_equal(r, "*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n");
        free(r);
    }
    dp_test_server_down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protected_configs),
        cmocka_unit_test(test_protected_commands),
        cmocka_unit_test(test_rename_command),
        cmocka_unit_test(test_secrets_redacted),
    };
    dp_test_eal();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
