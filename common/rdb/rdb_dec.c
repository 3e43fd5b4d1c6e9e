/* Streaming RDB decoder: the record loop (header, opcodes, EOF and CRC check) and the supported
 * value types, strings and hashes in their four encodings (see rdb_dec.h). Skipping of other
 * types is in rdb_skip.c, reading of lengths and strings in rdb_dec_read.c. */
#include "rdb_dec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdb_blob.h"
#include "rdb_format.h"

struct rdb_dec *rdb_dec_new(const struct rdb_dec_opts *opts, const struct rdb_dec_ops *ops,
                            void *ud)
{
    struct rdb_dec *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    if (opts != NULL)
        d->opts = *opts;
    if (d->opts.max_key_len == 0)
        d->opts.max_key_len = RDB_DEC_DEFAULT_MAX_KEY_LEN;
    if (d->opts.max_value_len == 0)
        d->opts.max_value_len = RDB_DEC_DEFAULT_MAX_VALUE_LEN;
    if (d->opts.max_aux_len == 0)
        d->opts.max_aux_len = RDB_DEC_DEFAULT_MAX_AUX_LEN;
    if (d->opts.max_hash_fields == 0)
        d->opts.max_hash_fields = RDB_DEC_DEFAULT_MAX_HASH_FIELDS;
    if (d->opts.max_db == 0)
        d->opts.max_db = RDB_DEC_DEFAULT_MAX_DB;
    if (ops != NULL)
        d->ops = *ops;
    d->ud = ud;

    uint64_t seed;
    if (getentropy(&seed, sizeof(seed)) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)(uintptr_t)d ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    }
    rdb_fieldset_init(&d->fields, seed);
    d->err_off = UINT64_MAX;
    return d;
}

void rdb_dec_destroy(struct rdb_dec **dp)
{
    if (dp == NULL || *dp == NULL)
        return;
    struct rdb_dec *d = *dp;
    free(d->rbuf);
    rdb_scratch_free(&d->key);
    rdb_scratch_free(&d->field);
    rdb_scratch_free(&d->val);
    rdb_scratch_free(&d->lzf);
    rdb_fieldset_free(&d->fields);
    free(d);
    *dp = NULL;
}

const char *rdb_dec_error(const struct rdb_dec *d)
{
    return d->err;
}

uint64_t rdb_dec_error_offset(const struct rdb_dec *d)
{
    return d->err_off;
}

const struct rdb_dec_stats *rdb_dec_get_stats(const struct rdb_dec *d)
{
    return &d->st;
}

/* A callback returned @rc != 0: stop with it (positive values become -ECANCELED). */
static int cb_stop(struct rdb_dec *d, int rc, uint64_t off, const char *cb)
{
    int code = rc < 0 ? rc : -ECANCELED;
    return rdb_dec_fail(d, code, off, "load stopped by the %s callback (%d)", cb, rc);
}

static void trim_scratch(struct rdb_dec *d)
{
    rdb_scratch_trim(&d->key);
    rdb_scratch_trim(&d->field);
    rdb_scratch_trim(&d->val);
}

/* ---- strings ------------------------------------------------------------------------------ */

static int load_string(struct rdb_dec *d, int64_t expire)
{
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_dec_string(d, &d->val, d->opts.max_value_len, "string value");
    if (rc != 0)
        return rc;
    if (d->ops.on_string != NULL &&
        (rc = d->ops.on_string(d->ud, d->db, d->key.p, d->key.len, d->val.p, d->val.len,
                               expire)) != 0)
        return cb_stop(d, rc, off, "on_string");
    d->st.strings++;
    return 0;
}

/* ---- hashes ------------------------------------------------------------------------------- */

static int dup_field(struct rdb_dec *d, const uint8_t *f, size_t n, uint64_t off)
{
    char q[300];
    rdb_dec_quote(q, sizeof(q), f, n);
    return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: duplicate hash field \"%s\"", q);
}

