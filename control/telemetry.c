/*
 * telemetry.c - DPDK telemetry v2 client (see telemetry.h).
 */
#include "telemetry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define TEL_BUF (1u << 20) /* replies are at most max_output_len (16 KiB in DPDK 22.11) */

void tel_init(struct tel *t)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
}

void tel_close(struct tel *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

static struct json *recv_json(struct tel *t)
{
    char *buf = malloc(TEL_BUF);
    struct json *j = NULL;
    ssize_t n;

    if (!buf)
        return NULL;
    do
        n = recv(t->fd, buf, TEL_BUF, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        j = json_parse(buf, (size_t)n, NULL, 0);
    free(buf);
    return j;
}

int tel_connect(struct tel *t, const char *path, int timeout_ms)
{
    struct sockaddr_un sa;
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    struct json *g;

    tel_close(t);
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    t->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return -errno;
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        tel_close(t);
        return -e;
    }
    g = recv_json(t);
    if (!g || !json_get(g, "max_output_len")) {
        json_free(g);
        tel_close(t);
        return -EPROTO;
    }
    t->pid = (long)json_u64(json_get(g, "pid"));
    t->max_output = (size_t)json_u64(json_get(g, "max_output_len"));
    json_free(g);
    snprintf(t->path, sizeof(t->path), "%s", path);
    return 0;
}

const struct json *tel_query(struct tel *t, const char *cmd, struct json **doc)
{
    const char *key;
    size_t kl = strcspn(cmd, ",");
    char kbuf[128];

    *doc = NULL;
    if (t->fd < 0)
        return NULL;
    if (send(t->fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
        tel_close(t);
        return NULL;
    }
    *doc = recv_json(t);
    if (!*doc) {
        tel_close(t);
        return NULL;
    }
    if (kl >= sizeof(kbuf))
        return NULL;
    memcpy(kbuf, cmd, kl);
    kbuf[kl] = '\0';
    key = kbuf;
    return json_get(*doc, key);
}

static void runtime_base(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (getuid() == 0)
        snprintf(out, outlen, "/var/run/dpdk");
    else if (xdg && *xdg)
        snprintf(out, outlen, "%s/dpdk", xdg);
    else
        snprintf(out, outlen, "/tmp/dpdk");
}

void tel_default_path(const char *prefix, char *out, size_t outlen)
{
    char base[256];

    runtime_base(base, sizeof(base));
    snprintf(out, outlen, "%s/%s/dpdk_telemetry.v2", base, prefix);
}

/* Is @path the telemetry socket of the dpcache with @run_id? */
static int matches(const char *path, const char *run_id)
{
    struct tel t;
    struct json *doc;
    const struct json *info, *rid;
    int ok = 0;

    tel_init(&t);
    if (tel_connect(&t, path, 500))
        return 0;
    info = tel_query(&t, "/dpcache/info", &doc);
    rid = json_get(info, "run_id");
    if (rid && rid->type == JSON_STR && strcmp(rid->str, run_id) == 0)
        ok = 1;
    json_free(doc);
    tel_close(&t);
    return ok;
}

int tel_find(const char *first, const char *run_id, char *out, size_t outlen)
{
    char base[256], path[512];
    DIR *d;
    struct dirent *e;

    if (first && *first && matches(first, run_id)) {
        snprintf(out, outlen, "%s", first);
        return 0;
    }
    runtime_base(base, sizeof(base));
    d = opendir(base);
    if (!d)
        return -ENOENT;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/dpdk_telemetry.v2", base, e->d_name);
        if (access(path, F_OK) == 0 && matches(path, run_id)) {
            snprintf(out, outlen, "%s", path);
            closedir(d);
            return 0;
        }
    }
    closedir(d);
    return -ENOENT;
}
