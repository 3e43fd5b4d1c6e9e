/*
 * agent.c - the control loop (see agent.h).
 */
#include "agent.h"

#include "config.h"
#include "files.h"
#include "info.h"
#include "resp.h"
#include "schedule.h"
#include "state.h"
#include "telemetry.h"

#include "../dataplane/core/log.h"
#include "rdb/rdb_buf.h"
#include "rdb/rdb_enc.h"
#include "rdb/rdb_file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NEXT_CHUNKS "64"  /* chunks asked for per CTL.SNAPSHOT.NEXT */
#define REFRESH_MS  1000  /* INFO persistence, CONFIG GET save/dir/dbfilename */
#define STALL_MS    60000 /* a snapshot that delivers nothing for this long is abandoned */

struct agent {
    const struct ctl_config *cfg;
    struct resp_conn link;
    struct sched sched;
    int follow_save;  /* cfg->save is "-": use the data plane's rules */
    int64_t last_try; /* Unix seconds of the last snapshot attempt */
    int last_try_ok;
    int shutdown_done;    /* "shutdown" handled on this attachment */
    char shut_run_id[48]; /* the instance we let exit: not attached again while it dies */
    int ever_attached;
    long long next_refresh;
    long long next_poll;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define LOCKED(stmt)                                                                               \
    do {                                                                                           \
        pthread_mutex_lock(&ctl_state.mu);                                                         \
        stmt;                                                                                      \
        pthread_mutex_unlock(&ctl_state.mu);                                                       \
    } while (0)

static void detach(struct agent *a, const char *why)
{
    int was;

    resp_close(&a->link);
    pthread_mutex_lock(&ctl_state.mu);
    was = ctl_state.v.attached;
    ctl_state.v.attached = 0;
    pthread_mutex_unlock(&ctl_state.mu);
    if (was)
        log_warn("detached from the data plane: %s", why);
}

/* Run a command; on a transport error detach. Returns 0 with *@out set (maybe RV_ERROR). */
static int cmd(struct agent *a, struct rv **out, int argc, const char *const *argv)
{
    int rc = resp_command(&a->link, out, argc, argv);
    if (rc) {
        char why[128];
        snprintf(why, sizeof(why), "%s: %s", argv[0], strerror(-rc));
        detach(a, why);
    }
    return rc;
}

#define CMD(a, out, ...)                                                                           \
    cmd((a), (out), (int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)),         \
        (const char *[]){ __VA_ARGS__ })

/* A string reply's text, or NULL. */
static const char *rv_text(const struct rv *v)
{
    return v && (v->type == RV_BULK || v->type == RV_STATUS) ? v->str : NULL;
}

/* CONFIG GET @name -> @out. 0 or -1. */
static int config_get(struct agent *a, const char *name, char *out, size_t outlen)
{
    struct rv *r;
    const char *s;
    int rc = -1;

    if (CMD(a, &r, "CONFIG", "GET", name))
        return -1;
    s = rv_text(rv_map_get(r, name));
    if (s) {
        snprintf(out, outlen, "%s", s);
        rc = 0;
    }
    rv_free(r);
    return rc;
}

/* Resolve the data plane's (possibly relative) dir against its working directory. */
static void resolve_dir(long pid, const char *dir, char *out, size_t outlen)
{
    char cwd[PATH_MAX], link[64];
    ssize_t n;

    if (dir[0] == '/' || pid <= 0) {
        snprintf(out, outlen, "%s", dir);
        return;
    }
    snprintf(link, sizeof(link), "/proc/%ld/cwd", pid);
    n = readlink(link, cwd, sizeof(cwd) - 1);
    if (n <= 0) {
        snprintf(out, outlen, "%s", dir);
        return;
    }
    cwd[n] = '\0';
    if (!strcmp(dir, ".") || !strcmp(dir, "./") || !dir[0])
        snprintf(out, outlen, "%s", cwd);
    else if (snprintf(out, outlen, "%s/%s", cwd, dir[0] == '.' && dir[1] == '/' ? dir + 2 : dir) >=
             (int)outlen)
        snprintf(out, outlen, "%s", dir); /* too long: as given */
}

