/*
 * tel.c - DPDK telemetry v2 client of dpcache-pmd (see pmd.h). One connection per query
 * (the socket serves few clients; a query is rare), SOCK_SEQPACKET: one message each way.
 */
#include "pmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TEL_BUF (256 * 1024)

static char *tel_raw(const char *cmd)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char *buf = malloc(TEL_BUF);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ssize_t n;

    if (!buf || fd < 0) {
        free(buf);
        return NULL;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", pmd_tel_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "cannot reach the data plane's telemetry at %s: %m (is dpcache running? "
                        "-p PORT or --file-prefix)\n", pmd_tel_path);
        goto fail;
    }
    if (read(fd, buf, TEL_BUF - 1) <= 0) /* the greeting */
        goto fail;
    if (write(fd, cmd, strlen(cmd)) < 0)
        goto fail;
    n = read(fd, buf, TEL_BUF - 1);
    if (n <= 0)
        goto fail;
    buf[n] = '\0';
    close(fd);
    return buf;
fail:
    close(fd);
    free(buf);
    return NULL;
}

/* the end of the JSON value at @p (string, number, literal, array or object) */
static const char *skip_value(const char *p)
{
    int depth = 0, instr = 0;

    for (; *p; p++) {
        if (instr) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                instr = 0, p += 0;
            if (!instr && depth == 0)
                return p + 1;
            continue;
        }
        if (*p == '"') {
            instr = 1;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']') {
            if (depth == 0)
                return p;
            if (--depth == 0)
                return p + 1;
        } else if (*p == ',' && depth == 0)
            return p;
    }
    return p;
}

int tel_query(const char *cmd, struct kv *kv)
{
    char *buf = tel_raw(cmd), *p;
    int n = 0;

    if (!buf)
        return -1;
    /* {"<cmd>": {"k": v, ...}} */
    p = strchr(buf, ':');
    p = p ? strchr(p, '{') : NULL;
    if (!p) {
        fprintf(stderr, "telemetry %s: unexpected reply %.200s\n", cmd, buf);
        free(buf);
        return -1;
    }
    p++;
    while (*p && n < KV_MAX) {
        char *k, *ke;
        const char *v, *ve;
        while (*p == ' ' || *p == ',')
            p++;
        if (*p != '"')
            break;
        k = p + 1;
        ke = strchr(k, '"');
        if (!ke)
            break;
        v = ke + 1;
        while (*v == ':' || *v == ' ')
            v++;
        ve = skip_value(v);
        snprintf(kv[n].key, sizeof(kv[n].key), "%.*s", (int)(ke - k), k);
        if (*v == '"')
            snprintf(kv[n].val, sizeof(kv[n].val), "%.*s", (int)(ve - v - 2), v + 1);
        else
            snprintf(kv[n].val, sizeof(kv[n].val), "%.*s", (int)(ve - v), v);
        n++;
        p = (char *)ve;
    }
    free(buf);
    return n;
}

int tel_list(const char *cmd, long *out, int max)
{
    char *buf = tel_raw(cmd), *p;
    int n = 0;

    if (!buf)
        return -1;
    p = strchr(buf, '[');
    if (p)
        for (p++; *p && *p != ']' && n < max;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            out[n++] = v;
            p = end;
            while (*p == ',' || *p == ' ')
                p++;
        }
    free(buf);
    return n;
}

const char *kv_get(const struct kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key))
            return kv[i].val;
    return NULL;
}

uint64_t kv_u64(const struct kv *kv, int n, const char *key)
{
    const char *v = kv_get(kv, n, key);
    return v ? strtoull(v, NULL, 10) : 0;
}
