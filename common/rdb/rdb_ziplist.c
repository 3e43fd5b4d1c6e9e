/* Validating ziplist walker (see rdb_blob.h). Ziplists appear in RDB files written by Redis 3.2
 * to 6.2 (hash-ziplist, zset-ziplist, list-ziplist and quicklist nodes).
 *
 * Layout: total-bytes u32 LE · tail-offset u32 LE · entry-count u16 LE (65535 = unknown) ·
 * entries · 0xFF. Entry: prevlen (1 byte if < 254, else 0xFE + u32 LE; it must equal the size of
 * the previous entry, 0 for the first) · encoding · data. Encodings: 00xxxxxx 6-bit string
 * length; 01xxxxxx + 1 byte 14-bit length (big-endian); 10xxxxxx + u32 BE length; 0xC0 int16,
 * 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8 (all LE); 0xF1..0xFD immediate 0..12.
 */
#include "rdb_blob.h"

#include <errno.h>

#define ZL_HDR 10
#define ZL_COUNT_UNKNOWN 65535u

static int bad(struct rdb_blob_err *err, size_t pos, const char *msg)
{
    err->pos = pos;
    err->msg = msg;
    return -EBADMSG;
}

static int64_t sext(uint64_t u, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    u &= (m << 1) - 1;
    return (int64_t)(u ^ m) - (int64_t)m;
}

int rdb_ziplist_walk(const uint8_t *zl, size_t n, rdb_blob_fn fn, void *arg, uint64_t *count,
                     struct rdb_blob_err *err)
{
    *count = 0;
    if (n < ZL_HDR + 1)
        return bad(err, 0, "ziplist shorter than its header");
    if (rdb_le32(zl) != n)
        return bad(err, 0, "ziplist total-bytes header does not match the blob size");
    if (zl[n - 1] != 0xFF)
        return bad(err, n - 1, "ziplist does not end with the 0xFF marker");

    const size_t last = n - 1;
    size_t pos = ZL_HDR, prev_size = 0, last_start = ZL_HDR;
    uint64_t cnt = 0;
    char nums[2][24]; /* decimal text of integer elements, alternating */
    while (pos < last) {
        const size_t start = pos;
        size_t plen;
        uint64_t prevlen;
        if (zl[pos] < 254) {
            prevlen = zl[pos];
            plen = 1;
        } else if (zl[pos] == 254) {
            if (5 > last - pos)
                return bad(err, pos, "ziplist entry prevlen runs past the end");
            prevlen = rdb_le32(zl + pos + 1);
            plen = 5;
        } else {
            return bad(err, pos, "ziplist end marker before the end of the blob");
        }
        if (prevlen != prev_size)
            return bad(err, pos, "ziplist entry prevlen does not match the previous entry");
        pos += plen;
        if (pos >= last)
            return bad(err, pos, "ziplist entry encoding runs past the end");

        const uint8_t *e = zl + pos;
        uint8_t b = e[0];
        size_t hdr;
        uint64_t len = 0;
        int is_str = 0;
        int64_t v = 0;
        switch (b >> 6) {
        case 0: hdr = 1, len = b & 0x3f, is_str = 1; break;
        case 1: hdr = 2, is_str = 1; break;
        case 2: hdr = 5, is_str = 1; break;
        default:
            hdr = 1;
            switch (b) {
            case 0xC0: len = 2; break;
            case 0xD0: len = 4; break;
            case 0xE0: len = 8; break;
            case 0xF0: len = 3; break;
            case 0xFE: len = 1; break;
            default:
                if (b >= 0xF1 && b <= 0xFD) {
                    v = (int64_t)(b & 0x0f) - 1;
                    break;
                }
                return bad(err, pos, "invalid ziplist entry encoding");
            }
        }
        if (hdr > last - pos)
            return bad(err, pos, "ziplist entry header runs past the end");
        if (is_str && hdr == 2)
            len = ((uint64_t)(b & 0x3f) << 8) | e[1];
        else if (is_str && hdr == 5)
            len = (uint64_t)e[1] << 24 | (uint64_t)e[2] << 16 | (uint64_t)e[3] << 8 | e[4];
        if (len > last - pos - hdr)
            return bad(err, pos, "ziplist entry data runs past the end");
        const uint8_t *data = e + hdr;
        if (!is_str) {
            switch (b) {
            case 0xC0: v = sext(rdb_le16(data), 16); break;
            case 0xD0: v = sext(rdb_le32(data), 32); break;
            case 0xE0: v = (int64_t)rdb_le64(data); break;
            case 0xF0: v = sext((uint64_t)rdb_le16(data) | (uint64_t)data[2] << 16, 24); break;
            case 0xFE: v = sext(data[0], 8); break;
            default: break; /* immediate, decoded above */
            }
        }
        if (fn != NULL) {
            int rc;
            if (is_str) {
                rc = fn(arg, data, (size_t)len);
            } else {
                char *num = nums[cnt & 1]; /* the previous element's text stays valid */
                size_t k = rdb_blob_i64_str(v, num);
                rc = fn(arg, (const uint8_t *)num, k);
            }
            if (rc != 0)
                return rc;
        }
        cnt++;
        pos += hdr + (size_t)len;
        prev_size = pos - start;
        last_start = start;
    }
    if (rdb_le32(zl + 4) != last_start)
        return bad(err, 4, "ziplist tail-offset header does not point at the last entry");
    uint32_t hdr_count = rdb_le16(zl + 8);
    if (hdr_count != ZL_COUNT_UNKNOWN && hdr_count != cnt)
        return bad(err, 8, "ziplist entry-count header does not match its entries");
    *count = cnt;
    return 0;
}
