/* Validating listpack walker (see rdb_blob.h).
 *
 * Layout: total-bytes u32 LE · element-count u16 LE (65535 = unknown) · entries · 0xFF.
 * Entry: encoding[+length] · data · backlen, where backlen is the size of encoding+data written
 * as a 1..5-byte varint read from its last byte backwards (7 bits per byte, high bit set on all
 * bytes but the first). Encodings: 0xxxxxxx 7-bit uint; 10xxxxxx 6-bit string length;
 * 110xxxxx + 1 byte 13-bit int; 1110xxxx + 1 byte 12-bit string length; 0xF0 + u32 string
 * length; 0xF1/0xF2/0xF3/0xF4 16/24/32/64-bit int LE; 0xFF end.
 */
#include "rdb_blob.h"

#include <errno.h>
#include <stdio.h>

#define LP_HDR 6
#define LP_COUNT_UNKNOWN 65535u

static int bad(struct rdb_blob_err *err, size_t pos, const char *msg)
{
    err->pos = pos;
    err->msg = msg;
    return -EBADMSG;
}

/* Bytes the backlen of an entry of @l bytes takes. */
static size_t backlen_size(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

size_t rdb_blob_i64_str(int64_t v, char *buf)
{
    int n = snprintf(buf, 21, "%lld", (long long)v);
    return n > 0 ? (size_t)n : 0;
}

/* Sign-extends the low @bits of @u. */
static int64_t sext(uint64_t u, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    u &= (m << 1) - 1;
    return (int64_t)(u ^ m) - (int64_t)m;
}

int rdb_listpack_walk(const uint8_t *lp, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                      struct rdb_blob_err *err)
{
    *count = 0;
    if (n < LP_HDR + 1)
        return bad(err, 0, "listpack shorter than its header");
    if (rdb_le32(lp) != n)
        return bad(err, 0, "listpack total-bytes header does not match the blob size");
    if (lp[n - 1] != 0xFF)
        return bad(err, n - 1, "listpack does not end with the 0xFF marker");

    const size_t last = n - 1; /* position of the end marker */
    size_t pos = LP_HDR;
    uint64_t cnt = 0;
    char nums[2][24]; /* decimal text of integer elements, alternating */
    while (pos < last) {
        const uint8_t *e = lp + pos;
        uint8_t b = e[0];
        size_t hdr;   /* encoding + length bytes */
        uint64_t len; /* data bytes after hdr */
        int is_str = 0;
        int64_t v = 0;

        if ((b & 0x80) == 0) {
            hdr = 1, len = 0, v = b & 0x7f;
        } else if ((b & 0xC0) == 0x80) {
            hdr = 1, len = b & 0x3f, is_str = 1;
        } else if ((b & 0xE0) == 0xC0) {
            hdr = 2, len = 0;
        } else if ((b & 0xF0) == 0xE0) {
            hdr = 2, len = 0, is_str = 1;
        } else {
            switch (b) {
            case 0xF0: hdr = 5, len = 0, is_str = 1; break;
            case 0xF1: hdr = 3, len = 0; break;
            case 0xF2: hdr = 4, len = 0; break;
            case 0xF3: hdr = 5, len = 0; break;
            case 0xF4: hdr = 9, len = 0; break;
            case 0xFF: return bad(err, pos, "listpack end marker before the end of the blob");
            default: return bad(err, pos, "invalid listpack entry encoding");
            }
        }
        if (hdr > last - pos)
            return bad(err, pos, "listpack entry header runs past the end");
        /* Header bytes are in bounds now: decode lengths and integers. */
        if (is_str && (b & 0xF0) == 0xE0)
            len = ((uint64_t)(b & 0x0f) << 8) | e[1];
        else if (is_str && b == 0xF0)
            len = rdb_le32(e + 1);
        else if (!is_str && (b & 0xE0) == 0xC0)
            v = sext(((uint64_t)(b & 0x1f) << 8) | e[1], 13);
        else if (b == 0xF1)
            v = sext(rdb_le16(e + 1), 16);
        else if (b == 0xF2)
            v = sext((uint64_t)rdb_le16(e + 1) | (uint64_t)e[3] << 16, 24);
        else if (b == 0xF3)
            v = sext(rdb_le32(e + 1), 32);
        else if (b == 0xF4)
            v = (int64_t)rdb_le64(e + 1);

        if (len > last - pos - hdr)
            return bad(err, pos, "listpack string runs past the end");
        uint64_t enclen = hdr + len;
        size_t bl = backlen_size(enclen);
        if (bl > last - pos - enclen)
            return bad(err, pos, "listpack entry back-length runs past the end");

        /* The back-length, read backwards from its last byte, must give enclen in bl bytes. */
        const uint8_t *q = e + enclen + bl - 1;
        uint64_t back = 0;
        size_t used = 0;
        for (;;) {
            back |= (uint64_t)(q[-(ptrdiff_t)used] & 127) << (7 * used);
            used++;
            if (!(q[-(ptrdiff_t)(used - 1)] & 128))
                break;
            if (used == bl)
                return bad(err, pos + enclen, "listpack entry back-length is malformed");
        }
        if (used != bl || back != enclen)
            return bad(err, pos + enclen, "listpack entry back-length does not match the entry");

        if (fn != NULL) {
            int rc;
            if (is_str) {
                rc = fn(arg, e + hdr, (size_t)len);
            } else {
                char *num = nums[cnt & 1]; /* the previous element's text stays valid */
                size_t k = rdb_blob_i64_str(v, num);
                rc = fn(arg, (const uint8_t *)num, k);
            }
            if (rc != 0)
                return rc;
        }
        cnt++;
        pos += enclen + bl;
    }
    uint32_t hdr_count = rdb_le16(lp + 4);
    if (hdr_count != LP_COUNT_UNKNOWN && hdr_count != cnt)
        return bad(err, 4, "listpack element-count header does not match its entries");
    *count = cnt;
    return 0;
}
