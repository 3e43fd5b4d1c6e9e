/* Growable byte buffer used by the RDB encoders (see rdb_buf.h). */
#include "rdb_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rdb_buf_init(struct rdb_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void rdb_buf_free(struct rdb_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    rdb_buf_init(b);
}

void rdb_buf_reset(struct rdb_buf *b)
{
    b->len = 0;
}

int rdb_buf_reserve(struct rdb_buf *b, size_t n)
{
    if (n <= b->cap - b->len)
        return 0;
    if (n > SIZE_MAX - b->len)
        return -ENOMEM;
    size_t need = b->len + n;
    size_t cap = b->cap ? b->cap : RDB_BUF_MIN_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int rdb_buf_append(struct rdb_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    int rc = rdb_buf_reserve(b, n);
    if (rc != 0)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int rdb_buf_put_u8(struct rdb_buf *b, uint8_t v)
{
    return rdb_buf_append(b, &v, 1);
}
