/* Set of the fields of the hash being decoded, to detect duplicate fields (Redis treats them as
 * corruption). Open addressing over a seeded 64-bit hash; field bytes are copied into an arena.
 * Memory grows with the fields of the current hash only and is released between hashes once it
 * is above RDB_DEC_SCRATCH_KEEP. */
#include "rdb_dec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rdb_fieldset_slot {
    uint64_t hash; /* 0: empty slot (stored hashes have bit 0 set) */
    size_t off;    /* field bytes at arena.p + off */
    size_t len;
};

#define FS_MIN_SLOTS  64
#define FS_KEEP_SLOTS 4096

static inline uint64_t fmix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t field_hash(uint64_t seed, const uint8_t *p, size_t n)
{
    uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ fmix(w ^ seed)) * 0x9e3779b97f4a7c15ULL;
        h = (h << 29) | (h >> 35);
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t |= (uint64_t)p[i] << (8 * i);
    h = fmix(h ^ fmix(t ^ (seed >> 1)));
    return h | 1;
}

void rdb_fieldset_init(struct rdb_fieldset *fs, uint64_t seed)
{
    memset(fs, 0, sizeof(*fs));
    fs->seed = seed;
}

static int grow(struct rdb_fieldset *fs)
{
    size_t nslots = fs->nslots ? fs->nslots * 2 : FS_MIN_SLOTS;
    if (nslots > SIZE_MAX / sizeof(struct rdb_fieldset_slot))
        return -ENOMEM;
    struct rdb_fieldset_slot *slot = calloc(nslots, sizeof(*slot));
    if (slot == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < fs->nslots; i++) {
        if (fs->slot[i].hash == 0)
            continue;
        size_t j = (size_t)fs->slot[i].hash & (nslots - 1);
        while (slot[j].hash != 0)
            j = (j + 1) & (nslots - 1);
        slot[j] = fs->slot[i];
    }
    free(fs->slot);
    fs->slot = slot;
    fs->nslots = nslots;
    return 0;
}

int rdb_fieldset_add(struct rdb_fieldset *fs, const uint8_t *p, size_t n)
{
    if ((fs->used + 1) * 2 > fs->nslots && grow(fs) != 0)
        return -ENOMEM;
    uint64_t h = field_hash(fs->seed, p, n);
    size_t mask = fs->nslots - 1;
    size_t j = (size_t)h & mask;
    for (; fs->slot[j].hash != 0; j = (j + 1) & mask) {
        const struct rdb_fieldset_slot *s = &fs->slot[j];
        if (s->hash == h && s->len == n && (n == 0 || memcmp(fs->arena.p + s->off, p, n) == 0))
            return 1;
    }
    size_t off = fs->arena.len;
    if (n > SIZE_MAX - off || rdb_scratch_reserve(&fs->arena, off + n) != 0)
        return -ENOMEM;
    if (n > 0)
        memcpy(fs->arena.p + off, p, n);
    fs->arena.len = off + n;
    fs->slot[j] = (struct rdb_fieldset_slot){ .hash = h, .off = off, .len = n };
    fs->used++;
    return 0;
}

void rdb_fieldset_clear(struct rdb_fieldset *fs)
{
    if (fs->used == 0 && fs->arena.len == 0)
        return;
    if (fs->nslots > FS_KEEP_SLOTS) {
        free(fs->slot);
        fs->slot = NULL;
        fs->nslots = 0;
    } else if (fs->slot != NULL) {
        memset(fs->slot, 0, fs->nslots * sizeof(*fs->slot));
    }
    fs->used = 0;
    fs->arena.len = 0;
    rdb_scratch_trim(&fs->arena);
}

void rdb_fieldset_free(struct rdb_fieldset *fs)
{
    free(fs->slot);
    rdb_scratch_free(&fs->arena);
    rdb_fieldset_init(fs, fs->seed);
}
