/*
 * k8s_main.c - dpcache-k8s: the control plane's Kubernetes launcher. It runs as the data
 * plane container's command, derives dpcache's EAL arguments and native port, address and
 * gateway from what the pod got (k8s_plan.h), logs them in one line, and execs dpcache with
 * them, so dpcache is the container's main process (SIGTERM reaches it directly). What cannot
 * work is refused in one message, also written to the pod's termination log.
 *
 *   dpcache-k8s [--dry-run] [-- dpcache-option ...]
 *
 * Settings come from the environment (k8s_settings.h; docs/kubernetes.md).
 */
#include "k8s_facts.h"
#include "k8s_plan.h"
#include "k8s_settings.h"

#include "../dataplane/core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: dpcache-k8s [--dry-run] [-- dpcache-option ...]\n"
            "       dpcache-k8s --help | --version | --env-markdown\n\n"
            "Derives dpcache's EAL arguments (lcores on the container's CPUs, hugepage memory\n"
            "within its limits, the SR-IOV VF of the device plugin and Multus, the file prefix\n"
            "from the pod name) and the native stack's port, address and gateway, then runs\n"
            "DPCACHE_BIN with them, the config file DPCACHE_CONFIG and the options after '--'.\n"
            "--dry-run prints the command line, one argument per line, instead.\n\n");
    k8s_settings_print_help(fp);
}

/* The refusal, also where Kubernetes shows a container's last words. */
static void refuse(const struct k8s_settings *s, const char *err)
{
    log_warn("FATAL: dpcache-k8s cannot start the data plane: %s", err);
    if (s && s->termination_log && s->termination_log[0]) {
        FILE *fp = fopen(s->termination_log, "w");
        if (fp) {
            fprintf(fp, "dpcache-k8s: %s\n", err);
            fclose(fp);
        }
    }
}

int main(int argc, char **argv)
{
    static struct k8s_facts facts;
    static struct k8s_plan plan;
    struct k8s_settings s;
    char err[2048] = "", *full[K8S_ARGV_MAX + 256];
    int dry = 0, first = argc, n = 0;

    log_set_role('K');
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("dpcache-k8s v=%s\n", DPCACHE_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "--env-markdown")) {
            k8s_settings_print_markdown(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--dry-run")) {
            dry = 1;
            continue;
        }
        fprintf(stderr, "dpcache-k8s: unknown argument '%s' (dpcache's options go after --)\n",
                argv[i]);
        usage(stderr);
        return 1;
    }
    if (k8s_settings_load(&s, environ, err, sizeof(err))) {
        refuse(&s, err);
        k8s_settings_free(&s);
        return 1;
    }
    if (k8s_facts_read(&facts, &s, argc - first, argv + first, err, sizeof(err)) ||
        k8s_plan_make(&s, environ, &facts, &plan, err, sizeof(err))) {
        refuse(&s, err);
        k8s_facts_free(&facts);
        k8s_settings_free(&s);
        return 1;
    }
    if (argc - first > (int)(sizeof(full) / sizeof(full[0])) - plan.argc - 1) {
        refuse(&s, "too many arguments after --");
        return 1;
    }
    for (int i = 0; i < plan.argc; i++)
        full[n++] = plan.argv[i];
    for (int i = first; i < argc; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    log_notice("dpcache-k8s: %s", plan.summary);
    if (dry) {
        for (int i = 0; i < n; i++)
            printf("%s\n", full[i]);
        return 0;
    }
    execv(full[0], full);
    snprintf(err, sizeof(err), "cannot run %s (DPCACHE_BIN): %s", full[0], strerror(errno));
    refuse(&s, err);
    return 1;
}
