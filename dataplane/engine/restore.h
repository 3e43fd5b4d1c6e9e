/*
 * restore.h - loading the newest snapshot into the partitions at start.
 *
 * The candidates are <dir>/<dbfilename> (the newest, written by dpcache-control) and then its
 * older generations <dbfilename>.1, .2, ... (RESTORE_GENERATIONS_MAX at most). The newest that
 * exists is first checked whole (structure and CRC64, without storing anything); then every
 * partition loads it in parallel, one thread per partition, each decoding the file and keeping
 * the keys of its slots (rdb_dec's want_key filter). Keys already expired are skipped; a key
 * present twice makes the file corrupt (Redis refuses such a file too).
 *
 * A corrupt, truncated or unreadable file is reported with its path and byte offset; then
 * `snapshot-on-corrupt` decides: refuse (restore_run fails, dpcache exits 1), fallback (try
 * the next older generation) or empty (start without data).
 *
 * Thread-safety: main thread only, before any worker runs. While it runs, srv.persist.loading
 * is 1 (INFO persistence and dpcache-control's /readyz show it).
 */
#ifndef DP_RESTORE_H
#define DP_RESTORE_H

#include <stdint.h>

#define RESTORE_GENERATIONS_MAX 64 /* older snapshots looked at: <dbfilename>.1 .. .64 */

struct restore_result {
    char path[1024];     /* file loaded ("" if none) */
    uint64_t keys;       /* keys stored */
    uint64_t expired;    /* keys skipped as already expired */
    uint64_t skipped;    /* keys of unsupported types skipped (snapshot-skip-unsupported) */
    uint64_t ms;         /* time taken */
};

/* restore_run: load a snapshot per the configuration. Returns 0 (loaded, or nothing to load,
 * or started empty by policy) or -1 (refused: the message has been logged). @reset is called
 * to empty every partition after a failed load (fallback/empty); it returns 0 or -1. */
int restore_run(struct restore_result *res, int (*reset)(void));

#endif
