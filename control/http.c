/*
 * http.c - routes of the HTTP server (see http.h).
 */
#include "http.h"

#include "config.h"
#include "ctl_front.h"
#include "files.h"
#include "json.h"
#include "metrics.h"
#include "resp.h"
#include "secret.h"
#include "state.h"

#include "../dataplane/core/log.h"
#include "rdb/rdb_dec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define SNAPSHOT_WAIT_MS (3600 * 1000) /* ?wait=1 gives up after this long (202 then) */

static struct MHD_Daemon *daemon_;
static const struct ctl_config *hcfg;
static char *admin_token;

struct req {
    struct sbuf body;
    int too_big;
    int answered;               /* a response was queued on the first call */
    const char *method;         /* MHD's, valid for the request */
    char arg[CTL_FRONT_ID_MAX]; /* the path segment a '*' of the route matched */
};

typedef enum MHD_Result (*route_fn)(struct MHD_Connection *c, struct req *r);

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, int take)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!resp) {
        if (take)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return reply(c, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg), 0);
}

/* {"error": msg} with @status */
static enum MHD_Result jerror(struct MHD_Connection *c, unsigned status, const char *msg)
{
    struct sbuf b = { 0 };

    sb_put(&b, "{\"error\":", 10);
    sb_put_json(&b, msg);
    sb_put(&b, "}\n", 2);
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return reply(c, status, "application/json", b.p, b.len, 1);
}

static enum MHD_Result jbody(struct MHD_Connection *c, unsigned status, struct sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return jerror(c, 500, "out of memory");
    }
    return reply(c, status, "application/json", b->p, b->len, 1);
}

/* ---- handlers ---- */

static enum MHD_Result h_metrics(struct MHD_Connection *c, struct req *r)
{
    char *page;
    size_t len;

    (void)r;
    if (metrics_render(&page, &len))
        return text(c, 500, "out of memory\n");
    return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", page, len, 1);
}

static enum MHD_Result h_health(struct MHD_Connection *c, struct req *r)
{
    (void)r;
    return text(c, 200, "ok\n");
}

static enum MHD_Result h_ready(struct MHD_Connection *c, struct req *r)
{
    struct ctl_view v;
    char why[256], msg[300];

    (void)r;
    state_copy(&v);
    if (!state_ready(&v, why, sizeof(why))) {
        snprintf(msg, sizeof(msg), "not ready: %s\n", why);
        return text(c, 503, msg);
    }
    return text(c, 200, "ready\n");
}

static enum MHD_Result h_info(struct MHD_Connection *c, struct req *r)
{
    char *page;
    size_t len;

    (void)r;
    if (metrics_info_json(&page, &len))
        return jerror(c, 500, "out of memory");
    return reply(c, 200, "application/json", page, len, 1);
}

static void snapshot_result(struct sbuf *b, const struct ctl_view *v, uint64_t gen)
{
    sb_printf(b, "{\"request\":%llu,\"ok\":%s,\"path\":", (unsigned long long)gen,
              v->last_ok ? "true" : "false");
    sb_put_json(b, v->last_path);
    sb_printf(b, ",\"bytes\":%llu,\"duration_seconds\":%.3f,\"error\":",
              (unsigned long long)v->last_bytes, v->last_duration);
    sb_put_json(b, v->last_error);
    sb_printf(b, "}\n");
}

static enum MHD_Result h_snapshot(struct MHD_Connection *c, struct req *r)
{
    const char *wait = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");
    struct ctl_view v;
    struct sbuf b = { 0 };
    uint64_t gen;

    (void)r;
    state_copy(&v);
    if (!v.attached)
        return jerror(c, 503, "the data plane is not attached");
    gen = state_request_snapshot();
    if (wait && strcmp(wait, "0") != 0) {
        if (state_wait_snapshot(gen, SNAPSHOT_WAIT_MS, &v)) {
            snapshot_result(&b, &v, gen);
            return jbody(c, v.last_ok ? 200 : 500, &b);
        }
    }
    sb_printf(&b, "{\"request\":%llu,\"status\":\"queued\"}\n", (unsigned long long)gen);
    return jbody(c, 202, &b);
}

/* Duplicate-key detection for ?verify=1 (Redis refuses a file with a key twice, and
 * redis-check-rdb does not notice): a set of 64-bit digests of (db, key), open addressing. */
struct keyset {
    uint64_t *slot; /* 0: empty */
    size_t cap, n;
    int dup;
    char dupkey[128];
};

