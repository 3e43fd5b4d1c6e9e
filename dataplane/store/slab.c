/*
 * slab.c - size-class allocator over 2 MiB pages (see slab.h).
 */
#include "slab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int slab_init(struct slab *s)
{
    uint32_t sz = 16;
    int n = 0;

    memset(s, 0, sizeof(*s));
    /* 8-byte steps up to 256, then about 1/8 growth rounded to 8 up to SLAB_MAX_CHUNK */
    while (n < SLAB_NCLASS && sz <= SLAB_MAX_CHUNK) {
        s->size[n++] = sz;
        if (sz < 256)
            sz += 8;
        else
            sz = ((sz + sz / 8) + 7) & ~7u;
    }
    if (s->size[n - 1] != SLAB_MAX_CHUNK && n < SLAB_NCLASS)
        s->size[n++] = SLAB_MAX_CHUNK;
    s->nclass = n;
    return 0;
}

static int class_of(const struct slab *s, size_t n)
{
    int lo = 0, hi = s->nclass - 1;

    if (n <= 256)
        return n <= 16 ? 0 : (int)((n - 16 + 7) / 8);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->size[mid] >= n)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

size_t slab_chunk_size(const struct slab *s, size_t n)
{
    if (n > SLAB_MAX_CHUNK)
        return n;
    return s->size[class_of(s, n)];
}

/* A SLAB_PAGE-aligned page: over-map, trim, and ask for a transparent huge page. */
static void *map_page(void)
{
    size_t len = 2 * (size_t)SLAB_PAGE;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t a;

    if (p == MAP_FAILED)
        return NULL;
    a = ((uintptr_t)p + SLAB_PAGE - 1) & ~(uintptr_t)(SLAB_PAGE - 1);
    if (a > (uintptr_t)p)
        munmap(p, a - (uintptr_t)p);
    if ((uintptr_t)p + len > a + SLAB_PAGE)
        munmap((void *)(a + SLAB_PAGE), (uintptr_t)p + len - (a + SLAB_PAGE));
    madvise((void *)a, SLAB_PAGE, MADV_HUGEPAGE);
    return (void *)a;
}

static int new_page(struct slab *s)
{
    void *p = map_page();

    if (!p)
        return -1;
    if (s->npages == s->pages_cap) {
        size_t cap = s->pages_cap ? s->pages_cap * 2 : 64;
        void **v = realloc(s->pages, cap * sizeof(*v));
        if (!v) {
            munmap(p, SLAB_PAGE);
            return -1;
        }
        s->pages = v;
        s->pages_cap = cap;
    }
    s->pages[s->npages++] = p;
    /* hand the tail of the old page to the classes that fit it, so nothing is wasted */
    while (s->page_left >= 16) {
        int c = class_of(s, s->page_left);
        if (s->size[c] > s->page_left)
            c--;
        struct slab_free *f = (struct slab_free *)s->page;
        f->next = s->free[c];
        s->free[c] = f;
        s->page += s->size[c];
        s->page_left -= s->size[c];
    }
    s->page = p;
    s->page_left = SLAB_PAGE;
    s->mapped += SLAB_PAGE;
    return 0;
}

void *slab_alloc(struct slab *s, size_t n)
{
    int c;
    void *p;

    if (n > SLAB_MAX_CHUNK) {
        p = malloc(n);
        if (p) {
            s->used += n;
            s->large += n;
            s->mapped += n;
        }
        return p;
    }
    c = class_of(s, n);
    if (s->free[c]) {
        p = s->free[c];
        s->free[c] = s->free[c]->next;
    } else {
        if (s->page_left < s->size[c] && new_page(s))
            return NULL;
        p = s->page;
        s->page += s->size[c];
        s->page_left -= s->size[c];
    }
    s->live[c]++;
    s->used += s->size[c];
    return p;
}

void slab_free(struct slab *s, void *p, size_t n)
{
    int c;
    struct slab_free *f = p;

    if (!p)
        return;
    if (n > SLAB_MAX_CHUNK) {
        free(p);
        s->used -= n;
        s->large -= n;
        s->mapped -= n;
        return;
    }
    c = class_of(s, n);
    f->next = s->free[c];
    s->free[c] = f;
    s->live[c]--;
    s->used -= s->size[c];
}

void slab_destroy(struct slab *s)
{
    for (size_t i = 0; i < s->npages; i++)
        munmap(s->pages[i], SLAB_PAGE);
    free(s->pages);
    memset(s, 0, sizeof(*s));
}
