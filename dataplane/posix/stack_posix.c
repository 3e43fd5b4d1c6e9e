/*
 * stack_posix.c - kernel-socket stack driving the engine (see stack_posix.h).
 */
#include "stack_posix.h"

#include "../core/log.h"
#include "../engine/client.h"
#include "../engine/dispatch.h"
#include "../engine/server.h"
#include "../engine/snapshot.h"
#include "../engine/telemetry.h"
#include "../engine/udp.h"
#include "../engine/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#define MAX_EVENTS      256
#define MAX_LISTENERS   32
#define READ_BUDGET     (256 * 1024) /* bytes read from one socket per event: fairness */
#define IOV_MAX_WRITE   64
#define UDP_BATCH       16
#define UDP_DGRAM_MAX   65536
#define UDP_PAYLOAD     1400

enum pfd_type { PFD_TCP_LISTEN, PFD_UDP, PFD_CONN, PFD_EVENT };

struct pfd {
    enum pfd_type type;
    int fd;
    int core_port;      /* listener of the worker's own port */
    uint32_t events;    /* epoll interest */
    struct client *c;
};

struct pstack {
    int ep;
    struct pfd ev;
    struct pfd lst[MAX_LISTENERS];
    int nlst;
    int closed_listeners; /* SIGTERM: TCP listeners closed */
    uint8_t *dgram;     /* UDP_BATCH x UDP_DGRAM_MAX receive buffers */
    int svc_udp_fd;     /* this worker's UDP socket on the service port (-1: none) */
    uint8_t out[UDP_HDR_LEN + UDP_PAYLOAD];
    uint64_t last_cron_ms;
};

struct udp_peer {
    int fd;
    socklen_t len;
    struct sockaddr_storage sa;
    int has_dst;         /* reply from @dst (udp-reply-from-service-port) */
    struct in_addr dst;  /* the address the request was sent to */
};

static void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    }
    snprintf(buf, len, "%s:%d", ip, port);
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
    }
    return 0;
}

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (!strcmp(host, "*") || !strcmp(host, "0.0.0.0")) {
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        s4->sin_port = htons((uint16_t)port);
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = sizeof(*s4);
        return 0;
    }
    if (!strcmp(host, "::*"))
        host = "::";
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*s6);
        return 0;
    }
    return -1;
}

