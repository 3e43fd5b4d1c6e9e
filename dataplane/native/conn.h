/*
 * conn.h - TCP connection <-> engine client glue of the native stack (see conn.c).
 * Owning lcore only.
 */
#ifndef DP_CONN_H
#define DP_CONN_H

struct net_core;
struct tcp_app_ops;

/* The application callbacks dpcache's TCP calls (arg: the struct net_core of the lcore). */
extern const struct tcp_app_ops conn_app_ops;

/* conn_drain_dirty: for every client the engine touched this iteration: send its output (UDP
 * replies too), close it, or let it read again. */
void conn_drain_dirty(struct net_core *nc);

#endif
