/*
 * k8s_addr.c - the data plane's address on the SR-IOV network (k8s_addr.h): sriov-cni ignores
 * IPAM for a VF bound to vfio-pci, so the operator's DPCACHE_ADDR_MAP and DPCACHE_ADDR_RANGE
 * give it, checked for collisions with each other and with the gateway.
 */
#include "k8s_addr.h"
#include "k8s_plan.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "a.b.c.d" -> host order. */
static int parse_ip(const char *s, uint32_t *ip)
{
    struct in_addr a;

    if (inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *ip = ntohl(a.s_addr);
    return 0;
}

/* "a.b.c.d/len" -> host order address and prefix length 1..32. */
static int parse_cidr(const char *s, uint32_t *ip, int *len)
{
    char buf[64], *slash, *end;
    long l;

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    slash = strchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    l = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || *end || l < 1 || l > 32)
        return -1;
    *len = (int)l;
    return parse_ip(buf, ip);
}

static uint32_t mask_of(int len)
{
    return len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

static void ip_str(uint32_t ip, char *out, size_t len)
{
    snprintf(out, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* A host address of its network: not the network's address nor (below /31) its broadcast. */
static int host_addr(uint32_t ip, int len)
{
    uint32_t m = mask_of(len);
    if (len >= 31)
        return 1;
    return (ip & ~m) != 0 && (ip & ~m) != ~m;
}

/* The StatefulSet ordinal: the pod name's last "-<digits>", or -1. */
static long ordinal_of(const char *pod, size_t *stem_len)
{
    const char *dash = strrchr(pod, '-');
    char *end;
    long v;

    if (!dash || !dash[1] || !isdigit((unsigned char)dash[1]))
        return -1;
    errno = 0;
    v = strtol(dash + 1, &end, 10);
    if (*end || errno || v > 1000000)
        return -1;
    *stem_len = (size_t)(dash - pod);
    return v;
}

struct map_ent {
    char pod[K8S_POD_NAME_MAX + 1];
    uint32_t ip;
    int len;
};

static int parse_map(const char *text, struct map_ent **out, int *n, char *err, size_t errlen)
{
    char *buf = strdup(text), *save = NULL;
    struct map_ent *m = calloc(K8S_MAX_MAP, sizeof(*m));
    int rc = -1;

    *n = 0;
    *out = m;
    if (!buf || !m) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (char *t = strtok_r(buf, ", \t\n", &save); t; t = strtok_r(NULL, ", \t\n", &save)) {
        char *eq = strchr(t, '=');
        if (*n == K8S_MAX_MAP) {
            snprintf(err, errlen, "DPCACHE_ADDR_MAP: more than %d entries", K8S_MAX_MAP);
            goto out;
        }
        if (!eq || eq == t || (size_t)(eq - t) > K8S_POD_NAME_MAX ||
            parse_cidr(eq + 1, &m[*n].ip, &m[*n].len)) {
            snprintf(err, errlen,
                     "DPCACHE_ADDR_MAP: '%s' is not pod=a.b.c.d/len (e.g. dpcache-0=192.0.2.10/24)",
                     t);
            goto out;
        }
        snprintf(m[*n].pod, sizeof(m[*n].pod), "%.*s", (int)(eq - t), t);
        for (int i = 0; i < *n; i++) {
            char a[16];
            if (!strcmp(m[i].pod, m[*n].pod)) {
                snprintf(err, errlen, "DPCACHE_ADDR_MAP names the pod %s twice", m[i].pod);
                goto out;
            }
            if (m[i].ip == m[*n].ip) {
                ip_str(m[i].ip, a, sizeof(a));
                snprintf(err, errlen,
                         "DPCACHE_ADDR_MAP gives the address %s to both %s and %s: each pod "
                         "needs its own",
                         a, m[i].pod, m[*n].pod);
                goto out;
            }
        }
        (*n)++;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

struct range {
    uint32_t first, last;
    int len;
};

static int parse_range(const char *t, struct range *r, char *err, size_t errlen)
{
    char buf[64], *dash, *slash, a[16];
    uint32_t m;

    if (strlen(t) >= sizeof(buf))
        goto bad;
    strcpy(buf, t);
    dash = strchr(buf, '-');
    slash = strchr(buf, '/');
    if (!dash || !slash || slash < dash)
        goto bad;
    *dash = '\0';
    if (parse_ip(buf, &r->first) || parse_cidr(dash + 1, &r->last, &r->len))
        goto bad;
    m = mask_of(r->len);
    if ((r->first & m) != (r->last & m) || r->first > r->last || !host_addr(r->first, r->len) ||
        !host_addr(r->last, r->len)) {
        ip_str(r->first & m, a, sizeof(a));
        snprintf(err, errlen,
                 "DPCACHE_ADDR_RANGE '%s': first and last must be host addresses of one network "
                 "(%s/%d), first <= last",
                 t, a, r->len);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen,
             "DPCACHE_ADDR_RANGE '%s' is not first-last/len (e.g. "
             "192.0.2.10-192.0.2.40/24)",
             t);
    return -1;
}

/* The data plane's address: its DPCACHE_ADDR_MAP entry, else first + ordinal of the range;
 * refused when missing, outside its network, or another pod's. */
static int assign_addr(const struct k8s_settings *s, const char *pod, uint32_t gw, uint32_t *ip,
                       int *len, char *how, size_t howlen, char *err, size_t errlen)
{
    struct map_ent *m = NULL;
    struct range r;
    int nm = 0, have_range = s->addr_range[0] != 0, rc = -1, mine = -1;
    size_t stem = 0;
    long ord = ordinal_of(pod, &stem);
    char a[16], b[16];

    if (!s->addr_map[0] && !have_range) {
        snprintf(err, errlen,
                 "no address for the data plane: sriov-cni ignores IPAM for a VF bound to "
                 "vfio-pci, so none arrives with it. Set DPCACHE_ADDR_RANGE ('first-last/len': "
                 "the pod with StatefulSet ordinal n gets first + n) or DPCACHE_ADDR_MAP "
                 "('pod=a.b.c.d/len ...') in the dpcache-k8s ConfigMap");
        return -1;
    }
    if (parse_map(s->addr_map, &m, &nm, err, errlen))
        goto out;
    if (have_range && parse_range(s->addr_range, &r, err, errlen))
        goto out;
    for (int i = 0; i < nm; i++)
        if (!strcmp(m[i].pod, pod))
            mine = i;
    if (mine >= 0) {
        *ip = m[mine].ip;
        *len = m[mine].len;
        if (!host_addr(*ip, *len)) {
            ip_str(*ip, a, sizeof(a));
            snprintf(err, errlen,
                     "DPCACHE_ADDR_MAP gives %s the address %s/%d, which is its network's own or "
                     "broadcast address",
                     pod, a, *len);
            goto out;
        }
        snprintf(how, howlen, "DPCACHE_ADDR_MAP");
        /* inside the range, it is the range address of the pod with that ordinal, unless
         * that pod has a map entry of its own */
        if (have_range && stem && *ip >= r.first && *ip <= r.last) {
            char other[K8S_POD_NAME_MAX + 16];
            int taken = 1;
            snprintf(other, sizeof(other), "%.*s-%u", (int)stem, pod, *ip - r.first);
            for (int i = 0; i < nm; i++)
                if (!strcmp(m[i].pod, other))
                    taken = 0;
            if (taken && strcmp(other, pod)) {
                ip_str(*ip, a, sizeof(a));
                snprintf(err, errlen,
                         "address collision: DPCACHE_ADDR_MAP gives %s the address %s, which "
                         "DPCACHE_ADDR_RANGE gives %s: move the map entry out of the range or "
                         "map %s too",
                         pod, a, other, other);
                goto out;
            }
        }
    } else if (have_range) {
        if (ord < 0) {
            snprintf(err, errlen,
                     "no address for the pod %s: it is not in DPCACHE_ADDR_MAP and its name has "
                     "no StatefulSet ordinal (name-<n>) for DPCACHE_ADDR_RANGE",
                     pod);
            goto out;
        }
        if ((uint64_t)ord > (uint64_t)(r.last - r.first)) {
            ip_str(r.first, a, sizeof(a));
            ip_str(r.last, b, sizeof(b));
            snprintf(err, errlen,
                     "no address for the pod %s: DPCACHE_ADDR_RANGE %s-%s holds %u pods "
                     "(ordinals 0-%u): widen the range or scale the StatefulSet down",
                     pod, a, b, r.last - r.first + 1, r.last - r.first);
            goto out;
        }
        *ip = r.first + (uint32_t)ord;
        *len = r.len;
        snprintf(how, howlen, "DPCACHE_ADDR_RANGE ordinal %ld", ord);
        for (int i = 0; i < nm; i++)
            if (m[i].ip == *ip) {
                ip_str(*ip, a, sizeof(a));
                snprintf(err, errlen,
                         "address collision: DPCACHE_ADDR_RANGE gives %s the address %s, which "
                         "DPCACHE_ADDR_MAP gives %s: map %s too or move that entry",
                         pod, a, m[i].pod, pod);
                goto out;
            }
    } else {
        snprintf(err, errlen,
                 "no address for the pod %s: DPCACHE_ADDR_MAP has no entry for it (and there is "
                 "no DPCACHE_ADDR_RANGE)",
                 pod);
        goto out;
    }
    /* the gateway is nobody's address */
    if (gw) {
        ip_str(gw, a, sizeof(a));
        if (have_range && gw >= r.first && gw <= r.last) {
            snprintf(err, errlen,
                     "DPCACHE_GATEWAY %s is inside DPCACHE_ADDR_RANGE (the address of ordinal "
                     "%u): take it out of the range",
                     a, gw - r.first);
            goto out;
        }
        for (int i = 0; i < nm; i++)
            if (m[i].ip == gw) {
                snprintf(err, errlen, "DPCACHE_GATEWAY %s is the address DPCACHE_ADDR_MAP gives %s",
                         a, m[i].pod);
                goto out;
            }
    }
    rc = 0;
out:
    free(m);
    return rc;
}

int k8s_addr_assign(const struct k8s_settings *s, const char *pod, char *cidr, size_t cidrlen,
                    char *gwstr, size_t gwlen, char *how, size_t howlen, char *err, size_t errlen)
{
    uint32_t addr = 0, gw = 0;
    int alen = 0;
    char a[16];

    gwstr[0] = '\0';
    if (s->gateway[0] && (parse_ip(s->gateway, &gw) || gw == 0)) {
        snprintf(err, errlen, "DPCACHE_GATEWAY '%s' is not an IPv4 address", s->gateway);
        return -1;
    }
    if (assign_addr(s, pod, gw, &addr, &alen, how, howlen, err, errlen))
        return -1;
    ip_str(addr, a, sizeof(a));
    if (gw) {
        if ((gw & mask_of(alen)) != (addr & mask_of(alen)) || gw == addr || !host_addr(gw, alen)) {
            snprintf(err, errlen,
                     "DPCACHE_GATEWAY '%s' must be another host address of the data plane's "
                     "network (%s/%d)",
                     s->gateway, a, alen);
            return -1;
        }
        ip_str(gw, gwstr, gwlen);
    }
    snprintf(cidr, cidrlen, "%s/%d", a, alen);
    return 0;
}
