/*
 * config.c - configuration directives: defaults, parsing, CONFIG GET/SET formatting
 * (see config.h; the table is options.h).
 */
#include "config.h"

#include "../core/log.h"
#include "cliargs/cliargs.h"
#include "cmd.h"
#include "../core/util.h"
#include "../resp/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

const char *const opt_stack_names[] = { "posix", "native", NULL };
const char *const opt_policy_names[] = { "volatile-lru",   "volatile-lfu",   "volatile-random",
                                         "volatile-ttl",   "allkeys-lru",    "allkeys-lfu",
                                         "allkeys-random", "noeviction",     NULL };
const char *const opt_corrupt_names[] = { "refuse", "fallback", "empty", NULL };
const char *const opt_loglevel_names[] = { "debug", "verbose", "notice", "warning", "nothing",
                                           NULL };
/* enum protected_action */
const char *const opt_protected_names[] = { "no", "yes", "local", NULL };

const struct opt_def opt_defs[] = {
#define OPT_DEF(f, n, t, d, mn, mx, fl, en, desc)                                                  \
    { n, t, d, mn, mx, fl, en, desc, offsetof(struct config, f) },
    OPT_TABLE(OPT_DEF)
#undef OPT_DEF
};
const int opt_count = sizeof(opt_defs) / sizeof(opt_defs[0]);

static const struct {
    const char *alias, *name;
} opt_aliases[] = {
    { "hash-max-ziplist-entries", "hash-max-listpack-entries" },
    { "hash-max-ziplist-value", "hash-max-listpack-value" },
};

#define FIELD(cfg, o, T) ((T *)((char *)(cfg) + (o)->offset))

const struct opt_def *config_find(const char *name)
{
    for (size_t i = 0; i < sizeof(opt_aliases) / sizeof(opt_aliases[0]); i++)
        if (strcasecmp(name, opt_aliases[i].alias) == 0)
            name = opt_aliases[i].name;
    for (int i = 0; i < opt_count; i++)
        if (strcasecmp(name, opt_defs[i].name) == 0)
            return &opt_defs[i];
    return NULL;
}

static int parse_save(struct config *cfg, const char *v, char *why, size_t whylen)
{
    struct save_rule rules[SAVE_RULES_MAX];
    struct resp_arg args[2 * SAVE_RULES_MAX + 1];
    char buf[512];
    int n, nr = 0;
    size_t len = strlen(v);

    if (len >= sizeof(buf))
        goto bad;
    n = resp_split_inline(v, len, buf, args, 2 * SAVE_RULES_MAX + 1);
    if (n < 0 || n % 2 || n > 2 * SAVE_RULES_MAX)
        goto bad;
    for (int i = 0; i < n; i += 2) {
        long long s, c;
        if (!string2ll(buf + args[i].off, args[i].len, &s) ||
            !string2ll(buf + args[i + 1].off, args[i + 1].len, &c) || s < 1 || c < 0)
            goto bad;
        rules[nr].seconds = s;
        rules[nr].changes = c;
        nr++;
    }
    memcpy(cfg->save_rules, rules, sizeof(rules[0]) * (size_t)nr);
    cfg->nsave = nr;
    return 0;
bad:
    snprintf(why, whylen, "Invalid save parameters");
    return -1;
}

