/*
 * metrics.h - GET /metrics: the Prometheus text format (version 0.0.4).
 *
 * Every metric name, type and help text comes from one table, CTL_METRICS in metrics.c
 * (the redis_exporter names and types of docs/operations.md, then dpcache_* series), plus
 * the data plane's own counter tables for the per-core series (WORKER_METRICS in
 * dataplane/engine/stats.h, NET_METRICS and TCP_METRICS of the native stack, copied at build
 * time by gen_stack_metrics.py).
 *
 * A scrape reads INFO ALL and CONFIG GET over a control-socket connection of its own and the
 * per-core, per-port and latency figures from the DPDK telemetry socket; both connections
 * are kept between scrapes and re-opened on error. Scrapes are serialized (one at a time).
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "sbuf.h"

struct ctl_config;

void metrics_setup(const struct ctl_config *cfg);
void metrics_teardown(void);

/**
 * metrics_render: a whole /metrics page, malloc'ed, in *@out (length *@len). Never fails
 * for a missing data plane (redis_up 0 and the control plane's own series are served then).
 * Returns 0 or -ENOMEM.
 */
int metrics_render(char **out, size_t *len);

/* metrics_info_json: GET /v1/info - the state and the data plane's INFO as JSON. */
int metrics_info_json(char **out, size_t *len);

/* metrics_print_markdown: the metric table of docs/operations.md (after metrics_setup). */
void metrics_print_markdown(FILE *fp);

/* prom_escape_label: a label value escaped for the text format (\\, \", \n). */
void prom_escape_label(struct sbuf *b, const char *v);

struct rv;
/**
 * dp_command: run one command on the data plane over the API's connection (shared with
 * scrapes, serialized). Returns 0 with the reply in *@out (free with rv_free), or -errno
 * with a message in @err (not attached, no answer).
 */
int dp_command(int argc, const char *const *argv, struct rv **out, char *err, size_t errlen);
#endif
