/*
 * files.c - snapshot generations (see files.h).
 */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void gen_path(char *out, size_t len, const char *dir, const char *name, int k)
{
    if (k == 0)
        snprintf(out, len, "%s/%s", dir, name);
    else
        snprintf(out, len, "%s/%s.%d", dir, name, k);
}

int snap_dir_fsync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int snap_rotate(const char *dir, const char *name, int keep, char *err, size_t errlen)
{
    char from[4096], to[4096], tmp[4096];
    struct stat st;
    int rc;

    if (keep < 1)
        keep = 1;
    /* generations beyond the window (keep was lowered) */
    for (int k = keep; k < SNAP_GENERATIONS_MAX; k++) {
        gen_path(from, sizeof(from), dir, name, k);
        if (unlink(from) < 0 && errno == ENOENT && k > keep + 8)
            break;
    }
    if (keep == 1)
        return 0;
    for (int k = keep - 1; k >= 2; k--) {
        gen_path(from, sizeof(from), dir, name, k - 1);
        gen_path(to, sizeof(to), dir, name, k);
        if (rename(from, to) < 0 && errno != ENOENT) {
            rc = -errno;
            snprintf(err, errlen, "rename %s to %s: %s", from, to, strerror(errno));
            return rc;
        }
    }
    gen_path(from, sizeof(from), dir, name, 0);
    if (stat(from, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    snprintf(tmp, sizeof(tmp), "%s/.%s.1.link", dir, name);
    gen_path(to, sizeof(to), dir, name, 1);
    unlink(tmp);
    if (link(from, tmp) < 0) {
        rc = -errno;
        snprintf(err, errlen, "link %s to %s: %s", from, tmp, strerror(errno));
        return rc;
    }
    if (rename(tmp, to) < 0) {
        rc = -errno;
        snprintf(err, errlen, "rename %s to %s: %s", tmp, to, strerror(errno));
        unlink(tmp);
        return rc;
    }
    rc = snap_dir_fsync(dir);
    if (rc)
        snprintf(err, errlen, "fsync directory %s: %s", dir, strerror(-rc));
    return rc;
}

int snap_clean_temps(const char *dir, const char *name)
{
    char pfx[512], link_name[512], path[4096];
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    snprintf(pfx, sizeof(pfx), ".%s.tmp-", name);
    snprintf(link_name, sizeof(link_name), ".%s.1.link", name);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, pfx, strlen(pfx)) != 0 && strcmp(e->d_name, link_name) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            n++;
    }
    closedir(d);
    return n;
}

int snap_list(const char *dir, const char *name, struct snap_file *out, int max)
{
    int n = 0, misses = 0;

    for (int k = 0; k < SNAP_GENERATIONS_MAX && n < max && misses < 8; k++) {
        struct stat st;
        gen_path(out[n].path, sizeof(out[n].path), dir, name, k);
        if (stat(out[n].path, &st) < 0 || !S_ISREG(st.st_mode)) {
            misses++;
            continue;
        }
        misses = 0;
        out[n].generation = k;
        out[n].size = (uint64_t)st.st_size;
        out[n].mtime = st.st_mtime;
        n++;
    }
    return n;
}
