/*
 * eal_sizing.h - how much EAL memory a dpcache data plane needs, in one place: dpcache's own
 * EAL arguments (dataplane/main.c, --no-huge -m) and dpcache-k8s's derivation (hugepage
 * limits, control/k8s_plan.c) use the same estimate.
 *
 * The estimate: 256 MiB for the EAL and the per-worker rings; 48 bytes of rte_hash index per
 * key of maxkeys; for the native stack, the mbuf pool of dataplane/native/stack_native.c
 * (6,400 mbufs per worker queue + 8,192, each one frame of the MTU and ~400 bytes of headers
 * and mempool overhead), at least 512 MiB.
 *
 * Pure functions; no state.
 */
#ifndef DPCACHE_EAL_SIZING_H
#define DPCACHE_EAL_SIZING_H

#define EAL_SIZING_BASE_MB         256LL
#define EAL_SIZING_INDEX_BYTES     48LL   /* per key of maxkeys */
#define EAL_SIZING_MBUFS_PER_QUEUE 6400LL /* stack_native.c: 2*1024 + TX buffer + bursts + 4096 */
#define EAL_SIZING_MBUFS_EXTRA     8192LL
#define EAL_SIZING_MBUF_OVERHEAD   400LL  /* mbuf header, headroom, Ethernet, mempool header */
#define EAL_SIZING_MBUF_MIN_ROOM   2176LL /* RTE_MBUF_DEFAULT_BUF_SIZE */
#define EAL_SIZING_NATIVE_MIN_MB   512LL

/* eal_sizing_mb: MiB of EAL memory for @maxkeys keys, @workers workers, and (@native) the
 * native stack's packet pool at @mtu. */
static inline long long eal_sizing_mb(long long maxkeys, int native, int workers, int mtu)
{
    long long mb =
        EAL_SIZING_BASE_MB + (maxkeys * EAL_SIZING_INDEX_BYTES + (1 << 20) - 1) / (1 << 20);

    if (native) {
        long long room = mtu + EAL_SIZING_MBUF_OVERHEAD;
        long long n = workers * EAL_SIZING_MBUFS_PER_QUEUE + EAL_SIZING_MBUFS_EXTRA;
        long long pool;
        if (room < EAL_SIZING_MBUF_MIN_ROOM + EAL_SIZING_MBUF_OVERHEAD)
            room = EAL_SIZING_MBUF_MIN_ROOM + EAL_SIZING_MBUF_OVERHEAD;
        pool = (n * room + (1 << 20) - 1) / (1 << 20);
        mb += pool < EAL_SIZING_NATIVE_MIN_MB ? EAL_SIZING_NATIVE_MIN_MB : pool;
    }
    return mb;
}

#endif