static int check_nfields(struct rdb_dec *d, uint64_t n, uint64_t off)
{
    if (n > d->opts.max_hash_fields)
        return rdb_dec_fail(d, -E2BIG, off,
                            "hash has %" PRIu64 " fields, more than the limit of %" PRIu64, n,
                            d->opts.max_hash_fields);
    return 0;
}

static int load_hash_plain(struct rdb_dec *d, int64_t expire)
{
    uint64_t off = rdb_src_off(&d->src);
    uint64_t n;
    int rc;
    if ((rc = rdb_dec_len(d, &n, NULL, "hash field count")) != 0)
        return rc;
    if (n == 0) {
        d->st.empty_skipped++;
        return 1; /* nothing reported */
    }
    if ((rc = check_nfields(d, n, off)) != 0)
        return rc;
    if (n > rdb_src_left(&d->src) / 2) /* each field and value takes at least a byte */
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB corrupt or truncated: hash field count %" PRIu64
                            " exceeds what the rest of the input can hold",
                            n);
    if (d->ops.on_hash_begin != NULL &&
        (rc = d->ops.on_hash_begin(d->ud, d->db, d->key.p, d->key.len, n, expire)) != 0)
        return cb_stop(d, rc, off, "on_hash_begin");

    bool check = !(d->opts.flags & RDB_DEC_NO_DUP_FIELD_CHECK);
    rdb_fieldset_clear(&d->fields);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t foff = rdb_src_off(&d->src);
        if ((rc = rdb_dec_string(d, &d->field, d->opts.max_value_len, "hash field")) != 0 ||
            (rc = rdb_dec_string(d, &d->val, d->opts.max_value_len, "hash value")) != 0)
            return rc;
        if (check) {
            rc = rdb_fieldset_add(&d->fields, d->field.p, d->field.len);
            if (rc == 1)
                return dup_field(d, d->field.p, d->field.len, foff);
            if (rc < 0)
                return rdb_dec_fail(d, -ENOMEM, foff, "out of memory checking hash fields");
        }
        if (d->ops.on_hash_field != NULL &&
            (rc = d->ops.on_hash_field(d->ud, d->field.p, d->field.len, d->val.p, d->val.len)) !=
                0)
            return cb_stop(d, rc, foff, "on_hash_field");
    }
    rdb_fieldset_clear(&d->fields);
    if (d->ops.on_hash_end != NULL && (rc = d->ops.on_hash_end(d->ud)) != 0)
        return cb_stop(d, rc, rdb_src_off(&d->src), "on_hash_end");
    d->st.hash_fields += n;
    return 0;
}

/* Walker state for encoded hashes: elements alternate field, value. */
struct pair_walk {
    struct rdb_dec *d;
    const uint8_t *field;
    size_t flen;
    bool have_field;
    int cb_rc;             /* the user's callback stopped the walk */
    const uint8_t *dup;    /* duplicate field found by the first pass */
    size_t duplen;
};

static int pair_dup_check(void *arg, const uint8_t *p, size_t n)
{
    struct pair_walk *w = arg;
    w->have_field = !w->have_field;
    if (!w->have_field)
        return 0; /* a value */
    int rc = rdb_fieldset_add(&w->d->fields, p, n);
    if (rc == 1) {
        w->dup = p;
        w->duplen = n;
        return -EEXIST;
    }
    return rc;
}

static int pair_emit(void *arg, const uint8_t *p, size_t n)
{
    struct pair_walk *w = arg;
    if (!w->have_field) {
        w->field = p;
        w->flen = n;
        w->have_field = true;
        return 0;
    }
    w->have_field = false;
    int rc = w->d->ops.on_hash_field(w->d->ud, w->field, w->flen, p, n);
    if (rc != 0)
        w->cb_rc = rc;
    return rc;
}