/* Where snapshots go: our options, else the data plane's dir/dbfilename (they may change
 * with CONFIG SET). */
static void refresh_paths(struct agent *a)
{
    char dir[4096], name[256], res[4096];
    long pid;

    LOCKED(pid = ctl_state.v.pid);
    if (a->cfg->dir[0])
        snprintf(res, sizeof(res), "%s", a->cfg->dir);
    else if (config_get(a, "dir", dir, sizeof(dir)) == 0)
        resolve_dir(pid, dir, res, sizeof(res));
    else
        return;
    if (a->cfg->dbfilename[0])
        snprintf(name, sizeof(name), "%s", a->cfg->dbfilename);
    else if (config_get(a, "dbfilename", name, sizeof(name)))
        return;
    LOCKED({
        snprintf(ctl_state.v.dir, sizeof(ctl_state.v.dir), "%s", res);
        snprintf(ctl_state.v.dbfilename, sizeof(ctl_state.v.dbfilename), "%s", name);
    });
}

/* DPDK ports and their link state (native stack); the posix stack has none. */
static void refresh_ports(const char *tel_path, int *total, int *up)
{
    struct tel t;
    struct json *doc;
    const struct json *list;

    *total = *up = 0;
    if (!tel_path[0])
        return;
    tel_init(&t);
    if (tel_connect(&t, tel_path, 1000))
        return;
    list = tel_query(&t, "/ethdev/list", &doc);
    if (list && list->type == JSON_ARR) {
        for (size_t i = 0; i < list->n; i++) {
            char q[64];
            struct json *d2;
            const struct json *ls, *st;
            snprintf(q, sizeof(q), "/ethdev/link_status,%llu",
                     (unsigned long long)json_u64(&list->kids[i]));
            ls = tel_query(&t, q, &d2);
            st = json_get(ls, "status");
            (*total)++;
            if (st && st->type == JSON_STR && !strcmp(st->str, "UP"))
                (*up)++;
            json_free(d2);
        }
    }
    json_free(doc);
    tel_close(&t);
}

/* INFO persistence, the save rules, paths and ports. */
static void refresh(struct agent *a)
{
    struct rv *r;
    char rules[256], tel_path[108];
    int total, up;

    if (CMD(a, &r, "INFO", "persistence"))
        return;
    if (r->type == RV_BULK) {
        int64_t dirty = info_ll(r->str, "rdb_changes_since_last_save", 0);
        int64_t lastsave = info_ll(r->str, "rdb_last_save_time", 0);
        int loading = (int)info_ll(r->str, "loading", 0);
        LOCKED({
            ctl_state.v.dirty = dirty;
            ctl_state.v.lastsave = lastsave;
            ctl_state.v.loading = loading;
        });
    }
    rv_free(r);
    if (a->follow_save && config_get(a, "save", rules, sizeof(rules)) == 0) {
        char err[256];
        long long interval = a->sched.interval;
        if (sched_parse_save(&a->sched, rules, err, sizeof(err)) == 0)
            LOCKED(snprintf(ctl_state.v.save_rules, sizeof(ctl_state.v.save_rules), "%s", rules));
        a->sched.interval = interval;
    }
    if (!resp_connected(&a->link))
        return;
    refresh_paths(a);
    LOCKED(snprintf(tel_path, sizeof(tel_path), "%s", ctl_state.v.telemetry_path));
    refresh_ports(tel_path, &total, &up);
    LOCKED({
        ctl_state.v.ports_total = total;
        ctl_state.v.ports_up = up;
    });
}

/* The data plane's control socket: --socket, or the default of --port. */
static void socket_path(const struct agent *a, char *out, size_t len)
{
    if (a->cfg->socket[0])
        snprintf(out, len, "%s", a->cfg->socket);
    else
        snprintf(out, len, "/var/run/dpcache/%lld.sock", a->cfg->port);
}

