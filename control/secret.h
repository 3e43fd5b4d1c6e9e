/*
 * secret.h - the admin API's bearer token: read from its file, which must be closed to group
 * and others (as ssh refuses a private key others may read), and compared in constant time.
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

/**
 * secret_read_token: the first line of the file @path (CR/LF and trailing blanks removed) into
 * *@out (malloc'd; the caller frees it). The file must be a regular file without any
 * permission bit for group or others (mode 0600 or 0400). Returns 0, or -1 with a message in
 * @err: cannot open, not a regular file, permissions too open, empty first line, longer than
 * SECRET_TOKEN_MAX.
 */
int secret_read_token(const char *path, char **out, char *err, size_t errlen);

#endif