/* One listening socket; -1 with errno on failure. */
static int open_socket(const struct sockaddr_storage *ss, socklen_t len, int udp, int reuseport)
{
    int one = 1;
    int fd = socket(ss->ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (udp && ss->ss_family == AF_INET && srv.cfg.udp_reply_from_service)
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss, len) < 0 ||
        (!udp && listen(fd, (int)srv.cfg.tcp_backlog) < 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int ep_add(struct pstack *ps, struct pfd *p, uint32_t ev)
{
    struct epoll_event e = { .events = ev, .data.ptr = p };

    p->events = ev;
    return epoll_ctl(ps->ep, EPOLL_CTL_ADD, p->fd, &e);
}

static int add_listener(struct pstack *ps, const char *host, int port, int udp, int reuseport,
                        int core_port, int optional)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct pfd *p;
    int fd;

    if (ps->nlst == MAX_LISTENERS) {
        log_fatal("too many listening sockets (at most %d)", MAX_LISTENERS);
        return -1;
    }
    if (parse_addr(host, port, &ss, &len)) {
        log_fatal("bind: '%s' is not an IPv4 or IPv6 address", host);
        return -1;
    }
    fd = open_socket(&ss, len, udp, reuseport);
    if (fd < 0) {
        if (optional)
            return 0;
        log_fatal("Could not create server %s listening socket %s:%d: %s", udp ? "UDP" : "TCP",
                  host, port, strerror(errno));
        return -1;
    }
    p = &ps->lst[ps->nlst++];
    p->type = udp ? PFD_UDP : PFD_TCP_LISTEN;
    if (udp && !core_port && ps->svc_udp_fd < 0 && ss.ss_family == AF_INET)
        ps->svc_udp_fd = fd;
    p->fd = fd;
    p->core_port = core_port;
    return ep_add(ps, p, EPOLLIN);
}

/* Listeners of worker @w: the shared port (all workers, SO_REUSEPORT) and its own core port.
 * In cluster mode the worker is a cluster node and listens on its core port only. */
static int open_listeners(struct worker *w, struct pstack *ps)
{
    char *binds = strdup(srv.cfg.bind), *save = NULL, *h;
    int rc = 0;

    if (!binds)
        return -1;
    for (h = strtok_r(binds, " ", &save); h && !rc; h = strtok_r(NULL, " ", &save)) {
        int optional = h[0] == '-';
        const char *host = optional ? h + 1 : h;
        int core = srv.core_port_base + (int)w->id;
        if (!srv.cfg.cluster_enabled && srv.cfg.port) {
            rc = add_listener(ps, host, (int)srv.cfg.port, 0, 1, 0, optional);
            if (!rc && srv.cfg.udp)
                rc = add_listener(ps, host, (int)srv.cfg.port, 1, 1, 0, optional);
        }
        if (!rc && srv.core_port_base > 0 && core <= 65535) {
            rc = add_listener(ps, host, core, 0, 0, 1, optional);
            if (!rc && srv.cfg.udp)
                rc = add_listener(ps, host, core, 1, 0, 1, optional);
        }
    }
    free(binds);
    return rc;
}

static void set_interest(struct pstack *ps, struct pfd *p, uint32_t ev)
{
    struct epoll_event e = { .events = ev, .data.ptr = p };

    if (p->events == ev)
        return;
    p->events = ev;
    epoll_ctl(ps->ep, EPOLL_CTL_MOD, p->fd, &e);
}

static void conn_close(struct pstack *ps, struct pfd *p)
{
    epoll_ctl(ps->ep, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    if (p->c)
        client_release(p->c);
    free(p);
}

/* Write what we can. Returns 0, or -1 if the connection is dead. */
static int conn_flush(struct pfd *p)
{
    struct client *c = p->c;

    while (obuf_len(&c->out)) {
        struct iovec iov[IOV_MAX_WRITE];
        int n = obuf_iov(&c->out, iov, IOV_MAX_WRITE);
        ssize_t w = writev(p->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return -1;
        }
        client_output_sent(c, (size_t)w);
    }
    return 0;
}

/* Interest, after any change: read while the engine can take input, write while blocked. */
static void conn_update(struct pstack *ps, struct pfd *p)
{
    struct client *c = p->c;
    uint32_t ev = EPOLLRDHUP;

    if (!c->pending && !(c->flags & (CLIENT_PAUSED | CLIENT_CLOSE_AFTER_REPLY)))
        ev |= EPOLLIN;
    if (obuf_len(&c->out))
        ev |= EPOLLOUT;
    set_interest(ps, p, ev);
}

/* Flush and maybe close; returns 1 if the connection was closed. */
static int conn_settle(struct pstack *ps, struct pfd *p)
{
    struct client *c = p->c;

    if (!(c->flags & CLIENT_CLOSE_ASAP) && conn_flush(p) < 0)
        c->flags |= CLIENT_CLOSE_ASAP;
    if ((c->flags & CLIENT_CLOSE_ASAP) ||
        ((c->flags & CLIENT_CLOSE_AFTER_REPLY) && obuf_len(&c->out) == 0)) {
        conn_close(ps, p);
        return 1;
    }
    conn_update(ps, p);
    return 0;
}

static void conn_read(struct pstack *ps, struct pfd *p)
{
    struct client *c = p->c;
    size_t budget = READ_BUDGET;
    int eof = 0;

    while (budget) {
        size_t room;
        char *space = client_in_space(c, &room);
        ssize_t n;
        if (!space)
            break;
        if (room > budget)
            room = budget;
        n = read(p->fd, space, room);
        if (n > 0) {
            client_in_commit(c, (size_t)n);
            budget -= (size_t)n;
            if ((size_t)n < room)
                break;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            eof = 1; /* answer what arrived before the end, then close */
            break;
        }
        if (errno != EINTR)
            break;
    }
    client_input(c);
    if (c->flags & CLIENT_DIRTY) { /* handled now rather than at the end of the iteration */
        cds_list_del(&c->dnode);
        c->flags &= ~CLIENT_DIRTY;
    }
    if (eof) {
        conn_flush(p);
        conn_close(ps, p);
        return;
    }
    conn_settle(ps, p);
}

static void do_accept(struct worker *w, struct pstack *ps, struct pfd *l)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage peer, local;
        socklen_t pl = sizeof(peer), ll = sizeof(local);
        char pa[64], la[64];
        const char *refuse;
        int one = 1, fd;
        struct pfd *p;
        struct client *c;

        fd = accept4(l->fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                log_warn("Accepting client connection: %s", strerror(errno));
            return;
        }
        refuse = client_refuse_reason(w, is_loopback((struct sockaddr *)&peer));
        if (refuse) {
            if (write(fd, refuse, strlen(refuse)) < 0) {
                /* the client is refused anyway */
            }
            close(fd);
            stat_add(w, rejected_connections, 1);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (srv.cfg.tcp_keepalive > 0) {
            int idle = (int)srv.cfg.tcp_keepalive, intvl = idle / 3 ? idle / 3 : 1, cnt = 3;
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
        }
        getsockname(fd, (struct sockaddr *)&local, &ll);
        addr_str((struct sockaddr *)&peer, pa, sizeof(pa));
        addr_str((struct sockaddr *)&local, la, sizeof(la));
        p = calloc(1, sizeof(*p));
        c = p ? client_new(w, p, la, pa, is_loopback((struct sockaddr *)&peer)) : NULL;
        if (!c) {
            free(p);
            close(fd);
            continue;
        }
        c->fd = fd;
        if (l->core_port)
            c->flags |= CLIENT_CORE_PORT;
        p->type = PFD_CONN;
        p->fd = fd;
        p->c = c;
        if (ep_add(ps, p, EPOLLIN | EPOLLRDHUP) < 0) {
            client_release(c);
            close(fd);
            free(p);
        }
    }
}

static void udp_send_reply(struct pstack *ps, struct client *c)
{
    struct udp_peer *peer = c->sctx;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } ctl;
    struct iovec iov;
    struct msghdr mh;
    unsigned n;

    udp_reply_prepare(c, UDP_PAYLOAD);
    n = udp_reply_datagrams(c, UDP_PAYLOAD);
    memset(&mh, 0, sizeof(mh));
    if (peer) {
        mh.msg_name = &peer->sa;
        mh.msg_namelen = peer->len;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
    }
    if (peer && peer->has_dst) {
        /* direct server return: from the service port and the address the client used */
        struct in_pktinfo *pi;
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        ctl.h.cmsg_level = IPPROTO_IP;
        ctl.h.cmsg_type = IP_PKTINFO;
        ctl.h.cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        pi = (struct in_pktinfo *)CMSG_DATA(&ctl.h);
        pi->ipi_spec_dst = peer->dst;
    }
    for (unsigned seq = 0; peer && seq < n; seq++) {
        iov.iov_base = ps->out;
        iov.iov_len = udp_reply_build(c, seq, UDP_PAYLOAD, ps->out);
        if (sendmsg(peer->fd, &mh, MSG_DONTWAIT) < 0)
            break; /* UDP: the client retries */
    }
    free(peer);
    udp_done(c);
}

