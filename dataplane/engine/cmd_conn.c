/*
 * cmd_conn.c - connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, CLIENT, and the
 * cluster connection flags READONLY, READWRITE, ASKING.
 */
#include "../core/util.h"
#include "client.h"
#include "cmd.h"
#include "plan.h"
#include "server.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPCACHE_REDIS_COMPAT "7.0.15"

int cmd_ping(struct ctx *x)
{
    if (x->argc > 2) {
        ctx_error_arity(x);
        return CMD_DONE;
    }
    if (x->argc == 2)
        rsp_bulk(x->out, x->argv[1].p, x->argv[1].len);
    else
        rsp_raw(x->out, "+PONG\r\n", 7);
    return CMD_DONE;
}

int cmd_echo(struct ctx *x)
{
    rsp_bulk(x->out, x->argv[1].p, x->argv[1].len);
    return CMD_DONE;
}

int cmd_quit(struct ctx *x)
{
    rsp_ok(x->out);
    x->c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    return CMD_DONE;
}

int cmd_select(struct ctx *x)
{
    long long db;

    if (arg_ll_range_or_reply(x, &x->argv[1], INT_MIN, INT_MAX, NULL, &db))
        return CMD_DONE;
    if (srv.cfg.cluster_enabled && db != 0) {
        ctx_error(x, "ERR SELECT is not allowed in cluster mode");
        return CMD_DONE;
    }
    if (db < 0 || db >= srv.cfg.databases) {
        ctx_error(x, ERR_DB_RANGE);
        return CMD_DONE;
    }
    x->c->db = (int)db;
    rsp_ok(x->out);
    return CMD_DONE;
}

static const char *password(void)
{
    const char *p = __atomic_load_n(&srv.cfg.requirepass, __ATOMIC_ACQUIRE);
    return p && p[0] ? p : NULL;
}

/* Constant-time comparison of a given password with the configured one. */
static int password_ok(const struct rstr *user, const struct rstr *pass)
{
    const char *want = password();
    size_t wl, diff = 0;

    if (user && !arg_is(user, "default"))
        return 0;
    if (!want)
        return 1; /* the default user has no password */
    wl = strlen(want);
    diff = wl ^ pass->len;
    for (size_t i = 0; i < pass->len; i++)
        diff |= (size_t)((unsigned char)pass->p[i] ^ (unsigned char)want[i % (wl ? wl : 1)]);
    return diff == 0;
}

int cmd_auth(struct ctx *x)
{
    const struct rstr *user = NULL, *pass;

    if (x->argc > 3) {
        ctx_error(x, ERR_SYNTAX);
        return CMD_DONE;
    }
    if (x->argc == 2) {
        if (!password()) {
            ctx_error(x, "ERR AUTH <password> called without any password configured for the "
                         "default user. Are you sure your configuration is correct?");
            return CMD_DONE;
        }
        pass = &x->argv[1];
    } else {
        user = &x->argv[1];
        pass = &x->argv[2];
    }
    if (password_ok(user, pass)) {
        x->c->flags |= CLIENT_AUTHED;
        rsp_ok(x->out);
    } else {
        ctx_error(x, "WRONGPASS invalid username-password pair or user is disabled.");
    }
    return CMD_DONE;
}

/* Redis's validateClientName: printable ASCII without spaces. */
static int name_ok(const struct rstr *n)
{
    for (size_t i = 0; i < n->len; i++)
        if (n->p[i] < '!' || n->p[i] > '~')
            return 0;
    return n->len <= CLIENT_NAME_MAX;
}

static void set_str(char **slot, const struct rstr *v)
{
    free(*slot);
    *slot = NULL;
    if (v->len) {
        *slot = malloc(v->len + 1);
        if (*slot) {
            memcpy(*slot, v->p, v->len);
            (*slot)[v->len] = '\0';
        }
    }
}

