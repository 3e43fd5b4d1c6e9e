/*
 * server.c - process-wide setup: partitions, workers, forwarding rings, slot map
 * (see server.h).
 */
#include "server.h"

#include "../core/log.h"
#include "../store/hashobj.h"
#include "../store/part.h"
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_random.h>
#include <rte_ring.h>

#define FWD_RING_SIZE 4096

struct server srv;

static void random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++)
        out[i] = hex[rte_rand() & 15];
    out[n] = '\0';
}

int srv_setup(int nworkers)
{
    unsigned lcores[MAX_WORKERS], nl = 0, lc;
    uint32_t cap;
    struct timespec ts;

    if (nworkers < 1 || nworkers > MAX_WORKERS)
        return -EINVAL;
    RTE_LCORE_FOREACH(lc)
    {
        if (nl < MAX_WORKERS)
            lcores[nl++] = lc;
    }
    srv.nworkers = nworkers;
    srv.core_port_base = srv.cfg.core_port_base < 0 ? (int)srv.cfg.port + 1000
                                                    : (int)srv.cfg.core_port_base;
    clock_gettime(CLOCK_REALTIME, &ts);
    srv.start_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    srv.persist.lastsave = (uint64_t)ts.tv_sec;
    srv.persist.last_status_ok = 1;
    srv.total_mem = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    random_hex(srv.run_id, 40);
    for (int i = 0; i < nworkers; i++)
        random_hex(srv.node_id[i], 40);
    hash_max_packed_entries = (uint32_t)srv.cfg.hash_max_listpack_entries;
    hash_max_packed_value = (uint32_t)srv.cfg.hash_max_listpack_value;

    for (unsigned s = 0; s < CLUSTER_SLOTS; s++)
        srv.slot2part[s] = (uint16_t)((s * (unsigned)nworkers) / CLUSTER_SLOTS);
    /* slot2part must agree with srv_slot_range: check the boundaries */
    for (int i = 0; i < nworkers; i++) {
        unsigned first, last;
        srv_slot_range((unsigned)i, (unsigned)nworkers, &first, &last);
        for (unsigned s = first; s <= last; s++)
            srv.slot2part[s] = (uint16_t)i;
    }

    if (posix_memalign((void **)&srv.parts, 64, sizeof(struct part) * (size_t)nworkers))
        return -ENOMEM;
    memset(srv.parts, 0, sizeof(struct part) * (size_t)nworkers);
    cap = (uint32_t)(srv.cfg.maxkeys / nworkers);
    if (cap < 1024)
        cap = 1024;
    for (int i = 0; i < nworkers; i++) {
        int socket = (int)rte_lcore_to_socket_id(lcores[i % nl]);
        int rc = part_setup(&srv.parts[i], (uint32_t)i, cap, (uint32_t)srv.cfg.databases,
                            socket < 0 ? SOCKET_ID_ANY : socket, nworkers > 1);
        if (rc)
            return rc;
        srv.workers[i] = worker_create((uint32_t)i, lcores[i % nl], socket);
        if (!srv.workers[i])
            return -ENOMEM;
    }
    if (nworkers > 1) {
        for (int s = 0; s < nworkers; s++)
            for (int d = 0; d < nworkers; d++) {
                char name[32];
                if (s == d)
                    continue;
                snprintf(name, sizeof(name), "dpf%d_%d", s, d);
                srv.fwd_ring[s][d] = rte_ring_create(name, FWD_RING_SIZE, SOCKET_ID_ANY,
                                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
                snprintf(name, sizeof(name), "dpd%d_%d", d, s);
                srv.done_ring[d][s] = rte_ring_create(name, FWD_RING_SIZE, SOCKET_ID_ANY,
                                                      RING_F_SP_ENQ | RING_F_SC_DEQ);
                if (!srv.fwd_ring[s][d] || !srv.done_ring[d][s])
                    return -ENOMEM; /* the caller says what to do */
            }
    }
    log_verbose("%d worker(s), %u keys per partition", nworkers, cap);
    return 0;
}

void srv_teardown(void)
{
    for (int s = 0; s < srv.nworkers; s++)
        for (int d = 0; d < srv.nworkers; d++) {
            rte_ring_free(srv.fwd_ring[s][d]);
            rte_ring_free(srv.done_ring[s][d]);
            srv.fwd_ring[s][d] = srv.done_ring[s][d] = NULL;
        }
    for (int i = 0; i < srv.nworkers; i++) {
        if (srv.parts && srv.parts[i].h)
            part_teardown(&srv.parts[i]);
        worker_destroy(srv.workers[i]);
        srv.workers[i] = NULL;
    }
    free(srv.parts);
    srv.parts = NULL;
    srv.nworkers = 0;
}

#define SHUTDOWN_GRACE_MS (60 * 1000)

void srv_shutdown_check(uint64_t now_ms)
{
    if (!srv.sigterm || srv.shutdown)
        return;
    if (!__atomic_load_n(&srv.persist.control_attached, __ATOMIC_ACQUIRE)) {
        srv.shutdown = 1;
        return;
    }
    if (!srv.shutdown_deadline_ms) {
        /* dpcache-control sees "shutdown" in CTL.POLL, takes the final snapshot, then sends
         * CTL.SHUTDOWN */
        log_notice("shutdown requested: waiting for dpcache-control's final snapshot");
        srv.shutdown_deadline_ms = now_ms + SHUTDOWN_GRACE_MS;
        __atomic_store_n(&srv.persist.shutdown_requested, 1, __ATOMIC_RELEASE);
    } else if (now_ms > srv.shutdown_deadline_ms) {
        log_warn("dpcache-control did not finish the final snapshot in time: exiting");
        srv.shutdown = 1;
    }
}
