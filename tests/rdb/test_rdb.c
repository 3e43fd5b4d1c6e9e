/* RDB library test program: runs the unit, corruption and real-Redis groups (cmocka).
 * Registered as unit.rdb in common/meson.build. */
#include "test_rdb.h"

#include <stdio.h>
#include <string.h>

#include "rdb_test_util.h"

int decode_mem(const void *p, size_t n, uint32_t flags, struct tcollect *c, char *err,
               size_t errlen, uint64_t *err_off)
{
    memset(c, 0, sizeof(*c));
    struct rdb_dec_opts o = { .flags = flags };
    struct rdb_dec *d = rdb_dec_new(&o, &tcollect_ops, c);
    if (d == NULL)
        return -12;
    int rc = rdb_dec_load_mem(d, p, n);
    if (err != NULL)
        snprintf(err, errlen, "%s", rdb_dec_error(d));
    if (err_off != NULL)
        *err_off = rdb_dec_error_offset(d);
    rdb_dec_destroy(&d);
    return rc;
}

int main(void)
{
    int failed = 0;
    failed += rdb_run_unit_tests();
    failed += rdb_run_type_tests();
    failed += rdb_run_corrupt_tests();
    failed += rdb_run_redis_tests();
    return failed == 0 ? 0 : 1;
}
