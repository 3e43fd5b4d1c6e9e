/*
 * lb.bpf.c - dpcache's XDP load-balancing front (logic only; maps in lb_maps.h, shared structs
 * and counters in lb_shared.h, private constants in lb_consts.h).
 *
 * Per packet addressed to the VIP:
 *   TCP to the service port  -> connection table (per-CPU LRU) or, on a miss, Maglev over the
 *                               active backends; the flow is pinned in the table.
 *   UDP to the service port  -> parse the dpcache frame header and the RESP2 command, take
 *                               argument 1 as the key, CRC16 slot ({hash tag} rule), slot table
 *                               -> backend, owning core -> destination port base_port + core.
 * Forwarding is an L2 rewrite (direct server return: backends own the VIP) sent with XDP_TX,
 * or XDP_REDIRECT through lb_tx_ports when the backend sits behind another interface.
 * Everything else is passed or dropped by the rules in docs/front.md, each with a counter.
 *
 * Verdict convention: each handler returns the packet's final XDP action and has already
 * counted its reason (LB_DROP/LB_PASS); lb_xdp then counts the verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lb_consts.h"
#include "lb_maps.h"
#include "lb_shared.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define LB_SCAN_MASK (LB_UDP_SCAN_MAX - 1)

/* Counts `reason` and returns `act`: every pass/drop names exactly one reason. */
static __always_inline int verdict(struct lb_stats *st, __u32 reason, int act)
{
    st->c[reason]++;
    return act;
}

#define LB_DROP(st, r) verdict((st), LB_CNT_##r, XDP_DROP)
#define LB_PASS(st, r) verdict((st), LB_CNT_##r, XDP_PASS)

/* A 32-bit finalizer (xorshift-multiply); bijective, good avalanche. */
static __always_inline __u32 mix32(__u32 h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

/* Flow hash of the 4-tuple; the same on every front (LB_HASH_SEED). */
static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
    __u32 h = mix32(LB_HASH_SEED ^ saddr);

    h = mix32(h ^ daddr);
    return mix32(h ^ (((__u32)sport << 16) | dport));
}

/* The backend at `hash`'s position of the published Maglev table, or NULL (no table, empty
 * position, freed backend). A DRAINING backend is accepted: it is out of the next table, and
 * the state flips a moment before the table is swapped. */
static __always_inline const struct lb_backend *maglev_pick(__u32 hash, __u32 *idx_out)
{
    __u32 zero = 0, pos = hash % LB_MAGLEV_SIZE;
    const struct lb_backend *be;
    __u32 *idxp, idx;
    void *tbl;

    tbl = bpf_map_lookup_elem(&lb_maglev, &zero);
    if (!tbl)
        return NULL;
    idxp = bpf_map_lookup_elem(tbl, &pos);
    if (!idxp)
        return NULL;
    idx = *idxp;
    be = bpf_map_lookup_elem(&lb_backends, &idx);
    if (!be || be->state == LB_BE_EMPTY)
        return NULL;
    *idx_out = idx;
    return be;
}

/* Rewrites the Ethernet addresses for `be`, counts it and picks XDP_TX or XDP_REDIRECT. */
static __always_inline int forward(struct lb_stats *st, struct ethhdr *eth, __u32 idx,
                                   const struct lb_backend *be, __u32 len, __u32 tcp_new,
                                   __u32 udp_req)
{
    struct lb_backend_stats *bs;
    int act = XDP_TX;

    __builtin_memcpy(eth->h_dest, be->dst_mac, ETH_ALEN);
    __builtin_memcpy(eth->h_source, be->src_mac, ETH_ALEN);
    if (be->ifindex) {
        /* The low bits of flags are the action returned when the devmap has no entry. */
        act = bpf_redirect_map(&lb_tx_ports, idx, XDP_DROP);
        if (act != XDP_REDIRECT)
            return LB_DROP(st, DROP_REDIRECT);
    }
    bs = bpf_map_lookup_elem(&lb_be_stats, &idx);
    if (bs) {
        bs->packets++;
        bs->bytes += len;
        bs->tcp_new += tcp_new;
        bs->udp_requests += udp_req;
    }
    return act;
}

