/*
 * cmd_server.c - server commands: COMMAND, CONFIG, DBSIZE, TIME, SLOWLOG, and the snapshot
 * triggers SAVE, BGSAVE, LASTSAVE (served by the control plane, see control/).
 */
#include "../core/log.h"
#include "../core/util.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "client.h"
#include "cmd.h"
#include "control.h"
#include "plan.h"
#include "server.h"
#include "worker.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- COMMAND ---- */

/* Listed by COMMAND: not internal, not removed by rename-command (a renamed command is listed
 * under its own name, as Redis does). */
static int visible(const struct cmd_def *d)
{
    return !(d->flags & CMD_INTERNAL) && !cmd_removed(d);
}

/* Number of subcommands of @d (0 for a plain command). */
static int nsubs(const struct cmd_def *d)
{
    int n = 0;

    if (d->flags & CMD_CONTAINER)
        for (int i = CMD_TOP_COUNT; i < CMD_COUNT; i++)
            n += cmd_defs[i].parent == (int)d->id;
    return n;
}

static void command_info(struct ctx *x, const struct cmd_def *d)
{
    const char *flags[8];
    int nf = 0;
    char cat[32];

    if (d->flags & CMD_WRITE)
        flags[nf++] = "write";
    if (d->flags & CMD_READONLY)
        flags[nf++] = "readonly";
    if (d->flags & CMD_DENYOOM)
        flags[nf++] = "denyoom";
    if (d->flags & CMD_FAST)
        flags[nf++] = "fast";
    if (d->flags & CMD_NOAUTH)
        flags[nf++] = "no_auth";
    if (d->flags & CMD_NOSCRIPT)
        flags[nf++] = "noscript";
    rsp_array(x->out, 10);
    rsp_bulk_cstr(x->out, d->name);
    rsp_int(x->out, d->arity);
    rsp_set(x->out, nf, x->proto);
    for (int i = 0; i < nf; i++)
        rsp_simple(x->out, flags[i]);
    rsp_int(x->out, d->first_key);
    rsp_int(x->out, d->last_key);
    rsp_int(x->out, d->key_step);
    rsp_set(x->out, 1, x->proto);
    snprintf(cat, sizeof(cat), "@%s", cmd_group(d));
    rsp_simple(x->out, cat);
    rsp_set(x->out, 0, x->proto); /* tips */
    rsp_array(x->out, 0);         /* key specs */
    rsp_array(x->out, nsubs(d));  /* subcommands */
    for (int i = CMD_TOP_COUNT; i < CMD_COUNT && (d->flags & CMD_CONTAINER); i++)
        if (cmd_defs[i].parent == (int)d->id)
            command_info(x, &cmd_defs[i]);
}

static void command_docs(struct ctx *x, const struct cmd_def *d)
{
    int n = nsubs(d);

    rsp_bulk_cstr(x->out, d->name);
    rsp_map(x->out, n ? 5 : 4, x->proto);
    rsp_bulk_cstr(x->out, "summary");
    rsp_bulk_cstr(x->out, d->summary);
    rsp_bulk_cstr(x->out, "since");
    rsp_bulk_cstr(x->out, d->since);
    rsp_bulk_cstr(x->out, "group");
    rsp_bulk_cstr(x->out, cmd_group(d));
    rsp_bulk_cstr(x->out, "complexity");
    rsp_bulk_cstr(x->out, n ? "Depends on subcommand." : (d->flags & CMD_FAST) ? "O(1)" : "O(N)");
    if (!n)
        return;
    rsp_bulk_cstr(x->out, "subcommands");
    rsp_map(x->out, n, x->proto);
    for (int i = CMD_TOP_COUNT; i < CMD_COUNT; i++)
        if (cmd_defs[i].parent == (int)d->id)
            command_docs(x, &cmd_defs[i]);
}

static void command_help(struct ctx *x)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "HELP",
        "    Prints this help.",
    };
    rsp_array(x->out, (long long)(sizeof(lines) / sizeof(lines[0])));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        rsp_simple(x->out, lines[i]);
}

