/*
 * sbuf.h - a growable text buffer for the control plane's renderers (/metrics, JSON replies).
 *
 * Appends never fail loudly: on an allocation failure the buffer sets `oom`, ignores further
 * appends, and the caller checks `oom` once at the end. The owner frees `p`.
 * Thread-safety: one buffer per thread; no shared state.
 */
#ifndef CTL_SBUF_H
#define CTL_SBUF_H

#include <stddef.h>

struct sbuf {
    char *p;      /* NUL-terminated contents (NULL while empty) */
    size_t len, cap;
    int oom;      /* an append failed: the contents are incomplete */
};

void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sb_put_json: append @s as a JSON string, quotes included (json_escape). */
void sb_put_json(struct sbuf *b, const char *s);

#endif