static int attach(struct agent *a)
{
    char path[108], tel_default[256], tel_path[108] = "", prefix[64];
    struct rv *r = NULL;
    const struct rv *f;
    int rc;

    socket_path(a, path, sizeof(path));
    rc = resp_connect_unix(&a->link, path, (int)a->cfg->io_timeout_ms);
    if (rc)
        return rc;
    if (CMD(a, &r, "CTL.HELLO"))
        return -EPROTO;
    if (r->type == RV_ERROR && r->str && strncmp(r->str, "ATTACHED ", 9) == 0) {
        /* another control plane owns this data plane (dataplane/engine/ctl.h) */
        log_fatal("the data plane at %s refused this dpcache-control: %s", path, r->str + 9);
        rv_free(r);
        resp_close(&a->link);
        return -EBUSY;
    }
    if (r->type != RV_ARRAY) {
        log_warn("%s: CTL.HELLO answered %s: is this a dpcache control socket?", path,
                 r->type == RV_ERROR ? r->str : "something else");
        rv_free(r);
        resp_close(&a->link);
        return -EPROTO;
    }
    f = rv_map_get(r, "run_id");
    if (a->shut_run_id[0] && rv_text(f) && strcmp(rv_text(f), a->shut_run_id) == 0) {
        /* the instance we sent CTL.SHUTDOWN is still exiting */
        rv_free(r);
        resp_close(&a->link);
        return -ESHUTDOWN;
    }
    pthread_mutex_lock(&ctl_state.mu);
    {
        struct ctl_view *v = &ctl_state.v;
        v->pid = (f = rv_map_get(r, "pid")) && f->type == RV_INT ? (long)f->i : 0;
        v->port = (f = rv_map_get(r, "port")) && f->type == RV_INT ? (long)f->i : 0;
        v->workers = (f = rv_map_get(r, "workers")) && f->type == RV_INT ? (int)f->i : 0;
        snprintf(v->run_id, sizeof(v->run_id), "%s", rv_text(rv_map_get(r, "run_id")) ?: "");
        snprintf(v->version, sizeof(v->version), "%s", rv_text(rv_map_get(r, "version")) ?: "");
        snprintf(v->stack, sizeof(v->stack), "%s", rv_text(rv_map_get(r, "stack")) ?: "");
        snprintf(v->socket_path, sizeof(v->socket_path), "%s", path);
        if (!a->follow_save)
            snprintf(v->save_rules, sizeof(v->save_rules), "%s", a->cfg->save);
    }
    pthread_mutex_unlock(&ctl_state.mu);
    /* the telemetry socket: configured, or dpcache<port>'s, or found by run_id */
    {
        char run_id[48];
        long port;
        LOCKED({
            snprintf(run_id, sizeof(run_id), "%s", ctl_state.v.run_id);
            port = ctl_state.v.port;
        });
        snprintf(prefix, sizeof(prefix), "dpcache%ld", port);
        tel_default_path(prefix, tel_default, sizeof(tel_default));
        if (a->cfg->telemetry[0])
            snprintf(tel_path, sizeof(tel_path), "%s", a->cfg->telemetry);
        else if (tel_find(tel_default, run_id, tel_path, sizeof(tel_path)))
            tel_path[0] = '\0';
        if (!tel_path[0])
            log_warn("no DPDK telemetry socket found for the data plane (run_id %s): per-core "
                     "and per-port metrics are missing; set telemetry-socket",
                     run_id);
    }
    LOCKED({
        snprintf(ctl_state.v.telemetry_path, sizeof(ctl_state.v.telemetry_path), "%s", tel_path);
        ctl_state.v.attached = 1;
        ctl_state.v.attached_since = wall_ms() / 1000;
        if (a->ever_attached)
            ctl_state.v.reconnects++;
    });
    a->ever_attached = 1;
    a->shutdown_done = 0;
    a->shut_run_id[0] = '\0';
    rv_free(r);
    {
        struct ctl_view v;
        state_copy(&v);
        log_notice("attached to dpcache %s (pid %ld, port %ld, %d workers, %s stack) on %s%s%s",
                   v.version, v.pid, v.port, v.workers, v.stack, path,
                   tel_path[0] ? ", telemetry " : "", tel_path);
    }
    /* a snapshot left running by a control plane that died: abandon it */
    if (CMD(a, &r, "INFO", "persistence"))
        return -EPROTO;
    if (r->type == RV_BULK && info_ll(r->str, "rdb_bgsave_in_progress", 0) == 1) {
        struct rv *r2;
        log_notice("the data plane has a snapshot in progress from a previous dpcache-control: "
                   "aborting it");
        if (CMD(a, &r2, "CTL.SNAPSHOT.ABORT") == 0)
            rv_free(r2);
        if (CMD(a, &r2, "CTL.SNAPSHOT.DONE", "err", "0", "0") == 0)
            rv_free(r2);
    }
    rv_free(r);
    if (!resp_connected(&a->link))
        return -EPROTO;
    refresh(a);
    return resp_connected(&a->link) ? 0 : -EPROTO;
}

