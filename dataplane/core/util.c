/*
 * util.c - conversions and glob matching (see util.h).
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int string2ull(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v;
    size_t i = 0;

    if (len == 0 || len >= LL_STR_SIZE)
        return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] < '1' || s[0] > '9')
        return 0;
    v = (unsigned long long)(s[0] - '0');
    for (i = 1; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int string2ll(const char *s, size_t len, long long *out)
{
    unsigned long long v;

    if (len == 0)
        return 0;
    if (s[0] == '-') {
        if (len == 1 || !string2ull(s + 1, len - 1, &v) || v == 0)
            return 0;
        if (v > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
        return 1;
    }
    if (!string2ull(s, len, &v) || v > (unsigned long long)LLONG_MAX)
        return 0;
    *out = (long long)v;
    return 1;
}

int string2ld(const char *s, size_t len, long double *out)
{
    char buf[LD_STR_MAX];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

int string2d(const char *s, size_t len, double *out)
{
    char buf[LD_STR_MAX];
    char *end;
    double v;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

static int digits10(unsigned long long v)
{
    int n = 1;

    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

int ull2string(char *buf, unsigned long long v)
{
    /* two digits per step from the end, as Redis's ull2string does */
    static const char pairs[201] = "0001020304050607080910111213141516171819"
                                   "2021222324252627282930313233343536373839"
                                   "4041424344454647484950515253545556575859"
                                   "6061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    int n = digits10(v), i = n - 1;

    buf[n] = '\0';
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        buf[i] = pairs[d + 1];
        buf[i - 1] = pairs[d];
        i -= 2;
    }
    if (v < 10) {
        buf[i] = (char)('0' + v);
    } else {
        buf[i] = pairs[v * 2 + 1];
        buf[i - 1] = pairs[v * 2];
    }
    return n;
}

int ll2string(char *buf, long long v)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + ull2string(buf + 1, (unsigned long long)0 - (unsigned long long)v);
    }
    return ull2string(buf, (unsigned long long)v);
}

int ld2string_human(char *buf, size_t len, long double v)
{
    int l;

    if (isinf(v)) {
        if (len < 5)
            return 0;
        l = v > 0 ? snprintf(buf, len, "inf") : snprintf(buf, len, "-inf");
        return l;
    }
    l = snprintf(buf, len, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > len)
        return 0;
    if (memchr(buf, '.', (size_t)l)) {
        char *p = buf + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

int d2string(char *buf, size_t len, double v)
{
    if (isnan(v))
        return snprintf(buf, len, "nan");
    if (isinf(v))
        return snprintf(buf, len, v > 0 ? "inf" : "-inf");
    return snprintf(buf, len, "%.17g", v);
}

static inline int fold(int c, int nocase)
{
    return nocase ? tolower(c) : c;
}

/* Match one character class starting after '['; *pi is advanced past ']'. */
static int class_match(const char *pat, size_t plen, size_t *pi, int c, int nocase)
{
    size_t i = *pi;
    int neg = 0, match = 0;

    if (i < plen && pat[i] == '^') {
        neg = 1;
        i++;
    }
    for (;;) {
        if (i >= plen) { /* unterminated class: Redis treats the end as ']' */
            break;
        }
        if (pat[i] == '\\' && i + 1 < plen) {
            i++;
            if (fold((unsigned char)pat[i], nocase) == fold(c, nocase))
                match = 1;
            i++;
        } else if (pat[i] == ']') {
            i++;
            break;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            int a = fold((unsigned char)pat[i], nocase), b = fold((unsigned char)pat[i + 2], nocase);
            int x = fold(c, nocase);
            if (a > b) {
                int t = a;
                a = b;
                b = t;
            }
            if (x >= a && x <= b)
                match = 1;
            i += 3;
        } else {
            if (fold((unsigned char)pat[i], nocase) == fold(c, nocase))
                match = 1;
            i++;
        }
    }
    *pi = i;
    return neg ? !match : match;
}

int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    size_t p = 0, s = 0;
    size_t star_p = (size_t)-1, star_s = 0;

    while (s < slen) {
        if (p < plen) {
            char pc = pat[p];
            if (pc == '*') {
                while (p < plen && pat[p] == '*')
                    p++;
                if (p == plen)
                    return 1;
                star_p = p;
                star_s = s;
                continue;
            }
            if (pc == '?') {
                p++;
                s++;
                continue;
            }
            if (pc == '[') {
                size_t q = p + 1;
                if (class_match(pat, plen, &q, (unsigned char)str[s], nocase)) {
                    p = q;
                    s++;
                    continue;
                }
            } else {
                size_t q = p;
                if (pc == '\\' && p + 1 < plen)
                    q++;
                if (fold((unsigned char)pat[q], nocase) == fold((unsigned char)str[s], nocase)) {
                    p = q + 1;
                    s++;
                    continue;
                }
            }
        }
        if (star_p == (size_t)-1)
            return 0;
        /* backtrack: let the last '*' swallow one more character */
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

int mem_parse(const char *s, unsigned long long *out)
{
    static const struct {
        const char *suffix;
        unsigned long long mul;
    } units[] = {
        { "b", 1ULL },          { "k", 1000ULL },        { "kb", 1024ULL },
        { "m", 1000000ULL },    { "mb", 1048576ULL },    { "g", 1000000000ULL },
        { "gb", 1073741824ULL },
    };
    size_t len = strlen(s), digits = 0;
    unsigned long long v, mul = 1;

    while (digits < len && isdigit((unsigned char)s[digits]))
        digits++;
    if (digits < len) {
        const char *u = s + digits;
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strcasecmp(u, units[i].suffix) == 0)
                break;
        if (i == sizeof(units) / sizeof(units[0]))
            return -1;
        mul = units[i].mul;
    }
    if (!string2ull(s, digits, &v))
        return -1;
    if (v != 0 && mul > ULLONG_MAX / v)
        return -1;
    *out = v * mul;
    return 0;
}

void bytes_human(char *buf, size_t len, unsigned long long n)
{
    double d;

    if (n < 1024) {
        snprintf(buf, len, "%lluB", n);
    } else if (n < 1024ULL * 1024) {
        d = (double)n / 1024;
        snprintf(buf, len, "%.2fK", d);
    } else if (n < 1024ULL * 1024 * 1024) {
        d = (double)n / (1024.0 * 1024);
        snprintf(buf, len, "%.2fM", d);
    } else if (n < 1024ULL * 1024 * 1024 * 1024) {
        d = (double)n / (1024.0 * 1024 * 1024);
        snprintf(buf, len, "%.2fG", d);
    } else {
        d = (double)n / (1024.0 * 1024 * 1024 * 1024);
        snprintf(buf, len, "%.2fT", d);
    }
}
