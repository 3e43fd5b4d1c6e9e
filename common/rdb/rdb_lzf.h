/* LZF decompression for RDB strings stored with the LZF special encoding (0xC3).
 *
 * LZF stream: a sequence of commands. A control byte c < 32 starts a literal run of c+1 bytes
 * that follow. Otherwise it is a back reference: length L = c >> 5 (7 means "add the next byte"),
 * distance D = ((c & 0x1f) << 8) + next byte + 1 back from the output position; L + 2 bytes are
 * copied (the copy may overlap its own output).
 */
#ifndef DPCACHE_RDB_LZF_H
#define DPCACHE_RDB_LZF_H

#include <stddef.h>
#include <stdint.h>

/* Largest output/input ratio a valid LZF stream can have: a 3-byte back reference produces at
 * most 7 + 255 + 2 = 264 bytes. A declared uncompressed length above in_len * this is corrupt. */
#define RDB_LZF_MAX_RATIO 88

/**
 * rdb_lzf_decompress: decompress @in_len bytes at @in into exactly @out_len bytes at @out.
 *
 * Every input and output access is bounds-checked: a malformed stream never reads or writes
 * outside the two buffers. Returns 0 when the stream decodes to exactly @out_len bytes;
 * -EBADMSG otherwise (truncated command, reference before the start of the output, output
 * overflow or a short result), with *@bad_pos (if not NULL) set to the input offset of the
 * offending command. Pure function: reentrant, no allocation.
 */
int rdb_lzf_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                       size_t *bad_pos);

#endif /* DPCACHE_RDB_LZF_H */
