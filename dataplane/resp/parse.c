/*
 * parse.c - incremental request parser (see parse.h for the contract and grammar).
 */
#include "parse.h"

#include "../core/limits.h"
#include "../core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void resp_parser_init(struct resp_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk = PROTO_BULK_MAX_DEFAULT;
    p->bulk = -1;
}

void resp_parser_free(struct resp_parser *p)
{
    free(p->args);
    free(p->argv);
    free(p->ibuf);
    p->args = NULL;
    p->argv = NULL;
    p->ibuf = NULL;
    p->cap = 0;
    p->ibuf_cap = 0;
}

void resp_parser_next(struct resp_parser *p)
{
    p->argc = 0;
    p->cmdlen = 0;
    p->err = RERR_NONE;
    p->inline_cmd = 0;
    p->mbulk = 0;
    p->bulk = -1;
    p->pos = 0;
}

/* Make room for at least @need arguments, doubling; never sized from a client's count. */
static int grow(struct resp_parser *p, int need)
{
    int cap = p->cap ? p->cap : ARGV_INITIAL;
    struct resp_arg *a;
    struct rstr *v;

    if (need <= p->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    a = realloc(p->args, (size_t)cap * sizeof(*a));
    if (!a)
        return -1;
    p->args = a;
    v = realloc(p->argv, (size_t)cap * sizeof(*v));
    if (!v)
        return -1;
    p->argv = v;
    p->cap = cap;
    return 0;
}

static int fail(struct resp_parser *p, enum resp_err e)
{
    p->err = e;
    return RESP_EPROTO;
}

static void finish(struct resp_parser *p, const char *base)
{
    for (int i = 0; i < p->argc; i++) {
        p->argv[i].p = (p->inline_cmd ? p->ibuf : base) + p->args[i].off;
        p->argv[i].len = p->args[i].len;
    }
    p->cmdlen = p->pos;
}

static inline int is_hex(int c)
{
    return isxdigit(c);
}

static inline int hex_val(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int resp_split_inline(const char *line, size_t len, char *out, struct resp_arg *args, int max)
{
    size_t i = 0, o = 0;
    int argc = 0;

#define AT(k) ((k) < len ? (unsigned char)line[k] : 0)
    for (;;) {
        while (i < len && line[i] && isspace((unsigned char)line[i]))
            i++;
        if (i >= len || line[i] == '\0')
            return argc;
        if (argc == max)
            return -2;
        int inq = 0, insq = 0, done = 0;
        size_t start = o;
        while (!done) {
            int c = AT(i);
            if (inq) {
                if (c == '\\' && AT(i + 1) == 'x' && is_hex(AT(i + 2)) && is_hex(AT(i + 3))) {
                    out[o++] = (char)(hex_val(AT(i + 2)) * 16 + hex_val(AT(i + 3)));
                    i += 3;
                } else if (c == '\\' && AT(i + 1)) {
                    int e = AT(i + 1);
                    i++;
                    out[o++] = e == 'n'   ? '\n'
                               : e == 'r' ? '\r'
                               : e == 't' ? '\t'
                               : e == 'b' ? '\b'
                               : e == 'a' ? '\a'
                                          : (char)e;
                } else if (c == '"') {
                    if (AT(i + 1) && !isspace(AT(i + 1)))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    out[o++] = (char)c;
                }
            } else if (insq) {
                if (c == '\\' && AT(i + 1) == '\'') {
                    i++;
                    out[o++] = '\'';
                } else if (c == '\'') {
                    if (AT(i + 1) && !isspace(AT(i + 1)))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    out[o++] = (char)c;
                }
            } else {
                switch (c) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                case '\0': done = 1; break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: out[o++] = (char)c; break;
                }
            }
            if (AT(i))
                i++;
        }
        args[argc].off = start;
        args[argc].len = o - start;
        argc++;
    }
#undef AT
}

static int parse_inline(struct resp_parser *p, const char *base, size_t avail)
{
    /* Redis looks for the '\n' with strchr(): a NUL before it hides it, and the request
     * stays incomplete until the buffer exceeds the inline limit */
    const char *nl = memchr(base, '\n', strnlen(base, avail));
    size_t linelen, eat;
    int n;

    if (!nl) {
        if (avail > PROTO_INLINE_MAX)
            return fail(p, RERR_INLINE_BIG);
        return RESP_EUNFIN;
    }
    eat = (size_t)(nl - base) + 1;
    linelen = (size_t)(nl - base);
    if (linelen && base[linelen - 1] == '\r')
        linelen--;
    if (p->ibuf_cap < linelen + 1) {
        char *b = realloc(p->ibuf, linelen + 1);
        if (!b)
            return RESP_ENOMEM;
        p->ibuf = b;
        p->ibuf_cap = linelen + 1;
    }
    p->inline_cmd = 1;
    for (;;) {
        n = resp_split_inline(base, linelen, p->ibuf, p->args, p->cap);
        if (n == -1)
            return fail(p, RERR_QUOTES);
        if (n != -2)
            break;
        if (grow(p, p->cap ? p->cap * 2 : ARGV_INITIAL))
            return RESP_ENOMEM;
    }
    p->argc = n;
    p->pos = eat;
    finish(p, base);
    return RESP_OK;
}

/* Find the '\r' that ends the line starting at @pos; like Redis, the '\n' is only required
 * to be present, not checked. Returns the line length, -1 to wait for more, -2 if too long. */
static long long line_end(const char *base, size_t avail, size_t pos)
{
    const char *cr = memchr(base + pos, '\r', avail - pos);

    if (!cr)
        return avail - pos > PROTO_INLINE_MAX ? -2 : -1;
    if ((size_t)(cr - (base + pos)) + 2 > avail - pos)
        return -1;
    return cr - (base + pos);
}

/* The common "<digits>\r\n" line after the type byte at @pos, read in one pass: the value
 * into *@v and the line length (type byte to '\r') returned. 0 when the line is anything
 * else (not yet whole, a sign, a leading zero, over 17 digits, another byte): the caller
 * then takes the general path, which gives the exact error. */
static inline long long quick_num(const char *base, size_t avail, size_t pos, long long *v)
{
    const char *s = base + pos + 1, *end = base + avail;
    const char *q = s;
    long long n;

    if (q >= end || *q < '1' || *q > '9') {
        if (q + 2 < end && q[0] == '0' && q[1] == '\r') {
            *v = 0;
            return 2;
        }
        return 0;
    }
    n = *q++ - '0';
    while (q < end && *q >= '0' && *q <= '9' && q - s < 17)
        n = n * 10 + (*q++ - '0');
    if (q + 1 >= end || *q != '\r') /* '\n' must be there too (not checked, as Redis) */
        return 0;
    *v = n;
    return q - (base + pos);
}

int resp_parse(struct resp_parser *p, const char *base, size_t avail)
{
    long long ll, n;

    if (p->pos == 0 && p->mbulk == 0) {
        if (avail == 0)
            return RESP_EUNFIN;
        if (base[0] != '*')
            return parse_inline(p, base, avail);
        n = quick_num(base, avail, 0, &ll);
        if (n)
            goto have_count;
        n = line_end(base, avail, 0);
        if (n == -2)
            return fail(p, RERR_MBULK_BIG);
        if (n < 0)
            return RESP_EUNFIN;
        if (!string2ll(base + 1, (size_t)n - 1, &ll))
            return fail(p, RERR_MBULK_LEN);
    have_count:
        if (ll > PROTO_MULTIBULK_MAX)
            return fail(p, RERR_MBULK_LEN);
        if (ll > PROTO_UNAUTH_ARGS_MAX && p->unauth)
            return fail(p, RERR_UNAUTH_MBULK);
        p->pos = (size_t)n + 2;
        if (ll <= 0) { /* "*0" and "*-1" are no commands at all */
            p->argc = 0;
            p->cmdlen = p->pos;
            return RESP_OK;
        }
        p->mbulk = ll;
        p->argc = 0;
    }
    while (p->mbulk) {
        if (p->bulk < 0) {
            if (avail > p->pos && base[p->pos] == '$' && (n = quick_num(base, avail, p->pos, &ll)))
                goto have_len;
            n = line_end(base, avail, p->pos);
            if (n == -2)
                return fail(p, RERR_BULK_BIG);
            if (n < 0)
                return RESP_EUNFIN;
            if (base[p->pos] != '$') {
                char c = base[p->pos];
                p->err_char = (c == '\r' || c == '\n') ? ' ' : c;
                return fail(p, RERR_DOLLAR);
            }
            if (!string2ll(base + p->pos + 1, (size_t)n - 1, &ll) || ll < 0)
                return fail(p, RERR_BULK_LEN);
        have_len:
            if (ll > p->max_bulk)
                return fail(p, RERR_BULK_LEN);
            if (ll > PROTO_UNAUTH_BULK_MAX && p->unauth)
                return fail(p, RERR_UNAUTH_BULK);
            p->pos += (size_t)n + 2;
            p->bulk = ll;
        }
        /* payload plus the two bytes after it; overflow impossible: bulk <= max_bulk */
        if (avail - p->pos < (size_t)p->bulk + 2)
            return RESP_EUNFIN;
        if (p->argc == p->cap && grow(p, p->argc + 1))
            return RESP_ENOMEM;
        p->args[p->argc].off = p->pos;
        p->args[p->argc].len = (size_t)p->bulk;
        p->argc++;
        p->pos += (size_t)p->bulk + 2;
        p->bulk = -1;
        p->mbulk--;
    }
    finish(p, base);
    return RESP_OK;
}

const char *resp_err_text(const struct resp_parser *p, char *buf, size_t len)
{
    static const char *const msg[] = {
        [RERR_NONE] = "unknown error",
        [RERR_MBULK_LEN] = "invalid multibulk length",
        [RERR_BULK_LEN] = "invalid bulk length",
        [RERR_DOLLAR] = NULL,
        [RERR_INLINE_BIG] = "too big inline request",
        [RERR_MBULK_BIG] = "too big mbulk count string",
        [RERR_BULK_BIG] = "too big bulk count string",
        [RERR_QUOTES] = "unbalanced quotes in request",
        [RERR_UNAUTH_MBULK] = "unauthenticated multibulk length",
        [RERR_UNAUTH_BULK] = "unauthenticated bulk length",
    };
    if (p->err == RERR_DOLLAR)
        snprintf(buf, len, "ERR Protocol error: expected '$', got '%c'", p->err_char);
    else
        snprintf(buf, len, "ERR Protocol error: %s", msg[p->err]);
    return buf;
}
