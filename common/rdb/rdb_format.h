/* RDB on-disk format constants: magic, opcodes, value types, length and string encodings.
 *
 * Shared by the encoder (rdb_enc.c), the decoder (rdb_dec.c and friends) and the tests. The
 * numbers are the ones of the Redis RDB format; see /work/shared/reference/reliability.md §1 for
 * the layout of a file:
 *
 *     "REDIS" NNNN · AUX* · [FUNCTION2*] · { SELECTDB · RESIZEDB · ([EXPIRE] [IDLE|FREQ] type key
 *     value)* }* · EOF · CRC64 (v5+)
 */
#ifndef DPCACHE_RDB_FORMAT_H
#define DPCACHE_RDB_FORMAT_H

#include <stdint.h>

/* Magic: "REDIS" followed by a 4-digit, zero-padded decimal version. */
#define RDB_MAGIC     "REDIS"
#define RDB_MAGIC_LEN 5
#define RDB_HEADER_LEN 9 /* magic + 4 version digits */

/* Versions. We write 9 (loadable by Redis 5.0 through 7.x); we read 1..10 (Redis 7.0 writes 10).
 * 11 (7.2) and 12 (7.4+) are refused, like Redis 7.0 refuses them. */
#define RDB_VERSION_WRITE    9
#define RDB_VERSION_MIN      1
#define RDB_VERSION_MAX_READ 10
#define RDB_VERSION_CRC      5 /* first version with the CRC64 trailer after EOF */

/* Opcodes: a byte in the position of a value type that is not a value type. */
#define RDB_OPCODE_FUNCTION2     0xF5 /* v10: one string (library payload) */
#define RDB_OPCODE_FUNCTION      0xF6 /* 7.0-rc1/rc2 only: name, engine, [desc], blob */
#define RDB_OPCODE_MODULE_AUX    0xF7 /* module data outside the keyspace */
#define RDB_OPCODE_IDLE          0xF8 /* LRU idle time (length) for the next key */
#define RDB_OPCODE_FREQ          0xF9 /* LFU counter (1 byte) for the next key */
#define RDB_OPCODE_AUX           0xFA /* two strings: aux key, aux value */
#define RDB_OPCODE_RESIZEDB      0xFB /* two lengths: db size, expires size (hint) */
#define RDB_OPCODE_EXPIRETIME_MS 0xFC /* int64 LE, absolute Unix time in ms, for the next key */
#define RDB_OPCODE_EXPIRETIME    0xFD /* int32 LE, absolute Unix time in s (legacy) */
#define RDB_OPCODE_SELECTDB      0xFE /* length: db index */
#define RDB_OPCODE_EOF           0xFF /* end of data; CRC64 (8 bytes LE) follows in v5+ */

/* Value types. */
#define RDB_TYPE_STRING             0
#define RDB_TYPE_LIST               1
#define RDB_TYPE_SET                2
#define RDB_TYPE_ZSET               3
#define RDB_TYPE_HASH               4
#define RDB_TYPE_ZSET_2             5 /* binary doubles */
#define RDB_TYPE_MODULE             6 /* pre-GA module format: cannot be parsed without the module */
#define RDB_TYPE_MODULE_2           7
#define RDB_TYPE_HASH_ZIPMAP        9
#define RDB_TYPE_LIST_ZIPLIST       10
#define RDB_TYPE_SET_INTSET         11
#define RDB_TYPE_ZSET_ZIPLIST       12
#define RDB_TYPE_HASH_ZIPLIST       13
#define RDB_TYPE_LIST_QUICKLIST     14
#define RDB_TYPE_STREAM_LISTPACKS   15
#define RDB_TYPE_HASH_LISTPACK      16
#define RDB_TYPE_ZSET_LISTPACK      17
#define RDB_TYPE_LIST_QUICKLIST_2   18
#define RDB_TYPE_STREAM_LISTPACKS_2 19
#define RDB_TYPE_SET_LISTPACK       20 /* v11 */
#define RDB_TYPE_STREAM_LISTPACKS_3 21 /* v11 */
#define RDB_TYPE_MAX                21 /* highest type this library knows how to name */

/* Length encoding: the top 2 bits of the first byte. */
#define RDB_LEN_6BIT  0
#define RDB_LEN_14BIT 1
#define RDB_LEN_32BIT 0x80 /* whole first byte; a big-endian uint32 follows */
#define RDB_LEN_64BIT 0x81 /* whole first byte; a big-endian uint64 follows */
#define RDB_LEN_ENCVAL 3   /* 11xxxxxx: a special string encoding, kind in the low 6 bits */

/* Special string encodings (low 6 bits after RDB_LEN_ENCVAL). */
#define RDB_ENC_INT8  0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF   3

/* Quicklist-2 node containers. */
#define RDB_QUICKLIST_NODE_PLAIN  1
#define RDB_QUICKLIST_NODE_PACKED 2

/* Module-2 value opcodes (used only to recognise the MODULE_AUX "when" opcode). */
#define RDB_MODULE_OPCODE_UINT 2

/**
 * rdb_type_name: the Redis data type of RDB value type @type ("string", "hash", "list", "set",
 * "zset", "stream", "module"), or "unknown". Never NULL; the string is static. Thread-safe.
 */
const char *rdb_type_name(unsigned type);

#endif /* DPCACHE_RDB_FORMAT_H */
