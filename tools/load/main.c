/*
 * main.c - dpcache-load: options, EAL and port set-up, launch, progress line, report.
 *
 *   dpcache-load [EAL options] -- [options]     (dpcache-load --help)
 * dpcache-load's options are read first (a mistake in them, or --help, starts no EAL); without
 * "--" they begin at the first argument that is one of them.
 *
 * Exit status: 0 when every reply was right; 1 when a reply was wrong, an unexpected error
 * reply, a malformed reply, or a connection closed under load (timeouts fail only with
 * --strict); 2 for a set-up error.
 */
#include "load.h"
#include "native/pmd_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

struct ld_opts opt;
struct ld_core *ld_cores[LD_MAX_LCORES];
unsigned ld_ncores;
struct rte_ether_addr ld_src_mac, ld_dst_mac;
uint16_t ld_port_id;
uint64_t ld_tsc_hz;
volatile int ld_stop;
unsigned ld_preloaded;

static int strict;
static char vsize_spec[128] = "100", mix_spec[256] = "get=90,setex=10";
static uint64_t t_launch;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: dpcache-load [EAL options] -- [options]\n"
            "A DPDK load generator for RESP servers (dpcache native stack), TCP or UDP framing.\n\n"
            "Example (dpcache with --native-port net_memif0,role=server,socket=/tmp/m.sock\n"
            "--native-addr 10.1.0.2/24):\n"
            "  dpcache-load --no-huge -m 512 -l 1 --file-prefix ld1 \\\n"
            "      --vdev net_memif0,role=client,socket=/tmp/m.sock -- \\\n"
            "      --src 10.1.0.1/24 --dst 10.1.0.2 --dport 6379 --proto udp --duration 5\n\n"
            "Network:\n"
            "  --dev NAME           ethdev name (default: the first port)\n"
            "  --src A.B.C.D/LEN    our address (default 10.1.0.1/24)\n"
            "  --dst A.B.C.D        the server (default 10.1.0.2)\n"
            "  --dport N            server port (default 6379)\n"
            "  --sport-base N       first source port (default 20000)\n"
            "  --proto udp|tcp      RESP over the UDP framing or over TCP (default udp)\n"
            "  --mtu N              (default 1500)\n"
            "  --reflect            the peer reflects frames (testpmd macswap): I/O ceiling\n"
            "  --dst-mac MAC        do not ARP: send to MAC\n"
            "Load:\n"
            "  --conns N            connections (TCP) or flows (UDP), over all lcores (default 16)\n"
            "  --pipeline N         requests in flight per connection (default 16, max %d)\n"
            "  --rate R             open loop: R requests/s, Poisson (default: closed loop)\n"
            "  --requests N         stop after N requests (default: none)\n"
            "  --duration S         stop after S seconds (default 10; always bounded)\n"
            "  --timeout-ms T       UDP reply timeout (default 1000)\n"
            "Workload:\n"
            "  --keys N             key count (default 100000)\n"
            "  --key-size N         key bytes (default 16)\n"
            "  --value-size SPEC    N | LO-HI (uniform per key) | A,B,C (default 100)\n"
            "  --zipf THETA         zipfian key choice (default: uniform)\n"
            "  --mix SPEC           weights, e.g. get=90,setex=10; ops: get set setex hset\n"
            "                       hgetall incr mget (default get=90,setex=10)\n"
            "  --ex S               SET EX seconds (default 3600)\n"
            "  --mget-keys N        keys per MGET (default 4, max %d)\n"
            "  --no-preload         skip the preload phase (missing keys are then accepted)\n"
            "  --value-seed N       seed of the value bytes (default 1)\n"
            "Output:\n"
            "  --json               JSON report on stdout (progress stays on stderr)\n"
            "  --json-file F        JSON report into F as well\n"
            "  --label S            a name carried into the report\n"
            "  --quiet              no progress line\n"
            "  --strict             timeouts fail the run too\n",
            LD_PIPE_MAX, LD_MGET_MAX);
}

