/*
 * front_tables.c - the weighted Maglev table, the default slot split and the CRC16 slicing
 * tables (see front_tables.h).
 *
 * Maglev (Eisenbud et al., NSDI'16): each backend walks its own permutation of the table
 * positions, (offset + j * skip) mod M with M prime and skip in [1, M-1], and the backends take
 * turns claiming their next free preferred position until the table is full. Weights: in each
 * round every backend earns `weight` credit and claims one position per `max weight` of credit,
 * so position counts are proportional to weight.
 */
#include "front_tables.h"

/* Seeds of the two permutation hashes; changing them reshuffles every deployment's table. */
#define MAGLEV_SEED_OFFSET 0x6a09e667f3bcc908ull
#define MAGLEV_SEED_SKIP   0xbb67ae8584caa73bull

/* splitmix64 finalizer: a well-mixed 64-bit function of x. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void front_maglev_build(const struct lb_backend *bes, uint32_t n, uint32_t *table)
{
    uint32_t idx[LB_MAX_BACKENDS], offset[LB_MAX_BACKENDS], skip[LB_MAX_BACKENDS];
    uint32_t next[LB_MAX_BACKENDS], credit[LB_MAX_BACKENDS];
    uint32_t k, m = 0, max_w = 0, filled = 0;

    for (uint32_t i = 0; i < LB_MAGLEV_SIZE; i++)
        table[i] = LB_NO_BACKEND;
    for (uint32_t i = 0; i < n && i < LB_MAX_BACKENDS; i++) {
        if (bes[i].state != LB_BE_ACTIVE || bes[i].weight == 0)
            continue;
        idx[m] = i;
        offset[m] = (uint32_t)(mix64(bes[i].addr_be ^ MAGLEV_SEED_OFFSET) % LB_MAGLEV_SIZE);
        skip[m] = (uint32_t)(mix64(bes[i].addr_be ^ MAGLEV_SEED_SKIP) % (LB_MAGLEV_SIZE - 1)) + 1;
        next[m] = 0;
        credit[m] = 0;
        if (bes[i].weight > max_w)
            max_w = bes[i].weight;
        m++;
    }
    if (m == 0)
        return;

    /* Terminates: the heaviest backend claims a position every round, and its permutation
     * visits every position (M prime, skip != 0 mod M) so a free one is always found. */
    while (filled < LB_MAGLEV_SIZE) {
        for (k = 0; k < m && filled < LB_MAGLEV_SIZE; k++) {
            uint32_t c;

            credit[k] += bes[idx[k]].weight;
            if (credit[k] < max_w)
                continue;
            credit[k] -= max_w;
            do {
                c = (uint32_t)((offset[k] + (uint64_t)next[k] * skip[k]) % LB_MAGLEV_SIZE);
                next[k]++;
            } while (table[c] != LB_NO_BACKEND);
            table[c] = idx[k];
            filled++;
        }
    }
}

void front_slots_split(const struct lb_backend *bes, uint32_t n, uint32_t *slots)
{
    uint64_t total = 0, cum = 0;

    for (uint32_t s = 0; s < LB_SLOTS; s++)
        slots[s] = LB_NO_BACKEND;
    for (uint32_t i = 0; i < n && i < LB_MAX_BACKENDS; i++)
        if (bes[i].state == LB_BE_ACTIVE)
            total += bes[i].weight;
    if (total == 0)
        return;
    for (uint32_t i = 0; i < n && i < LB_MAX_BACKENDS; i++) {
        uint32_t lo, hi;

        if (bes[i].state != LB_BE_ACTIVE || bes[i].weight == 0)
            continue;
        lo = (uint32_t)(LB_SLOTS * cum / total);
        cum += bes[i].weight;
        hi = (uint32_t)(LB_SLOTS * cum / total);
        for (uint32_t s = lo; s < hi; s++)
            slots[s] = i;
    }
}

void front_crc16_tables(uint16_t tab[LB_CRC16_SLICES][256])
{
    for (uint32_t x = 0; x < 256; x++) {
        uint32_t crc = x << 8;

        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (crc << 1) ^ LB_CRC16_POLY : crc << 1;
        tab[0][x] = (uint16_t)crc;
    }
    /* One more zero byte: shift the register a byte and fold the byte shifted out. */
    for (uint32_t k = 1; k < LB_CRC16_SLICES; k++)
        for (uint32_t x = 0; x < 256; x++)
            tab[k][x] = (uint16_t)((tab[k - 1][x] << 8) ^ tab[0][tab[k - 1][x] >> 8]);
}
