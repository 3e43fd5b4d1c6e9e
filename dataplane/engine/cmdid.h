/*
 * cmdid.h - command ids (CMDID_GET, ...), one per row of cmdtab.h.
 */
#ifndef DP_CMDID_H
#define DP_CMDID_H

#include "cmdtab.h"

enum cmd_id {
#define CMD_ENUM(id, name, fn, ar, fl, fk, lk, st, grp, sum) CMDID_##id,
    CMD_TABLE(CMD_ENUM)
#undef CMD_ENUM
    CMD_COUNT,
};

#endif
