/*
 * control.c - data-plane end of the control channel (see control.h).
 */
#include "control.h"

#include "cmd.h"
#include "server.h"

int control_request_save(struct ctx *x, int background)
{
    (void)background;
    if (!__atomic_load_n(&srv.persist.control_attached, __ATOMIC_ACQUIRE)) {
        ctx_error(x, "ERR no dpcache-control is attached: snapshots are written by the control "
                     "plane (start dpcache-control, see docs/operations.md)");
        return CMD_DONE;
    }
    ctx_error(x, "ERR snapshot request failed: control channel not available");
    return CMD_DONE;
}

void control_config_changed(const char *name)
{
    (void)name;
}
