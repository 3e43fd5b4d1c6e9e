/* libFuzzer target for the RDB decoder (rdb_dec_load_mem), built with -Dfuzzing=true:
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined
 *   ninja -C build-fuzz tests/fuzz_rdb_load
 *   ./build-fuzz/tests/fuzz_rdb_load -dict=tests/rdb/fuzz_rdb.dict -max_len=65536 CORPUS_DIR
 *
 * Each input is decoded twice (refusing and skipping unsupported types) with small limits, and
 * the callbacks check the protocol the decoder promises: hash fields only between begin and end,
 * exactly nfields_hint fields for a completed hash, every byte of every buffer readable, and an
 * error message with every failure. Any violation aborts (a crash for libFuzzer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdb/rdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
    int in_hash;
    uint64_t hint, fields;
    uint64_t sum; /* reading every byte lets ASan flag any overread */
};

static void touch(struct fuzz_state *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s->sum += p[i];
}

static int f_aux(void *ud, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    struct fuzz_state *s = ud;
    if (s->in_hash)
        abort();
    touch(s, k, kl);
    touch(s, v, vl);
    return 0;
}

static int f_selectdb(void *ud, uint32_t db)
{
    struct fuzz_state *s = ud;
    if (s->in_hash)
        abort();
    return 0;
}

static int f_want(void *ud, uint32_t db, const uint8_t *k, size_t kl, unsigned type)
{
    struct fuzz_state *s = ud;
    touch(s, k, kl);
    return kl % 7 != 3; /* exercise the skip path for some keys */
}

static int f_string(void *ud, uint32_t db, const uint8_t *k, size_t kl, const uint8_t *v,
                    size_t vl, int64_t exp)
{
    struct fuzz_state *s = ud;
    if (s->in_hash || (exp < 0 && exp != RDB_DEC_NO_EXPIRE))
        abort();
    touch(s, k, kl);
    touch(s, v, vl);
    return 0;
}

static int f_hash_begin(void *ud, uint32_t db, const uint8_t *k, size_t kl, uint64_t n,
                        int64_t exp)
{
    struct fuzz_state *s = ud;
    if (s->in_hash || n == 0)
        abort();
    touch(s, k, kl);
    s->in_hash = 1;
    s->hint = n;
    s->fields = 0;
    return 0;
}

static int f_hash_field(void *ud, const uint8_t *f, size_t fl, const uint8_t *v, size_t vl)
{
    struct fuzz_state *s = ud;
    if (!s->in_hash || ++s->fields > s->hint)
        abort();
    touch(s, f, fl);
    touch(s, v, vl);
    return 0;
}

static int f_hash_end(void *ud)
{
    struct fuzz_state *s = ud;
    if (!s->in_hash || s->fields != s->hint)
        abort();
    s->in_hash = 0;
    return 0;
}

static const struct rdb_dec_ops fuzz_ops = {
    .on_aux = f_aux,
    .on_selectdb = f_selectdb,
    .want_key = f_want,
    .on_string = f_string,
    .on_hash_begin = f_hash_begin,
    .on_hash_field = f_hash_field,
    .on_hash_end = f_hash_end,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        struct fuzz_state st = { 0 };
        struct rdb_dec_opts o = {
            .flags = pass ? RDB_DEC_SKIP_UNSUPPORTED : 0,
            .max_key_len = 1u << 16,
            .max_value_len = 1u << 20,
            .max_aux_len = 1u << 12,
        };
        struct rdb_dec *d = rdb_dec_new(&o, &fuzz_ops, &st);
        if (d == NULL)
            return 0;
        int rc = rdb_dec_load_mem(d, data, size);
        if (rc > 0 || (rc < 0 && rdb_dec_error(d)[0] == '\0') || (rc == 0 && st.in_hash))
            abort();
        if (rc == 0 && rdb_dec_get_stats(d)->bytes > size)
            abort();
        rdb_dec_destroy(&d);
    }
    return 0;
}