static void udp_read(struct worker *w, struct pstack *ps, struct pfd *l)
{
    struct mmsghdr msgs[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct sockaddr_storage from[UDP_BATCH];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } ctl[UDP_BATCH];
    int dsr = srv.cfg.udp_reply_from_service && l->core_port && ps->svc_udp_fd >= 0;
    int n;

    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < UDP_BATCH; i++) {
        iov[i].iov_base = ps->dgram + (size_t)i * UDP_DGRAM_MAX;
        iov[i].iov_len = UDP_DGRAM_MAX;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
        if (dsr) {
            msgs[i].msg_hdr.msg_control = ctl[i].buf;
            msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
        }
    }
    n = recvmmsg(l->fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
        struct udp_peer *peer = malloc(sizeof(*peer));
        struct client *c;
        if (!peer) {
            stat_add(w, udp_dropped, 1);
            continue;
        }
        peer->fd = l->fd;
        peer->len = msgs[i].msg_hdr.msg_namelen;
        peer->has_dst = 0;
        memcpy(&peer->sa, &from[i], peer->len);
        if (dsr) {
            struct cmsghdr *cm;
            for (cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm))
                if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                    const struct in_pktinfo *pi = (const struct in_pktinfo *)CMSG_DATA(cm);
                    peer->dst = pi->ipi_addr;
                    peer->has_dst = 1;
                    peer->fd = ps->svc_udp_fd;
                }
        }
        c = udp_request(w, iov[i].iov_base, msgs[i].msg_len, peer);
        if (!c) {
            free(peer);
            continue;
        }
        if (c->flags & CLIENT_DIRTY) {
            cds_list_del(&c->dnode);
            c->flags &= ~CLIENT_DIRTY;
        }
        if (!c->pending)
            udp_send_reply(ps, c);
    }
}

