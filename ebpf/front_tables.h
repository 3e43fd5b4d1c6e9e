/*
 * front_tables.h - pure computations for the loader: the weighted Maglev lookup table and the
 * default Redis Cluster slot split (front_publish), the CRC16 slicing tables (front_open).
 * No BPF, no I/O: any thread, any caller.
 */
#ifndef DPCACHE_FRONT_TABLES_H
#define DPCACHE_FRONT_TABLES_H

#include <stdint.h>

#include "lb_shared.h"

/*
 * front_maglev_build: fills table[0..LB_MAGLEV_SIZE-1] with backend indices.
 * @bes, @n: the backends array (index = position); only LB_BE_ACTIVE entries take part, each
 * getting a share of positions proportional to its weight. A backend's permutation depends
 * only on its address, so adding or removing one moves few positions of the others.
 * All positions are LB_NO_BACKEND when no backend is active.
 */
void front_maglev_build(const struct lb_backend *bes, uint32_t n, uint32_t *table);

/*
 * front_slots_split: fills slots[0..LB_SLOTS-1]: contiguous ranges, in index order, over the
 * LB_BE_ACTIVE backends, each range proportional to the backend's weight
 * (backend k gets [LB_SLOTS * W_<k / W, LB_SLOTS * W_<=k / W - 1]). LB_NO_BACKEND when none.
 */
void front_slots_split(const struct lb_backend *bes, uint32_t n, uint32_t *slots);

/*
 * front_crc16_tables: fills the CRC16/XMODEM slicing tables the program reads:
 * tab[0][x] is the CRC of byte x, tab[k][x] the CRC of byte x followed by k zero bytes.
 */
void front_crc16_tables(uint16_t tab[LB_CRC16_SLICES][256]);

#endif /* DPCACHE_FRONT_TABLES_H */
