/*
 * udp.c - UDP RESP framing and pseudo-clients (see udp.h).
 */
#include "udp.h"

#include "../resp/compose.h"
#include "client.h"
#include "server.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

/* Recycled pseudo-clients, linked through their dnode (never on w->dirty while pooled). */
struct udp_pool {
    struct client *free[UDP_CLIENTS_MAX];
    unsigned nfree;
    unsigned live;
};

static __thread struct udp_pool *pool;

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int udp_hdr_parse(const uint8_t *d, size_t len, struct udp_hdr *h)
{
    if (len < UDP_HDR_LEN)
        return -1;
    h->req_id = rd16(d);
    h->seq = rd16(d + 2);
    h->total = rd16(d + 4);
    h->reserved = rd16(d + 6);
    return (h->seq == 0 && h->total == 1 && h->reserved == 0) ? 0 : -1;
}

void udp_hdr_write(uint8_t *d, const struct udp_hdr *h)
{
    wr16(d, h->req_id);
    wr16(d + 2, h->seq);
    wr16(d + 4, h->total);
    wr16(d + 6, h->reserved);
}

static struct client *acquire(struct worker *w)
{
    struct client *c;

    if (!pool) {
        pool = calloc(1, sizeof(*pool));
        if (!pool)
            return NULL;
    }
    if (pool->nfree)
        return pool->free[--pool->nfree];
    if (pool->live >= UDP_CLIENTS_MAX)
        return NULL;
    c = client_new(w, NULL, "", "", 1);
    if (!c)
        return NULL;
    /* pseudo-clients are not connections */
    stat_add(w, connected_clients, (uint64_t)-1);
    stat_add(w, connections_received, (uint64_t)-1);
    c->flags |= CLIENT_UDP;
    pool->live++;
    return c;
}

void udp_done(struct client *c)
{
    const char *pass = __atomic_load_n(&srv.cfg.requirepass, __ATOMIC_ACQUIRE);

    if (c->flags & CLIENT_DIRTY) {
        cds_list_del(&c->dnode);
        c->flags &= ~CLIENT_DIRTY;
    }
    obuf_reset(&c->out);
    c->in.len = c->in.pos = 0;
    resp_parser_next(&c->ps);
    c->flags = CLIENT_UDP | CLIENT_LOCAL | ((pass && pass[0]) ? 0 : CLIENT_AUTHED);
    c->db = 0;
    c->proto = 2;
    free(c->name);
    c->name = NULL;
    c->sctx = NULL;
    if (pool && pool->nfree < UDP_CLIENTS_MAX) {
        pool->free[pool->nfree++] = c;
    } else {
        if (pool)
            pool->live--;
        client_release(c);
    }
}

struct client *udp_request(struct worker *w, const uint8_t *d, size_t len, void *peer)
{
    struct udp_hdr h;
    struct client *c;
    size_t room;
    char *space;

    if (udp_hdr_parse(d, len, &h) || len == UDP_HDR_LEN) {
        stat_add(w, udp_dropped, 1);
        return NULL;
    }
    c = acquire(w);
    if (!c) {
        stat_add(w, udp_dropped, 1);
        return NULL;
    }
    c->sctx = peer;
    c->udp_req = h.req_id;
    space = client_in_space(c, &room);
    if (!space || room < len - UDP_HDR_LEN) {
        size_t need = len - UDP_HDR_LEN;
        char *b = realloc(c->in.data, need);
        if (!b) {
            udp_done(c);
            stat_add(w, udp_dropped, 1);
            return NULL;
        }
        c->in.data = b;
        c->in.cap = need;
        space = b;
    }
    memcpy(space, d + UDP_HDR_LEN, len - UDP_HDR_LEN);
    client_in_commit(c, len - UDP_HDR_LEN);
    stat_add(w, udp_requests, 1);
    client_input(c);
    if (c->pending == 0 && c->in.pos != c->in.len) {
        /* an incomplete command: a request is one whole datagram */
        rsp_error(&c->out, "ERR incomplete request: a UDP request must hold whole commands");
    }
    return c;
}

void udp_reply_prepare(struct client *c, size_t payload)
{
    if (udp_reply_datagrams(c, payload) > UDP_DATAGRAMS_MAX) {
        obuf_reset(&c->out);
        rsp_error(&c->out, "ERR reply too large for UDP: use TCP");
    }
}

unsigned udp_reply_datagrams(const struct client *c, size_t payload)
{
    size_t n = obuf_len(&c->out);

    if (n <= payload) /* nearly every reply: no division */
        return 1;
    return (unsigned)((n + payload - 1) / payload);
}

size_t udp_reply_build(const struct client *c, unsigned seq, size_t payload, uint8_t *buf)
{
    struct udp_hdr h = { c->udp_req, (uint16_t)seq,
                         (uint16_t)udp_reply_datagrams(c, payload), 0 };
    size_t n = obuf_copy_out(&c->out, (size_t)seq * payload, buf + UDP_HDR_LEN, payload);

    udp_hdr_write(buf, &h);
    return UDP_HDR_LEN + n;
}

void udp_pool_free(struct worker *w)
{
    (void)w;
    if (!pool)
        return;
    while (pool->nfree)
        client_release(pool->free[--pool->nfree]);
    free(pool);
    pool = NULL;
}
