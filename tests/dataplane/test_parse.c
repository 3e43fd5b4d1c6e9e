/*
 * test_parse.c - the RESP request parser: pipelines split at every byte, inline quoting,
 * every protocol error with Redis's text, limits that must never allocate from a count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "resp/parse.h"

#define NCMD 100

struct expect {
    int argc;
    char *argv[8];
    size_t len[8];
};

static char *wire;
static size_t wire_len;
static struct expect want[NCMD];

static void append(const void *p, size_t n)
{
    wire = realloc(wire, wire_len + n);
    memcpy(wire + wire_len, p, n);
    wire_len += n;
}

static void appendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void appendf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    append(buf, (size_t)n);
}

/* 100 commands: multibulk with 1-6 args of 0-5000 bytes (binary, CR/LF inside), and inline
 * commands with plain and quoted words. */
static void build_pipeline(void)
{
    uint32_t seed = 12345;

    for (int i = 0; i < NCMD; i++) {
        struct expect *e = &want[i];
        seed = seed * 1103515245 + 12345;
        if (i % 7 == 3) { /* inline */
            static const char *lines[] = { "PING", "SET k\"v\" x", "ECHO \"a b\\x41\\n\"",
                                           "GET 'it''s'", "  MGET  a   b  c " };
            static const int argcs[] = { 1, 3, 2, 2, 4 };
            static const char *args[][4] = { { "PING" },
                                             { "SET", "kv", "x" }, /* quotes join */
                                             { "ECHO", "a bA\n" },
                                             { "GET", "it" },
                                             { "MGET", "a", "b", "c" } };
            int k = (i / 7) % 5;
            if (k == 3) { /* 'it''s' is unbalanced in Redis: use a valid form instead */
                appendf("GET 'it\\'s'\r\n");
                e->argc = 2;
                e->argv[0] = strdup("GET");
                e->len[0] = 3;
                e->argv[1] = strdup("it's");
                e->len[1] = 4;
                continue;
            }
            appendf("%s%s", lines[k], (i % 2) ? "\r\n" : "\n");
            e->argc = argcs[k];
            for (int a = 0; a < e->argc; a++) {
                e->argv[a] = strdup(args[k][a]);
                e->len[a] = strlen(args[k][a]);
            }
            continue;
        }
        e->argc = 1 + (int)(seed >> 8) % 6;
        appendf("*%d\r\n", e->argc);
        for (int a = 0; a < e->argc; a++) {
            size_t len;
            seed = seed * 1103515245 + 12345;
            len = (seed >> 4) % 60;
            if (a == 2 && i % 10 == 0)
                len = 5000;
            e->argv[a] = malloc(len + 1);
            for (size_t b = 0; b < len; b++)
                e->argv[a][b] = (char)((b * 7 + (size_t)i) % 11 == 0 ? '\r'
                                       : (b % 13 == 0)              ? '\n'
                                                                     : 'a' + (char)(b % 26));
            e->len[a] = len;
            appendf("$%zu\r\n", len);
            append(e->argv[a], len);
            append("\r\n", 2);
        }
    }
}

/* Parse everything in buf[*pos..len); returns commands recorded into got[*ngot]. */
static void parse_some(struct resp_parser *p, const char *buf, size_t len, size_t *pos,
                       struct expect *got, int *ngot)
{
    for (;;) {
        int rc = resp_parse(p, buf + *pos, len - *pos);
        if (rc == RESP_EUNFIN)
            return;
        assert_int_equal(rc, RESP_OK);
        assert_true(p->cmdlen <= len - *pos);
        assert_true(*ngot < NCMD);
        got[*ngot].argc = p->argc;
        for (int a = 0; a < p->argc && a < 8; a++) {
            got[*ngot].argv[a] = malloc(p->argv[a].len + 1);
            memcpy(got[*ngot].argv[a], p->argv[a].p, p->argv[a].len);
            got[*ngot].len[a] = p->argv[a].len;
        }
        (*ngot)++;
        *pos += p->cmdlen;
        resp_parser_next(p);
    }
}

