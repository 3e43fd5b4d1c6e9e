/*
 * config.c - dpcache-control's options (see config.h; the table is options.h).
 */
#include "config.h"

#include "cliargs/cliargs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct co_def {
    const char *name;
    enum co_type type;
    const char *def;
    long long min, max;
    const char *help;
    size_t offset;
};

static const struct co_def co_defs[] = {
#define CO_DEF(f, n, t, d, mn, mx, h) { n, t, d, mn, mx, h, offsetof(struct ctl_config, f) },
    CTL_OPTIONS(CO_DEF)
#undef CO_DEF
};
#define CO_COUNT (sizeof(co_defs) / sizeof(co_defs[0]))

#define FIELD(cfg, o, T) ((T *)((char *)(cfg) + (o)->offset))

static const struct co_def *co_find(const char *name)
{
    for (size_t i = 0; i < CO_COUNT; i++)
        if (strcasecmp(co_defs[i].name, name) == 0)
            return &co_defs[i];
    return NULL;
}

static int set_one(struct ctl_config *cfg, const struct co_def *o, const char *value, char *err,
                   size_t errlen)
{
    switch (o->type) {
    case CO_STR: {
        char *s = strdup(value);
        if (!s) {
            snprintf(err, errlen, "out of memory");
            return -2;
        }
        free(*FIELD(cfg, o, char *));
        *FIELD(cfg, o, char *) = s;
        return 0;
    }
    case CO_LIST: {
        char *old = *FIELD(cfg, o, char *);
        size_t ol = old ? strlen(old) : 0, vl = strlen(value);
        char *s;
        if (!vl || !ol) { /* an empty value clears; the first item needs no separator */
            s = strdup(value);
        } else {
            s = malloc(ol + 1 + vl + 1);
            if (s) {
                memcpy(s, old, ol);
                s[ol] = '\n';
                memcpy(s + ol + 1, value, vl + 1);
            }
        }
        if (!s) {
            snprintf(err, errlen, "out of memory");
            return -2;
        }
        free(old);
        *FIELD(cfg, o, char *) = s;
        return 0;
    }
    case CO_INT: {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < o->min || v > o->max) {
            snprintf(err, errlen, "invalid value '%s' for --%s: an integer in [%lld, %lld]", value,
                     o->name, o->min, o->max);
            return -2;
        }
        *FIELD(cfg, o, long long) = v;
        return 0;
    }
    case CO_BOOL:
        if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1")) {
            *FIELD(cfg, o, int) = 1;
        } else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0")) {
            *FIELD(cfg, o, int) = 0;
        } else {
            snprintf(err, errlen, "invalid value '%s' for --%s: yes or no", value, o->name);
            return -2;
        }
        return 0;
    }
    return -2;
}

int ctl_config_set(struct ctl_config *cfg, const char *name, const char *value, char *err,
                   size_t errlen)
{
    const struct co_def *o = co_find(name);

    if (!o) {
        snprintf(err, errlen, "unknown option '%s' (see --help)", name);
        return -1;
    }
    return set_one(cfg, o, value, err, errlen);
}

int ctl_config_init(struct ctl_config *cfg)
{
    char err[256];

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CO_COUNT; i++)
        if (set_one(cfg, &co_defs[i], co_defs[i].def, err, sizeof(err)))
            return -ENOMEM;
    return 0;
}

void ctl_config_free(struct ctl_config *cfg)
{
    for (size_t i = 0; i < CO_COUNT; i++)
        if (co_defs[i].type == CO_STR || co_defs[i].type == CO_LIST) {
            free(*FIELD(cfg, &co_defs[i], char *));
            *FIELD(cfg, &co_defs[i], char *) = NULL;
        }
}

/* Trim @s in place; returns the first non-space character. */
static char *trim(char *s)
{
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int ctl_config_load_file(struct ctl_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[4096], msg[512];
    int lineno = 0;

    if (!f) {
        snprintf(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *name, *value;
        size_t len = strlen(line);

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            snprintf(err, errlen, "%s line %d: line too long", path, lineno);
            fclose(f);
            return -1;
        }
        name = trim(line);
        if (!*name || *name == '#')
            continue;
        value = name + strcspn(name, " \t");
        if (*value)
            *value++ = '\0';
        value = trim(value);
        /* "value" or 'value' as one word, e.g. save "" */
        len = strlen(value);
        if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
            value[len - 1] = '\0';
            value++;
        }
        if (ctl_config_set(cfg, name, value, msg, sizeof(msg))) {
            snprintf(err, errlen, "%s line %d: %s", path, lineno, msg);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

int ctl_config_load_args(struct ctl_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    int i = 0, r;
    const char *name;
    char value[CLIARGS_VALUE_MAX];

    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
        if (ctl_config_load_file(cfg, argv[0], err, errlen))
            return -1;
        i = 1;
    }
    while ((r = cliargs_next(argc, argv, &i, &name, value, sizeof(value), err, errlen)) > 0)
        if (ctl_config_set(cfg, name, value, err, errlen))
            return -1;
    return r;
}

void ctl_config_print_help(FILE *fp)
{
    fprintf(fp, "Options (as --name value on the command line, or 'name value' lines in a config "
                "file):\n");
    for (size_t i = 0; i < CO_COUNT; i++) {
        const struct co_def *o = &co_defs[i];
        fprintf(fp, "  --%-24s %s\n  %-26s default: \"%s\"", o->name, o->help, "", o->def);
        if (o->type == CO_INT)
            fprintf(fp, " [%lld..%lld]", o->min, o->max);
        else if (o->type == CO_BOOL)
            fprintf(fp, " (yes|no)");
        else if (o->type == CO_LIST)
            fprintf(fp, " (repeatable)");
        fprintf(fp, "\n");
    }
}

void ctl_config_print_markdown(FILE *fp)
{
    fprintf(fp, "| Option | Default | Meaning |\n|---|---|---|\n");
    for (size_t i = 0; i < CO_COUNT; i++) {
        const char *h = co_defs[i].help;
        if (co_defs[i].def[0])
            fprintf(fp, "| `%s` | `%s` | ", co_defs[i].name, co_defs[i].def);
        else
            fprintf(fp, "| `%s` | (empty) | ", co_defs[i].name);
        for (; *h; h++) { /* Markdown: <...> would be taken for HTML, | ends the cell */
            if (*h == '<' || *h == '>' || *h == '|')
                fputc('\\', fp);
            fputc(*h, fp);
        }
        fprintf(fp, " |\n");
    }
}
