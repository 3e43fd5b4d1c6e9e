/*
 * udp.h - the UDP RESP framing (docs/protocol.md), shared by the posix and native stacks.
 *
 * Every datagram starts with an 8-byte header of big-endian 16-bit fields:
 *     request_id | seq | total | reserved (0)
 * A request is one datagram (seq 0, total 1) holding one RESP command (several pipelined
 * commands are accepted; their replies are concatenated). The reply carries the same
 * request_id and is split into `total` datagrams, seq 0..total-1, each holding at most the
 * stack's payload size. The server keeps no state between datagrams: every request starts on a
 * fresh session (db 0, RESP2, not authenticated - "AUTH pw" may precede the command in the
 * same datagram when requirepass is set).
 *
 * A request is served by a pseudo-client from a per-worker pool; it may be suspended like any
 * client while a forwarded command runs on another core, and its reply is sent when it comes
 * back (the stack finds it on w->dirty with CLIENT_UDP set).
 *
 * Thread-safety: the worker's own lcore.
 */
#ifndef DP_UDP_H
#define DP_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HDR_LEN       8
#define UDP_DATAGRAMS_MAX 65535
/* Pseudo-clients (requests in flight) per worker. */
#define UDP_CLIENTS_MAX   4096

struct client;
struct worker;

struct udp_hdr {
    uint16_t req_id;
    uint16_t seq;
    uint16_t total;
    uint16_t reserved;
};

/* udp_hdr_parse: decode and validate a request header. Returns 0 or -1. */
int udp_hdr_parse(const uint8_t *d, size_t len, struct udp_hdr *h);
void udp_hdr_write(uint8_t *d, const struct udp_hdr *h);

/* udp_request: run the request of one datagram (@d, @len, header included). @peer is the
 * stack's reply address (kept in c->sctx). Returns the pseudo-client (its reply may be ready,
 * or pending), or NULL when the datagram was dropped. */
struct client *udp_request(struct worker *w, const uint8_t *d, size_t len, void *peer);

/* udp_reply_prepare: call once before sending: a reply that needs more than
 * UDP_DATAGRAMS_MAX datagrams is replaced by an error. */
void udp_reply_prepare(struct client *c, size_t payload);

/* udp_reply_datagrams: datagrams needed for @c's reply with @payload bytes per datagram. */
unsigned udp_reply_datagrams(const struct client *c, size_t payload);

/* udp_reply_build: write datagram @seq of @c's reply into @buf (>= UDP_HDR_LEN + payload).
 * Returns its length. */
size_t udp_reply_build(const struct client *c, unsigned seq, size_t payload, uint8_t *buf);

/* udp_done: the reply was sent (or dropped): recycle the pseudo-client. */
void udp_done(struct client *c);

/* udp_pool_free: free the worker's pool (at exit). */
void udp_pool_free(struct worker *w);

#endif