static uint64_t key_digest(uint32_t db, const uint8_t *k, size_t kl)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ db;
    for (size_t i = 0; i < kl; i++)
        h = (h ^ k[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static int keyset_add(struct keyset *ks, uint64_t h)
{
    if ((ks->n + 1) * 2 > ks->cap) {
        size_t nc = ks->cap ? ks->cap * 2 : 1024;
        uint64_t *ns = calloc(nc, sizeof(*ns));
        if (!ns)
            return -ENOMEM;
        for (size_t i = 0; i < ks->cap; i++)
            if (ks->slot[i])
                for (size_t j = ks->slot[i] & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!ns[j]) {
                        ns[j] = ks->slot[i];
                        break;
                    }
        free(ks->slot);
        ks->slot = ns;
        ks->cap = nc;
    }
    for (size_t j = h & (ks->cap - 1);; j = (j + 1) & (ks->cap - 1)) {
        if (ks->slot[j] == h)
            return 1;
        if (!ks->slot[j]) {
            ks->slot[j] = h;
            ks->n++;
            return 0;
        }
    }
}

static int verify_key(void *ud, uint32_t db, const uint8_t *k, size_t kl, unsigned type)
{
    struct keyset *ks = ud;
    int rc = keyset_add(ks, key_digest(db, k, kl));

    (void)type;
    if (rc < 0)
        return rc;
    if (rc == 1 && !ks->dup) {
        ks->dup = 1;
        snprintf(ks->dupkey, sizeof(ks->dupkey), "%.*s", (int)(kl > 100 ? 100 : kl),
                 (const char *)k);
    }
    return 0; /* structure only: values are parsed and skipped */
}

static enum MHD_Result h_snapshots(struct MHD_Connection *c, struct req *r)
{
    const char *verify = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "verify");
    int do_verify = verify && strcmp(verify, "0") != 0;
    struct snap_file *files = calloc(64, sizeof(*files));
    struct ctl_view v;
    struct sbuf b = { 0 };
    int n;

    (void)r;
    if (!files)
        return jerror(c, 500, "out of memory");
    state_copy(&v);
    n = v.dir[0] ? snap_list(v.dir, v.dbfilename, files, 64) : 0;
    sb_printf(&b, "{\"dir\":");
    sb_put_json(&b, v.dir);
    sb_printf(&b, ",\"dbfilename\":");
    sb_put_json(&b, v.dbfilename);
    sb_printf(&b, ",\"running\":%s,\"keep\":%lld,\"snapshots\":[",
              v.snap_running ? "true" : "false", hcfg->keep);
    for (int i = 0; i < n; i++) {
        sb_printf(&b, "%s{\"generation\":%d,\"path\":", i ? "," : "", files[i].generation);
        sb_put_json(&b, files[i].path);
        sb_printf(&b, ",\"size\":%llu,\"mtime\":%lld", (unsigned long long)files[i].size,
                  (long long)files[i].mtime);
        if (do_verify) {
            struct keyset ks = { 0 };
            struct rdb_dec_ops ops = { .want_key = verify_key };
            struct rdb_dec *d = rdb_dec_new(NULL, &ops, &ks);
            int rc = d ? rdb_dec_load_file(d, files[i].path) : -ENOMEM;
            sb_printf(&b, ",\"valid\":%s", rc == 0 && !ks.dup ? "true" : "false");
            if (rc == 0)
                sb_printf(&b, ",\"keys\":%llu", (unsigned long long)rdb_dec_get_stats(d)->filtered);
            if (rc) {
                sb_printf(&b, ",\"error\":");
                sb_put_json(&b, d ? rdb_dec_error(d) : "out of memory");
            } else if (ks.dup) {
                char msg[200];
                snprintf(msg, sizeof(msg), "key \"%s\" appears twice (Redis refuses the file)",
                         ks.dupkey);
                sb_printf(&b, ",\"error\":");
                sb_put_json(&b, msg);
            }
            free(ks.slot);
            rdb_dec_destroy(&d);
        }
        sb_put(&b, "}", 1);
    }
    sb_printf(&b, "]}\n");
    free(files);
    return jbody(c, 200, &b);
}

/* A JSON scalar as a CONFIG SET argument. */
static int scalar(const struct json *j, char *out, size_t len)
{
    switch (j->type) {
    case JSON_STR:
        if (memchr(j->str, '\0', j->len))
            return -1;
        snprintf(out, len, "%s", j->str);
        return 0;
    case JSON_NUM:
        if (j->is_uint)
            snprintf(out, len, "%llu", (unsigned long long)j->u);
        else
            snprintf(out, len, "%.17g", j->num);
        return 0;
    case JSON_BOOL: snprintf(out, len, "%s", j->boolean ? "yes" : "no"); return 0;
    default: return -1;
    }
}

/* CONFIG GET @name on the data plane: its value as CONFIG GET shows it to the control socket
 * (a set secret is "(redacted)", ctl.h) into @out; "" if none. 0 or -1 (@err set). */
static int config_value(const char *name, char *out, size_t len, char *err, size_t errlen)
{
    const char *argv[] = { "CONFIG", "GET", name };
    struct rv *rep;

    out[0] = '\0';
    if (dp_command(3, argv, &rep, err, errlen))
        return -1;
    if (rep->type == RV_ARRAY && rep->n >= 2 && rep->elem[1].type == RV_BULK)
        snprintf(out, len, "%s", rep->elem[1].str);
    rv_free(rep);
    return 0;
}

/* GET /v1/config[?name=<glob>]: CONFIG GET (default "*") as a JSON object. */
static enum MHD_Result config_get(struct MHD_Connection *c)
{
    const char *pat = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    const char *argv[] = { "CONFIG", "GET", pat && *pat ? pat : "*" };
    struct sbuf b = { 0 };
    char err[256];
    struct rv *rep;

    if (dp_command(3, argv, &rep, err, sizeof(err)))
        return jerror(c, 503, err);
    if (rep->type != RV_ARRAY) {
        enum MHD_Result ret = jerror(c, 400, rep->type == RV_ERROR ? rep->str : "bad reply");
        rv_free(rep);
        return ret;
    }
    sb_put(&b, "{", 1);
    for (size_t i = 0; i + 1 < rep->n; i += 2) {
        if (i)
            sb_put(&b, ",", 1);
        sb_put_json(&b, rep->elem[i].str ? rep->elem[i].str : "");
        sb_put(&b, ":", 1);
        sb_put_json(&b, rep->elem[i + 1].str ? rep->elem[i + 1].str : "");
    }
    sb_put(&b, "}\n", 2);
    rv_free(rep);
    return jbody(c, 200, &b);
}

/*
 * PUT /v1/config: CONFIG SET on the data plane, one option after the other. A protected config
 * (dir, dbfilename: where snapshots are written) is refused unless dpcache-control was started
 * with admin-protected-configs yes: CTL.CONFIG.SET refuses them whatever the data plane's
 * enable-protected-configs says; with the option, plain CONFIG SET, which the data plane
 * allows as enable-protected-configs does for a local (Unix socket) client. The answer echoes
 * each option's new value as CONFIG GET shows it (a secret as "(redacted)").
 */
static enum MHD_Result h_config(struct MHD_Connection *c, struct req *r)
{
    char err[256], names[16][128], values[16][4096];
    struct json *doc;
    const struct json *nm, *val;
    struct sbuf b = { 0 };
    int n = 0;

    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) {
        if (r->body.len)
            return jerror(c, 400, "GET takes no request body");
        return config_get(c);
    }
    doc = json_parse(r->body.p ? r->body.p : "", r->body.len, err, sizeof(err));
    if (!doc)
        return jerror(c, 400, err);
    if (doc->type != JSON_OBJ) {
        json_free(doc);
        return jerror(c, 400, "expected a JSON object: {\"name\": ..., \"value\": ...}");
    }
    nm = json_get(doc, "name");
    val = json_get(doc, "value");
    if (nm && val) {
        if (doc->n != 2 || scalar(nm, names[0], sizeof(names[0])) ||
            scalar(val, values[0], sizeof(values[0]))) {
            json_free(doc);
            return jerror(c, 400, "\"name\" and \"value\" must be strings or numbers");
        }
        n = 1;
    } else {
        if (doc->n == 0 || doc->n > 16) {
            json_free(doc);
            return jerror(c, 400, "give 1 to 16 options");
        }
        for (size_t i = 0; i < doc->n; i++, n++) {
            snprintf(names[n], sizeof(names[n]), "%s", doc->keys[i]);
            if (strlen(doc->keys[i]) >= sizeof(names[n]) ||
                scalar(&doc->kids[i], values[n], sizeof(values[n]))) {
                json_free(doc);
                return jerror(c, 400, "option values must be strings, numbers or booleans");
            }
        }
    }
    json_free(doc);
    sb_printf(&b, "{\"ok\":true,\"set\":{");
    for (int i = 0; i < n; i++) {
        const char *set[] = { "CTL.CONFIG.SET", names[i], values[i] };
        const char *set_any[] = { "CONFIG", "SET", names[i], values[i] };
        char now[4096];
        struct rv *rep;
        int rc = hcfg->admin_protected ? dp_command(4, set_any, &rep, err, sizeof(err))
                                       : dp_command(3, set, &rep, err, sizeof(err));
        explicit_bzero(values[i], sizeof(values[i])); /* may be a password */
        if (rc) {
            free(b.p);
            return jerror(c, 503, err);
        }
        if (rep->type == RV_ERROR) {
            char msg[700];
            int prot = strstr(rep->str, "can't set protected config") != NULL;
            snprintf(msg, sizeof(msg), "CONFIG SET %s: %s%s", names[i], rep->str,
                     prot && !hcfg->admin_protected
                         ? " (the admin API changes protected configs only when dpcache-control "
                           "runs with admin-protected-configs yes; docs/operations.md, Security)"
                         : "");
            rv_free(rep);
            free(b.p);
            return jerror(c, 400, msg);
        }
        rv_free(rep);
        if (config_value(names[i], now, sizeof(now), err, sizeof(err))) {
            free(b.p);
            return jerror(c, 503, err);
        }
        if (i)
            sb_put(&b, ",", 1);
        sb_put_json(&b, names[i]);
        sb_put(&b, ":", 1);
        sb_put_json(&b, now);
    }
    sb_printf(&b, "}}\n");
    return jbody(c, 200, &b);
}