static int parse_cidr(const char *s, uint32_t *addr, uint32_t *mask)
{
    char buf[64], *slash;
    long len = 24;
    struct in_addr a;

    snprintf(buf, sizeof(buf), "%s", s);
    slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        len = strtol(slash + 1, NULL, 10);
        if (len < 1 || len > 32)
            return -1;
    }
    if (inet_pton(AF_INET, buf, &a) != 1)
        return -1;
    *addr = a.s_addr;
    *mask = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
    return 0;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'm' || *end == 'M')
        v *= 1e6, end++;
    if (*end || v < (double)lo || v > (double)hi)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_vsize(const char *s)
{
    char buf[128], *tok, *save = NULL;
    struct ld_vsize *v = &opt.vsize;

    memset(v, 0, sizeof(*v));
    snprintf(buf, sizeof(buf), "%s", s);
    if (strchr(buf, ',')) {
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            uint64_t x;
            if (v->n == 16 || parse_u64(tok, 1, 65536, &x))
                return -1;
            v->v[v->n++] = (unsigned)x;
        }
        return 0;
    }
    if (strchr(buf + 1, '-')) {
        uint64_t lo, hi;
        char *d = strchr(buf + 1, '-');
        *d = '\0';
        if (parse_u64(buf, 1, 65536, &lo) || parse_u64(d + 1, lo, 65536, &hi))
            return -1;
        v->lo = (unsigned)lo, v->hi = (unsigned)hi;
        return 0;
    }
    {
        uint64_t x;
        if (parse_u64(buf, 1, 65536, &x))
            return -1;
        v->lo = v->hi = (unsigned)x;
    }
    return 0;
}

/* "get=90,setex=10" -> opt.mix. 0, or -1 with @err naming the wrong part. */
static int parse_mix(const char *s, char *err, size_t errlen)
{
    char buf[256], *tok, *save = NULL, ops[128];
    size_t n = 0;

    ops[0] = '\0';
    for (int i = 0; i < OP_COUNT; i++)
        n += (size_t)snprintf(ops + n, n < sizeof(ops) ? sizeof(ops) - n : 0, "%s%s", i ? " " : "",
                              ld_op_names[i]);
    memset(opt.mix, 0, sizeof(opt.mix));
    snprintf(buf, sizeof(buf), "%s", s);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        uint64_t w = 1;
        int found = 0;
        if (eq) {
            *eq = '\0';
            if (parse_u64(eq + 1, 0, 1000000, &w)) {
                snprintf(err, errlen, "weight '%s' of %s: expected 0..1000000", eq + 1, tok);
                return -1;
            }
        }
        for (int i = 0; i < OP_COUNT; i++)
            if (!strcasecmp(tok, ld_op_names[i])) {
                opt.mix[i] = (unsigned)w;
                found = 1;
            }
        if (!found) {
            snprintf(err, errlen, "unknown operation '%s' (operations: %s)", tok, ops);
            return -1;
        }
    }
    for (int i = 0; i < OP_COUNT; i++)
        if (opt.mix[i])
            return 0;
    snprintf(err, errlen, "every weight is 0 (operations: %s)", ops);
    return -1;
}

enum {
    O_DEV = 256, O_SRC, O_DST, O_DPORT, O_SPORT, O_PROTO, O_MTU, O_REFLECT, O_DSTMAC, O_CONNS,
    O_PIPE, O_RATE, O_REQS, O_DUR, O_TMO, O_KEYS, O_KSIZE, O_VSIZE, O_ZIPF, O_MIX, O_EX,
    O_MGET, O_NOPRE, O_SEED, O_JSON, O_JSONF, O_LABEL, O_QUIET, O_STRICT, O_HELP
};

