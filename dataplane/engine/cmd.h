/*
 * cmd.h - command definitions, the execution context handed to every command, and the
 * helpers command bodies use (error replies, argument parsing).
 *
 * Execution modes of a command with keys in partition P (ctx.p):
 *   owner   ctx.owner = 1: running on P's owner core; may read and write P.
 *   reader  ctx.owner = 0: running on another core, lock-free (only CMD_LFREAD commands).
 *           The command may only read; if it meets something only the owner may read (a
 *           dict-encoded hash) it returns NEED_OWNER before writing any output, and the
 *           dispatcher forwards it.
 *   coordinator  ctx.p = NULL: the keys span partitions (CMD_SPLIT) or the command touches
 *           every partition (CMD_ALLPART); the body builds a plan of per-partition
 *           sub-commands (plan.h) or reads each key's partition itself.
 * ctx.c is the client only when the command runs on the client's own core; commands run for
 * another core (forwarded) see ctx.c == NULL and use ctx.db/ctx.proto.
 */
#ifndef DP_CMD_H
#define DP_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "../resp/compose.h"
#include "../resp/parse.h"
#include "cmdid.h"
#include "stats.h"

struct worker;
struct client;
struct part;

#define CMD_WRITE    (1u << 0)  /* may change the data set */
#define CMD_READONLY (1u << 1)
#define CMD_DENYOOM  (1u << 2)  /* refused at maxmemory when nothing can be evicted */
#define CMD_FAST     (1u << 3)
#define CMD_NOAUTH   (1u << 4)  /* allowed before AUTH */
#define CMD_LOCAL    (1u << 5)  /* no keys: runs on the client's core with ctx.c set */
#define CMD_LFREAD   (1u << 6)  /* may read another core's partition lock-free */
#define CMD_SPLIT    (1u << 7)  /* several keys that may live in different partitions */
#define CMD_ALLPART  (1u << 8)  /* concerns every partition */
#define CMD_INTERNAL (1u << 9)  /* sent between workers only */
#define CMD_NOSCRIPT (1u << 10)
#define CMD_CONTAINER (1u << 11) /* has subcommands (SUBCMD_TABLE): argv[1] names one */
/* Redis 7.0's CMD_PROTECTED: DEBUG (enable-debug-command), MODULE LOAD/LOADEX/UNLOAD
 * (enable-module-command) */
#define CMD_PROTECTED (1u << 12)

/* Handler results. */
#define CMD_DONE       0
#define NEED_OWNER     1 /* reader mode: forward me (no output written) */
#define CMD_SUSPENDED  2 /* a plan was started: the reply comes later */

struct ctx;
typedef int (*cmd_fn)(struct ctx *x);

#define CMD_NAME_MAX 32 /* longest command name: longer ones are unknown */

struct cmd_def {
    const char *name;
    cmd_fn fn;
    int arity;
    uint32_t flags;
    int first_key, last_key, key_step;
    const char *group;
    const char *since;
    const char *summary;
    enum cmd_id id;
    int parent;       /* container's id for a subcommand, -1 for a command */
    uint32_t namelen; /* of name: "client|info" for a subcommand */
};

extern const struct cmd_def cmd_defs[CMD_COUNT];

/* cmd_lookup: the command named @name (case-insensitive); NULL if unknown. Subcommands are not
 * found here: see cmd_lookup_sub.
 *   @internal 0: a client's command: the names clients use, after rename-command (a removed
 *                command, an old name and the internal commands are unknown);
 *   @internal 1: dpcache's own use (plans, restore, the control socket): every command under
 *                its own name, internal ones included, whatever rename-command said. */
const struct cmd_def *cmd_lookup(const char *name, size_t len, int internal);

/* cmd_rename_command: rename-command, as Redis: the command clients call @old (@oldlen bytes, its
 * current name, case-insensitive) is called @new from now on, or removed if @newlen is 0.
 * Errors (-1, Redis's text in @why): "No such command in rename-command" (unknown, already
 * renamed or removed, a subcommand, an internal command), "Target command name already
 * exists", and a new name longer than CMD_NAME_MAX or with bytes other than printable ASCII
 * (no space, quote, backslash or '|'). The command keeps its own name everywhere else
 * (COMMAND, INFO commandstats, errors, CLIENT LIST), as in Redis.
 * Not thread-safe: at start only (configuration), before any worker runs. */
int cmd_rename_command(const char *old, size_t oldlen, const char *new, size_t newlen, char *why,
                       size_t whylen);

/* cmd_rename_reset: every command back under its own name (the configuration's default). */
void cmd_rename_reset(void);

/* cmd_removed: whether rename-command removed @d (for a subcommand: its container), so that
 * COMMAND and INFO commandstats leave it out, as Redis does. */
int cmd_removed(const struct cmd_def *d);

