/*
 * config.h - configuration values and their parsing (the directives are in options.h).
 *
 * Thread-safety: the configuration is written at start by the main thread and later only by
 * CONFIG SET on one worker at a time; other workers read fields without locks. Scalars are
 * single aligned words. String fields are replaced by publishing a new string and freeing the
 * old one after an RCU grace period (config_set), so a reader on another core never sees
 * freed memory.
 */
#ifndef DP_CONFIG_H
#define DP_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "../core/limits.h"
#include "options.h"

enum opt_type { OPT_BOOL, OPT_INT, OPT_MEM, OPT_STR, OPT_ENUM, OPT_SAVE, OPT_OBL, OPT_RENAME };

#define OPT_IMMUTABLE   0x1
#define OPT_REDACT      0x2
#define OPT_NOCONFIGGET 0x4
#define OPT_PROTECTED   0x8
#define OPT_FILEONLY    0x10

/* enable-protected-configs, enable-debug-command, enable-module-command (Redis 7.0's
 * PROTECTED_ACTION_ALLOWED_*) */
enum protected_action { PROTECTED_NO = 0, PROTECTED_YES = 1, PROTECTED_LOCAL = 2 };

/* protected_allowed: may a client run a protected action under @mode? @local: the client is
 * local as Redis's islocalClient counts it (client_is_local, or the control socket). */
static inline int protected_allowed(int mode, int local)
{
    return mode == PROTECTED_YES || (mode == PROTECTED_LOCAL && local);
}

/* The value the control socket shows for a set OPT_REDACT option (and the slow log for the
 * arguments that carry one). */
#define REDACTED "(redacted)"

enum stack_kind { STACK_POSIX = 0, STACK_NATIVE = 1 };
enum snapshot_corrupt { CORRUPT_REFUSE = 0, CORRUPT_FALLBACK, CORRUPT_EMPTY };
enum maxmemory_policy {
    MM_VOLATILE_LRU = 0,
    MM_VOLATILE_LFU,
    MM_VOLATILE_RANDOM,
    MM_VOLATILE_TTL,
    MM_ALLKEYS_LRU,
    MM_ALLKEYS_LFU,
    MM_ALLKEYS_RANDOM,
    MM_NOEVICTION,
};

extern const char *const opt_stack_names[];
extern const char *const opt_policy_names[];
extern const char *const opt_loglevel_names[];
extern const char *const opt_corrupt_names[];
extern const char *const opt_protected_names[];

#define OPT_CTYPE_OPT_BOOL int
#define OPT_CTYPE_OPT_INT  long long
#define OPT_CTYPE_OPT_MEM  long long
#define OPT_CTYPE_OPT_STR  char *
#define OPT_CTYPE_OPT_ENUM int
#define OPT_CTYPE_OPT_SAVE char *
#define OPT_CTYPE_OPT_OBL  char *
#define OPT_CTYPE_OPT_RENAME int /* commands renamed or removed (the names are cmd.c's) */

#define SAVE_RULES_MAX 16

struct save_rule {
    long long seconds;
    long long changes;
};

struct config {
#define OPT_FIELD(f, n, t, d, mn, mx, fl, en, desc) OPT_CTYPE_##t f;
    OPT_TABLE(OPT_FIELD)
#undef OPT_FIELD
    struct save_rule save_rules[SAVE_RULES_MAX];
    int nsave;
    long long obuf_hard_limit; /* "normal" class hard limit (0: none) */
    long long obuf_soft_limit;
    long long obuf_soft_seconds;
};

struct opt_def {
    const char *name;
    enum opt_type type;
    const char *def;
    long long min, max;
    int flags;
    const char *const *enums;
    const char *desc;
    size_t offset;
};

extern const struct opt_def opt_defs[];
extern const int opt_count;

/* config_init: every option at its default. */
void config_init(struct config *cfg);
void config_free(struct config *cfg);

/* config_find: the directive named @name (case-insensitive; Redis aliases such as
 * hash-max-ziplist-entries are accepted), or NULL. */
const struct opt_def *config_find(const char *name);

/* config_set: parse @value for directive @name. @starting: immutable ones allowed.
 * Returns 0; -1 unknown name; -2 bad value; -3 immutable. @why gets Redis's reason text
 * ("argument must be a memory value"). rename-command ("<command> <new-name>", the new name
 * empty to remove the command) renames at once in the command table (cmd_rename_command);
 * its default "" puts every command back under its own name. Protection (OPT_PROTECTED) is
 * CONFIG SET's business, not checked here. */
int config_set(struct config *cfg, const char *name, const char *value, int starting, char *why,
               size_t whylen);

/* config_format: the value as CONFIG GET shows it. */
void config_format(const struct config *cfg, const struct opt_def *o, char *buf, size_t len);

/* config_load_args: redis-server style arguments: [configfile] [--name value...]; values of
 * one --name run until the next "--x" (so "--save 900 1 300 10" works). Returns 0 or -1 with
 * a message in @err naming the offending option. */
int config_load_args(struct config *cfg, int argc, char **argv, char *err, size_t errlen);

/* config_scrub_args: after config_load_args, overwrite in place (with '*') the values of the
 * secret options (OPT_REDACT: requirepass) given on the command line, so that ps and
 * /proc/<pid>/cmdline do not show them to other users. */
void config_scrub_args(int argc, char **argv);

/* config_load_file: "name value..." lines, '#' comments, quoted values. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* config_apply_all: push the directives that have runtime side effects (log level, hash
 * encoding limits) to their users; called after loading the configuration. */
void config_apply_all(void);

/* config_print_help: every option with its default, for --help (to @fp). */
void config_print_help(FILE *fp);

#endif
