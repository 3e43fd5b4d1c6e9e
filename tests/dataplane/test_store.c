/*
 * test_store.c - partitions (rte_hash index, digest collisions, positions, capacity, memory
 * accounting, RCU-deferred frees) and the hash type (packed/dict encodings, scan, blobs).
 */
#include "dp_test.h"

#include "core/hash.h"
#include "store/hashobj.h"
#include "store/part.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

static struct entry *put(struct part *p, uint16_t db, const char *k, size_t kl, const char *v,
                         size_t vl)
{
    uint64_t dg = key_digest(db, k, kl);
    struct entry *old = part_find(p, db, k, kl, dg);
    struct entry *e = part_new_entry(p, db, k, kl, vl);

    assert_non_null(e);
    entry_set_type(e, OBJ_STRING, ENC_RAW);
    memcpy(entry_val(e), v, vl);
    e->vlen = (uint32_t)vl;
    if (old)
        part_replace(p, old, e, dg, 0);
    else
        assert_int_equal(part_insert(p, e, dg), 0);
    return e;
}

static struct entry *get(struct part *p, uint16_t db, const char *k, size_t kl)
{
    return part_find(p, db, k, kl, key_digest(db, k, kl));
}

static void del(struct part *p, uint16_t db, const char *k, size_t kl)
{
    uint64_t dg = key_digest(db, k, kl);
    struct entry *e = part_find(p, db, k, kl, dg);

    assert_non_null(e);
    part_delete(p, e, dg, 0);
}

