/* Bounds-checked LZF decompressor (see rdb_lzf.h for the stream format). */
#include "rdb_lzf.h"

#include <errno.h>
#include <string.h>

int rdb_lzf_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                       size_t *bad_pos)
{
    size_t ip = 0, op = 0;

    while (ip < in_len) {
        size_t cmd = ip;
        unsigned ctrl = in[ip++];

        if (ctrl < 32) {
            size_t run = (size_t)ctrl + 1;
            if (run > in_len - ip || run > out_len - op)
                goto bad;
            memcpy(out + op, in + ip, run);
            ip += run;
            op += run;
            continue;
        }

        size_t len = ctrl >> 5;
        size_t dist = (size_t)(ctrl & 0x1f) << 8;
        if (len == 7) {
            if (ip >= in_len)
                goto bad;
            len += in[ip++];
        }
        if (ip >= in_len)
            goto bad;
        dist += (size_t)in[ip++] + 1;
        len += 2;
        if (dist > op || len > out_len - op)
            goto bad;
        uint8_t *dst = out + op;
        const uint8_t *src = dst - dist;
        if (dist >= len) {
            memcpy(dst, src, len);
        } else {
            /* Overlapping copy: repeats the last `dist` bytes; must go byte by byte. */
            for (size_t i = 0; i < len; i++)
                dst[i] = src[i];
        }
        op += len;
        continue;
    bad:
        if (bad_pos != NULL)
            *bad_pos = cmd;
        return -EBADMSG;
    }
    if (op != out_len) {
        if (bad_pos != NULL)
            *bad_pos = in_len;
        return -EBADMSG;
    }
    return 0;
}
