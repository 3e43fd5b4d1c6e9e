/* Durable, atomic writer of an RDB file, for the control plane.
 *
 * Bytes (starting with the "REDIS0009" header from rdb_enc_header) are appended through an
 * internal buffer into a temporary file in the target directory while a CRC64 is kept over
 * everything written. rdb_file_writer_finish() then appends EOF (0xFF) and the CRC trailer and
 * makes the result durable and visible in this order, checking every step:
 *
 *     write all → fsync(file) → close → rename(temp, final) → fsync(directory)
 *
 * so a crash at any moment leaves either the previous file under the final name or the complete
 * new one, never a partial file. The temporary file is "<dir>/.<name>.tmp-<random>" (hidden, so
 * snapshot listings do not pick it up); it is removed on abort and on any failure.
 *
 * A writer is used by one thread at a time; distinct writers are independent. Errors are
 * returned as -errno, and rdb_file_writer_error() gives a message naming the step and the path,
 * e.g. "fsync /var/lib/dpcache/.dump.rdb.tmp-1a2b3c: Input/output error". After an error every
 * further call returns the same error.
 */
#ifndef DPCACHE_RDB_FILE_H
#define DPCACHE_RDB_FILE_H

#include <stddef.h>
#include <stdint.h>

struct rdb_file_writer;

/* Size of the write buffer. */
#define RDB_FILE_WRITE_BUF (1u << 20)
/* Start write-back of dirty pages every this many bytes (sync_file_range), so the final fsync
 * does not have to flush gigabytes at once. */
#define RDB_FILE_SYNC_EVERY (32u << 20)

/**
 * rdb_file_writer_open: create the temporary file for "<@dir>/<@name>" and return a writer in
 * *@out. @name must be a plain file name (no '/'). Returns 0, -EINVAL (bad name), -ENOMEM or the
 * -errno of open(2); on failure *@out is NULL and, if @err is not NULL, a message naming the path
 * is stored in @err (@errlen bytes, NUL-terminated).
 */
int rdb_file_writer_open(struct rdb_file_writer **out, const char *dir, const char *name,
                         char *err, size_t errlen);

/**
 * rdb_file_writer_write: append @n bytes from @p and extend the running CRC. The caller writes
 * the header and the records but not the EOF opcode. Returns 0 or -errno (write failed; see
 * rdb_file_writer_error()).
 */
int rdb_file_writer_write(struct rdb_file_writer *w, const void *p, size_t n);

/**
 * rdb_file_writer_finish: append EOF and the CRC64 trailer, then flush, fsync, close, rename to
 * the final name and fsync the directory. Returns 0 when the file is durable under its final name,
 * else -errno: if the failure happened before the rename the temporary file has been removed and
 * the previous file (if any) is untouched; if only the directory fsync failed, the new file is in
 * place but the rename may not survive a crash. The writer must still be destroyed.
 */
int rdb_file_writer_finish(struct rdb_file_writer *w);

/**
 * rdb_file_writer_abort: give up: close and unlink the temporary file. Idempotent; does nothing
 * after a successful finish.
 */
void rdb_file_writer_abort(struct rdb_file_writer *w);

/**
 * rdb_file_writer_destroy: abort if not finished, free the writer and set *@wp to NULL.
 * NULL-safe.
 */
void rdb_file_writer_destroy(struct rdb_file_writer **wp);

/** rdb_file_writer_error: the last error message, or "" if none. Valid until destroy. */
const char *rdb_file_writer_error(const struct rdb_file_writer *w);

/** rdb_file_writer_bytes: bytes written so far (including the trailer once finished). */
uint64_t rdb_file_writer_bytes(const struct rdb_file_writer *w);

/** rdb_file_writer_crc: CRC64 of the bytes written so far (through EOF once finished). */
uint64_t rdb_file_writer_crc(const struct rdb_file_writer *w);

/** rdb_file_writer_path: the final path "<dir>/<name>". Valid until destroy. */
const char *rdb_file_writer_path(const struct rdb_file_writer *w);

/** rdb_file_writer_temp_path: the temporary path. Valid until destroy. */
const char *rdb_file_writer_temp_path(const struct rdb_file_writer *w);

#endif /* DPCACHE_RDB_FILE_H */