static void test_basic(void **state)
{
    struct part p;
    char longkey[100000];
    struct entry *e;

    (void)state;
    assert_int_equal(part_setup(&p, 0, 4096, 16, 0, 0), 0);
    memset(longkey, 'k', sizeof(longkey));
    put(&p, 0, "a\0b", 3, "v1", 2);
    put(&p, 0, "a\0c", 3, "v2", 2);
    put(&p, 1, "a\0b", 3, "other db", 8);
    put(&p, 0, longkey, sizeof(longkey), "long", 4);
    assert_int_equal(p.nkeys, 4);
    assert_int_equal(p.dbs[0].keys, 3);
    assert_int_equal(p.dbs[1].keys, 1);
    e = get(&p, 0, "a\0b", 3);
    assert_non_null(e);
    assert_memory_equal(entry_cval(e), "v1", 2);
    e = get(&p, 1, "a\0b", 3);
    assert_memory_equal(entry_cval(e), "other db", 8);
    assert_null(get(&p, 0, "a", 1));
    assert_null(get(&p, 0, longkey, sizeof(longkey) - 1));
    assert_non_null(get(&p, 0, longkey, sizeof(longkey)));
    put(&p, 0, "a\0b", 3, "replaced", 8);
    assert_int_equal(p.nkeys, 4);
    assert_memory_equal(entry_cval(get(&p, 0, "a\0b", 3)), "replaced", 8);
    part_set_expire(&p, get(&p, 0, "a\0c", 3), 12345);
    assert_int_equal(p.dbs[0].expires, 1);
    del(&p, 0, "a\0c", 3);
    assert_int_equal(p.dbs[0].expires, 0);
    assert_int_equal(p.nkeys, 3);
    part_teardown(&p);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_digest_collisions(void **state)
{
    struct part p;
    char k[32];
    int n = 600;
    uint64_t seen[600];
    size_t nseen = 0;

    (void)state;
    key_digest_mask = 0xF; /* 16 digests for 600 keys: most keys collide */
    assert_int_equal(part_setup(&p, 0, 4096, 16, 0, 0), 0);
    for (int i = 0; i < n; i++) {
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        put(&p, 0, k, (size_t)kl, k, (size_t)kl);
    }
    assert_int_equal(p.nkeys, n);
    assert_true(p.novf >= (uint32_t)(n - 16));
    for (int i = 0; i < n; i++) {
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        struct entry *e = get(&p, 0, k, (size_t)kl);
        assert_non_null(e);
        assert_memory_equal(entry_cval(e), k, (size_t)kl);
    }
    /* every key is at exactly one scan position */
    for (uint32_t pos = 0; pos < part_scan_end(&p); pos++) {
        struct entry *e = part_entry_at(&p, pos);
        if (e) {
            long idx = strtol(entry_key(e) + 4, NULL, 10);
            seen[nseen++] = (uint64_t)idx;
        }
    }
    assert_int_equal(nseen, (size_t)n);
    qsort(seen, nseen, sizeof(seen[0]), cmp_u64);
    for (int i = 0; i < n; i++)
        assert_int_equal(seen[i], (uint64_t)i);
    /* delete every other key (table slots get refilled from the overflow list) */
    for (int i = 0; i < n; i += 2) {
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        del(&p, 0, k, (size_t)kl);
    }
    for (int i = 0; i < n; i++) {
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        if (i % 2)
            assert_non_null(get(&p, 0, k, (size_t)kl));
        else
            assert_null(get(&p, 0, k, (size_t)kl));
    }
    for (int i = 1; i < n; i += 2) {
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        del(&p, 0, k, (size_t)kl);
    }
    assert_int_equal(p.nkeys, 0);
    assert_int_equal(p.novf, 0);
    part_teardown(&p);
    key_digest_mask = ~0ULL;
}

static void test_capacity_and_memory(void **state)
{
    struct part p;
    char k[32];
    int i, rc = 0;
    uint64_t used0;

    (void)state;
    assert_int_equal(part_setup(&p, 0, 1024, 16, 0, 0), 0);
    used0 = p.slab.used;
    for (i = 0; i < 5000; i++) {
        int kl = snprintf(k, sizeof(k), "c:%d", i);
        struct entry *e = part_new_entry(&p, 0, k, (size_t)kl, 100);
        entry_set_type(e, OBJ_STRING, ENC_RAW);
        e->vlen = 100;
        rc = part_insert(&p, e, key_digest(0, k, (size_t)kl));
        if (rc) {
            part_free_entry(&p, e);
            break;
        }
    }
    assert_int_equal(rc, -ENOSPC);
    assert_true(i >= 1024); /* the extendable table holds at least what was asked */
    assert_true(p.slab.used > used0 + (uint64_t)i * 100);
    for (int j = 0; j < i; j++) {
        int kl = snprintf(k, sizeof(k), "c:%d", j);
        del(&p, 0, k, (size_t)kl);
    }
    assert_int_equal(p.nkeys, 0);
    assert_int_equal(p.slab.used, used0); /* every byte handed out came back */
    part_teardown(&p);
}

static void test_rcu_deferred_free(void **state)
{
    struct part p;
    char k[32];
    uint64_t used0;

    (void)state;
    assert_int_equal(part_setup(&p, 0, 4096, 16, 0, 1 /* shared with readers */), 0);
    used0 = p.slab.used;
    for (int i = 0; i < 2000; i++) {
        int kl = snprintf(k, sizeof(k), "r:%d", i);
        put(&p, 0, k, (size_t)kl, "0123456789", 10);
    }
    for (int i = 0; i < 2000; i++) {
        int kl = snprintf(k, sizeof(k), "r:%d", i);
        del(&p, 0, k, (size_t)kl);
    }
    /* nothing is freed before a grace period, but used memory no longer counts it */
    assert_true(p.slab.used > used0);
    assert_true(p.retired_bytes > 0);
    assert_true(part_used(&p) <= p.slab.used - p.retired_bytes + 1);
    assert_true(p.rc.pending > 0);
    reclaim_drain(&p.rc);
    assert_int_equal(p.rc.pending, 0);
    assert_int_equal(p.retired_bytes, 0);
    assert_int_equal(p.slab.used, used0);
    /* positions were handed back: the table takes keys again */
    for (int i = 0; i < 2000; i++) {
        int kl = snprintf(k, sizeof(k), "s:%d", i);
        put(&p, 0, k, (size_t)kl, "x", 1);
    }
    assert_int_equal(p.nkeys, 2000);
    part_teardown(&p);
}

static struct entry *hset(struct part *p, struct entry *e, const char *key, const char *f,
                          const char *v, long long *added)
{
    struct hfield hf = { f, strlen(f), v, strlen(v) };
    uint64_t dg = key_digest(0, key, strlen(key));

    assert_int_equal(hobj_write(p, &e, 0, key, strlen(key), dg, &hf, 1, 0, NULL, 0, added), 0);
    return e;
}

static void test_hash_encodings(void **state)
{
    struct part p;
    struct entry *e = NULL;
    long long added = 0, deleted = 0;
    const char *v;
    size_t vl;
    char f[32], val[32];

    (void)state;
    assert_int_equal(part_setup(&p, 0, 4096, 16, 0, 0), 0);
    hash_max_packed_entries = 8;
    hash_max_packed_value = 16;
    e = hset(&p, e, "h", "a", "1", &added);
    assert_int_equal(added, 1);
    e = hset(&p, e, "h", "a", "2", &added);
    assert_int_equal(added, 0);
    assert_int_equal(entry_enc(e), ENC_HASH_PACKED);
    assert_true(hobj_get(e, "a", 1, &v, &vl));
    assert_memory_equal(v, "2", 1);
    {   /* HSETNX keeps the old value; duplicate fields in one call: the last wins */
        struct hfield two[2] = { { "b", 1, "x", 1 }, { "b", 1, "y", 1 } };
        uint64_t dg = key_digest(0, "h", 1);
        assert_int_equal(hobj_write(&p, &e, 0, "h", 1, dg, two, 2, 0, NULL, 0, &added), 0);
        assert_int_equal(added, 1);
        assert_true(hobj_get(e, "b", 1, &v, &vl));
        assert_memory_equal(v, "y", 1);
        assert_int_equal(hobj_write(&p, &e, 0, "h", 1, dg, two, 1, 1, NULL, 0, &added), 0);
        assert_int_equal(added, 0);
    }
    for (int i = 0; i < 20; i++) { /* past 8 fields: becomes a dict */
        snprintf(f, sizeof(f), "f%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        e = hset(&p, e, "h", f, val, &added);
    }
    assert_int_equal(entry_enc(e), ENC_HASH_DICT);
    assert_int_equal(hobj_len(e), 22);
    assert_true(hobj_get(e, "f7", 2, &v, &vl));
    assert_memory_equal(v, "v7", 2);
    /* serialize and rebuild (RENAME across partitions) */
    {
        size_t n = hobj_serialize_len(e);
        char *blob = malloc(n);
        struct entry *c;
        hobj_serialize(e, blob);
        c = hobj_from_blob(&p, 0, "copy", 4, blob, n);
        assert_non_null(c);
        assert_int_equal(hobj_len(c), 22);
        assert_true(hobj_get(c, "f19", 3, &v, &vl));
        assert_memory_equal(v, "v19", 3);
        assert_int_equal(entry_enc(c), ENC_HASH_DICT);
        assert_null(hobj_from_blob(&p, 0, "bad", 3, blob, n - 1)); /* truncated */
        part_free_value(&p, c);
        part_free_entry(&p, c);
        free(blob);
    }
    /* delete everything: the key goes away */
    {
        struct hfield del[22];
        struct hiter it;
        struct hfield hf;
        int n = 0;
        uint64_t dg = key_digest(0, "h", 1);
        char names[22][8];
        hobj_iter_init(&it, e);
        while (hobj_iter_next(&it, &hf)) {
            memcpy(names[n], hf.f, hf.flen);
            del[n].f = names[n];
            del[n].flen = hf.flen;
            n++;
        }
        assert_int_equal(n, 22);
        assert_int_equal(hobj_write(&p, &e, 0, "h", 1, dg, NULL, 0, 0, del, n, &deleted), 0);
        assert_int_equal(deleted, 22);
        assert_null(e);
        assert_int_equal(p.nkeys, 0);
    }
    hash_max_packed_entries = 512;
    hash_max_packed_value = 64;
    part_teardown(&p);
}

static void count_field(void *arg, const struct hfield *hf)
{
    int *seen = arg;
    seen[strtol(hf->f + 1, NULL, 10)]++;
}

static void test_hash_scan_across_resizes(void **state)
{
    struct part p;
    struct entry *e = NULL;
    long long added;
    char f[32];
    int seen[3000] = { 0 };
    uint64_t cur = 0;
    int steps = 0;

    (void)state;
    assert_int_equal(part_setup(&p, 0, 4096, 16, 0, 0), 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        e = hset(&p, e, "big", f, "v", &added);
    }
    /* the table grows (1000 -> 3000 fields) while we scan: each original field still shows */
    do {
        cur = hobj_scan(e, cur, 10, count_field, seen);
        if (steps < 100)
            for (int i = 0; i < 20; i++) {
                snprintf(f, sizeof(f), "f%d", 1000 + steps * 20 + i);
                e = hset(&p, e, "big", f, "v", &added);
            }
        steps++;
    } while (cur && steps < 100000);
    assert_int_equal(cur, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(seen[i] >= 1);
    part_teardown(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_digest_collisions),
        cmocka_unit_test(test_capacity_and_memory),
        cmocka_unit_test(test_rcu_deferred_free),
        cmocka_unit_test(test_hash_encodings),
        cmocka_unit_test(test_hash_scan_across_resizes),
    };
    dp_test_eal();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