/* Possible CPUs, set by the loader before load (front_open); bounds the adoption scan. */
const volatile __u32 lb_nr_cpus = 1;

/*
 * lb_ct_adopt: the flow `key` has an element in the connection table but no value on this CPU
 * (`mine` is this CPU's, gen 0): it was placed on another CPU and now arrives here (e.g. the
 * sender moved, or RSS changed). Copies the first valid value of the other CPUs into `mine`.
 * Returns 1 when one was found, else 0 (the caller places the flow anew).
 */
__noinline int lb_ct_adopt(struct lb_flow_key *key, struct lb_ct_value *mine)
{
    if (!key || !mine)
        return 0;
    for (__u32 cpu = 0; cpu < LB_MAX_CPUS; cpu++) {
        struct lb_ct_value *v;

        if (cpu >= lb_nr_cpus)
            break;
        v = bpf_map_lookup_percpu_elem(&lb_conntrack, key, cpu);
        if (v && v->gen) {
            mine->backend = v->backend;
            mine->gen = v->gen;
            return 1;
        }
    }
    return 0;
}

static __always_inline int handle_tcp(const struct lb_config *cfg, struct lb_stats *st,
                                      struct ethhdr *eth, struct iphdr *ip, void *l4, __u32 l4_len,
                                      void *data_end, __u32 len)
{
    struct tcphdr *tcp = l4;
    struct lb_flow_key key = {};
    struct lb_ct_value val;
    const struct lb_backend *be;
    struct lb_ct_value *ct;
    __u32 idx;

    if (l4_len < sizeof(*tcp) || (void *)(tcp + 1) > data_end)
        return LB_DROP(st, DROP_TCP_MALFORMED);
    if (cfg->tcp_port_be == 0 || tcp->dest != cfg->tcp_port_be)
        return LB_PASS(st, PASS_VIP_OTHER);
    if (tcp->doff < 5 || (__u32)tcp->doff * 4 > l4_len)
        return LB_DROP(st, DROP_TCP_MALFORMED);

    key.saddr_be = ip->saddr;
    key.daddr_be = ip->daddr;
    key.sport_be = tcp->source;
    key.dport_be = tcp->dest;
    key.proto = IPPROTO_TCP;

    ct = bpf_map_lookup_elem(&lb_conntrack, &key);
    if (ct && !ct->gen && lb_ct_adopt(&key, ct))
        st->c[LB_CNT_TCP_CT_ADOPTED]++;
    if (ct && ct->gen) {
        idx = ct->backend;
        be = bpf_map_lookup_elem(&lb_backends, &idx);
        /* Established flows stay even on a DRAINING backend; a freed or reused index
         * (state EMPTY or another generation) makes the entry stale. */
        if (be && be->state != LB_BE_EMPTY && be->gen == ct->gen) {
            st->c[LB_CNT_TCP_CT_HIT]++;
            return forward(st, eth, idx, be, len, 0, 0);
        }
        st->c[LB_CNT_TCP_CT_STALE]++;
    } else {
        st->c[LB_CNT_TCP_CT_MISS]++;
    }

    be = maglev_pick(flow_hash(key.saddr_be, key.daddr_be, key.sport_be, key.dport_be), &idx);
    if (!be)
        return LB_DROP(st, DROP_NO_BACKEND);
    val.backend = idx;
    val.gen = be->gen;
    bpf_map_update_elem(&lb_conntrack, &key, &val, BPF_ANY);
    return forward(st, eth, idx, be, len, 1, 0);
}

/*
 * The parsers and scanners below that loop are global (non-static, noinline) BPF functions: the
 * verifier checks each once with unknown arguments instead of once per path reaching it.
 * Inlined, the paths out of one bounded loop multiply into the next and the program exceeds
 * the verifier's budget. Their buffer argument may be NULL as far as the verifier knows, hence
 * the checks.
 */