static void test_pipeline_split_everywhere(void **state)
{
    (void)state;
    build_pipeline();
    for (size_t k = 0; k <= wire_len; k++) {
        struct resp_parser p;
        struct expect got[NCMD];
        int ngot = 0;
        size_t pos = 0, rest;
        char *first = malloc(k ? k : 1), *second;

        resp_parser_init(&p);
        memcpy(first, wire, k);
        parse_some(&p, first, k, &pos, got, &ngot);
        /* the caller compacts and grows its buffer: the partial command moves */
        rest = k - pos;
        second = malloc(rest + (wire_len - k) + 1);
        memcpy(second, first + pos, rest);
        memcpy(second + rest, wire + k, wire_len - k);
        free(first);
        pos = 0;
        parse_some(&p, second, rest + (wire_len - k), &pos, got, &ngot);
        assert_int_equal(pos, rest + (wire_len - k));
        assert_int_equal(ngot, NCMD);
        for (int i = 0; i < NCMD; i++) {
            if (got[i].argc != want[i].argc)
                fprintf(stderr, "split %zu command %d: argc %d, want %d\n", k, i, got[i].argc,
                        want[i].argc);
            assert_int_equal(got[i].argc, want[i].argc);
            for (int a = 0; a < want[i].argc; a++) {
                assert_int_equal(got[i].len[a], want[i].len[a]);
                assert_memory_equal(got[i].argv[a], want[i].argv[a], want[i].len[a]);
                free(got[i].argv[a]);
            }
        }
        free(second);
        resp_parser_free(&p);
    }
}

/* Parse @in whole; returns the status and fills @err text. */
static int parse_all(const char *in, size_t len, int unauth, char *err, size_t errlen)
{
    struct resp_parser p;
    int rc;

    resp_parser_init(&p);
    p.unauth = unauth;
    rc = resp_parse(&p, in, len);
    if (rc == RESP_EPROTO)
        resp_err_text(&p, err, errlen);
    resp_parser_free(&p);
    return rc;
}

static void expect_error(const char *in, size_t len, int unauth, const char *text)
{
    char err[128] = "";

    assert_int_equal(parse_all(in, len, unauth, err, sizeof(err)), RESP_EPROTO);
    assert_string_equal(err, text);
}

