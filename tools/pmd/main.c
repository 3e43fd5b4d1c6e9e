/*
 * main.c - dpcache-pmd: a testpmd-style shell attached to a running dpcache, through its DPDK
 * telemetry socket (counters) and its control socket (CONFIG, snapshots).
 *
 *   dpcache-pmd [-p PORT] [--file-prefix P] [--telemetry PATH] [--control PATH]
 *               [-i SECONDS] [-c 'cmd; cmd']
 *
 * Without -c: an interactive shell (help, TAB completion). With -c: runs the commands and
 * exits 0, or 1 if a command was not understood or failed.
 */
#include "pmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_socket.h>

char pmd_tel_path[256], pmd_ctl_path[256];
double pmd_interval = 0.5;
int pmd_failed;

static struct {
    char key[96];
    uint64_t v;
} base[8192];
static int nbase;

uint64_t base_get(const char *key)
{
    for (int i = 0; i < nbase; i++)
        if (!strcmp(base[i].key, key))
            return base[i].v;
    return 0;
}

void base_set(const char *key, uint64_t v)
{
    for (int i = 0; i < nbase; i++)
        if (!strcmp(base[i].key, key)) {
            base[i].v = v;
            return;
        }
    if (nbase < (int)(sizeof(base) / sizeof(base[0]))) {
        snprintf(base[nbase].key, sizeof(base[nbase].key), "%s", key);
        base[nbase++].v = v;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: dpcache-pmd [-p PORT] [--file-prefix P] [--telemetry PATH] "
               "[--control PATH] [-i SECONDS] [-c 'cmd; cmd']\n"
               "  -p PORT          the dpcache's service port (default 6379): telemetry of file\n"
               "                   prefix dpcache<PORT>, control socket /var/run/dpcache/<PORT>.sock\n"
               "  --file-prefix P  the data plane's EAL --file-prefix (when given explicitly)\n"
               "  --telemetry PATH the telemetry socket (dpdk_telemetry.v2)\n"
               "  --control PATH   the control socket\n"
               "  -i SECONDS       sampling interval of rates (default 0.5)\n"
               "  -c 'CMDS'        run the ';'-separated commands and exit (try -c help)\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "file-prefix", 1, 0, 'f' }, { "telemetry", 1, 0, 't' }, { "control", 1, 0, 'C' },
        { "help", 0, 0, 'h' },        { 0, 0, 0, 0 },
    };
    const char *port = "6379", *prefix = NULL, *cmds = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "p:c:i:h", lo, NULL)) != -1) {
        switch (c) {
        case 'p': port = optarg; break;
        case 'f': prefix = optarg; break;
        case 't': snprintf(pmd_tel_path, sizeof(pmd_tel_path), "%s", optarg); break;
        case 'C': snprintf(pmd_ctl_path, sizeof(pmd_ctl_path), "%s", optarg); break;
        case 'i':
            pmd_interval = strtod(optarg, NULL);
            if (pmd_interval < 0.01 || pmd_interval > 60) {
                fprintf(stderr, "dpcache-pmd: -i between 0.01 and 60\n");
                return 2;
            }
            break;
        case 'c': cmds = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!pmd_tel_path[0]) {
        char pfx[128];
        snprintf(pfx, sizeof(pfx), prefix ? "%s" : "dpcache%s", prefix ? prefix : port);
        snprintf(pmd_tel_path, sizeof(pmd_tel_path), "/var/run/dpdk/%s/dpdk_telemetry.v2", pfx);
    }
    if (!pmd_ctl_path[0])
        snprintf(pmd_ctl_path, sizeof(pmd_ctl_path), "/var/run/dpcache/%s.sock", port);
    if (cmds) {
        struct cmdline *cl = pmd_cmdline(0);
        char *copy = strdup(cmds), *save = NULL;
        if (!cl || !copy)
            return 2;
        for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
            char line[512];
            int rc;
            while (*t == ' ' || *t == '\t' || *t == '\n')
                t++;
            if (!*t)
                continue;
            snprintf(line, sizeof(line), "%s\n", t);
            rc = cmdline_parse(cl, line);
            if (rc == CMDLINE_PARSE_AMBIGUOUS || rc == CMDLINE_PARSE_NOMATCH ||
                rc == CMDLINE_PARSE_BAD_ARGS) {
                fprintf(stderr, "dpcache-pmd: bad command '%s' (try: help)\n", t);
                pmd_failed = 1;
            }
            fflush(stdout);
        }
        free(copy);
        cmdline_free(cl);
        return pmd_failed ? 1 : 0;
    }
    {
        struct cmdline *cl = pmd_cmdline(1);
        if (!cl)
            return 2;
        printf("dpcache-pmd: telemetry %s, control %s ('help', TAB completes)\n", pmd_tel_path,
               pmd_ctl_path);
        cmdline_interact(cl);
        cmdline_stdin_exit(cl);
    }
    return 0;
}