static const struct option longopts[] = {
    { "dev", 1, 0, O_DEV }, { "src", 1, 0, O_SRC }, { "dst", 1, 0, O_DST },
    { "dport", 1, 0, O_DPORT }, { "sport-base", 1, 0, O_SPORT }, { "proto", 1, 0, O_PROTO },
    { "mtu", 1, 0, O_MTU }, { "reflect", 0, 0, O_REFLECT }, { "dst-mac", 1, 0, O_DSTMAC },
    { "conns", 1, 0, O_CONNS }, { "pipeline", 1, 0, O_PIPE }, { "rate", 1, 0, O_RATE },
    { "requests", 1, 0, O_REQS }, { "duration", 1, 0, O_DUR }, { "timeout-ms", 1, 0, O_TMO },
    { "keys", 1, 0, O_KEYS }, { "key-size", 1, 0, O_KSIZE }, { "value-size", 1, 0, O_VSIZE },
    { "zipf", 1, 0, O_ZIPF }, { "mix", 1, 0, O_MIX }, { "ex", 1, 0, O_EX },
    { "mget-keys", 1, 0, O_MGET }, { "no-preload", 0, 0, O_NOPRE },
    { "value-seed", 1, 0, O_SEED }, { "json", 0, 0, O_JSON }, { "json-file", 1, 0, O_JSONF },
    { "label", 1, 0, O_LABEL }, { "quiet", 0, 0, O_QUIET }, { "strict", 0, 0, O_STRICT },
    { "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
};

/*
 * Where dpcache-load's own options start: after "--", or, without "--", at the first argument
 * that is one of them (dpcache-load --mix ... then works as dpcache-load -- --mix ...; no EAL
 * option has any of their names). argc if there are none.
 */
static int options_start(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--"))
            return i;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h"))
            return i;
        if (strncmp(a, "--", 2) != 0)
            continue;
        for (const struct option *o = longopts; o->name; o++) {
            size_t l = strlen(o->name);
            if (!strncmp(a + 2, o->name, l) && (a[2 + l] == '\0' || a[2 + l] == '='))
                return i;
        }
    }
    return argc;
}

static int bad(const char *what, const char *v)
{
    fprintf(stderr, "dpcache-load: bad %s '%s' (dpcache-load -- --help)\n", what, v);
    return -1;
}

