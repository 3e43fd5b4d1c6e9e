/*
 * keyctx.h - per-key execution context for commands that touch keys of several partitions
 * themselves (MGET, EXISTS, TOUCH, MSETNX's check).
 */
#ifndef DP_KEYCTX_H
#define DP_KEYCTX_H

#include "../core/hash.h"
#include "../store/part.h"
#include "cmd.h"
#include "server.h"
#include "worker.h"

/* key_ctx: @kx = @x aimed at @key's partition, in owner mode if that is this worker's. */
static inline void key_ctx(const struct ctx *x, const struct rstr *key, struct ctx *kx)
{
    unsigned part = srv.nworkers == 1 ? 0 : srv_part_of_slot(key_slot(key->p, key->len));

    *kx = *x;
    kx->p = &srv.parts[part];
    kx->owner = part == x->w->id;
    kx->pdb = part_pdb(kx->p, x->db);
}

#endif
