/*
 * cmd.c - the command table (expanded from cmdtab.h), name lookup and the helpers shared by
 * command bodies (see cmd.h).
 */
#include "cmd.h"

#include "../core/util.h"
#include "config.h"
#include "worker.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* clang-format off */
const struct cmd_def cmd_defs[CMD_COUNT] = {
#define CMD_DEF(id, name, fn, ar, fl, fk, lk, st, grp, since, sum)                                 \
    [CMDID_##id] = { name, fn, ar, fl, fk, lk, st, grp, since, sum, CMDID_##id, -1, sizeof(name) - 1 },
    CMD_TABLE(CMD_DEF)
#undef CMD_DEF
#define SUB_DEF(id, parent, fn, name, ar, fl, since, sum)                                          \
    [CMDID_##id] = { name, fn, ar, fl, 0, 0, 0, NULL, since, sum, CMDID_##id, CMDID_##parent,      \
                     sizeof(name) - 1 },
    SUBCMD_TABLE(SUB_DEF)
#undef SUB_DEF
};
/* clang-format on */

#define LOOKUP_SIZE 256 /* power of two, > 2 * CMD_TOP_COUNT */

/*
 * Two sets of names. Clients call commands by the names rename-command left them (cname:
 * lower case, cname_len 0 for a removed or internal command), found through short_tab (names
 * of up to 8 bytes) and long_tab; dpcache itself (plans, restore, the control socket) calls
 * every command by its own name, through orig_tab. Built before any worker runs (the
 * constructor, then cmd_rename_command at start), read-only afterwards.
 */
static int16_t orig_tab[LOOKUP_SIZE];
static int16_t long_tab[LOOKUP_SIZE];
static char cname[CMD_TOP_COUNT][CMD_NAME_MAX];
static uint8_t cname_len[CMD_TOP_COUNT];

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* Names of up to 8 bytes (nearly every command) are found by their bytes as one word:
 * lower-cased eight bytes at a time, hashed with one multiplication, compared at once. */
#define SHORT_BITS 9
#define SHORT_SIZE (1u << SHORT_BITS)

static uint64_t short_word[SHORT_SIZE];
static uint8_t short_len[SHORT_SIZE];
static int16_t short_tab[SHORT_SIZE];

/* @n (<= 8) bytes of @s as a word, ASCII upper case letters turned lower case */
static inline uint64_t name_word(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t x = 0, h7, upper;

    for (size_t i = 0; i < n; i++) /* no library call for a few bytes */
        x |= (uint64_t)(uint8_t)s[i] << (8 * i);
    h7 = x & ~high;
    /* bytes >= 'A' and not > 'Z', among bytes below 0x80: their 0x20 bit set */
    upper = (h7 + (0x80 - 'A') * ones) & ~(h7 + (0x80 - 'Z' - 1) * ones) & ~x & high;
    return x | upper >> 2;
}

static inline uint32_t word_slot(uint64_t w)
{
    return (uint32_t)((w * 0x9E3779B97F4A7C15ULL) >> (64 - SHORT_BITS));
}

static void tab_put(int16_t *tab, uint32_t h, int id)
{
    uint32_t b = h & (LOOKUP_SIZE - 1);

    while (tab[b] >= 0)
        b = (b + 1) & (LOOKUP_SIZE - 1);
    tab[b] = (int16_t)id;
}

/* short_tab and long_tab from the client names */
static void client_tabs_build(void)
{
    memset(long_tab, 0xff, sizeof(long_tab));
    memset(short_tab, 0xff, sizeof(short_tab));
    for (int i = 0; i < CMD_TOP_COUNT; i++) {
        size_t n = cname_len[i];
        if (n == 0) {
            continue;
        } else if (n <= 8) {
            uint64_t w = name_word(cname[i], n);
            uint32_t b = word_slot(w);
            while (short_tab[b] >= 0)
                b = (b + 1) & (SHORT_SIZE - 1);
            short_tab[b] = (int16_t)i;
            short_word[b] = w;
            short_len[b] = (uint8_t)n;
        } else {
            tab_put(long_tab, name_hash(cname[i], n), i);
        }
    }
}

void cmd_rename_reset(void)
{
    for (int i = 0; i < CMD_TOP_COUNT; i++) {
        int internal = (cmd_defs[i].flags & CMD_INTERNAL) != 0;
        cname_len[i] = internal ? 0 : (uint8_t)cmd_defs[i].namelen;
        memcpy(cname[i], cmd_defs[i].name, cname_len[i]);
    }
    client_tabs_build();
}

static void __attribute__((constructor)) lookup_build(void)
{
    _Static_assert(LOOKUP_SIZE > 2 * CMD_TOP_COUNT, "grow LOOKUP_SIZE");
    _Static_assert(SHORT_SIZE > 2 * CMD_TOP_COUNT, "grow SHORT_BITS");
    memset(orig_tab, 0xff, sizeof(orig_tab));
    for (int i = 0; i < CMD_TOP_COUNT; i++) {
        assert(cmd_defs[i].namelen <= CMD_NAME_MAX);
        tab_put(orig_tab, name_hash(cmd_defs[i].name, cmd_defs[i].namelen), i);
    }
    cmd_rename_reset();
}

/* Probe @tab for the lower-cased @low (@len bytes, hash @h); @orig: compare own names. */
static const struct cmd_def *tab_find(const int16_t *tab, const char *low, size_t len, uint32_t h,
                                      int orig)
{
    for (uint32_t b = h & (LOOKUP_SIZE - 1); tab[b] >= 0; b = (b + 1) & (LOOKUP_SIZE - 1)) {
        int id = tab[b];
        const char *nm = orig ? cmd_defs[id].name : cname[id];
        size_t nl = orig ? cmd_defs[id].namelen : cname_len[id], i = 0;
        if (nl != len)
            continue;
        while (i < len && nm[i] == low[i])
            i++;
        if (i == len)
            return &cmd_defs[id];
    }
    return NULL;
}

const struct cmd_def *cmd_lookup(const char *name, size_t len, int internal)
{
    char low[CMD_NAME_MAX];
    uint32_t h = 2166136261u, b;

    if (len == 0 || len > CMD_NAME_MAX)
        return NULL;
    if (len <= 8 && !internal) {
        uint64_t w = name_word(name, len);
        for (b = word_slot(w); short_tab[b] >= 0; b = (b + 1) & (SHORT_SIZE - 1))
            if (short_word[b] == w && short_len[b] == len)
                return &cmd_defs[short_tab[b]];
        return NULL;
    }
    for (size_t i = 0; i < len; i++) { /* lower case (ASCII, as command names are) and hash */
        char ch = name[i];
        low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
        h = (h ^ (uint8_t)low[i]) * 16777619u; /* name_hash() */
    }
    return tab_find(internal ? orig_tab : long_tab, low, len, h, internal);
}

int cmd_rename_command(const char *old, size_t oldlen, const char *new, size_t newlen, char *why,
                       size_t whylen)
{
    const struct cmd_def *d = memchr(old, '|', oldlen) ? NULL : cmd_lookup(old, oldlen, 0);

    if (!d) {
        snprintf(why, whylen, "No such command in rename-command");
        return -1;
    }
    if (newlen > CMD_NAME_MAX) {
        snprintf(why, whylen, "the new name of '%s' is longer than %d bytes", d->name,
                 CMD_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < newlen; i++) {
        unsigned char ch = (unsigned char)new[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '\\' || ch == '|') {
            snprintf(why, whylen,
                     "the new name of '%s' may hold printable ASCII only, without "
                     "spaces, quotes, backslashes or '|'",
                     d->name);
            return -1;
        }
    }
    /* as Redis: out of the table first (so a command may be renamed to its own name), then in
     * under the new name */
    for (int i = 0; i < CMD_TOP_COUNT && newlen; i++)
        if (i != (int)d->id && cname_len[i] == newlen &&
            strncasecmp(cname[i], new, newlen) == 0) {
            snprintf(why, whylen, "Target command name already exists");
            return -1;
        }
    for (size_t i = 0; i < newlen; i++)
        cname[d->id][i] = (char)tolower((unsigned char)new[i]);
    cname_len[d->id] = (uint8_t)newlen;
    client_tabs_build();
    return 0;
}

int cmd_removed(const struct cmd_def *d)
{
    int top = d->parent >= 0 ? d->parent : (int)d->id;

    return cname_len[top] == 0 && !(cmd_defs[top].flags & CMD_INTERNAL);
}

const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, const char *name, size_t len)
{
    size_t plen = parent->namelen + 1; /* "client|" */

    for (int i = CMD_TOP_COUNT; i < CMD_COUNT; i++) {
        const struct cmd_def *d = &cmd_defs[i];
        if (d->parent == (int)parent->id && d->namelen - plen == len &&
            strncasecmp(d->name + plen, name, len) == 0)
            return d;
    }
    return NULL;
}

const struct cmd_def *cmd_lookup_full(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    const struct cmd_def *d;

    if (!bar)
        return cmd_lookup(name, len, 0);
    d = cmd_lookup(name, (size_t)(bar - name), 0);
    if (!d || !(d->flags & CMD_CONTAINER))
        return NULL;
    return cmd_lookup_sub(d, bar + 1, len - (size_t)(bar + 1 - name));
}

uint64_t cmd_redact_mask(const struct cmd_def *d, int argc, const struct rstr *argv)
{
    uint64_t m = 0;
    int n = argc < 64 ? argc : 64;

    if (d->id == CMDID_AUTH) {
        for (int i = 1; i < n; i++)
            m |= 1ULL << i;
    } else if (d->id == CMDID_HELLO) {
        /* HELLO <protover> [AUTH <username> <password>] [SETNAME <name>], read as Redis does;
         * redacted even when the rest is wrong (stricter than Redis, which stops at the first
         * error and leaves a later password in the slow log) */
        for (int i = 2; i < n; i++) {
            if (arg_is(&argv[i], "auth") && i + 2 < argc) {
                for (int k = i + 1; k <= i + 2 && k < 64; k++)
                    m |= 1ULL << k;
                i += 2;
            } else if (arg_is(&argv[i], "setname") && i + 1 < argc) {
                i++;
            }
        }
    } else if (d->id == CMDID_CONFIG_SET) {
        for (int i = 2; i + 1 < n; i += 2) {
            char name[128];
            const struct opt_def *o;
            if (argv[i].len >= sizeof(name))
                continue;
            memcpy(name, argv[i].p, argv[i].len);
            name[argv[i].len] = '\0';
            o = config_find(name);
            if (o && (o->flags & OPT_REDACT))
                m |= 1ULL << (i + 1);
        }
    }
    return m;
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

void cmd_unknown_sub_msg(char *buf, size_t len, const struct rstr *argv)
{
    char parent[CMD_NAME_MAX + 1], sub[129];
    size_t pl = argv[0].len < CMD_NAME_MAX ? argv[0].len : CMD_NAME_MAX;
    size_t sl = argv[1].len < 128 ? argv[1].len : 128;

    for (size_t i = 0; i < pl; i++)
        parent[i] = (char)toupper((unsigned char)argv[0].p[i]);
    parent[pl] = '\0';
    memcpy(sub, argv[1].p, sl); /* "%.128s" of the argument, as Redis: up to a NUL */
    sub[sl] = '\0';
    sub[strnlen(sub, sl)] = '\0';
    snprintf(buf, len, "ERR unknown subcommand '%s'. Try %s HELP.", sub, parent);
}

const struct cmd_def *ctx_sub_or_reply(struct ctx *x)
{
    const struct cmd_def *d = x->cmd;
    char msg[320];

    if (d->parent >= 0 || !(d->flags & CMD_CONTAINER) || x->argc < 2)
        return d;
    d = cmd_lookup_sub(d, x->argv[1].p, x->argv[1].len);
    if (!d) {
        cmd_unknown_sub_msg(msg, sizeof(msg), x->argv);
        ctx_error(x, msg);
        return NULL;
    }
    if ((d->arity > 0 && x->argc != d->arity) || x->argc < -d->arity) {
        ctx_errorf(x, "ERR wrong number of arguments for '%s' command", d->name);
        return NULL;
    }
    return d;
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

int arg_cursor_or_reply(struct ctx *x, const struct rstr *a, unsigned long long *cur)
{
    size_t n = strnlen(a->p, a->len), i = 0; /* Redis parses the C string */
    unsigned long long v = 0;
    int neg = 0;

    if (n && isspace((unsigned char)a->p[0]))
        goto invalid;
    if (i < n && (a->p[i] == '+' || a->p[i] == '-'))
        neg = a->p[i++] == '-';
    if (i == n) {
        if (n) /* a sign alone: strtoul() consumed nothing */
            goto invalid;
        *cur = 0;
        return 0;
    }
    for (; i < n; i++) {
        unsigned d = (unsigned)(a->p[i] - '0');
        if (d > 9 || v > (ULLONG_MAX - d) / 10)
            goto invalid; /* trailing garbage, or ERANGE */
        v = v * 10 + d;
    }
    *cur = neg ? 0ULL - v : v;
    return 0;
invalid:
    ctx_error(x, "ERR invalid cursor");
    return -1;
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