static int parse_args(int argc, char **argv)
{
    int c;
    uint64_t x;

    memset(&opt, 0, sizeof(opt));
    parse_cidr("10.1.0.1/24", &opt.src_addr, &opt.src_mask);
    inet_pton(AF_INET, "10.1.0.2", &opt.dst_addr);
    opt.dport = 6379;
    opt.sport_base = 20000;
    opt.proto = LD_UDP;
    opt.mtu = 1500;
    opt.conns = 16;
    opt.pipeline = 16;
    opt.duration = 10;
    opt.timeout_ms = 1000;
    opt.keys = 100000;
    opt.key_size = 16;
    opt.ex_seconds = 3600;
    opt.mget_keys = 4;
    opt.preload = 1;
    opt.value_seed = 1;
    opt.label = "";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_DEV: snprintf(opt.dev, sizeof(opt.dev), "%s", optarg); break;
        case O_SRC:
            if (parse_cidr(optarg, &opt.src_addr, &opt.src_mask))
                return bad("--src", optarg);
            break;
        case O_DST:
            if (inet_pton(AF_INET, optarg, &opt.dst_addr) != 1)
                return bad("--dst", optarg);
            break;
        case O_DPORT:
            if (parse_u64(optarg, 1, 65535, &x))
                return bad("--dport", optarg);
            opt.dport = (uint16_t)x;
            break;
        case O_SPORT:
            if (parse_u64(optarg, 1024, 65000, &x))
                return bad("--sport-base", optarg);
            opt.sport_base = (uint16_t)x;
            break;
        case O_PROTO:
            if (!strcmp(optarg, "udp"))
                opt.proto = LD_UDP;
            else if (!strcmp(optarg, "tcp"))
                opt.proto = LD_TCP;
            else
                return bad("--proto", optarg);
            break;
        case O_MTU:
            if (parse_u64(optarg, 576, 9000, &x))
                return bad("--mtu", optarg);
            opt.mtu = (unsigned)x;
            break;
        case O_REFLECT: opt.reflect = 1; break;
        case O_DSTMAC:
            if (rte_ether_unformat_addr(optarg, &opt.dst_mac))
                return bad("--dst-mac", optarg);
            opt.have_dst_mac = 1;
            break;
        case O_CONNS:
            if (parse_u64(optarg, 1, 60000, &x))
                return bad("--conns", optarg);
            opt.conns = (unsigned)x;
            break;
        case O_PIPE:
            if (parse_u64(optarg, 1, LD_PIPE_MAX, &x))
                return bad("--pipeline", optarg);
            opt.pipeline = (unsigned)x;
            break;
        case O_RATE: opt.rate = strtod(optarg, NULL); if (opt.rate < 0) return bad("--rate", optarg); break;
        case O_REQS:
            if (parse_u64(optarg, 0, 1e15, &x))
                return bad("--requests", optarg);
            opt.requests = x;
            break;
        case O_DUR:
            opt.duration = strtod(optarg, NULL);
            if (opt.duration <= 0 || opt.duration > 86400)
                return bad("--duration", optarg);
            break;
        case O_TMO:
            opt.timeout_ms = strtod(optarg, NULL);
            if (opt.timeout_ms < 1)
                return bad("--timeout-ms", optarg);
            break;
        case O_KEYS:
            if (parse_u64(optarg, 1, 4000000000ULL, &x))
                return bad("--keys", optarg);
            opt.keys = x;
            break;
        case O_KSIZE:
            if (parse_u64(optarg, 2, 60, &x))
                return bad("--key-size", optarg);
            opt.key_size = (unsigned)x;
            break;
        case O_VSIZE: snprintf(vsize_spec, sizeof(vsize_spec), "%s", optarg); break;
        case O_ZIPF:
            opt.zipf = strtod(optarg, NULL);
            if (opt.zipf < 0 || opt.zipf >= 1)
                return bad("--zipf (0 < theta < 1)", optarg);
            break;
        case O_MIX: snprintf(mix_spec, sizeof(mix_spec), "%s", optarg); break;
        case O_EX:
            if (parse_u64(optarg, 1, 1e9, &x))
                return bad("--ex", optarg);
            opt.ex_seconds = (unsigned)x;
            break;
        case O_MGET:
            if (parse_u64(optarg, 1, LD_MGET_MAX, &x))
                return bad("--mget-keys", optarg);
            opt.mget_keys = (unsigned)x;
            break;
        case O_NOPRE: opt.preload = 0; break;
        case O_SEED:
            if (parse_u64(optarg, 0, 0xffffffffu, &x))
                return bad("--value-seed", optarg);
            opt.value_seed = (uint32_t)x;
            break;
        case O_JSON: opt.json = 1; break;
        case O_JSONF: opt.json_file = optarg; break;
        case O_LABEL: opt.label = optarg; break;
        case O_QUIET: opt.quiet = 1; break;
        case O_STRICT: strict = 1; break;
        case 'h':
        case O_HELP: usage(stdout); exit(0);
        default: /* getopt said which */
            fprintf(stderr, "dpcache-load: unknown option or missing value (dpcache-load "
                            "--help lists the options)\n");
            return -1;
        }
    }
    if (parse_vsize(vsize_spec))
        return bad("--value-size", vsize_spec);
    {
        char why[256];
        if (parse_mix(mix_spec, why, sizeof(why))) {
            fprintf(stderr, "dpcache-load: bad --mix '%s': %s\n", mix_spec, why);
            return -1;
        }
    }
    opt.nil_ok = !opt.preload;
    {
        char digits[32];
        if ((unsigned)snprintf(digits, sizeof(digits), "%llu",
                               (unsigned long long)(opt.keys - 1)) + 1 > opt.key_size) {
            fprintf(stderr, "dpcache-load: --key-size %u is too short for %llu keys\n",
                    opt.key_size, (unsigned long long)opt.keys);
            return -1;
        }
    }
    if (opt.proto == LD_UDP && work_req_max() + 8 > opt.mtu - 28) {
        fprintf(stderr,
                "dpcache-load: requests of up to %zu bytes do not fit one UDP datagram (MTU "
                "%u): use --proto tcp or a larger --mtu\n",
                work_req_max(), opt.mtu);
        return -1;
    }
    if (opt.reflect && opt.proto != LD_UDP) {
        fprintf(stderr, "dpcache-load: --reflect needs --proto udp\n");
        return -1;
    }
    if (opt.reflect)
        opt.preload = 0;
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    ld_stop = 1;
}

