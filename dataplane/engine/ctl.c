/*
 * ctl.c - the control thread and its Unix socket (see ctl.h).
 */
#include "ctl.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../resp/compose.h"
#include "../resp/parse.h"
#include "claim.h"
#include "client.h"
#include "cmd.h"
#include "server.h"
#include "snapshot.h"
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_lcore.h>

#define CTL_CONNS_MAX   16
#define CTL_CHUNKS_MAX  64
#define CTL_READ        65536
#define CTL_CONFIG_ARGS_MAX 66 /* CTL.CONFIG.SET: "config set" and 32 name/value pairs */

struct ctl_conn {
    int fd;
    int refused;    /* another process is attached: told so, closed when it speaks or leaves */
    int detached;   /* its peer left and it no longer counts (reap_owner): only to be freed */
    int snap_owner; /* began the running snapshot: it is abandoned if this connection goes */
    struct ibuf in;
    struct resp_parser ps;
    struct obuf out;
};

static pthread_t thread;
static int running;
static int lfd = -1, efd = -1;
static char path[108];
static long owner_pid;    /* the attached control plane's process (SO_PEERCRED), 0: none */
static int owner_conns;   /* its open connections, in owned[] */
static struct ctl_conn *owned[CTL_CONNS_MAX];
static int refused_open;  /* refused connections not yet closed */
static struct worker *cw; /* the control thread's context for INFO/CONFIG (owns no partition) */

const char *ctl_socket_path(void)
{
    return path;
}

void ctl_resolve_path(char *out, size_t len)
{
    const char *p = srv.cfg.control_socket;

    if (p && p[0]) {
        snprintf(out, len, "%s", p);
    } else {
        mkdir("/var/run/dpcache", 0755);
        snprintf(out, len, "/var/run/dpcache/%lld.sock", srv.cfg.port);
    }
}

/* Commands a control connection may run as on a client port (no keys, no plans). */
static int allowed(const struct cmd_def *d)
{
    switch (d->id) {
    case CMDID_PING:
    case CMDID_INFO:
    case CMDID_CONFIG:
    case CMDID_DBSIZE:
    case CMDID_TIME:
    case CMDID_LASTSAVE:
    case CMDID_COMMAND:
    case CMDID_ECHO: return 1;
    default: return 0;
    }
}

/* Poll iterations a worker has completed (counted after its snapshot_poll). */
static uint64_t iterations(const struct worker *w)
{
    return stat_get(w, busy_polls) + stat_get(w, idle_polls);
}

/*
 * abort_settled: stop the running snapshot and wait until every worker has noticed. A worker
 * in the middle of its walk may still push a chunk or two after snapshot_abort() drained the
 * rings; left there, those records of the abandoned snapshot would be read as the start of
 * the next one (duplicate keys). A worker that has completed two more poll iterations has run
 * snapshot_poll() after the abort, stopped, and pushes no more, so a second drain leaves the
 * rings empty. Workers are kicked out of epoll_wait; this takes microseconds and gives up
 * after a second.
 */
static void abort_settled(void)
{
    uint64_t it0[MAX_WORKERS];

    snapshot_abort();
    for (int i = 0; i < srv.nworkers; i++) {
        it0[i] = iterations(srv.workers[i]);
        worker_kick(srv.workers[i]);
    }
    for (int spin = 0; spin < 10000; spin++) {
        int behind = 0;
        for (int i = 0; i < srv.nworkers; i++)
            if (iterations(srv.workers[i]) < it0[i] + 2) {
                behind = 1;
                if (spin % 50 == 49)
                    worker_kick(srv.workers[i]);
            }
        if (!behind)
            break;
        usleep(100);
    }
    snapshot_abort();
}

static void ctl_hello(struct obuf *ob)
{
    rsp_map(ob, 9, 2);
    rsp_bulk_cstr(ob, "version");
    rsp_bulk_cstr(ob, DPCACHE_VERSION);
    rsp_bulk_cstr(ob, "pid");
    rsp_int(ob, (long long)getpid());
    rsp_bulk_cstr(ob, "port");
    rsp_int(ob, srv.cfg.port);
    rsp_bulk_cstr(ob, "workers");
    rsp_int(ob, srv.nworkers);
    rsp_bulk_cstr(ob, "run_id");
    rsp_bulk_cstr(ob, srv.run_id);
    rsp_bulk_cstr(ob, "dir");
    rsp_bulk_cstr(ob, srv.cfg.dir);
    rsp_bulk_cstr(ob, "dbfilename");
    rsp_bulk_cstr(ob, srv.cfg.dbfilename);
    rsp_bulk_cstr(ob, "stack");
    rsp_bulk_cstr(ob, opt_stack_names[srv.cfg.stack]);
    rsp_bulk_cstr(ob, "save");
    {
        char buf[512];
        config_format(&srv.cfg, config_find("save"), buf, sizeof(buf));
        rsp_bulk_cstr(ob, buf);
    }
}

