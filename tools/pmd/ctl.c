/*
 * ctl.c - RESP client of dpcache's control socket for dpcache-pmd (see pmd.h and
 * dataplane/engine/ctl.h): CONFIG GET/SET, INFO, and snapshots written by the shell itself
 * (CTL.SNAPSHOT.BEGIN/NEXT/DONE: the data plane cuts and serializes on its cores; the shell
 * frames the records as an RDB file: header, chunks, EOF, CRC64).
 */
#include "pmd.h"

#include "rdb/rdb_crc64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct rbuf {
    char *p;
    size_t len, cap, pos;
    int fd;
};

static int ctl_open(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", pmd_ctl_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "cannot reach the control socket %s: %m (--control PATH)\n",
                pmd_ctl_path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int send_cmd(int fd, int argc, const char **argv)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "*%d\r\n", argc);

    if (write(fd, head, (size_t)n) != n)
        return -1;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        n = snprintf(head, sizeof(head), "$%zu\r\n", l);
        if (write(fd, head, (size_t)n) != n || write(fd, argv[i], l) != (ssize_t)l ||
            write(fd, "\r\n", 2) != 2)
            return -1;
    }
    return 0;
}

/* make @n more bytes available from pos */
static int need(struct rbuf *b, size_t n)
{
    while (b->len - b->pos < n) {
        ssize_t r;
        if (b->len == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 65536;
            b->p = realloc(b->p, b->cap);
            if (!b->p)
                return -1;
        }
        r = read(b->fd, b->p + b->len, b->cap - b->len);
        if (r <= 0)
            return -1;
        b->len += (size_t)r;
    }
    return 0;
}

static int line(struct rbuf *b, char **s, size_t *l)
{
    for (;;) {
        char *nl = memchr(b->p + b->pos, '\n', b->len - b->pos);
        if (nl) {
            *s = b->p + b->pos;
            *l = (size_t)(nl - *s) - 1;
            b->pos = (size_t)(nl - b->p) + 1;
            return 0;
        }
        if (need(b, b->len - b->pos + 1))
            return -1;
    }
}

/* one reply, printed redis-cli style into @o; for snapshots, bulks go to @f (if set) */
struct out {
    char *p;
    size_t len, cap;
    FILE *f;
    uint64_t crc;
    long long first_int;
    int nint;
    int err;
};

/* append @l bytes of @s (and a newline if @nl) */
static void oput(struct out *o, const char *s, size_t l, int nl)
{
    if (!o->p || o->len + l + 2 >= o->cap)
        return;
    memcpy(o->p + o->len, s, l);
    o->len += l;
    if (nl)
        o->p[o->len++] = '\n';
    o->p[o->len] = '\0';
}

static void oint(struct out *o, long long v)
{
    char t[48];
    int n = snprintf(t, sizeof(t), "(integer) %lld", v);
    oput(o, t, (size_t)n, 1);
}

static int reply(struct rbuf *b, struct out *o, int depth)
{
    char *s;
    size_t l;
    long long v;

    if (line(b, &s, &l))
        return -1;
    switch (s[0]) {
    case '+': oput(o, s + 1, l - 1, 1); return 0;
    case '-':
        o->err = 1;
        oput(o, "(error) ", 8, 0);
        oput(o, s + 1, l - 1, 1);
        return 0;
    case ':':
        v = strtoll(s + 1, NULL, 10);
        if (!o->nint++)
            o->first_int = v;
        oint(o, v);
        return 0;
    case '$':
        v = strtoll(s + 1, NULL, 10);
        if (v < 0) {
            oput(o, "(nil)", 5, 1);
            return 0;
        }
        if (need(b, (size_t)v + 2))
            return -1;
        if (o->f) {
            fwrite(b->p + b->pos, 1, (size_t)v, o->f);
            o->crc = rdb_crc64(o->crc, b->p + b->pos, (size_t)v);
        } else {
            oput(o, b->p + b->pos, (size_t)v, 1);
        }
        b->pos += (size_t)v + 2;
        return 0;
    case '*':
    case '%':
        v = strtoll(s + 1, NULL, 10);
        if (s[0] == '%')
            v *= 2;
        for (long long i = 0; i < v; i++) {
            if (!o->f)
                oput(o, "                ", (size_t)(depth * 2 < 16 ? depth * 2 : 16), 0);
            if (reply(b, o, depth + 1))
                return -1;
        }
        if (v <= 0)
            oput(o, "(empty)", 7, 1);
        return 0;
    default:
        oput(o, s, l, 1);
        return 0;
    }
}

static int call(int fd, struct rbuf *b, int argc, const char **argv, struct out *o)
{
    if (send_cmd(fd, argc, argv))
        return -1;
    if (b->pos == b->len)
        b->pos = b->len = 0;
    return reply(b, o, 0);
}

int ctl_call(int argc, const char **argv, char *out, size_t outlen)
{
    struct rbuf b = { .fd = ctl_open() };
    struct out o = { .p = out, .cap = outlen };
    int rc;

    out[0] = '\0';
    if (b.fd < 0)
        return -1;
    rc = call(b.fd, &b, argc, argv, &o);
    close(b.fd);
    free(b.p);
    if (rc)
        return -1;
    out[o.len < outlen ? o.len : outlen - 1] = '\0';
    return o.err;
}

int ctl_snapshot(const char *path)
{
    struct rbuf b = { .fd = ctl_open() };
    char msg[512], tmp[300];
    struct out o = { .p = msg, .cap = sizeof(msg) };
    const char *begin[] = { "CTL.SNAPSHOT.BEGIN" }, *next[] = { "CTL.SNAPSHOT.NEXT", "64" };
    static const uint8_t eof = 0xff;
    uint8_t crc[8];
    time_t t0 = time(NULL);
    int done = 0, rc = -1;
    FILE *f;

    if (b.fd < 0)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s: %m\n", tmp);
        goto out;
    }
    if (call(b.fd, &b, 1, begin, &o) || o.err) {
        fprintf(stderr, "snapshot refused: %s", msg);
        goto out;
    }
    o.crc = rdb_crc64(0, "REDIS0009", 9);
    fwrite("REDIS0009", 1, 9, f);
    while (!done) {
        o.f = f;
        o.nint = 0;
        o.len = 0;
        if (call(b.fd, &b, 2, next, &o) || o.err) {
            fprintf(stderr, "snapshot failed: %s\n", msg);
            goto out;
        }
        done = o.first_int != 0;
        if (!done)
            usleep(1000);
    }
    o.crc = rdb_crc64(o.crc, &eof, 1);
    fwrite(&eof, 1, 1, f);
    for (int i = 0; i < 8; i++)
        crc[i] = (uint8_t)(o.crc >> (8 * i));
    fwrite(crc, 1, 8, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        f = NULL;
        fprintf(stderr, "cannot write %s: %m\n", path);
        goto out;
    }
    f = NULL;
    {
        char ts[32], secs[32];
        const char *d[] = { "CTL.SNAPSHOT.DONE", "ok", ts, secs };
        snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
        snprintf(secs, sizeof(secs), "%lld", (long long)(time(NULL) - t0));
        o.f = NULL;
        o.len = 0;
        call(b.fd, &b, 4, d, &o);
    }
    rc = 0;
out:
    if (f) { /* DONE err aborts a running snapshot and ends bgsave_in_progress */
        const char *a[] = { "CTL.SNAPSHOT.DONE", "err", "0", "0" };
        fclose(f);
        unlink(tmp);
        o.f = NULL;
        o.p = NULL;
        call(b.fd, &b, 4, a, &o);
    }
    close(b.fd);
    free(b.p);
    return rc;
}