static void sum_stats(struct ld_stats *s, uint64_t *inflight)
{
    memset(s, 0, sizeof(*s));
    *inflight = 0;
    for (unsigned i = 0; i < ld_ncores; i++) {
        const struct ld_stats *c = &ld_cores[i]->st;
        s->sent += c->sent, s->done += c->done, s->ok += c->ok, s->wrong += c->wrong;
        s->errors += c->errors, s->timeouts += c->timeouts, s->closed += c->closed;
        s->proto_err += c->proto_err, s->late += c->late, s->preload_done += c->preload_done;
        s->tx_pkts += c->tx_pkts, s->rx_pkts += c->rx_pkts, s->tx_drop += c->tx_drop;
        s->no_mbuf += c->no_mbuf, s->rx_other += c->rx_other;
        for (int k = 0; k < OP_COUNT; k++)
            s->ops[k] += c->ops[k];
        *inflight += ld_cores[i]->inflight;
    }
}

void ld_progress(uint64_t now)
{
    static uint64_t last_done, last_pre;
    struct ld_stats s;
    uint64_t infl;
    int phase = 4;

    if (opt.quiet)
        return;
    sum_stats(&s, &infl);
    for (unsigned i = 0; i < ld_ncores; i++)
        if (ld_cores[i]->phase < phase)
            phase = ld_cores[i]->phase;
    fprintf(stderr,
            "[%5.1fs] %-8s %10.0f req/s  done %llu  preload %llu  in flight %llu  wrong %llu  "
            "errors %llu  timeouts %llu  closed %llu\n",
            (double)(now - t_launch) / (double)ld_tsc_hz,
            phase == 0 ? "preload" : phase == 1 ? "measure" : "drain",
            (double)(phase == 0 ? s.preload_done - last_pre : s.done - last_done),
            (unsigned long long)s.done, (unsigned long long)s.preload_done,
            (unsigned long long)infl, (unsigned long long)s.wrong, (unsigned long long)s.errors,
            (unsigned long long)s.timeouts, (unsigned long long)s.closed);
    last_done = s.done;
    last_pre = s.preload_done;
}

