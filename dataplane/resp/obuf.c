/*
 * obuf.c - chunked output buffers (see obuf.h).
 */
#include "obuf.h"

#include <stdlib.h>
#include <string.h>

static struct obuf_chunk *chunk_get(struct obuf_pool *pool, size_t need)
{
    struct obuf_chunk *c;
    size_t cap = need > OBUF_CHUNK_DATA ? need : OBUF_CHUNK_DATA;

    if (cap == OBUF_CHUNK_DATA && pool && pool->free) {
        c = pool->free;
        pool->free = c->next;
        pool->nfree--;
    } else {
        if (cap > UINT32_MAX - sizeof(*c))
            return NULL;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = (uint32_t)cap;
    }
    c->next = NULL;
    c->len = 0;
    if (pool) {
        pool->allocated++;
        pool->bytes += c->cap;
    }
    return c;
}

static void chunk_put(struct obuf_pool *pool, struct obuf_chunk *c)
{
    if (pool) {
        pool->allocated--;
        pool->bytes -= c->cap;
        if (c->cap == OBUF_CHUNK_DATA && pool->nfree < OBUF_POOL_MAX) {
            c->next = pool->free;
            pool->free = c;
            pool->nfree++;
            return;
        }
    }
    free(c);
}

void obuf_init(struct obuf *ob, struct obuf_pool *pool)
{
    memset(ob, 0, sizeof(*ob));
    ob->pool = pool;
}

void obuf_reset(struct obuf *ob)
{
    struct obuf_chunk *c = ob->head, *n;

    while (c) {
        n = c->next;
        chunk_put(ob->pool, c);
        c = n;
    }
    ob->head = ob->tail = NULL;
    ob->bytes = 0;
    ob->off = 0;
}

uint8_t *obuf_reserve(struct obuf *ob, size_t n)
{
    struct obuf_chunk *c = ob->tail;

    if (c && c->cap - c->len >= n)
        return c->data + c->len;
    c = chunk_get(ob->pool, n);
    if (!c) {
        ob->oom = 1;
        return NULL;
    }
    if (ob->tail)
        ob->tail->next = c;
    else
        ob->head = c;
    ob->tail = c;
    return c->data;
}

int obuf_append(struct obuf *ob, const void *p, size_t n)
{
    const uint8_t *s = p;

    while (n) {
        struct obuf_chunk *c = ob->tail;
        size_t room = c ? c->cap - c->len : 0, k;
        if (room == 0) {
            if (!obuf_reserve(ob, 1))
                return -1;
            c = ob->tail;
            room = c->cap - c->len;
        }
        k = n < room ? n : room;
        memcpy(c->data + c->len, s, k);
        c->len += (uint32_t)k;
        ob->bytes += k;
        s += k;
        n -= k;
    }
    return 0;
}

void obuf_splice(struct obuf *dst, struct obuf *src)
{
    if (!src->head)
        return;
    if (src->off) { /* keep the invariant that only the head of dst may be partly consumed */
        struct obuf_chunk *h = src->head;
        memmove(h->data, h->data + src->off, h->len - src->off);
        h->len -= src->off;
        src->off = 0;
    }
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    dst->bytes += src->bytes;
    /* chunks change pools without accounting: a pool counts its own gets minus the puts it
     * received, so only the sum over all pools is meaningful (and exact) */
    src->head = src->tail = NULL;
    src->bytes = 0;
}

int obuf_iov(const struct obuf *ob, struct iovec *iov, int max)
{
    int n = 0;
    uint32_t off = ob->off;

    for (struct obuf_chunk *c = ob->head; c && n < max; c = c->next) {
        if (c->len > off) {
            iov[n].iov_base = c->data + off;
            iov[n].iov_len = c->len - off;
            n++;
        }
        off = 0;
    }
    return n;
}

size_t obuf_peek(const struct obuf *ob, size_t off, const uint8_t **p)
{
    size_t skip = off + ob->off;

    for (struct obuf_chunk *c = ob->head; c; c = c->next) {
        if (skip < c->len) {
            *p = c->data + skip;
            return c->len - skip;
        }
        skip -= c->len;
    }
    *p = NULL;
    return 0;
}

size_t obuf_copy_out(const struct obuf *ob, size_t off, void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t done = 0;

    while (done < n) {
        const uint8_t *p;
        size_t k = obuf_peek(ob, off + done, &p);
        if (k == 0)
            break;
        if (k > n - done)
            k = n - done;
        memcpy(d + done, p, k);
        done += k;
    }
    return done;
}

void obuf_consume(struct obuf *ob, size_t n)
{
    ob->bytes -= n;
    while (n) {
        struct obuf_chunk *c = ob->head;
        size_t left = c->len - ob->off;
        if (n < left) {
            ob->off += (uint32_t)n;
            return;
        }
        n -= left;
        ob->head = c->next;
        ob->off = 0;
        if (!ob->head)
            ob->tail = NULL;
        chunk_put(ob->pool, c);
    }
    if (ob->bytes == 0 && ob->head) { /* empty but a chunk remains: release it */
        chunk_put(ob->pool, ob->head);
        ob->head = ob->tail = NULL;
        ob->off = 0;
    }
}

void obuf_mark(const struct obuf *ob, struct obuf_mark *m)
{
    m->tail = ob->tail;
    m->tail_len = ob->tail ? ob->tail->len : 0;
    m->bytes = ob->bytes;
}

void obuf_rollback(struct obuf *ob, const struct obuf_mark *m)
{
    struct obuf_chunk *c = m->tail ? m->tail->next : ob->head, *n;

    if (!m->tail) { /* everything was appended after the mark */
        obuf_reset(ob);
        return;
    }
    while (c) {
        n = c->next;
        chunk_put(ob->pool, c);
        c = n;
    }
    m->tail->next = NULL;
    m->tail->len = m->tail_len;
    ob->tail = m->tail;
    ob->bytes = m->bytes;
}

void obuf_pool_drain(struct obuf_pool *pool)
{
    while (pool->free) {
        struct obuf_chunk *c = pool->free;
        pool->free = c->next;
        free(c);
    }
    pool->nfree = 0;
}
