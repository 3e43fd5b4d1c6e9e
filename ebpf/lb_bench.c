/*
 * lb_bench.c - ns per packet of the XDP front (lb.bpf.c) under BPF_PROG_TEST_RUN, as a ratio
 * to a trivial "return XDP_TX" program measured in the same run, on the same CPU (0).
 *
 * Methods (the program keeps state, so not every path can be repeated in place):
 *  - repeat: one packet run `repeat` times in the kernel, which reports the mean. For paths
 *    whose state does not change between repetitions: TCP of an established flow, UDP keyed
 *    (the backends' base port is the service port with one core, so the port rewrite is a
 *    no-op and every repetition parses, hashes and looks up again), UDP keyless.
 *  - per-call: distinct packets each run once (repeat = 1), kernel-reported durations
 *    averaged; every TCP packet is then a new flow (conntrack miss + Maglev + insert). The
 *    baseline is the trivial program measured the same way, so both carry the same fixed
 *    timing overhead.
 * Rounds interleave all measurements; the main figures are medians over rounds of the per-round
 * value (ratios are taken within a round), which keeps a noisy host from skewing one side; the
 * best round of each line is shown too.
 * A third program, "conntrack floor", does only what the kernel map costs: a 16-byte-key
 * LRU_PERCPU_HASH lookup (and insert on a miss) with the connection table's geometry.
 *
 * usage: lb_bench [repeat (1000000)] [flows per round (50000)] [rounds (7)]   (root)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "front.h"

#define ROUNDS_MAX 31
#define VIP        "10.0.0.100"
#define TCP_PORT   6379
#define UDP_PORT   7000
#define N_BACKEND  4
#define FRAME_MAX  512

struct frame {
    uint8_t b[FRAME_MAX];
    uint32_t len;
};

/* One measured line: a program, a packet (repeat) or a packet kind (per-call). */
struct scenario {
    const char *name;
    int *prog;
    const struct frame *frame; /* repeat method */
    int udp;                   /* per-call method: build UDP requests instead of TCP SYNs */
    double ns[ROUNDS_MAX];
    double ratio[ROUNDS_MAX];
};

static uint32_t ip4(const char *s)
{
    struct in_addr a;

    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 + TCP SYN, or + UDP + payload (checksums 0: the program verifies none, and
 * keeps a zero UDP checksum as "absent"). */
static void frame_build(struct frame *f, uint32_t saddr_be, uint16_t sport, int udp,
                        const void *payload, uint32_t plen)
{
    uint8_t *ip = f->b + 14, *l4 = ip + 20;
    uint32_t l4len = udp ? 8 + plen : 20, daddr_be = ip4(VIP);

    memset(f->b, 0, sizeof(f->b));
    memcpy(f->b, "\x02\xf0\x00\x00\x00\x01\x02\xc1\x00\x00\x00\x01", 12);
    put16(f->b + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4len));
    ip[8] = 64;
    ip[9] = udp ? 17 : 6;
    memcpy(ip + 12, &saddr_be, 4);
    memcpy(ip + 16, &daddr_be, 4);
    put16(l4, sport);
    put16(l4 + 2, udp ? UDP_PORT : TCP_PORT);
    if (udp) {
        put16(l4 + 4, (uint16_t)l4len);
        memcpy(l4 + 8, payload, plen);
    } else {
        l4[12] = 5 << 4;
        l4[13] = 0x02;
    }
    f->len = 14 + 20 + l4len;
}

/* Frame header + "*2\r\n$<n>\r\n<cmd>\r\n$<n>\r\n<key>\r\n" (or *1 without key). */
static uint32_t request(uint8_t *out, const char *cmd, const char *key)
{
    int n;

    memcpy(out, "\x00\x01\x00\x00\x00\x01\x00\x00", 8);
    if (key)
        n = snprintf((char *)out + 8, FRAME_MAX - 100, "*2\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
                     strlen(cmd), cmd, strlen(key), key);
    else
        n = snprintf((char *)out + 8, FRAME_MAX - 100, "*1\r\n$%zu\r\n%s\r\n", strlen(cmd), cmd);
    return 8 + (uint32_t)n;
}

static void run(int prog, const struct frame *f, int repeat, uint32_t *dur)
{
    uint8_t out[FRAME_MAX];
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len, .data_out = out,
                .data_size_out = sizeof(out), .repeat = repeat);

    if (bpf_prog_test_run_opts(prog, &opts) || opts.retval != XDP_TX) {
        fprintf(stderr, "lb_bench: run failed (%s) or verdict %u != XDP_TX\n", strerror(errno),
                opts.retval);
        exit(1);
    }
    *dur = opts.duration;
}