static void report(FILE *f, int json, const struct ld_stats *s, const struct hist *h,
                   double secs, const char *first_err, uint64_t bl_drop, double pre_secs)
{
    double us = 1e-3, rps = secs > 0 ? (double)s->done / secs : 0;
    char vs[160];

    snprintf(vs, sizeof(vs), "%s", vsize_spec);
    if (!json) {
        fprintf(f, "dpcache-load%s%s%s: %s, %s loop, %u conns x pipeline %u%s, keys %llu x %uB, "
                   "values %s B, %s%s, mix %s\n",
                opt.label[0] ? " [" : "", opt.label, opt.label[0] ? "]" : "",
                opt.reflect ? "udp (reflector)" : opt.proto == LD_UDP ? "udp" : "tcp",
                opt.rate > 0 ? "open" : "closed", opt.conns, opt.pipeline, "",
                (unsigned long long)opt.keys, opt.key_size, vs,
                opt.zipf > 0 ? "zipf " : "uniform", opt.zipf > 0 ? "" : "", mix_spec);
        if (opt.zipf > 0)
            fprintf(f, "  zipf theta %.3f\n", opt.zipf);
        if (opt.rate > 0)
            fprintf(f, "  target rate %.0f req/s (Poisson; latency from intended start)\n",
                    opt.rate);
        if (pre_secs > 0)
            fprintf(f, "  preload: %llu keys in %.2f s\n", (unsigned long long)s->preload_done,
                    pre_secs);
        fprintf(f, "  requests %llu in %.2f s: %.0f req/s\n", (unsigned long long)s->done, secs,
                rps);
        fprintf(f, "  latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
                hist_pct(h, 50) * us, hist_pct(h, 90) * us, hist_pct(h, 99) * us,
                hist_pct(h, 99.9) * us, h->max * us, h->n ? (double)h->sum / h->n * us : 0);
        fprintf(f, "  replies: ok %llu  wrong %llu  errors %llu  malformed %llu  timeouts %llu  "
                   "late %llu  closed %llu\n",
                (unsigned long long)s->ok, (unsigned long long)s->wrong,
                (unsigned long long)s->errors, (unsigned long long)s->proto_err,
                (unsigned long long)s->timeouts, (unsigned long long)s->late,
                (unsigned long long)s->closed);
        fprintf(f, "  per op:");
        for (int k = 0; k < OP_COUNT; k++)
            if (s->ops[k])
                fprintf(f, " %s %llu", ld_op_names[k], (unsigned long long)s->ops[k]);
        fprintf(f, "\n  packets: tx %llu rx %llu tx_drop %llu no_mbuf %llu other %llu%s\n",
                (unsigned long long)s->tx_pkts, (unsigned long long)s->rx_pkts,
                (unsigned long long)s->tx_drop, (unsigned long long)s->no_mbuf,
                (unsigned long long)s->rx_other, bl_drop ? "  (open loop backlog full!)" : "");
        if (first_err[0])
            fprintf(f, "  first error: %s\n", first_err);
        fprintf(f, "  validation: %s\n",
                s->wrong + s->errors + s->proto_err + s->closed ? "FAILED" : "all replies right");
        return;
    }
    fprintf(f, "{\"label\":\"%s\",\"proto\":\"%s\",\"reflect\":%d,\"loop\":\"%s\","
               "\"conns\":%u,\"pipeline\":%u,\"rate_target\":%.0f,\"lcores\":%u,"
               "\"keys\":%llu,\"key_size\":%u,\"value_size\":\"%s\",\"zipf\":%.3f,"
               "\"mix\":\"%s\",\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.0f,",
            opt.label, opt.proto == LD_UDP ? "udp" : "tcp", opt.reflect,
            opt.rate > 0 ? "open" : "closed", opt.conns, opt.pipeline, opt.rate, ld_ncores,
            (unsigned long long)opt.keys, opt.key_size, vs, opt.zipf, mix_spec, secs,
            (unsigned long long)s->done, rps);
    fprintf(f, "\"latency_us\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"p999\":%.2f,"
               "\"max\":%.2f,\"mean\":%.2f},",
            hist_pct(h, 50) * us, hist_pct(h, 90) * us, hist_pct(h, 99) * us,
            hist_pct(h, 99.9) * us, h->max * us, h->n ? (double)h->sum / h->n * us : 0);
    fprintf(f, "\"ok\":%llu,\"wrong\":%llu,\"errors\":%llu,\"malformed\":%llu,\"timeouts\":%llu,"
               "\"late\":%llu,\"closed\":%llu,\"backlog_drops\":%llu,\"preload_keys\":%llu,"
               "\"preload_seconds\":%.3f,\"ops\":{",
            (unsigned long long)s->ok, (unsigned long long)s->wrong,
            (unsigned long long)s->errors, (unsigned long long)s->proto_err,
            (unsigned long long)s->timeouts, (unsigned long long)s->late,
            (unsigned long long)s->closed, (unsigned long long)bl_drop,
            (unsigned long long)s->preload_done, pre_secs);
    for (int k = 0, first = 1; k < OP_COUNT; k++)
        if (s->ops[k]) {
            fprintf(f, "%s\"%s\":%llu", first ? "" : ",", ld_op_names[k],
                    (unsigned long long)s->ops[k]);
            first = 0;
        }
    fprintf(f, "},\"first_error\":\"");
    for (const char *p = first_err; *p; p++)
        fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : (*p < 32 ? "?" : "%c"), *p);
    fprintf(f, "\",\"valid\":%s}\n",
            s->wrong + s->errors + s->proto_err + s->closed ? "false" : "true");
}

