/*
 * util.h - number/string conversions and glob matching with Redis's exact semantics.
 *
 * All functions are pure and thread-safe. Inputs are (pointer, length) pairs; they need not be
 * NUL-terminated.
 */
#ifndef DP_UTIL_H
#define DP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Longest text a long long needs, with sign and NUL. */
#define LL_STR_SIZE 21
/* Longest text accepted for a long double (as Redis's MAX_LONG_DOUBLE_CHARS). */
#define LD_STR_MAX 5120

/* string2ll: parse a canonical decimal integer: no spaces, no '+', no leading zeros, "-0"
 * refused, exactly like Redis's string2ll. Returns 1 and sets *out, or 0. */
int string2ll(const char *s, size_t len, long long *out);

/* string2ull: like string2ll for unsigned values. Returns 1 or 0. */
int string2ull(const char *s, size_t len, unsigned long long *out);

/* string2ld: parse a long double as Redis's string2ld (strtold, no leading space, no NaN,
 * no overflow). Returns 1 or 0. */
int string2ld(const char *s, size_t len, long double *out);

/* string2d: parse a double as Redis's string2d. Returns 1 or 0. */
int string2d(const char *s, size_t len, double *out);

/* ll2string: write @v in decimal into @buf (>= LL_STR_SIZE bytes). Returns the length. */
int ll2string(char *buf, long long v);
int ull2string(char *buf, unsigned long long v);

/* ld2string_human: long double -> text as Redis's ld2string(LD_STR_HUMAN) ("%.17Lf" with
 * trailing zeros removed; "inf"/"-inf"). @buf must hold LD_STR_MAX bytes. Returns length,
 * or 0 if it does not fit. */
int ld2string_human(char *buf, size_t len, long double v);

/* d2string: double -> text as Redis 7.0's addReplyDouble ("%.17g", "inf", "-inf", "nan"). */
int d2string(char *buf, size_t len, double v);

/* glob_match: Redis-style glob (*, ?, [a-z], [^x], \x) over binary strings. @nocase folds
 * ASCII case. Returns 1 on match. Runs in O(len(pattern) * len(string)) at worst. */
int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

/* mem_parse: "100", "1k" (1000), "1kb" (1024), "m", "mb", "g", "gb" (case-insensitive) ->
 * bytes. Returns 0 and sets *out, or -1 on a malformed value or overflow. */
int mem_parse(const char *s, unsigned long long *out);

/* bytes_human: 1234567 -> "1.18M" as Redis's bytesToHuman. @buf holds >= 32 bytes. */
void bytes_human(char *buf, size_t len, unsigned long long n);

/* rand64: xorshift64* step on *state (never 0). Per-thread state, no locking. */
static inline uint64_t rand64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif
