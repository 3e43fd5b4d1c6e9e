/* Durable, atomic RDB file writer: temp file, CRC, fsync, rename, directory fsync
 * (see rdb_file.h). */
#include "rdb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdb_crc64.h"
#include "rdb_enc.h"
#include "rdb_format.h"

enum writer_state {
    W_NEW,      /* being set up; no temp file of ours yet */
    W_OPEN,     /* temp file open, accepting bytes */
    W_FAILED,   /* an error happened; temp file removed */
    W_ABORTED,  /* aborted by the caller; temp file removed */
    W_FINISHED, /* final file in place */
};

struct rdb_file_writer {
    int fd;               /* temp file, -1 once closed */
    enum writer_state state;
    int err;              /* first error (-errno), 0 if none */
    uint64_t crc;         /* over every byte written so far */
    uint64_t bytes;       /* bytes accepted so far */
    uint64_t written;     /* bytes written to fd so far */
    uint64_t synced;      /* bytes handed to sync_file_range so far */
    size_t blen;          /* bytes pending in buf */
    uint8_t *buf;         /* RDB_FILE_WRITE_BUF bytes */
    char *dir;
    char *path;           /* final */
    char *tmp;            /* temporary */
    char errmsg[512];
};

static int fail(struct rdb_file_writer *w, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error, closes and removes the temp file. Returns @err (negative). */
static int fail(struct rdb_file_writer *w, int err, const char *fmt, ...)
{
    if (w->err == 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(w->errmsg))
            snprintf(w->errmsg + n, sizeof(w->errmsg) - (size_t)n, ": %s", strerror(-err));
        w->err = err;
    }
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->state == W_OPEN) {
        unlink(w->tmp);
        w->state = W_FAILED;
    }
    return w->err;
}

static char *join_path(const char *dir, const char *prefix, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s%s%s", dir, prefix, name, suffix);
    return p;
}

/* Writes all of p[0..n) with write(2), retrying on EINTR and short writes. */
static int write_all(struct rdb_file_writer *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (k == 0)
            return -EIO;
        p += k;
        n -= (size_t)k;
        w->written += (size_t)k;
    }
    return 0;
}

static int flush_buf(struct rdb_file_writer *w)
{
    int rc = write_all(w, w->buf, w->blen);
    if (rc != 0)
        return fail(w, rc, "write %s", w->tmp);
    w->blen = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    /* Start write-back of what we wrote since the last call, without waiting for it. */
    uint64_t written = w->written;
    if (written - w->synced >= RDB_FILE_SYNC_EVERY) {
        if (sync_file_range(w->fd, (off64_t)w->synced, (off64_t)(written - w->synced),
                            SYNC_FILE_RANGE_WRITE) != 0 &&
            errno != ENOSYS && errno != EINVAL && errno != ESPIPE)
            return fail(w, -errno, "sync_file_range %s", w->tmp);
        w->synced = written;
    }
#endif
    return 0;
}

int rdb_file_writer_open(struct rdb_file_writer **out, const char *dir, const char *name,
                         char *err, size_t errlen)
{
    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (dir == NULL || name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        if (err != NULL)
            snprintf(err, errlen, "invalid RDB file name \"%s\"", name ? name : "(null)");
        return -EINVAL;
    }

    struct rdb_file_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        goto nomem;
    w->fd = -1;
    w->buf = malloc(RDB_FILE_WRITE_BUF);
    w->dir = strdup(dir);
    w->path = join_path(dir, "", name, "");
    if (w->buf == NULL || w->dir == NULL || w->path == NULL)
        goto nomem;

    int rc = -EEXIST;
    for (int attempt = 0; attempt < 16 && rc == -EEXIST; attempt++) {
        uint64_t rnd;
        if (getentropy(&rnd, sizeof(rnd)) != 0) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)attempt;
        }
        char suffix[32];
        snprintf(suffix, sizeof(suffix), ".tmp-%012llx",
                 (unsigned long long)(rnd & 0xffffffffffffULL));
        free(w->tmp);
        w->tmp = join_path(dir, ".", name, suffix);
        if (w->tmp == NULL)
            goto nomem;
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        rc = w->fd >= 0 ? 0 : -errno;
    }
    if (rc != 0) {
        if (err != NULL)
            snprintf(err, errlen, "create %s: %s", w->tmp, strerror(-rc));
        rdb_file_writer_destroy(&w);
        return rc;
    }
    w->state = W_OPEN;
    *out = w;
    return 0;

