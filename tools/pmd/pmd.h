/*
 * pmd.h - dpcache-pmd, a testpmd-style shell attached to a running dpcache (see main.c).
 *
 *   tel.c    DPDK telemetry v2 client (/var/run/dpdk/<prefix>/dpdk_telemetry.v2) and a small
 *            reader for the flat JSON objects its commands return
 *   ctl.c    RESP client of the control socket (/var/run/dpcache/<port>.sock): CONFIG,
 *            INFO, CTL.SNAPSHOT.*
 *   cmds.c   the librte_cmdline command table (help, tab completion)
 */
#ifndef PMD_H
#define PMD_H

#include <stddef.h>
#include <stdint.h>

struct cmdline;

#define KV_MAX 256
struct kv {
    char key[64];
    char val[64];   /* numbers and strings as text; arrays/objects as "[...]"/"{...}" */
};

/* tel_query: run telemetry command @cmd; fill up to KV_MAX pairs of the returned object (the
 * value under the command's name). Returns the count, or -1 (message on stderr). */
int tel_query(const char *cmd, struct kv *kv);
/* tel_list: an array reply (e.g. /ethdev/list) into @out. Returns the count or -1. */
int tel_list(const char *cmd, long *out, int max);
const char *kv_get(const struct kv *kv, int n, const char *key);
uint64_t kv_u64(const struct kv *kv, int n, const char *key);

/* ctl_call: send the command @argv (argc words) on the control socket and print the reply
 * (redis-cli style) into @out (NUL-terminated). Returns 0, 1 for an error reply, -1. */
int ctl_call(int argc, const char **argv, char *out, size_t outlen);
/* ctl_snapshot: write a snapshot of the data plane into @path (RDB). 0 or -1. */
int ctl_snapshot(const char *path);

/* Baselines of `clear stats` (the data plane's counters never reset). */
uint64_t base_get(const char *key);
void base_set(const char *key, uint64_t v);

extern char pmd_tel_path[256], pmd_ctl_path[256];
extern double pmd_interval;
extern int pmd_failed;

struct cmdline *pmd_cmdline(int interactive);

#endif
