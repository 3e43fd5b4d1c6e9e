/*
 * front_parse.c - the text forms of the front's configuration, shared by dpcache-front (one
 * command-line option per field) and dpcache-control (front-backend option lines, JSON bodies
 * of the admin API), so both speak one vocabulary with one set of checks (front.h).
 */
#include "front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int front_parse_mode(const char *s, enum front_xdp_mode *mode)
{
    if (!strcmp(s, "auto"))
        *mode = FRONT_XDP_AUTO;
    else if (!strcmp(s, "generic") || !strcmp(s, "skb"))
        *mode = FRONT_XDP_GENERIC;
    else if (!strcmp(s, "native") || !strcmp(s, "drv"))
        *mode = FRONT_XDP_NATIVE;
    else
        return -EINVAL;
    return 0;
}

const char *front_mode_name(enum front_xdp_mode mode)
{
    switch (mode) {
    case FRONT_XDP_GENERIC: return "generic";
    case FRONT_XDP_NATIVE: return "native";
    default: return "auto";
    }
}

int front_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char tail;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) !=
        6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

const char *front_state_name(uint8_t state)
{
    switch (state) {
    case LB_BE_ACTIVE: return "active";
    case LB_BE_DRAINING: return "draining";
    default: return "empty";
    }
}

void front_backend_spec_init(struct front_backend_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->weight = 1;
    spec->ncores = 1;
}

/* A decimal in [min, max] (no sign, no trailing text). 0 or -EINVAL. */
static int parse_range(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    *out = strtoul(s, &end, 10);
    if (errno || *end != '\0' || *out < min || *out > max)
        return -EINVAL;
    return 0;
}

/* Field names compare with '_' and '-' alike (JSON keys use '_', options '-'). */
static int name_is(const char *name, const char *want)
{
    for (; *name && *want; name++, want++)
        if (*name != *want && !(*name == '_' && *want == '-'))
            return 0;
    return *name == *want;
}

int front_backend_spec_set(struct front_backend_spec *spec, const char *name, const char *value,
                           char *err, size_t errlen)
{
    unsigned long v;

    if (name_is(name, "addr")) {
        if (inet_pton(AF_INET, value, &spec->addr) != 1 || spec->addr.s_addr == 0) {
            snprintf(err, errlen, "addr '%.64s': expected an IPv4 address (not 0.0.0.0)", value);
            return -EINVAL;
        }
    } else if (name_is(name, "mac") || name_is(name, "src-mac")) {
        if (front_parse_mac(value, name[0] == 'm' ? spec->mac : spec->src_mac)) {
            snprintf(err, errlen, "%s '%.64s': expected a MAC address aa:bb:cc:dd:ee:ff", name,
                     value);
            return -EINVAL;
        }
    } else if (name_is(name, "base-port")) {
        if (parse_range(value, 1, 65535, &v)) {
            snprintf(err, errlen, "base-port '%.64s': expected 1..65535", value);
            return -EINVAL;
        }
        spec->base_port = (uint16_t)v;
    } else if (name_is(name, "cores")) {
        if (parse_range(value, 1, LB_CORES_MAX, &v)) {
            snprintf(err, errlen, "cores '%.64s': expected 1..%u (LB_CORES_MAX)", value,
                     LB_CORES_MAX);
            return -EINVAL;
        }
        spec->ncores = (uint16_t)v;
    } else if (name_is(name, "weight")) {
        if (parse_range(value, 1, LB_WEIGHT_MAX, &v)) {
            snprintf(err, errlen, "weight '%.64s': expected 1..%u (LB_WEIGHT_MAX)", value,
                     LB_WEIGHT_MAX);
            return -EINVAL;
        }
        spec->weight = (uint16_t)v;
    } else if (name_is(name, "egress")) {
        unsigned int idx = 0;

        if (strlen(value) >= IF_NAMESIZE || !(idx = if_nametoindex(value))) {
            snprintf(err, errlen, "egress '%.64s': no such network interface here", value);
            return -ENODEV;
        }
        spec->egress_ifindex = (int)idx;
    } else {
        snprintf(err, errlen,
                 "unknown backend field '%.64s' (addr, mac, base-port, cores, weight, egress, "
                 "src-mac)",
                 name);
        return -ENOENT;
    }
    return 0;
}

int front_backend_spec_check(const struct front_backend_spec *spec, char *err, size_t errlen)
{
    static const uint8_t no_mac[6];

    if (spec->addr.s_addr == 0) {
        snprintf(err, errlen, "a backend needs its addr");
        return -EINVAL;
    }
    if (!memcmp(spec->mac, no_mac, sizeof(no_mac))) {
        snprintf(err, errlen, "a backend needs its mac (the destination of the L2 rewrite)");
        return -EINVAL;
    }
    if (spec->base_port == 0) {
        snprintf(err, errlen, "a backend needs its base-port (core i listens on base-port + i)");
        return -EINVAL;
    }
    if ((uint32_t)spec->base_port + spec->ncores - 1 > 65535) {
        snprintf(err, errlen, "base-port %u + cores %u - 1 is past port 65535", spec->base_port,
                 spec->ncores);
        return -EINVAL;
    }
    if (spec->weight == 0 || spec->weight > LB_WEIGHT_MAX || spec->ncores == 0 ||
        spec->ncores > LB_CORES_MAX || spec->egress_ifindex < 0) {
        snprintf(err, errlen, "weight, cores or egress out of range");
        return -EINVAL;
    }
    return 0;
}

int front_backend_spec_parse(const char *text, struct front_backend_spec *spec, char *err,
                             size_t errlen)
{
    char buf[FRONT_SPEC_TEXT_MAX + 1], *save = NULL, *field;
    size_t len = strlen(text);
    int first = 1, rc;

    front_backend_spec_init(spec);
    if (len > FRONT_SPEC_TEXT_MAX) {
        snprintf(err, errlen, "backend '%.32s...': longer than %d bytes (FRONT_SPEC_TEXT_MAX)",
                 text, FRONT_SPEC_TEXT_MAX);
        return -EINVAL;
    }
    memcpy(buf, text, len + 1);
    for (field = strtok_r(buf, ",", &save); field; field = strtok_r(NULL, ",", &save), first = 0) {
        char *eq = strchr(field, '=');

        if (!eq && first) {
            rc = front_backend_spec_set(spec, "addr", field, err, errlen);
        } else if (!eq) {
            snprintf(err, errlen, "backend field '%.64s': expected name=value", field);
            rc = -EINVAL;
        } else {
            *eq = '\0';
            rc = front_backend_spec_set(spec, field, eq + 1, err, errlen);
        }
        if (rc)
            return rc;
    }
    return front_backend_spec_check(spec, err, errlen);
}
