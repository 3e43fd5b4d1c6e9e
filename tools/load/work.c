/*
 * work.c - the workload of dpcache-load (see load.h).
 *
 * Keys: string keys "k000...<i>", hash keys "h...<i>", counters "c...<i>", all opt.key_size
 * bytes, i in [0, opt.keys). Key choice: uniform, or zipfian(theta) by YCSB's method (Gray et
 * al., "Quickly generating billion-record synthetic databases"), rank r mapped to key
 * (r * 2654435761) mod keys so that the hot keys are spread over the key space (and over the
 * partitions).
 *
 * Values are a function of the key and the value seed: value(i) is vlen(i) bytes of a pattern
 * buffer made from the seed, starting at an offset given by i. Every writer writes the same
 * bytes for a key, so any reply can be checked whatever the interleaving of writers: a GET
 * must return value(i) exactly (or nil when missing keys are allowed).
 */
#include "load.h"

#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ld_op_names[OP_COUNT] = {
#define X_NAME(e, s) s,
    LD_OPS(X_NAME)
#undef X_NAME
};

#define PATTERN (128 * 1024)
static uint8_t pattern[PATTERN + 70 * 1024];
static double zeta_n, zipf_alpha, zipf_eta, zipf_half;
static unsigned mix_total;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double rnd01(uint64_t *s)
{
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

void work_setup(void)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)opt.value_seed * 0x100000001b3ULL);

    for (size_t i = 0; i < sizeof(pattern); i++) {
        if ((i & 7) == 0)
            s = mix64(s + i);
        /* printable, so a wrong value shows readably */
        pattern[i] = (uint8_t)('a' + ((s >> ((i & 7) * 8)) & 0xff) % 26);
    }
    if (opt.zipf > 0) {
        double theta = opt.zipf, n = (double)opt.keys, z2 = 1.0 + pow(0.5, theta);
        zeta_n = 0;
        for (uint64_t i = 1; i <= opt.keys; i++)
            zeta_n += 1.0 / pow((double)i, theta);
        zipf_alpha = 1.0 / (1.0 - theta);
        zipf_eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - z2 / zeta_n);
        zipf_half = 1.0 + pow(0.5, theta);
    }
    mix_total = 0;
    for (int i = 0; i < OP_COUNT; i++)
        mix_total += opt.mix[i];
}

uint32_t work_key(uint64_t *rng)
{
    uint64_t r;

    if (opt.zipf <= 0)
        return (uint32_t)(rnd(rng) % opt.keys);
    {
        double u = rnd01(rng), uz = u * zeta_n;
        if (uz < 1.0)
            r = 0;
        else if (uz < zipf_half)
            r = 1;
        else
            r = (uint64_t)((double)opt.keys * pow(zipf_eta * u - zipf_eta + 1.0, zipf_alpha));
        if (r >= opt.keys)
            r = opt.keys - 1;
    }
    return (uint32_t)((r * 2654435761ULL) % opt.keys);
}

enum ld_op work_op(uint64_t *rng)
{
    unsigned x = (unsigned)(rnd(rng) % mix_total);

    for (int i = 0; i < OP_COUNT; i++) {
        if (x < opt.mix[i])
            return (enum ld_op)i;
        x -= opt.mix[i];
    }
    return OP_GET;
}

unsigned work_vlen(uint32_t key)
{
    const struct ld_vsize *v = &opt.vsize;
    uint64_t h = mix64((uint64_t)key * 0x9e3779b97f4a7c15ULL + 7);

    if (v->n)
        return v->v[h % v->n];
    if (v->hi == v->lo)
        return v->lo;
    return v->lo + (unsigned)(h % (v->hi - v->lo + 1));
}

static const uint8_t *value_of(uint32_t key)
{
    return pattern + (mix64((uint64_t)key + 0x1234567) % PATTERN);
}

/* Requests are formatted by hand (ull2string, the data plane's own): with sprintf the
 * generator spent half its time in libc's format machinery, and its speed is the ceiling of
 * every figure measured with it. */

/* "$<len>\r\n": returns its length */
static size_t put_len(uint8_t *p, char type, size_t len)
{
    size_t n = 1;

    p[0] = (uint8_t)type;
    n += (size_t)ull2string((char *)p + 1, len); /* its NUL is overwritten next */
    p[n++] = '\r';
    p[n++] = '\n';
    return n;
}

static size_t put_bulk(uint8_t *p, const void *s, size_t len)
{
    size_t n = put_len(p, '$', len);

    memcpy(p + n, s, len);
    p[n + len] = '\r';
    p[n + len + 1] = '\n';
    return n + len + 2;
}

/* @prefix and @key zero-padded to opt.key_size bytes (main.c checks that the largest key's
 * digits fit) as a bulk string */
static size_t put_key(uint8_t *p, char prefix, uint32_t key)
{
    size_t n = put_len(p, '$', opt.key_size), width = opt.key_size - 1;

    p[n] = (uint8_t)prefix;
    for (size_t i = width; i > 0; i--) {
        p[n + i] = (uint8_t)('0' + key % 10);
        key /= 10;
    }
    n += 1 + width;
    p[n++] = '\r';
    p[n++] = '\n';
    return n;
}

