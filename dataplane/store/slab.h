/*
 * slab.h - a partition's memory: size-class slabs carved from 2 MiB pages (transparent huge
 * pages where the kernel allows them, to spare TLB misses on random key access).
 *
 * Chunks of up to SLAB_MAX_CHUNK bytes come from per-class free lists, refilled by bumping a
 * pointer through the current page; larger blocks come straight from the system and are
 * counted the same way. Freed chunks go back to their class (memory is not moved between
 * classes: a workload whose value sizes shift keeps the old classes' free chunks, which shows
 * as mem_fragmentation_ratio).
 *
 * "used" is the bytes handed out (class size of every live chunk plus large blocks): the
 * figure INFO reports and maxmemory is checked against.
 *
 * Thread-safety: one slab belongs to one partition and is only touched by its owner core.
 */
#ifndef DP_SLAB_H
#define DP_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SLAB_PAGE      (2 * 1024 * 1024) /* one transparent huge page */
#define SLAB_MAX_CHUNK (64 * 1024)
#define SLAB_NCLASS    96

struct slab_free {
    struct slab_free *next;
};

struct slab {
    uint32_t size[SLAB_NCLASS];          /* chunk size of each class */
    struct slab_free *free[SLAB_NCLASS]; /* free chunks per class */
    uint64_t live[SLAB_NCLASS];          /* chunks handed out per class */
    int nclass;
    uint8_t *page;       /* current page */
    size_t page_left;    /* bytes left in it */
    void **pages;        /* every page, to unmap at teardown */
    size_t npages, pages_cap;
    uint64_t used;       /* bytes handed out (chunks at class size + large blocks) */
    uint64_t mapped;     /* bytes obtained from the system */
    uint64_t large;      /* bytes in large blocks */
};

/* slab_init: set up the classes. Returns 0. */
int slab_init(struct slab *s);
/* slab_destroy: return every page and forget all chunks (large blocks must be freed first). */
void slab_destroy(struct slab *s);

/* slab_alloc: a chunk of at least @n bytes, or NULL when the system has no memory. */
void *slab_alloc(struct slab *s, size_t n);
/* slab_free: give back a chunk obtained with the same @n. */
void slab_free(struct slab *s, void *p, size_t n);
/* slab_chunk_size: what slab_alloc(n) really takes (for accounting). */
size_t slab_chunk_size(const struct slab *s, size_t n);

#endif
