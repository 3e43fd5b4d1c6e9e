/* CRC-64/Jones as used by the RDB trailer: polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor. crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
 *
 * The implementation is table-driven, 8 bytes per step ("slice-by-8"); the tables are read-only
 * data generated at build time (gen_crc64_table.c), so the functions are pure and reentrant.
 */
#ifndef DPCACHE_RDB_CRC64_H
#define DPCACHE_RDB_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* The check value of the CRC-64/Jones catalogue entry, for self-tests. */
#define RDB_CRC64_CHECK 0xe9c6d914c4b8d9caULL

/**
 * rdb_crc64: extend @crc over @n bytes at @p and return the new value. Start a checksum with
 * crc = 0; feeding a message in pieces gives the same result as feeding it at once.
 * @p may be NULL when @n is 0. Pure function: thread-safe, no allocation.
 */
uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n);

/**
 * rdb_crc64_bitwise: the same CRC computed one bit at a time. Slow; for tests of the table code.
 */
uint64_t rdb_crc64_bitwise(uint64_t crc, const void *p, size_t n);

#endif /* DPCACHE_RDB_CRC64_H */
