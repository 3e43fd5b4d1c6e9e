/*
 * ctl_front_none.c - front mode when dpcache-control is built without the XDP front (meson
 * -Debpf=disabled, or clang/bpftool/libbpf missing): refused at start, absent from the API
 * (see ctl_front.h).
 */
#include "ctl_front.h"

#include "config.h"

#include <errno.h>
#include <stdio.h>

#define NONE_MSG "dpcache-control was built without the XDP front (meson -Debpf=enabled)"

int ctl_front_start(const struct ctl_config *cfg, char *err, size_t errlen)
{
    if (!cfg->front_iface[0])
        return 0;
    snprintf(err, errlen, "front-iface %s: %s", cfg->front_iface, NONE_MSG);
    return -ENOTSUP;
}

void ctl_front_stop(void) {}

int ctl_front_enabled(void)
{
    return 0;
}

int ctl_front_ready(char *why, size_t len)
{
    snprintf(why, len, "front mode is off");
    return 0;
}

static int none(char *err, size_t errlen)
{
    snprintf(err, errlen, "front mode is off: %s", NONE_MSG);
    return 404;
}

int ctl_front_list(struct sbuf *out, char *err, size_t errlen)
{
    (void)out;
    return none(err, errlen);
}

int ctl_front_add(const char *body, size_t len, struct sbuf *out, char *err, size_t errlen)
{
    (void)body, (void)len, (void)out;
    return none(err, errlen);
}

int ctl_front_drain(const char *id, struct sbuf *out, char *err, size_t errlen)
{
    (void)id, (void)out;
    return none(err, errlen);
}

int ctl_front_remove(const char *id, struct sbuf *out, char *err, size_t errlen)
{
    (void)id, (void)out;
    return none(err, errlen);
}

int ctl_front_sample(struct ctl_front_sample *out)
{
    (void)out;
    return -ENODEV;
}
