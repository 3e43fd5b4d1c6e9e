/*
 * control.c - data-plane end of the control channel as seen from commands: SAVE and BGSAVE
 * ask the attached dpcache-control for a snapshot (see control.h, ctl.h).
 */
#include "control.h"

#include "client.h"
#include "cmd.h"
#include "server.h"
#include "worker.h"

int control_request_save(struct ctx *x, int background)
{
    struct persist_state *ps = &srv.persist;

    if (!__atomic_load_n(&ps->control_attached, __ATOMIC_ACQUIRE)) {
        ctx_error(x, "ERR no dpcache-control is attached: snapshots are written by the control "
                     "plane (start dpcache-control, see docs/operations.md)");
        return CMD_DONE;
    }
    if (__atomic_load_n(&ps->bgsave_in_progress, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&ps->bgsave_requested, __ATOMIC_ACQUIRE)) {
        if (background && x->argc == 2) { /* BGSAVE SCHEDULE */
            rsp_simple(x->out, "Background saving scheduled");
            return CMD_DONE;
        }
        ctx_error(x, "ERR Background save already in progress");
        return CMD_DONE;
    }
    __atomic_store_n(&ps->bgsave_requested, 1, __ATOMIC_RELEASE);
    if (background) {
        rsp_simple(x->out, "Background saving started");
        return CMD_DONE;
    }
    /* SAVE: the reply waits for the snapshot's end (worker_poll wakes the client) */
    x->c->save_seq = __atomic_load_n(&ps->save_seq, __ATOMIC_ACQUIRE);
    x->c->flags |= CLIENT_WAIT_SAVE;
    x->c->pending++;
    return CMD_SUSPENDED;
}

void control_wake_savers(struct worker *w)
{
    uint64_t seq = __atomic_load_n(&srv.persist.save_seq, __ATOMIC_ACQUIRE);
    struct client *c, *tmp;

    if (seq == w->save_seq_seen)
        return;
    w->save_seq_seen = seq;
    cds_list_for_each_entry_safe(c, tmp, &w->clients, node)
    {
        if (!(c->flags & CLIENT_WAIT_SAVE) || c->save_seq == seq)
            continue;
        c->flags &= ~CLIENT_WAIT_SAVE;
        c->pending--;
        if (c->flags & CLIENT_ZOMBIE) {
            if (!c->pending)
                client_release(c);
            continue;
        }
        if (srv.persist.last_status_ok)
            rsp_ok(&c->out);
        else
            rsp_error(&c->out, "ERR snapshot failed: see the dpcache-control log");
        client_mark_dirty(c);
        if (!c->pending)
            client_input(c);
    }
}

void control_config_changed(const char *name)
{
    (void)name;
}
