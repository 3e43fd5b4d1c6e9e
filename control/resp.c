/*
 * resp.c - blocking RESP client (see resp.h).
 */
#include "resp.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_MIN (256u << 10)

void resp_init(struct resp_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

int resp_connect_unix(struct resp_conn *c, const char *path, int timeout_ms)
{
    struct sockaddr_un sa;
    int fd;

    resp_close(c);
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    c->fd = fd;
    c->timeout_ms = timeout_ms;
    c->pos = c->len = 0;
    return 0;
}

void resp_close(struct resp_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->pos = c->len = c->cap = 0;
}

/* Free what @v holds (not @v itself). */
static void rv_clear(struct rv *v)
{
    for (size_t i = 0; i < v->n; i++)
        rv_clear(&v->elem[i]);
    free(v->elem);
    free(v->str);
    v->elem = NULL;
    v->str = NULL;
    v->n = 0;
}

void rv_free(struct rv *v)
{
    if (!v)
        return;
    rv_clear(v);
    free(v);
}

const struct rv *rv_map_get(const struct rv *v, const char *key)
{
    if (!v || v->type != RV_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < v->n; i += 2)
        if (v->elem[i].str && strcmp(v->elem[i].str, key) == 0)
            return &v->elem[i + 1];
    return NULL;
}

/* Position of the CRLF that ends the line starting at @p, or NULL if not there yet. */
static const char *line_end(const char *p, const char *end)
{
    const char *q = memchr(p, '\r', (size_t)(end - p));
    if (!q || q + 1 >= end)
        return NULL;
    return q;
}

static int parse_ll(const char *p, const char *e, long long *out)
{
    long long v = 0;
    int neg = 0;

    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == e || e - p > 18)
        return -1;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static int set_str(struct rv *v, const char *p, size_t n)
{
    v->str = malloc(n + 1);
    if (!v->str)
        return -1;
    memcpy(v->str, p, n);
    v->str[n] = '\0';
    v->len = n;
    return 0;
}

/* Parse one value at *@pp into @v (NULL: only check it is complete and well formed).
 * Returns 1 parsed, 0 incomplete, -1 malformed. */
static int parse_val(const char **pp, const char *end, struct rv *v, int depth)
{
    const char *p = *pp, *le;
    long long n;
    char t;

    if (depth > RESP_MAX_DEPTH)
        return -1;
    if (p >= end)
        return 0;
    le = line_end(p, end);
    if (!le) {
        if (end - p > 1024)
            return -1; /* header lines are short */
        return 0;
    }
    if (le[1] != '\n')
        return -1;
    t = *p;
    switch (t) {
    case '+':
    case '-':
    case ',':
        if (v) {
            v->type = t == '+' ? RV_STATUS : t == '-' ? RV_ERROR : RV_DOUBLE;
            if (set_str(v, p + 1, (size_t)(le - p - 1)))
                return -1;
        }
        *pp = le + 2;
        return 1;
    case ':':
    case '#':
        if (t == '#') {
            if (le - p != 2 || (p[1] != 't' && p[1] != 'f'))
                return -1;
            n = p[1] == 't';
        } else if (parse_ll(p + 1, le, &n)) {
            return -1;
        }
        if (v) {
            v->type = RV_INT;
            v->i = n;
        }
        *pp = le + 2;
        return 1;
    case '_':
        if (v)
            v->type = RV_NIL;
        *pp = le + 2;
        return 1;
    case '$':
    case '=':
        if (parse_ll(p + 1, le, &n) || n < -1 || n > (long long)RESP_MAX_BULK)
            return -1;
        if (n == -1) {
            if (v)
                v->type = RV_NIL;
            *pp = le + 2;
            return 1;
        }
        if ((size_t)(end - (le + 2)) < (size_t)n + 2)
            return 0;
        if (le[2 + n] != '\r' || le[3 + n] != '\n')
            return -1;
        if (v) {
            v->type = RV_BULK;
            if (set_str(v, le + 2, (size_t)n))
                return -1;
        }
        *pp = le + 2 + n + 2;
        return 1;
    case '*':
    case '%':
    case '~':
    case '>': {
        size_t cap = 0;
        if (parse_ll(p + 1, le, &n) || n < -1 || n > (long long)RESP_MAX_ELEMS)
            return -1;
        if (t == '%') {
            if (n < 0 || n > (long long)RESP_MAX_ELEMS / 2)
                return -1;
            n *= 2;
        }
        p = le + 2;
        if (v) {
            v->type = n < 0 ? RV_NIL : RV_ARRAY;
            v->n = 0;
            v->elem = NULL;
        }
        for (long long k = 0; k < n; k++) {
            struct rv *child = NULL;
            int rc;
            if (v) {
                if (v->n == cap) {
                    size_t nc = cap ? cap * 2 : 8;
                    struct rv *ne = realloc(v->elem, nc * sizeof(*ne));
                    if (!ne)
                        return -1;
                    v->elem = ne;
                    cap = nc;
                }
                child = &v->elem[v->n];
                memset(child, 0, sizeof(*child));
                v->n++;
            }
            rc = parse_val(&p, end, child, depth + 1);
            if (rc <= 0)
                return rc;
        }
        *pp = p;
        return 1;
    }
    default: return -1;
    }
}

long resp_parse_reply(const char *buf, size_t len, struct rv **out)
{
    const char *p = buf;
    struct rv *v;
    int rc;

    *out = NULL;
    rc = parse_val(&p, buf + len, NULL, 0);
    if (rc <= 0)
        return rc < 0 ? -EPROTO : 0;
    v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    p = buf;
    if (parse_val(&p, buf + len, v, 0) != 1) {
        rv_free(v);
        return -ENOMEM;
    }
    *out = v;
    return (long)(p - buf);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @fd is ready for @events before @deadline. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd pf = { .fd = fd, .events = events };
        long long left = deadline - now_ms();
        int n;
        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(&pf, 1, (int)(left > 1000000 ? 1000000 : left));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int fail(struct resp_conn *c, int err)
{
    resp_close(c);
    return err;
}

int resp_command(struct resp_conn *c, struct rv **out, int argc, const char *const *argv)
{
    char head[64];
    size_t total = 0, off = 0;
    char *msg;
    long long deadline;
    int rc;

    *out = NULL;
    if (c->fd < 0)
        return -ENOTCONN;
    deadline = now_ms() + c->timeout_ms;
    /* build the whole request (control commands are small) */
    for (int i = 0; i < argc; i++)
        total += 32 + strlen(argv[i]);
    total += 32;
    msg = malloc(total);
    if (!msg)
        return -ENOMEM;
    off += (size_t)snprintf(msg + off, total - off, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        snprintf(head, sizeof(head), "$%zu\r\n", l);
        memcpy(msg + off, head, strlen(head));
        off += strlen(head);
        memcpy(msg + off, argv[i], l);
        off += l;
        msg[off++] = '\r';
        msg[off++] = '\n';
    }
    for (size_t sent = 0; sent < off;) {
        ssize_t w = send(c->fd, msg + sent, off - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                rc = wait_fd(c->fd, POLLOUT, deadline);
                if (rc) {
                    free(msg);
                    return fail(c, rc);
                }
                continue;
            }
            rc = -errno;
            free(msg);
            return fail(c, rc);
        }
        sent += (size_t)w;
    }
    free(msg);
    for (;;) {
        ssize_t r;
        if (c->len > c->pos) {
            long n = resp_parse_reply(c->buf + c->pos, c->len - c->pos, out);
            if (n < 0)
                return fail(c, (int)n);
            if (n > 0) {
                c->pos += (size_t)n;
                if (c->pos == c->len)
                    c->pos = c->len = 0;
                return 0;
            }
        }
        if (c->pos) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        }
        if (c->cap - c->len < READ_MIN) {
            size_t nc = c->cap ? c->cap * 2 : 2 * READ_MIN;
            char *nb;
            if (nc > RESP_MAX_BULK + 2 * READ_MIN + (4u << 20))
                return fail(c, -EPROTO);
            nb = realloc(c->buf, nc);
            if (!nb)
                return fail(c, -ENOMEM);
            c->buf = nb;
            c->cap = nc;
        }
        rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc)
            return fail(c, rc);
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
        if (r == 0)
            return fail(c, -ECONNRESET);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return fail(c, -errno);
        }
        c->len += (size_t)r;
    }
}

int resp_commandl(struct resp_conn *c, struct rv **out, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    const char *a;

    va_start(ap, out);
    while ((a = va_arg(ap, const char *)) != NULL && argc < 16)
        argv[argc++] = a;
    va_end(ap);
    return resp_command(c, out, argc, argv);
}
