/*
 * resp.c - RESP2 reply parser of dpcache-load (see load.h): one reply at a time, flat arrays
 * only (what GET/SET/HSET/HGETALL/INCR/MGET answer). Elements point into the buffer.
 */
#include "load.h"

#include <string.h>

/* A line ending in CRLF from @p; returns the position after CRLF, or NULL if incomplete. */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *cr = memchr(p, '\r', (size_t)(end - p));

    if (!cr || cr + 1 >= end)
        return NULL;
    return cr + 2;
}

static int num(const uint8_t *p, const uint8_t *e, int64_t *out)
{
    int neg = 0;
    int64_t v = 0;

    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == e)
        return -1;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* One scalar at @p. Returns the position after it, NULL if incomplete, or @bad on error. */
static const uint8_t *scalar(const uint8_t *p, const uint8_t *end, struct rp_el *el,
                             const uint8_t *bad)
{
    const uint8_t *le = line_end(p, end);

    if (!le)
        return NULL;
    if (le[-2] != '\r' || le[-1] != '\n')
        return bad;
    el->type = (char)*p;
    switch (*p) {
    case '+':
    case '-':
        el->s = p + 1;
        el->len = (size_t)(le - 2 - (p + 1));
        return le;
    case ':':
        return num(p + 1, le - 2, &el->i) ? bad : le;
    case '$':
        if (num(p + 1, le - 2, &el->i))
            return bad;
        if (el->i < 0) {
            el->type = '_';
            return le;
        }
        if ((size_t)(end - le) < (size_t)el->i + 2)
            return NULL;
        el->s = le;
        el->len = (size_t)el->i;
        if (le[el->i] != '\r' || le[el->i + 1] != '\n')
            return bad;
        return le + el->i + 2;
    case '*':
        if (num(p + 1, le - 2, &el->i))
            return bad;
        return le;
    default:
        return bad;
    }
}

long rp_parse(const uint8_t *buf, size_t len, struct rp_reply *r)
{
    static const uint8_t badmark;
    const uint8_t *bad = &badmark, *end = buf + len, *p;

    r->n = 0;
    if (!len)
        return 0;
    p = scalar(buf, end, &r->top, bad);
    if (!p)
        return 0;
    if (p == bad)
        return -1;
    if (r->top.type == '*') {
        if (r->top.i < 0) {
            r->top.type = '_';
            return p - buf;
        }
        if (r->top.i > RP_MAX_EL)
            return -1;
        for (int64_t k = 0; k < r->top.i; k++) {
            const uint8_t *q;
            if (p >= end)
                return 0;
            if (*p == '*')
                return -1;
            q = scalar(p, end, &r->el[r->n], bad);
            if (!q)
                return 0;
            if (q == bad)
                return -1;
            r->n++;
            p = q;
        }
    }
    return p - buf;
}