static int port_init(unsigned nq, char *err, size_t elen)
{
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    struct rte_mempool *pool;
    int rc;
    unsigned nmbufs = nq * 32768 + 8192;

    if (opt.dev[0]) {
        if (rte_eth_dev_get_port_by_name(opt.dev, &ld_port_id)) {
            snprintf(err, elen, "no DPDK port named '%s' (give it with --vdev or -a)", opt.dev);
            return -1;
        }
    } else {
        if (rte_eth_dev_count_avail() == 0) {
            snprintf(err, elen, "no DPDK port: give one with --vdev (e.g. "
                                "net_memif0,role=client,socket=/tmp/m.sock) or -a PCI");
            return -1;
        }
        RTE_ETH_FOREACH_DEV(ld_port_id) break;
    }
    pool = rte_pktmbuf_pool_create("ldpool", nmbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   (int)rte_socket_id());
    if (!pool) {
        snprintf(err, elen, "cannot create %u mbufs: give the EAL more memory (-m)", nmbufs);
        return -1;
    }
    rte_eth_dev_info_get(ld_port_id, &info);
    if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
        snprintf(err, elen, "the port has %u/%u queues, %u lcores need one each",
                 info.max_rx_queues, info.max_tx_queues, nq);
        return -1;
    }
    memset(&conf, 0, sizeof(conf));
    if (nq > 1 && (info.flow_type_rss_offloads & (RTE_ETH_RSS_NONFRAG_IPV4_TCP |
                                                  RTE_ETH_RSS_NONFRAG_IPV4_UDP))) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
                                           (RTE_ETH_RSS_NONFRAG_IPV4_TCP |
                                            RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_IPV4);
    }
    conf.txmode.offloads = info.tx_offload_capa &
                           (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
    conf.rxmode.offloads = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM;
    if (rte_eth_dev_configure(ld_port_id, (uint16_t)nq, (uint16_t)nq, &conf)) {
        snprintf(err, elen, "port configure failed");
        return -1;
    }
    rte_eth_dev_set_mtu(ld_port_id, (uint16_t)opt.mtu);
    for (unsigned q = 0; q < nq; q++)
        if (rte_eth_rx_queue_setup(ld_port_id, (uint16_t)q, 1024, rte_socket_id(), NULL, pool) ||
            rte_eth_tx_queue_setup(ld_port_id, (uint16_t)q, 1024, rte_socket_id(), NULL)) {
            snprintf(err, elen, "queue %u setup failed", q);
            return -1;
        }
    /* a memif client connects in dev_start: a server busy with the previous client's
     * disconnect may refuse it for a moment, so try for a few seconds */
    for (int t = 0; t < 20 && (rc = rte_eth_dev_start(ld_port_id)) != 0; t++)
        rte_delay_ms(250);
    if (rc) {
        snprintf(err, elen, "port start failed");
        return -1;
    }
    rte_eth_macaddr_get(ld_port_id, &ld_src_mac);
    for (unsigned i = 0; i < nq; i++)
        ld_cores[i]->pool = pool;
    net_rss_setup(nq);
    /* memif: wait for the peer to connect */
    for (int t = 0; t < 100; t++) {
        struct rte_eth_link link;
        rte_eth_link_get_nowait(ld_port_id, &link);
        if (link.link_status)
            return 0;
        if (t == 50) { /* no answer to the connection in 5 s: connect again */
            rte_eth_dev_stop(ld_port_id);
            rte_eth_dev_start(ld_port_id);
        }
        rte_delay_ms(100);
    }
    snprintf(err, elen, "link down after 10 s (is the server side of the memif running?)");
    return -1;
}

