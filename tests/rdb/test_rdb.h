/* Groups of the RDB library test program (tests/rdb/test_rdb.c runs them all). */
#ifndef DPCACHE_TEST_RDB_H
#define DPCACHE_TEST_RDB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Each returns the number of failed tests of its group. */
int rdb_run_unit_tests(void);    /* test_rdb_units.c: CRC, LZF, encoder, decoder, writer */
int rdb_run_type_tests(void);    /* test_rdb_types.c: encoded hashes, unsupported types */
int rdb_run_corrupt_tests(void); /* test_rdb_corrupt.c: byte flips and truncations */
int rdb_run_redis_tests(void);   /* test_rdb_redis.c: against the real redis-server */

/* Decodes @n bytes at @p with @flags into @c (zeroed first). Returns the decoder's result and
 * copies its message into @err (may be NULL). */
struct tcollect;
int decode_mem(const void *p, size_t n, uint32_t flags, struct tcollect *c, char *err,
               size_t errlen, uint64_t *err_off);

/* Appends one key of each unsupported-but-skippable RDB type (list, set, zset, zset2, intset,
 * ziplists, quicklists, listpacks, stream v3) to @b; returns how many, counted per type into
 * @counts. (test_rdb_units.c) */
struct rdb_buf;
int put_unsupported(struct rdb_buf *b, uint64_t counts[]);

#endif /* DPCACHE_TEST_RDB_H */