/* Write the RDB header and aux fields. */
static int write_header(struct rdb_file_writer *w, long long used_mem, long long id)
{
    struct rdb_buf b;
    int rc;

    rdb_buf_init(&b);
    rc = rdb_enc_header(&b, RDB_VERSION_WRITE);
    rc = rc ?: rdb_enc_aux(&b, "redis-ver", "7.0.15");
    rc = rc ?: rdb_enc_aux_int(&b, "redis-bits", 64);
    rc = rc ?: rdb_enc_aux_int(&b, "ctime", (long long)time(NULL));
    rc = rc ?: rdb_enc_aux_int(&b, "used-mem", used_mem);
    rc = rc ?: rdb_enc_aux(&b, "dpcache-ver", DPCACHE_VERSION);
    rc = rc ?: rdb_enc_aux_int(&b, "dpcache-snapshot-id", id);
    rc = rc ?: rdb_enc_aux_int(&b, "aof-base", 0);
    if (!rc)
        rc = rdb_file_writer_write(w, b.data, b.len);
    rdb_buf_free(&b);
    return rc;
}

/* Finish a snapshot attempt: publish the result and tell the data plane. */
static void finish(struct agent *a, int ok, const char *err, int64_t t0_ms, uint64_t bytes,
                   const char *path)
{
    int64_t now = wall_ms();
    double secs = (double)(now - t0_ms) / 1000.0;
    char ts[32], ds[32];
    struct rv *r;

    if (resp_connected(&a->link)) {
        snprintf(ts, sizeof(ts), "%lld", (long long)(now / 1000));
        snprintf(ds, sizeof(ds), "%lld", (long long)(secs + 0.5));
        if (CMD(a, &r, "CTL.SNAPSHOT.DONE", ok ? "ok" : "err", ts, ds) == 0)
            rv_free(r);
    }
    a->last_try = now / 1000;
    a->last_try_ok = ok;
    pthread_mutex_lock(&ctl_state.mu);
    {
        struct ctl_view *v = &ctl_state.v;
        v->snap_running = 0;
        v->last_ok = ok;
        v->last_finished = now / 1000;
        v->last_duration = secs;
        if (ok) {
            v->snaps_ok++;
            v->last_ok_time = now / 1000;
            v->last_bytes = bytes;
            v->last_error[0] = '\0';
            snprintf(v->last_path, sizeof(v->last_path), "%s", path);
        } else {
            v->snaps_failed++;
            snprintf(v->last_error, sizeof(v->last_error), "%s", err);
        }
        ctl_state.done_gen = ctl_state.serving_gen;
        pthread_cond_broadcast(&ctl_state.cv);
    }
    pthread_mutex_unlock(&ctl_state.mu);
    if (ok)
        log_notice("snapshot written: %s (%llu bytes, %.3f s)", path, (unsigned long long)bytes,
                   secs);
    else
        log_warn("snapshot failed: %s", err);
}

