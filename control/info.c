/*
 * info.c - INFO text helpers (see info.h).
 */
#include "info.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void info_foreach(const char *text,
                  void (*fn)(void *ud, const char *section, const char *name, const char *value),
                  void *ud)
{
    char section[64] = "", line[8192];
    const char *p = text;

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *colon;

        if (n >= sizeof(line)) {
            p = nl ? nl + 1 : NULL;
            continue;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        p = nl ? nl + 1 : NULL;
        if (line[0] == '#') {
            const char *s = line + 1;
            size_t k = 0;
            while (*s == ' ')
                s++;
            for (; *s && k + 1 < sizeof(section); s++)
                section[k++] = (char)tolower((unsigned char)*s);
            section[k] = '\0';
            continue;
        }
        colon = strchr(line, ':');
        if (!colon || colon == line)
            continue;
        *colon = '\0';
        fn(ud, section, line, colon + 1);
    }
}

int info_field(const char *text, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    const char *p = text;

    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, "\r\n");
            if (outlen) {
                if (n >= outlen)
                    n = outlen - 1;
                memcpy(out, v, n);
                out[n] = '\0';
            }
            return 1;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

long long info_ll(const char *text, const char *key, long long def)
{
    char buf[64], *end;
    long long v;

    if (!info_field(text, key, buf, sizeof(buf)))
        return def;
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || end == buf || *end)
        return def;
    return v;
}

int info_subfield(const char *value, const char *key, double *out)
{
    size_t kl = strlen(key);
    const char *p = value;

    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            char *end;
            *out = strtod(p + kl + 1, &end);
            return end != p + kl + 1;
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return 0;
}