/* COMMAND LIST [FILTERBY PATTERN <glob>]: commands and subcommands, as Redis 7. */
static void command_list(struct ctx *x)
{
    const struct rstr *pat = NULL;
    long long n = 0;
    struct obuf tmp;

    if (x->argc == 5 && arg_is(&x->argv[2], "filterby") && arg_is(&x->argv[3], "pattern")) {
        pat = &x->argv[4];
    } else if (x->argc != 2) {
        ctx_error(x, ERR_SYNTAX);
        return;
    }
    obuf_init(&tmp, x->out->pool);
    for (int i = 0; i < CMD_COUNT; i++) {
        const struct cmd_def *d = &cmd_defs[i];
        if (!visible(d) || (pat && !glob_match(pat->p, pat->len, d->name, d->namelen, 1)))
            continue;
        rsp_bulk_cstr(&tmp, d->name);
        n++;
    }
    rsp_array(x->out, n);
    obuf_splice(x->out, &tmp);
}

int cmd_command(struct ctx *x)
{
    const struct cmd_def *sub = ctx_sub_or_reply(x);
    int n = 0;

    if (!sub)
        return CMD_DONE;
    for (int i = 0; i < CMD_TOP_COUNT; i++)
        n += visible(&cmd_defs[i]);
    switch (sub->id) {
    case CMDID_COMMAND: /* no subcommand: all of them */
    case CMDID_COMMAND_INFO:
        if (x->argc <= 2) {
            rsp_array(x->out, n);
            for (int i = 0; i < CMD_TOP_COUNT; i++)
                if (visible(&cmd_defs[i]))
                    command_info(x, &cmd_defs[i]);
            break;
        }
        rsp_array(x->out, x->argc - 2);
        for (int i = 2; i < x->argc; i++) {
            const struct cmd_def *d = cmd_lookup_full(x->argv[i].p, x->argv[i].len);
            if (d)
                command_info(x, d);
            else
                rsp_null(x->out, x->proto);
        }
        break;
    case CMDID_COMMAND_COUNT: rsp_int(x->out, n); break;
    case CMDID_COMMAND_DOCS: {
        int found = 0;
        if (x->argc == 2) {
            rsp_map(x->out, n, x->proto);
            for (int i = 0; i < CMD_TOP_COUNT; i++)
                if (visible(&cmd_defs[i]))
                    command_docs(x, &cmd_defs[i]);
            break;
        }
        for (int i = 2; i < x->argc; i++)
            found += cmd_lookup_full(x->argv[i].p, x->argv[i].len) != NULL;
        rsp_map(x->out, found, x->proto);
        for (int i = 2; i < x->argc; i++) {
            const struct cmd_def *d = cmd_lookup_full(x->argv[i].p, x->argv[i].len);
            if (d)
                command_docs(x, d);
        }
        break;
    }
    case CMDID_COMMAND_LIST: command_list(x); break;
    default: /* COMMAND HELP */ command_help(x); break;
    }
    return CMD_DONE;
}

/* ---- CONFIG ---- */

/* Side effects of a changed directive. */
static void config_applied(const struct opt_def *o)
{
    if (!strcmp(o->name, "loglevel"))
        log_set_level((enum log_level)srv.cfg.loglevel);
    else if (!strcmp(o->name, "hash-max-listpack-entries"))
        __atomic_store_n(&hash_max_packed_entries, (uint32_t)srv.cfg.hash_max_listpack_entries,
                         __ATOMIC_RELAXED);
    else if (!strcmp(o->name, "hash-max-listpack-value"))
        __atomic_store_n(&hash_max_packed_value, (uint32_t)srv.cfg.hash_max_listpack_value,
                         __ATOMIC_RELAXED);
    control_config_changed(o->name);
}

void config_apply_all(void)
{
    for (int i = 0; i < opt_count; i++)
        if (!strcmp(opt_defs[i].name, "loglevel") || !strncmp(opt_defs[i].name, "hash-max", 8))
            config_applied(&opt_defs[i]);
}

