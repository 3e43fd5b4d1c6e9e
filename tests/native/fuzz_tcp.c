/*
 * fuzz_tcp.c - libFuzzer target for dpcache's TCP: arbitrary bytes become a script of
 * operations on one stack with the harness's fake application and IP-layer double:
 *
 *   raw       raw bytes as a TCP header + payload from one of a few 4-tuples
 *   segment   a header built from input fields (flags, options bytes, window, payload) whose
 *             sequence/acknowledgment numbers may be steered by what the stack last sent to
 *             that 4-tuple, as a peer would answer (so the input reaches every state, SYN
 *             cookies, out-of-order reassembly, fast retransmit)
 *   poll      the clock moves (timers fire)
 *   app       the application writes, closes, aborts, stops or resumes reading
 *   connect   an active open
 *
 * Checked: no crash or sanitizer report; at the end (tcp_stack_destroy) every mbuf is back in
 * the pool and every application context got closed() exactly once, unless it aborted (the
 * harness aborts on closed() twice, on a callback after closed(), on out_acked beyond what was
 * written).
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
 *        -Db_lundef=false -Dtests=enabled
 * Run:   build-fuzz/tests/fuzz_tcp -max_total_time=120
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native/tcp_impl.h"
#include "tcp_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TUPLES    6    /* 4-tuples segments come from */
#define FUZZ_SEG_MAX   1600 /* bytes of one crafted segment */
#define FUZZ_OPS_MAX   2000 /* operations per input */
#define FUZZ_APP_WRITE 3000 /* most bytes one application write adds */

struct reader {
    const uint8_t *p;
    size_t left;
};

static uint8_t rd8(struct reader *r)
{
    if (!r->left)
        return 0;
    r->left--;
    return *r->p++;
}

static uint16_t rd16(struct reader *r)
{
    return (uint16_t)(rd8(r) << 8 | rd8(r));
}

static uint32_t rd32(struct reader *r)
{
    return (uint32_t)rd16(r) << 16 | rd16(r);
}

/* What the stack last told each 4-tuple: a peer that listens answers with these. */
struct peer_view {
    uint32_t rcv_nxt; /* the stack's ACK field: where the peer's next byte goes */
    uint32_t snd_end; /* past the highest sequence the stack sent (what to acknowledge) */
    int seen;
};

static struct peer_view views[FUZZ_TUPLES];

static const uint16_t tuple_lports[FUZZ_TUPLES] = { 6379, 6379, 6379, 6379, 5000, 7000 };

static void tuple(struct th_peer *p, unsigned i)
{
    th_peer_init(p, (uint16_t)(40000 + i % 3), 0);
    p->addr = htonl(0x0a000002 + i % 2);
    p->lport = htons(tuple_lports[i]);
}

/* Record what the stack sent (before the harness drops the captures). */
static void watch(struct th *h)
{
    for (unsigned k = 0; k < h->nseg; k++) {
        const struct th_seg *s = &h->segs[k];
        for (unsigned i = 0; i < FUZZ_TUPLES; i++) {
            struct th_peer p;
            uint32_t end;
            tuple(&p, i);
            if (s->daddr != p.addr || s->dport != ntohs(p.port) || s->sport != ntohs(p.lport))
                continue;
            end = s->seq + s->dlen + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
            if (s->flags & TH_ACK)
                views[i].rcv_nxt = s->ack;
            if (!views[i].seen || (int32_t)(end - views[i].snd_end) > 0 || (s->flags & TH_SYN))
                views[i].snd_end = end;
            views[i].seen = 1;
        }
    }
}

/* Raw bytes as a segment (ports optionally made real). */
static void op_raw(struct th *h, struct reader *r)
{
    struct th_peer p;
    uint8_t seg[FUZZ_SEG_MAX];
    uint8_t mode = rd8(r);
    uint16_t len = (uint16_t)(rd16(r) % FUZZ_SEG_MAX);

    tuple(&p, rd8(r) % FUZZ_TUPLES);
    memset(seg, 0, sizeof(seg));
    for (uint16_t i = 0; i < len; i++)
        seg[i] = rd8(r);
    if ((mode & 1) && len >= 4) {
        memcpy(seg, &p.port, 2);
        memcpy(seg + 2, &p.lport, 2);
    }
    th_send_raw(h, &p, seg, len);
}

