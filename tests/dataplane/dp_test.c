/*
 * dp_test.c - helpers for the data-plane unit tests (see dp_test.h).
 */
#include "dp_test.h"

#include "core/log.h"
#include "engine/config.h"
#include "engine/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

void dp_test_eal(void)
{
    static int done;
    char prefix[64];
    char *argv[] = { "test", "-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--no-telemetry",
                     "--file-prefix", prefix, "--log-level", "*:error", NULL };

    if (done)
        return;
    snprintf(prefix, sizeof(prefix), "dptest%d", (int)getpid());
    rte_openlog_stream(stderr);
    log_set_level(LOG_WARNING);
    if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
        fprintf(stderr, "cannot start the EAL for the tests\n");
        exit(1);
    }
    urcu_qsbr_register_thread();
    done = 1;
}

void dp_test_server(const char *const *opts)
{
    char err[512];
    int n = 0;

    dp_test_eal();
    memset(&srv, 0, sizeof(srv));
    config_init(&srv.cfg);
    while (opts && opts[n])
        n++;
    if (config_load_args(&srv.cfg, n, (char **)opts, err, sizeof(err))) {
        fprintf(stderr, "bad test options: %s\n", err);
        exit(1);
    }
    config_apply_all();
    if (srv_setup(1)) {
        fprintf(stderr, "srv_setup failed\n");
        exit(1);
    }
    worker_set_self(srv.workers[0]);
}

void dp_test_server_down(void)
{
    struct worker *w = srv.workers[0];
    struct client *c, *tmp;

    cds_list_for_each_entry_safe(c, tmp, &w->clients, node)
        client_release(c);
    srv_teardown();
    config_free(&srv.cfg);
}

struct client *dp_test_client(void)
{
    struct client *c = client_new(srv.workers[0], NULL, "127.0.0.1:6379", "127.0.0.1:40000", 1);

    assert_non_null(c);
    return c;
}

char *dp_test_send(struct client *c, const char *req, size_t len)
{
    struct worker *w = c->w;
    size_t done = 0, n;
    char *out;

    worker_begin_iteration(w);
    while (done < len) {
        size_t room;
        char *space = client_in_space(c, &room);
        assert_non_null(space);
        n = len - done < room ? len - done : room;
        memcpy(space, req + done, n);
        client_in_commit(c, n);
        done += n;
        client_input(c);
    }
    worker_poll(w);
    n = obuf_len(&c->out);
    out = malloc(n + 1);
    assert_non_null(out);
    obuf_copy_out(&c->out, 0, out, n);
    out[n] = '\0';
    client_output_sent(c, n);
    /* the dirty list is the stack's business; nobody drains it here */
    while (!cds_list_empty(&w->dirty)) {
        struct client *d = cds_list_first_entry(&w->dirty, struct client, dnode);
        cds_list_del(&d->dnode);
        d->flags &= ~CLIENT_DIRTY;
    }
    return out;
}
