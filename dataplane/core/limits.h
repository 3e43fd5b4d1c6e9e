/*
 * limits.h - every protocol length and count dpcache enforces, in one place.
 *
 * Values marked "Redis" match redis-server 7.0 so that clients see identical behaviour;
 * the configurable ones are only defaults (see engine/options.h).
 */
#ifndef DP_LIMITS_H
#define DP_LIMITS_H

/* Inline command line without '\r', or a "*<count>"/"$<len>" line (Redis PROTO_INLINE_MAX_SIZE). */
#define PROTO_INLINE_MAX      (64 * 1024)
/* Bulk arguments at least this large are read into their own buffer (Redis PROTO_MBULK_BIG_ARG). */
#define PROTO_BIG_ARG         (32 * 1024)
/* Multibulk count ceiling (Redis: INT_MAX); argv grows as arguments arrive, never from it. */
#define PROTO_MULTIBULK_MAX   2147483647LL
/* Before AUTH when a password is set (Redis, CVE-2021-32675). */
#define PROTO_UNAUTH_ARGS_MAX 10
#define PROTO_UNAUTH_BULK_MAX 16384
/* Default proto-max-bulk-len (Redis: 512 MB; minimum 1 MB). */
#define PROTO_BULK_MAX_DEFAULT (512LL * 1024 * 1024)
#define PROTO_BULK_MAX_MIN     (1024LL * 1024)
/* Default client-query-buffer-limit (Redis: 1 GB). */
#define QUERYBUF_LIMIT_DEFAULT (1024LL * 1024 * 1024)
/* Initial argv capacity; doubled as arguments arrive. */
#define ARGV_INITIAL          8
/* Output bytes above which a client's further input is not processed until it reads. */
#define OBUF_PAUSE_BYTES      (256 * 1024)
/* Output buffer hard limit before authentication (CVE-2025-21605). */
#define OBUF_UNAUTH_LIMIT     (1024 * 1024)
/* Client name / lib-name / lib-ver length. */
#define CLIENT_NAME_MAX       256
/* Number of logical databases supported at most (config "databases"). */
#define DATABASES_MAX         4096
/* Longest string value dpcache stores (entry lengths are 32-bit); proto-max-bulk-len may not
 * exceed it. */
#define STRING_MAX_LEN        2147483647LL
/* Commands pipelined into one forwarded message to another core. */
#define FWD_BATCH_MAX         64
/* SLOWLOG entry: at most this many arguments and bytes per argument are kept (Redis). */
#define SLOWLOG_ARGS_MAX      32
#define SLOWLOG_ARG_BYTES     128
/* Keys per cursor step when SCAN has no COUNT (Redis default 10). */
#define SCAN_COUNT_DEFAULT    10

#endif
