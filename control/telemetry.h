/*
 * telemetry.h - client of a DPDK telemetry v2 socket (SOCK_SEQPACKET; the server greets with
 * {"version", "pid", "max_output_len"}; each request is a command string, each reply one JSON
 * message {"<command>": value}).
 *
 * Thread-safety: a struct tel is used by one thread at a time.
 */
#ifndef CTL_TELEMETRY_H
#define CTL_TELEMETRY_H

#include "json.h"

struct tel {
    int fd;
    long pid;          /* from the greeting */
    size_t max_output; /* from the greeting */
    char path[108];
};

void tel_init(struct tel *t);

/* tel_connect: connect to @path and read the greeting. 0 or -errno. */
int tel_connect(struct tel *t, const char *path, int timeout_ms);
void tel_close(struct tel *t);

/**
 * tel_query: send @cmd (e.g. "/dpcache/core,0") and return the value under its key (the
 * caller frees the whole document with json_free(*@doc)). NULL on error (the connection is
 * then closed) or if the command returned null/unknown.
 */
const struct json *tel_query(struct tel *t, const char *cmd, struct json **doc);

/* tel_default_path: "/var/run/dpdk/<prefix>/dpdk_telemetry.v2" for root, else under
 * $XDG_RUNTIME_DIR or /tmp, as DPDK's EAL chooses. */
void tel_default_path(const char *prefix, char *out, size_t outlen);

/**
 * tel_find: find the telemetry socket of the DPDK process whose /dpcache/info has run_id
 * @run_id, trying @first, then every <runtime>/dpdk/<prefix>/dpdk_telemetry.v2. Stores the
 * path in @out and returns 0, or -ENOENT.
 */
int tel_find(const char *first, const char *run_id, char *out, size_t outlen);

#endif
