/*
 * restore.c - loading the newest snapshot at start (see restore.h).
 */
#include "restore.h"

#include "../core/hash.h"
#include "../core/log.h"
#include "../resp/obuf.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "../store/reclaim.h"
#include "cmd.h"
#include "db.h"
#include "rdb/rdb_dec.h"
#include "server.h"
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RESTORE_HASH_BATCH_FIELDS 4096      /* fields buffered before a hash write */
#define RESTORE_HASH_BATCH_BYTES  (1 << 20) /* bytes buffered before a hash write */

/* One partition's loader. */
struct loader {
    int part;
    const char *path;
    struct rdb_dec *dec;
    struct ctx x;
    struct obuf out;
    uint64_t now_ms;
    uint64_t keys, expired;
    char err[512];
    int rc;
    /* the hash being loaded */
    int in_hash, hash_skip;
    struct entry *hash_e;
    uint64_t hash_dg;
    int64_t hash_expire;
    char *hkey;
    size_t hklen, hkcap;
    struct hfield *hf;
    size_t nhf, hfcap;
    char *arena;
    size_t alen, acap;
};

static uint64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_db(struct loader *l, uint32_t db)
{
    l->x.db = (int)db;
    l->x.pdb = part_pdb(l->x.p, (int)db);
}

static int want_key(void *ud, uint32_t db, const uint8_t *key, size_t klen, unsigned type)
{
    struct loader *l = ud;

    (void)db;
    (void)type;
    if (srv.nworkers == 1)
        return 1;
    return (int)srv_part_of_slot(key_slot(key, klen)) == l->part;
}

static int expired(const struct loader *l, int64_t expire_ms)
{
    return expire_ms != RDB_DEC_NO_EXPIRE && (uint64_t)expire_ms <= l->now_ms;
}

static int duplicate(struct loader *l, uint32_t db, const struct rstr *k)
{
    if (!db_peek(&l->x, k))
        return 0;
    snprintf(l->err, sizeof(l->err), "key \"%.*s\" appears twice in db %u", (int)(k->len > 64 ? 64 : k->len),
             k->p, db);
    return -EEXIST;
}

static int insert_failed(struct loader *l, const struct rstr *k)
{
    snprintf(l->err, sizeof(l->err),
             "cannot store key \"%.*s\": out of memory (maxmemory %lld bytes, noeviction or "
             "nothing to evict)",
             (int)(k->len > 64 ? 64 : k->len), k->p, srv.cfg.maxmemory);
    return -ENOMEM;
}

static int on_string(void *ud, uint32_t db, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, int64_t expire_ms)
{
    struct loader *l = ud;
    struct rstr k = { (const char *)key, klen };
    uint64_t dg;
    int rc;

    if (expired(l, expire_ms)) {
        l->expired++;
        return 0;
    }
    set_db(l, db);
    if ((rc = duplicate(l, db, &k)) != 0)
        return rc;
    dg = db_digest(&l->x, &k);
    if (!db_store_string(&l->x, &k, dg, NULL, (const char *)val, vlen, vlen,
                         expire_ms == RDB_DEC_NO_EXPIRE ? 0 : (uint64_t)expire_ms))
        return insert_failed(l, &k);
    l->keys++;
    if (obuf_len(&l->out) > 65536)
        obuf_reset(&l->out);
    return 0;
}

static int hash_flush(struct loader *l)
{
    struct rstr k = { l->hkey, l->hklen };
    long long added = 0;
    int rc;

    if (!l->nhf)
        return 0;
    rc = hobj_write(l->x.p, &l->hash_e, l->x.pdb, l->hkey, l->hklen, l->hash_dg, l->hf,
                    (int)l->nhf, 0, NULL, 0, &added);
    l->nhf = 0;
    l->alen = 0;
    if (rc)
        return insert_failed(l, &k);
    return 0;
}

static int on_hash_begin(void *ud, uint32_t db, const uint8_t *key, size_t klen,
                         uint64_t nfields_hint, int64_t expire_ms)
{
    struct loader *l = ud;
    struct rstr k = { (const char *)key, klen };
    int rc;

    (void)nfields_hint;
    l->in_hash = 1;
    l->hash_e = NULL;
    l->nhf = 0;
    l->alen = 0;
    l->hash_skip = expired(l, expire_ms);
    if (l->hash_skip) {
        l->expired++;
        return 0;
    }
    set_db(l, db);
    if ((rc = duplicate(l, db, &k)) != 0)
        return rc;
    if (klen > l->hkcap) {
        char *p = realloc(l->hkey, klen);
        if (!p)
            return -ENOMEM;
        l->hkey = p;
        l->hkcap = klen;
    }
    memcpy(l->hkey, key, klen);
    l->hklen = klen;
    l->hash_dg = db_digest(&l->x, &k);
    l->hash_expire = expire_ms;
    return 0;
}