static enum MHD_Result h_shutdown(struct MHD_Connection *c, struct req *r)
{
    struct ctl_view v;

    (void)r;
    state_copy(&v);
    if (!v.attached)
        return jerror(c, 503, "the data plane is not attached");
    state_request_shutdown();
    return reply(c, 202, "application/json", "{\"status\":\"shutting down\"}\n", 28, 0);
}

/* ---- front mode (ctl_front.h) ---- */

/* The answer of a ctl_front_* call: @b on 2xx, {"error": @err} otherwise. */
static enum MHD_Result front_answer(struct MHD_Connection *c, int status, struct sbuf *b,
                                    const char *err)
{
    if (status >= 200 && status < 300)
        return jbody(c, (unsigned)status, b);
    free(b->p);
    return jerror(c, (unsigned)status, err);
}

static enum MHD_Result h_front_backends(struct MHD_Connection *c, struct req *r)
{
    struct sbuf b = { 0 };
    char err[512] = "";
    int status;

    if (!strcmp(r->method, "POST")) {
        status = ctl_front_add(r->body.p, r->body.len, &b, err, sizeof(err));
    } else {
        if (r->body.len)
            return jerror(c, 400, "GET takes no request body");
        status = ctl_front_list(&b, err, sizeof(err));
    }
    return front_answer(c, status, &b, err);
}