int cmd_hello(struct ctx *x)
{
    struct client *c = x->c;
    long long ver = 0;
    const struct rstr *user = NULL, *pass = NULL, *name = NULL;
    int j = 1;

    if (x->argc >= 2) {
        if (!string2ll(x->argv[1].p, x->argv[1].len, &ver)) {
            ctx_error(x, "ERR Protocol version is not an integer or out of range");
            return CMD_DONE;
        }
        j = 2;
        if (ver < 2 || ver > 3) {
            ctx_error(x, "NOPROTO unsupported protocol version");
            return CMD_DONE;
        }
    }
    for (; j < x->argc; j++) {
        int more = x->argc - 1 - j;
        if (arg_is(&x->argv[j], "auth") && more >= 2) {
            user = &x->argv[j + 1];
            pass = &x->argv[j + 2];
            j += 2;
        } else if (arg_is(&x->argv[j], "setname") && more) {
            name = &x->argv[j + 1];
            if (!name_ok(name)) {
                ctx_error(x, "ERR Client names cannot contain spaces, newlines or special "
                             "characters.");
                return CMD_DONE;
            }
            j++;
        } else {
            ctx_errorf(x, "ERR Syntax error in HELLO option '%.*s'", (int)x->argv[j].len,
                       x->argv[j].p);
            return CMD_DONE;
        }
    }
    if (user && pass) {
        if (!password_ok(user, pass)) {
            ctx_error(x, "WRONGPASS invalid username-password pair or user is disabled.");
            return CMD_DONE;
        }
        c->flags |= CLIENT_AUTHED;
    }
    if (!(c->flags & CLIENT_AUTHED) && password()) {
        ctx_error(x, "NOAUTH HELLO must be called with the client already authenticated, "
                     "otherwise the HELLO AUTH <user> <pass> option can be used to "
                     "authenticate the client and select the RESP protocol version at the same "
                     "time");
        return CMD_DONE;
    }
    if (name)
        set_str(&c->name, name);
    if (ver)
        c->proto = (int)ver;
    rsp_map(x->out, 7, c->proto);
    rsp_bulk_cstr(x->out, "server");
    rsp_bulk_cstr(x->out, "dpcache");
    rsp_bulk_cstr(x->out, "version");
    rsp_bulk_cstr(x->out, DPCACHE_REDIS_COMPAT);
    rsp_bulk_cstr(x->out, "proto");
    rsp_int(x->out, c->proto);
    rsp_bulk_cstr(x->out, "id");
    rsp_int(x->out, (long long)c->id);
    rsp_bulk_cstr(x->out, "mode");
    rsp_bulk_cstr(x->out, srv.cfg.cluster_enabled ? "cluster" : "standalone");
    rsp_bulk_cstr(x->out, "role");
    rsp_bulk_cstr(x->out, "master");
    rsp_bulk_cstr(x->out, "modules");
    rsp_array(x->out, 0);
    return CMD_DONE;
}

int cmd_readonly(struct ctx *x)
{
    if (!srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR This instance has cluster support disabled");
        return CMD_DONE;
    }
    x->c->flags |= CLIENT_READONLY;
    rsp_ok(x->out);
    return CMD_DONE;
}

int cmd_readwrite(struct ctx *x)
{
    if (!srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR This instance has cluster support disabled");
        return CMD_DONE;
    }
    x->c->flags &= ~CLIENT_READONLY;
    rsp_ok(x->out);
    return CMD_DONE;
}

int cmd_asking(struct ctx *x)
{
    if (!srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR This instance has cluster support disabled");
        return CMD_DONE;
    }
    x->c->flags |= CLIENT_ASKING;
    rsp_ok(x->out);
    return CMD_DONE;
}

/* ---- CLIENT ---- */

static void reply_text(struct ctx *x, const char *p, size_t n)
{
    rsp_verbatim(x->out, p, n, x->proto);
}

/* CLIENT LIST/KILL filters, shared by the coordinator check and __clients on each core. */
struct kill_filter {
    int old_style;        /* CLIENT KILL addr:port */
    const struct rstr *addr, *laddr, *id_list;
    long long id;
    int skipme;
    uint64_t caller;
};

