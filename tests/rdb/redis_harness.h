/* Test harness around the real Redis tools: start a throwaway redis-server on a free port of
 * 127.0.0.1 in a temp dir (killed at stop, and by the kernel if the test process dies first),
 * a minimal blocking RESP2 client with timeouts, and a runner that captures a tool's output
 * (redis-check-rdb) within a deadline. */
#ifndef DPCACHE_TEST_REDIS_HARNESS_H
#define DPCACHE_TEST_REDIS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REDIS_SERVER_BIN "/usr/bin/redis-server"
#define REDIS_CHECK_BIN  "/usr/bin/redis-check-rdb"

struct redis_srv {
    pid_t pid;       /* 0 when not running */
    int port;
    int exit_status; /* when redis_start failed because the server exited: its status */
    char log[4096];  /* path of the server log */
};

/* 1 if redis-server and redis-check-rdb are installed. */
int redis_available(void);
/* Starts redis-server with --dir @dir --dbfilename @dbfile (loading it if present), no
 * persistence, plus the NULL-terminated @extra arguments. Returns 0 once it answers PING
 * (waits up to 20 s), -1 if it did not come up (exit_status set if it exited). */
int redis_start(struct redis_srv *s, const char *dir, const char *dbfile, const char *const *extra);
/* Kills the server (SIGKILL) and reaps it. Idempotent. */
void redis_stop(struct redis_srv *s);

/* RESP2 reply. type: '+' status, '-' error, ':' integer, '$' bulk, '*' array, '_' null. */
struct resp {
    int type;
    long long integer;
    char *str; /* status, error, bulk (NUL-terminated, binary-safe with len) */
    size_t len;
    struct resp **elem;
    size_t nelem;
};
void resp_free(struct resp *r);

struct rconn {
    int fd;
    uint8_t buf[1 << 16];
    size_t rpos, rlen;
};

/* Connects to 127.0.0.1:@port with 30 s send/receive timeouts. 0 or -1. */
int rconn_open(struct rconn *c, int port);
void rconn_close(struct rconn *c);
/* Sends one command (@lens may be NULL: strlen of each argument). 0 or -1. */
int rsend(struct rconn *c, int argc, const char *const *argv, const size_t *lens);
/* Reads one reply; NULL on I/O or protocol error. */
struct resp *rrecv(struct rconn *c);
/* send + receive. */
struct resp *rcmd(struct rconn *c, int argc, const char *const *argv, const size_t *lens);
/* Convenience: NULL-terminated C-string arguments. */
struct resp *rcmdf(struct rconn *c, const char *arg0, ...);

/* Runs @argv[0] with @argv, stdout+stderr captured into @out (NUL-terminated, truncated at
 * @outlen), killed after @timeout_s seconds. Returns the exit status, or -1 (could not run,
 * killed by a signal or timed out). */
int run_capture(const char *const argv[], char *out, size_t outlen, int timeout_s);

#endif /* DPCACHE_TEST_REDIS_HARNESS_H */
