/*
 * ctl_front.c - front mode of dpcache-control over the front library (see ctl_front.h).
 */
#include "ctl_front.h"

#include "config.h"
#include "json.h"
#include "metrics.h"

#include "../dataplane/core/log.h"
#include "front.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Everything below is guarded by mu: struct front has no locking of its own. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct front *fr;
static int f_ifindex;
static char f_iface[IF_NAMESIZE];
static char f_pin[PATH_MAX - 64];
static enum front_xdp_mode f_mode;

/* ---- helpers ---- */

static void addr_str(uint32_t addr_be, char out[16])
{
    struct in_addr a = { .s_addr = addr_be };

    if (!inet_ntop(AF_INET, &a, out, 16))
        snprintf(out, 16, "?");
}

static void put_mac(struct sbuf *b, const char *key, const uint8_t *m)
{
    sb_printf(b, ",\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key, m[0], m[1], m[2], m[3], m[4],
              m[5]);
}

/* One backend as the API shows it. */
static void put_backend(struct sbuf *b, const struct front_backend_info *bi)
{
    char addr[16], ifn[IF_NAMESIZE];

    addr_str(bi->be.addr_be, addr);
    sb_printf(b, "{\"id\":%u,\"addr\":\"%s\",\"state\":\"%s\"", bi->index, addr,
              front_state_name(bi->be.state));
    put_mac(b, "mac", bi->be.dst_mac);
    put_mac(b, "src_mac", bi->be.src_mac);
    sb_printf(b, ",\"weight\":%u,\"base_port\":%u,\"cores\":%u,\"egress\":", bi->be.weight,
              bi->be.base_port, bi->be.ncores);
    if (bi->be.ifindex && if_indextoname(bi->be.ifindex, ifn))
        sb_put_json(b, ifn);
    else if (bi->be.ifindex)
        sb_printf(b, "\"ifindex %u\"", bi->be.ifindex);
    else
        sb_printf(b, "null");
    sb_printf(b,
              ",\"maglev_entries\":%u,\"slots\":%u,\"packets\":%llu,\"bytes\":%llu,"
              "\"tcp_new\":%llu,\"udp_requests\":%llu}",
              bi->maglev_entries, bi->slots, (unsigned long long)bi->stats.packets,
              (unsigned long long)bi->stats.bytes, (unsigned long long)bi->stats.tcp_new,
              (unsigned long long)bi->stats.udp_requests);
}

/* A backend sent back out of front-iface (no egress) gets front-iface's MAC as its source now:
 * front_backend_add would take the attach interface's, unknown to it before the first attach. */
static int fill_src_mac(struct front_backend_spec *s)
{
    static const uint8_t no_mac[6];

    if (s->egress_ifindex || memcmp(s->src_mac, no_mac, 6))
        return 0;
    return front_if_mac(f_ifindex, s->src_mac);
}

/* Does the stored backend match the spec (same fields, active)? */
static int backend_matches(const struct lb_backend *be, const struct front_backend_spec *s)
{
    static const uint8_t no_mac[6];

    return be->state == LB_BE_ACTIVE && be->addr_be == s->addr.s_addr &&
           !memcmp(be->dst_mac, s->mac, 6) && be->weight == s->weight &&
           be->base_port == s->base_port && be->ncores == s->ncores &&
           be->ifindex == (uint32_t)s->egress_ifindex &&
           (!memcmp(s->src_mac, no_mac, 6) || !memcmp(be->src_mac, s->src_mac, 6));
}

static const char *add_error(int rc, char *buf, size_t len)
{
    switch (rc) {
    case -EEXIST: return "a backend with this address exists (remove it first, drained or not)";
    case -ENOSPC:
        snprintf(buf, len, "all %u backend entries are in use (LB_MAX_BACKENDS)", LB_MAX_BACKENDS);
        return buf;
    default: return strerror(-rc);
    }
}

/* ---- start / stop ---- */

/* Parses the front-backend list (whitespace-separated specs) into @specs. Returns the count or
 * -1 with @err set. */
