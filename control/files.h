/*
 * files.h - the snapshot files of a directory: generations, rotation, listing.
 *
 * The newest complete snapshot is always <dir>/<name>; older generations are <name>.1 (the
 * previous one) ... <name>.<keep-1>. A new snapshot is written to a hidden temporary file by
 * rdb_file_writer; *before* it is renamed over <name>, snap_rotate() shifts the generations:
 *
 *     rename name.(k-1) -> name.k   for k = keep-1 .. 2      (atomic, oldest dropped)
 *     link   name -> .name.1.link; rename .name.1.link -> name.1
 *
 * so <name> itself is never moved or removed: whatever is killed when, <name> is either the
 * previous complete snapshot or (after the writer's rename) the new one. A crash between the
 * rotation and the rename leaves name and name.1 the same file, which loses nothing newer.
 */
#ifndef CTL_FILES_H
#define CTL_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SNAP_GENERATIONS_MAX 1000

/**
 * snap_rotate: shift the generations of <@dir>/<@name> to keep @keep files in all once the new
 * one is in place (see above). Generations at or past @keep are removed. Returns 0 or -errno
 * (@err says which step failed).
 */
int snap_rotate(const char *dir, const char *name, int keep, char *err, size_t errlen);

/* snap_clean_temps: remove temporary files (".<name>.tmp-*", ".<name>.1.link") left by a
 * writer that was killed. Returns the number removed. */
int snap_clean_temps(const char *dir, const char *name);

struct snap_file {
    int generation; /* 0: <name>, k: <name>.k */
    char path[4096];
    uint64_t size;
    time_t mtime;
};

/**
 * snap_list: the existing generations of <@dir>/<@name>, newest first, at most @max entries.
 * Returns the number found.
 */
int snap_list(const char *dir, const char *name, struct snap_file *out, int max);

/* snap_dir_fsync: fsync directory @dir. 0 or -errno. */
int snap_dir_fsync(const char *dir);

#endif