typedef int (*walk_fn)(const uint8_t *, size_t, rdb_blob_fn, void *, uint64_t *,
                       struct rdb_blob_err *);

static int load_hash_blob(struct rdb_dec *d, unsigned type, int64_t expire)
{
    const char *kind = type == RDB_TYPE_HASH_ZIPMAP    ? "zipmap"
                       : type == RDB_TYPE_HASH_ZIPLIST ? "ziplist"
                                                       : "listpack";
    walk_fn walk = type == RDB_TYPE_HASH_ZIPMAP    ? rdb_zipmap_walk
                   : type == RDB_TYPE_HASH_ZIPLIST ? rdb_ziplist_walk
                                                   : rdb_listpack_walk;
    uint64_t off = rdb_src_off(&d->src);
    int rc = rdb_dec_string(d, &d->val, d->opts.max_value_len, "encoded hash");
    if (rc != 0)
        return rc;
    uint64_t data_off = d->str_data_off;
    const uint8_t *blob = d->val.p;
    size_t n = d->val.len;

    /* Pass 1: validate the whole blob (and look for duplicate fields) before reporting. */
    struct pair_walk w = { .d = d };
    struct rdb_blob_err err = { 0, NULL };
    uint64_t count = 0;
    bool check = !(d->opts.flags & RDB_DEC_NO_DUP_FIELD_CHECK);
    rdb_fieldset_clear(&d->fields);
    rc = walk(blob, n, check ? pair_dup_check : NULL, &w, &count, &err);
    rdb_fieldset_clear(&d->fields);
    if (rc == -EEXIST)
        return dup_field(d, w.dup, w.duplen,
                         data_off != UINT64_MAX ? data_off + (size_t)(w.dup - blob) : off);
    if (rc == -ENOMEM)
        return rdb_dec_fail(d, -ENOMEM, off, "out of memory checking hash fields");
    if (rc != 0)
        return rdb_dec_fail(d, -EBADMSG, data_off != UINT64_MAX ? data_off + err.pos : off,
                            "RDB corrupt: hash %s: %s (byte %zu of %zu)", kind, err.msg, err.pos,
                            n);
    if (count % 2 != 0)
        return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: hash %s has an odd number (%" PRIu64
                            ") of entries", kind, count);
    if (count == 0) {
        d->st.empty_skipped++;
        return 1;
    }
    if ((rc = check_nfields(d, count / 2, off)) != 0)
        return rc;

    /* Pass 2: report. */
    if (d->ops.on_hash_begin != NULL &&
        (rc = d->ops.on_hash_begin(d->ud, d->db, d->key.p, d->key.len, count / 2, expire)) != 0)
        return cb_stop(d, rc, off, "on_hash_begin");
    if (d->ops.on_hash_field != NULL) {
        w = (struct pair_walk){ .d = d };
        rc = walk(blob, n, pair_emit, &w, &count, &err);
        if (rc != 0)
            return cb_stop(d, w.cb_rc ? w.cb_rc : rc, off, "on_hash_field");
    }
    if (d->ops.on_hash_end != NULL && (rc = d->ops.on_hash_end(d->ud)) != 0)
        return cb_stop(d, rc, rdb_src_off(&d->src), "on_hash_end");
    d->st.hash_fields += count / 2;
    return 0;
}

/* ---- keys --------------------------------------------------------------------------------- */

static bool type_known(unsigned t)
{
    return t <= RDB_TYPE_MAX && t != 8;
}

static bool type_supported(unsigned t)
{
    return t == RDB_TYPE_STRING || t == RDB_TYPE_HASH || t == RDB_TYPE_HASH_ZIPMAP ||
           t == RDB_TYPE_HASH_ZIPLIST || t == RDB_TYPE_HASH_LISTPACK;
}

