/*
 * agent.h - the control loop of dpcache-control (main thread).
 *
 * It attaches to the data plane's control socket (CTL.HELLO) and stays attached: when the
 * data plane is absent or goes away it retries every reconnect-interval-ms, so either
 * process may start first or restart. While attached it polls the data plane's requests
 * (CTL.POLL: BGSAVE/SAVE from clients, "shutdown" after SIGTERM), refreshes INFO
 * persistence once a second for the save rules and readiness, and takes snapshots:
 *
 *   CTL.SNAPSHOT.BEGIN -> write RDB header + aux -> CTL.SNAPSHOT.NEXT until done, each chunk
 *   appended to a temporary file -> rotate generations (files.h) -> EOF, CRC64, fsync,
 *   rename over <dbfilename>, fsync dir (rdb_file.h) -> CTL.SNAPSHOT.DONE ok|err.
 *
 * A data plane serves one control plane at a time: when another one is attached, CTL.HELLO is
 * answered "-ATTACHED <name> pid N ..." and dpcache-control stops (exit status 1).
 *
 * Snapshots run one at a time on this thread; requests that arrive meanwhile are answered by
 * the next one.
 */
#ifndef CTL_AGENT_H
#define CTL_AGENT_H

struct ctl_config;

/* agent_run: run until ctl_state.stop is set (with dataplane no: only wait for it). Returns 0,
 * or 1 when the data plane refused the attachment because another control plane owns it
 * (log_fatal said so). */
int agent_run(const struct ctl_config *cfg);

#endif
