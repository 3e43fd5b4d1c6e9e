/*
 * obuf.h - a client's output buffer: a list of chunks that replies are appended to and that
 * a network stack drains from the head.
 *
 * The posix stack writes spans with writev() and consumes what the kernel took. The native
 * TCP stack keeps unacknowledged bytes in the buffer: it reads spans at an offset
 * (obuf_peek) to build and retransmit segments and consumes bytes once they are acknowledged.
 *
 * Chunks come from a per-worker pool, so steady-state replies allocate nothing.
 * Thread-safety: an obuf and its pool belong to one thread at a time (no locking).
 */
#ifndef DP_OBUF_H
#define DP_OBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Payload bytes of a pooled chunk; larger single reservations get a chunk of their own. */
#define OBUF_CHUNK_DATA (16384 - 32)
/* Pooled chunks kept per worker at most; the rest go back to the system. */
#define OBUF_POOL_MAX   4096

struct obuf_chunk {
    struct obuf_chunk *next;
    uint32_t len; /* bytes written */
    uint32_t cap; /* bytes available in data[] */
    uint8_t data[];
};

struct obuf_pool {
    struct obuf_chunk *free; /* singly linked free list of OBUF_CHUNK_DATA chunks */
    uint32_t nfree;
    uint64_t allocated; /* chunks handed out minus chunks given back to this pool (chunks move
                           between workers' pools with forwarded replies: only the sum over
                           all pools is the number in use) */
    uint64_t bytes;     /* the same in bytes */
};

struct obuf {
    struct obuf_chunk *head, *tail;
    size_t bytes;           /* unconsumed bytes in the buffer */
    uint32_t off;           /* consumed bytes of head */
    int oom;                /* an append failed for lack of memory; the client must be closed */
    struct obuf_pool *pool; /* NULL: chunks come from malloc directly */
};

/* Position to roll back to (obuf_mark / obuf_rollback). */
struct obuf_mark {
    struct obuf_chunk *tail;
    uint32_t tail_len;
    size_t bytes;
};

void obuf_init(struct obuf *ob, struct obuf_pool *pool);
/* obuf_reset: drop every byte and give the chunks back to the pool. */
void obuf_reset(struct obuf *ob);

static inline size_t obuf_len(const struct obuf *ob)
{
    return ob->bytes;
}

/* obuf_reserve: return @n contiguous writable bytes at the tail (not yet counted), or NULL on
 * memory exhaustion (then ob->oom is set). Follow with obuf_commit(ob, m), m <= n. */
uint8_t *obuf_reserve(struct obuf *ob, size_t n);

static inline void obuf_commit(struct obuf *ob, size_t n)
{
    ob->tail->len += (uint32_t)n;
    ob->bytes += n;
}

/* obuf_append: copy @n bytes to the tail, spanning chunks. Returns 0 or -1 (oom). */
int obuf_append(struct obuf *ob, const void *p, size_t n);

/* obuf_splice: move every byte of @src to the tail of @dst without copying; @src is left
 * empty. Both must use the same pool (or none). */
void obuf_splice(struct obuf *dst, struct obuf *src);

/* obuf_iov: fill up to @max iovecs with the unconsumed bytes from the head. Returns count. */
int obuf_iov(const struct obuf *ob, struct iovec *iov, int max);

/* obuf_peek: the contiguous span that starts @off bytes after the head. Returns its length
 * (0 when @off >= obuf_len). */
size_t obuf_peek(const struct obuf *ob, size_t off, const uint8_t **p);

/* obuf_copy_out: copy @n bytes starting @off bytes after the head into @dst. Returns bytes
 * copied (less than @n only at the end of the buffer). */
size_t obuf_copy_out(const struct obuf *ob, size_t off, void *dst, size_t n);

/* obuf_consume: drop @n bytes from the head (n <= obuf_len). */
void obuf_consume(struct obuf *ob, size_t n);

void obuf_mark(const struct obuf *ob, struct obuf_mark *m);
/* obuf_rollback: drop every byte appended after obuf_mark(@m); nothing may have been consumed
 * past the mark in between. */
void obuf_rollback(struct obuf *ob, const struct obuf_mark *m);

/* obuf_pool_drain: free the pooled chunks (at worker exit). */
void obuf_pool_drain(struct obuf_pool *pool);

#endif
