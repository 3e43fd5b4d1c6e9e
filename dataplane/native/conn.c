/*
 * conn.c - the native stack's glue between a TCP connection (tcp.h) and an engine client
 * (client.h): the struct tcp_app_ops dpcache's TCP calls, and what a core does with the
 * clients the engine marked dirty (send output, close, resume reading).
 */
#include "conn.h"

#include "../engine/client.h"
#include "../engine/udp.h"
#include "../engine/worker.h"
#include "net.h"
#include "tcp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void addr_str(uint32_t ip, uint16_t port, char *buf, size_t len)
{
    struct in_addr a = { ip };
    char s[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, s, sizeof(s));
    snprintf(buf, len, "%s:%u", s, (unsigned)ntohs(port));
}

static void *app_accept(void *arg, struct tcp_conn *tc)
{
    struct net_core *nc = arg;
    uint32_t la, ra;
    uint16_t lp, rp;
    char ls[64], rs[64];
    const char *refuse;
    struct client *c;
    int local;

    tcp_conn_addrs(tc, &la, &lp, &ra, &rp);
    addr_str(la, lp, ls, sizeof(ls));
    addr_str(ra, rp, rs, sizeof(rs));
    local = (ntohl(ra) >> 24) == 127 || (net.local_peer && ra == net.local_peer);
    c = client_new(nc->w, tc, ls, rs, local);
    if (!c)
        return NULL;
    if (lp == htons((uint16_t)(net.core_port_base + nc->queue)) && net.core_port_base)
        c->flags |= CLIENT_CORE_PORT;
    refuse = client_refuse_reason(nc->w, local);
    if (refuse) { /* answer the error, then close (as redis-server does) */
        stat_add(nc->w, rejected_connections, 1);
        obuf_append(&c->out, refuse, strlen(refuse));
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        client_mark_dirty(c);
    }
    return c;
}

static size_t app_recv(void *ctx, const uint8_t *data, size_t len)
{
    struct client *c = ctx;
    size_t taken = 0;

    while (taken < len) {
        size_t room, n;
        char *space = client_in_space(c, &room);
        if (!space)
            break;
        n = len - taken < room ? len - taken : room;
        memcpy(space, data + taken, n);
        client_in_commit(c, n);
        taken += n;
    }
    if (taken)
        client_input(c);
    return taken;
}

static void app_peer_fin(void *ctx)
{
    struct client *c = ctx;

    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    client_mark_dirty(c);
}

static size_t app_out_len(void *ctx)
{
    return obuf_len(&((struct client *)ctx)->out);
}

static size_t app_out_peek(void *ctx, size_t off, const uint8_t **p)
{
    return obuf_peek(&((struct client *)ctx)->out, off, p);
}

static void app_out_acked(void *ctx, size_t n)
{
    struct client *c = ctx;

    client_output_sent(c, n);
    if (obuf_len(&c->out) || (c->flags & CLIENT_CLOSE_AFTER_REPLY))
        client_mark_dirty(c);
}

static void app_closed(void *ctx)
{
    struct client *c = ctx;

    c->sctx = NULL;
    client_release(c);
}

const struct tcp_app_ops conn_app_ops = {
    .accept = app_accept,
    .recv = app_recv,
    .peer_fin = app_peer_fin,
    .out_len = app_out_len,
    .out_peek = app_out_peek,
    .out_acked = app_out_acked,
    .closed = app_closed,
};

void conn_drain_dirty(struct net_core *nc)
{
    struct worker *w = nc->w;

    while (!cds_list_empty(&w->dirty)) {
        struct client *c = cds_list_first_entry(&w->dirty, struct client, dnode);
        struct tcp_conn *tc = c->sctx;
        cds_list_del(&c->dnode);
        c->flags &= ~CLIENT_DIRTY;
        if (c->flags & CLIENT_UDP) {
            if (!c->pending)
                net_udp_reply(nc, c, NULL);
            continue;
        }
        if (!tc)
            continue;
        if (c->flags & CLIENT_CLOSE_ASAP) {
            tcp_conn_abort(tc);
            c->sctx = NULL;
            client_release(c);
            continue;
        }
        if (obuf_len(&c->out))
            tcp_conn_output(tc);
        if ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && !c->pending &&
            !(c->flags & CLIENT_CLOSING)) {
            c->flags |= CLIENT_CLOSING;
            tcp_conn_close(tc); /* after the queued output: FIN */
            continue;
        }
        if (!c->pending && !(c->flags & (CLIENT_PAUSED | CLIENT_CLOSING)))
            tcp_conn_recv_resume(tc);
    }
}