/* Parses "<type><decimal>\r\n" at *pos of the first n bytes of buf. Returns the value (at
 * most LB_RESP_LEN_MAX) and advances *pos past the CRLF, or -1 for anything else (wrong type
 * byte, no or too many digits, missing CRLF, out of bytes). */
static __always_inline int resp_len(const struct lb_scratch_buf *buf, __u32 n, __u32 *pos,
                                    __u8 type)
{
    __u32 i = *pos, v = 0, digits = 0;

    if (i >= n || buf->b[i & LB_SCAN_MASK] != type)
        return -1;
    i++;
    for (__u32 k = 0; k < LB_RESP_DIGITS_MAX + 1; k++) {
        __u8 c;

        if (i >= n)
            return -1;
        c = buf->b[i & LB_SCAN_MASK];
        if (c < '0' || c > '9')
            break;
        if (k == LB_RESP_DIGITS_MAX)
            return -1; /* one digit too many */
        v = v * 10 + (c - '0');
        digits++;
        i++;
    }
    if (digits == 0 || v > LB_RESP_LEN_MAX || i + 1 >= n || buf->b[i & LB_SCAN_MASK] != '\r' ||
        buf->b[(i + 1) & LB_SCAN_MASK] != '\n')
        return -1;
    *pos = i + 2;
    return (int)v;
}

/* CRC16 slicing tables, filled by the loader before load (front_open): lb_crc16_tab[k][x] is
 * the CRC of byte x followed by k zero bytes. Read-only once loaded. */
const volatile __u16 lb_crc16_tab[LB_CRC16_SLICES][256];

/* The scanners below read whole 8-byte words from buf->b[pos ..]; a range is accepted when
 * pos + n <= LB_SCAN_END, so the last word read still lies inside the buffer. The keys the
 * parser hands over start far below LB_SCAN_POS_MAX. Each read also checks its own index,
 * which is what the verifier (tracking no relation between pos and n) needs. */
#define LB_SCAN_END     (LB_UDP_SCAN_MAX - 8)
#define LB_SCAN_POS_MAX (LB_SCAN_END - LB_KEY_MAX)

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lb_find_byte assumes a little-endian BPF target"
#endif

