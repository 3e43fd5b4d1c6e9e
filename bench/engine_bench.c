/*
 * engine_bench.c - the engine alone, in process, no I/O: parse + execute + encode of pipelined
 * GET/SET (90/10) over 1 M keys (16-byte keys, 100-byte values) on one core.
 *
 * A benchmark program, not a test: it prints requests per second. Run it on an idle machine:
 *   build/bench/dp_engine_bench [keys] [requests] [pipeline]
 */
#include "core/log.h"
#include "engine/client.h"
#include "engine/config.h"
#include "engine/server.h"
#include "engine/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Feed @len bytes and drop the replies; returns reply bytes. */
static size_t run(struct client *c, const char *req, size_t len)
{
    size_t done = 0, out;

    worker_begin_iteration(c->w);
    while (done < len) {
        size_t room, n;
        char *space = client_in_space(c, &room);
        if (!space) {
            fprintf(stderr, "client input refused\n");
            exit(1);
        }
        n = len - done < room ? len - done : room;
        memcpy(space, req + done, n);
        client_in_commit(c, n);
        done += n;
        client_input(c);
    }
    out = obuf_len(&c->out);
    client_output_sent(c, out);
    while (!cds_list_empty(&c->w->dirty)) {
        struct client *d = cds_list_first_entry(&c->w->dirty, struct client, dnode);
        cds_list_del(&d->dnode);
        d->flags &= ~CLIENT_DIRTY;
    }
    worker_poll(c->w);
    return out;
}

static size_t put_cmd(char *b, const char *cmd, uint64_t key, const char *val)
{
    char k[32];

    snprintf(k, sizeof(k), "key:%012llu", (unsigned long long)key);
    if (val)
        return (size_t)sprintf(b, "*3\r\n$%zu\r\n%s\r\n$16\r\n%s\r\n$100\r\n%s\r\n", strlen(cmd),
                               cmd, k, val);
    return (size_t)sprintf(b, "*2\r\n$%zu\r\n%s\r\n$16\r\n%s\r\n", strlen(cmd), cmd, k);
}

int main(int argc, char **argv)
{
    long keys = argc > 1 ? atol(argv[1]) : 1000000;
    long requests = argc > 2 ? atol(argv[2]) : 10000000;
    int pipeline = argc > 3 ? atoi(argv[3]) : 64;
    char prefix[64], maxkeys[32], err[256], val[101];
    char *eal[] = { "bench", "-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--no-telemetry",
                    "--file-prefix", prefix, "--log-level", "*:error" };
    char *opts[] = { "--maxkeys", maxkeys };
    char *batch;
    struct client *c;
    double t0, t;
    size_t bytes = 0;

    snprintf(prefix, sizeof(prefix), "dpbench%d", (int)getpid());
    snprintf(maxkeys, sizeof(maxkeys), "%ld", keys + keys / 4 + 1024);
    rte_openlog_stream(stderr);
    log_set_level(LOG_WARNING);
    if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
        return 1;
    urcu_qsbr_register_thread();
    config_init(&srv.cfg);
    if (config_load_args(&srv.cfg, 2, opts, err, sizeof(err)) || srv_setup(1)) {
        fprintf(stderr, "setup failed %s\n", err);
        return 1;
    }
    worker_set_self(srv.workers[0]);
    c = client_new(srv.workers[0], NULL, "bench", "bench", 1);
    memset(val, 'v', 100);
    val[100] = '\0';
    batch = malloc((size_t)pipeline * 200 + 1024);

    t0 = now_s();
    for (long i = 0; i < keys; i += pipeline) {
        size_t n = 0;
        for (int j = 0; j < pipeline && i + j < keys; j++)
            n += put_cmd(batch + n, "SET", (uint64_t)(i + j), val);
        run(c, batch, n);
    }
    t = now_s() - t0;
    printf("preload: %ld SETs in %.2f s (%.0f requests/s)\n", keys, t, (double)keys / t);

    /* requests are generated up front so that only the engine is measured */
    {
        int nb = 1024;
        char **bufs = malloc(sizeof(*bufs) * (size_t)nb);
        size_t *lens = malloc(sizeof(*lens) * (size_t)nb);
        for (int b = 0; b < nb; b++) {
            size_t n = 0;
            bufs[b] = malloc((size_t)pipeline * 200 + 1024);
            for (int j = 0; j < pipeline; j++) {
                uint64_t r = next_rand();
                n += put_cmd(bufs[b] + n, r % 10 == 0 ? "SET" : "GET",
                             (r >> 8) % (uint64_t)keys, r % 10 == 0 ? val : NULL);
            }
            lens[b] = n;
        }
        t0 = now_s();
        for (long i = 0, b = 0; i < requests; i += pipeline, b = (b + 1) % nb)
            bytes += run(c, bufs[b], lens[b]);
        t = now_s() - t0;
        for (int b = 0; b < nb; b++)
            free(bufs[b]);
        free(bufs);
        free(lens);
    }
    printf("engine: %ld requests (90%% GET / 10%% SET, pipeline %d, %ld keys) in %.2f s: "
           "%.0f requests/s on one core (%.1f MB of replies)\n",
           requests, pipeline, keys, t, (double)requests / t, (double)bytes / 1e6);
    free(batch);
    client_release(c);
    srv_teardown();
    rte_eal_cleanup();
    return 0;
}
