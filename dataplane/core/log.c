/*
 * log.c - leveled logging to stderr (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int log_level = LOG_NOTICE;
static volatile int log_sealed; /* log_fatal ran: the log stays closed */
static __thread char log_role = 'M';

static const char *const level_names[] = { "debug", "verbose", "notice", "warning", "nothing" };

void log_set_level(enum log_level level)
{
    if (!log_sealed)
        log_level = level;
}

enum log_level log_get_level(void)
{
    return (enum log_level)log_level;
}

void log_set_role(char role)
{
    log_role = role;
}

int log_parse_level(const char *name)
{
    for (int i = 0; i <= LOG_NONE; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(enum log_level level)
{
    return level <= LOG_NONE ? level_names[level] : "?";
}

static void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
    static const char marks[] = ".-*#";
    char line[2048];
    struct timeval tv;
    struct tm tm;
    int n;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    n = snprintf(line, sizeof(line), "%d:%c ", (int)getpid(), log_role);
    n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, "%03d %c ", (int)(tv.tv_usec / 1000),
                  marks[level]);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}

void log_write(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    if ((int)level < log_level || level >= LOG_NONE)
        return;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    int level = log_level;

    /* the first fatal message wins: a second one (another thread's) stays unwritten */
    if (__atomic_exchange_n(&log_sealed, 1, __ATOMIC_ACQ_REL))
        return;
    fflush(stdout);
    log_level = LOG_NONE;
    if (level > LOG_WARNING)
        return;
    va_start(ap, fmt);
    log_vwrite(LOG_WARNING, fmt, ap);
    va_end(ap);
}