static int load_key(struct rdb_dec *d, unsigned type, uint64_t off, int64_t expire)
{
    int rc;
    if (!type_known(type))
        return rdb_dec_fail(d, -EBADMSG, off, "RDB corrupt: unknown record type 0x%02x", type);
    if ((rc = rdb_dec_string(d, &d->key, d->opts.max_key_len, "key")) != 0)
        return rc;

    if (!type_supported(type)) {
        bool module = type == RDB_TYPE_MODULE || type == RDB_TYPE_MODULE_2;
        if (module || !(d->opts.flags & RDB_DEC_SKIP_UNSUPPORTED)) {
            char q[300];
            rdb_dec_quote(q, sizeof(q), d->key.p, d->key.len);
            return rdb_dec_fail(d, -ENOTSUP, off,
                                "key \"%s\" has type %s (RDB type %u), which dpcache does not "
                                "support%s",
                                q, rdb_type_name(type), type,
                                module ? " (module values cannot be skipped)" : ",");
        }
        d->key_ctx = true;
        rc = rdb_dec_skip_value(d, type, true, off);
        d->key_ctx = false;
        if (rc == 0) {
            d->st.skipped++;
            d->st.skipped_by_type[type]++;
        }
        return rc;
    }

    d->key_ctx = true;
    if (d->ops.want_key != NULL) {
        rc = d->ops.want_key(d->ud, d->db, d->key.p, d->key.len, type);
        if (rc < 0) {
            d->key_ctx = false;
            return cb_stop(d, rc, off, "want_key");
        }
        if (rc == 0) {
            rc = rdb_dec_skip_value(d, type, false, off);
            d->key_ctx = false;
            if (rc == 0)
                d->st.filtered++;
            return rc;
        }
    }
    if (type == RDB_TYPE_STRING)
        rc = load_string(d, expire);
    else if (type == RDB_TYPE_HASH)
        rc = load_hash_plain(d, expire);
    else
        rc = load_hash_blob(d, type, expire);
    d->key_ctx = false;
    if (rc == 1)
        return 0; /* empty, skipped */
    if (rc == 0) {
        d->st.keys++;
        if (type != RDB_TYPE_STRING)
            d->st.hashes++;
        if (expire != RDB_DEC_NO_EXPIRE)
            d->st.expires++;
    }
    return rc;
}

/* ---- opcodes and the record loop ---------------------------------------------------------- */

static int load_aux(struct rdb_dec *d, uint64_t off)
{
    int rc;
    if ((rc = rdb_dec_string(d, &d->key, d->opts.max_aux_len, "AUX key")) != 0 ||
        (rc = rdb_dec_string(d, &d->val, d->opts.max_aux_len, "AUX value")) != 0)
        return rc;
    if (d->ops.on_aux != NULL &&
        (rc = d->ops.on_aux(d->ud, d->key.p, d->key.len, d->val.p, d->val.len)) != 0)
        return cb_stop(d, rc, off, "on_aux");
    d->st.aux++;
    return 0;
}

static int skip_function(struct rdb_dec *d, uint8_t op)
{
    int rc;
    if (op == RDB_OPCODE_FUNCTION2)
        return rdb_dec_skip_string(d, "function library");
    /* 7.0-rc1/rc2 format: name, engine, [description], code. */
    uint64_t has_desc;
    if ((rc = rdb_dec_skip_string(d, "function name")) != 0 ||
        (rc = rdb_dec_skip_string(d, "function engine")) != 0 ||
        (rc = rdb_dec_len(d, &has_desc, NULL, "function description flag")) != 0)
        return rc;
    if (has_desc && (rc = rdb_dec_skip_string(d, "function description")) != 0)
        return rc;
    return rdb_dec_skip_string(d, "function code");
}

