/*
 * compose.h - RESP2/RESP3 reply encoder writing into a client's output buffer.
 *
 * Functions that take @proto encode per protocol version (2 or 3) the way redis-server does:
 *   null        RESP2 "$-1"      RESP3 "_"
 *   null array  RESP2 "*-1"      RESP3 "_"
 *   map n       RESP2 "*<2n>"    RESP3 "%<n>"
 *   set n       RESP2 "*<n>"     RESP3 "~<n>"
 *   double      RESP2 bulk text  RESP3 ",<text>"   (text as Redis 7.0: %.17g, inf, -inf)
 *   boolean     RESP2 ":1"/":0"  RESP3 "#t"/"#f"
 *   verbatim    RESP2 bulk       RESP3 "=<len>\r\ntxt:<text>"
 *   big number  RESP2 bulk       RESP3 "(<digits>"
 * Errors are given with their code ("ERR syntax error", "WRONGTYPE ..."); CR and LF inside
 * the text are turned into spaces so user input cannot break the protocol.
 *
 * An allocation failure sets ob->oom (checked by the caller after the command); the
 * functions themselves never fail loudly. Thread-safety: as the obuf.
 */
#ifndef DP_COMPOSE_H
#define DP_COMPOSE_H

#include <stddef.h>

#include "obuf.h"

void rsp_raw(struct obuf *ob, const char *s, size_t n);
void rsp_simple(struct obuf *ob, const char *s);
void rsp_ok(struct obuf *ob);
void rsp_error(struct obuf *ob, const char *msg);
void rsp_errorf(struct obuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rsp_int(struct obuf *ob, long long v);
void rsp_bulk(struct obuf *ob, const void *p, size_t n);
void rsp_bulk_cstr(struct obuf *ob, const char *s);
void rsp_bulk_ll(struct obuf *ob, long long v);
void rsp_null(struct obuf *ob, int proto);
void rsp_null_array(struct obuf *ob, int proto);
void rsp_array(struct obuf *ob, long long n);
void rsp_map(struct obuf *ob, long long n, int proto);
void rsp_set(struct obuf *ob, long long n, int proto);
void rsp_double(struct obuf *ob, double d, int proto);
void rsp_bool(struct obuf *ob, int b, int proto);
void rsp_verbatim(struct obuf *ob, const char *p, size_t n, int proto);
void rsp_bignum(struct obuf *ob, const char *digits, size_t n, int proto);

/* Common error replies, exactly as redis-server 7.0 words them. */
#define ERR_SYNTAX    "ERR syntax error"
#define ERR_NOT_INT   "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NO_KEY    "ERR no such key"
#define ERR_OVERFLOW  "ERR increment or decrement would overflow"
#define ERR_NOAUTH    "NOAUTH Authentication required."
#define ERR_OOM       "OOM command not allowed when used memory > 'maxmemory'."
#define ERR_DB_RANGE  "ERR DB index is out of range"
#define ERR_EXPIRE    "ERR invalid expire time in '%s' command"
#define ERR_OUT_RANGE "ERR index out of range"
#define ERR_NAN_INF   "ERR increment would produce NaN or Infinity"

#endif