/* Clients the engine touched outside a read event (forward replies, CLIENT KILL). */
static void drain_dirty(struct pstack *ps, struct worker *w)
{
    while (!cds_list_empty(&w->dirty)) {
        struct client *c = cds_list_first_entry(&w->dirty, struct client, dnode);
        cds_list_del(&c->dnode);
        c->flags &= ~CLIENT_DIRTY;
        if (c->flags & CLIENT_UDP) {
            if (!c->pending)
                udp_send_reply(ps, c);
            continue;
        }
        if (c->sctx)
            conn_settle(ps, c->sctx);
    }
}

static void cron(struct pstack *ps, struct worker *w)
{
    struct client *c, *tmp;
    long long timeout = srv.cfg.timeout;

    if (w->now_ms - ps->last_cron_ms < 1000)
        return;
    ps->last_cron_ms = w->now_ms;
    if (timeout <= 0)
        return;
    cds_list_for_each_entry_safe(c, tmp, &w->clients, node)
    {
        if (c->sctx && !(c->flags & CLIENT_UDP) && !c->pending &&
            (long long)(w->now_ms - c->last_ms) / 1000 > timeout) {
            log_verbose("Closing idle client id=%llu addr=%s", (unsigned long long)c->id,
                        c->raddr);
            c->flags |= CLIENT_CLOSE_ASAP;
            client_mark_dirty(c);
        }
    }
}

/* SIGTERM: accept no new TCP connection (existing ones are served until the exit). */
static void stop_accepting(struct pstack *ps)
{
    for (int i = 0; i < ps->nlst; i++)
        if (ps->lst[i].type == PFD_TCP_LISTEN && ps->lst[i].fd >= 0) {
            epoll_ctl(ps->ep, EPOLL_CTL_DEL, ps->lst[i].fd, NULL);
            close(ps->lst[i].fd);
            ps->lst[i].fd = -1;
        }
    ps->closed_listeners = 1;
}

static int worker_loop(void *arg)
{
    struct worker *w = arg;
    struct pstack ps = { 0 };
    struct epoll_event events[MAX_EVENTS];
    int rc = 0;

    worker_set_self(w);
    urcu_qsbr_register_thread();
    w->stack = &ps;
    ps.svc_udp_fd = -1;
    ps.ep = epoll_create1(EPOLL_CLOEXEC);
    ps.dgram = malloc((size_t)UDP_BATCH * UDP_DGRAM_MAX);
    if (ps.ep < 0 || !ps.dgram || open_listeners(w, &ps)) {
        srv.shutdown = 1;
        rc = -1;
        goto out;
    }
    ps.ev.type = PFD_EVENT;
    ps.ev.fd = w->efd;
    ep_add(&ps, &ps.ev, EPOLLIN);
    log_verbose("entering main loop on lcore %u (worker %u)", rte_lcore_id(), w->id);
    while (!srv.shutdown) {
        int n, timeout;
        unsigned work;

        worker_begin_iteration(w);
        if (__builtin_expect(srv.sigterm, 0) && !ps.closed_listeners)
            stop_accepting(&ps);
        timeout = (w->inflight || !cds_list_empty(&w->dirty) || snapshot_busy(w))
                      ? 0
                      : 1000 / (int)srv.cfg.hz;
        if (timeout) {
            __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
            if (fwd_poll(w)) /* something arrived before we announced sleeping */
                timeout = 0;
        }
        urcu_qsbr_thread_offline();
        n = epoll_wait(ps.ep, events, MAX_EVENTS, timeout);
        urcu_qsbr_thread_online();
        __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
        worker_begin_iteration(w);
        for (int i = 0; i < n; i++) {
            struct pfd *p = events[i].data.ptr;
            switch (p->type) {
            case PFD_TCP_LISTEN: do_accept(w, &ps, p); break;
            case PFD_UDP: udp_read(w, &ps, p); break;
            case PFD_EVENT: {
                uint64_t v;
                if (read(p->fd, &v, sizeof(v)) < 0) {
                    /* nothing pending */
                }
                break;
            }
            case PFD_CONN:
                if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    if ((events[i].events & (EPOLLHUP | EPOLLERR)) &&
                        !(events[i].events & EPOLLIN)) {
                        conn_close(&ps, p);
                        break;
                    }
                    conn_read(&ps, p);
                } else if (events[i].events & EPOLLOUT) {
                    conn_settle(&ps, p);
                }
                break;
            }
        }
        work = worker_poll(w) + (unsigned)n;
        drain_dirty(&ps, w);
        cron(&ps, w);
        stat_add(w, busy_polls, work ? 1 : 0);
        stat_add(w, idle_polls, work ? 0 : 1);
        worker_quiescent(w);
    }
