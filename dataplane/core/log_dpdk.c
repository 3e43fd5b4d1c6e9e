/*
 * log_dpdk.c - DPDK's log stream through dpcache's logger (see log_dpdk.h).
 *
 * rte_vlog formats a message into its stream and flushes it; the stream is a fopencookie
 * FILE whose write function cuts what arrives into lines (a message may come in pieces, or
 * several messages in one write when threads log at once) and logs each line at the level of
 * the message being written (rte_log_cur_msg_loglevel).
 */
#include "log_dpdk.h"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <rte_log.h>

#define LOG_DPDK_LINE_MAX 900 /* longer lines are cut: log_write's line holds 1024 bytes */

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
#define N_ONE(prefix) prefix,
    LOG_DPDK_NOISE(N_ONE)
#undef N_ONE
};

static char pending[LOG_DPDK_LINE_MAX + 1];
static size_t npending;
static char last_error[LOG_DPDK_LINE_MAX + 1];

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

static void emit(char *line, size_t len)
{
    enum log_level lvl;

    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (!len)
        return;
    line[len] = '\0';
    lvl = level_of(line);
    if (lvl == LOG_WARNING)
        memcpy(last_error, line, len + 1);
    log_write(lvl, "%s", line);
}

static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    (void)cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            emit(pending, npending);
            npending = 0;
        } else if (npending < LOG_DPDK_LINE_MAX) {
            pending[npending++] = buf[i];
        }
    }
    return (ssize_t)size;
}

int log_dpdk_attach(void)
{
    static cookie_io_functions_t io = { .write = stream_write };
    FILE *f = fopencookie(NULL, "w", io);

    if (!f) {
        rte_openlog_stream(stderr);
        return -1;
    }
    /* whole messages reach stream_write: rte_vlog flushes after each */
    setvbuf(f, NULL, _IOFBF, 4096);
    return rte_openlog_stream(f);
}

const char *log_dpdk_last_error(void)
{
    return last_error;
}