static int kill_matches(const struct client *c, const struct kill_filter *f, int nids,
                        const struct rstr *ids)
{
    if (f->skipme && c->id == f->caller)
        return 0;
    if (f->addr && !(strlen(c->raddr) == f->addr->len &&
                     memcmp(c->raddr, f->addr->p, f->addr->len) == 0))
        return 0;
    if (f->laddr && !(strlen(c->laddr) == f->laddr->len &&
                      memcmp(c->laddr, f->laddr->p, f->laddr->len) == 0))
        return 0;
    if (f->id && (long long)c->id != f->id)
        return 0;
    if (nids) {
        int hit = 0;
        for (int i = 0; i < nids && !hit; i++) {
            long long v;
            hit = string2ll(ids[i].p, ids[i].len, &v) && (uint64_t)v == c->id;
        }
        if (!hit)
            return 0;
    }
    return 1;
}

/* __clients list [ID id ...] | __clients kill <caller-id> <filter args...> */
int cmd_i_clients(struct ctx *x)
{
    struct worker *w = x->w;
    struct client *c;

    if (x->argc >= 2 && arg_is(&x->argv[1], "list")) {
        struct obuf tmp;
        size_t total = 0;
        int nids = x->argc > 3 ? x->argc - 3 : 0;
        const struct rstr *ids = nids ? &x->argv[3] : NULL;
        struct kill_filter f = { 0 };
        obuf_init(&tmp, x->out->pool);
        cds_list_for_each_entry(c, &w->clients, node)
        {
            char line[1024];
            size_t n;
            if ((c->flags & CLIENT_UDP) || (nids && !kill_matches(c, &f, nids, ids)))
                continue;
            n = client_info_line(c, line, sizeof(line));
            obuf_append(&tmp, line, n);
            total += n;
        }
        {
            char hdr[32];
            int h = snprintf(hdr, sizeof(hdr), "$%zu\r\n", total);
            obuf_append(x->out, hdr, (size_t)h);
            obuf_splice(x->out, &tmp);
            rsp_raw(x->out, "\r\n", 2);
        }
        return CMD_DONE;
    }
    if (x->argc >= 4 && arg_is(&x->argv[1], "kill")) {
        struct kill_filter f = { 0 };
        long long caller, killed = 0;
        string2ll(x->argv[2].p, x->argv[2].len, &caller);
        f.caller = (uint64_t)caller;
        if (x->argc == 4) {
            f.old_style = 1;
            f.addr = &x->argv[3];
        } else {
            f.skipme = 1;
            for (int i = 3; i + 1 < x->argc; i += 2) {
                const struct rstr *k = &x->argv[i], *v = &x->argv[i + 1];
                if (arg_is(k, "id"))
                    string2ll(v->p, v->len, &f.id);
                else if (arg_is(k, "addr"))
                    f.addr = v;
                else if (arg_is(k, "laddr"))
                    f.laddr = v;
                else if (arg_is(k, "skipme"))
                    f.skipme = arg_is(v, "yes");
            }
        }
        cds_list_for_each_entry(c, &w->clients, node)
        {
            if ((c->flags & CLIENT_UDP) || !kill_matches(c, &f, 0, NULL))
                continue;
            c->flags |= c->id == f.caller ? CLIENT_CLOSE_AFTER_REPLY : CLIENT_CLOSE_ASAP;
            client_mark_dirty(c);
            killed++;
        }
        rsp_int(x->out, killed);
        return CMD_DONE;
    }
    ctx_error(x, ERR_SYNTAX);
    return CMD_DONE;
}

static void client_list_done(struct client *c, struct plan *pl)
{
    size_t total = 0, n, hl;
    long long len;
    char *buf, *w;

    for (int i = 0; i < pl->nsub; i++) {
        const char *r = plan_reply(pl, i, &n);
        const char *crlf = memchr(r, '\r', n);
        if (crlf && r[0] == '$' && string2ll(r + 1, (size_t)(crlf - r - 1), &len) && len > 0)
            total += (size_t)len;
    }
    buf = malloc(total + 1);
    if (!buf) {
        rsp_error(&c->out, ERR_OOM);
        plan_end(c, pl);
        return;
    }
    w = buf;
    for (int i = 0; i < pl->nsub; i++) {
        const char *r = plan_reply(pl, i, &n);
        const char *crlf = memchr(r, '\r', n);
        if (crlf && r[0] == '$' && string2ll(r + 1, (size_t)(crlf - r - 1), &len) && len > 0) {
            hl = (size_t)(crlf - r) + 2;
            memcpy(w, r + hl, (size_t)len);
            w += len;
        }
    }
    rsp_verbatim(&c->out, buf, total, pl->proto);
    free(buf);
    plan_end(c, pl);
}

