/*
 * client.h - a client connection as the engine sees it, whatever stack carries it.
 *
 * Input: the stack appends received bytes with client_in_space/client_in_commit and calls
 * client_input(); the engine parses and runs as many whole commands as it may. Output:
 * replies accumulate in c->out; the stack sends from it (posix: writev; native TCP: segments,
 * keeping unacknowledged bytes) and calls client_output_sent(). When the engine appends output
 * outside of client_input (a forwarded reply arriving), it puts the client on w->dirty.
 *
 * A client is suspended while commands it forwarded to other workers are in flight
 * (c->pending > 0): its input buffer then neither moves nor grows (forwarded arguments point
 * into it), so client_in_space may offer less room or none, and the stack must stop reading.
 *
 * Closing: the engine sets CLIENT_CLOSE_AFTER_REPLY (after QUIT or a protocol error) or
 * CLIENT_CLOSE_ASAP; the stack closes once the output is flushed (or at once for ASAP) and
 * calls client_release(). A client with forwards in flight lingers as a zombie until they
 * come back.
 *
 * Thread-safety: a client belongs to its worker's lcore. Other workers only read the fields
 * copied into forwarded messages.
 */
#ifndef DP_CLIENT_H
#define DP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "../resp/obuf.h"
#include "../resp/parse.h"

#include <urcu/list.h>

struct worker;
struct fwd;
struct plan;

#define CLIENT_AUTHED            0x0001 /* passed AUTH (or no password needed) */
#define CLIENT_CLOSE_AFTER_REPLY 0x0002
#define CLIENT_CLOSE_ASAP        0x0004
#define CLIENT_DIRTY             0x0008 /* on w->dirty */
#define CLIENT_ZOMBIE            0x0010 /* stack gone; waiting for forwards */
#define CLIENT_READONLY          0x0020 /* READONLY (cluster) */
#define CLIENT_ASKING            0x0040
#define CLIENT_LOCAL             0x0080 /* peer is on loopback / a Unix socket */
#define CLIENT_UDP               0x0100 /* a UDP request: no session state */
#define CLIENT_CORE_PORT         0x0200 /* connected to this worker's own core port */
#define CLIENT_PAUSED            0x0400 /* output above the pause threshold */
#define CLIENT_CLOSING           0x0800 /* the stack started closing the connection */
#define CLIENT_WAIT_SAVE         0x1000 /* SAVE: suspended until the snapshot ends */

struct ibuf {
    char *data;
    size_t len; /* bytes received */
    size_t cap;
    size_t pos; /* first byte of the command being parsed */
};

struct client {
    uint64_t id;
    struct worker *w;
    uint32_t flags;
    int db;
    int proto; /* 2 or 3 */

    struct ibuf in;
    struct resp_parser ps;
    struct obuf out;

    uint32_t pending;       /* forwards in flight */
    struct fwd *fwd;        /* the batch forward (allocated on first use) */
    struct plan *plan;      /* multi-partition command in progress */
    struct rstr *fargv;     /* argument vectors of forwarded commands */
    size_t fargv_len, fargv_cap;

    struct cds_list_head dnode; /* in w->dirty while CLIENT_DIRTY */
    struct cds_list_head node;  /* in w->clients */

    char *name;
    char *lib_name;
    char *lib_ver;
    char laddr[64]; /* "ip:port" */
    char raddr[64];
    uint64_t ctime_ms;
    uint64_t last_ms;
    uint64_t ncmds;
    int last_cmd;   /* command id of the last command, -1 none */
    uint16_t udp_req; /* UDP pseudo-client: request id to answer */
    uint64_t save_seq; /* SAVE: wait until srv.persist.save_seq passes this */
    uint64_t obuf_soft_since; /* ms when the output first went over the soft limit */

    int fd;     /* socket of the posix stack, -1 otherwise (CLIENT LIST) */
    void *sctx; /* the stack's connection (fd, TCB, ...) */
};

/* client_new: a client for a new connection on @w; @local: the peer is on loopback.
 * NULL when out of memory. Does not enforce maxclients (the stack does, with
 * client_refuse_reason). */
struct client *client_new(struct worker *w, void *sctx, const char *laddr, const char *raddr,
                          int local);

/* client_refuse_reason: non-NULL error text if a new connection must be refused
 * (maxclients, protected mode); the stack writes it and closes. */
const char *client_refuse_reason(struct worker *w, int local);

/* client_is_local: whether @c is local as Redis 7.0's islocalClient counts it for the
 * protected actions (enable-protected-configs, enable-debug-command, enable-module-command set
 * to "local"): its peer address is exactly 127.0.0.1 or ::1. Stricter than CLIENT_LOCAL
 * (protected mode), which also admits the rest of 127.0.0.0/8 and the native stack's TAP
 * host; UDP requests are never local. Only on the rare protected path (parses raddr). */
int client_is_local(const struct client *c);

/* client_in_space: where to put up to *@room incoming bytes; NULL/0 when the client must not
 * read now (suspended, or at client-query-buffer-limit -> CLOSE_ASAP is set). */
char *client_in_space(struct client *c, size_t *room);
void client_in_commit(struct client *c, size_t n);

/* client_input: parse and run what the input holds. */
void client_input(struct client *c);

/* client_output_sent: the stack sent (or TCP acknowledged) @n bytes from the head of c->out. */
void client_output_sent(struct client *c, size_t n);

/* client_mark_dirty: put @c on its worker's dirty list (idempotent). */
void client_mark_dirty(struct client *c);

/* client_release: the connection is gone; free @c now or when its forwards return. */
void client_release(struct client *c);

/* client_info_line: CLIENT LIST/INFO line for @c into @buf. */
size_t client_info_line(const struct client *c, char *buf, size_t len);

#endif