/* Flags the bytes of x that are zero: exact for the lowest one (see lb_find_byte). */
static __always_inline __u64 zero_bytes(__u64 x)
{
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* Index (0..7) of the lowest flagged byte of a non-zero zero_bytes() result. */
static __always_inline __u32 first_flag(__u64 m)
{
    /* lowest flag 2^(8k+7) -> 2^(8k); the multiply puts the constant's byte 7 - k, which is
     * k, in the top byte */
    return (__u32)((((m & -m) >> 7) * 0x0001020304050607ull) >> 56);
}

/*
 * lb_find_byte: index of the first byte equal to `byte` in buf->b[pos .. pos + n), or n when
 * there is none (also for arguments out of range). Eight bytes per step: a word's bytes that
 * equal `byte` become zero after XOR, and (x - 0x01..) & ~x & 0x80.. flags zero bytes; its
 * lowest flag is exact (only higher ones can be false), and its position is the index.
 */
__noinline int lb_find_byte(const struct lb_scratch_buf *buf, __u32 pos, __u32 n, __u32 byte)
{
    __u64 pat = 0x0101010101010101ull * (byte & 0xff);

    if (!buf || n > LB_KEY_MAX || pos > LB_SCAN_END || pos + n > LB_SCAN_END)
        return (int)n;
    for (__u32 i = 0; i < LB_KEY_MAX; i += 8) {
        __u32 at, idx = pos + i;
        __u64 m;

        if (i >= n || idx > LB_SCAN_END)
            break;
        barrier_var(idx); /* keep clang from re-deriving the address past the check */
        m = zero_bytes(*(const __u64 *)&buf->b[idx] ^ pat);
        if (!m)
            continue;
        at = i + first_flag(m);
        return (int)(at < n ? at : n);
    }
    return (int)n;
}

/*
 * lb_crc16: CRC16/XMODEM of buf->b[pos .. pos + n), n <= LB_KEY_MAX, 8 bytes per step with
 * the slicing tables; when `open` is set it also finds the first '{' in the same pass. Returns crc
 * | (index of the first '{', or n) << 16, or -1 when out of range.
 */
__noinline int lb_crc16(const struct lb_scratch_buf *buf, __u32 pos, __u32 n, __u32 open)
{
    const __u64 braces = 0x7b7b7b7b7b7b7b7bull; /* '{' x 8 */
    __u32 crc = 0, i = 0, idx, at = n;
    __u64 m;

    if (!buf || n > LB_KEY_MAX || pos > LB_SCAN_END || pos + n > LB_SCAN_END)
        return -1;
    for (__u32 k = 0; k < LB_KEY_MAX / 8; k++) {
        const __u8 *p;

        idx = pos + i;
        if (i + 8 > n || idx > LB_SCAN_END)
            break;
        barrier_var(idx);
        p = &buf->b[idx];
        crc = lb_crc16_tab[7][(crc >> 8) ^ p[0]] ^ lb_crc16_tab[6][(crc & 0xff) ^ p[1]] ^
              lb_crc16_tab[5][p[2]] ^ lb_crc16_tab[4][p[3]] ^ lb_crc16_tab[3][p[4]] ^
              lb_crc16_tab[2][p[5]] ^ lb_crc16_tab[1][p[6]] ^ lb_crc16_tab[0][p[7]];
        if (open && at == n) {
            m = zero_bytes(*(const __u64 *)p ^ braces);
            if (m)
                at = i + first_flag(m);
        }
        i += 8;
    }
    /* The last r = n - i < 8 bytes: one word load, and the slicing formula for r bytes, whose
     * table lookups are independent of each other (byte k uses table r - 1 - k; the register
     * is folded into bytes 0 and 1; with r == 1 its low byte just shifts up). */
    idx = pos + i;
    if (i < n && idx <= LB_SCAN_END) {
        __u32 r = n - i, acc;
        __u64 w;

        barrier_var(idx);
        w = *(const __u64 *)&buf->b[idx];
        if (open && at == n) {
            m = zero_bytes(w ^ braces) & ((1ull << ((r & 7) * 8)) - 1);
            if (m)
                at = i + first_flag(m);
        }
        w ^= (__u64)(crc >> 8) | ((__u64)(crc & 0xff) << 8);
        acc = r == 1 ? (crc << 8) & 0xffff : 0;
        for (__u32 k = 0; k < 7; k++) {
            if (k >= r)
                break;
            acc ^= lb_crc16_tab[(r - 1 - k) & 7][(w >> (8 * k)) & 0xff];
        }
        crc = acc;
    }
    return (int)(crc | (at << 16));
}

/* Set in key_slot's result when a {hash tag} decided the slot. */
#define LB_SLOT_TAGGED (1 << 14)

/*
 * The Redis Cluster slot of the klen-byte key at buf[kpos]: CRC16 & 16383 of the bytes between
 * the first '{' and the next '}' when that is non-empty, else of the whole key. Only the first
 * LB_KEY_MAX bytes are looked at: a longer key has a slot only if its tag closes within them.
 * Returns slot | LB_SLOT_TAGGED-if-tagged, or -1 (long key without such a tag, bad range).
 */
static __always_inline int key_slot(const struct lb_scratch_buf *buf, __u32 kpos, __u32 klen)
{
    __u32 n = klen < LB_KEY_MAX ? klen : LB_KEY_MAX, open, close;
    int r;

    /* One pass: CRC of the whole key and the first '{'; a tag needs two more short scans. */
    r = lb_crc16(buf, kpos, n, 1);
    if (r < 0)
        return -1;
    open = ((__u32)r >> 16) & 0x1ff;
    if (open + 1 < n) {
        close = (__u32)lb_find_byte(buf, kpos + open + 1, n - open - 1, '}');
        if (close > 0 && close < n - open - 1) {
            r = lb_crc16(buf, kpos + open + 1, close, 0);
            return r < 0 ? -1 : (int)(((__u32)r & LB_SLOT_MASK) | LB_SLOT_TAGGED);
        }
    }
    if (klen > LB_KEY_MAX)
        return -1;
    return (int)((__u32)r & LB_SLOT_MASK);
}

/* 1 when buf[pos], buf[pos + 1] are "\r\n" and inside the n bytes. */
static __always_inline int resp_crlf(const struct lb_scratch_buf *buf, __u32 n, __u32 pos)
{
    return pos + 1 < n && buf->b[pos & LB_SCAN_MASK] == '\r' &&
           buf->b[(pos + 1) & LB_SCAN_MASK] == '\n';
}

/* Command classes (cmd_class, lb_resp_head). */
#define LB_CMD_KEYED   0
#define LB_CMD_KEYLESS 1
#define LB_CMD_IS_AUTH 2

/* The class of the clen-byte command name at buf[pos], case-insensitive: one word load, masked
 * to the name, bit 5 cleared in every byte (see LB_KEYLESS_CMDS). */
static __always_inline __u32 cmd_class(const struct lb_scratch_buf *buf, __u32 pos, __u32 clen)
{
    __u64 w;

    if (clen > 8 || pos > LB_UDP_SCAN_MAX - 8)
        return LB_CMD_KEYED;
    w = *(const __u64 *)&buf->b[pos] & 0xdfdfdfdfdfdfdfdfull;
    if (clen < 8)
        w &= (1ull << (clen * 8)) - 1;
    if (w == LB_CMD_AUTH && clen == LB_CMD_AUTH_LEN)
        return LB_CMD_IS_AUTH;
#define LB_KEYLESS_MATCH(packed, len)                                                              \
    if (w == (packed) && clen == (len))                                                            \
        return LB_CMD_KEYLESS;
    LB_KEYLESS_CMDS(LB_KEYLESS_MATCH)
#undef LB_KEYLESS_MATCH
    return LB_CMD_KEYED;
}

/* Positions inside the copy fit in LB_POS_BITS (LB_UDP_SCAN_MAX = 512). */
#define LB_POS_BITS 10
#define LB_POS_MASK ((1u << LB_POS_BITS) - 1)

/* lb_resp_head result: position after the name | argc (clamped to 7) | class. */
#define LB_HEAD_ARGC_SHIFT  LB_POS_BITS
#define LB_HEAD_CLASS_SHIFT (LB_POS_BITS + 3)

/*
 * lb_resp_head: parses a command head "*<argc>\r\n$<n>\r\n<name>\r\n" at `pos` of the first
 * n bytes of buf. Returns the position after the name's CRLF | min(argc, 7) <<
 * LB_HEAD_ARGC_SHIFT | class << LB_HEAD_CLASS_SHIFT (class: LB_CMD_*; one argument makes a
 * command keyless), or -1 when it is no such head.
 */
__noinline int lb_resp_head(const struct lb_scratch_buf *buf, __u32 n, __u32 pos)
{
    __u32 p = pos, cls;
    int argc, clen;

    if (!buf || n > LB_UDP_SCAN_MAX)
        return -1;
    argc = resp_len(buf, n, &p, '*');
    if (argc < 1)
        return -1;
    clen = resp_len(buf, n, &p, '$');
    if (clen < 1 || clen > (int)LB_CMD_NAME_MAX || !resp_crlf(buf, n, p + clen))
        return -1;
    cls = cmd_class(buf, p, clen);
    if (argc == 1 && cls == LB_CMD_KEYED)
        cls = LB_CMD_KEYLESS;
    p += clen + 2;
    if (p > LB_POS_MASK)
        return -1;
    return (int)(p | ((__u32)(argc < 7 ? argc : 7) << LB_HEAD_ARGC_SHIFT) |
                 (cls << LB_HEAD_CLASS_SHIFT));
}

/*
 * lb_resp_bulk: parses a bulk header "$<len>\r\n" at `pos` of the first n bytes of buf.
 * Returns the position of the bulk's data | len << LB_POS_BITS, or -1.
 */
__noinline int lb_resp_bulk(const struct lb_scratch_buf *buf, __u32 n, __u32 pos)
{
    __u32 p = pos;
    int len;

    if (!buf || n > LB_UDP_SCAN_MAX)
        return -1;
    len = resp_len(buf, n, &p, '$');
    if (len < 0 || p > LB_POS_MASK)
        return -1;
    return (int)(p | ((__u32)len << LB_POS_BITS));
}

/* lb_parse_request results: negative = malformed, else a keyless command or where the key is. */
#define LB_REQ_FRAME_BAD  (-2)        /* frame header: reserved != 0, seq != 0, total != 1 */
#define LB_REQ_RESP_BAD   (-1)        /* not "*<argc>\r\n$<n>\r\n<cmd>\r\n[$<n>\r\n<key>\r\n]" */
#define LB_REQ_KEYLESS    (1 << 30)   /* no key: one argument or a keyless command */
#define LB_REQ_KLEN_SHIFT LB_POS_BITS /* else key position | key length << LB_REQ_KLEN_SHIFT */

/*
 * lb_parse_request: checks the frame header of the n-byte copy of a plen-byte payload and finds
 * the request's key: the first command, or the one after a leading "AUTH [user] password"
 * (dpcache's UDP protocol; AUTH alone, or with another argument count, is keyless). The key
 * is argument 1; its whole bulk (and CRLF) must lie inside the datagram; only a key longer
 * than LB_KEY_MAX may extend past the copy, and its position stays <= LB_SCAN_POS_MAX.
 * Anything after the key (more arguments, pipelined commands) is the backend's business.
 */
__noinline int lb_parse_request(const struct lb_scratch_buf *buf, __u32 n, __u32 plen)
{
    const struct lb_frame_hdr *fh;
    __u32 pos, cls, argc;
    int h, b, klen;

    if (!buf || n < LB_FRAME_HDR_LEN || n > LB_UDP_SCAN_MAX)
        return LB_REQ_FRAME_BAD;
    fh = (const void *)buf->b;
    if (fh->reserved_be != 0 || fh->seq_be != 0 || fh->total_be != bpf_htons(1))
        return LB_REQ_FRAME_BAD;

    h = lb_resp_head(buf, n, LB_FRAME_HDR_LEN);
    if (h < 0)
        return LB_REQ_RESP_BAD;
    pos = (__u32)h & LB_POS_MASK;
    argc = ((__u32)h >> LB_HEAD_ARGC_SHIFT) & 7;
    cls = ((__u32)h >> LB_HEAD_CLASS_SHIFT) & 3;
    if (cls == LB_CMD_IS_AUTH) {
        if (argc != 2 && argc != 3)
            return LB_REQ_KEYLESS;      /* the backend answers the error */
        for (__u32 k = 0; k < 2; k++) { /* skip the password (and user name) */
            if (k + 1 >= argc)
                break;
            b = lb_resp_bulk(buf, n, pos);
            if (b < 0)
                return LB_REQ_RESP_BAD;
            pos = ((__u32)b & LB_POS_MASK) + ((__u32)b >> LB_POS_BITS);
            if (!resp_crlf(buf, n, pos))
                return LB_REQ_RESP_BAD;
            pos += 2;
        }
        if (pos >= plen)
            return LB_REQ_KEYLESS; /* AUTH alone */
        h = lb_resp_head(buf, n, pos);
        if (h < 0)
            return LB_REQ_RESP_BAD;
        pos = (__u32)h & LB_POS_MASK;
        cls = ((__u32)h >> LB_HEAD_CLASS_SHIFT) & 3;
    }
    if (cls != LB_CMD_KEYED)
        return LB_REQ_KEYLESS;

    b = lb_resp_bulk(buf, n, pos);
    if (b < 0)
        return LB_REQ_RESP_BAD;
    pos = (__u32)b & LB_POS_MASK;
    klen = (int)((__u32)b >> LB_POS_BITS);
    if (pos + klen + 2 > plen || pos > LB_SCAN_POS_MAX)
        return LB_REQ_RESP_BAD;
    if (klen <= (int)LB_KEY_MAX && !resp_crlf(buf, n, pos + klen))
        return LB_REQ_RESP_BAD;
    return (int)(pos | ((__u32)klen << LB_REQ_KLEN_SHIFT));
}

/* Sets the UDP destination port, fixing the checksum incrementally (RFC 1624) when present. */
static __always_inline void udp_set_dport(struct udphdr *udp, __be16 port_be)
{
    __u32 sum;

    if (udp->check) {
        sum = (__u16)~udp->check;
        sum += (__u16)~udp->dest;
        sum += port_be;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        udp->check = (__u16)~sum;
        if (udp->check == 0)
            udp->check = 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
    }
    udp->dest = port_be;
}

static __always_inline int handle_udp(struct xdp_md *ctx, const struct lb_config *cfg,
                                      struct lb_stats *st, struct ethhdr *eth, struct iphdr *ip,
                                      __u32 hlen, void *l4, __u32 l4_len, void *data_end, __u32 len)
{
    __u32 zero = 0, plen, n, idx, slot, core, tagged;
    struct udphdr *udp = l4;
    const struct lb_backend *be;
    struct lb_scratch_buf *buf;
    int r;
    __u32 *idxp;
    void *tbl;

    if (l4_len < sizeof(*udp) || (void *)(udp + 1) > data_end)
        return LB_DROP(st, DROP_UDP_MALFORMED);
    if (cfg->udp_port_be == 0 || udp->dest != cfg->udp_port_be)
        return LB_PASS(st, PASS_VIP_OTHER);
    plen = bpf_ntohs(udp->len);
    if (plen < sizeof(*udp) || plen > l4_len)
        return LB_DROP(st, DROP_UDP_MALFORMED);
    plen -= sizeof(*udp);
    if (plen < LB_FRAME_HDR_LEN)
        return LB_DROP(st, DROP_FRAME_MALFORMED);

    buf = bpf_map_lookup_elem(&lb_scratch, &zero);
    if (!buf)
        return LB_DROP(st, DROP_INTERNAL);
    n = plen < LB_UDP_SCAN_MAX ? plen : LB_UDP_SCAN_MAX;
    if (bpf_xdp_load_bytes(ctx, sizeof(*eth) + hlen + sizeof(*udp), buf->b, n) < 0)
        return LB_DROP(st, DROP_INTERNAL);

    r = lb_parse_request(buf, n, plen);
    if (r == LB_REQ_FRAME_BAD)
        return LB_DROP(st, DROP_FRAME_MALFORMED);
    if (r < 0)
        return LB_DROP(st, DROP_RESP_MALFORMED);

    if (r & LB_REQ_KEYLESS) {
        /* No key: any backend, chosen per flow like TCP (no table entry), any of its cores. */
        __u32 h = flow_hash(ip->saddr, ip->daddr, udp->source, udp->dest);

        be = maglev_pick(h, &idx);
        if (!be || be->ncores == 0)
            return LB_DROP(st, DROP_NO_BACKEND);
        st->c[LB_CNT_UDP_KEYLESS]++;
        udp_set_dport(udp, bpf_htons((__u16)(be->base_port + (h >> 8) % be->ncores)));
        return forward(st, eth, idx, be, len, 0, 1);
    }

    r = key_slot(buf, (__u32)r & LB_POS_MASK, ((__u32)r >> LB_REQ_KLEN_SHIFT) & 0xffff);
    if (r < 0)
        return LB_DROP(st, DROP_KEY_TOO_LONG);
    slot = (__u32)r & LB_SLOT_MASK;
    tagged = ((__u32)r & LB_SLOT_TAGGED) ? 1 : 0;

    tbl = bpf_map_lookup_elem(&lb_slots, &zero);
    idxp = tbl ? bpf_map_lookup_elem(tbl, &slot) : NULL;
    if (!idxp)
        return LB_DROP(st, DROP_NO_BACKEND);
    idx = *idxp;
    be = bpf_map_lookup_elem(&lb_backends, &idx);
    if (!be || be->state == LB_BE_EMPTY || be->ncores == 0)
        return LB_DROP(st, DROP_NO_BACKEND);

    st->c[LB_CNT_UDP_KEYED]++;
    st->c[LB_CNT_UDP_HASH_TAG] += tagged;
    core = lb_slot_core(slot, be->ncores);
    udp_set_dport(udp, bpf_htons((__u16)(be->base_port + core)));
    return forward(st, eth, idx, be, len, 0, 1);
}

/* L2/L3 checks shared by both protocols, then dispatch. */
static __always_inline int process(struct xdp_md *ctx, const struct lb_config *cfg,
                                   struct lb_stats *st, __u32 len)
{
    void *data_end = (void *)(long)ctx->data_end;
    void *data = (void *)(long)ctx->data;
    struct ethhdr *eth = data;
    struct iphdr *ip;
    __u32 hlen, tot;
    void *l4;

    if ((void *)(eth + 1) > data_end)
        return LB_DROP(st, DROP_ETH_TRUNCATED);
    if (eth->h_proto != bpf_htons(LB_ETH_P_IP))
        return LB_PASS(st, PASS_NOT_IPV4);
    ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return LB_DROP(st, DROP_IP_TRUNCATED);
    if (cfg->vip_be == 0 || ip->daddr != cfg->vip_be)
        return LB_PASS(st, PASS_NOT_VIP);

    if (ip->version != 4 || ip->ihl < LB_IPV4_IHL_MIN)
        return LB_DROP(st, DROP_IP_MALFORMED);
    hlen = (__u32)ip->ihl * 4; /* 20..60 */
    tot = bpf_ntohs(ip->tot_len);
    if (tot < hlen || (void *)ip + tot > data_end)
        return LB_DROP(st, DROP_IP_MALFORMED);
    if (ip->frag_off & bpf_htons(LB_IP_MF | LB_IP_OFFMASK))
        return LB_DROP(st, DROP_IP_FRAGMENT);
    if (hlen > LB_IPV4_HLEN)
        st->c[LB_CNT_IP_OPTIONS]++; /* options are skipped, never interpreted */

    l4 = (void *)ip + hlen;
    if (ip->protocol == IPPROTO_TCP)
        return handle_tcp(cfg, st, eth, ip, l4, tot - hlen, data_end, len);
    if (ip->protocol == IPPROTO_UDP)
        return handle_udp(ctx, cfg, st, eth, ip, hlen, l4, tot - hlen, data_end, len);
    return LB_PASS(st, PASS_VIP_OTHER);
}

SEC("xdp")
int lb_xdp(struct xdp_md *ctx)
{
    const struct lb_config *cfg;
    struct lb_stats *st;
    __u32 zero = 0, len;
    int act;

    st = bpf_map_lookup_elem(&lb_stats, &zero);
    if (!st)
        return XDP_ABORTED; /* cannot happen: single-entry per-CPU array */
    len = (__u32)bpf_xdp_get_buff_len(ctx);
    st->c[LB_CNT_RX_PACKETS]++;
    st->c[LB_CNT_RX_BYTES] += len;

    cfg = bpf_map_lookup_elem(&lb_config, &zero);
    act = cfg ? process(ctx, cfg, st, len) : LB_DROP(st, DROP_INTERNAL);

    switch (act) {
    case XDP_TX: st->c[LB_CNT_VERDICT_TX]++; break;
    case XDP_REDIRECT: st->c[LB_CNT_VERDICT_REDIRECT]++; break;
    case XDP_PASS: st->c[LB_CNT_VERDICT_PASS]++; break;
    default: st->c[LB_CNT_VERDICT_DROP]++; break;
    }
    return act;
}