/* cmd_lookup_sub: the subcommand @name (case-insensitive, e.g. "info") of the container
 * @parent; NULL if @parent has no such subcommand. */
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, const char *name, size_t len);

/* cmd_group: COMMAND DOCS group (a subcommand's is its container's). */
static inline const char *cmd_group(const struct cmd_def *d)
{
    return d->parent >= 0 ? cmd_defs[d->parent].group : d->group;
}

/* cmd_lookup_full: a command or, for "container|sub", a subcommand (COMMAND INFO/DOCS). */
const struct cmd_def *cmd_lookup_full(const char *name, size_t len);

struct ctx {
    struct worker *w;
    struct client *c;
    struct part *p;
    const struct cmd_def *cmd;
    int owner;
    int argc;
    const struct rstr *argv;
    struct obuf *out;
    int db;
    uint16_t pdb; /* physical db of ctx.db in ctx.p (0 when p is NULL) */
    int proto;
    uint64_t now; /* ms */
    int failed;   /* an error reply was written */
    int dirty;    /* changes made */
    /* forwarded commands (c == NULL): the requesting client, another core's. Read only for
     * its address and name (SLOWLOG); safe because that client is suspended (runs nothing,
     * cannot rename) and not freed while its batch is out. */
    const struct client *origin;
    int ctl; /* run for the control socket (ctl.c; c == NULL): a Unix-socket peer, local for
                protected configs; secrets (OPT_REDACT) are not shown to it */
};

/* Prototypes of every command body (cmd_*.c). */
#define CMD_PROTO(id, name, fn, ar, fl, fk, lk, st, grp, since, sum) int fn(struct ctx *x);
CMD_TABLE(CMD_PROTO)
#undef CMD_PROTO

/* cmd_redact_mask: the arguments (bit i: argv[i], i < 64) of a command that carry a secret
 * and are shown as "(redacted)" in the slow log, as Redis redacts them: AUTH's arguments,
 * HELLO's AUTH username and password, CONFIG SET's values of OPT_REDACT options. */
uint64_t cmd_redact_mask(const struct cmd_def *d, int argc, const struct rstr *argv);

/* ctx_error: reply an error (text with its code, e.g. "ERR syntax error") and count it. */
void ctx_error(struct ctx *x, const char *msg);
void ctx_errorf(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ctx_error_arity: "ERR wrong number of arguments for '<cmd>' command". */
void ctx_error_arity(struct ctx *x);

/* cmd_unknown_sub_msg: Redis's "ERR unknown subcommand 'x'. Try CLIENT HELP." for @argv
 * (argv[0] a container, argv[1] not one of its subcommands) into @buf. */
void cmd_unknown_sub_msg(char *buf, size_t len, const struct rstr *argv);

/* ctx_sub_or_reply: the subcommand a container's body runs. The dispatcher resolves it
 * (x->cmd is then the subcommand); callers that only know the container (the control
 * socket) get argv[1] looked up and its arity checked here. Returns x->cmd itself when
 * there is no subcommand (argc 1), NULL after replying an error. */
const struct cmd_def *ctx_sub_or_reply(struct ctx *x);

/* cmd_config_set: CONFIG SET <name> <value> ... as the client sent it (x->argv), with the
 * protected configs (OPT_PROTECTED) allowed only if @protected_ok. CONFIG SET passes what
 * enable-protected-configs allows the client; the control socket's CTL.CONFIG.SET (the admin
 * API's PUT /v1/config) passes 0 (docs/operations.md, Security). */
int cmd_config_set(struct ctx *x, int protected_ok);

/* Argument helpers ("...OrReply": on failure they reply and return -1). */
/* arg_is: whether @a is @lit (lower case) in any case; inline: options such as SET's EX are
 * compared on every call (no libc call per candidate). */
static inline int arg_is(const struct rstr *a, const char *lit)
{
    size_t n = strlen(lit);

    if (a->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a->p[i];
        if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}
int arg_ll_or_reply(struct ctx *x, const struct rstr *a, long long *v);
/* arg_ll_range_or_reply: like arg_ll_or_reply with [min,max], replying @msg when outside. */
int arg_ll_range_or_reply(struct ctx *x, const struct rstr *a, long long min, long long max,
                          const char *msg, long long *v);
int arg_ld_or_reply(struct ctx *x, const struct rstr *a, long double *v);
/* arg_cursor_or_reply: a SCAN/HSCAN cursor with Redis's strtoul() rules (optional sign, "-1"
 * wraps to ULONG_MAX, "" is 0, no leading space, stops at a NUL); "ERR invalid cursor". */
int arg_cursor_or_reply(struct ctx *x, const struct rstr *a, unsigned long long *cur);

/* ctx_dirty: count a change to the data set. */
static inline void ctx_dirty(struct ctx *x, int n)
{
    x->dirty += n;
}

#endif
