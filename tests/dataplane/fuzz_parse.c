/*
 * fuzz_parse.c - libFuzzer target for the request parser.
 *
 * The input is fed to the parser in pieces whose sizes come from the input itself, moving the
 * unparsed bytes to a fresh buffer between pieces (as a client's buffer is compacted), and
 * with the pre-AUTH limits on or off. Invariants checked: a command never claims more bytes
 * than it was given, arguments lie inside the buffer, and parsing the same bytes in one piece
 * yields the same commands.
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined
 * Run:   build-fuzz/tests/fuzz_resp_parse -max_total_time=60 tests/fuzz-corpus/resp_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CMDS 4096

static uint64_t digest_run(const uint8_t *data, size_t size, size_t step, int unauth, int *ncmd,
                           int *status)
{
    struct resp_parser p;
    char *buf = NULL;
    size_t have = 0, pos = 0, fed = 0;
    uint64_t h = 1469598103934665603ULL;
    int rc = RESP_EUNFIN;

    resp_parser_init(&p);
    p.unauth = unauth;
    p.max_bulk = 1 << 20;
    *ncmd = 0;
    while (fed < size || rc == RESP_OK) {
        if (rc != RESP_OK) { /* give it the next piece */
            size_t n = size - fed < step ? size - fed : step;
            char *nb = malloc(have - pos + n + 1);
            memcpy(nb, buf ? buf + pos : "", have - pos);
            memcpy(nb + (have - pos), data + fed, n);
            free(buf);
            buf = nb;
            have = have - pos + n;
            pos = 0;
            fed += n;
        }
        rc = resp_parse(&p, buf + pos, have - pos);
        if (rc == RESP_OK) {
            if (p.cmdlen > have - pos || p.cmdlen == 0)
                abort();
            for (int i = 0; i < p.argc; i++) {
                const char *a = p.argv[i].p;
                int in_buf = a >= buf + pos && a + p.argv[i].len <= buf + pos + p.cmdlen;
                int in_inline = p.inline_cmd && p.argv[i].len <= p.cmdlen;
                if (!in_buf && !in_inline)
                    abort();
                for (size_t k = 0; k < p.argv[i].len; k++)
                    h = (h ^ (uint8_t)a[k]) * 1099511628211ULL;
                h = (h ^ 0xff) * 1099511628211ULL;
            }
            pos += p.cmdlen;
            resp_parser_next(&p);
            if (++*ncmd >= MAX_CMDS)
                break;
        } else if (rc != RESP_EUNFIN) {
            break;
        }
    }
    *status = rc;
    free(buf);
    resp_parser_free(&p);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t step;
    int unauth, n1, n2, s1, s2;
    uint64_t h1, h2;

    if (size < 2)
        return 0;
    step = 1 + data[0] % 64;
    unauth = data[1] & 1;
    data += 2;
    size -= 2;
    h1 = digest_run(data, size, step, unauth, &n1, &s1);
    h2 = digest_run(data, size, size ? size : 1, unauth, &n2, &s2);
    /* incremental parsing must find the same commands as parsing everything at once */
    if (n1 != n2 || (n1 < MAX_CMDS && (h1 != h2 || s1 != s2)))
        abort();
    return 0;
}
