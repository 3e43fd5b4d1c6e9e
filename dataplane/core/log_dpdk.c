/*
 * log_dpdk.c - DPDK's log stream through dpcache's logger (see log_dpdk.h).
 *
 * rte_vlog formats a message into its stream and flushes it; the stream is a fopencookie
 * FILE whose write function cuts what arrives into lines (a message may come in pieces, or
 * several messages in one write when threads log at once) and logs each line at the level of
 * the message being written (rte_log_cur_msg_loglevel). stdio's `stderr` gets the same
 * treatment at warning level: DPDK prints a few things there itself (rte_eal_init_alert's
 * "EAL: FATAL: ...", getopt's "unrecognized option"), and so does any library.
 */
#include "log_dpdk.h"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <rte_log.h>

#define LOG_DPDK_LINE_MAX 900 /* longer lines are cut: log_write's line holds 2048 bytes */

/* DPDK messages logged at debug whatever their DPDK level (matched anywhere in the line): they
 * report nothing an operator can act on. A telemetry feature dpcache does not use; the TAP
 * PMD's attempt at a multiq qdisc (kernels without sch_multiq: the PMD then runs without
 * rte_flow and dpcache steers in software, docs/operations.md "Queues") and the kernel's
 * extended ack for it. */
#define LOG_DPDK_NOISE(X)                                                                          \
    X("TELEMETRY: No legacy callbacks")                                                            \
    X("tap_nl_dump_ext_ack(): ")                                                                   \
    X("Could not add multiq qdisc")                                                                \
    X("failed to create multiq qdisc")                                                             \
    X("Disabling rte flow support")

static const char *const noise[] = {
#define N_ONE(text) text,
    LOG_DPDK_NOISE(N_ONE)
#undef N_ONE
};

/* One stream's partial line (writes to a stream are serialized by its FILE lock). */
struct line_buf {
    int raw; /* stdio's stderr: every line a warning */
    size_t n;
    char buf[LOG_DPDK_LINE_MAX + 1];
};

static struct line_buf dpdk_lines, stderr_lines = { .raw = 1 };
static char first_error[LOG_DPDK_LINE_MAX + 1]; /* since log_dpdk_mark */

static enum log_level level_of(const char *line)
{
    int lvl = rte_log_cur_msg_loglevel();

    for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
        if (strstr(line, noise[i]))
            return LOG_DEBUG;
    if (lvl >= 1 && lvl <= (int)RTE_LOG_ERR)
        return LOG_WARNING;
    if (lvl == (int)RTE_LOG_WARNING)
        return LOG_NOTICE;
    if (lvl == (int)RTE_LOG_NOTICE)
        return LOG_VERBOSE;
    return LOG_DEBUG;
}

static void emit(struct line_buf *lb)
{
    size_t len = lb->n;
    enum log_level lvl;

    lb->n = 0;
    while (len && (lb->buf[len - 1] == '\r' || lb->buf[len - 1] == ' ' || lb->buf[len - 1] == '\t'))
        len--;
    if (!len)
        return;
    lb->buf[len] = '\0';
    lvl = lb->raw ? LOG_WARNING : level_of(lb->buf);
    if (lvl == LOG_WARNING && !lb->raw && !first_error[0])
        memcpy(first_error, lb->buf, len + 1);
    log_write(lvl, "%s", lb->buf);
}

static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    struct line_buf *lb = cookie;

    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n')
            emit(lb);
        else if (lb->n < LOG_DPDK_LINE_MAX)
            lb->buf[lb->n++] = buf[i];
    }
    return (ssize_t)size;
}

int log_dpdk_attach(void)
{
    static cookie_io_functions_t io = { .write = stream_write };
    FILE *f = fopencookie(&dpdk_lines, "w", io);
    FILE *e = fopencookie(&stderr_lines, "w", io);

    if (!f || !e) {
        if (f)
            fclose(f);
        if (e)
            fclose(e);
        rte_openlog_stream(stderr);
        return -1;
    }
    /* whole messages reach stream_write: rte_vlog flushes after each */
    setvbuf(f, NULL, _IOFBF, 4096);
    setvbuf(e, NULL, _IOLBF, 4096);
    stderr = e; /* glibc: stdin, stdout and stderr are variables one may set */
    return rte_openlog_stream(f);
}

void log_dpdk_mark(void)
{
    first_error[0] = '\0';
}

const char *log_dpdk_first_error(void)
{
    return first_error;
}
