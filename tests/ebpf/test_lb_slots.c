/*
 * test_lb_slots.c - UDP key-aware steering of the XDP front through BPF_PROG_TEST_RUN.
 *
 * The slot the program computes is compared with a real redis-server's CLUSTER KEYSLOT for
 * 10,000 random keys (printable, binary, hash tags, empty tags, long keys with early tags).
 * To read the program's slot back, the front has one backend with 16,384 cores: core i owns
 * exactly slot i, so the rewritten destination port is base_port + slot.
 * Then slot -> backend (default weighted split, manual assignment) -> owning core's port.
 * Needs root (BPF) and redis-server on PATH; exits 77 (skip) when not root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_test_util.h"

#define VIP            "10.0.0.100"
#define UDP_PORT       7000
#define SLOT_BASE      40000 /* base port of the 16384-core probe backend */
#define N_KEYS         10000u
#define N_LONG_NOTAG   200u
#define KEY_BUF        1024u /* longest generated key */
#define PIPELINE       500u  /* CLUSTER KEYSLOT requests per write */
#define REDIS_WAIT_MS  5000
#define REDIS_ATTEMPTS 5
#define REDIS_PORT_MIN 20000
#define REDIS_PORT_MAX 55000

struct key {
    uint16_t len;
    uint8_t b[KEY_BUF];
};

static struct key *g_keys; /* N_KEYS keys that must get a slot */
static int *g_redis_slot;  /* CLUSTER KEYSLOT per key */
static pid_t g_redis = -1;
static char g_dir[] = "/tmp/dpcache-test-slots-XXXXXX";

static uint32_t ip4(const char *s)
{
    struct in_addr a;

    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

/* ---------------------------------------------------------------------------------------------
 * Keys
 */

static uint8_t pick(uint64_t *rs, const char *alphabet)
{
    return (uint8_t)alphabet[lbt_rand(rs) % strlen(alphabet)];
}

static void key_printable(struct key *k, uint64_t *rs, size_t len)
{
    static const char alpha[] = "abcxyz0189:._-{}{}{}";

    k->len = (uint16_t)len;
    for (size_t i = 0; i < len; i++)
        k->b[i] = pick(rs, alpha);
}

/* Builds the N_KEYS keys: every class must map to a slot (key <= LB_KEY_MAX, or a tag that
 * closes within the first LB_KEY_MAX bytes). */
static void keys_make(void)
{
    uint64_t rs = 0x5107u;

    g_keys = calloc(N_KEYS, sizeof(*g_keys));
    assert_non_null(g_keys);
    for (uint32_t i = 0; i < N_KEYS; i++) {
        struct key *k = &g_keys[i];
        uint32_t cls = i % 10;

        if (cls < 4) { /* printable with many braces, 1..64 bytes */
            key_printable(k, &rs, 1 + lbt_rand(&rs) % 64);
        } else if (cls < 6) { /* prefix{tag}suffix, the tag possibly empty */
            char tmp[160];
            struct key t;
            int n;

            key_printable(&t, &rs, lbt_rand(&rs) % 11);
            t.b[t.len] = 0;
            for (int j = 0; j < t.len; j++)
                if (t.b[j] == '{' || t.b[j] == '}')
                    t.b[j] = 'q';
            n = snprintf(tmp, sizeof(tmp), "user:%u{%s}.%s", (unsigned)(lbt_rand(&rs) % 1000),
                         (const char *)t.b, i & 1 ? "following" : "");
            k->len = (uint16_t)n;
            memcpy(k->b, tmp, (size_t)n);
        } else if (cls < 8) { /* arbitrary bytes, 1..40 */
            k->len = (uint16_t)(1 + lbt_rand(&rs) % 40);
            for (int j = 0; j < k->len; j++)
                k->b[j] = (uint8_t)lbt_rand(&rs);
        } else if (cls < 9) { /* long, up to the limit */
            key_printable(k, &rs, 65 + lbt_rand(&rs) % (LB_KEY_MAX - 64));
        } else { /* over the limit with a tag closing early */
            size_t at = lbt_rand(&rs) % 200, tl = 1 + lbt_rand(&rs) % 20;

            k->len = (uint16_t)(LB_KEY_MAX + 1 + lbt_rand(&rs) % 600);
            memset(k->b, 'z', k->len);
            k->b[at] = '{';
            for (size_t j = 0; j < tl; j++)
                k->b[at + 1 + j] = (uint8_t)('a' + lbt_rand(&rs) % 26);
            k->b[at + 1 + tl] = '}';
        }
        assert_true(k->len <= KEY_BUF);
    }
}

/* ---------------------------------------------------------------------------------------------
 * redis-server in cluster mode on a free loopback port
 */

/* A free loopback TCP port in [REDIS_PORT_MIN, REDIS_PORT_MAX): cluster mode refuses ports
 * above 55535 (the cluster bus listens on port + 10000), where ephemeral ports often are. */
static int free_port(void)
{
    static uint64_t rs;

    if (!rs)
        rs = (uint64_t)getpid() << 20 ^ (uint64_t)time(NULL);
    for (int attempt = 0; attempt < 64; attempt++) {
        int port = REDIS_PORT_MIN + (int)(lbt_rand(&rs) % (REDIS_PORT_MAX - REDIS_PORT_MIN));
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

        if (s < 0)
            return -1;
        ok = !bind(s, (struct sockaddr *)&a, sizeof(a));
        close(s);
        if (ok)
            return port;
    }
    return -1;
}

static int redis_connect(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a))) {
        close(s);
        s = -1;
    }
    return s;
}

