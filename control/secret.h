/*
 * secret.h - the admin API's bearer token: read from its file, which must be closed to others
 * and to its group (as ssh refuses a private key others may read), and compared in constant
 * time. One exception, PostgreSQL's for its key file: a file root owns may be readable by its
 * group, which is how a non-root container reads a Kubernetes Secret (files root:<fsGroup>,
 * mode 0440).
 *
 * Thread-safety: no state; both functions are reentrant.
 */
#ifndef CTL_SECRET_H
#define CTL_SECRET_H

#include <stddef.h>

#define SECRET_TOKEN_MAX 1023 /* longest token: bytes on the file's first line */

/**
 * secret_equal: whether @given (@glen bytes) is @secret (@slen bytes). Every byte of @secret
 * and the first min(@glen, @slen) bytes of @given are read whatever their values, with no
 * early exit: the time depends on @slen (and on whether @glen < @slen), never on how long a
 * prefix of the secret @given matches. Returns 1 or 0.
 */
int secret_equal(const char *given, size_t glen, const char *secret, size_t slen);

/* secret_mode_ok: whether the permissions of @st keep the token to its owner (0600, 0400), or to
 * root and the file's group read-only (0640, 0440 owned by root). */
struct stat;
int secret_mode_ok(const struct stat *st);

/**
 * secret_read_token: the first line of the file @path (CR/LF and trailing blanks removed) into
 * *@out (malloc'd; the caller frees it). The file must be a regular file whose mode passes
 * secret_mode_ok. Returns 0, or -1 with a message in
 * @err: cannot open, not a regular file, permissions too open, empty first line, longer than
 * SECRET_TOKEN_MAX.
 */
int secret_read_token(const char *path, char **out, char *err, size_t errlen);

#endif