static enum MHD_Result h_front_backend(struct MHD_Connection *c, struct req *r)
{
    struct sbuf b = { 0 };
    char err[512] = "";

    return front_answer(c, ctl_front_remove(r->arg, &b, err, sizeof(err)), &b, err);
}

static enum MHD_Result h_front_drain(struct MHD_Connection *c, struct req *r)
{
    struct sbuf b = { 0 };
    char err[512] = "";

    return front_answer(c, ctl_front_drain(r->arg, &b, err, sizeof(err)), &b, err);
}

static enum MHD_Result h_index(struct MHD_Connection *c, struct req *r)
{
    static const char page[] =
        "dpcache-control\n\n"
        "GET  /metrics         Prometheus metrics\n"
        "GET  /healthz         liveness\n"
        "GET  /readyz          readiness (data plane attached, not loading, ports up)\n"
        "GET  /v1/info         state and INFO (admin)\n"
        "POST /v1/snapshot     take a snapshot; ?wait=1 waits for it (admin)\n"
        "GET  /v1/snapshots    snapshot files; ?verify=1 checks them (admin)\n"
        "GET  /v1/config       CONFIG GET; ?name=<glob> (admin; secrets redacted)\n"
        "PUT  /v1/config       {\"name\": ..., \"value\": ...} -> CONFIG SET (admin; protected "
        "configs only with admin-protected-configs yes)\n"
        "POST /v1/shutdown     final snapshot, then the data plane exits (admin)\n"
        "GET  /v1/front/backends               the XDP front's backends (front mode, admin)\n"
        "POST /v1/front/backends               add one: {\"addr\", \"mac\", \"base_port\", "
        "\"cores\", \"weight\", \"egress\"} (admin)\n"
        "POST /v1/front/backends/<id>/drain    no new flows; established ones stay (admin)\n"
        "DELETE /v1/front/backends/<id>        remove it from the front (admin)\n";
    (void)r;
    return text(c, 200, page);
}