static char *rstr_dup(const struct rstr *a)
{
    char *s = malloc(a->len + 1);

    if (s) {
        memcpy(s, a->p, a->len);
        s[a->len] = '\0';
    }
    return s;
}

static int config_get(struct ctx *x)
{
    static const char *const aliases[][2] = {
        { "hash-max-ziplist-entries", "hash-max-listpack-entries" },
        { "hash-max-ziplist-value", "hash-max-listpack-value" },
    };
    struct obuf tmp;
    long long n = 0;
    char val[1024];
    uint8_t seen[256] = { 0 };

    obuf_init(&tmp, x->out->pool);
    for (int a = 2; a < x->argc; a++) {
        const struct rstr *pat = &x->argv[a];
        for (int i = 0; i < opt_count; i++) {
            const struct opt_def *o = &opt_defs[i];
            if (seen[i] || (o->flags & (OPT_NOCONFIGGET | OPT_FILEONLY)) ||
                !glob_match(pat->p, pat->len, o->name, strlen(o->name), 1))
                continue;
            seen[i] = 1;
            config_format(&srv.cfg, o, val, sizeof(val));
            if (x->ctl && (o->flags & OPT_REDACT) && val[0]) /* no secret leaves on the socket */
                snprintf(val, sizeof(val), "%s", REDACTED);
            rsp_bulk_cstr(&tmp, o->name);
            rsp_bulk_cstr(&tmp, val);
            n++;
        }
        for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
            if (seen[opt_count + k] ||
                !glob_match(pat->p, pat->len, aliases[k][0], strlen(aliases[k][0]), 1))
                continue;
            seen[opt_count + k] = 1;
            config_format(&srv.cfg, config_find(aliases[k][1]), val, sizeof(val));
            rsp_bulk_cstr(&tmp, aliases[k][0]);
            rsp_bulk_cstr(&tmp, val);
            n++;
        }
    }
    rsp_map(x->out, n, x->proto);
    obuf_splice(x->out, &tmp);
    return CMD_DONE;
}

int cmd_config_set(struct ctx *x, int protected_ok)
{
    int npairs = (x->argc - 2) / 2, failed = -1, bad = -1, unknown = -1;
    const char *bad_why = NULL;
    char why[256] = "", **old = calloc((size_t)npairs, sizeof(char *));
    const struct opt_def **defs = calloc((size_t)npairs, sizeof(*defs));

    if (!old || !defs) {
        free(old);
        free(defs);
        ctx_error(x, ERR_OOM);
        return CMD_DONE;
    }
    /* Names first, as Redis 7.0's configSetCommand: the first parameter that is unknown,
     * immutable, protected (where enable-protected-configs does not allow it) or repeated fails
     * the whole command and is the one named; those after it are not looked at. */
    for (int i = 0; i < npairs && bad < 0 && unknown < 0; i++) {
        char *name = rstr_dup(&x->argv[2 + 2 * i]);
        defs[i] = name ? config_find(name) : NULL;
        free(name);
        if (defs[i] && (defs[i]->flags & OPT_FILEONLY))
            defs[i] = NULL; /* rename-command: a directive, not a parameter */
        if (!defs[i]) {
            unknown = i;
        } else if (defs[i]->flags & OPT_IMMUTABLE) {
            bad = i;
            bad_why = "can't set immutable config";
        } else if ((defs[i]->flags & OPT_PROTECTED) && !protected_ok) {
            bad = i;
            bad_why = "can't set protected config";
        } else {
            for (int k = 0; k < i; k++)
                if (defs[k] == defs[i]) {
                    bad = i;
                    bad_why = "duplicate parameter";
                }
        }
    }
    if (unknown >= 0) {
        ctx_errorf(x, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                   (int)x->argv[2 + 2 * unknown].len, x->argv[2 + 2 * unknown].p);
        goto out;
    }
    if (bad >= 0) {
        ctx_errorf(x, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                   (int)x->argv[2 + 2 * bad].len, x->argv[2 + 2 * bad].p, bad_why);
        goto out;
    }
    for (int i = 0; i < npairs; i++) {
        char cur[1024], *val = rstr_dup(&x->argv[3 + 2 * i]);
        config_format(&srv.cfg, defs[i], cur, sizeof(cur));
        old[i] = strdup(cur);
        if (!val || config_set(&srv.cfg, defs[i]->name, val, 0, why, sizeof(why)) != 0) {
            failed = i;
            free(val);
            break;
        }
        free(val);
    }
    if (failed >= 0) { /* put back what was already changed */
        char ignore[256], name[128];
        const struct rstr *a = &x->argv[2 + 2 * failed];
        size_t nl = a->len < sizeof(name) ? a->len : sizeof(name) - 1;
        for (int i = 0; i < failed; i++)
            config_set(&srv.cfg, defs[i]->name, old[i], 0, ignore, sizeof(ignore));
        for (size_t k = 0; k < nl; k++) /* Redis names the config as its table spells it */
            name[k] = (char)tolower((unsigned char)a->p[k]);
        name[nl] = '\0';
        ctx_errorf(x, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, why);
        goto out;
    }
    for (int i = 0; i < npairs; i++)
        config_applied(defs[i]);
    rsp_ok(x->out);
out:
    for (int i = 0; i < npairs; i++)
        free(old[i]);
    free(old);
    free(defs);
    return CMD_DONE;
}