nomem:
    if (err != NULL)
        snprintf(err, errlen, "out of memory opening an RDB writer in %s", dir);
    if (w != NULL)
        rdb_file_writer_destroy(&w);
    return -ENOMEM;
}

int rdb_file_writer_write(struct rdb_file_writer *w, const void *p, size_t n)
{
    if (w->state != W_OPEN)
        return w->err ? w->err : -EINVAL;
    const uint8_t *s = p;
    w->crc = rdb_crc64(w->crc, s, n);
    w->bytes += n;
    while (n > 0) {
        if (w->blen == 0 && n >= RDB_FILE_WRITE_BUF) {
            /* Large write with an empty buffer: skip the copy. */
            int rc = write_all(w, s, n);
            if (rc != 0)
                return fail(w, rc, "write %s", w->tmp);
            return 0;
        }
        size_t k = RDB_FILE_WRITE_BUF - w->blen;
        if (k > n)
            k = n;
        memcpy(w->buf + w->blen, s, k);
        w->blen += k;
        s += k;
        n -= k;
        if (w->blen == RDB_FILE_WRITE_BUF) {
            int rc = flush_buf(w);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int fsync_dir(struct rdb_file_writer *w)
{
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = 0;
    if (fsync(dfd) != 0)
        rc = -errno;
    close(dfd);
    return rc;
}

int rdb_file_writer_finish(struct rdb_file_writer *w)
{
    if (w->state != W_OPEN)
        return w->err ? w->err : -EINVAL;

    uint8_t eof = RDB_OPCODE_EOF;
    int rc = rdb_file_writer_write(w, &eof, 1);
    if (rc != 0)
        return rc;
    uint8_t trailer[8];
    rdb_enc_trailer(w->crc, trailer);
    /* The trailer is not covered by the CRC: append it around rdb_file_writer_write(). */
    if (RDB_FILE_WRITE_BUF - w->blen < sizeof(trailer) && (rc = flush_buf(w)) != 0)
        return rc;
    memcpy(w->buf + w->blen, trailer, sizeof(trailer));
    w->blen += sizeof(trailer);
    w->bytes += sizeof(trailer);

    if ((rc = write_all(w, w->buf, w->blen)) != 0)
        return fail(w, rc, "write %s", w->tmp);
    w->blen = 0;
    if (fsync(w->fd) != 0)
        return fail(w, -errno, "fsync %s", w->tmp);
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0)
        return fail(w, -errno, "close %s", w->tmp);
    if (rename(w->tmp, w->path) != 0)
        return fail(w, -errno, "rename %s to %s", w->tmp, w->path);
    w->state = W_FINISHED;
    if ((rc = fsync_dir(w)) != 0)
        return fail(w, rc, "fsync directory %s (after renaming to %s)", w->dir, w->path);
    return 0;
}

void rdb_file_writer_abort(struct rdb_file_writer *w)
{
    if (w == NULL || w->state != W_OPEN)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->tmp);
    w->state = W_ABORTED;
}

void rdb_file_writer_destroy(struct rdb_file_writer **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    struct rdb_file_writer *w = *wp;
    rdb_file_writer_abort(w);
    if (w->fd >= 0)
        close(w->fd);
    free(w->buf);
    free(w->dir);
    free(w->path);
    free(w->tmp);
    free(w);
    *wp = NULL;
}

const char *rdb_file_writer_error(const struct rdb_file_writer *w)
{
    return w->errmsg;
}

uint64_t rdb_file_writer_bytes(const struct rdb_file_writer *w)
{
    return w->bytes;
}

uint64_t rdb_file_writer_crc(const struct rdb_file_writer *w)
{
    return w->crc;
}

const char *rdb_file_writer_path(const struct rdb_file_writer *w)
{
    return w->path;
}

const char *rdb_file_writer_temp_path(const struct rdb_file_writer *w)
{
    return w->tmp;
}
