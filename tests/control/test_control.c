/*
 * test_control.c - unit tests of dpcache-control's pure parts: RESP reply parser, JSON
 * reader, INFO helpers, save rules, snapshot rotation, options, the admin token (its file's
 * permissions, its constant-time comparison).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "files.h"
#include "info.h"
#include "json.h"
#include "resp.h"
#include "schedule.h"
#include "secret.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_resp_parse(void **state)
{
    const char *in = "*3\r\n:1\r\n$5\r\nhello\r\n%1\r\n+k\r\n-ERR x\r\n";
    struct rv *v;
    long n;

    (void)state;
    n = resp_parse_reply(in, strlen(in), &v);
    assert_int_equal(n, (long)strlen(in));
    assert_int_equal(v->type, RV_ARRAY);
    assert_int_equal(v->n, 3);
    assert_int_equal(v->elem[0].i, 1);
    assert_string_equal(v->elem[1].str, "hello");
    assert_int_equal(v->elem[2].n, 2);
    assert_string_equal(rv_map_get(&v->elem[2], "k")->str, "ERR x");
    rv_free(v);
    /* every prefix is incomplete, never an error */
    for (size_t i = 0; i < strlen(in); i++) {
        assert_int_equal(resp_parse_reply(in, i, &v), 0);
        assert_null(v);
    }
}

static void test_resp_limits(void **state)
{
    struct rv *v;
    (void)state;
    /* a huge count does not allocate from the count: incomplete, then fine */
    assert_int_equal(resp_parse_reply("*1000000\r\n", 10, &v), 0);
    assert_true(resp_parse_reply("*99999999999\r\n", 14, &v) < 0);
    assert_true(resp_parse_reply("$999999999999\r\n", 15, &v) < 0);
    assert_true(resp_parse_reply("$3\r\nabcXY", 9, &v) < 0);
    assert_true(resp_parse_reply("?\r\n", 3, &v) < 0);
    assert_true(resp_parse_reply(":12a\r\n", 6, &v) < 0);
    /* nesting beyond the limit */
    {
        char deep[64] = "";
        for (int i = 0; i < 12; i++)
            strcat(deep, "*1\r\n");
        strcat(deep, ":1\r\n");
        assert_true(resp_parse_reply(deep, strlen(deep), &v) < 0);
    }
}

static void test_json(void **state)
{
    const char *s = "{\"/dpcache/core\":{\"commands\":18446744073709551615,\"x\":[1,2.5,-3],"
                    "\"s\":\"a\\u00e9\\n\\ud83d\\ude00\",\"t\":true,\"n\":null}}";
    char err[128];
    struct json *j = json_parse(s, strlen(s), err, sizeof(err));
    const struct json *c;

    (void)state;
    assert_non_null(j);
    c = json_get(j, "/dpcache/core");
    assert_non_null(c);
    assert_true(json_u64(json_get(c, "commands")) == UINT64_MAX);
    assert_int_equal(json_get(c, "x")->n, 3);
    assert_true(json_get(c, "x")->kids[1].num == 2.5);
    assert_string_equal(json_get(c, "s")->str, "a\xc3\xa9\n\xf0\x9f\x98\x80");
    assert_int_equal(json_get(c, "t")->boolean, 1);
    assert_int_equal(json_get(c, "n")->type, JSON_NULL);
    json_free(j);
    assert_null(json_parse("{\"a\":1,}", 8, err, sizeof(err)));
    assert_null(json_parse("{\"a\" 1}", 7, err, sizeof(err)));
    assert_null(json_parse("[1] x", 5, err, sizeof(err)));
    assert_null(json_parse("\"abc", 4, err, sizeof(err)));
    assert_null(json_parse("", 0, err, sizeof(err)));
    {
        char deep[80] = "";
        for (int i = 0; i < 20; i++)
            strcat(deep, "[");
        assert_null(json_parse(deep, strlen(deep), err, sizeof(err)));
    }
    {
        char out[64];
        json_escape("a\"b\\\n", out, sizeof(out));
        assert_string_equal(out, "\"a\\\"b\\\\\\u000a\"");
    }
}

static void test_info(void **state)
{
    const char *t = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n\r\n"
                    "# Commandstats\r\ncmdstat_get:calls=21,usec=175,usec_per_call=8.33\r\n";
    char buf[32];
    double d;

    (void)state;
    assert_true(info_field(t, "redis_version", buf, sizeof(buf)));
    assert_string_equal(buf, "7.0.15");
    assert_int_equal(info_ll(t, "uptime_in_seconds", -1), 12);
    assert_int_equal(info_ll(t, "missing", -1), -1);
    assert_int_equal(info_ll(t, "redis_version", -1), -1);
    assert_true(info_subfield("calls=21,usec=175,usec_per_call=8.33", "usec", &d));
    assert_true(d == 175);
    assert_false(info_subfield("calls=21", "usec", &d));
}