/* Mean per-call duration over n distinct flows; `base` makes every call of the run unique. */
static double run_calls(int prog, int udp, uint32_t n, uint32_t base)
{
    uint8_t p[FRAME_MAX];
    uint32_t plen = udp ? request(p, "GET", "user:1000:profile") : 0, dur;
    uint64_t sum = 0;
    struct frame f;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = base + i;

        frame_build(&f, htonl(0x0a000000u | (k >> 14)), (uint16_t)(1024 + (k & 0x3fff)), udp, p,
                    plen);
        run(prog, &f, 1, &dur);
        sum += dur;
    }
    return (double)sum / n;
}

/* r0 = XDP_TX; exit. */
static int prog_trivial(void)
{
    struct bpf_insn insns[2];

    memset(insns, 0, sizeof(insns));
    insns[0] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
                                  .dst_reg = BPF_REG_0,
                                  .imm = XDP_TX };
    insns[1] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
    return bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_tx_trivial", "GPL", insns, 2, NULL);
}

#define I(c, d, s, o, i)                                                                           \
    (struct bpf_insn)                                                                              \
    {                                                                                              \
        .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)                        \
    }

/* The kernel-map floor of a connection table: key = the 16 bytes at offset 26 of the frame
 * (IPv4 addresses, TCP ports, sequence number), lookup in an LRU_PERCPU_HASH shaped like
 * lb_conntrack; insert on a miss; XDP_TX. */
static int prog_ct_floor(void)
{
    int map = bpf_map_create(BPF_MAP_TYPE_LRU_PERCPU_HASH, "ct_floor", 16,
                             sizeof(struct lb_ct_value), LB_CT_MAX_ENTRIES, NULL);
    struct bpf_insn p[] = {
        I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
        I(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_6, offsetof(struct xdp_md, data), 0),
        I(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_6, offsetof(struct xdp_md, data_end), 0),
        I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0),
        I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, 42),
        I(BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 19, 0), /* -> r0 = XDP_TX */
        I(BPF_LDX | BPF_DW | BPF_MEM, BPF_REG_5, BPF_REG_2, 26, 0),
        I(BPF_STX | BPF_DW | BPF_MEM, BPF_REG_10, BPF_REG_5, -16, 0),
        I(BPF_LDX | BPF_DW | BPF_MEM, BPF_REG_5, BPF_REG_2, 34, 0),
        I(BPF_STX | BPF_DW | BPF_MEM, BPF_REG_10, BPF_REG_5, -8, 0),
        I(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map),
        I(0, 0, 0, 0, 0),
        I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
        I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16),
        I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        I(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 9, 0), /* hit -> r0 = XDP_TX */
        I(BPF_ST | BPF_DW | BPF_MEM, BPF_REG_10, 0, -24, 1),
        I(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map),
        I(0, 0, 0, 0, 0),
        I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
        I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16),
        I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
        I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -24),
        I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY),
        I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem),
        I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_TX),
        I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    int fd;

    if (map < 0)
        return -1;
    fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "ct_floor", "GPL", p, sizeof(p) / sizeof(p[0]), NULL);
    close(map); /* the program holds it */
    return fd;
}

static struct front *front_setup(void)
{
    struct in_addr vip = { ip4(VIP) };
    struct front *f = front_open(NULL);

    if (!f || front_set_service(f, vip, TCP_PORT, UDP_PORT))
        return NULL;
    for (int i = 0; i < N_BACKEND; i++) {
        struct front_backend_spec s;

        memset(&s, 0, sizeof(s));
        s.addr.s_addr = htonl(0x0a010001u + (uint32_t)i);
        memcpy(s.mac, "\x02\x00\x00\x00\x00\x01", 6);
        s.mac[4] = (uint8_t)i;
        s.weight = 1;
        s.base_port = UDP_PORT; /* one core on the service port: UDP rewrite is idempotent */
        s.ncores = 1;
        if (front_backend_add(f, &s) < 0)
            return NULL;
    }
    return f;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[ROUNDS_MAX];