size_t work_req_max(void)
{
    unsigned vmax = opt.vsize.n ? 0 : opt.vsize.hi;

    for (unsigned i = 0; i < opt.vsize.n; i++)
        if (opt.vsize.v[i] > vmax)
            vmax = opt.vsize.v[i];
    return 64 + (opt.key_size + 16) * (opt.mget_keys + 1) + vmax + 16;
}

size_t work_build(uint8_t *buf, size_t cap, enum ld_op op, uint32_t key)
{
    uint8_t *p = buf;
    char ex[LL_STR_SIZE];

    if (cap < work_req_max())
        return 0;
    switch (op) {
    case OP_GET:
        memcpy(p, "*2\r\n$3\r\nGET\r\n", 13);
        p += 13;
        p += put_key(p, 'k', key);
        break;
    case OP_SET:
    case OP_SETEX:
        if (op == OP_SET) {
            memcpy(p, "*3\r\n$3\r\nSET\r\n", 13);
            p += 13;
        } else {
            memcpy(p, "*5\r\n$3\r\nSET\r\n", 13);
            p += 13;
        }
        p += put_key(p, 'k', key);
        p += put_bulk(p, value_of(key), work_vlen(key));
        if (op == OP_SETEX) {
            p += put_bulk(p, "EX", 2);
            p += put_bulk(p, ex, (size_t)ull2string(ex, opt.ex_seconds));
        }
        break;
    case OP_HSET:
        memcpy(p, "*4\r\n$4\r\nHSET\r\n", 14);
        p += 14;
        p += put_key(p, 'h', key);
        p += put_bulk(p, "f", 1);
        p += put_bulk(p, value_of(key), work_vlen(key));
        break;
    case OP_HGETALL:
        memcpy(p, "*2\r\n$7\r\nHGETALL\r\n", 17);
        p += 17;
        p += put_key(p, 'h', key);
        break;
    case OP_INCR:
        memcpy(p, "*2\r\n$4\r\nINCR\r\n", 14);
        p += 14;
        p += put_key(p, 'c', key);
        break;
    case OP_MGET:
        p += put_len(p, '*', opt.mget_keys + 1);
        memcpy(p, "$4\r\nMGET\r\n", 10);
        p += 10;
        for (unsigned j = 0; j < opt.mget_keys; j++)
            p += put_key(p, 'k', (uint32_t)((key + j) % opt.keys));
        break;
    default:
        return 0;
    }
    return (size_t)(p - buf);
}

static void show(char *why, size_t wlen, const char *what, const struct rp_el *e)
{
    char t[48];
    size_t n = e->len < sizeof(t) - 1 ? e->len : sizeof(t) - 1;

    if (e->type == '$' || e->type == '+' || e->type == '-') {
        memcpy(t, e->s, n);
        t[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (t[i] < 32 || t[i] > 126)
                t[i] = '.';
    } else if (e->type == ':') {
        snprintf(t, sizeof(t), "%lld", (long long)e->i);
    } else {
        snprintf(t, sizeof(t), "(type %c, %lld)", e->type, (long long)e->i);
    }
    snprintf(why, wlen, "%s: got %c%s%s", what, e->type, t, e->len > n ? "..." : "");
}

/* a bulk that must be value(key) */
static int check_value(const struct rp_el *e, uint32_t key, char *why, size_t wlen)
{
    if (e->type == '_' && opt.nil_ok)
        return 0;
    if (e->type == '$' && e->len == work_vlen(key) && !memcmp(e->s, value_of(key), e->len))
        return 0;
    if (e->type == '-') {
        show(why, wlen, "unexpected error", e);
        return 2;
    }
    if (e->type == '$' && e->len != work_vlen(key))
        snprintf(why, wlen, "key %u: value of %zu bytes, expected %u", key, e->len,
                 work_vlen(key));
    else if (e->type == '$')
        show(why, wlen, "wrong value", e);
    else
        show(why, wlen, "missing or wrong type", e);
    return 1;
}

int work_check(const struct rp_reply *r, enum ld_op op, uint32_t key, char *why, size_t wlen)
{
    const struct rp_el *t = &r->top;

    if (t->type == '-') {
        show(why, wlen, ld_op_names[op], t);
        return 2;
    }
    switch (op) {
    case OP_GET:
        return check_value(t, key, why, wlen);
    case OP_SET:
    case OP_SETEX:
        if (t->type == '+' && t->len == 2 && !memcmp(t->s, "OK", 2))
            return 0;
        break;
    case OP_HSET:
        if (t->type == ':' && (t->i == 0 || t->i == 1))
            return 0;
        break;
    case OP_HGETALL:
        if (t->type == '*' && t->i == 0 && opt.nil_ok)
            return 0;
        if (t->type == '*' && r->n == 2 && r->el[0].type == '$' && r->el[0].len == 1 &&
            r->el[0].s[0] == 'f')
            return check_value(&r->el[1], key, why, wlen);
        break;
    case OP_INCR:
        if (t->type == ':' && t->i >= 1)
            return 0;
        break;
    case OP_MGET:
        if (t->type == '*' && r->n == opt.mget_keys) {
            for (unsigned j = 0; j < r->n; j++) {
                int rc = check_value(&r->el[j], (uint32_t)((key + j) % opt.keys), why, wlen);
                if (rc)
                    return rc;
            }
            return 0;
        }
        break;
    default:
        break;
    }
    show(why, wlen, ld_op_names[op], t);
    return 1;
}