static int on_hash_field(void *ud, const uint8_t *f, size_t flen, const uint8_t *v, size_t vlen)
{
    struct loader *l = ud;
    size_t need = flen + vlen;
    char *a;

    if (l->hash_skip)
        return 0;
    if (l->nhf && (l->nhf == RESTORE_HASH_BATCH_FIELDS ||
                   l->alen + need > RESTORE_HASH_BATCH_BYTES || l->alen + need > l->acap)) {
        int rc = hash_flush(l);
        if (rc)
            return rc;
    }
    if (need > l->acap) {
        /* nothing buffered here (flushed above): the arena may move */
        size_t cap = need > RESTORE_HASH_BATCH_BYTES ? need : RESTORE_HASH_BATCH_BYTES;
        char *p = realloc(l->arena, cap);
        if (!p)
            return -ENOMEM;
        l->arena = p;
        l->acap = cap;
    }
    if (l->nhf == l->hfcap) {
        size_t cap = l->hfcap ? l->hfcap * 2 : 64;
        struct hfield *p = realloc(l->hf, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        l->hf = p;
        l->hfcap = cap;
    }
    a = l->arena + l->alen;
    memcpy(a, f, flen);
    memcpy(a + flen, v, vlen);
    l->hf[l->nhf].f = a;
    l->hf[l->nhf].flen = flen;
    l->hf[l->nhf].v = a + flen;
    l->hf[l->nhf].vlen = vlen;
    l->nhf++;
    l->alen += need;
    return 0;
}

static int on_hash_end(void *ud)
{
    struct loader *l = ud;
    int rc;

    l->in_hash = 0;
    if (l->hash_skip)
        return 0;
    if ((rc = hash_flush(l)) != 0)
        return rc;
    if (!l->hash_e)
        return 0; /* no field: Redis skips empty hashes too */
    if (l->hash_expire != RDB_DEC_NO_EXPIRE &&
        !db_set_expire(&l->x, l->hash_e, l->hash_dg, (uint64_t)l->hash_expire))
        return 0; /* expired meanwhile */
    l->keys++;
    return 0;
}

static void *loader_main(void *arg)
{
    struct loader *l = arg;
    log_set_role('L');
    urcu_qsbr_register_thread();
    l->rc = rdb_dec_load_file(l->dec, l->path);
    urcu_qsbr_unregister_thread();
    return NULL;
}

static struct rdb_dec_opts dec_opts(void)
{
    struct rdb_dec_opts o;

    memset(&o, 0, sizeof(o));
    if (srv.cfg.snapshot_skip_unsupported)
        o.flags |= RDB_DEC_SKIP_UNSUPPORTED;
    o.max_db = srv.cfg.databases > 1 ? (uint32_t)srv.cfg.databases - 1 : 0;
    o.max_value_len = (size_t)srv.cfg.proto_max_bulk_len;
    return o;
}

/* Check @path whole, then load it on every partition. 0, or -1 with @why filled (-ENOTSUP:
 * a key of a type dpcache lacks). */
static int load_file(const char *path, struct restore_result *res, char *why, size_t whylen)
{
    static const struct rdb_dec_ops ops = {
        .want_key = want_key,
        .on_string = on_string,
        .on_hash_begin = on_hash_begin,
        .on_hash_field = on_hash_field,
        .on_hash_end = on_hash_end,
    };
    struct rdb_dec_opts o = dec_opts();
    struct rdb_dec *check = rdb_dec_new(&o, NULL, NULL);
    struct loader *ls;
    pthread_t *th;
    uint64_t now = wall_ms();
    int rc = 0, n = srv.nworkers;

    if (!check) {
        snprintf(why, whylen, "%s: out of memory", path);
        return -1;
    }
    if ((rc = rdb_dec_load_file(check, path)) < 0) {
        snprintf(why, whylen, "%s", rdb_dec_error(check));
        rdb_dec_destroy(&check);
        return rc == -ENOTSUP ? -ENOTSUP : -1;
    }
    res->skipped = rdb_dec_get_stats(check)->skipped;
    rdb_dec_destroy(&check);

    ls = calloc((size_t)n, sizeof(*ls));
    th = calloc((size_t)n, sizeof(*th));
    if (!ls || !th) {
        free(ls);
        free(th);
        snprintf(why, whylen, "%s: out of memory", path);
        return -1;
    }
    o.flags |= RDB_DEC_NO_CRC; /* checked above */
    for (int i = 0; i < n; i++) {
        struct loader *l = &ls[i];
        l->part = i;
        l->now_ms = now;
        obuf_init(&l->out, NULL);
        l->x.w = srv.workers[i];
        l->x.p = &srv.parts[i];
        l->x.owner = 1;
        l->x.out = &l->out;
        l->x.proto = 2;
        l->x.now = now;
        l->x.cmd = cmd_lookup("set", 3, 1);
        srv.workers[i]->now_ms = now;
        srv.workers[i]->now_us = now * 1000;
        l->dec = rdb_dec_new(&o, &ops, l);
        l->path = path;
        if (!l->dec || pthread_create(&th[i], NULL, loader_main, l)) {
            l->rc = -ENOMEM;
            th[i] = 0;
        }
    }
    for (int i = 0; i < n; i++) {
        struct loader *l = &ls[i];
        if (th[i])
            pthread_join(th[i], NULL);
        if (l->rc < 0 && !rc) {
            rc = -1;
            if (l->err[0])
                snprintf(why, whylen, "%s: %s (partition %d, near offset %llu)", path, l->err, i,
                         (unsigned long long)(l->dec ? rdb_dec_error_offset(l->dec) : 0));
            else
                snprintf(why, whylen, "%s", l->dec ? rdb_dec_error(l->dec) : "out of memory");
        }
        res->keys += l->keys;
        res->expired += l->expired;
        rdb_dec_destroy(&l->dec);
        obuf_reset(&l->out);
        free(l->hkey);
        free(l->hf);
        free(l->arena);
    }
    free(ls);
    free(th);
    return rc;
}

#define CORRUPT_HINT                                                                               \
    "fix or move the file, or start with --snapshot-on-corrupt fallback (load the previous "       \
    "snapshot) or --snapshot-on-corrupt empty (start without data)"
#define UNSUPPORTED_HINT                                                                           \
    "start with --snapshot-skip-unsupported yes to load the strings and hashes and skip "          \
    "(and count) the keys of other types, or move the file away"

int restore_run(struct restore_result *res, int (*reset)(void))
{
    char path[1024], why[2048];
    const char *dir = srv.cfg.dir && srv.cfg.dir[0] ? srv.cfg.dir : ".";
    uint64_t t0 = wall_ms();
    int found = 0, failed = 0, rc = 0, unsupported = 0;

    memset(res, 0, sizeof(*res));
    if (!srv.cfg.snapshot_load)
        return 0;
    __atomic_store_n(&srv.persist.loading, 1, __ATOMIC_RELEASE);
    for (int gen = 0; gen <= RESTORE_GENERATIONS_MAX; gen++) {
        struct stat st;
        if (gen == 0)
            snprintf(path, sizeof(path), "%s/%s", dir, srv.cfg.dbfilename);
        else
            snprintf(path, sizeof(path), "%s/%s.%d", dir, srv.cfg.dbfilename, gen);
        if (stat(path, &st) != 0) {
            if (errno == ENOENT)
                continue;
            snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
        } else if (!S_ISREG(st.st_mode)) {
            snprintf(why, sizeof(why), "%s: not a regular file", path);
        } else {
            found++;
            log_notice("loading snapshot %s (%lld bytes)", path, (long long)st.st_size);
            int lrc = load_file(path, res, why, sizeof(why));
            if (lrc == 0) {
                snprintf(res->path, sizeof(res->path), "%s", path);
                break;
            }
            /* a module value cannot be skipped: the option would not help */
            unsupported = lrc == -ENOTSUP && !strstr(why, "cannot be skipped");
            if (reset() < 0) {
                log_fatal("cannot empty the partitions after a failed load");
                rc = -1;
                break;
            }
            res->keys = res->expired = res->skipped = 0;
        }
        failed++;
        if (srv.cfg.snapshot_on_corrupt == CORRUPT_REFUSE) {
            log_fatal("snapshot unusable: %s. Refusing to start: %s", why,
                      unsupported ? UNSUPPORTED_HINT : CORRUPT_HINT);
            rc = -1;
            break;
        }
        if (srv.cfg.snapshot_on_corrupt == CORRUPT_EMPTY) {
            log_warn("snapshot unusable: %s; starting empty (snapshot-on-corrupt empty)", why);
            break;
        }
        log_warn("snapshot unusable: %s; trying the previous one (snapshot-on-corrupt fallback)",
                 why);
    }
    if (rc == 0 && failed && !res->path[0] && srv.cfg.snapshot_on_corrupt == CORRUPT_FALLBACK) {
        log_fatal("no usable snapshot left: refusing to start (%s)",
                  unsupported ? UNSUPPORTED_HINT
                              : "--snapshot-on-corrupt empty starts without data");
        rc = -1;
    }
    res->ms = wall_ms() - t0;
    if (rc == 0 && res->path[0])
        log_notice("DB loaded from %s: %llu keys (%llu expired skipped, %llu of unsupported "
                   "types skipped) in %.3f seconds",
                   res->path, (unsigned long long)res->keys, (unsigned long long)res->expired,
                   (unsigned long long)res->skipped, (double)res->ms / 1000.0);
    else if (rc == 0 && !found)
        log_notice("no snapshot in %s (%s): starting empty", dir, srv.cfg.dbfilename);
    __atomic_store_n(&srv.persist.loading, 0, __ATOMIC_RELEASE);
    return rc;
}
