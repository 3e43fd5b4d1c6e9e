/*
 * cmdid.h - command ids (CMDID_GET, ...), one per row of cmdtab.h: the commands first
 * (0 .. CMD_TOP_COUNT-1), then the subcommands (CMDID_CLIENT_INFO, ... up to CMD_COUNT-1).
 */
#ifndef DP_CMDID_H
#define DP_CMDID_H

#include "cmdtab.h"

enum cmd_id {
#define CMD_ENUM(id, name, fn, ar, fl, fk, lk, st, grp, since, sum) CMDID_##id,
    CMD_TABLE(CMD_ENUM)
#undef CMD_ENUM
        CMD_TOP_COUNT,
    CMD_SUB_FIRST_ = CMD_TOP_COUNT - 1,
#define SUB_ENUM(id, parent, fn, name, ar, fl, since, sum) CMDID_##id,
    SUBCMD_TABLE(SUB_ENUM)
#undef SUB_ENUM
        CMD_COUNT,
};

#endif
