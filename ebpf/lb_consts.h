/*
 * lb_consts.h - constants private to the XDP program (lb.bpf.c): the flow-hash seed, wire
 * constants the uapi headers do not name and the keyless-command list.
 * Anything user space must also know lives in lb_shared.h instead.
 */
#ifndef DPCACHE_LB_CONSTS_H
#define DPCACHE_LB_CONSTS_H

#include <linux/types.h>

#ifndef LB_HASH_SEED
/* Flow-hash seed. Fronts sharing a VIP (ECMP) must use the same one to agree on Maglev picks. */
#define LB_HASH_SEED 0x9e3779b9u
#endif

#define LB_ETH_P_IP     0x0800
#define LB_IP_MF        0x2000 /* more-fragments flag in frag_off (host order) */
#define LB_IP_OFFMASK   0x1fff /* fragment offset bits in frag_off (host order) */
#define LB_IPV4_HLEN    20u
#define LB_IPV4_IHL_MIN 5u

/*
 * Commands whose argument 1 is not a key (they go to any backend, like one-argument commands).
 * Rows: X(name packed little-endian into a u64, zero-padded; name length). The program loads
 * the command's first 8 bytes as one word, clears the bytes past the name and bit 5 of every
 * byte (ASCII case), and compares word and length: exact for names made of letters, as all
 * of these are. Names over 8 bytes never match and are keyed. Anything not listed is keyed by
 * argument 1, the rule of dpcache's UDP protocol (multi-key commands are steered by their first
 * key; the owner answers -CROSSSLOT or -MOVED, so a request is never silently served by the wrong
 * node).
 */
#define LB_PACK8(a, b, c, d, e, f, g, h)                                                           \
    ((__u64)(a) | ((__u64)(b) << 8) | ((__u64)(c) << 16) | ((__u64)(d) << 24) |                    \
     ((__u64)(e) << 32) | ((__u64)(f) << 40) | ((__u64)(g) << 48) | ((__u64)(h) << 56))

#define LB_KEYLESS_CMDS(X)                                                                         \
    X(LB_PACK8('C', 'L', 'I', 'E', 'N', 'T', 0, 0), 6)                                             \
    X(LB_PACK8('C', 'L', 'U', 'S', 'T', 'E', 'R', 0), 7)                                           \
    X(LB_PACK8('C', 'O', 'M', 'M', 'A', 'N', 'D', 0), 7)                                           \
    X(LB_PACK8('C', 'O', 'N', 'F', 'I', 'G', 0, 0), 6)                                             \
    X(LB_PACK8('E', 'C', 'H', 'O', 0, 0, 0, 0), 4)                                                 \
    X(LB_PACK8('F', 'L', 'U', 'S', 'H', 'A', 'L', 'L'), 8)                                         \
    X(LB_PACK8('F', 'L', 'U', 'S', 'H', 'D', 'B', 0), 7)                                           \
    X(LB_PACK8('H', 'E', 'L', 'L', 'O', 0, 0, 0), 5)                                               \
    X(LB_PACK8('I', 'N', 'F', 'O', 0, 0, 0, 0), 4)                                                 \
    X(LB_PACK8('P', 'I', 'N', 'G', 0, 0, 0, 0), 4)                                                 \
    X(LB_PACK8('S', 'E', 'L', 'E', 'C', 'T', 0, 0), 6)

/* AUTH: dpcache's UDP protocol puts "AUTH [user] password" before the command in the same
 * datagram when a password is set; the front skips it and steers by the command after it. */
#define LB_CMD_AUTH     LB_PACK8('A', 'U', 'T', 'H', 0, 0, 0, 0)
#define LB_CMD_AUTH_LEN 4

#endif /* DPCACHE_LB_CONSTS_H */
