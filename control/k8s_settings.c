/*
 * k8s_settings.c - dpcache-k8s's settings from the environment (the table is k8s_settings.h).
 */
#include "k8s_settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ks_def {
    const char *name;
    enum ks_type type;
    const char *def;
    long long min, max;
    const char *help;
    size_t offset;
};

static const struct ks_def ks_defs[] = {
#define KS_DEF(f, n, t, d, mn, mx, h) { n, t, d, mn, mx, h, offsetof(struct k8s_settings, f) },
    K8S_SETTINGS(KS_DEF)
#undef KS_DEF
};
#define KS_COUNT (sizeof(ks_defs) / sizeof(ks_defs[0]))

#define FIELD(s, o, T) ((T *)((char *)(s) + (o)->offset))

const char *k8s_env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);

    for (; env && *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

static int parse_bool(const char *v)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
        return 0;
    return -1;
}

static int set_one(struct k8s_settings *s, const struct ks_def *o, const char *v, char *err,
                   size_t errlen)
{
    char *end;
    long long n;

    if (strlen(v) > K8S_VALUE_MAX) {
        snprintf(err, errlen, "%s: longer than %d bytes", o->name, K8S_VALUE_MAX);
        return -1;
    }
    switch (o->type) {
    case KS_STR:
        free(*FIELD(s, o, char *));
        *FIELD(s, o, char *) = strdup(v);
        if (!*FIELD(s, o, char *)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    case KS_BOOL:
        n = parse_bool(v);
        if (n < 0) {
            snprintf(err, errlen, "%s '%s': yes or no", o->name, v);
            return -1;
        }
        *FIELD(s, o, int) = (int)n;
        return 0;
    case KS_INT:
    case KS_BYTES:
        if (o->type == KS_BYTES && !*v) {
            *FIELD(s, o, long long) = -1;
            return 0;
        }
        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || end == v || *end || n < 0 ||
            (o->type == KS_INT && (n < o->min || n > o->max))) {
            if (o->type == KS_INT)
                snprintf(err, errlen, "%s '%s': an integer from %lld to %lld", o->name, v, o->min,
                         o->max);
            else
                snprintf(err, errlen, "%s '%s': a byte count (the downward API's number)", o->name,
                         v);
            return -1;
        }
        *FIELD(s, o, long long) = n;
        return 0;
    }
    return -1;
}

int k8s_settings_load(struct k8s_settings *s, char *const *env, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < KS_COUNT; i++) {
        const char *v = k8s_env_get(env, ks_defs[i].name);
        if (set_one(s, &ks_defs[i], v ? v : ks_defs[i].def, err, errlen))
            return -1;
    }
    if (!s->pod_name[0]) {
        const char *h = k8s_env_get(env, "HOSTNAME");
        if (h && set_one(s, &ks_defs[0], h, err, errlen))
            return -1;
    }
    return 0;
}

void k8s_settings_free(struct k8s_settings *s)
{
    for (size_t i = 0; i < KS_COUNT; i++)
        if (ks_defs[i].type == KS_STR) {
            free(*FIELD(s, &ks_defs[i], char *));
            *FIELD(s, &ks_defs[i], char *) = NULL;
        }
}

void k8s_settings_print_help(FILE *fp)
{
    fprintf(fp, "Environment (defaults in brackets):\n");
    for (size_t i = 0; i < KS_COUNT; i++)
        fprintf(fp, "  %-28s %s [%s]\n", ks_defs[i].name, ks_defs[i].help,
                ks_defs[i].def[0] ? ks_defs[i].def : "empty");
}

void k8s_settings_print_markdown(FILE *fp)
{
    fprintf(fp, "| Variable | Default | Meaning |\n|---|---|---|\n");
    for (size_t i = 0; i < KS_COUNT; i++) {
        fprintf(fp, "| `%s` | %s%s%s | ", ks_defs[i].name, ks_defs[i].def[0] ? "`" : "",
                ks_defs[i].def[0] ? ks_defs[i].def : "(empty)", ks_defs[i].def[0] ? "`" : "");
        for (const char *c = ks_defs[i].help; *c; c++) /* markdown: escape | < > */
            if (*c == '|' || *c == '<' || *c == '>')
                fprintf(fp, "\\%c", *c);
            else
                fputc(*c, fp);
        fprintf(fp, " |\n");
    }
}
