/*
 * cmd.c - the command table (expanded from cmdtab.h), name lookup and the helpers shared by
 * command bodies (see cmd.h).
 */
#include "cmd.h"

#include "../core/util.h"
#include "worker.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct cmd_def cmd_defs[CMD_COUNT] = {
#define CMD_DEF(id, name, fn, ar, fl, fk, lk, st, grp, sum)                                        \
    [CMDID_##id] = { name, fn, ar, fl, fk, lk, st, grp, sum, CMDID_##id, sizeof(name) - 1 },
    CMD_TABLE(CMD_DEF)
#undef CMD_DEF
};

#define LOOKUP_SIZE 256 /* power of two, > 2 * CMD_COUNT */
#define NAME_MAX_LEN 32

static int16_t lookup_tab[LOOKUP_SIZE];
static int lookup_ready;

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void __attribute__((constructor)) lookup_build(void)
{
    _Static_assert(LOOKUP_SIZE > 2 * CMD_COUNT, "grow LOOKUP_SIZE");
    memset(lookup_tab, 0xff, sizeof(lookup_tab));
    for (int i = 0; i < CMD_COUNT; i++) {
        uint32_t b = name_hash(cmd_defs[i].name, cmd_defs[i].namelen) & (LOOKUP_SIZE - 1);
        while (lookup_tab[b] >= 0)
            b = (b + 1) & (LOOKUP_SIZE - 1);
        lookup_tab[b] = (int16_t)i;
    }
    lookup_ready = 1;
}

const struct cmd_def *cmd_lookup(const char *name, size_t len, int internal)
{
    char low[NAME_MAX_LEN];
    uint32_t b;

    if (len == 0 || len > NAME_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    b = name_hash(low, len) & (LOOKUP_SIZE - 1);
    while (lookup_tab[b] >= 0) {
        const struct cmd_def *d = &cmd_defs[lookup_tab[b]];
        if (d->namelen == len && memcmp(d->name, low, len) == 0)
            return (!internal && (d->flags & CMD_INTERNAL)) ? NULL : d;
        b = (b + 1) & (LOOKUP_SIZE - 1);
    }
    return NULL;
}

void ctx_error(struct ctx *x, const char *msg)
{
    rsp_error(x->out, msg);
    x->failed = 1;
    if (x->w) {
        x->w->st.errstat[err_code_of(msg)]++;
        stat_add(x->w, errors, 1);
    }
}

void ctx_errorf(struct ctx *x, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ctx_error(x, buf);
}

void ctx_error_arity(struct ctx *x)
{
    ctx_errorf(x, "ERR wrong number of arguments for '%s' command", x->cmd->name);
}

int arg_ll_or_reply(struct ctx *x, const struct rstr *a, long long *v)
{
    if (!string2ll(a->p, a->len, v)) {
        ctx_error(x, ERR_NOT_INT);
        return -1;
    }
    return 0;
}

int arg_ll_range_or_reply(struct ctx *x, const struct rstr *a, long long min, long long max,
                          const char *msg, long long *v)
{
    if (!string2ll(a->p, a->len, v) || *v < min || *v > max) {
        ctx_error(x, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    return 0;
}

int arg_ld_or_reply(struct ctx *x, const struct rstr *a, long double *v)
{
    if (!string2ld(a->p, a->len, v)) {
        ctx_error(x, ERR_NOT_FLOAT);
        return -1;
    }
    return 0;
}

const char *const err_code_names[ERRC_COUNT] = {
#define E_NAME(x) #x,
    ERROR_CODES(E_NAME)
#undef E_NAME
    "OTHER",
};

enum err_code err_code_of(const char *msg)
{
    size_t n = strcspn(msg, " ");

    for (int i = 0; i < ERRC_OTHER; i++)
        if (strlen(err_code_names[i]) == n && strncmp(msg, err_code_names[i], n) == 0)
            return (enum err_code)i;
    return ERRC_OTHER;
}