struct route {
    const char *path;    /* a '*' matches one path segment (1..CTL_FRONT_ID_MAX-1 bytes) */
    const char *methods; /* "GET", "POST", "POST, PUT" */
    int admin;
    int body; /* takes a request body */
    route_fn fn;
};

static const struct route routes[] = {
    { "/metrics", "GET", 0, 0, h_metrics },
    { "/healthz", "GET", 0, 0, h_health },
    { "/health", "GET", 0, 0, h_health },
    { "/readyz", "GET", 0, 0, h_ready },
    { "/", "GET", 0, 0, h_index },
    { "/v1/info", "GET", 1, 0, h_info },
    { "/admin/info", "GET", 1, 0, h_info },
    { "/v1/snapshot", "POST", 1, 1, h_snapshot },
    { "/admin/snapshot", "POST", 1, 1, h_snapshot },
    { "/v1/snapshots", "GET", 1, 0, h_snapshots },
    { "/admin/snapshots", "GET", 1, 0, h_snapshots },
    { "/v1/config", "GET, PUT, POST", 1, 1, h_config },
    { "/admin/config", "POST, PUT", 1, 1, h_config },
    { "/v1/shutdown", "POST", 1, 1, h_shutdown },
    { "/admin/shutdown", "POST", 1, 1, h_shutdown },
    { "/v1/front/backends", "GET, POST", 1, 1, h_front_backends },
    { "/v1/front/backends/*", "DELETE", 1, 0, h_front_backend },
    { "/v1/front/backends/*/drain", "POST", 1, 0, h_front_drain },
};

/* Does @url match @pattern? The segment a '*' matched goes to @arg (NUL-terminated). */
static int path_match(const char *pattern, const char *url, char *arg, size_t arglen)
{
    while (*pattern) {
        if (*pattern == '*') {
            size_t n = strcspn(url, "/");
            if (n == 0 || n >= arglen)
                return 0;
            memcpy(arg, url, n);
            arg[n] = '\0';
            url += n;
            pattern++;
            continue;
        }
        if (*pattern++ != *url++)
            return 0;
    }
    return *url == '\0';
}

static int method_ok(const struct route *rt, const char *method)
{
    const char *m = rt->methods;
    size_t ml = strlen(method);

    if (!strcmp(method, "HEAD") && strstr(rt->methods, "GET"))
        return 1;
    while (*m) {
        size_t l = strcspn(m, ",");
        if (l == ml && !strncmp(m, method, l))
            return 1;
        m += l;
        while (*m == ',' || *m == ' ')
            m++;
    }
    return 0;
}

