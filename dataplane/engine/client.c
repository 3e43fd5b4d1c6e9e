/*
 * client.c - client lifecycle, input buffering and the parse/run loop (see client.h).
 */
#include "client.h"

#include "../core/limits.h"
#include "../core/log.h"
#include "../store/part.h"
#include "cmd.h"
#include "dispatch.h"
#include "plan.h"
#include "server.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#define IBUF_INITIAL   16384
#define IBUF_MIN_READ  4096
#define IBUF_KEEP_IDLE 32768 /* larger idle buffers are released */

static int password_set(void)
{
    const char *p = __atomic_load_n(&srv.cfg.requirepass, __ATOMIC_ACQUIRE);
    return p && p[0];
}

static int need_auth(const struct client *c)
{
    return !(c->flags & CLIENT_AUTHED) && password_set();
}

const char *client_refuse_reason(struct worker *w, int local)
{
    uint64_t total = 0;

    for (int i = 0; i < srv.nworkers; i++)
        total += stat_get(srv.workers[i], connected_clients);
    (void)w;
    if ((long long)total >= srv.cfg.maxclients)
        return "-ERR max number of clients reached\r\n";
    if (srv.cfg.protected_mode && !local && !password_set())
        return "-DENIED Redis is running in protected mode because protected mode is enabled and "
               "no password is set for the default user. In this mode connections are only "
               "accepted from the loopback interface. If you want to connect from external "
               "computers to Redis you may adopt one of the following solutions: 1) Just disable "
               "protected mode sending the command 'CONFIG SET protected-mode no' from the "
               "loopback interface by connecting to Redis from the same host the server is "
               "running, however MAKE SURE Redis is not publicly accessible from internet if you "
               "do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can "
               "just disable the protected mode by editing the Redis configuration file, and "
               "setting the protected mode option to 'no', and then restarting the server. 3) If "
               "you started the server manually just for testing, restart it with the "
               "'--protected-mode no' option. 4) Setup a an authentication password for the "
               "default user. NOTE: You only need to do one of the above things in order for the "
               "server to start accepting connections from the outside.\r\n";
    return NULL;
}

int client_is_local(const struct client *c)
{
    const char *colon = strrchr(c->raddr, ':'); /* "ip:port", "::1:port" */
    size_t n = colon ? (size_t)(colon - c->raddr) : 0;

    if (c->flags & CLIENT_UDP)
        return 0;
    return (n == 9 && memcmp(c->raddr, "127.0.0.1", 9) == 0) ||
           (n == 3 && memcmp(c->raddr, "::1", 3) == 0);
}

struct client *client_new(struct worker *w, void *sctx, const char *laddr, const char *raddr,
                          int local)
{
    struct client *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->id = __atomic_add_fetch(&srv.next_client_id, 1, __ATOMIC_RELAXED);
    c->w = w;
    c->proto = 2;
    c->last_cmd = -1;
    c->sctx = sctx;
    c->fd = -1;
    if (!password_set())
        c->flags |= CLIENT_AUTHED;
    if (local)
        c->flags |= CLIENT_LOCAL;
    resp_parser_init(&c->ps);
    obuf_init(&c->out, &w->opool);
    snprintf(c->laddr, sizeof(c->laddr), "%s", laddr ? laddr : "");
    snprintf(c->raddr, sizeof(c->raddr), "%s", raddr ? raddr : "");
    c->ctime_ms = c->last_ms = w->now_ms;
    CDS_INIT_LIST_HEAD(&c->dnode);
    cds_list_add_tail(&c->node, &w->clients);
    stat_add(w, connected_clients, 1);
    stat_add(w, connections_received, 1);
    return c;
}