static void test_sched(void **state)
{
    struct sched s = { 0 };
    char err[128];
    struct sched_input in = { .now = 1000, .lastsave = 900, .dirty = 5, .last_ok = 1 };

    (void)state;
    assert_int_equal(sched_parse_save(&s, "3600 1 300 100 60 10000", err, sizeof(err)), 0);
    assert_int_equal(s.nrules, 3);
    assert_null(sched_due(&s, &in)); /* 100 s, 5 changes: no rule */
    in.now = 900 + 3601;
    assert_string_equal(sched_due(&s, &in), "save rule");
    in.dirty = 0;
    assert_null(sched_due(&s, &in));
    assert_int_equal(sched_parse_save(&s, "", err, sizeof(err)), 0);
    assert_int_equal(s.nrules, 0);
    assert_int_equal(sched_parse_save(&s, "\"\"", err, sizeof(err)), 0);
    assert_int_equal(sched_parse_save(&s, "1 2 3", err, sizeof(err)), -1);
    assert_int_equal(sched_parse_save(&s, "1 x", err, sizeof(err)), -1);
    assert_int_equal(sched_parse_save(&s, "-1 2", err, sizeof(err)), -1);
    /* interval, and the retry delay after a failure */
    sched_parse_save(&s, "10 1", err, sizeof(err));
    s.interval = 60;
    in = (struct sched_input){ .now = 1000, .lastsave = 950, .dirty = 0, .last_ok = 1 };
    assert_null(sched_due(&s, &in));
    in.now = 1010;
    assert_string_equal(sched_due(&s, &in), "interval");
    in.dirty = 3;
    in.last_try = 1008;
    in.last_ok = 0;
    assert_null(sched_due(&s, &in));
    in.now = 1014;
    assert_string_equal(sched_due(&s, &in), "save rule");
}

static void put(const char *dir, const char *name, const char *content)
{
    char p[512];
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static int has(const char *dir, const char *name, const char *content)
{
    char p[512], buf[64] = "";
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "r");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    return content ? strcmp(buf, content) == 0 : 1;
}

