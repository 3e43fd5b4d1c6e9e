/*
 * json.c - JSON reader (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
    const char *p, *end;
    const char *why;
};

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static void clear(struct json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        clear(&v->kids[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof(*v));
}

void json_free(struct json *j)
{
    if (!j)
        return;
    clear(j);
    free(j);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int read4(struct jp *j, unsigned *cp)
{
    unsigned v = 0;
    if (j->end - j->p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    j->p += 4;
    *cp = v;
    return 0;
}

/* A string at j->p (after the opening quote was checked); the result is malloc'ed. */
static char *str(struct jp *j, size_t *outlen)
{
    const char *s = ++j->p;
    size_t cap;
    char *o;
    size_t n = 0;

    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\')
            j->p++;
        j->p++;
    }
    if (j->p >= j->end) {
        j->why = "unterminated string";
        return NULL;
    }
    cap = (size_t)(j->p - s) * 2 + 1; /* \uXXXX (6 bytes) never yields more than 4 */
    o = malloc(cap);
    if (!o) {
        j->why = "out of memory";
        return NULL;
    }
    j->p = s;
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20) {
            j->why = "control character in string";
            free(o);
            return NULL;
        }
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        c = (unsigned char)*j->p++;
        switch (c) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (read4(j, &cp)) {
                j->why = "bad \\u escape";
                free(o);
                return NULL;
            }
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                const char *save = j->p;
                j->p += 2;
                if (!read4(j, &lo) && lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    j->p = save, cp = 0xFFFD;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            n += put_utf8(o + n, cp);
            break;
        }
        default:
            j->why = "bad escape";
            free(o);
            return NULL;
        }
    }
    j->p++;
    o[n] = '\0';
    *outlen = n;
    return o;
}

static int value(struct jp *j, struct json *v, int depth);

static int grow(struct json *v, size_t *cap, int obj)
{
    size_t nc;
    if (v->n < *cap)
        return 0;
    nc = *cap ? *cap * 2 : 8;
    struct json *nk = realloc(v->kids, nc * sizeof(*nk));
    if (!nk)
        return -1;
    v->kids = nk;
    if (obj) {
        char **kk = realloc(v->keys, nc * sizeof(*kk));
        if (!kk)
            return -1;
        v->keys = kk;
    }
    *cap = nc;
    return 0;
}

static int container(struct jp *j, struct json *v, int depth, int obj)
{
    size_t cap = 0;
    char close = obj ? '}' : ']';

    v->type = obj ? JSON_OBJ : JSON_ARR;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        size_t kl;
        ws(j);
        if (obj) {
            if (j->p >= j->end || *j->p != '"') {
                j->why = "expected a key";
                return -1;
            }
            key = str(j, &kl);
            if (!key)
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':') {
                free(key);
                j->why = "expected ':'";
                return -1;
            }
            j->p++;
        }
        if (grow(v, &cap, obj)) {
            free(key);
            j->why = "out of memory";
            return -1;
        }
        memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
        if (obj)
            v->keys[v->n] = key;
        v->n++;
        if (value(j, &v->kids[v->n - 1], depth + 1))
            return -1;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        j->why = obj ? "expected ',' or '}'" : "expected ',' or ']'";
        return -1;
    }
}

static int number(struct jp *j, struct json *v)
{
    const char *s = j->p;
    char buf[64];
    char *end;
    int integer = 1, neg = 0;
    uint64_t u = 0;

    if (j->p < j->end && *j->p == '-') {
        neg = 1;
        j->p++;
    }
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
        j->why = "bad number";
        return -1;
    }
    while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                             *j->p == 'E' || *j->p == '+' || *j->p == '-')) {
        if (*j->p < '0' || *j->p > '9')
            integer = 0;
        else if (integer && u <= (UINT64_MAX - 9) / 10)
            u = u * 10 + (uint64_t)(*j->p - '0');
        else
            integer = 0;
        j->p++;
    }
    if ((size_t)(j->p - s) >= sizeof(buf)) {
        j->why = "number too long";
        return -1;
    }
    memcpy(buf, s, (size_t)(j->p - s));
    buf[j->p - s] = '\0';
    v->type = JSON_NUM;
    v->num = strtod(buf, &end);
    if (*end) {
        j->why = "bad number";
        return -1;
    }
    if (integer && !neg) {
        v->is_uint = 1;
        v->u = u;
    }
    return 0;
}

static int lit(struct jp *j, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(j->end - j->p) < l || memcmp(j->p, w, l) != 0) {
        j->why = "unexpected character";
        return -1;
    }
    j->p += l;
    return 0;
}

static int value(struct jp *j, struct json *v, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        j->why = "too deep";
        return -1;
    }
    ws(j);
    if (j->p >= j->end) {
        j->why = "unexpected end";
        return -1;
    }
    switch (*j->p) {
    case '{': return container(j, v, depth, 1);
    case '[': return container(j, v, depth, 0);
    case '"':
        v->type = JSON_STR;
        v->str = str(j, &v->len);
        return v->str ? 0 : -1;
    case 't':
        v->type = JSON_BOOL;
        v->boolean = 1;
        return lit(j, "true");
    case 'f': v->type = JSON_BOOL; return lit(j, "false");
    case 'n': v->type = JSON_NULL; return lit(j, "null");
    default: return number(j, v);
    }
}

struct json *json_parse(const char *s, size_t len, char *err, size_t errlen)
{
    struct jp j = { s, s + len, NULL };
    struct json *v = calloc(1, sizeof(*v));

    if (!v) {
        if (err)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (value(&j, v, 0) == 0) {
        ws(&j);
        if (j.p == j.end)
            return v;
        j.why = "trailing characters";
    }
    if (err)
        snprintf(err, errlen, "%s at offset %zu", j.why ? j.why : "malformed", (size_t)(j.p - s));
    json_free(v);
    return NULL;
}

const struct json *json_get(const struct json *j, const char *key)
{
    if (!j || j->type != JSON_OBJ)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0)
            return &j->kids[i];
    return NULL;
}

uint64_t json_u64(const struct json *j)
{
    if (!j || j->type != JSON_NUM)
        return 0;
    if (j->is_uint)
        return j->u;
    if (j->num <= 0)
        return 0;
    if (j->num >= 18446744073709551615.0)
        return UINT64_MAX;
    return (uint64_t)j->num;
}

size_t json_escape(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 < outlen)                                                                        \
            out[n] = (c);                                                                          \
        n++;                                                                                       \
    } while (0)
    PUT('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c < 0x20) {
            char h[8];
            snprintf(h, sizeof(h), "\\u%04x", c);
            for (int i = 0; h[i]; i++)
                PUT(h[i]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}