/* A well-formed header whose fields the input picks, steered by what the stack said. */
static void op_segment(struct th *h, struct reader *r)
{
    static const uint8_t common[8] = { TH_ACK, TH_ACK | TH_PSH, TH_SYN,          TH_FIN | TH_ACK,
                                       TH_RST, TH_RST | TH_ACK, TH_SYN | TH_ACK, TH_ACK };
    struct th_peer p;
    uint8_t data[FUZZ_SEG_MAX], opt[40];
    unsigned t = rd8(r) % FUZZ_TUPLES;
    uint8_t steer = rd8(r), fl = rd8(r), d = rd8(r);
    uint8_t optlen = (uint8_t)(rd8(r) % (sizeof(opt) + 1));
    uint16_t dlen = (uint16_t)(rd16(r) % 1500);
    struct th_out o;
    struct tcp_conn *tc;
    uint32_t una;

    tuple(&p, t);
    tc = tcp_conn_lookup(h->ts, p.addr, p.port, p.laddr, p.lport);
    una = tc ? tc->snd_una : views[t].snd_end;
    memset(&o, 0, sizeof(o));
    o.flags = (fl & 0x80) ? (uint8_t)(fl & 0x3f) : common[fl & 7];
    o.set_seq = 1;
    o.seq = rd32(r);
    switch (steer & 3) {
    case 1: o.seq = views[t].rcv_nxt; break;
    case 2: o.seq = views[t].rcv_nxt + d * 64u; break;
    case 3: o.seq = views[t].rcv_nxt - d; break;
    default: break;
    }
    o.set_ack = 1;
    o.ack = rd32(r);
    switch ((steer >> 2) & 3) {
    case 1: o.ack = views[t].snd_end; break;
    case 2: o.ack = una; break;
    case 3: o.ack = views[t].snd_end - d; break;
    default: break;
    }
    o.set_wnd = 1;
    o.wnd = (steer & 16) ? 0xffff : (steer & 32) ? 0 : rd16(r);
    for (unsigned i = 0; i < optlen; i++)
        opt[i] = rd8(r);
    if (optlen) {
        o.raw_opt = opt;
        o.raw_optlen = optlen;
    }
    for (unsigned i = 0; i < dlen; i++)
        data[i] = rd8(r);
    o.data = data;
    o.dlen = dlen;
    th_send(h, &p, &o);
}

static void op_app(struct th *h, struct reader *r)
{
    struct th_app *a;
    uint8_t buf[FUZZ_APP_WRITE];
    uint8_t which = rd8(r), what = rd8(r);

    if (!h->napps)
        return;
    a = h->apps[which % h->napps];
    if (a->closed || !a->tc)
        return;
    switch (what % 8) {
    case 0:
    case 1: {
        size_t n = rd16(r) % sizeof(buf);
        memset(buf, what, n);
        th_app_write(a, buf, n);
        tcp_conn_output(a->tc);
        break;
    }
    case 2: tcp_conn_close(a->tc); break;
    case 3:
        a->closed = 2; /* aborted: closed() must not come (the harness aborts if it does) */
        tcp_conn_abort(a->tc);
        break;
    case 4: a->recv_budget = rd16(r); break;
    case 5:
        a->recv_budget = SIZE_MAX;
        tcp_conn_recv_resume(a->tc);
        break;
    case 6: a->echo = what & 8; break;
    default: a->close_on_fin = 1; break;
    }
}

static void op_connect(struct th *h, struct reader *r)
{
    struct th_peer p;
    struct th_app *a;

    tuple(&p, 4 + rd8(r) % 2);
    views[4 + (p.lport == htons(7000))].seen = 0;
    if (h->napps >= TH_APPS_MAX - 1)
        return;
    a = th_app_new(h);
    a->tc = tcp_connect(h->ts, p.laddr, p.lport, p.addr, p.port, a);
    if (!a->tc)
        a->closed = 3; /* never opened */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    th_eal();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct th h;
    struct reader r = { data, size };
    struct tcp_config cfg = th_config();
    unsigned ops = 0;

    cfg.max_conns = 6;
    cfg.syn_backlog = rd8(&r) % 4;
    cfg.rcv_wnd = 512 + rd16(&r) % 8192;
    cfg.ooo_max = rd16(&r) % 6000;
    cfg.mss = (uint16_t)(TCP_MIN_MSS + rd16(&r) % 1500);
    cfg.delack_ms = rd8(&r) % 8;
    cfg.rto_min_ms = 1;
    cfg.rto_init_ms = 10;
    cfg.rto_max_ms = 80;
    cfg.max_retries = 3;
    cfg.time_wait_ms = 100;
    cfg.keepalive_s = rd8(&r) % 3;
    cfg.keepalive_cnt = 2;
    cfg.rx_segs_max = 1; /* the minimum (TCP_RXSEG_MIN) */
    th_init(&h, &cfg);
    memset(views, 0, sizeof(views));
    while (r.left && ops++ < FUZZ_OPS_MAX) {
        switch (rd8(&r) % 10) {
        case 0: op_raw(&h, &r); break;
        case 1:
        case 2:
        case 3:
        case 4: op_segment(&h, &r); break;
        case 5: th_poll(&h, (uint64_t)rd16(&r) * 50); break;
        case 6:
        case 7: op_app(&h, &r); break;
        default: op_connect(&h, &r); break;
        }
        watch(&h);
        th_drain(&h);
        if (h.ts->qnodes_used > h.ts->nqnodes)
            abort();
    }
    tcp_stack_destroy(h.ts);
    h.ts = NULL;
    for (unsigned i = 0; i < h.napps; i++)
        if (!h.apps[i]->closed) {
            fprintf(stderr, "application context %u never got closed()\n", i);
            abort();
        }
    if (th_fini(&h) != 0) {
        fprintf(stderr, "%u mbufs leaked\n", th_mbufs_in_use());
        abort();
    }
    return 0;
}
