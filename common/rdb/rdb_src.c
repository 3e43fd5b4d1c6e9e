/* The decoder's byte source: a window over a file descriptor (refilled by read(2) into a fixed
 * buffer) or over memory, keeping the input offset and a lazily updated CRC64 of the consumed
 * bytes (see rdb_dec_int.h). */
#include "rdb_dec_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rdb_crc64.h"

void rdb_src_init_fd(struct rdb_src *s, int fd, uint8_t *buf, size_t cap, uint64_t start_off,
                     uint64_t size)
{
    s->fd = fd;
    s->buf = buf;
    s->cap = cap;
    s->base = s->p = s->end = s->crc_from = buf;
    s->base_off = start_off;
    s->size = size;
    s->crc = 0;
    s->crc_on = true;
}

void rdb_src_init_mem(struct rdb_src *s, const uint8_t *p, size_t n)
{
    static const uint8_t empty[1];
    if (p == NULL) {
        p = empty;
        n = 0;
    }
    s->fd = -1;
    s->buf = NULL;
    s->cap = 0;
    s->base = s->p = s->crc_from = p;
    s->end = p + n;
    s->base_off = 0;
    s->size = n;
    s->crc = 0;
    s->crc_on = true;
}

static void crc_flush(struct rdb_src *s)
{
    if (s->crc_on && s->p > s->crc_from)
        s->crc = rdb_crc64(s->crc, s->crc_from, (size_t)(s->p - s->crc_from));
    s->crc_from = s->p;
}

uint64_t rdb_src_crc(struct rdb_src *s)
{
    crc_flush(s);
    return s->crc;
}

/* Drops the consumed part of the window: moves the unread bytes to the start of buf. */
static void compact(struct rdb_src *s)
{
    crc_flush(s);
    size_t rem = (size_t)(s->end - s->p);
    s->base_off += (uint64_t)(s->p - s->base);
    if (rem > 0 && s->p != s->buf)
        memmove(s->buf, s->p, rem);
    s->base = s->p = s->crc_from = s->buf;
    s->end = s->buf + rem;
}

/* One read(2) into the free tail of buf. 1 if bytes arrived, -ENODATA at end of input, -errno. */
static int read_more(struct rdb_src *s)
{
    size_t room = s->cap - (size_t)(s->end - s->buf);
    for (;;) {
        ssize_t k = read(s->fd, (uint8_t *)s->end, room);
        if (k > 0) {
            s->end += k;
            return 1;
        }
        if (k == 0)
            return -ENODATA;
        if (errno != EINTR)
            return -errno;
    }
}

int rdb_src_fill(struct rdb_src *s, size_t n)
{
    if ((size_t)(s->end - s->p) >= n)
        return 0;
    if (s->fd < 0)
        return -ENODATA;
    compact(s);
    while ((size_t)(s->end - s->p) < n) {
        int rc = read_more(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rdb_src_read(struct rdb_src *s, void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t avail = (size_t)(s->end - s->p);
    if (avail >= n) {
        memcpy(d, s->p, n);
        s->p += n;
        return 0;
    }
    if (s->fd < 0)
        return -ENODATA;
    memcpy(d, s->p, avail);
    s->p += avail;
    d += avail;
    n -= avail;
    compact(s); /* window now empty */

    if (n >= s->cap / 2) {
        /* Large item: read straight into the destination and checksum it there. */
        while (n > 0) {
            ssize_t k = read(s->fd, d, n);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                return -errno;
            }
            if (k == 0)
                return -ENODATA;
            if (s->crc_on)
                s->crc = rdb_crc64(s->crc, d, (size_t)k);
            s->base_off += (uint64_t)k;
            d += k;
            n -= (size_t)k;
        }
        return 0;
    }
    while ((size_t)(s->end - s->p) < n) {
        int rc = read_more(s);
        if (rc < 0)
            return rc;
    }
    memcpy(d, s->p, n);
    s->p += n;
    return 0;
}

int rdb_src_skip(struct rdb_src *s, uint64_t n)
{
    for (;;) {
        size_t avail = (size_t)(s->end - s->p);
        if (avail >= n) {
            s->p += n;
            return 0;
        }
        if (s->fd < 0)
            return -ENODATA;
        s->p += avail;
        n -= avail;
        compact(s);
        if (!s->crc_on && s->size != UINT64_MAX && n > s->cap && n <= rdb_src_left(s)) {
            /* No checksum to feed and the bytes are known to exist: seek over them. */
            if (lseek(s->fd, (off_t)n, SEEK_CUR) != (off_t)-1) {
                s->base_off += n;
                return 0;
            }
        }
        int rc = read_more(s);
        if (rc < 0)
            return rc;
    }
}