/* The bearer token, compared in constant time (secret.h). */
static int authorized(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    while (*h == ' ')
        h++;
    return secret_equal(h, strlen(h), admin_token, strlen(admin_token));
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct req *r = *con_cls;
    const struct route *rt = NULL;
    char arg[CTL_FRONT_ID_MAX] = "";
    int path_found = 0;

    (void)cls, (void)version;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (path_match(routes[i].path, url, arg, sizeof(arg))) {
            path_found = 1;
            if (method_ok(&routes[i], method)) {
                rt = &routes[i];
                break;
            }
        }
    if (!r) { /* first call: headers only */
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->method = method;
        memcpy(r->arg, arg, sizeof(arg));
        if (!path_found) {
            r->answered = 1;
            return jerror(c, 404, "no such endpoint (GET / lists them)");
        }
        if (!rt) {
            struct MHD_Response *resp;
            enum MHD_Result ret;
            const char *allow = NULL;
            static const char msg[] = "{\"error\":\"method not allowed\"}\n";
            for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
                if (path_match(routes[i].path, url, arg, sizeof(arg)))
                    allow = routes[i].methods;
            r->answered = 1;
            resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
                                                   MHD_RESPMEM_PERSISTENT);
            if (!resp)
                return MHD_NO;
            MHD_add_response_header(resp, "Allow", allow ? allow : "GET");
            MHD_add_response_header(resp, "Content-Type", "application/json");
            ret = MHD_queue_response(c, 405, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        if (rt->admin) {
            if (!admin_token) {
                r->answered = 1;
                return jerror(c, 403,
                              "the admin API is disabled: no admin-token-file and no "
                              "DPCACHE_ADMIN_TOKEN");
            }
            if (!authorized(c)) {
                struct MHD_Response *resp;
                enum MHD_Result ret;
                static const char msg[] = "{\"error\":\"missing or wrong bearer token\"}\n";
                r->answered = 1;
                resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
                                                       MHD_RESPMEM_PERSISTENT);
                if (!resp)
                    return MHD_NO;
                MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"dpcache\"");
                MHD_add_response_header(resp, "Content-Type", "application/json");
                ret = MHD_queue_response(c, 401, resp);
                MHD_destroy_response(resp);
                return ret;
            }
        }
        {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > (unsigned long long)hcfg->http_body_limit) {
                r->answered = 1;
                return jerror(c, 413, "request body too large (http-body-limit)");
            }
        }
        return MHD_YES;
    }
    if (r->answered) { /* discard whatever body follows a response given early */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big && r->body.len + *upload_size > (size_t)hcfg->http_body_limit)
            r->too_big = 1;
        if (!r->too_big)
            sb_put(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    r->answered = 1;
    if (r->too_big)
        return jerror(c, 413, "request body too large (http-body-limit)");
    if (r->body.oom)
        return jerror(c, 500, "out of memory");
    if (!rt->body && r->body.len)
        return jerror(c, 400, "this endpoint takes no request body");
    return rt->fn(c, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;

    (void)cls, (void)c, (void)toe;
    if (r) {
        free(r->body.p);
        free(r);
        *con_cls = NULL;
    }
}

static char mhd_last[256]; /* libmicrohttpd's last message at start: why it did not start */
static int mhd_starting;   /* mhd_last is written only meanwhile (atomic) */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    if (__atomic_load_n(&mhd_starting, __ATOMIC_ACQUIRE))
        snprintf(mhd_last, sizeof(mhd_last), "%s", msg);
    log_verbose("http: %s", msg);
}

int http_start(const struct ctl_config *cfg, const char *token, char *err, unsigned errlen)
{
    struct addrinfo hints, *ai = NULL;
    char host[256], port[16];
    const char *l = cfg->listen, *colon;
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    int rc;

    hcfg = cfg;
    free(admin_token);
    admin_token = token && *token ? strdup(token) : NULL;
    if (l[0] == '[') {
        const char *e = strchr(l, ']');
        if (!e || e[1] != ':') {
            snprintf(err, errlen, "listen '%s': expected [address]:port", l);
            return -1;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(e - l - 1), l + 1);
        colon = e + 1;
    } else {
        colon = strrchr(l, ':');
        if (!colon) {
            snprintf(err, errlen, "listen '%s': expected address:port", l);
            return -1;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(colon - l), l);
    }
    snprintf(port, sizeof(port), "%s", colon + 1);
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "listen '%s': %s", l, gai_strerror(rc));
        return -1;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    mhd_last[0] = '\0';
    __atomic_store_n(&mhd_starting, 1, __ATOMIC_RELEASE);
    daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_EXTERNAL_LOGGER,
                               mhd_log, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_connections,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                               MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    __atomic_store_n(&mhd_starting, 0, __ATOMIC_RELEASE);
    freeaddrinfo(ai);
    /* no MHD_OPTION_LISTENING_ADDRESS_REUSE: libmicrohttpd then sets SO_REUSEADDR only (a
     * restart is not held up by TIME_WAIT), never SO_REUSEPORT, so a second process on the same
     * address fails here instead of taking a share of the requests */
    if (!daemon_) {
        /* "Failed to bind to port 0: Address already in use": the port is in MHD_OPTION_SOCK_ADDR,
         * the reason after the last ": " */
        const char *why = strrchr(mhd_last, ':');
        snprintf(err, errlen,
                 "cannot listen on %s: %s: another process (another dpcache-control?) may "
                 "listen there; stop it or give this one another --listen",
                 l, why && why[1] == ' ' ? why + 2 : "address in use or not available");
        return -1;
    }
    return 0;
}

void http_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    free(admin_token);
    admin_token = NULL;
}