/* Take one snapshot. Returns 0 on success. */
static int snapshot(struct agent *a, const char *reason)
{
    struct rdb_file_writer *w = NULL;
    struct rv *r = NULL;
    char dir[4096], name[256], err[768] = "", path[4400];
    long long id = 0, used_mem = 0, last_data;
    int64_t t0 = wall_ms();
    uint64_t bytes = 0, chunks = 0;
    int rc, backoff = 100;

    refresh_paths(a);
    pthread_mutex_lock(&ctl_state.mu);
    ctl_state.serving_gen = ctl_state.req_gen;
    snprintf(dir, sizeof(dir), "%s", ctl_state.v.dir);
    snprintf(name, sizeof(name), "%s", ctl_state.v.dbfilename);
    ctl_state.v.snap_running = 1;
    ctl_state.v.snap_seq++;
    ctl_state.v.snap_started_ms = t0;
    ctl_state.v.snap_bytes = ctl_state.v.snap_chunks = 0;
    snprintf(ctl_state.v.snap_reason, sizeof(ctl_state.v.snap_reason), "%s", reason);
    pthread_mutex_unlock(&ctl_state.mu);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    log_notice("snapshot (%s) to %s", reason, path);

    if (!resp_connected(&a->link)) {
        finish(a, 0, "the data plane is not attached", t0, 0, path);
        return -1;
    }
    if (!dir[0] || !name[0]) {
        finish(a, 0, "no snapshot directory or file name", t0, 0, path);
        return -1;
    }
    snap_clean_temps(dir, name);
    if (CMD(a, &r, "INFO", "memory") == 0) {
        if (r->type == RV_BULK)
            used_mem = info_ll(r->str, "used_memory", 0);
        rv_free(r);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (CMD(a, &r, "CTL.SNAPSHOT.BEGIN")) {
            finish(a, 0, "the data plane went away", t0, 0, path);
            return -1;
        }
        if (r->type == RV_INT)
            break;
        snprintf(err, sizeof(err), "CTL.SNAPSHOT.BEGIN: %s", r->str ? r->str : "bad reply");
        rv_free(r);
        r = NULL;
        if (attempt == 0) { /* one left running (e.g. by a killed dpcache-control) */
            struct rv *r2;
            if (CMD(a, &r2, "CTL.SNAPSHOT.ABORT") == 0)
                rv_free(r2);
        }
    }
    if (!r) {
        finish(a, 0, err, t0, 0, path);
        return -1;
    }
    id = r->i;
    rv_free(r);
    rc = rdb_file_writer_open(&w, dir, name, err, sizeof(err));
    if (rc == 0 && (rc = write_header(w, used_mem, id)) != 0)
        snprintf(err, sizeof(err), "%s", rdb_file_writer_error(w));
    last_data = mono_ms();
    while (rc == 0) {
        int done;
        size_t n;
        if (ctl_state.stop) {
            snprintf(err, sizeof(err), "dpcache-control is stopping");
            rc = -ECANCELED;
            break;
        }
        if (CMD(a, &r, "CTL.SNAPSHOT.NEXT", NEXT_CHUNKS)) {
            snprintf(err, sizeof(err), "the data plane went away during the snapshot");
            rc = -ECONNRESET;
            break;
        }
        if (r->type != RV_ARRAY || r->n < 1 || r->elem[0].type != RV_INT) {
            snprintf(err, sizeof(err), "CTL.SNAPSHOT.NEXT: %s",
                     r->type == RV_ERROR ? r->str : "unexpected reply");
            rv_free(r);
            rc = -EPROTO;
            break;
        }
        done = r->elem[0].i == 1;
        n = r->n - 1;
        for (size_t i = 1; i < r->n && rc == 0; i++) {
            if (r->elem[i].type != RV_BULK) {
                snprintf(err, sizeof(err), "CTL.SNAPSHOT.NEXT: a chunk is not a bulk string");
                rc = -EPROTO;
                break;
            }
            rc = rdb_file_writer_write(w, r->elem[i].str, r->elem[i].len);
            if (rc)
                snprintf(err, sizeof(err), "%s", rdb_file_writer_error(w));
            bytes += r->elem[i].len;
            chunks++;
        }
        rv_free(r);
        LOCKED({
            ctl_state.v.snap_bytes = bytes;
            ctl_state.v.snap_chunks = chunks;
        });
        if (rc || done)
            break;
        if (n) {
            last_data = mono_ms();
            backoff = 100;
            continue;
        }
        if (mono_ms() - last_data > STALL_MS) {
            snprintf(err, sizeof(err), "the data plane delivered nothing for %d s",
                     STALL_MS / 1000);
            rc = -ETIMEDOUT;
            break;
        }
        usleep((useconds_t)backoff);
        if (backoff < 5000)
            backoff *= 2;
    }
    if (rc == 0) {
        char rerr[512] = "";
        /* shift the older generations first: <name> itself is only ever replaced atomically */
        rc = snap_rotate(dir, name, (int)a->cfg->keep, rerr, sizeof(rerr));
        if (rc)
            snprintf(err, sizeof(err), "rotating snapshots: %s", rerr);
    }
    if (rc == 0) {
        rc = rdb_file_writer_finish(w);
        if (rc)
            snprintf(err, sizeof(err), "%s", rdb_file_writer_error(w));
        else
            bytes = rdb_file_writer_bytes(w);
    }
    rdb_file_writer_destroy(&w);
    if (rc && resp_connected(&a->link)) {
        struct rv *r2;
        if (CMD(a, &r2, "CTL.SNAPSHOT.ABORT") == 0)
            rv_free(r2);
    }
    finish(a, rc == 0, err, t0, bytes, path);
    return rc;
}