static void redis_stop(void)
{
    char path[sizeof(g_dir) + 32];
    int status;

    if (g_redis > 0) {
        kill(g_redis, SIGTERM);
        for (int i = 0; i < 250 && waitpid(g_redis, &status, WNOHANG) == 0; i++)
            usleep(20000);
        if (kill(g_redis, 0) == 0) {
            kill(g_redis, SIGKILL);
            waitpid(g_redis, &status, 0);
        }
        g_redis = -1;
    }
    snprintf(path, sizeof(path), "%s/nodes.conf", g_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/redis.log", g_dir);
    unlink(path);
    rmdir(g_dir);
}

/* Starts redis-server; returns a connected socket. Retries on a port race. */
static int redis_start(void)
{
    char port_s[16], conf[sizeof(g_dir) + 32], log[sizeof(g_dir) + 32];

    assert_non_null(mkdtemp(g_dir));
    snprintf(conf, sizeof(conf), "%s/nodes.conf", g_dir);
    snprintf(log, sizeof(log), "%s/redis.log", g_dir);
    for (int attempt = 0; attempt < REDIS_ATTEMPTS; attempt++) {
        int port = free_port(), status;

        assert_true(port > 0);
        snprintf(port_s, sizeof(port_s), "%d", port);
        g_redis = fork();
        assert_true(g_redis >= 0);
        if (g_redis == 0) {
            execlp("redis-server", "redis-server", "--port", port_s, "--bind", "127.0.0.1",
                   "--cluster-enabled", "yes", "--cluster-config-file", conf, "--dir", g_dir,
                   "--save", "", "--appendonly", "no", "--logfile", log, (char *)NULL);
            _exit(127);
        }
        for (int waited = 0; waited < REDIS_WAIT_MS; waited += 20) {
            int s = redis_connect(port);

            if (s >= 0)
                return s;
            if (waitpid(g_redis, &status, WNOHANG) == g_redis) {
                g_redis = -1;
                break; /* exited: port taken or not installed; retry */
            }
            usleep(20000);
        }
        if (g_redis > 0) {
            kill(g_redis, SIGKILL);
            waitpid(g_redis, &status, 0);
            g_redis = -1;
        }
    }
    redis_stop(); /* removes the directory: abort (CMOCKA_TEST_ABORT) skips the teardown */
    fail_msg("could not start redis-server (installed? ports %d-%d free?)", REDIS_PORT_MIN,
             REDIS_PORT_MAX);
    return -1;
}

static void write_all(int s, const void *p, size_t n)
{
    while (n) {
        ssize_t w = write(s, p, n);

        assert_true(w > 0);
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* Asks redis for CLUSTER KEYSLOT of every key, PIPELINE requests per round trip. */
static void redis_keyslots(int s)
{
    static char buf[PIPELINE * (KEY_BUF + 64)];
    char rbuf[65536];
    size_t rlen = 0;

    g_redis_slot = calloc(N_KEYS, sizeof(*g_redis_slot));
    assert_non_null(g_redis_slot);
    for (uint32_t first = 0; first < N_KEYS; first += PIPELINE) {
        uint32_t last = first + PIPELINE < N_KEYS ? first + PIPELINE : N_KEYS, got = first;
        size_t n = 0;

        for (uint32_t i = first; i < last; i++) {
            n += (size_t)sprintf(buf + n, "*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$%u\r\n",
                                 g_keys[i].len);
            memcpy(buf + n, g_keys[i].b, g_keys[i].len);
            n += g_keys[i].len;
            memcpy(buf + n, "\r\n", 2);
            n += 2;
        }
        write_all(s, buf, n);
        while (got < last) { /* replies are ":<slot>\r\n" */
            char *end = memchr(rbuf, '\n', rlen);
            ssize_t r;

            if (!end) {
                r = read(s, rbuf + rlen, sizeof(rbuf) - rlen);
                assert_true(r > 0);
                rlen += (size_t)r;
                continue;
            }
            if (rbuf[0] != ':')
                fail_msg("redis replied %.*s", (int)(end - rbuf), rbuf);
            g_redis_slot[got++] = atoi(rbuf + 1);
            rlen -= (size_t)(end + 1 - rbuf);
            memmove(rbuf, end + 1, rlen);
        }
    }
}

static int group_setup(void **state)
{
    int s;

    (void)state;
    lbt_pin_cpu0();
    keys_make();
    s = redis_start();
    redis_keyslots(s);
    close(s);
    redis_stop();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    redis_stop();
    free(g_keys);
    free(g_redis_slot);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Program runs
 */

static struct front *front_new(void)
{
    struct in_addr vip = { ip4(VIP) };
    struct front *f = front_open(NULL);

    assert_non_null(f);
    assert_int_equal(front_set_service(f, vip, 0, UDP_PORT), 0);
    return f;
}

static void add_backend(struct front *f, unsigned int i, uint16_t weight, uint16_t base,
                        uint16_t ncores)
{
    struct front_backend_spec s;
    char addr[32];

    memset(&s, 0, sizeof(s));
    snprintf(addr, sizeof(addr), "10.3.0.%u", i + 1);
    inet_pton(AF_INET, addr, &s.addr);
    lbt_mac_backend(s.mac, i);
    s.weight = weight;
    s.base_port = base;
    s.ncores = ncores;
    assert_int_equal(front_backend_add(f, &s), (int)i);
}

/* Sends "GET <key>" to the UDP service; returns the verdict, the backend and the new port. */
static uint32_t send_get(struct front *f, const struct key *k, int *be, int *port)
{
    static uint8_t frame[LBT_PKT_MAX], p[LBT_PKT_MAX];
    static struct lbt_run r;
    const char *argv[2] = { "GET", (const char *)k->b };
    size_t lens[2] = { 3, k->len };
    struct lbt_flow fl = { ip4("192.168.7.7"), ip4(VIP), 33333, UDP_PORT };
    uint32_t len = lbt_build_udp(frame, &fl, NULL, p, lbt_request(p, 5, 2, argv, lens), 1);
    const uint8_t *udp = r.out + LBT_ETH_LEN + LBT_IP_LEN;

    lbt_run(front_prog_fd(f), frame, len, &r);
    *be = lbt_backend_of(r.out);
    *port = udp[2] << 8 | udp[3];
    if (r.retval == XDP_TX)
        assert_true(lbt_udp_csum_ok(r.out, r.len));
    return r.retval;
}

/* The program's slot equals redis-server's CLUSTER KEYSLOT for all keys. */
static void test_slot_matches_redis(void **state)
{
    struct front *f = front_new();
    uint32_t match = 0, tagged = 0;
    uint64_t c[LB_CNT__COUNT];
    int be, port;

    (void)state;
    add_backend(f, 0, 1, SLOT_BASE, LB_SLOTS);
    for (uint32_t i = 0; i < N_KEYS; i++) {
        uint32_t v = send_get(f, &g_keys[i], &be, &port);

        if (v != XDP_TX)
            fail_msg("key %u (len %u): verdict %u", i, g_keys[i].len, v);
        if (port - SLOT_BASE == g_redis_slot[i])
            match++;
        else
            printf("# key %u (len %u): program slot %d, redis %d\n", i, g_keys[i].len,
                   port - SLOT_BASE, g_redis_slot[i]);
    }
    lbt_counters(f, c);
    tagged = (uint32_t)c[LB_CNT_UDP_HASH_TAG];
    printf("# slot == redis CLUSTER KEYSLOT for %u / %u keys (%u decided by a hash tag)\n", match,
           N_KEYS, tagged);
    assert_int_equal(match, N_KEYS);
    assert_int_equal(c[LB_CNT_UDP_KEYED], N_KEYS);
    assert_true(tagged > N_KEYS / 5);

    /* The tests' own reference (lb_test_util.c, used by the fixtures) agrees with redis too. */
    for (uint32_t i = 0; i < N_KEYS; i++)
        assert_int_equal(lbt_key_slot_ref(g_keys[i].b, g_keys[i].len), g_redis_slot[i]);
    front_destroy(&f);
}

/* Keys over the limit without a tag closing inside it are dropped and counted. */
static void test_long_keys_dropped(void **state)
{
    struct front *f = front_new();
    uint64_t rs = 0x10a6u, c[LB_CNT__COUNT];
    struct key k;
    int be, port;

    (void)state;
    add_backend(f, 0, 1, SLOT_BASE, LB_SLOTS);
    for (uint32_t i = 0; i < N_LONG_NOTAG; i++) {
        k.len = (uint16_t)(LB_KEY_MAX + 1 + lbt_rand(&rs) % 700);
        memset(k.b, 'y', k.len);
        if (i & 1)
            k.b[lbt_rand(&rs) % LB_KEY_MAX] = '{'; /* opened, closed only past the limit */
        if (i & 1)
            k.b[LB_KEY_MAX + 1] = '}';
        assert_int_equal(send_get(f, &k, &be, &port), XDP_DROP);
    }
    lbt_counters(f, c);
    assert_int_equal(c[LB_CNT_DROP_KEY_TOO_LONG], N_LONG_NOTAG);
    front_destroy(&f);
}

/* The core of an n-core node owning `slot`, by scanning the documented ranges. */
static int owner_core(int slot, int n)
{
    for (int i = 0; i < n; i++)
        if (slot >= (i * 16384) / n && slot <= ((i + 1) * 16384) / n - 1)
            return i;
    return -1;
}

/* Default split by weight (1, 1, 2 -> quarters, quarter, half), then the owning core's port. */
static void test_backend_and_core(void **state)
{
    static const uint16_t base[3] = { 7000, 7100, 7200 }, cores[3] = { 3, 5, 7 };
    static const int first_slot[4] = { 0, 4096, 8192, 16384 };
    struct front *f = front_new();
    uint32_t *slots = malloc(LB_SLOTS * sizeof(*slots));
    int per_be[3] = { 0 };

    (void)state;
    assert_non_null(slots);
    add_backend(f, 0, 1, base[0], cores[0]);
    add_backend(f, 1, 1, base[1], cores[1]);
    add_backend(f, 2, 2, base[2], cores[2]);
    assert_int_equal(front_slots_read(f, slots), 0);
    for (int b = 0; b < 3; b++)
        for (int s = first_slot[b]; s < first_slot[b + 1]; s++)
            assert_int_equal(slots[s], b);

    for (uint32_t i = 0; i < N_KEYS; i++) {
        int slot = g_redis_slot[i], want_be = slot < 4096 ? 0 : slot < 8192 ? 1 : 2, be, port;

        assert_int_equal(send_get(f, &g_keys[i], &be, &port), XDP_TX);
        assert_int_equal(be, want_be);
        assert_int_equal(port, base[be] + owner_core(slot, cores[be]));
        per_be[be]++;
    }
    printf("# keys per backend: %d %d %d\n", per_be[0], per_be[1], per_be[2]);
    free(slots);
    front_destroy(&f);
}

/* Manual slot ranges override the split, survive publishes, and die with their backend. */
static void test_manual_slots(void **state)
{
    struct front *f = front_new();
    struct in_addr b2;
    uint32_t moved = 0;
    int be, port;

    (void)state;
    add_backend(f, 0, 1, 7000, 1);
    add_backend(f, 1, 1, 7100, 1);
    add_backend(f, 2, 1, 7200, 1);
    inet_pton(AF_INET, "10.3.0.3", &b2);
    assert_int_equal(front_slots_assign(f, 0, 999, b2), 0);
    assert_int_equal(front_slots_assign(f, 5, 1, b2), -EINVAL);
    assert_int_equal(front_publish(f), 0); /* manual assignments survive a publish */
    for (uint32_t i = 0; i < N_KEYS; i++) {
        if (g_redis_slot[i] > 999)
            continue;
        assert_int_equal(send_get(f, &g_keys[i], &be, &port), XDP_TX);
        assert_int_equal(be, 2);
        moved++;
    }
    assert_true(moved > 0);
    assert_int_equal(front_backend_remove(f, b2), 0);
    for (uint32_t i = 0; i < N_KEYS; i++)
        if (g_redis_slot[i] <= 999)
            assert_int_equal(send_get(f, &g_keys[i], &be, &port), XDP_DROP);
    assert_int_equal(front_slots_auto(f), 0);
    for (uint32_t i = 0; i < N_KEYS; i++)
        if (g_redis_slot[i] <= 999)
            assert_int_equal(send_get(f, &g_keys[i], &be, &port), XDP_TX);
    front_destroy(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_matches_redis),
        cmocka_unit_test(test_long_keys_dropped),
        cmocka_unit_test(test_backend_and_core),
        cmocka_unit_test(test_manual_slots),
    };

    if (geteuid() != 0) {
        fprintf(stderr, "test_lb_slots: needs root for BPF_PROG_TEST_RUN; skipped\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
