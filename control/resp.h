/*
 * resp.h - a small blocking RESP client for the data plane's control socket (dataplane/
 * engine/ctl.h): send a command as an array of bulk strings, read one reply as a tree.
 *
 * Replies are parsed with explicit limits (RESP_MAX_BULK, RESP_MAX_ELEMS, RESP_MAX_DEPTH);
 * arrays grow as elements arrive, never from the count the peer sent. Every read and write
 * has the connection's timeout: a data plane that stops answering is reported as an error
 * (-ETIMEDOUT), not waited for forever.
 *
 * Thread-safety: a connection is used by one thread at a time.
 */
#ifndef CTL_RESP_H
#define CTL_RESP_H

#include <stddef.h>

#define RESP_MAX_BULK  (64u << 20) /* a snapshot chunk or INFO is far smaller */
#define RESP_MAX_ELEMS (1u << 20)
#define RESP_MAX_DEPTH 8

enum resp_type {
    RV_STATUS, /* +OK */
    RV_ERROR,  /* -ERR ... (str holds the text) */
    RV_INT,    /* :n */
    RV_BULK,   /* $n (str/len) */
    RV_NIL,    /* $-1, *-1, _ */
    RV_ARRAY,  /* *n, %n (a map as 2n elements), ~n, >n */
    RV_DOUBLE, /* ,d (str holds the text) */
};

struct rv {
    enum resp_type type;
    long long i; /* RV_INT; 1/0 for RESP3 booleans */
    char *str;   /* NUL-terminated copy for STATUS/ERROR/BULK/DOUBLE */
    size_t len;  /* bytes in str */
    size_t n;    /* RV_ARRAY: elements */
    struct rv *elem;
};

struct resp_conn {
    int fd;
    int timeout_ms;
    char *buf; /* read buffer */
    size_t pos, len, cap;
};

/* resp_connect_unix: connect to @path. Returns 0 or -errno. */
int resp_connect_unix(struct resp_conn *c, const char *path, int timeout_ms);
void resp_close(struct resp_conn *c);
static inline int resp_connected(const struct resp_conn *c)
{
    return c->fd >= 0;
}

/* resp_init: an unconnected connection (fd -1). */
void resp_init(struct resp_conn *c);

/**
 * resp_command: send @argc arguments (NUL-terminated strings) and read the reply into *@out
 * (free with rv_free). Returns 0 (the reply may be an RV_ERROR), or -errno: the connection is
 * then closed (-EPROTO for a malformed reply, -ETIMEDOUT, -ECONNRESET, ...).
 */
int resp_command(struct resp_conn *c, struct rv **out, int argc, const char *const *argv);

/* resp_commandf: resp_command with the arguments as a NULL-terminated list. */
int resp_commandl(struct resp_conn *c, struct rv **out, ...) __attribute__((sentinel));

/**
 * resp_parse_reply: parse one reply from @buf/@len (for tests and callers with their own I/O).
 * Returns bytes consumed (> 0), 0 if incomplete, -EPROTO if malformed or over a limit.
 */
long resp_parse_reply(const char *buf, size_t len, struct rv **out);

void rv_free(struct rv *v);

/* rv_map_get: the value of key @key in a map reply (flattened as key, value, ...), or NULL. */
const struct rv *rv_map_get(const struct rv *v, const char *key);

#endif