static void client_kill_old_done(struct client *c, struct plan *pl)
{
    long long sum = 0, v;
    size_t n;

    for (int i = 0; i < pl->nsub; i++) {
        const char *r = plan_reply(pl, i, &n);
        if (n > 3 && r[0] == ':' && string2ll(r + 1, n - 3, &v))
            sum += v;
    }
    if (sum)
        rsp_ok(&c->out);
    else
        rsp_error(&c->out, "ERR No such client");
    plan_end(c, pl);
}

static int client_kill(struct ctx *x)
{
    static const struct rstr name = { "__clients", 9 }, kill = { "kill", 4 };
    struct rstr argv[64];
    char idbuf[LL_STR_SIZE];
    int n = 0;
    struct plan *pl;

    if (x->argc == 3) {
        /* old form: CLIENT KILL addr:port */
    } else if (x->argc % 2 == 0 || x->argc > 60) {
        ctx_error(x, ERR_SYNTAX);
        return CMD_DONE;
    } else {
        for (int i = 2; i < x->argc; i += 2) {
            const struct rstr *k = &x->argv[i], *v = &x->argv[i + 1];
            long long tmp;
            if (arg_is(k, "id")) {
                if (!string2ll(v->p, v->len, &tmp) || tmp <= 0) {
                    ctx_error(x, "ERR client-id should be greater than 0");
                    return CMD_DONE;
                }
            } else if (arg_is(k, "skipme")) {
                if (!arg_is(v, "yes") && !arg_is(v, "no")) {
                    ctx_error(x, ERR_SYNTAX);
                    return CMD_DONE;
                }
            } else if (!arg_is(k, "addr") && !arg_is(k, "laddr")) {
                ctx_error(x, ERR_SYNTAX);
                return CMD_DONE;
            }
        }
    }
    pl = plan_begin(x, x->argc == 3 ? client_kill_old_done : plan_merge_sum);
    if (!pl)
        return CMD_DONE;
    argv[n++] = name;
    argv[n++] = kill;
    argv[n].len = (size_t)ll2string(idbuf, (long long)x->c->id);
    argv[n].p = plan_strdup(pl, idbuf, argv[n].len);
    n++;
    for (int i = 2; i < x->argc; i++)
        argv[n++] = x->argv[i];
    for (int part = 0; part < srv.nworkers; part++)
        if (!argv[2].p || plan_add(pl, (unsigned)part, n, argv) < 0) {
            plan_end(x->c, pl);
            ctx_error(x, ERR_OOM);
            return CMD_DONE;
        }
    return plan_run(x->c, pl);
}