static void test_errors(void **state)
{
    char *big;

    (void)state;
    expect_error("*abc\r\n", 6, 0, "ERR Protocol error: invalid multibulk length");
    expect_error("*2147483648\r\n", 13, 0, "ERR Protocol error: invalid multibulk length");
    expect_error("*+1\r\n", 5, 0, "ERR Protocol error: invalid multibulk length");
    /* leading zeros and 18 digits leave the one-pass number reader for the general path */
    expect_error("*01\r\n", 5, 0, "ERR Protocol error: invalid multibulk length");
    expect_error("*00\r\n", 5, 0, "ERR Protocol error: invalid multibulk length");
    expect_error("*1\r\n$01\r\n", 9, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\n$1x\r\n", 9, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\n$100000000000000000\r\n", 25, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\n$-3\r\n", 9, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\n$abc\r\n", 10, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\n$536870913\r\n", 16, 0, "ERR Protocol error: invalid bulk length");
    expect_error("*1\r\nfoo\r\n", 9, 0, "ERR Protocol error: expected '$', got 'f'");
    expect_error("*1\r\n\r\n", 6, 0, "ERR Protocol error: expected '$', got ' '");
    expect_error("SET \"a b\r\n", 10, 0, "ERR Protocol error: unbalanced quotes in request");
    expect_error("SET \"a\"b c\r\n", 12, 0, "ERR Protocol error: unbalanced quotes in request");
    expect_error("*11\r\n", 5, 1, "ERR Protocol error: unauthenticated multibulk length");
    expect_error("*1\r\n$16385\r\n", 12, 1, "ERR Protocol error: unauthenticated bulk length");
    /* ten arguments and 16 KiB are still fine before AUTH */
    {
        char err[8];
        assert_int_equal(parse_all("*10\r\n", 5, 1, err, sizeof(err)), RESP_EUNFIN);
        assert_int_equal(parse_all("*1\r\n$16384\r\n", 12, 1, err, sizeof(err)), RESP_EUNFIN);
    }
    big = calloc(1, PROTO_INLINE_MAX + 16);
    memset(big, 'a', PROTO_INLINE_MAX + 1);
    expect_error(big, PROTO_INLINE_MAX + 1, 0, "ERR Protocol error: too big inline request");
    big[0] = '*';
    expect_error(big, PROTO_INLINE_MAX + 1, 0, "ERR Protocol error: too big mbulk count string");
    memcpy(big, "*1\r\n$", 5);
    expect_error(big, PROTO_INLINE_MAX + 6, 0, "ERR Protocol error: too big bulk count string");
    free(big);
}

static void test_limits_do_not_allocate_from_counts(void **state)
{
    struct resp_parser p;

    (void)state;
    resp_parser_init(&p);
    /* a huge count with a single argument present: argv holds what arrived, not the count */
    assert_int_equal(resp_parse(&p, "*2147483647\r\n$1\r\na\r\n", 21), RESP_EUNFIN);
    assert_true(p.cap <= ARGV_INITIAL);
    assert_int_equal(p.argc, 1);
    resp_parser_free(&p);
    /* a huge bulk length needs the bytes; nothing is reserved for them */
    resp_parser_init(&p);
    assert_int_equal(resp_parse(&p, "*1\r\n$536870912\r\nab", 19), RESP_EUNFIN);
    assert_int_equal(p.bulk, 536870912);
    resp_parser_free(&p);
}

static void test_empty_and_lenient(void **state)
{
    struct resp_parser p;

    (void)state;
    resp_parser_init(&p);
    assert_int_equal(resp_parse(&p, "*0\r\n", 4), RESP_OK);
    assert_int_equal(p.argc, 0);
    assert_int_equal(p.cmdlen, 4);
    resp_parser_next(&p);
    assert_int_equal(resp_parse(&p, "*-1\r\n", 5), RESP_OK);
    assert_int_equal(p.argc, 0);
    resp_parser_next(&p);
    assert_int_equal(resp_parse(&p, "\r\n", 2), RESP_OK); /* empty inline line */
    assert_int_equal(p.argc, 0);
    resp_parser_next(&p);
    assert_int_equal(resp_parse(&p, "*1\r\n$0\r\n\r\n", 10), RESP_OK); /* empty argument */
    assert_int_equal(p.argc, 1);
    assert_int_equal(p.argv[0].len, 0);
    resp_parser_next(&p);
    /* Redis does not check the two bytes after a bulk payload */
    assert_int_equal(resp_parse(&p, "*1\r\n$4\r\nPINGxx", 14), RESP_OK);
    assert_int_equal(p.argc, 1);
    assert_memory_equal(p.argv[0].p, "PING", 4);
    resp_parser_next(&p);
    /* many arguments grow argv as they arrive */
    {
        char buf[20000];
        size_t n = (size_t)snprintf(buf, sizeof(buf), "*1000\r\n");
        for (int i = 0; i < 1000; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "$1\r\n%c\r\n", 'a' + i % 26);
        assert_int_equal(resp_parse(&p, buf, n), RESP_OK);
        assert_int_equal(p.argc, 1000);
        assert_memory_equal(p.argv[999].p, "l", 1);
    }
    resp_parser_free(&p);
}

static void test_inline_split(void **state)
{
    char out[64];
    struct resp_arg a[8];

    (void)state;
    assert_int_equal(resp_split_inline("set \"a\\tb\" 'c\\'d' \"\\x41\\x4a\"", 28, out, a, 8), 4);
    assert_int_equal(a[1].len, 3);
    assert_memory_equal(out + a[1].off, "a\tb", 3);
    assert_memory_equal(out + a[2].off, "c'd", 3);
    assert_memory_equal(out + a[3].off, "AJ", 2);
    assert_int_equal(resp_split_inline("a b c", 5, out, a, 2), -2);
    assert_int_equal(resp_split_inline("\"abc", 4, out, a, 8), -1);
    assert_int_equal(resp_split_inline("'abc'x", 6, out, a, 8), -1);
    assert_int_equal(resp_split_inline("   ", 3, out, a, 8), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_split_everywhere),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits_do_not_allocate_from_counts),
        cmocka_unit_test(test_empty_and_lenient),
        cmocka_unit_test(test_inline_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