static int parse_backends(const char *list, struct front_backend_spec *specs, char *err,
                          size_t errlen)
{
    char item[FRONT_SPEC_TEXT_MAX + 2], msg[256];
    const char *p = list;
    int n = 0;

    while (*p) {
        size_t len;

        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        len = strcspn(p, " \t\r\n");
        if (len > FRONT_SPEC_TEXT_MAX) {
            snprintf(err, errlen, "front-backend: an entry is longer than %d bytes",
                     FRONT_SPEC_TEXT_MAX);
            return -1;
        }
        if (n == (int)LB_MAX_BACKENDS) {
            snprintf(err, errlen, "front-backend: more than %u backends (LB_MAX_BACKENDS)",
                     LB_MAX_BACKENDS);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        p += len;
        if (front_backend_spec_parse(item, &specs[n], msg, sizeof(msg))) {
            snprintf(err, errlen, "front-backend '%s': %s", item, msg);
            return -1;
        }
        if (fill_src_mac(&specs[n])) {
            snprintf(err, errlen, "front-backend '%s': no MAC address on %s", item, f_iface);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (specs[i].addr.s_addr == specs[n].addr.s_addr) {
                snprintf(err, errlen, "front-backend '%s': address given twice", item);
                return -1;
            }
        n++;
    }
    return n;
}

/* Makes the pinned backend set the configured one (see ctl_front.h). */
static int reconcile(const struct front_backend_spec *specs, int n, char *err, size_t errlen)
{
    struct front_stats *st = malloc(sizeof(*st));
    unsigned char keep[LB_MAX_BACKENDS] = { 0 };
    char addr[16];
    int rc;

    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    rc = front_stats_read(fr, st);
    if (rc) {
        snprintf(err, errlen, "reading the front's backends: %s", strerror(-rc));
        goto out;
    }
    for (uint32_t i = 0; i < st->n_backends && !rc; i++) {
        const struct lb_backend *be = &st->backends[i].be;
        int match = -1;

        for (int k = 0; k < n && match < 0; k++)
            if (backend_matches(be, &specs[k]))
                match = k;
        addr_str(be->addr_be, addr);
        if (match >= 0) {
            keep[match] = 1;
            log_notice("front: backend %s kept from the pinned front (index %u)", addr,
                       st->backends[i].index);
            continue;
        }
        rc = front_backend_remove(fr, (struct in_addr){ .s_addr = be->addr_be });
        if (rc)
            snprintf(err, errlen, "removing backend %s: %s", addr, strerror(-rc));
        else
            log_notice("front: backend %s removed: not configured, or configured otherwise", addr);
    }
    for (int k = 0; k < n && !rc; k++) {
        char msg[128];

        if (keep[k])
            continue;
        addr_str(specs[k].addr.s_addr, addr);
        rc = front_backend_add(fr, &specs[k]);
        if (rc < 0) {
            snprintf(err, errlen, "adding backend %s: %s", addr, add_error(rc, msg, sizeof(msg)));
        } else {
            log_notice("front: backend %s added (index %d)", addr, rc);
            rc = 0;
        }
    }
out:
    free(st);
    return rc;
}

int ctl_front_start(const struct ctl_config *cfg, char *err, size_t errlen)
{
    struct front_backend_spec *specs = NULL;
    struct in_addr vip;
    char path[PATH_MAX];
    int n, rc, existed;

    if (!cfg->front_iface[0])
        return 0;
    if (strlen(cfg->front_iface) >= IF_NAMESIZE ||
        !(f_ifindex = (int)if_nametoindex(cfg->front_iface))) {
        snprintf(err, errlen, "front-iface '%s': no such network interface", cfg->front_iface);
        return -ENODEV;
    }
    snprintf(f_iface, sizeof(f_iface), "%s", cfg->front_iface);
    if (front_parse_mode(cfg->front_mode, &f_mode)) {
        snprintf(err, errlen, "front-mode '%s': auto, native or generic (skb)", cfg->front_mode);
        return -EINVAL;
    }
    if (inet_pton(AF_INET, cfg->front_vip, &vip) != 1 || vip.s_addr == 0) {
        snprintf(err, errlen, "front-vip '%s': front mode needs the service IPv4 address",
                 cfg->front_vip);
        return -EINVAL;
    }
    specs = calloc(LB_MAX_BACKENDS, sizeof(*specs));
    if (!specs) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    n = parse_backends(cfg->front_backend, specs, err, errlen);
    if (n < 0) {
        free(specs);
        return -EINVAL;
    }
    if (cfg->front_pin_dir[0])
        rc = snprintf(f_pin, sizeof(f_pin), "%s", cfg->front_pin_dir);
    else
        rc = snprintf(f_pin, sizeof(f_pin), "%s/%s", FRONT_PIN_ROOT, f_iface);
    if (rc < 0 || (size_t)rc >= sizeof(f_pin)) {
        snprintf(err, errlen, "front-pin-dir: path too long");
        free(specs);
        return -ENAMETOOLONG;
    }
    snprintf(path, sizeof(path), "%s/lb_config", f_pin);
    existed = access(path, F_OK) == 0;

    pthread_mutex_lock(&mu);
    fr = front_open(f_pin);
    if (!fr) {
        rc = -errno;
        snprintf(err, errlen,
                 "loading the XDP front (pins %s): %s (needs root or CAP_BPF and CAP_NET_ADMIN; "
                 "after a change of the maps' layout: dpcache-front detach first)",
                 f_pin, strerror(-rc));
        goto out;
    }
    rc = front_set_service(fr, vip, (uint16_t)cfg->front_tcp_port, (uint16_t)cfg->front_udp_port);
    if (rc)
        snprintf(err, errlen, "setting the front's service: %s", strerror(-rc));
    if (!rc)
        rc = reconcile(specs, n, err, errlen);
    if (!rc) {
        rc = front_publish(fr);
        if (rc)
            snprintf(err, errlen, "publishing the front's tables: %s", strerror(-rc));
    }
    if (!rc) {
        rc = front_attach(fr, f_ifindex, f_mode);
        if (rc == -EBUSY)
            snprintf(err, errlen, "attaching XDP to %s: another XDP program is there", f_iface);
        else if (rc == -EOPNOTSUPP)
            snprintf(err, errlen,
                     "attaching XDP to %s: the driver has no native XDP (try "
                     "front-mode generic)",
                     f_iface);
        else if (rc)
            snprintf(err, errlen, "attaching XDP (%s) to %s: %s", front_mode_name(f_mode), f_iface,
                     strerror(-rc));
    }
    if (rc) {
        if (!existed) /* ours alone: leave nothing behind */
            front_unpin(fr);
        front_destroy(&fr);
    }
out:
    pthread_mutex_unlock(&mu);
    free(specs);
    if (!rc)
        log_notice("front: XDP (%s) attached to %s (ifindex %d): VIP %s, TCP port %lld, UDP port "
                   "%lld, %d configured backends, pins in %s%s",
                   front_mode_name(f_mode), f_iface, f_ifindex, cfg->front_vip, cfg->front_tcp_port,
                   cfg->front_udp_port, n, f_pin, existed ? " (reused)" : "");
    return rc;
}

void ctl_front_stop(void)
{
    int rc;

    pthread_mutex_lock(&mu);
    if (fr) {
        rc = front_detach(fr);
        if (rc && rc != -ENOENT)
            log_warn("front: detaching XDP from %s: %s", f_iface, strerror(-rc));
        rc = front_unpin(fr);
        if (rc)
            log_warn("front: deleting the pins in %s: %s", f_pin, strerror(-rc));
        front_destroy(&fr);
        log_notice("front: XDP detached from %s", f_iface);
    }
    pthread_mutex_unlock(&mu);
}

int ctl_front_enabled(void)
{
    int on;

    pthread_mutex_lock(&mu);
    on = fr != NULL;
    pthread_mutex_unlock(&mu);
    return on;
}

int ctl_front_ready(char *why, size_t len)
{
    int ifindex = 0, ok;

    pthread_mutex_lock(&mu);
    if (fr)
        ifindex = front_attached_ifindex(fr);
    ok = fr && ifindex == f_ifindex;
    if (!fr)
        snprintf(why, len, "front mode is off");
    else if (!ok)
        snprintf(why, len, "the XDP front is not attached to %s%s", f_iface,
                 ifindex == 0 ? " (interface gone?)" : "");
    pthread_mutex_unlock(&mu);
    return ok;
}

/* ---- admin API ---- */

#define OFF_MSG "front mode is off (front-iface is not set)"

/* Reads the front's state; called with mu held. NULL with @err set on failure. */
static struct front_stats *stats_locked(char *err, size_t errlen)
{
    struct front_stats *st = malloc(sizeof(*st));
    int rc;

    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rc = front_stats_read(fr, st);
    if (rc) {
        snprintf(err, errlen, "reading the front: %s", strerror(-rc));
        free(st);
        return NULL;
    }
    return st;
}

static const struct front_backend_info *find_index(const struct front_stats *st, uint32_t idx)
{
    for (uint32_t i = 0; i < st->n_backends; i++)
        if (st->backends[i].index == idx)
            return &st->backends[i];
    return NULL;
}

static const struct front_backend_info *find_addr(const struct front_stats *st, uint32_t addr_be)
{
    for (uint32_t i = 0; i < st->n_backends; i++)
        if (st->backends[i].be.addr_be == addr_be)
            return &st->backends[i];
    return NULL;
}

/* Resolves an API id (address or index); with mu held. Returns the HTTP status (200/400/404). */
static int resolve_id(const char *id, const struct front_stats *st,
                      const struct front_backend_info **out, char *err, size_t errlen)
{
    struct in_addr a;
    char *end;
    unsigned long idx;

    *out = NULL;
    if (inet_pton(AF_INET, id, &a) == 1) {
        *out = find_addr(st, a.s_addr);
    } else if (id[0] >= '0' && id[0] <= '9') {
        errno = 0;
        idx = strtoul(id, &end, 10);
        if (errno || *end || idx >= LB_MAX_BACKENDS) {
            snprintf(err, errlen, "backend id '%.64s': an IPv4 address or an index 0..%u", id,
                     LB_MAX_BACKENDS - 1);
            return 400;
        }
        *out = find_index(st, (uint32_t)idx);
    } else {
        snprintf(err, errlen, "backend id '%.64s': an IPv4 address or an index 0..%u", id,
                 LB_MAX_BACKENDS - 1);
        return 400;
    }
    if (!*out) {
        snprintf(err, errlen, "no backend %.64s", id);
        return 404;
    }
    return 200;
}

int ctl_front_list(struct sbuf *out, char *err, size_t errlen)
{
    struct front_stats *st;
    char vip[16];
    int attached;

    pthread_mutex_lock(&mu);
    if (!fr) {
        pthread_mutex_unlock(&mu);
        snprintf(err, errlen, OFF_MSG);
        return 404;
    }
    st = stats_locked(err, errlen);
    attached = front_attached_ifindex(fr) == f_ifindex;
    pthread_mutex_unlock(&mu);
    if (!st)
        return 500;
    addr_str(st->config.vip_be, vip);
    sb_printf(out, "{\"iface\":");
    sb_put_json(out, f_iface);
    sb_printf(out, ",\"mode\":\"%s\",\"attached\":%s,\"pin_dir\":", front_mode_name(f_mode),
              attached ? "true" : "false");
    sb_put_json(out, f_pin);
    sb_printf(out, ",\"vip\":\"%s\",\"tcp_port\":%u,\"udp_port\":%u,\"slots\":\"%s\",", vip,
              ntohs(st->config.tcp_port_be), ntohs(st->config.udp_port_be),
              st->config.flags & LB_CFG_F_SLOTS_MANUAL ? "manual" : "auto");
    sb_printf(out, "\"max_backends\":%u,\"backends\":[", LB_MAX_BACKENDS);
    for (uint32_t i = 0; i < st->n_backends; i++) {
        if (i)
            sb_put(out, ",", 1);
        put_backend(out, &st->backends[i]);
    }
    sb_printf(out, "]}\n");
    free(st);
    return 200;
}

/* A JSON member as the text front_backend_spec_set takes. 0 or -1. */
static int member_text(const struct json *j, char *out, size_t len)
{
    if (j->type == JSON_STR && !memchr(j->str, '\0', j->len) && j->len < len) {
        memcpy(out, j->str, j->len + 1);
        return 0;
    }
    if (j->type == JSON_NUM && j->is_uint) {
        snprintf(out, len, "%llu", (unsigned long long)j->u);
        return 0;
    }
    return -1;
}

int ctl_front_add(const char *body, size_t len, struct sbuf *out, char *err, size_t errlen)
{
    struct front_backend_spec spec;
    struct front_stats *st = NULL;
    struct json *doc;
    char msg[256], value[128], addr[16];
    int rc;

    doc = json_parse(body ? body : "", len, msg, sizeof(msg));
    if (!doc) {
        snprintf(err, errlen, "%s", msg);
        return 400;
    }
    if (doc->type != JSON_OBJ || doc->n == 0 || doc->n > CTL_FRONT_FIELDS_MAX) {
        json_free(doc);
        snprintf(err, errlen,
                 "expected a JSON object of at most %d backend fields: {\"addr\": \"10.0.0.2\", "
                 "\"mac\": \"02:00:00:00:00:02\", \"base_port\": 7000, \"cores\": 1, "
                 "\"weight\": 1, \"egress\": \"eth1\"}",
                 CTL_FRONT_FIELDS_MAX);
        return 400;
    }
    front_backend_spec_init(&spec);
    for (size_t i = 0; i < doc->n; i++) {
        if (member_text(&doc->kids[i], value, sizeof(value))) {
            snprintf(err, errlen,
                     "field '%.64s': a string or a non-negative integer (at most %zu "
                     "bytes)",
                     doc->keys[i], sizeof(value) - 1);
            json_free(doc);
            return 400;
        }
        if (front_backend_spec_set(&spec, doc->keys[i], value, err, errlen)) {
            json_free(doc);
            return 400;
        }
    }
    json_free(doc);
    if (front_backend_spec_check(&spec, err, errlen))
        return 400;
    addr_str(spec.addr.s_addr, addr);

    pthread_mutex_lock(&mu);
    if (!fr) {
        pthread_mutex_unlock(&mu);
        snprintf(err, errlen, OFF_MSG);
        return 404;
    }
    rc = fill_src_mac(&spec);
    if (!rc)
        rc = front_backend_add(fr, &spec);
    if (rc >= 0)
        st = stats_locked(err, errlen);
    pthread_mutex_unlock(&mu);
    if (rc < 0) {
        snprintf(err, errlen, "backend %s: %s", addr, add_error(rc, msg, sizeof(msg)));
        return rc == -EEXIST || rc == -ENOSPC ? 409 : 500;
    }
    log_notice("front: backend %s added through the API (index %d)", addr, rc);
    if (!st)
        return 500;
    if (find_index(st, (uint32_t)rc)) {
        put_backend(out, find_index(st, (uint32_t)rc));
        sb_put(out, "\n", 1);
    }
    free(st);
    return 201;
}

/* Drain (@remove 0) or remove (1) the backend @id. */
static int change(const char *id, int remove, struct sbuf *out, char *err, size_t errlen)
{
    const struct front_backend_info *bi;
    struct front_stats *st;
    struct in_addr a;
    uint32_t index;
    char addr[16];
    int status, rc;

    pthread_mutex_lock(&mu);
    if (!fr) {
        pthread_mutex_unlock(&mu);
        snprintf(err, errlen, OFF_MSG);
        return 404;
    }
    st = stats_locked(err, errlen);
    if (!st) {
        pthread_mutex_unlock(&mu);
        return 500;
    }
    status = resolve_id(id, st, &bi, err, errlen);
    if (status != 200) {
        pthread_mutex_unlock(&mu);
        free(st);
        return status;
    }
    a.s_addr = bi->be.addr_be;
    index = bi->index;
    addr_str(a.s_addr, addr);
    rc = remove ? front_backend_remove(fr, a) : front_backend_drain(fr, a);
    if (!rc && !remove) {
        free(st);
        st = stats_locked(err, errlen);
        if (!st)
            rc = -EIO;
    }
    pthread_mutex_unlock(&mu);
    if (rc) {
        snprintf(err, errlen, "%s backend %s: %s", remove ? "removing" : "draining", addr,
                 strerror(-rc));
        free(st);
        return rc == -ENOENT ? 404 : 500;
    }
    log_notice("front: backend %s (index %u) %s through the API", addr, index,
               remove ? "removed" : "draining");
    if (remove) {
        sb_printf(out, "{\"removed\":{\"id\":%u,\"addr\":\"%s\"}}\n", index, addr);
    } else if ((bi = find_index(st, index)) != NULL) {
        put_backend(out, bi);
        sb_put(out, "\n", 1);
    }
    free(st);
    return 200;
}

int ctl_front_drain(const char *id, struct sbuf *out, char *err, size_t errlen)
{
    return change(id, 0, out, err, errlen);
}

int ctl_front_remove(const char *id, struct sbuf *out, char *err, size_t errlen)
{
    return change(id, 1, out, err, errlen);
}

/* ---- metrics ---- */

int ctl_front_sample(struct ctl_front_sample *out)
{
    struct front_stats *st;
    char err[128];

    pthread_mutex_lock(&mu);
    if (!fr) {
        pthread_mutex_unlock(&mu);
        return -ENODEV;
    }
    st = stats_locked(err, sizeof(err));
    out->attached = front_attached_ifindex(fr) == f_ifindex;
    pthread_mutex_unlock(&mu);
    if (!st)
        return -EIO;
    snprintf(out->iface, sizeof(out->iface), "%s", f_iface);
    memcpy(out->counters, st->counters, sizeof(out->counters));
    out->n = st->n_backends;
    for (uint32_t i = 0; i < st->n_backends; i++) {
        struct ctl_front_backend *b = &out->be[i];
        addr_str(st->backends[i].be.addr_be, b->addr);
        b->state = st->backends[i].be.state;
        b->maglev_entries = st->backends[i].maglev_entries;
        b->slots = st->backends[i].slots;
        b->stats = st->backends[i].stats;
    }
    free(st);
    return 0;
}