/* CTL.CONFIG.SET <name> <value> ...: CONFIG SET for the admin API (PUT /v1/config), which never
 * changes a protected config (docs/operations.md, Security); dpcache-control started with
 * admin-protected-configs yes sends CONFIG SET instead. */
static void ctl_config_set(struct ctl_conn *cc, int argc, const struct rstr *argv)
{
    struct rstr args[CTL_CONFIG_ARGS_MAX];
    struct ctx x;

    if (argc < 3 || argc % 2 == 0 || argc - 1 + 2 > CTL_CONFIG_ARGS_MAX) {
        rsp_errorf(&cc->out,
                   "ERR usage: CTL.CONFIG.SET <name> <value> [<name> <value> ...] "
                   "(at most %d pairs)",
                   (CTL_CONFIG_ARGS_MAX - 2) / 2);
        return;
    }
    args[0] = (struct rstr){ "config", 6 };
    args[1] = (struct rstr){ "set", 3 };
    memcpy(args + 2, argv + 1, sizeof(*argv) * (size_t)(argc - 1));
    memset(&x, 0, sizeof(x));
    worker_begin_iteration(cw);
    x.w = cw;
    x.cmd = &cmd_defs[CMDID_CONFIG_SET];
    x.argc = argc + 1;
    x.argv = args;
    x.out = &cc->out;
    x.proto = 2;
    x.now = cw->now_ms;
    x.ctl = 1;
    cmd_config_set(&x, 0);
}

static void ctl_command(struct ctl_conn *cc, int argc, const struct rstr *argv)
{
    struct obuf *ob = &cc->out;
    struct persist_state *ps = &srv.persist;

    if (arg_is(&argv[0], "ctl.hello")) {
        ctl_hello(ob);
    } else if (arg_is(&argv[0], "ctl.poll")) {
        int bg = __atomic_exchange_n(&ps->bgsave_requested, 0, __ATOMIC_ACQ_REL);
        int sd = __atomic_load_n(&ps->shutdown_requested, __ATOMIC_ACQUIRE);
        rsp_array(ob, bg + sd);
        if (bg)
            rsp_bulk_cstr(ob, "bgsave");
        if (sd)
            rsp_bulk_cstr(ob, "shutdown");
    } else if (arg_is(&argv[0], "ctl.snapshot.begin")) {
        long long id = snapshot_request();
        if (id < 0) {
            rsp_error(ob, "ERR a snapshot is already running");
        } else {
            __atomic_store_n(&ps->bgsave_in_progress, 1, __ATOMIC_RELEASE);
            ps->dirty_at_save = srv_dirty();
            cc->snap_owner = 1;
            rsp_int(ob, id);
        }
    } else if (arg_is(&argv[0], "ctl.snapshot.next")) {
        struct snap_chunk *ch[CTL_CHUNKS_MAX];
        long long max = 16;
        int done = 0, n;
        if (argc > 1 && (!string2ll(argv[1].p, argv[1].len, &max) || max < 1))
            max = 16;
        if (max > CTL_CHUNKS_MAX)
            max = CTL_CHUNKS_MAX;
        if (!snapshot_running()) {
            rsp_error(ob, "ERR no snapshot is running");
            return;
        }
        n = snapshot_next(ch, (int)max, &done);
        rsp_array(ob, n + 1);
        rsp_int(ob, done);
        for (int i = 0; i < n; i++) {
            rsp_bulk(ob, ch[i]->data, ch[i]->len);
            snapshot_chunk_free(ch[i]);
        }
    } else if (arg_is(&argv[0], "ctl.snapshot.abort")) {
        abort_settled();
        cc->snap_owner = 0;
        rsp_ok(ob);
    } else if (arg_is(&argv[0], "ctl.snapshot.done") && argc == 4) {
        long long t, secs;
        int ok = arg_is(&argv[1], "ok");
        if (!string2ll(argv[2].p, argv[2].len, &t) || !string2ll(argv[3].p, argv[3].len, &secs)) {
            rsp_error(ob, "ERR usage: CTL.SNAPSHOT.DONE ok|err <unix-time> <seconds>");
            return;
        }
        if (snapshot_running())
            abort_settled();
        cc->snap_owner = 0;
        ps->last_status_ok = ok;
        if (ok) {
            struct snapshot_progress pr;
            snapshot_progress(&pr);
            ps->lastsave = (uint64_t)t;
            ps->saves++;
            ps->snapshot_keys = pr.keys;
            ps->last_duration_s = (uint64_t)secs;
        }
        __atomic_store_n(&ps->bgsave_in_progress, 0, __ATOMIC_RELEASE);
        __atomic_add_fetch(&ps->save_seq, 1, __ATOMIC_ACQ_REL);
        rsp_ok(ob);
    } else if (arg_is(&argv[0], "ctl.shutdown")) {
        rsp_ok(ob);
        srv.shutdown = 1;
    } else if (arg_is(&argv[0], "ctl.config.set")) {
        ctl_config_set(cc, argc, argv);
    } else {
        /* by their own names: a rename-command for clients does not concern dpcache-control */
        const struct cmd_def *d = cmd_lookup(argv[0].p, argv[0].len, 1);
        struct ctx x;
        if (!d || !allowed(d)) {
            rsp_errorf(ob, "ERR '%.*s' is not a control command", (int)argv[0].len, argv[0].p);
            return;
        }
        if ((d->arity > 0 && argc != d->arity) || argc < -d->arity) {
            rsp_errorf(ob, "ERR wrong number of arguments for '%s' command", d->name);
            return;
        }
        memset(&x, 0, sizeof(x));
        worker_begin_iteration(cw);
        x.w = cw;
        x.cmd = d;
        x.argc = argc;
        x.argv = argv;
        x.out = ob;
        x.proto = 2;
        x.now = cw->now_ms;
        x.ctl = 1;
        d->fn(&x);
    }
}