static int parse_obl(struct config *cfg, const char *v, char *why, size_t whylen)
{
    struct resp_arg args[13];
    char buf[512];
    size_t len = strlen(v);
    int n;

    if (len >= sizeof(buf))
        goto wrong_n;
    n = resp_split_inline(v, len, buf, args, 13);
    if (n < 0 || n % 4 || n == 0)
        goto wrong_n;
    for (int i = 0; i < n; i += 4) {
        char cls[16];
        unsigned long long lim[3];
        size_t cl = args[i].len < sizeof(cls) - 1 ? args[i].len : sizeof(cls) - 1;
        memcpy(cls, buf + args[i].off, cl);
        cls[cl] = '\0';
        if (strcasecmp(cls, "normal") && strcasecmp(cls, "replica") && strcasecmp(cls, "slave") &&
            strcasecmp(cls, "pubsub")) {
            snprintf(why, whylen, "Invalid client class specified in buffer limit configuration.");
            return -1;
        }
        for (int k = 0; k < 3; k++) {
            char num[32];
            size_t nl = args[i + 1 + k].len;
            if (nl >= sizeof(num))
                goto bad_num;
            memcpy(num, buf + args[i + 1 + k].off, nl);
            num[nl] = '\0';
            if (k < 2 ? mem_parse(num, &lim[k]) : !string2ull(num, nl, &lim[k]))
                goto bad_num;
        }
        if (strcasecmp(cls, "normal") == 0) {
            cfg->obuf_hard_limit = (long long)lim[0];
            cfg->obuf_soft_limit = (long long)lim[1];
            cfg->obuf_soft_seconds = (long long)lim[2];
        }
    }
    return 0;
wrong_n:
    snprintf(why, whylen, "Wrong number of arguments in buffer limit configuration.");
    return -1;
bad_num:
    snprintf(why, whylen, "Error in hard, soft or soft_seconds setting in buffer limit "
                          "configuration.");
    return -1;
}

/* rename-command "<command> <new-name>" (the words joined by one space, as the config file and
 * the command line give them; an empty new name removes the command); "" undoes every rename. */
static int parse_rename(struct config *cfg, const struct opt_def *o, const char *v, char *why,
                        size_t whylen)
{
    const char *sp = strchr(v, ' ');

    if (!v[0]) {
        cmd_rename_reset();
        *FIELD(cfg, o, int) = 0;
        return 0;
    }
    if (!sp || strchr(sp + 1, ' ')) {
        snprintf(why, whylen,
                 "wrong number of arguments: rename-command <command> <new-name> "
                 "(an empty new-name, \"\", removes the command)");
        return -2;
    }
    if (cmd_rename_command(v, (size_t)(sp - v), sp + 1, strlen(sp + 1), why, whylen))
        return -2;
    (*FIELD(cfg, o, int))++;
    return 0;
}

/* Replace a published string option; the old string is freed once no reader can use it. */
static void swap_str(char **slot, char *nv, int starting)
{
    char *old = *slot;

    __atomic_store_n(slot, nv, __ATOMIC_RELEASE);
    if (old && !starting)
        urcu_qsbr_synchronize_rcu();
    free(old);
}

