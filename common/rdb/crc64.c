/* CRC-64/Jones for the RDB trailer, slice-by-8 (see rdb_crc64.h). */
#include "rdb_crc64.h"

#include <string.h>

#include "crc64_table.h" /* generated: crc64_table[8][256] */

#define POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;

    /* Byte steps until s is 8-aligned, so the word loads below are aligned. */
    while (n > 0 && ((uintptr_t)s & 7) != 0) {
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t x = crc ^ load_le64(s);
        crc = crc64_table[7][x & 0xff] ^ crc64_table[6][(x >> 8) & 0xff] ^
              crc64_table[5][(x >> 16) & 0xff] ^ crc64_table[4][(x >> 24) & 0xff] ^
              crc64_table[3][(x >> 32) & 0xff] ^ crc64_table[2][(x >> 40) & 0xff] ^
              crc64_table[1][(x >> 48) & 0xff] ^ crc64_table[0][x >> 56];
        s += 8;
        n -= 8;
    }
    while (n > 0) {
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    return crc;
}

uint64_t rdb_crc64_bitwise(uint64_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        crc ^= s[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ POLY_REFLECTED : crc >> 1;
    }
    return crc;
}