static void conn_free(struct ctl_conn *cc)
{
    epoll_ctl(efd, EPOLL_CTL_DEL, cc->fd, NULL);
    close(cc->fd);
    resp_parser_free(&cc->ps);
    obuf_reset(&cc->out);
    free(cc->in.data);
    free(cc);
}

/* The connection no longer counts: its snapshot is abandoned, the owner loses it. */
static void conn_detach(struct ctl_conn *cc)
{
    if (cc->snap_owner) {
        /* dpcache-control went away in the middle of a snapshot: stop it (the workers' rings
         * would stay full) and fail it, so SAVE clients get their error now */
        struct persist_state *ps = &srv.persist;
        if (snapshot_running())
            abort_settled();
        ps->last_status_ok = 0;
        __atomic_store_n(&ps->bgsave_in_progress, 0, __ATOMIC_RELEASE);
        __atomic_add_fetch(&ps->save_seq, 1, __ATOMIC_ACQ_REL);
        log_warn("dpcache-control detached during a snapshot: snapshot abandoned");
    }
    cc->detached = 1;
    for (int i = 0; i < owner_conns; i++)
        if (owned[i] == cc)
            owned[i] = owned[owner_conns - 1];
    __atomic_sub_fetch(&srv.persist.control_attached, 1, __ATOMIC_ACQ_REL);
    if (--owner_conns == 0) {
        log_notice("dpcache-control detached (pid %ld)", owner_pid);
        owner_pid = 0;
    }
}

static void conn_close(struct ctl_conn *cc)
{
    if (cc->refused)
        refused_open--;
    else if (!cc->detached)
        conn_detach(cc);
    conn_free(cc);
}

/* Read, run, write; returns -1 when the connection must go. */
static int conn_io(struct ctl_conn *cc)
{
    if (cc->refused || cc->detached)
        return -1; /* it has read the refusal with its first command's reply, or left */
    for (;;) {
        ssize_t n;
        if (cc->in.cap - cc->in.len < CTL_READ) {
            size_t cap = cc->in.cap ? cc->in.cap * 2 : CTL_READ * 2;
            char *d;
            if (cap > 64 * 1024 * 1024)
                return -1; /* a control command is never that large */
            d = realloc(cc->in.data, cap);
            if (!d)
                return -1;
            cc->in.data = d;
            cc->in.cap = cap;
        }
        n = read(cc->fd, cc->in.data + cc->in.len, cc->in.cap - cc->in.len);
        if (n == 0)
            return -1;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -1;
        }
        cc->in.len += (size_t)n;
    }
    for (;;) {
        int rc = resp_parse(&cc->ps, cc->in.data + cc->in.pos, cc->in.len - cc->in.pos);
        if (rc == RESP_EUNFIN)
            break;
        if (rc != RESP_OK)
            return -1;
        if (cc->ps.argc)
            ctl_command(cc, cc->ps.argc, cc->ps.argv);
        cc->in.pos += cc->ps.cmdlen;
        resp_parser_next(&cc->ps);
    }
    memmove(cc->in.data, cc->in.data + cc->in.pos, cc->in.len - cc->in.pos);
    cc->in.len -= cc->in.pos;
    cc->in.pos = 0;
    /* replies are small except snapshot chunks: write them all (blocking briefly is fine on
     * the control thread) */
    while (obuf_len(&cc->out)) {
        struct iovec iov[64];
        int k = obuf_iov(&cc->out, iov, 64);
        ssize_t w = writev(cc->fd, iov, k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                usleep(100);
                continue;
            }
            return -1;
        }
        obuf_consume(&cc->out, (size_t)w);
    }
    return 0;
}

