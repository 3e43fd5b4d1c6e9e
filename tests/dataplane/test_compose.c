/*
 * test_compose.c - the reply encoder (every RESP2 and RESP3 type) and the chunked output
 * buffer it writes to (spans, consume, peek, splice, rollback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resp/compose.h"
#include "resp/obuf.h"

static char *take(struct obuf *ob)
{
    size_t n = obuf_len(ob);
    char *s = malloc(n + 1);

    assert_int_equal(obuf_copy_out(ob, 0, s, n), n);
    s[n] = '\0';
    obuf_consume(ob, n);
    return s;
}

#define EXPECT(ob, want)                                                                           \
    do {                                                                                           \
        char *_s = take(ob);                                                                       \
        assert_string_equal(_s, want);                                                             \
        free(_s);                                                                                  \
    } while (0)

static void test_types(void **state)
{
    struct obuf_pool pool = { 0 };
    struct obuf ob;

    (void)state;
    obuf_init(&ob, &pool);
    rsp_ok(&ob);
    rsp_simple(&ob, "PONG");
    rsp_error(&ob, "ERR bad\r\ninput");
    rsp_errorf(&ob, "WRONGTYPE %s %d", "x", 3);
    EXPECT(&ob, "+OK\r\n+PONG\r\n-ERR bad  input\r\n-WRONGTYPE x 3\r\n");
    rsp_int(&ob, 0);
    rsp_int(&ob, 1);
    rsp_int(&ob, -9223372036854775807LL - 1);
    rsp_int(&ob, 9223372036854775807LL);
    EXPECT(&ob, ":0\r\n:1\r\n:-9223372036854775808\r\n:9223372036854775807\r\n");
    rsp_bulk(&ob, "", 0);
    rsp_bulk(&ob, "a\r\nb", 4);
    rsp_bulk_ll(&ob, -42);
    EXPECT(&ob, "$0\r\n\r\n$4\r\na\r\nb\r\n$3\r\n-42\r\n");
    for (int proto = 2; proto <= 3; proto++) {
        rsp_null(&ob, proto);
        rsp_null_array(&ob, proto);
        rsp_array(&ob, 2);
        rsp_map(&ob, 2, proto);
        rsp_set(&ob, 3, proto);
        rsp_bool(&ob, 1, proto);
        rsp_bool(&ob, 0, proto);
        rsp_double(&ob, 1.5, proto);
        rsp_double(&ob, 1.0 / 0.0, proto);
        rsp_double(&ob, -1.0 / 0.0, proto);
        rsp_verbatim(&ob, "hi", 2, proto);
        rsp_bignum(&ob, "1234567890123456789012", 22, proto);
        if (proto == 2)
            EXPECT(&ob, "$-1\r\n*-1\r\n*2\r\n*4\r\n*3\r\n:1\r\n:0\r\n$3\r\n1.5\r\n$3\r\ninf\r\n"
                        "$4\r\n-inf\r\n$2\r\nhi\r\n$22\r\n1234567890123456789012\r\n");
        else
            EXPECT(&ob, "_\r\n_\r\n*2\r\n%2\r\n~3\r\n#t\r\n#f\r\n,1.5\r\n,inf\r\n,-inf\r\n"
                        "=6\r\ntxt:hi\r\n(1234567890123456789012\r\n");
    }
    rsp_double(&ob, 0.1, 3); /* Redis 7.0 prints %.17g */
    EXPECT(&ob, ",0.10000000000000001\r\n");
    obuf_reset(&ob);
    obuf_pool_drain(&pool);
}

static void test_large_bulk_spans_chunks(void **state)
{
    struct obuf_pool pool = { 0 };
    struct obuf ob;
    size_t n = 3 * OBUF_CHUNK_DATA + 123, off = 0;
    char *v = malloc(n), *out;
    const uint8_t *p;

    (void)state;
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + i % 26);
    obuf_init(&ob, &pool);
    rsp_bulk(&ob, v, n);
    assert_true(pool.allocated >= 4);
    /* peek walks spans; copy_out reassembles */
    while (off < obuf_len(&ob)) {
        size_t k = obuf_peek(&ob, off, &p);
        assert_true(k > 0);
        off += k;
    }
    assert_int_equal(off, obuf_len(&ob));
    out = take(&ob);
    assert_true(strncmp(out, "$", 1) == 0);
    assert_memory_equal(strchr(out, '\n') + 1, v, n);
    assert_int_equal(pool.allocated, 0); /* consumed chunks went back to the pool */
    free(out);
    free(v);
    obuf_pool_drain(&pool);
}

static void test_mark_rollback_splice(void **state)
{
    struct obuf_pool pool = { 0 };
    struct obuf a, b;
    struct obuf_mark m;
    char big[OBUF_CHUNK_DATA];

    (void)state;
    memset(big, 'x', sizeof(big));
    obuf_init(&a, &pool);
    obuf_init(&b, &pool);
    rsp_ok(&a);
    obuf_mark(&a, &m);
    obuf_append(&a, big, sizeof(big));
    rsp_int(&a, 7);
    obuf_rollback(&a, &m);
    EXPECT(&a, "+OK\r\n");
    rsp_simple(&a, "A");
    rsp_simple(&b, "B");
    obuf_consume(&b, 1); /* a partly consumed source keeps its remaining bytes */
    obuf_splice(&a, &b);
    assert_int_equal(obuf_len(&b), 0);
    EXPECT(&a, "+A\r\nB\r\n");
    obuf_reset(&a);
    obuf_reset(&b);
    assert_int_equal(pool.allocated, 0);
    obuf_pool_drain(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_large_bulk_spans_chunks),
        cmocka_unit_test(test_mark_rollback_splice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