int config_set(struct config *cfg, const char *name, const char *value, int starting, char *why,
               size_t whylen)
{
    const struct opt_def *o = config_find(name);
    long long ll;
    unsigned long long ull;

    why[0] = '\0';
    if (!o)
        return -1;
    if ((o->flags & OPT_IMMUTABLE) && !starting) {
        snprintf(why, whylen, "can't set immutable config");
        return -3;
    }
    switch (o->type) {
    case OPT_BOOL:
        if (strcasecmp(value, "yes") == 0)
            *FIELD(cfg, o, int) = 1;
        else if (strcasecmp(value, "no") == 0)
            *FIELD(cfg, o, int) = 0;
        else {
            snprintf(why, whylen, "argument must be 'yes' or 'no'");
            return -2;
        }
        if (!strcmp(o->name, "appendonly") && *FIELD(cfg, o, int)) {
            *FIELD(cfg, o, int) = 0;
            snprintf(why, whylen, "dpcache has no append-only file; use snapshots (save)");
            return -2;
        }
        return 0;
    case OPT_INT:
        if (!string2ll(value, strlen(value), &ll)) {
            snprintf(why, whylen, "argument couldn't be parsed into an integer");
            return -2;
        }
        goto range;
    case OPT_MEM:
        if (value[0] == '-' || mem_parse(value, &ull) || ull > LLONG_MAX) {
            snprintf(why, whylen, "argument must be a memory value");
            return -2;
        }
        ll = (long long)ull;
    range:
        if (ll < o->min || ll > o->max) {
            snprintf(why, whylen, "argument must be between %lld and %lld inclusive", o->min,
                     o->max);
            return -2;
        }
        *FIELD(cfg, o, long long) = ll;
        return 0;
    case OPT_ENUM:
        for (int i = 0; o->enums[i]; i++)
            if (strcasecmp(value, o->enums[i]) == 0) {
                *FIELD(cfg, o, int) = i;
                return 0;
            }
        {
            size_t n = (size_t)snprintf(why, whylen, "argument(s) must be one of the following: ");
            for (int i = 0; o->enums[i] && n < whylen; i++)
                n += (size_t)snprintf(why + n, whylen - n, "%s%s", i ? ", " : "", o->enums[i]);
        }
        return -2;
    case OPT_STR:
        if (!strcmp(o->name, "dir") && !starting) {
            struct stat st;
            if (stat(value, &st) || !S_ISDIR(st.st_mode)) {
                snprintf(why, whylen, "%s", strerror(errno ? errno : ENOTDIR));
                return -2;
            }
        }
        if (!strcmp(o->name, "dbfilename") && (strchr(value, '/') || !value[0])) {
            snprintf(why, whylen, "dbfilename can't be a path, just a filename");
            return -2;
        }
        break;
    case OPT_SAVE:
        if (parse_save(cfg, value, why, whylen))
            return -2;
        break;
    case OPT_OBL:
        if (parse_obl(cfg, value, why, whylen))
            return -2;
        break;
    case OPT_RENAME: return parse_rename(cfg, o, value, why, whylen);
    }
    char *nv = strdup(value);
    if (!nv) {
        snprintf(why, whylen, "out of memory");
        return -2;
    }
    swap_str(FIELD(cfg, o, char *), nv, starting);
    return 0;
}

void config_format(const struct config *cfg, const struct opt_def *o, char *buf, size_t len)
{
    switch (o->type) {
    case OPT_BOOL: snprintf(buf, len, "%s", *FIELD(cfg, o, int) ? "yes" : "no"); break;
    case OPT_INT:
    case OPT_MEM: snprintf(buf, len, "%lld", *FIELD(cfg, o, long long)); break;
    case OPT_ENUM: snprintf(buf, len, "%s", o->enums[*FIELD(cfg, o, int)]); break;
    case OPT_STR: snprintf(buf, len, "%s", *FIELD(cfg, o, char *) ? *FIELD(cfg, o, char *) : "");
        break;
    case OPT_SAVE: {
        size_t n = 0;
        buf[0] = '\0';
        for (int i = 0; i < cfg->nsave && n < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%s%lld %lld", i ? " " : "",
                                  cfg->save_rules[i].seconds, cfg->save_rules[i].changes);
        break;
    }
    case OPT_RENAME: snprintf(buf, len, "%d", *FIELD(cfg, o, int)); break;
    case OPT_OBL:
        snprintf(buf, len, "normal %lld %lld %lld slave 268435456 67108864 60 pubsub 33554432 "
                           "8388608 60",
                 cfg->obuf_hard_limit, cfg->obuf_soft_limit, cfg->obuf_soft_seconds);
        break;
    }
}

void config_init(struct config *cfg)
{
    char why[256];

    memset(cfg, 0, sizeof(*cfg));
    for (int i = 0; i < opt_count; i++)
        if (config_set(cfg, opt_defs[i].name, opt_defs[i].def, 1, why, sizeof(why)))
            log_warn("bad default for %s: %s", opt_defs[i].name, why); /* a table bug */
}

