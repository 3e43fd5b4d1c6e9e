/*
 * hash.h - key hashing: the 64-bit digest that indexes a partition's rte_hash, and the Redis
 * Cluster slot (CRC16/XMODEM with {hash tag}) that picks the owning partition.
 *
 * Thread-safety: pure functions; the digest seed is set once at start (hash_set_seed) before
 * any worker runs.
 */
#ifndef DP_HASH_H
#define DP_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Redis Cluster hash slots. */
#define CLUSTER_SLOTS 16384

/* crc16_xmodem: CRC16/XMODEM (poly 0x1021, init 0), crc16("123456789") == 0x31C3. */
uint16_t crc16_xmodem(const void *buf, size_t len);

/* key_slot: Redis Cluster slot of a key, honouring the {hash tag} rule. */
unsigned key_slot(const void *key, size_t len);

/* hash_set_seed: seed the digest (random at start, fixed in tests). */
void hash_set_seed(uint64_t seed);

/* hash64: seeded 64-bit hash of @len bytes. Good avalanche, 8 bytes per step. */
uint64_t hash64(const void *p, size_t len);

/* Bits of the digest kept (all by default). Tests narrow it to force digest collisions and
 * exercise the overflow path; never changed while keys exist. */
extern uint64_t key_digest_mask;

/* key_digest: the rte_hash key of (@db, key). Never 0. */
static inline uint64_t key_digest(uint32_t db, const void *key, size_t len)
{
    uint64_t h = hash64(key, len) ^ ((uint64_t)db * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    h &= key_digest_mask;
    return h ? h : 1;
}

#endif