static int check_header(struct rdb_dec *d)
{
    uint8_t h[RDB_HEADER_LEN];
    int rc = rdb_dec_bytes(d, h, sizeof(h), "RDB header");
    if (rc != 0)
        return rc;
    if (memcmp(h, RDB_MAGIC, RDB_MAGIC_LEN) != 0)
        return rdb_dec_fail(d, -EBADMSG, 0, "not an RDB file: it does not start with \"REDIS\"");
    unsigned v = 0;
    for (int i = RDB_MAGIC_LEN; i < RDB_HEADER_LEN; i++) {
        if (h[i] < '0' || h[i] > '9')
            return rdb_dec_fail(d, -EBADMSG, (uint64_t)i,
                                "not an RDB file: bad version digits after \"REDIS\"");
        v = v * 10 + (unsigned)(h[i] - '0');
    }
    if (v < RDB_VERSION_MIN || v > RDB_VERSION_MAX_READ)
        return rdb_dec_fail(d, -ENOTSUP, RDB_MAGIC_LEN,
                            "unsupported RDB version %u (dpcache reads versions %d to %d, i.e. "
                            "files of Redis up to 7.0)",
                            v, RDB_VERSION_MIN, RDB_VERSION_MAX_READ);
    d->st.version = v;
    return 0;
}

static int check_trailer(struct rdb_dec *d)
{
    bool use_crc = !(d->opts.flags & RDB_DEC_NO_CRC);
    uint64_t crc = use_crc ? rdb_src_crc(&d->src) : 0;
    d->src.crc_on = false;
    d->st.crc = crc;
    if (d->st.version < RDB_VERSION_CRC)
        return 0;
    uint64_t off = rdb_src_off(&d->src);
    uint8_t t[8];
    int rc = rdb_dec_bytes(d, t, sizeof(t), "CRC64 trailer");
    if (rc != 0)
        return rc;
    uint64_t stored = rdb_le64(t);
    if (stored == 0 || !use_crc)
        return 0; /* 0: written with rdbchecksum no */
    if (stored != crc)
        return rdb_dec_fail(d, -EBADMSG, off,
                            "RDB CRC mismatch (computed 0x%016" PRIx64 ", stored 0x%016" PRIx64
                            ")",
                            crc, stored);
    d->st.crc_checked = 1;
    return 0;
}

static int run(struct rdb_dec *d)
{
    int rc = check_header(d);
    if (rc != 0)
        return rc;

    int64_t expire = RDB_DEC_NO_EXPIRE; /* applies to the next key */
    for (;;) {
        uint64_t off = rdb_src_off(&d->src);
        uint8_t op, b[8];
        if ((rc = rdb_dec_u8(d, &op, "record type (the EOF marker is missing)")) != 0)
            return rc;
        switch (op) {
        case RDB_OPCODE_EXPIRETIME_MS: {
            if ((rc = rdb_dec_bytes(d, b, 8, "expire time")) != 0)
                return rc;
            int64_t ms = (int64_t)rdb_le64(b);
            expire = ms < 0 ? 0 : ms;
            break;
        }
        case RDB_OPCODE_EXPIRETIME: {
            if ((rc = rdb_dec_bytes(d, b, 4, "expire time")) != 0)
                return rc;
            int64_t ms = (int64_t)(int32_t)rdb_le32(b) * 1000;
            expire = ms < 0 ? 0 : ms;
            break;
        }
        case RDB_OPCODE_FREQ:
            if ((rc = rdb_dec_u8(d, b, "LFU frequency")) != 0)
                return rc;
            break;
        case RDB_OPCODE_IDLE: {
            uint64_t idle;
            if ((rc = rdb_dec_len(d, &idle, NULL, "LRU idle time")) != 0)
                return rc;
            break;
        }
        case RDB_OPCODE_EOF:
            if ((rc = check_trailer(d)) != 0)
                return rc;
            d->st.bytes = rdb_src_off(&d->src);
            return 0;
        case RDB_OPCODE_SELECTDB: {
            uint64_t db;
            if ((rc = rdb_dec_len(d, &db, NULL, "SELECTDB index")) != 0)
                return rc;
            if (db > d->opts.max_db)
                return rdb_dec_fail(d, -E2BIG, off, "database index %" PRIu64
                                    " exceeds the limit of %" PRIu32, db, d->opts.max_db);
            d->db = (uint32_t)db;
            if (d->ops.on_selectdb != NULL && (rc = d->ops.on_selectdb(d->ud, d->db)) != 0)
                return cb_stop(d, rc, off, "on_selectdb");
            break;
        }
        case RDB_OPCODE_RESIZEDB: {
            uint64_t n, nexp;
            if ((rc = rdb_dec_len(d, &n, NULL, "RESIZEDB size")) != 0 ||
                (rc = rdb_dec_len(d, &nexp, NULL, "RESIZEDB expires size")) != 0)
                return rc;
            if (d->ops.on_resizedb != NULL && (rc = d->ops.on_resizedb(d->ud, n, nexp)) != 0)
                return cb_stop(d, rc, off, "on_resizedb");
            break;
        }
        case RDB_OPCODE_AUX:
            if ((rc = load_aux(d, off)) != 0)
                return rc;
            break;
        case RDB_OPCODE_MODULE_AUX:
            return rdb_dec_fail(d, -ENOTSUP, off,
                                "the file holds module AUX data (opcode 0xF7), which needs a Redis "
                                "module; dpcache does not support it");
        case RDB_OPCODE_FUNCTION:
        case RDB_OPCODE_FUNCTION2:
            if ((rc = skip_function(d, op)) != 0)
                return rc;
            d->st.functions++;
            break;
        default:
            if ((rc = load_key(d, op, off, expire)) != 0)
                return rc;
            expire = RDB_DEC_NO_EXPIRE;
            break;
        }
        trim_scratch(d);
    }
}