/* CTL.POLL: the data plane's pending requests. */
static void poll_requests(struct agent *a, int *want_snapshot, int *want_shutdown)
{
    struct rv *r;

    if (CMD(a, &r, "CTL.POLL"))
        return;
    if (r->type == RV_ARRAY)
        for (size_t i = 0; i < r->n; i++) {
            const char *s = rv_text(&r->elem[i]);
            if (!s)
                continue;
            if (!strcmp(s, "bgsave") || !strcmp(s, "save"))
                *want_snapshot = 1;
            else if (!strcmp(s, "shutdown"))
                *want_shutdown = 1;
        }
    rv_free(r);
}

/* The data plane is shutting down (or we were asked to shut it down). */
static void do_shutdown(struct agent *a, const char *why)
{
    struct rv *r;

    a->shutdown_done = 1;
    if (a->cfg->shutdown_snapshot) {
        log_notice("%s: taking the final snapshot", why);
        if (snapshot(a, "shutdown") != 0 && resp_connected(&a->link) &&
            snapshot(a, "shutdown") != 0) {
            log_warn("the final snapshot failed: the data plane exits at its own deadline");
            return;
        }
    }
    if (!resp_connected(&a->link))
        return;
    log_notice("%s: letting the data plane exit (CTL.SHUTDOWN)", why);
    LOCKED(snprintf(a->shut_run_id, sizeof(a->shut_run_id), "%s", ctl_state.v.run_id));
    if (CMD(a, &r, "CTL.SHUTDOWN") == 0)
        rv_free(r);
    detach(a, "shut down");
}

/* Sleep up to @ms, waking early for requests from the HTTP API. */
static void nap(long long ms)
{
    struct timespec dl;

    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ctl_state.mu);
    if (ctl_state.req_gen == ctl_state.done_gen && !ctl_state.req_shutdown && !ctl_state.stop)
        pthread_cond_timedwait(&ctl_state.cv, &ctl_state.mu, &dl);
    pthread_mutex_unlock(&ctl_state.mu);
}

