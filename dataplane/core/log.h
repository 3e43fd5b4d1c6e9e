/*
 * log.h - leveled logging to stderr.
 *
 * Lines look like Redis's: "<pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <mark> message", with
 * marks '.' debug, '-' verbose, '*' notice, '#' warning. Nothing is ever written to stdout,
 * so a log collector reading stdout sees no log lines.
 *
 * Thread-safety: safe from any thread; each line is one write(2) so lines never interleave.
 */
#ifndef DP_LOG_H
#define DP_LOG_H

enum log_level {
    LOG_DEBUG = 0,
    LOG_VERBOSE,
    LOG_NOTICE,
    LOG_WARNING,
    LOG_NONE, /* nothing is logged at this level; used to silence tests */
};

/* log_set_level: log messages at @level and above. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* log_set_role: one character shown after the pid ('M' main, 'C' control, 'W' worker ...). */
void log_set_role(char role);

/* log_parse_level: "debug", "verbose", "notice", "warning", "nothing" -> level, -1 if unknown. */
int log_parse_level(const char *name);
const char *log_level_name(enum log_level level);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_fatal: the message that ends a failed start or run, at warning level, as the last line:
 * standard output is flushed first (text DPDK printed there comes before it) and nothing is
 * logged after it (log_set_level no longer reopens the log). The caller then exits 1. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...)   log_write(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_write(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...)  log_write(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...)    log_write(LOG_WARNING, __VA_ARGS__)

#endif