static void client_free(struct client *c)
{
    struct worker *w = c->w;

    if (c->flags & CLIENT_DIRTY)
        cds_list_del(&c->dnode);
    cds_list_del(&c->node);
    stat_add(w, connected_clients, (uint64_t)-1);
    obuf_reset(&c->out);
    resp_parser_free(&c->ps);
    free(c->in.data);
    if (c->fwd) {
        obuf_reset(&c->fwd->reply);
        free(c->fwd);
    }
    plan_free(c->plan);
    free(c->fargv);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

void client_release(struct client *c)
{
    c->sctx = NULL;
    if (c->pending) {
        c->flags |= CLIENT_ZOMBIE;
        if (c->flags & CLIENT_DIRTY) {
            cds_list_del(&c->dnode);
            c->flags &= ~CLIENT_DIRTY;
        }
        return;
    }
    client_free(c);
}

void client_mark_dirty(struct client *c)
{
    if (c->flags & (CLIENT_DIRTY | CLIENT_ZOMBIE))
        return;
    c->flags |= CLIENT_DIRTY;
    cds_list_add_tail(&c->dnode, &c->w->dirty);
}

static void ibuf_compact(struct client *c)
{
    struct ibuf *b = &c->in;

    if (c->pending)
        return;
    if (b->pos == b->len) {
        b->pos = b->len = 0;
        if (b->cap > IBUF_KEEP_IDLE) {
            free(b->data);
            b->data = NULL;
            b->cap = 0;
        }
    } else if (b->pos) {
        memmove(b->data, b->data + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
    }
}

char *client_in_space(struct client *c, size_t *room)
{
    struct ibuf *b = &c->in;
    size_t limit = (size_t)srv.cfg.client_query_buffer_limit, want;
    char *d;

    *room = 0;
    if (c->flags & (CLIENT_ZOMBIE | CLIENT_CLOSE_ASAP))
        return NULL;
    if (b->cap - b->len >= IBUF_MIN_READ || (c->pending && b->cap > b->len)) {
        *room = b->cap - b->len;
        return b->data + b->len;
    }
    if (c->pending)
        return NULL; /* suspended: arguments point into the buffer */
    ibuf_compact(c);
    if (b->cap - b->len >= IBUF_MIN_READ) {
        *room = b->cap - b->len;
        return b->data + b->len;
    }
    if (b->len >= limit) {
        log_warn("Closing client that reached max query buffer length: id=%llu addr=%s "
                 "(qbuf initial bytes: %zu)",
                 (unsigned long long)c->id, c->raddr, b->len);
        c->flags |= CLIENT_CLOSE_ASAP;
        client_mark_dirty(c);
        return NULL;
    }
    want = b->cap ? b->cap * 2 : IBUF_INITIAL;
    if (want > limit + IBUF_MIN_READ)
        want = limit + IBUF_MIN_READ;
    d = realloc(b->data, want);
    if (!d) {
        c->flags |= CLIENT_CLOSE_ASAP;
        client_mark_dirty(c);
        return NULL;
    }
    b->data = d;
    b->cap = want;
    *room = b->cap - b->len;
    return b->data + b->len;
}

void client_in_commit(struct client *c, size_t n)
{
    c->in.len += n;
    stat_add(c->w, net_input_bytes, n);
}

static void protocol_error(struct client *c)
{
    char msg[128], sample[64];
    size_t n = c->in.len - c->in.pos, i;
    struct ctx x = { .w = c->w, .c = c, .out = &c->out };

    resp_err_text(&c->ps, msg, sizeof(msg));
    ctx_error(&x, msg);
    if (n > sizeof(sample) - 1)
        n = sizeof(sample) - 1;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c->in.data[c->in.pos + i];
        sample[i] = (ch >= 32 && ch < 127) ? (char)ch : '.';
    }
    sample[i] = '\0';
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s. Query buffer during protocol "
                "error: '%s'",
                msg + 20, (unsigned long long)c->id, c->raddr, sample);
    stat_add(c->w, protocol_errors, 1);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void check_output_limits(struct client *c)
{
    size_t ol = obuf_len(&c->out);
    long long hard = srv.cfg.obuf_hard_limit, soft = srv.cfg.obuf_soft_limit;
    int over = 0;

    if (need_auth(c) && ol > OBUF_UNAUTH_LIMIT)
        over = 1;
    if (hard > 0 && ol > (size_t)hard)
        over = 1;
    if (soft > 0 && ol > (size_t)soft) {
        if (!c->obuf_soft_since)
            c->obuf_soft_since = c->w->now_ms;
        else if ((long long)(c->w->now_ms - c->obuf_soft_since) / 1000 >= srv.cfg.obuf_soft_seconds)
            over = 1;
    } else {
        c->obuf_soft_since = 0;
    }
    if (over && !(c->flags & CLIENT_CLOSE_ASAP)) {
        log_warn("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output "
                 "buffer limits.",
                 (unsigned long long)c->id, c->raddr);
        c->flags |= CLIENT_CLOSE_ASAP;
    }
}

void client_input(struct client *c)
{
    struct worker *w = c->w;

    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY | CLIENT_ZOMBIE))
        return;
    c->last_ms = w->now_ms;
    c->ps.max_bulk = srv.cfg.proto_max_bulk_len;
    c->ps.unauth = need_auth(c);
    w->tsc_mark = rte_rdtsc(); /* the first command's time starts with its parsing */
    for (int ran = 0; c->pending == 0; ran++) {
        enum dispatch_result r;
        uint64_t mark;
        int rc, inl;

        if (ran % PREFETCH_AHEAD == 0 && c->in.len - c->in.pos > 64)
            dispatch_prefetch(c);

        if (obuf_len(&c->out) >= OBUF_PAUSE_BYTES && !(c->fwd && c->fwd->ncmd)) {
            c->flags |= CLIENT_PAUSED;
            break;
        }
        rc = resp_parse(&c->ps, c->in.data + c->in.pos, c->in.len - c->in.pos);
        if (rc == RESP_EUNFIN)
            break;
        if (rc != RESP_OK) {
            if (c->fwd && c->fwd->ncmd) { /* earlier commands first */
                resp_parser_next(&c->ps);
                break;
            }
            if (rc == RESP_EPROTO)
                protocol_error(c);
            else
                c->flags |= CLIENT_CLOSE_ASAP;
            break;
        }
        if (c->ps.argc == 0) {
            c->in.pos += c->ps.cmdlen;
            resp_parser_next(&c->ps);
            continue;
        }
        mark = w->tsc_mark;
        r = dispatch_command(c, c->ps.argc, c->ps.argv);
        if (w->tsc_mark == mark) /* nothing was timed (rejected, forwarded): restart */
            w->tsc_mark = rte_rdtsc();
        if (r == DISPATCH_DEFER) {
            resp_parser_next(&c->ps);
            break;
        }
        c->ncmds++;
        c->in.pos += c->ps.cmdlen;
        /* An inline command's arguments live in the parser's own buffer, which the next
         * parse overwrites: a forwarded inline command closes its batch. */
        inl = c->ps.inline_cmd;
        resp_parser_next(&c->ps);
        if ((r == DISPATCH_BATCHED && inl) || r == DISPATCH_SUSPENDED ||
            (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
            break;
        c->ps.unauth = need_auth(c);
    }
    w->tsc_mark = 0;
    dispatch_flush_batch(c);
    part_memo_clear(w->part, c); /* its keys point into the input buffer */
    ibuf_compact(c);
    check_output_limits(c);
    if (obuf_len(&c->out) || (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
        client_mark_dirty(c);
}

void client_output_sent(struct client *c, size_t n)
{
    obuf_consume(&c->out, n);
    stat_add(c->w, net_output_bytes, n);
    if ((c->flags & CLIENT_PAUSED) && obuf_len(&c->out) < OBUF_PAUSE_BYTES / 2) {
        c->flags &= ~CLIENT_PAUSED;
        if (c->in.pos < c->in.len)
            client_input(c);
    }
}

size_t client_info_line(const struct client *c, char *buf, size_t len)
{
    const struct worker *w = c->w;
    char flags[8];
    int fl = 0;
    int n;
    /* lib-name/lib-ver are Redis 7.2's: shown once the client sent CLIENT SETINFO, so that
     * other clients see Redis 7.0's line exactly */
    int lib = c->lib_name || c->lib_ver;

    if (c->flags & CLIENT_READONLY)
        flags[fl++] = 'r';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
        flags[fl++] = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP)
        flags[fl++] = 'A';
    if (fl == 0)
        flags[fl++] = 'N';
    flags[fl] = '\0';
    n = snprintf(buf, len,
                 "id=%llu addr=%s laddr=%s fd=%d name=%s age=%llu idle=%llu flags=%s db=%d sub=0 "
                 "psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu "
                 "rbp=0 obl=0 oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 "
                 "resp=%d%s%s%s%s\n",
                 (unsigned long long)c->id, c->raddr, c->laddr, c->fd, c->name ? c->name : "",
                 (unsigned long long)((w->now_ms - c->ctime_ms) / 1000),
                 (unsigned long long)((w->now_ms - c->last_ms) / 1000), flags, c->db,
                 c->in.len - c->in.pos, c->in.cap - c->in.len, c->in.cap, obuf_len(&c->out),
                 sizeof(*c) + c->in.cap + obuf_len(&c->out),
                 c->last_cmd >= 0 ? cmd_defs[c->last_cmd].name : "NULL", c->proto,
                 lib ? " lib-name=" : "", lib && c->lib_name ? c->lib_name : "",
                 lib ? " lib-ver=" : "", lib && c->lib_ver ? c->lib_ver : "");
    return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}
