/*
 * hist.c - HDR-style log-linear histogram (see load.h): values below 128 have their own
 * bucket, larger ones 64 buckets per power of two (under 1.6% relative error). 30 KiB.
 */
#include "load.h"

static unsigned bucket(uint64_t v)
{
    unsigned e;

    if (v < 128)
        return (unsigned)v;
    e = (unsigned)(63 - __builtin_clzll(v)) - 6; /* v >> e in [64, 128) */
    if (e > 58)
        return HIST_BUCKETS - 1;
    return (e << 6) + (unsigned)(v >> e);
}

/* the highest value of bucket @b */
static uint64_t bucket_high(unsigned b)
{
    unsigned e;

    if (b < 128)
        return b;
    e = b / 64 - 1;
    return ((uint64_t)(b - e * 64) << e) + (((uint64_t)1 << e) - 1);
}

void hist_add(struct hist *h, uint64_t v)
{
    h->b[bucket(v)]++;
    h->n++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    if (h->n == 1 || v < h->min)
        h->min = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (!src->n)
        return;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    if (!dst->n || src->min < dst->min)
        dst->min = src->min;
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_pct(const struct hist *h, double p)
{
    uint64_t want, acc = 0;

    if (!h->n)
        return 0;
    want = (uint64_t)(p / 100.0 * (double)h->n + 0.5);
    if (want < 1)
        want = 1;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        acc += h->b[i];
        if (acc >= want) {
            uint64_t v = bucket_high(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}
