/*
 * ctl.h - the control channel: a Unix stream socket served by a control thread of the data
 * plane (not a worker: workers never make system calls for it), speaking RESP.
 *
 * dpcache-control connects to it (and reconnects when either side restarts) and sends:
 *   PING, INFO [section...], CONFIG GET|SET ..., DBSIZE, TIME, LASTSAVE   as on a client port
 *   CTL.HELLO                       -> map: version, pid, port, workers, run_id, dir, dbfilename
 *   CTL.POLL                        -> array of pending requests: "bgsave", "save", "shutdown"
 *   CTL.SNAPSHOT.BEGIN              -> :id (the cut happens on each core right after)
 *   CTL.SNAPSHOT.NEXT [max]         -> *n: :done, then up to max bulk chunks of RDB records
 *   CTL.SNAPSHOT.ABORT              -> +OK
 *   CTL.SNAPSHOT.DONE ok|err <unix time> <seconds> -> +OK (INFO persistence, LASTSAVE, SAVE)
 *   CTL.SHUTDOWN                    -> +OK, then the data plane exits (status 0)
 *   CTL.CONFIG.SET <name> <value>.. -> as CONFIG SET, but a protected config (dir, dbfilename)
 *                                      is refused whatever enable-protected-configs says (the
 *                                      admin API's rule; docs/operations.md, Security)
 * Commands go by their own names (rename-command renames them for clients only). The socket
 * counts as a local client (a Unix socket, as in Redis) for enable-protected-configs local,
 * and CONFIG GET shows "(redacted)" for a set secret (requirepass) instead of its value.
 * Path: `control-socket`, default /var/run/dpcache/<port>.sock (docs/operations.md).
 *
 * One control plane at a time: the process (SO_PEERCRED) of the first connection owns the
 * channel until its last connection closes; a connection of another process meanwhile reads
 *   -ATTACHED <name> pid <pid> is the control plane of this data plane ...
 * as the answer to its first command and is closed.
 *
 * Thread-safety: ctl_start/ctl_stop from the main thread; everything else on the control
 * thread. Workers signal requests through srv.persist flags (atomics).
 */
#ifndef DP_CTL_H
#define DP_CTL_H

#include <stddef.h>

/* ctl_start: create the socket and start the control thread. Returns 0 or -1 (logged). */
int ctl_start(void);
void ctl_stop(void);

/* ctl_socket_path: the resolved socket path (after ctl_start). */
const char *ctl_socket_path(void);

/* ctl_resolve_path: the socket path of the configuration (control-socket, or the default,
 * whose directory is created) into @out. */
void ctl_resolve_path(char *out, size_t len);

#endif
