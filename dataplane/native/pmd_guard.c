/*
 * pmd_guard.c - munmap() interposer that waits out polling lcores (see pmd_guard.h).
 */
#include "pmd_guard.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <urcu/urcu-qsbr.h>

static bool armed;
static unsigned long waits;
static void (*note_fn)(double waited_us);

void pmd_guard_arm(bool on, void (*note)(double waited_us))
{
    if (on)
        note_fn = note;
    __atomic_store_n(&armed, on, __ATOMIC_SEQ_CST);
}

unsigned long pmd_guard_waits(void)
{
    return __atomic_load_n(&waits, __ATOMIC_RELAXED);
}

/* Resolved by the dynamic linker before libc's for every DSO of the process, PMDs included. */
int munmap(void *addr, size_t len)
{
    if (__atomic_load_n(&armed, __ATOMIC_ACQUIRE) && rte_thread_is_intr()) {
        uint64_t t0 = rte_get_timer_cycles();

        urcu_qsbr_synchronize_rcu();
        __atomic_fetch_add(&waits, 1, __ATOMIC_RELAXED);
        if (note_fn)
            note_fn((double)(rte_get_timer_cycles() - t0) * 1e6 / (double)rte_get_timer_hz());
    }
    return (int)syscall(SYS_munmap, addr, len);
}