/* Answer pending API snapshot requests with a failure (not attached). */
static void fail_requests(const char *why)
{
    pthread_mutex_lock(&ctl_state.mu);
    if (ctl_state.req_gen != ctl_state.done_gen) {
        ctl_state.v.last_ok = 0;
        ctl_state.v.snaps_failed++;
        snprintf(ctl_state.v.last_error, sizeof(ctl_state.v.last_error), "%s", why);
        ctl_state.done_gen = ctl_state.req_gen;
        pthread_cond_broadcast(&ctl_state.cv);
    }
    ctl_state.req_shutdown = 0;
    pthread_mutex_unlock(&ctl_state.mu);
}

int agent_run(const struct ctl_config *cfg)
{
    struct agent a;
    char err[256];

    memset(&a, 0, sizeof(a));
    a.cfg = cfg;
    a.last_try_ok = 1;
    resp_init(&a.link);
    a.follow_save = strcmp(cfg->save, "-") == 0;
    if (!a.follow_save && sched_parse_save(&a.sched, cfg->save, err, sizeof(err)))
        log_warn("%s: no save rules", err);
    a.sched.interval = cfg->snapshot_interval;

    if (!cfg->dataplane) { /* a front node: nothing to attach to; wait for SIGTERM/SIGINT */
        log_notice("no data plane (dataplane no): serving the front and HTTP only");
        while (!ctl_state.stop) {
            fail_requests("no data plane (dataplane no)");
            nap(1000);
        }
        return 0;
    }
    while (!ctl_state.stop) {
        int want_snapshot = 0, want_shutdown = 0, api_shutdown;
        long long now = mono_ms();
        const char *why = NULL;

        if (!resp_connected(&a.link)) {
            int rc = attach(&a);
            if (rc == -EBUSY)
                return 1; /* one control plane per data plane: said, and stop */
            if (rc) {
                static int last_rc;
                char path[108];
                socket_path(&a, path, sizeof(path));
                if (rc != last_rc)
                    log_notice("waiting for the data plane on %s (%s): %s", path,
                               rc == -ESHUTDOWN ? "the one we let exit is still going"
                                                : strerror(-rc),
                               a.cfg->socket[0] ? "is a dpcache running with this "
                                                  "--control-socket?"
                                                : "is a dpcache running with this --port? "
                                                  "(--port or --socket selects another)");
                last_rc = rc;
                fail_requests("the data plane is not attached");
                nap(cfg->reconnect_ms);
                continue;
            }
            a.next_refresh = now + REFRESH_MS;
            a.next_poll = now;
        }
        if (now >= a.next_poll) {
            poll_requests(&a, &want_snapshot, &want_shutdown);
            a.next_poll = now + cfg->poll_ms;
        }
        if (now >= a.next_refresh && resp_connected(&a.link)) {
            refresh(&a);
            a.next_refresh = now + REFRESH_MS;
        }
        if (!resp_connected(&a.link))
            continue;
        pthread_mutex_lock(&ctl_state.mu);
        api_shutdown = ctl_state.req_shutdown;
        ctl_state.req_shutdown = 0;
        if (ctl_state.req_gen != ctl_state.done_gen)
            why = "requested";
        pthread_mutex_unlock(&ctl_state.mu);
        if ((want_shutdown && !a.shutdown_done) || api_shutdown) {
            do_shutdown(&a, api_shutdown ? "shutdown requested through the API"
                                         : "the data plane is shutting down");
            continue;
        }
        if (!why && want_snapshot)
            why = "bgsave";
        if (!why) {
            struct sched_input in;
            LOCKED({
                in.dirty = ctl_state.v.dirty;
                in.lastsave = ctl_state.v.lastsave;
            });
            in.now = wall_ms() / 1000;
            in.last_try = a.last_try;
            in.last_ok = a.last_try_ok;
            why = sched_due(&a.sched, &in);
        }
        if (why) {
            snapshot(&a, why);
            a.next_refresh = 0; /* refresh lastsave/dirty before judging the rules again */
            continue;
        }
        nap(cfg->poll_ms);
    }
    resp_close(&a.link);
    return 0;
}
