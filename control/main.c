/*
 * main.c - dpcache-control: snapshots, metrics, health and admin API beside a dpcache data
 * plane (docs/operations.md, "The control plane").
 *
 *   dpcache-control [/path/to/dpcache-control.conf] [--name value ...]
 *
 * The HTTP server runs on its own threads (http.c); the main thread runs the control loop
 * (agent.c) until SIGTERM/SIGINT. In front mode (front-iface) the XDP front is attached before
 * the HTTP server starts and detached after it stops (ctl_front.h).
 */
#include "agent.h"
#include "config.h"
#include "ctl_front.h"
#include "http.h"
#include "metrics.h"
#include "secret.h"
#include "state.h"

#include "../dataplane/core/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_signal(int sig)
{
    (void)sig;
    ctl_state.stop = 1;
    pthread_cond_broadcast(&ctl_state.cv); /* not async-signal-safe in theory; the loop also
                                              wakes by itself every poll interval */
}

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "Usage: dpcache-control [/path/to/dpcache-control.conf] [--name value ...]\n"
        "       dpcache-control --help | --version | --options-markdown | --metrics-markdown\n\n"
        "Attaches to a dpcache data plane (its control socket), writes its snapshots\n"
        "(Redis RDB), serves Prometheus metrics, health and an admin API over HTTP.\n\n"
        "Examples:\n"
        "  dpcache-control                          # the dpcache on port 6379\n"
        "  dpcache-control --port 7000 --listen 0.0.0.0:9121 --keep 5\n"
        "  DPCACHE_ADMIN_TOKEN=secret dpcache-control --socket /run/dpcache.sock\n"
        "  dpcache-control --dataplane no --front-iface eth0 --front-vip 10.0.0.100 \\\n"
        "      --front-backend 10.0.0.2,mac=02:00:00:00:00:02,base-port=7379,cores=4 \\\n"
        "      --front-backend 10.0.0.3,mac=02:00:00:00:00:03,base-port=7379,cores=4\n\n");
    ctl_config_print_help(fp);
}

/* The admin token: the file's first line (secret.h: refused if group or others may access the
 * file), or the environment. NULL if none, or on an error (@err set). */
static char *read_token(const char *file, char *err, size_t errlen)
{
    const char *env;
    char *tok;

    if (file && *file)
        return secret_read_token(file, &tok, err, errlen) ? NULL : tok;
    env = getenv("DPCACHE_ADMIN_TOKEN");
    return env && *env ? strdup(env) : NULL;
}

int main(int argc, char **argv)
{
    struct ctl_config cfg;
    char err[512] = "";
    char *token;
    int lvl, rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("dpcache-control v=%s\n", DPCACHE_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "--options-markdown")) {
            ctl_config_print_markdown(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--metrics-markdown")) {
            metrics_setup(NULL);
            metrics_print_markdown(stdout);
            return 0;
        }
    }
    log_set_role('X');
    if (ctl_config_init(&cfg)) {
        log_warn("out of memory");
        return 1;
    }
    if (ctl_config_load_args(&cfg, argc - 1, argv + 1, err, sizeof(err))) {
        log_warn("FATAL CONFIG ERROR: %s", err);
        return 1;
    }
    lvl = log_parse_level(cfg.loglevel);
    if (lvl < 0) {
        log_warn("FATAL CONFIG ERROR: loglevel '%s': debug, verbose, notice, warning or nothing",
                 cfg.loglevel);
        return 1;
    }
    log_set_level((enum log_level)lvl);
    token = read_token(cfg.admin_token_file, err, sizeof(err));
    if (!token && err[0]) {
        log_warn("FATAL CONFIG ERROR: %s", err);
        return 1;
    }
    if (!cfg.dataplane && !cfg.front_iface[0]) {
        log_warn("FATAL CONFIG ERROR: dataplane no leaves nothing to do without front-iface");
        free(token);
        return 1;
    }
    if (!cfg.front_iface[0] && cfg.front_backend[0]) {
        log_warn("FATAL CONFIG ERROR: front-backend needs front-iface (front mode)");
        free(token);
        return 1;
    }
    if (!token)
        log_notice("no admin token (admin-token-file or DPCACHE_ADMIN_TOKEN): the admin API "
                   "answers 403");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    state_init(&cfg);
    metrics_setup(&cfg);
    if (ctl_front_start(&cfg, err, sizeof(err))) {
        log_warn("FATAL: front mode: %s", err);
        free(token);
        return 1;
    }
    if (http_start(&cfg, token, err, sizeof(err))) {
        log_fatal("FATAL: %s", err);
        ctl_front_stop();
        free(token);
        return 1;
    }
    if (token) /* http.c keeps its own copy */
        explicit_bzero(token, strlen(token));
    free(token);
    log_notice("dpcache-control %s: HTTP on %s (/metrics, /healthz, /readyz, /v1/...)",
               DPCACHE_VERSION, cfg.listen);
    rc = agent_run(&cfg); /* 1: the data plane has another control plane (the last line) */
    log_notice("dpcache-control stopping");
    http_stop();
    ctl_front_stop();
    metrics_teardown();
    ctl_config_free(&cfg);
    return rc;
}