int cmd_config(struct ctx *x)
{
    const struct cmd_def *sub = ctx_sub_or_reply(x);

    if (!sub)
        return CMD_DONE;
    switch (sub->id) {
    case CMDID_CONFIG_GET: return config_get(x);
    case CMDID_CONFIG_SET:
        if (x->argc % 2) { /* not parameter/value pairs (Redis: syntax error) */
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
        /* the control socket is a Unix socket: local, as Redis counts those */
        return cmd_config_set(x, protected_allowed(srv.cfg.enable_protected_configs,
                                                   x->ctl || (x->c && client_is_local(x->c))));
    case CMDID_CONFIG_RESETSTAT:
        rsp_ok(x->out); /* counters are monotonic in dpcache (Prometheus counters) */
        return CMD_DONE;
    case CMDID_CONFIG_REWRITE:
        ctx_error(x, "ERR CONFIG REWRITE is not supported by dpcache; edit the config file");
        return CMD_DONE;
    case CMDID_CONFIG_HELP: {
        static const char *const lines[] = {
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
            "RESETSTAT", "    Accepted for compatibility; dpcache counters never reset.",
            "HELP", "    Print this help.",
        };
        rsp_array(x->out, (long long)(sizeof(lines) / sizeof(lines[0])));
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
            rsp_simple(x->out, lines[i]);
        return CMD_DONE;
    }
    default: /* CONFIG alone */ ctx_error_arity(x); return CMD_DONE;
    }
}

/* ---- DBSIZE / TIME ---- */

int cmd_dbsize(struct ctx *x)
{
    uint64_t n = 0;

    if (srv.cfg.cluster_enabled) {
        struct part *p = x->w->part;
        n = __atomic_load_n(&p->dbs[part_pdb(p, x->db)].keys, __ATOMIC_RELAXED);
    } else {
        for (int i = 0; i < srv.nworkers; i++) {
            struct part *p = &srv.parts[i];
            n += __atomic_load_n(&p->dbs[part_pdb(p, x->db)].keys, __ATOMIC_RELAXED);
        }
    }
    rsp_int(x->out, (long long)n);
    return CMD_DONE;
}

int cmd_time(struct ctx *x)
{
    uint64_t us = x->w->now_us;

    rsp_array(x->out, 2);
    rsp_bulk_ll(x->out, (long long)(us / 1000000));
    rsp_bulk_ll(x->out, (long long)(us % 1000000));
    return CMD_DONE;
}

/* ---- SLOWLOG ---- */

/* __slowlog get|len|reset on one worker */
int cmd_i_slowlog(struct ctx *x)
{
    struct slowlog *sl = &x->w->slowlog;

    if (arg_is(&x->argv[1], "len")) {
        rsp_int(x->out, (long long)sl->len);
    } else if (arg_is(&x->argv[1], "reset")) {
        slowlog_reset(sl);
        rsp_ok(x->out);
    } else {
        rsp_array(x->out, (long long)sl->len);
        for (size_t i = 0; i < sl->len; i++) /* newest first */
            slowlog_reply_entry(x->out, &sl->ring[(sl->head + sl->cap - 1 - i) % sl->cap]);
    }
    return CMD_DONE;
}

struct sl_item {
    long long id;
    const char *p;
    size_t n;
};

static int sl_cmp(const void *a, const void *b)
{
    const struct sl_item *x = a, *y = b;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

static void slowlog_get_done(struct client *c, struct plan *pl)
{
    struct sl_item *items = NULL;
    size_t nitems = 0, cap = 0;
    long long want = pl->acc;

    for (int i = 0; i < pl->nsub; i++) {
        size_t n, off, e;
        const char *r = plan_reply(pl, i, &n);
        const char *crlf = memchr(r, '\r', n);
        long long cnt;
        if (!crlf || r[0] != '*' || !string2ll(r + 1, (size_t)(crlf - r - 1), &cnt))
            continue;
        off = (size_t)(crlf - r) + 2;
        for (long long k = 0; k < cnt && (e = resp_elem_len(r + off, n - off)) != 0; k++) {
            /* entry = "*6\r\n:<id>\r\n..." */
            const char *idp = memchr(r + off, ':', e);
            long long id = 0;
            if (idp) {
                const char *end = memchr(idp, '\r', e - (size_t)(idp - (r + off)));
                if (end)
                    string2ll(idp + 1, (size_t)(end - idp - 1), &id);
            }
            if (nitems == cap) {
                cap = cap ? cap * 2 : 64;
                struct sl_item *t = realloc(items, cap * sizeof(*t));
                if (!t)
                    break;
                items = t;
            }
            items[nitems++] = (struct sl_item){ id, r + off, e };
            off += e;
        }
    }
    if (nitems > 1)
        qsort(items, nitems, sizeof(*items), sl_cmp);
    if (want < 0 || (size_t)want > nitems)
        want = (long long)nitems;
    rsp_array(&c->out, want);
    for (long long i = 0; i < want; i++)
        obuf_append(&c->out, items[i].p, items[i].n);
    free(items);
    plan_end(c, pl);
}

int cmd_slowlog(struct ctx *x)
{
    static const struct rstr name = { "__slowlog", 9 };
    const struct cmd_def *sub = ctx_sub_or_reply(x);
    struct rstr argv[2] = { name, x->argv[x->argc > 1 ? 1 : 0] };

    if (!sub)
        return CMD_DONE;
    switch (sub->id) {
    case CMDID_SLOWLOG_GET: {
        long long count = 10;
        struct plan *pl;
        if (x->argc > 3) {
            ctx_errorf(x,
                       "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try "
                       "SLOWLOG HELP.",
                       (int)x->argv[1].len, x->argv[1].p);
            return CMD_DONE;
        }
        if (x->argc == 3 && arg_ll_range_or_reply(x, &x->argv[2], -1, LLONG_MAX,
                                                  "ERR count should be greater than or equal to "
                                                  "-1",
                                                  &count))
            return CMD_DONE;
        pl = plan_begin(x, slowlog_get_done);
        if (!pl)
            return CMD_DONE;
        pl->acc = count;
        for (int part = 0; part < srv.nworkers; part++)
            if (plan_add(pl, (unsigned)part, 2, argv) < 0) {
                plan_end(x->c, pl);
                ctx_error(x, ERR_OOM);
                return CMD_DONE;
            }
        return plan_run(x->c, pl);
    }
    case CMDID_SLOWLOG_LEN: return plan_broadcast(x, 2, argv, plan_merge_sum);
    case CMDID_SLOWLOG_RESET: return plan_broadcast(x, 2, argv, plan_merge_ok);
    case CMDID_SLOWLOG_HELP: {
        static const char *const lines[] = {
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Print this help.",
        };
        rsp_array(x->out, (long long)(sizeof(lines) / sizeof(lines[0])));
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
            rsp_simple(x->out, lines[i]);
        return CMD_DONE;
    }
    default: /* SLOWLOG alone */ ctx_error_arity(x); return CMD_DONE;
    }
}

/* ---- snapshots (the control plane writes them) ---- */

int cmd_save(struct ctx *x)
{
    return control_request_save(x, 0);
}

int cmd_bgsave(struct ctx *x)
{
    if (x->argc > 2 || (x->argc == 2 && !arg_is(&x->argv[1], "schedule"))) {
        ctx_error(x, ERR_SYNTAX);
        return CMD_DONE;
    }
    return control_request_save(x, 1);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0: no reply when it goes ahead
 * (the connection closes). A save (SAVE, or save rules configured and no NOSAVE) is the final
 * snapshot dpcache-control takes on SIGTERM, so it needs dpcache-control attached (FORCE: exit
 * anyway). There are no replicas to wait for: NOW changes nothing, and a shutdown in progress
 * (waiting for the final snapshot) cannot be aborted. */
int cmd_shutdown(struct ctx *x)
{
    int nosave = 0, save = 0, force = 0, abort_req = 0, now = 0;

    for (int i = 1; i < x->argc; i++) {
        if (arg_is(&x->argv[i], "nosave"))
            nosave = 1;
        else if (arg_is(&x->argv[i], "save"))
            save = 1;
        else if (arg_is(&x->argv[i], "now"))
            now = 1;
        else if (arg_is(&x->argv[i], "force"))
            force = 1;
        else if (arg_is(&x->argv[i], "abort"))
            abort_req = 1;
        else {
            ctx_error(x, ERR_SYNTAX);
            return CMD_DONE;
        }
    }
    if ((abort_req && (nosave || save || force || now)) || (nosave && save)) {
        ctx_error(x, ERR_SYNTAX);
        return CMD_DONE;
    }
    if (abort_req) {
        ctx_error(x, srv.sigterm ? "ERR The shutdown in progress cannot be aborted: "
                                   "dpcache-control is taking the final snapshot"
                                 : "ERR No shutdown in progress.");
        return CMD_DONE;
    }
    if ((save || (!nosave && srv.cfg.nsave > 0)) &&
        !__atomic_load_n(&srv.persist.control_attached, __ATOMIC_ACQUIRE)) {
        if (!force) {
            log_warn("SHUTDOWN: no dpcache-control is attached to take the final snapshot, "
                     "can't exit (SHUTDOWN NOSAVE, or FORCE, exits without one)");
            ctx_error(x, "ERR Errors trying to SHUTDOWN. Check logs.");
            return CMD_DONE;
        }
        log_warn("SHUTDOWN FORCE: exiting without the final snapshot (no dpcache-control)");
        nosave = 1;
    }
    log_notice("SHUTDOWN requested by a client%s", nosave ? " (no final snapshot)" : "");
    if (nosave || !(save || srv.cfg.nsave > 0))
        srv.shutdown = 1; /* every worker leaves its loop */
    else
        srv.sigterm = 1; /* as SIGTERM: worker 0 waits for dpcache-control's snapshot */
    x->c->flags |= CLIENT_CLOSE_AFTER_REPLY; /* no reply */
    return CMD_DONE;
}

int cmd_lastsave(struct ctx *x)
{
    rsp_int(x->out, (long long)__atomic_load_n(&srv.persist.lastsave, __ATOMIC_RELAXED));
    return CMD_DONE;
}

/* ---- DEBUG and MODULE: protected commands (the dispatcher checks enable-debug-command and
 * enable-module-command before they run) ---- */

static void reply_lines(struct ctx *x, const char *const *lines, size_t n)
{
    rsp_array(x->out, (long long)n);
    for (size_t i = 0; i < n; i++)
        rsp_simple(x->out, lines[i]);
}

/* Redis's addReplySubcommandSyntaxError: "... for 'x'. Try DEBUG HELP." (argv[0] upper-cased) */
static void subcommand_syntax_error(struct ctx *x)
{
    char cmd[CMD_NAME_MAX + 1], sub[129];
    size_t cl = x->argv[0].len < CMD_NAME_MAX ? x->argv[0].len : CMD_NAME_MAX;
    size_t sl = x->argv[1].len < 128 ? x->argv[1].len : 128;

    for (size_t i = 0; i < cl; i++)
        cmd[i] = (char)toupper((unsigned char)x->argv[0].p[i]);
    cmd[cl] = '\0';
    memcpy(sub, x->argv[1].p, sl);
    sub[sl] = '\0'; /* "%.128s" of a C string: up to a NUL */
    ctx_errorf(x, "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.", sub,
               cmd);
}

/* DEBUG HELP | SLEEP <seconds> | LOG <message>: the subcommands of Redis's DEBUG that mean
 * something here, with Redis's replies; the others are unknown subcommands. */
int cmd_debug(struct ctx *x)
{
    static const char *const help[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOG <message>",
        "    Write <message> to the server log.",
        "SLEEP <seconds>",
        "    Stop this worker (and its clients) for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    };

    if (x->argc == 2 && arg_is(&x->argv[1], "help")) {
        reply_lines(x, help, sizeof(help) / sizeof(help[0]));
    } else if (x->argc == 3 && arg_is(&x->argv[1], "sleep")) {
        char num[64];
        size_t n = x->argv[2].len < sizeof(num) - 1 ? x->argv[2].len : sizeof(num) - 1;
        double secs;
        memcpy(num, x->argv[2].p, n);
        num[n] = '\0';
        secs = strtod(num, NULL); /* as Redis: no number is 0, a negative time no sleep */
        if (secs > 0) {
            double us = secs < 9.2e12 ? secs * 1e6 : 9.2e18;
            struct timespec ts = { (time_t)(us / 1e6), (long)((long long)us % 1000000) * 1000 };
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ; /* interrupted: the rest */
        }
        rsp_ok(x->out);
    } else if (x->argc == 3 && arg_is(&x->argv[1], "log")) {
        char msg[1024];
        size_t n = x->argv[2].len < sizeof(msg) - 1 ? x->argv[2].len : sizeof(msg) - 1;
        for (size_t i = 0; i < n; i++) /* one log line, whatever the client sent */
            msg[i] = (x->argv[2].p[i] == '\r' || x->argv[2].p[i] == '\n') ? ' ' : x->argv[2].p[i];
        msg[n] = '\0';
        log_warn("DEBUG LOG: %s", msg);
        rsp_ok(x->out);
    } else {
        subcommand_syntax_error(x);
    }
    return CMD_DONE;
}

/* MODULE: dpcache loads no Redis modules. LIST is empty; LOAD/LOADEX fail as Redis fails to
 * load a module (the reason in the log), UNLOAD finds none. */
int cmd_module(struct ctx *x)
{
    static const char *const help[] = {
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and "
        "optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
        "HELP",
        "    Prints this help.",
    };
    const struct cmd_def *sub = ctx_sub_or_reply(x);

    if (!sub)
        return CMD_DONE;
    switch (sub->id) {
    case CMDID_MODULE_HELP: reply_lines(x, help, sizeof(help) / sizeof(help[0])); break;
    case CMDID_MODULE_LIST: rsp_array(x->out, 0); break;
    case CMDID_MODULE_LOAD:
    case CMDID_MODULE_LOADEX:
        log_warn("Module %.*s failed to load: dpcache does not load Redis modules",
                 (int)(x->argv[2].len < 512 ? x->argv[2].len : 512), x->argv[2].p);
        ctx_error(x, "ERR Error loading the extension. Please check the server logs.");
        break;
    case CMDID_MODULE_UNLOAD:
        ctx_error(x, "ERR Error unloading module: no such module with that name");
        break;
    default: /* MODULE alone */ ctx_error_arity(x); break;
    }
    return CMD_DONE;
}