int main(int argc, char **argv)
{
    char err[256];
    unsigned lc, i = 0;
    int rc;
    struct ld_stats s;
    struct hist *h;
    uint64_t infl, bl_drop = 0, t0 = UINT64_MAX, t1 = 0, pre0 = t_launch;
    const char *first_err = "";
    FILE *jf;

    /* our options first: a mistake in them (or --help) must not start the EAL */
    {
        int split = options_start(argc, argv), n = 1;
        char **app = calloc((size_t)argc + 1, sizeof(*app));
        if (!app)
            return 2;
        app[0] = argv[0];
        for (int k = split + (split < argc && !strcmp(argv[split], "--")); k < argc; k++)
            app[n++] = argv[k];
        if (parse_args(n, app)) {
            free(app);
            return 2;
        }
        free(app);
        rc = rte_eal_init(split, argv);
    }
    if (rc < 0) {
        fprintf(stderr, "dpcache-load: cannot start DPDK (EAL): %s\n",
                rte_errno ? rte_strerror(rte_errno) : "see DPDK's message above");
        return 2;
    }
    ld_tsc_hz = rte_get_tsc_hz();
    ld_ncores = rte_lcore_count();
    if (ld_ncores > LD_MAX_LCORES) {
        fprintf(stderr, "dpcache-load: at most %d lcores\n", LD_MAX_LCORES);
        return 2;
    }
    RTE_LCORE_FOREACH(lc)
    {
        struct ld_core *c = rte_zmalloc("ld_core", sizeof(*c), 64);
        if (!c) {
            fprintf(stderr, "dpcache-load: out of EAL memory\n");
            return 2;
        }
        c->idx = i;
        c->lcore = lc;
        c->queue = (uint16_t)i;
        c->rng = 0x9e3779b97f4a7c15ULL * (i + 1) + rte_rdtsc();
        ld_cores[i++] = c;
    }
    if (port_init(ld_ncores, err, sizeof(err))) {
        fprintf(stderr, "dpcache-load: %s\n", err);
        return 2;
    }
    if (opt.have_dst_mac) {
        ld_dst_mac = opt.dst_mac;
    } else if (opt.reflect) {
        rte_ether_unformat_addr("02:00:00:00:00:02", &ld_dst_mac);
    } else if (net_arp_resolve(5.0)) {
        fprintf(stderr, "dpcache-load: no ARP answer from the server within 5 s\n");
        return 2;
    }
    work_setup();
    for (i = 0; i < ld_ncores; i++)
        if (flow_core_setup(ld_cores[i]))
            return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    t_launch = rte_rdtsc();
    pre0 = t_launch;
    pmd_guard_arm(true, NULL); /* the server may go away mid-run (net_memif) */
    rte_eal_mp_remote_launch(flow_loop, NULL, SKIP_MAIN);
    flow_loop(NULL); /* the main lcore runs its own core too */
    rte_eal_mp_wait_lcore();
    pmd_guard_arm(false, NULL);
    sum_stats(&s, &infl);
    h = calloc(1, sizeof(*h));
    for (i = 0; i < ld_ncores; i++) {
        struct ld_core *c = ld_cores[i];
        hist_merge(h, &c->hist);
        bl_drop += c->bl_drop;
        if (c->t_start && c->t_start < t0)
            t0 = c->t_start;
        if (c->t_stop > t1)
            t1 = c->t_stop;
        if (!first_err[0] && c->first_err[0])
            first_err = c->first_err;
    }
    {
        double secs = t1 > t0 && t0 != UINT64_MAX ? (double)(t1 - t0) / (double)ld_tsc_hz : 0;
        double pre = opt.preload && t0 != UINT64_MAX ? (double)(t0 - pre0) / (double)ld_tsc_hz
                                                      : 0;
        report(stdout, opt.json, &s, h, secs, first_err, bl_drop, pre);
        if (opt.json_file && (jf = fopen(opt.json_file, "w"))) {
            report(jf, 1, &s, h, secs, first_err, bl_drop, pre);
            fclose(jf);
        }
    }
    fflush(stdout);
    rte_eth_dev_stop(ld_port_id);
    rte_eth_dev_close(ld_port_id);
    if (s.wrong + s.errors + s.proto_err + s.closed)
        return 1;
    if (strict && s.timeouts)
        return 1;
    return 0;
}
