/* dpcache RDB library, umbrella header: the snapshot format of dpcache is the Redis RDB format.
 *
 *   rdb_format.h  opcodes, types, encodings, versions
 *   rdb_buf.h     growable byte buffer the encoders append to
 *   rdb_enc.h     stateless record encoders (data plane, one buffer per core)
 *   rdb_crc64.h   CRC-64/Jones of the trailer (slice-by-8)
 *   rdb_file.h    durable temp-file + fsync + rename writer (control plane)
 *   rdb_dec.h     streaming decoder with callbacks (restore, verification, tools)
 *   rdb_lzf.h     LZF decompressor used by the decoder
 *
 * Pure C11 (plus POSIX I/O in rdb_file.c and the fd source of the decoder), no DPDK, no global
 * mutable state: every function is reentrant.
 */
#ifndef DPCACHE_RDB_H
#define DPCACHE_RDB_H

#include "rdb_buf.h"
#include "rdb_crc64.h"
#include "rdb_dec.h"
#include "rdb_enc.h"
#include "rdb_file.h"
#include "rdb_format.h"
#include "rdb_lzf.h"

#endif /* DPCACHE_RDB_H */
