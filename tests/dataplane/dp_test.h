/*
 * dp_test.h - shared helpers for the data-plane unit tests (cmocka): EAL start-up without
 * hugepages, an in-process server with one worker, and a client driven by byte strings.
 */
#ifndef DP_TEST_H
#define DP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/client.h"
#include "engine/server.h"

/* dp_test_eal: start the EAL once (no hugepages, no PCI, one lcore). */
void dp_test_eal(void);

/* dp_test_server: configure and set up the store with one worker (@argv: extra
 * "--name value" options, NULL-terminated). The calling thread becomes worker 0. */
void dp_test_server(const char *const *opts);
void dp_test_server_down(void);

/* dp_test_client: a client on worker 0 with no network connection. */
struct client *dp_test_client(void);

/* dp_test_send: feed @req to @c, run it, and return everything the client got back (a
 * NUL-terminated copy the caller frees); the output is consumed. */
char *dp_test_send(struct client *c, const char *req, size_t len);
#define dp_test_cmd(c, s) dp_test_send((c), (s), strlen(s))

/* assert_reply: run @req on @c and compare the reply bytes with @want. */
#define assert_reply(c, req, want)                                                                 \
    do {                                                                                           \
        char *_r = dp_test_cmd((c), (req));                                                        \
        assert_string_equal(_r, (want));                                                           \
        free(_r);                                                                                  \
    } while (0)

#endif