static void reset(struct rdb_dec *d)
{
    memset(&d->st, 0, sizeof(d->st));
    d->err[0] = '\0';
    d->err_code = 0;
    d->err_off = UINT64_MAX;
    d->db = 0;
    d->key_ctx = false;
    d->key.len = d->field.len = d->val.len = 0;
    rdb_fieldset_clear(&d->fields);
}

static int finish(struct rdb_dec *d, int rc)
{
    if (rc != 0 && d->st.bytes == 0)
        d->st.bytes = rdb_src_off(&d->src);
    trim_scratch(d);
    rdb_scratch_trim(&d->lzf);
    rdb_fieldset_clear(&d->fields);
    return rc;
}

int rdb_dec_load_fd(struct rdb_dec *d, int fd)
{
    reset(d);
    if (d->rbuf == NULL && (d->rbuf = malloc(RDB_DEC_READ_BUF)) == NULL)
        return rdb_dec_fail(d, -ENOMEM, UINT64_MAX, "out of memory for the read buffer");
    uint64_t size = UINT64_MAX, start = 0;
    struct stat st;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (pos != (off_t)-1)
        start = (uint64_t)pos;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pos != (off_t)-1)
        size = (uint64_t)st.st_size;
    rdb_src_init_fd(&d->src, fd, d->rbuf, RDB_DEC_READ_BUF, start, size);
    d->src.crc_on = !(d->opts.flags & RDB_DEC_NO_CRC);
    return finish(d, run(d));
}

int rdb_dec_load_file(struct rdb_dec *d, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        reset(d);
        d->path = path;
        rdb_dec_fail(d, rc, UINT64_MAX, "cannot open: %s", strerror(-rc));
        d->path = NULL;
        return rc;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    d->path = path;
    int rc = rdb_dec_load_fd(d, fd);
    d->path = NULL;
    close(fd);
    return rc;
}

int rdb_dec_load_mem(struct rdb_dec *d, const void *p, size_t n)
{
    reset(d);
    rdb_src_init_mem(&d->src, p, n);
    d->src.crc_on = !(d->opts.flags & RDB_DEC_NO_CRC);
    return finish(d, run(d));
}
