/*
 * compose.c - RESP reply encoder (see compose.h).
 */
#include "compose.h"

#include "../core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rsp_raw(struct obuf *ob, const char *s, size_t n)
{
    uint8_t *d;

    if (n <= 256 && (d = obuf_reserve(ob, n)) != NULL) {
        memcpy(d, s, n);
        obuf_commit(ob, n);
        return;
    }
    obuf_append(ob, s, n);
}

/* "<c><v>\r\n" */
static void prefixed_ll(struct obuf *ob, char c, long long v)
{
    uint8_t *d = obuf_reserve(ob, LL_STR_SIZE + 3);
    int n;

    if (!d)
        return;
    d[0] = (uint8_t)c;
    n = ll2string((char *)d + 1, v);
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    obuf_commit(ob, (size_t)n + 3);
}

void rsp_simple(struct obuf *ob, const char *s)
{
    size_t n = strlen(s);
    uint8_t *d = obuf_reserve(ob, n + 3);

    if (!d)
        return;
    d[0] = '+';
    memcpy(d + 1, s, n);
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    obuf_commit(ob, n + 3);
}

void rsp_ok(struct obuf *ob)
{
    rsp_raw(ob, "+OK\r\n", 5);
}

void rsp_error(struct obuf *ob, const char *msg)
{
    size_t n = strlen(msg);
    uint8_t *d;

    if (n > 4096)
        n = 4096;
    d = obuf_reserve(ob, n + 3);
    if (!d)
        return;
    d[0] = '-';
    for (size_t i = 0; i < n; i++)
        d[i + 1] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : (uint8_t)msg[i];
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    obuf_commit(ob, n + 3);
}

void rsp_errorf(struct obuf *ob, const char *fmt, ...)
{
    char buf[4097];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    rsp_error(ob, buf);
}

void rsp_int(struct obuf *ob, long long v)
{
    if (v == 0) {
        rsp_raw(ob, ":0\r\n", 4);
        return;
    }
    if (v == 1) {
        rsp_raw(ob, ":1\r\n", 4);
        return;
    }
    prefixed_ll(ob, ':', v);
}

void rsp_bulk(struct obuf *ob, const void *p, size_t n)
{
    uint8_t *d;
    int h;

    if (n <= 4096) { /* header, payload and CRLF in one reservation */
        d = obuf_reserve(ob, n + LL_STR_SIZE + 5);
        if (!d)
            return;
        d[0] = '$';
        h = ull2string((char *)d + 1, n) + 1;
        d[h++] = '\r';
        d[h++] = '\n';
        memcpy(d + h, p, n);
        d[h + n] = '\r';
        d[h + n + 1] = '\n';
        obuf_commit(ob, (size_t)h + n + 2);
        return;
    }
    prefixed_ll(ob, '$', (long long)n);
    obuf_append(ob, p, n);
    rsp_raw(ob, "\r\n", 2);
}

void rsp_bulk_cstr(struct obuf *ob, const char *s)
{
    rsp_bulk(ob, s, strlen(s));
}

void rsp_bulk_ll(struct obuf *ob, long long v)
{
    char buf[LL_STR_SIZE];
    int n = ll2string(buf, v);

    rsp_bulk(ob, buf, (size_t)n);
}

void rsp_null(struct obuf *ob, int proto)
{
    if (proto >= 3)
        rsp_raw(ob, "_\r\n", 3);
    else
        rsp_raw(ob, "$-1\r\n", 5);
}

void rsp_null_array(struct obuf *ob, int proto)
{
    if (proto >= 3)
        rsp_raw(ob, "_\r\n", 3);
    else
        rsp_raw(ob, "*-1\r\n", 5);
}

void rsp_array(struct obuf *ob, long long n)
{
    prefixed_ll(ob, '*', n);
}

void rsp_map(struct obuf *ob, long long n, int proto)
{
    if (proto >= 3)
        prefixed_ll(ob, '%', n);
    else
        prefixed_ll(ob, '*', n * 2);
}

void rsp_set(struct obuf *ob, long long n, int proto)
{
    prefixed_ll(ob, proto >= 3 ? '~' : '*', n);
}

void rsp_double(struct obuf *ob, double v, int proto)
{
    char buf[64];
    int n = d2string(buf, sizeof(buf), v);

    if (proto >= 3) {
        uint8_t *d = obuf_reserve(ob, (size_t)n + 3);
        if (!d)
            return;
        d[0] = ',';
        memcpy(d + 1, buf, (size_t)n);
        d[n + 1] = '\r';
        d[n + 2] = '\n';
        obuf_commit(ob, (size_t)n + 3);
    } else {
        rsp_bulk(ob, buf, (size_t)n);
    }
}

void rsp_bool(struct obuf *ob, int b, int proto)
{
    if (proto >= 3)
        rsp_raw(ob, b ? "#t\r\n" : "#f\r\n", 4);
    else
        rsp_raw(ob, b ? ":1\r\n" : ":0\r\n", 4);
}

void rsp_verbatim(struct obuf *ob, const char *p, size_t n, int proto)
{
    if (proto < 3) {
        rsp_bulk(ob, p, n);
        return;
    }
    prefixed_ll(ob, '=', (long long)n + 4);
    rsp_raw(ob, "txt:", 4);
    obuf_append(ob, p, n);
    rsp_raw(ob, "\r\n", 2);
}

void rsp_bignum(struct obuf *ob, const char *digits, size_t n, int proto)
{
    if (proto < 3) {
        rsp_bulk(ob, digits, n);
        return;
    }
    rsp_raw(ob, "(", 1);
    obuf_append(ob, digits, n);
    rsp_raw(ob, "\r\n", 2);
}
