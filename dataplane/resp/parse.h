/*
 * parse.h - incremental, zero-copy parser for Redis requests (RESP multibulk and inline).
 *
 * Grammar (as redis-server 7.0 reads it):
 *   request   = multibulk | inline
 *   multibulk = "*" count CR LF { "$" len CR LF <len bytes> 2*OCTET }   (count <= 0: no command)
 *   inline    = *(OCTET except LF) [CR] LF, split into words like redis-cli (quotes, \xHH)
 * The two bytes after a bulk payload are skipped unchecked, like Redis.
 *
 * The parser never replies and never allocates from a count it was sent: argv grows as
 * arguments arrive. Multibulk arguments point into the caller's buffer (zero copy); inline
 * arguments are unescaped into a side buffer owned by the parser.
 *
 * Usage: keep calling resp_parse(p, base, avail) where @base is the first byte of the current
 * command and @avail the bytes available from there. The caller may move or grow its buffer
 * between calls as long as @base again points at the command's first byte. After RESP_OK the
 * command is p->argc/p->argv (argc may be 0: an empty command to skip) and p->cmdlen bytes
 * long; call resp_parser_next() before parsing the following command.
 *
 * Thread-safety: a parser belongs to one connection and one thread.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A binary-safe argument. */
struct rstr {
    const char *p;
    size_t len;
};

enum resp_status {
    RESP_OK = 0,        /* a whole command is in p->argv */
    RESP_EUNFIN = -1,   /* need more bytes */
    RESP_EPROTO = -2,   /* protocol error: see p->err, reply resp_err_text() and close */
    RESP_ENOMEM = -3,   /* could not grow argv */
};

enum resp_err {
    RERR_NONE = 0,
    RERR_MBULK_LEN,      /* invalid multibulk length */
    RERR_BULK_LEN,       /* invalid bulk length */
    RERR_DOLLAR,         /* expected '$', got 'x' */
    RERR_INLINE_BIG,     /* too big inline request */
    RERR_MBULK_BIG,      /* too big mbulk count string */
    RERR_BULK_BIG,       /* too big bulk count string */
    RERR_QUOTES,         /* unbalanced quotes in request */
    RERR_UNAUTH_MBULK,   /* unauthenticated multibulk length */
    RERR_UNAUTH_BULK,    /* unauthenticated bulk length */
};

struct resp_arg {
    size_t off; /* from the command's first byte */
    size_t len;
};

struct resp_parser {
    /* limits, set by the owner before parsing */
    long long max_bulk; /* proto-max-bulk-len */
    int unauth;         /* apply the pre-AUTH limits (10 arguments, 16 KiB bulks) */

    /* result after RESP_OK */
    int argc;
    struct rstr *argv;
    size_t cmdlen;

    /* error after RESP_EPROTO */
    enum resp_err err;
    char err_char; /* the byte found instead of '$' */

    /* resumable state */
    int inline_cmd;     /* parsing an inline command */
    long long mbulk;    /* arguments still to read; 0 before the count line */
    long long bulk;     /* length of the bulk being read, -1 before its "$" line */
    size_t pos;         /* bytes of the command consumed so far */
    int cap;            /* capacity of args/argv */
    struct resp_arg *args;
    char *ibuf;         /* unescaped inline arguments */
    size_t ibuf_cap;
};

/* resp_parser_init: zero the state; limits default to Redis's. */
void resp_parser_init(struct resp_parser *p);
/* resp_parser_free: release argv storage. */
void resp_parser_free(struct resp_parser *p);
/* resp_parser_next: forget the finished (or failed) command, keep the storage. */
void resp_parser_next(struct resp_parser *p);

/* resp_parse: see the file comment. Returns enum resp_status. */
int resp_parse(struct resp_parser *p, const char *base, size_t avail);

/* resp_err_text: Redis's error reply text for p->err (without '-' and CRLF), e.g.
 * "ERR Protocol error: invalid bulk length". @buf holds >= 64 bytes. */
const char *resp_err_text(const struct resp_parser *p, char *buf, size_t len);

/* resp_split_inline: split one inline line like Redis's sdssplitargs into @out (>= len bytes),
 * storing up to @max (offset, length) pairs into @args. Returns the word count, -1 on
 * unbalanced quotes, or -2 when there are more than @max words (call again with room). */
int resp_split_inline(const char *line, size_t len, char *out, struct resp_arg *args, int max);

#endif