static int client_list(struct ctx *x)
{
    static const struct rstr name = { "__clients", 9 }, list = { "list", 4 }, idk = { "id", 2 };
    struct rstr *argv;
    int n = 0;
    int rc;

    if (x->argc > 2) {
        if (x->argc >= 4 && arg_is(&x->argv[2], "type")) {
            if (!arg_is(&x->argv[3], "normal") && !arg_is(&x->argv[3], "master") &&
                !arg_is(&x->argv[3], "replica") && !arg_is(&x->argv[3], "slave") &&
                !arg_is(&x->argv[3], "pubsub")) {
                ctx_errorf(x, "ERR Unknown client type '%.*s'", (int)x->argv[3].len,
                           x->argv[3].p);
                return CMD_DONE;
            }
            if (!arg_is(&x->argv[3], "normal") || x->argc != 4) {
                /* only normal clients exist */
                if (x->argc == 4) {
                    rsp_verbatim(x->out, "", 0, x->proto);
                    return CMD_DONE;
                }
                ctx_error(x, ERR_SYNTAX);
                return CMD_DONE;
            }
        } else if (x->argc >= 4 && arg_is(&x->argv[2], "id")) {
            for (int i = 3; i < x->argc; i++) {
                long long v;
                if (!string2ll(x->argv[i].p, x->argv[i].len, &v) || v <= 0) {
                    ctx_error(x, "ERR Invalid client ID");
                    return CMD_DONE;
                }
            }
        } else {
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
    }
    argv = malloc(sizeof(*argv) * (size_t)(x->argc + 2));
    if (!argv) {
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    argv[n++] = name;
    argv[n++] = list;
    if (x->argc >= 4 && arg_is(&x->argv[2], "id")) {
        argv[n++] = idk;
        for (int i = 3; i < x->argc; i++)
            argv[n++] = x->argv[i];
    }
    rc = plan_broadcast(x, n, argv, client_list_done);
    free(argv);
    return rc;
}

static int client_help(struct ctx *x)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,",
        "    SKIPME (YES|NO).",
        "LIST [options ...]",
        "    Return information about client connections. Options: TYPE normal, ID <id> ...",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "HELP",
        "    Print this help.",
    };
    rsp_array(x->out, (long long)(sizeof(lines) / sizeof(lines[0])));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        rsp_simple(x->out, lines[i]);
    return CMD_DONE;
}

int cmd_client(struct ctx *x)
{
    struct client *c = x->c;
    const struct rstr *sub = &x->argv[1];

#define SUB_ARITY(cond, name)                                                                      \
    if (!(cond)) {                                                                                 \
        ctx_errorf(x, "ERR wrong number of arguments for 'client|%s' command", name);             \
        return CMD_DONE;                                                                           \
    }
    if (arg_is(sub, "id")) {
        SUB_ARITY(x->argc == 2, "id");
        rsp_int(x->out, (long long)c->id);
    } else if (arg_is(sub, "getname")) {
        SUB_ARITY(x->argc == 2, "getname");
        if (c->name)
            rsp_bulk_cstr(x->out, c->name);
        else
            rsp_null(x->out, x->proto);
    } else if (arg_is(sub, "setname")) {
        SUB_ARITY(x->argc == 3, "setname");
        if (!name_ok(&x->argv[2])) {
            ctx_error(x, "ERR Client names cannot contain spaces, newlines or special "
                         "characters.");
            return CMD_DONE;
        }
        set_str(&c->name, &x->argv[2]);
        rsp_ok(x->out);
    } else if (arg_is(sub, "setinfo")) {
        SUB_ARITY(x->argc == 4, "setinfo");
        int libname = arg_is(&x->argv[2], "lib-name");
        if (!libname && !arg_is(&x->argv[2], "lib-ver")) {
            ctx_errorf(x, "ERR Unrecognized option '%.*s'", (int)x->argv[2].len, x->argv[2].p);
            return CMD_DONE;
        }
        if (!name_ok(&x->argv[3])) {
            ctx_errorf(x, "ERR %s cannot contain spaces, newlines or special characters.",
                       libname ? "lib-name" : "lib-ver");
            return CMD_DONE;
        }
        set_str(libname ? &c->lib_name : &c->lib_ver, &x->argv[3]);
        rsp_ok(x->out);
    } else if (arg_is(sub, "info")) {
        char line[1024];
        size_t n;
        SUB_ARITY(x->argc == 2, "info");
        n = client_info_line(c, line, sizeof(line));
        reply_text(x, line, n);
    } else if (arg_is(sub, "list")) {
        return client_list(x);
    } else if (arg_is(sub, "kill")) {
        SUB_ARITY(x->argc >= 3, "kill");
        return client_kill(x);
    } else if (arg_is(sub, "help")) {
        return client_help(x);
    } else {
        ctx_errorf(x, "ERR unknown subcommand '%.*s'. Try CLIENT HELP.", (int)(sub->len > 128 ? 128 : sub->len),
                   sub->p);
    }
#undef SUB_ARITY
    return CMD_DONE;
}
