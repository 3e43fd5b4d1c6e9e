/* Real-Redis test harness: server process control, RESP2 client, tool runner
 * (see redis_harness.h). */
#include "redis_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int redis_available(void)
{
    return access(REDIS_SERVER_BIN, X_OK) == 0 && access(REDIS_CHECK_BIN, X_OK) == 0;
}

/* A port the kernel just considered free on 127.0.0.1 (it may be taken again before redis binds
 * it; redis_start retries). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* In a forked child: die with the parent (the test may abort on a failed assertion). */
static void child_tie_to_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

static int try_start(struct redis_srv *s, const char *dir, const char *dbfile,
                     const char *const *extra)
{
    char port[16];
    s->port = free_port();
    if (s->port <= 0)
        return -1;
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(s->log, sizeof(s->log), "%s/redis-%d.log", dir, s->port);

    const char *argv[64];
    int n = 0;
    const char *base[] = { REDIS_SERVER_BIN, "--port", port, "--bind", "127.0.0.1",
                           "--dir", dir, "--dbfilename", dbfile, "--save", "",
                           "--appendonly", "no", "--daemonize", "no", "--logfile", s->log,
                           "--enable-debug-command", "local" };
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        argv[n++] = base[i];
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_tie_to_parent(parent);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;

    double deadline = mono_now() + 20;
    while (mono_now() < deadline) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            s->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return -2;
        }
        struct rconn *c = malloc(sizeof(*c));
        if (c != NULL && rconn_open(c, s->port) == 0) {
            struct resp *r = rcmdf(c, "PING", NULL);
            int ok = r != NULL && r->type == '+';
            resp_free(r);
            rconn_close(c);
            free(c);
            if (ok)
                return 0;
        } else {
            free(c);
        }
        usleep(20 * 1000);
    }
    redis_stop(s);
    return -1;
}

int redis_start(struct redis_srv *s, const char *dir, const char *dbfile, const char *const *extra)
{
    memset(s, 0, sizeof(*s));
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = try_start(s, dir, dbfile, extra);
        if (rc == 0)
            return 0;
        if (rc == -2) {
            /* Exited: a port race shows up in the log; anything else is final. */
            char buf[8192] = { 0 };
            FILE *f = fopen(s->log, "r");
            if (f != NULL) {
                size_t k = fread(buf, 1, sizeof(buf) - 1, f);
                buf[k] = '\0';
                fclose(f);
            }
            if (strstr(buf, "Address already in use") == NULL)
                return -1;
        }
    }
    return -1;
}

void redis_stop(struct redis_srv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* ---- RESP client ------------------------------------------------------------------------ */

int rconn_open(struct rconn *c, int port)
{
    c->rpos = c->rlen = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = { .tv_sec = 30 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void rconn_close(struct rconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

int rsend(struct rconn *c, int argc, const char *const *argv, const size_t *lens)
{
    char hdr[64];
    int n = snprintf(hdr, sizeof(hdr), "*%d\r\n", argc);
    if (send_all(c->fd, hdr, (size_t)n) != 0)
        return -1;
    for (int i = 0; i < argc; i++) {
        size_t len = lens ? lens[i] : strlen(argv[i]);
        n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", len);
        if (send_all(c->fd, hdr, (size_t)n) != 0 || send_all(c->fd, argv[i], len) != 0 ||
            send_all(c->fd, "\r\n", 2) != 0)
            return -1;
    }
    return 0;
}

static int fill(struct rconn *c)
{
    if (c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
    if (c->rlen == sizeof(c->buf)) {
        memmove(c->buf, c->buf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    for (;;) {
        ssize_t k = recv(c->fd, c->buf + c->rlen, sizeof(c->buf) - c->rlen, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c->rlen += (size_t)k;
        return 0;
    }
}

/* A line without its CRLF, into a malloc'ed string. */
static char *read_line(struct rconn *c)
{
    size_t cap = 128, n = 0;
    char *line = malloc(cap);
    for (;;) {
        while (c->rpos < c->rlen) {
            char ch = (char)c->buf[c->rpos++];
            if (ch == '\n') {
                if (n > 0 && line[n - 1] == '\r')
                    n--;
                line[n] = '\0';
                return line;
            }
            if (n + 2 >= cap)
                line = realloc(line, cap *= 2);
            line[n++] = ch;
        }
        if (fill(c) != 0) {
            free(line);
            return NULL;
        }
    }
}

static int read_exact(struct rconn *c, char *dst, size_t n)
{
    while (n > 0) {
        if (c->rpos == c->rlen && fill(c) != 0)
            return -1;
        size_t k = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
        memcpy(dst, c->buf + c->rpos, k);
        c->rpos += k;
        dst += k;
        n -= k;
    }
    return 0;
}

struct resp *rrecv(struct rconn *c)
{
    char *line = read_line(c);
    if (line == NULL || line[0] == '\0') {
        free(line);
        return NULL;
    }
    struct resp *r = calloc(1, sizeof(*r));
    r->type = line[0];
    switch (line[0]) {
    case '+':
    case '-':
        r->len = strlen(line + 1);
        r->str = strdup(line + 1);
        break;
    case ':': r->integer = strtoll(line + 1, NULL, 10); break;
    case '$': {
        long long n = strtoll(line + 1, NULL, 10);
        if (n < 0) {
            r->type = '_';
            break;
        }
        r->len = (size_t)n;
        r->str = malloc(r->len + 3);
        if (read_exact(c, r->str, r->len + 2) != 0) {
            free(line);
            resp_free(r);
            return NULL;
        }
        r->str[r->len] = '\0';
        break;
    }
    case '*': {
        long long n = strtoll(line + 1, NULL, 10);
        if (n < 0) {
            r->type = '_';
            break;
        }
        r->nelem = (size_t)n;
        r->elem = calloc(r->nelem ? r->nelem : 1, sizeof(*r->elem));
        for (size_t i = 0; i < r->nelem; i++) {
            r->elem[i] = rrecv(c);
            if (r->elem[i] == NULL) {
                free(line);
                resp_free(r);
                return NULL;
            }
        }
        break;
    }
    default:
        free(line);
        resp_free(r);
        return NULL;
    }
    free(line);
    return r;
}

void resp_free(struct resp *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nelem; i++)
        resp_free(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

struct resp *rcmd(struct rconn *c, int argc, const char *const *argv, const size_t *lens)
{
    if (rsend(c, argc, argv, lens) != 0)
        return NULL;
    return rrecv(c);
}

struct resp *rcmdf(struct rconn *c, const char *arg0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    return rcmd(c, argc, argv, NULL);
}

/* ---- tool runner -------------------------------------------------------------------------- */

int run_capture(const char *const argv[], char *out, size_t outlen, int timeout_s)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        child_tie_to_parent(parent);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t n = 0;
    double deadline = mono_now() + timeout_s;
    int timed_out = 0;
    for (;;) {
        double left = deadline - mono_now();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        int k = poll(&p, 1, (int)(left * 1000) + 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            continue;
        char tmp[4096];
        ssize_t r = read(pfd[0], tmp, sizeof(tmp));
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r && n + 1 < outlen; i++)
            out[n++] = tmp[i];
    }
    if (outlen > 0)
        out[n < outlen ? n : outlen - 1] = '\0';
    close(pfd[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    if (timed_out || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}