void config_free(struct config *cfg)
{
    for (int i = 0; i < opt_count; i++) {
        const struct opt_def *o = &opt_defs[i];
        if (o->type == OPT_STR || o->type == OPT_SAVE || o->type == OPT_OBL) {
            free(*FIELD(cfg, o, char *));
            *FIELD(cfg, o, char *) = NULL;
        }
    }
}

static int set_or_explain(struct config *cfg, const char *name, const char *value, char *err,
                          size_t errlen, const char *where)
{
    char why[256];
    int rc = config_set(cfg, name, value, 1, why, sizeof(why));

    if (rc == -1)
        snprintf(err, errlen, "%sunknown option '%s' (see --help)", where, name);
    else if (rc && (config_find(name)->flags & OPT_REDACT)) /* a secret: not in the log */
        snprintf(err, errlen, "%sinvalid value for option '%s': %s", where, name, why);
    else if (rc)
        snprintf(err, errlen, "%sinvalid value '%s' for option '%s': %s", where, value, name,
                 why);
    return rc ? -1 : 0;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[8192], where[600];
    int lineno = 0;

    if (!f) {
        snprintf(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        struct resp_arg args[64];
        char words[sizeof(line)], value[sizeof(line)], name[128];
        size_t len = strlen(line), vl = 0;
        int n;

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            snprintf(err, errlen, "%s line %d: line too long", path, lineno);
            fclose(f);
            return -1;
        }
        n = resp_split_inline(line, len, words, args, 64);
        if (n == 0 || (n > 0 && words[args[0].off] == '#'))
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s line %d: %s", path, lineno,
                     n == -1 ? "unbalanced quotes" : "too many arguments");
            fclose(f);
            return -1;
        }
        if (args[0].len >= sizeof(name)) {
            snprintf(err, errlen, "%s line %d: option name too long", path, lineno);
            fclose(f);
            return -1;
        }
        memcpy(name, words + args[0].off, args[0].len);
        name[args[0].len] = '\0';
        for (int i = 1; i < n; i++) {
            if (i > 1)
                value[vl++] = ' ';
            memcpy(value + vl, words + args[i].off, args[i].len);
            vl += args[i].len;
        }
        value[vl] = '\0';
        snprintf(where, sizeof(where), "%s line %d: ", path, lineno);
        if (set_or_explain(cfg, name, value, err, errlen, where)) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

int config_load_args(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    int i = 0, r;
    const char *name;
    char value[CLIARGS_VALUE_MAX];

    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
        if (config_load_file(cfg, argv[0], err, errlen))
            return -1;
        i = 1;
    }
    while ((r = cliargs_next(argc, argv, &i, &name, value, sizeof(value), err, errlen)) > 0)
        if (set_or_explain(cfg, name, value, err, errlen, ""))
            return -1;
    return r;
}

void config_scrub_args(int argc, char **argv)
{
    int secret = 0;

    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
            const struct opt_def *o = config_find(argv[i] + 2);
            secret = o && (o->flags & OPT_REDACT);
        } else if (secret) {
            memset(argv[i], '*', strlen(argv[i]));
        }
    }
}

void config_print_help(FILE *fp)
{
    fprintf(fp, "Options (as --name value on the command line, or 'name value' lines in a config "
                "file):\n");
    for (int i = 0; i < opt_count; i++) {
        const struct opt_def *o = &opt_defs[i];
        fprintf(fp, "  --%-28s %s\n  %-30s default: \"%s\"", o->name, o->desc, "", o->def);
        if (o->type == OPT_ENUM) {
            fprintf(fp, " (");
            for (int k = 0; o->enums[k]; k++)
                fprintf(fp, "%s%s", k ? "|" : "", o->enums[k]);
            fprintf(fp, ")");
        } else if (o->type == OPT_INT || o->type == OPT_MEM) {
            fprintf(fp, " [%lld..%lld]", o->min, o->max);
        }
        fprintf(fp, "%s\n", (o->flags & OPT_IMMUTABLE) ? ", start only" : "");
    }
}
