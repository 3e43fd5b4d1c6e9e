/*
 * secret.c - the admin token: its file and its comparison (see secret.h).
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int secret_equal(const char *given, size_t glen, const char *secret, size_t slen)
{
    /* volatile: the compiler may not turn the accumulation into an early exit */
    volatile unsigned char diff = glen != slen;

    for (size_t i = 0; i < slen; i++) {
        unsigned char g = i < glen ? (unsigned char)given[i] : 0; /* glen is no secret */
        diff |= (unsigned char)(g ^ (unsigned char)secret[i]);
    }
    return diff == 0;
}

int secret_mode_ok(const struct stat *st)
{
    mode_t m = st->st_mode & (S_IRWXG | S_IRWXO);

    return m == 0 || (m == S_IRGRP && st->st_uid == 0);
}

int secret_read_token(const char *path, char **out, char *err, size_t errlen)
{
    char buf[SECRET_TOKEN_MAX + 2];
    struct stat st;
    ssize_t got;
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    *out = NULL;
    if (fd < 0) {
        snprintf(err, errlen, "cannot read admin-token-file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "admin-token-file %s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (!secret_mode_ok(&st)) {
        snprintf(err, errlen,
                 "admin-token-file %s: permissions %04o are too open: the token must not be "
                 "accessible by others, nor by its group unless root owns the file and the group "
                 "may only read it (chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    while (n < sizeof(buf) - 1 && (got = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot read admin-token-file %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        n += (size_t)got;
        if (memchr(buf, '\n', n))
            break;
    }
    close(fd);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    if (n > SECRET_TOKEN_MAX) {
        snprintf(err, errlen, "admin-token-file %s: the token is longer than %d bytes", path,
                 SECRET_TOKEN_MAX);
        return -1;
    }
    buf[n] = '\0';
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (!n) {
        snprintf(err, errlen, "admin-token-file %s is empty", path);
        return -1;
    }
    *out = strdup(buf);
    explicit_bzero(buf, sizeof(buf)); /* no copy of the token left on the stack */
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