    memcpy(s, v, (size_t)n * sizeof(*s));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Prints median ns and median ratio per line, then the best (least disturbed) round's ns and
 * its ratio to the best baseline round. */
static void report(const char *title, struct scenario *sc, int n, int rounds)
{
    double base_best = sc[0].ns[0];

    for (int r = 1; r < rounds; r++)
        base_best = sc[0].ns[r] < base_best ? sc[0].ns[r] : base_best;
    printf("%s\n", title);
    printf("  %-42s %8s  %7s   %8s  %7s\n", "", "median", "ratio", "best", "ratio");
    for (int i = 0; i < n; i++) {
        double best = sc[i].ns[0];

        for (int r = 1; r < rounds; r++)
            best = sc[i].ns[r] < best ? sc[i].ns[r] : best;
        printf("  %-42s %6.1f ns  %6.2fx   %6.1f ns  %6.2fx\n", sc[i].name,
               median(sc[i].ns, rounds), median(sc[i].ratio, rounds), best, best / base_best);
    }
}

int main(int argc, char **argv)
{
    int repeat = argc > 1 ? atoi(argv[1]) : 1000000;
    int flows = argc > 2 ? atoi(argv[2]) : 50000;
    int rounds = argc > 3 ? atoi(argv[3]) : 7;
    struct frame tcp, udp, udp_tag, udp_long, ping;
    char longkey[LB_KEY_MAX + 1];
    int triv, lb, floor;
    uint8_t p[FRAME_MAX];
    struct front *f;
    cpu_set_t set;
    uint32_t dur;

    if (repeat <= 0 || flows <= 0 || rounds <= 0 || rounds > ROUNDS_MAX) {
        fprintf(stderr, "usage: lb_bench [repeat] [flows per round] [rounds <= %d]\n", ROUNDS_MAX);
        return 2;
    }
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        perror("sched_setaffinity");
    f = front_setup();
    triv = prog_trivial();
    floor = prog_ct_floor();
    if (!f || triv < 0 || floor < 0) {
        fprintf(stderr, "lb_bench: setup failed (root?): %s\n", strerror(errno));
        return 1;
    }
    lb = front_prog_fd(f);

    frame_build(&tcp, ip4("10.9.9.9"), 40000, 0, NULL, 0);
    frame_build(&udp, ip4("10.9.9.9"), 40000, 1, p, request(p, "GET", "user:1000:profile"));
    frame_build(&udp_tag, ip4("10.9.9.9"), 40000, 1, p,
                request(p, "GET", "{user:1000}:profile:settings"));
    memset(longkey, 'k', LB_KEY_MAX);
    longkey[LB_KEY_MAX] = '\0';
    frame_build(&udp_long, ip4("10.9.9.9"), 40000, 1, p, request(p, "GET", longkey));
    frame_build(&ping, ip4("10.9.9.9"), 40000, 1, p, request(p, "PING", NULL));
    run(lb, &tcp, 1, &dur);    /* establish the flow */
    run(floor, &tcp, 1, &dur); /* and its floor twin */

    struct scenario rep[] = {
        { "trivial XDP_TX (baseline)", &triv, &tcp, 0, { 0 }, { 0 } },
        { "TCP established (conntrack hit)", &lb, &tcp, 0, { 0 }, { 0 } },
        { "UDP keyed, 17-byte key", &lb, &udp, 0, { 0 }, { 0 } },
        { "UDP keyed, {hash tag} key", &lb, &udp_tag, 0, { 0 }, { 0 } },
        { "UDP keyed, 256-byte key (limit)", &lb, &udp_long, 0, { 0 }, { 0 } },
        { "UDP keyless (PING)", &lb, &ping, 0, { 0 }, { 0 } },
        { "floor: LRU_PERCPU_HASH lookup hit only", &floor, &tcp, 0, { 0 }, { 0 } },
    };
    struct scenario call[] = {
        { "trivial XDP_TX (baseline)", &triv, NULL, 0, { 0 }, { 0 } },
        { "TCP new (miss + Maglev + insert)", &lb, NULL, 0, { 0 }, { 0 } },
        { "UDP keyed, 17-byte key", &lb, NULL, 1, { 0 }, { 0 } },
        { "floor: LRU_PERCPU_HASH miss + insert only", &floor, NULL, 0, { 0 }, { 0 } },
    };
    const int nrep = sizeof(rep) / sizeof(rep[0]), ncall = sizeof(call) / sizeof(call[0]);

    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < nrep; i++) {
            run(*rep[i].prog, rep[i].frame, repeat, &dur);
            rep[i].ns[r] = dur;
        }
        for (int i = 0; i < ncall; i++)
            call[i].ns[r] = run_calls(*call[i].prog, call[i].udp, (uint32_t)flows,
                                      (uint32_t)(r * ncall + i) * (uint32_t)flows);
        for (int i = 0; i < nrep; i++)
            rep[i].ratio[r] = rep[i].ns[r] / rep[0].ns[r];
        for (int i = 0; i < ncall; i++)
            call[i].ratio[r] = call[i].ns[r] / call[0].ns[r];
    }

    printf("lb_bench: XDP front under BPF_PROG_TEST_RUN on CPU 0; median of %d interleaved "
           "rounds; ratio = ns / trivial XDP_TX ns of the same round and method\n",
           rounds);
    report("repeat method (same packet, repeat in kernel):", rep, nrep, rounds);
    printf("  (repeat = %d)\n", repeat);
    report("per-call method (distinct packets, repeat = 1):", call, ncall, rounds);
    printf("  (%d packets per round)\n", flows);
    close(floor);
    close(triv);
    front_destroy(&f);
    return 0;
}
