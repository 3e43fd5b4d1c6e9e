/*
 * hash.c - CRC16/XMODEM, cluster slots and the seeded 64-bit key digest (see hash.h).
 */
#include "hash.h"

static uint16_t crc16_table[256];
static uint64_t hash_seed = 0x243F6A8885A308D3ULL;
uint64_t key_digest_mask = ~0ULL;

static void __attribute__((constructor)) crc16_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)(i << 8);
        for (int b = 0; b < 8; b++)
            c = (uint16_t)((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
        crc16_table[i] = c;
    }
}

uint16_t crc16_xmodem(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint16_t crc = 0;

    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc16_table[((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

unsigned key_slot(const void *key, size_t len)
{
    const char *k = key;
    const char *open = memchr(k, '{', len);

    if (open) {
        size_t s = (size_t)(open - k) + 1;
        const char *close = memchr(k + s, '}', len - s);
        if (close && close != k + s)
            return crc16_xmodem(k + s, (size_t)(close - (k + s))) & (CLUSTER_SLOTS - 1);
    }
    return crc16_xmodem(k, len) & (CLUSTER_SLOTS - 1);
}

void hash_set_seed(uint64_t seed)
{
    hash_seed = seed ? seed : 0x243F6A8885A308D3ULL;
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash64(const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint64_t k0 = 0xA0761D6478BD642FULL, k1 = 0xE7037ED1A0B428DBULL;
    uint64_t h = hash_seed ^ (len * k0);
    size_t i = 0;

    for (; i + 16 <= len; i += 16)
        h = mix(rd64(p + i) ^ k1 ^ h, rd64(p + i + 8) ^ k0);
    if (len - i >= 8) {
        h = mix(rd64(p + i) ^ k1, h ^ k0);
        i += 8;
    }
    if (i < len) {
        uint64_t t = 0;
        memcpy(&t, p + i, len - i);
        h = mix(t ^ k1, h ^ k0 ^ (len - i));
    }
    return mix(h ^ k0, h ^ k1 ^ 0x8EBC6AF09C88C6E3ULL);
}