static void test_rotate(void **state)
{
    char dir[] = "/tmp/ctl-unit-XXXXXX", err[256];
    struct snap_file files[8];

    (void)state;
    assert_non_null(mkdtemp(dir));
    /* nothing there yet */
    assert_int_equal(snap_rotate(dir, "dump.rdb", 3, err, sizeof(err)), 0);
    put(dir, "dump.rdb", "A");
    assert_int_equal(snap_rotate(dir, "dump.rdb", 3, err, sizeof(err)), 0);
    assert_true(has(dir, "dump.rdb", "A")); /* the newest is never moved */
    assert_true(has(dir, "dump.rdb.1", "A"));
    put(dir, ".dump.rdb.new", "B"); /* the writer's rename */
    {
        char a[512], b[512];
        snprintf(a, sizeof(a), "%s/.dump.rdb.new", dir);
        snprintf(b, sizeof(b), "%s/dump.rdb", dir);
        assert_int_equal(rename(a, b), 0);
    }
    assert_int_equal(snap_rotate(dir, "dump.rdb", 3, err, sizeof(err)), 0);
    assert_true(has(dir, "dump.rdb", "B"));
    assert_true(has(dir, "dump.rdb.1", "B"));
    assert_true(has(dir, "dump.rdb.2", "A"));
    /* keep lowered: older generations go */
    assert_int_equal(snap_rotate(dir, "dump.rdb", 2, err, sizeof(err)), 0);
    assert_false(has(dir, "dump.rdb.2", NULL));
    assert_int_equal(snap_list(dir, "dump.rdb", files, 8), 2);
    assert_int_equal(files[0].generation, 0);
    assert_int_equal(files[1].generation, 1);
    /* keep 1: only the newest */
    assert_int_equal(snap_rotate(dir, "dump.rdb", 1, err, sizeof(err)), 0);
    assert_int_equal(snap_list(dir, "dump.rdb", files, 8), 1);
    /* leftovers of a killed writer */
    put(dir, ".dump.rdb.tmp-000000000001", "x");
    put(dir, ".dump.rdb.1.link", "x");
    put(dir, ".other.tmp-1", "x");
    assert_int_equal(snap_clean_temps(dir, "dump.rdb"), 2);
    assert_true(has(dir, ".other.tmp-1", NULL));
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_config(void **state)
{
    struct ctl_config cfg;
    char err[256];
    char *argv[] = { "--port", "7001", "--save", "900", "1",
                     "300",    "10",   "--keep", "5",   "--shutdown-snapshot",
                     "no" };
    char *bad1[] = { "--keep", "0" };
    char *bad2[] = { "--nope", "1" };
    char *bad3[] = { "port" };

    (void)state;
    assert_int_equal(ctl_config_init(&cfg), 0);
    assert_int_equal(cfg.port, 6379);
    assert_string_equal(cfg.listen, "127.0.0.1:9121");
    assert_int_equal(cfg.keep, 3);
    assert_int_equal(ctl_config_load_args(&cfg, 11, argv, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 7001);
    assert_string_equal(cfg.save, "900 1 300 10");
    assert_int_equal(cfg.keep, 5);
    assert_int_equal(cfg.shutdown_snapshot, 0);
    { /* a repeatable option appends; an empty value clears */
        char *rep[] = { "--front-backend", "a",      "b", "--front-backend", "c",
                        "--front-mode",    "generic" };
        assert_string_equal(cfg.front_backend, "");
        assert_int_equal(ctl_config_load_args(&cfg, 7, rep, err, sizeof(err)), 0);
        assert_string_equal(cfg.front_backend, "a b\nc");
        assert_string_equal(cfg.front_mode, "generic");
        assert_int_equal(ctl_config_set(&cfg, "front-backend", "", err, sizeof(err)), 0);
        assert_string_equal(cfg.front_backend, "");
        assert_int_equal(cfg.dataplane, 1);
    }
    assert_int_equal(ctl_config_load_args(&cfg, 2, bad1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "keep"));
    assert_int_equal(ctl_config_load_args(&cfg, 2, bad2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown option"));
    assert_int_equal(ctl_config_load_args(&cfg, 1, bad3, err, sizeof(err)), -1);
    {
        char path[] = "/tmp/ctl-conf-XXXXXX";
        int fd = mkstemp(path);
        const char *text = "# comment\n  keep 7\nsave \"\"\nlisten 127.0.0.1:19999\n";
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        assert_int_equal(ctl_config_load_file(&cfg, path, err, sizeof(err)), 0);
        assert_int_equal(cfg.keep, 7);
        assert_string_equal(cfg.save, "");
        assert_string_equal(cfg.listen, "127.0.0.1:19999");
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "keep many\n", 10), 10);
        close(fd);
        assert_int_equal(ctl_config_load_file(&cfg, path, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "line 1"));
        unlink(path);
    }
    ctl_config_free(&cfg);
}

/* ---- secret.c ---- */

static void test_secret_equal(void **state)
{
    const char *tok = "s3cr3t-t0ken";
    size_t n = strlen(tok);
    char buf[64];

    (void)state;
    assert_true(secret_equal(tok, n, tok, n));
    assert_true(secret_equal("", 0, "", 0));
    assert_false(secret_equal("", 0, tok, n));
    assert_false(secret_equal(tok, n - 1, tok, n)); /* a prefix */
    assert_false(secret_equal(tok, n, tok, n - 1)); /* longer than the secret */
    memcpy(buf, tok, n);
    buf[n] = 'x';
    assert_false(secret_equal(buf, n + 1, tok, n));
    buf[n] = '\0';
    assert_false(secret_equal(buf, n + 1, tok, n)); /* a NUL after it is still a byte more */
    for (size_t i = 0; i < n; i++) { /* one byte off, anywhere */
        memcpy(buf, tok, n);
        buf[i] ^= 0x01;
        assert_false(secret_equal(buf, n, tok, n));
        buf[i] ^= 0x81; /* high bit */
        assert_false(secret_equal(buf, n, tok, n));
    }
}

/*
 * Constant time, shown without a clock: the last byte of the secret (then of the given token)
 * sits alone on a page with no access; reading it faults once, the handler opens the page and
 * notes the read. Whether the given token differs from the secret at byte 0, at any later
 * byte, or not at all, the comparison reads that last byte: it never stops at the first
 * difference (memcmp or strcmp would), so its time does not tell how long a prefix matched.
 */
static volatile sig_atomic_t guard_read;
static char *guard_page;
static long page_size;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
    char *a = si->si_addr;

    (void)uc;
    if (a >= guard_page && a < guard_page + page_size) {
        mprotect(guard_page, (size_t)page_size, PROT_READ | PROT_WRITE);
        guard_read = 1;
        return;
    }
    signal(sig, SIG_DFL); /* a real crash: let it happen */
}

static void test_secret_equal_reads_every_byte(void **state)
{
    static const char tok[] = "0123456789abcdef-the-admin-token";
    const size_t n = sizeof(tok) - 1;
    struct sigaction sa, old;
    char *mem, *secret, *given, other[sizeof(tok)];

    (void)state;
    page_size = sysconf(_SC_PAGESIZE);
    mem = mmap(NULL, (size_t)page_size * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
    assert_true(mem != MAP_FAILED);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
    /* the secret ends on the first byte of page 1, the given token on the first of page 3 */
    secret = mem + page_size - (long)(n - 1);
    given = mem + 3 * page_size - (long)(n - 1);
    memcpy(secret, tok, n);
    for (int which = 0; which < 2; which++) {
        guard_page = mem + (which ? 3 : 1) * page_size;
        for (size_t diff_at = 0; diff_at <= n; diff_at++) { /* n: no difference */
            memcpy(given, tok, n);
            if (diff_at < n)
                given[diff_at] ^= 0x20;
            assert_int_equal(mprotect(guard_page, (size_t)page_size, PROT_NONE), 0);
            guard_read = 0;
            assert_int_equal(secret_equal(given, n, secret, n), diff_at == n);
            assert_int_equal(guard_read, 1);
        }
    }
    /* a shorter token (a wrong length) still reads the whole secret */
    memcpy(other, tok, 4);
    guard_page = mem + page_size;
    assert_int_equal(mprotect(guard_page, (size_t)page_size, PROT_NONE), 0);
    guard_read = 0;
    assert_false(secret_equal(other, 4, secret, n));
    assert_int_equal(guard_read, 1);
    sigaction(SIGSEGV, &old, NULL);
    munmap(mem, (size_t)page_size * 4);
}

static int token_file(char *path, const char *text, mode_t mode)
{
    int fd;

    strcpy(path, "/tmp/dpctl-token-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return chmod(path, mode);
}

static void test_secret_token_file(void **state)
{
    static const mode_t loose[] = { 0644, 0604, 0660, 0650, 0606, 0610, 0601, 0700 | 0004 };
    char path[64], err[512], *tok, big[SECRET_TOKEN_MAX + 10];

    (void)state;
    /* 0600 and 0400: accepted; the first line, CR/LF and trailing blanks removed */
    assert_int_equal(token_file(path, "tok-123 \t\r\nsecond line\n", 0600), 0);
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), 0);
    assert_string_equal(tok, "tok-123");
    free(tok);
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), 0);
    assert_string_equal(tok, "tok-123");
    free(tok);
    /* a file root owns, readable by its group only (a Kubernetes Secret with fsGroup): accepted;
     * the same mode on a file another user owns: refused */
    assert_int_equal(getuid(), 0); /* the unit suite runs as root (scripts/test.sh) */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(chmod(path, k ? 0440 : 0640), 0);
        assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), 0);
        free(tok);
    }
    assert_int_equal(chown(path, 65534, 65534), 0);
    tok = (char *)1;
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), -1);
    assert_null(tok);
    assert_non_null(strstr(err, "0440 are too open"));
    assert_int_equal(chown(path, 0, 0), 0);
    /* any other permission for group or others: refused, saying why and what to do */
    for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
        char want[16];
        assert_int_equal(chmod(path, loose[i]), 0);
        tok = (char *)1;
        assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), -1);
        assert_null(tok);
        snprintf(want, sizeof(want), "%04o", (unsigned)loose[i]);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, "too open"));
        assert_non_null(strstr(err, "chmod 600"));
        assert_non_null(strstr(err, path));
    }
    unlink(path);
    /* empty, too long, missing, not a regular file */
    assert_int_equal(token_file(path, "\n", 0600), 0);
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty"));
    unlink(path);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(token_file(path, big, 0600), 0);
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 1023"));
    unlink(path);
    assert_int_equal(secret_read_token(path, &tok, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(secret_read_token("/tmp", &tok, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_parse), cmocka_unit_test(test_resp_limits),
        cmocka_unit_test(test_json),       cmocka_unit_test(test_info),
        cmocka_unit_test(test_sched),      cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_config),     cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_secret_equal_reads_every_byte),
        cmocka_unit_test(test_secret_token_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