out:
    /* close every connection and answer what is in flight */
    {
        struct client *c, *tmp;
        cds_list_for_each_entry_safe(c, tmp, &w->clients, node)
        {
            struct pfd *p = c->sctx;
            if (!(c->flags & CLIENT_UDP) && p) {
                conn_flush(p);
                p->c = NULL;
                epoll_ctl(ps.ep, EPOLL_CTL_DEL, p->fd, NULL);
                close(p->fd);
                free(p);
                client_release(c);
            } else if (c->flags & CLIENT_UDP) {
                free(c->sctx);
                c->sctx = NULL;
            }
        }
    }
    worker_shutdown(w);
    for (int i = 0; i < ps.nlst; i++)
        if (ps.lst[i].fd >= 0)
            close(ps.lst[i].fd);
    if (ps.ep >= 0)
        close(ps.ep);
    free(ps.dgram);
    urcu_qsbr_unregister_thread();
    return rc;
}

/*
 * The service port is shared by the workers with SO_REUSEPORT, which would as well let another
 * process's socket of the same user join the group and take a share of the clients. Before any
 * worker binds, each address is bound once without SO_REUSEPORT: that fails if anything at all
 * holds the port. (Another dpcache is stopped earlier by the port's lock, claim.h.)
 */
static int service_port_free(void)
{
    char *binds, *save = NULL, *h;
    int rc = 0;

    if (srv.cfg.cluster_enabled || !srv.cfg.port)
        return 0;
    if (!(binds = strdup(srv.cfg.bind)))
        return 0;
    for (h = strtok_r(binds, " ", &save); h && !rc; h = strtok_r(NULL, " ", &save)) {
        const char *host = h[0] == '-' ? h + 1 : h;
        struct sockaddr_storage ss;
        socklen_t len;
        if (parse_addr(host, (int)srv.cfg.port, &ss, &len))
            continue; /* open_listeners says what is wrong with it */
        for (int udp = 0; udp <= (srv.cfg.udp ? 1 : 0) && !rc; udp++) {
            int one = 1,
                fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
            if (fd < 0)
                continue;
            if (!udp) /* a TIME_WAIT of an earlier run holds nothing */
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (ss.ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
            if (bind(fd, (const struct sockaddr *)&ss, len) < 0 && errno == EADDRINUSE) {
                log_fatal("port %lld: %s %s:%lld is already in use by another process: stop it, "
                          "or give dpcache another --port",
                          srv.cfg.port, udp ? "UDP" : "TCP", host, srv.cfg.port);
                rc = -1;
            }
            close(fd);
        }
    }
    free(binds);
    return rc;
}

int posix_run(void)
{
    int rc = 0;
    unsigned lc;

    if (srv.cfg.udp_reply_from_service && (srv.cfg.cluster_enabled || !srv.cfg.port)) {
        log_fatal("udp-reply-from-service-port needs the service port: not with cluster-enabled "
                  "or port 0");
        return -1;
    }
    if (service_port_free())
        return -1;
    telemetry_setup(NULL);
    RTE_LCORE_FOREACH_WORKER(lc)
    {
        for (int i = 1; i < srv.nworkers; i++)
            if (srv.workers[i]->lcore == lc)
                rte_eal_remote_launch(worker_loop, srv.workers[i], lc);
    }
    if (worker_loop(srv.workers[0]))
        rc = -1;
    RTE_LCORE_FOREACH_WORKER(lc)
    {
        if (rte_eal_wait_lcore(lc) < 0)
            rc = -1;
    }
    return rc;
}
