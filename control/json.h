/*
 * json.h - a small JSON reader for DPDK telemetry replies and admin API bodies.
 *
 * json_parse() builds a tree from a complete document. Limits: depth JSON_MAX_DEPTH, input
 * size is the caller's (telemetry replies are at most 16 KiB, request bodies are capped by
 * http-body-limit). Integers that fit in 64 bits are kept exactly (telemetry counters are
 * u64). Strings are unescaped (\uXXXX to UTF-8; lone surrogates become U+FFFD).
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
    enum json_type type;
    int boolean;
    int is_uint; /* JSON_NUM: a non-negative integer held exactly in u */
    uint64_t u;
    double num;
    char *str; /* JSON_STR (NUL-terminated; may contain NUL: see len) */
    size_t len;
    size_t n;    /* JSON_ARR / JSON_OBJ: children */
    char **keys; /* JSON_OBJ: key of each child */
    struct json *kids;
};

/* json_parse: parse @len bytes; NULL if malformed, too deep or out of memory (a message in
 * @err if not NULL). */
struct json *json_parse(const char *s, size_t len, char *err, size_t errlen);
void json_free(struct json *j);

/* json_get: member @key of an object, or NULL. */
const struct json *json_get(const struct json *j, const char *key);

/* json_u64: the value of a number as u64 (0 for anything else, negative or fractional
 * numbers are truncated at 0). */
uint64_t json_u64(const struct json *j);

/* json_escape: write @s as a JSON string (with quotes) into @out (@outlen bytes, truncated,
 * NUL-terminated). Returns the length it needed. */
size_t json_escape(const char *s, char *out, size_t outlen);

#endif
