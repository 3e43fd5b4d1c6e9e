/*
 * stack_posix.h - the "posix" network stack: kernel sockets and one epoll loop per worker.
 *
 * Every worker listens on the service port with SO_REUSEPORT (the kernel spreads connections
 * over the workers) and alone on its core port (core-port-base + worker id), for TCP and, when
 * `udp yes`, for the UDP framing. A connection stays on the worker that accepted it; requests
 * for keys of other partitions are routed by the engine (dispatch.h).
 *
 * Thread-safety: posix_run starts one loop per EAL lcore and returns when all have stopped
 * (srv.shutdown).
 */
#ifndef DP_STACK_POSIX_H
#define DP_STACK_POSIX_H

/* posix_run: open the listeners, run the worker loops, clean up. Returns 0, or -1 when a
 * listener cannot be opened or another process holds the service port (log_fatal). */
int posix_run(void);

#endif