/* The process at the other end of @fd (SO_PEERCRED), 0 if unknown. */
static long peer_pid(int fd)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 ? (long)cr.pid : 0;
}

/* Detach the owner's connections whose peer has gone (EOF pending): a control plane that just
 * exited must not keep out the one that replaces it because its hangups are still queued.
 * They are freed when their event comes (the current batch may still name them). */
static void reap_owner(void)
{
    for (int i = owner_conns - 1; i >= 0; i--) {
        char b;
        if (i < owner_conns && recv(owned[i]->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
            conn_detach(owned[i]);
    }
}

/*
 * One control plane at a time: connections of the process that attached first are served
 * (dpcache-control opens a few), a connection of any other process while it is attached gets
 * one error line, read as the answer to its first command, and is closed:
 *   -ATTACHED <name> pid <pid> is the control plane of this data plane (one at a time): ...
 */
static void conn_accept(int fd)
{
    struct epoll_event e = { .events = EPOLLIN };
    struct ctl_conn *cc;
    long pid = peer_pid(fd);

    if (owner_conns && pid != owner_pid)
        reap_owner();
    if (__atomic_load_n(&srv.persist.control_attached, __ATOMIC_ACQUIRE) >= CTL_CONNS_MAX ||
        refused_open >= CTL_CONNS_MAX || !(cc = calloc(1, sizeof(*cc)))) {
        close(fd);
        return;
    }
    cc->fd = fd;
    resp_parser_init(&cc->ps);
    obuf_init(&cc->out, NULL);
    e.data.ptr = cc;
    if (owner_conns && pid != owner_pid) {
        char name[40], msg[320];
        int n;
        claim_pid_name(owner_pid, name, sizeof(name));
        n = snprintf(msg, sizeof(msg),
                     "-ATTACHED %spid %ld is the control plane of this data plane (one at a "
                     "time): stop it first, or attach to another data plane (--port, --socket)"
                     "\r\n",
                     name, owner_pid);
        cc->refused = 1;
        refused_open++;
        if (write(fd, msg, (size_t)n) != n) {
            /* it left already */
        }
        log_warn("refused a second control plane (pid %ld): %spid %ld is attached", pid, name,
                 owner_pid);
        epoll_ctl(efd, EPOLL_CTL_ADD, fd, &e);
        return;
    }
    if (!owner_conns) {
        owner_pid = pid;
        log_notice("dpcache-control attached (pid %ld)", pid);
    }
    owned[owner_conns++] = cc;
    epoll_ctl(efd, EPOLL_CTL_ADD, fd, &e);
    __atomic_add_fetch(&srv.persist.control_attached, 1, __ATOMIC_ACQ_REL);
}

static void *ctl_main(void *arg)
{
    struct epoll_event ev[16];

    (void)arg;
    log_set_role('C');
    while (__atomic_load_n(&running, __ATOMIC_ACQUIRE)) {
        int n = epoll_wait(efd, ev, 16, 200);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == NULL) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0)
                    conn_accept(fd);
            } else if (conn_io(ev[i].data.ptr) < 0) {
                conn_close(ev[i].data.ptr);
            }
        }
    }
    return NULL;
}

int ctl_start(void)
{
    struct sockaddr_un sa;
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

    ctl_resolve_path(path, sizeof(path));
    cw = worker_create(MAX_WORKERS - 1, 0, 0);
    if (!cw)
        return -1;
    cw->part = NULL;
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path); /* a socket left by a previous run (claim.h: this process holds the path) */
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
        log_warn("control socket %s: %s (set control-socket)", path, strerror(errno));
        if (lfd >= 0)
            close(lfd);
        lfd = -1;
        return -1;
    }
    chmod(path, 0600);
    efd = epoll_create1(EPOLL_CLOEXEC);
    epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &e);
    running = 1;
    /* a DPDK control thread: it runs on the CPUs no lcore uses (like the telemetry thread),
     * not on the main lcore's, so streaming snapshots and answering INFO never take time
     * from worker 0 */
    if (rte_ctrl_thread_create(&thread, "dpcache-ctl", NULL, ctl_main, NULL)) {
        running = 0;
        return -1;
    }
    return 0;
}

void ctl_stop(void)
{
    if (!running)
        return;
    __atomic_store_n(&running, 0, __ATOMIC_RELEASE);
    pthread_join(thread, NULL);
    close(lfd);
    close(efd);
    unlink(path);
    worker_destroy(cw);
    cw = NULL;
}
