/*
 * front.c - loader and configuration of the XDP front: skeleton lifecycle, pinning, attach
 * through BPF links, backend set changes, table publishing and counter reading (front.h).
 *
 * Publishing: a table is never written in place. front_publish fills a fresh inner array map
 * and stores its fd into entry 0 of the ARRAY_OF_MAPS the program reads; the kernel makes that
 * store wait until running programs finish (synchronize_rcu), so once it returns no packet can
 * still be using the old table. Backend removal relies on that: the tables stop naming the
 * backend first, then its entry is freed.
 *
 * Backend entries: the program reads lb_backend fields without a lock while user space may
 * rewrite the entry. Entries therefore change in two steps: all fields with state EMPTY, then
 * the state byte alone (lb_backend's comment); a reader sees either an EMPTY entry or a whole one.
 */
#include "front.h"

#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "front_tables.h"
#include "lb.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define LINK_PIN   "link"

struct front {
    struct lb_bpf *skel; /* opened always; loaded only by front_open */
    int loaded;          /* 1: program loaded (front_open); 0: maps only (front_open_pinned) */
    int link_fd;         /* XDP link held by this handle, -1 if none */
    int ncpus;           /* possible CPUs: per-CPU map values come in this many copies */
    char pin_dir[PATH_MAX - 64]; /* "" when maps are private; room left for "/<map name>" */
};

#define COUNTER_NAME_ROW(id, name, help) name,
static const char *const counter_names[LB_CNT__COUNT] = { LB_COUNTERS(COUNTER_NAME_ROW) };
#undef COUNTER_NAME_ROW
#define COUNTER_HELP_ROW(id, name, help) help,
static const char *const counter_helps[LB_CNT__COUNT] = { LB_COUNTERS(COUNTER_HELP_ROW) };
#undef COUNTER_HELP_ROW

const char *front_counter_name(unsigned int id)
{
    return id < LB_CNT__COUNT ? counter_names[id] : NULL;
}

const char *front_counter_help(unsigned int id)
{
    return id < LB_CNT__COUNT ? counter_helps[id] : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Pinning
 */

static int pin_path(const struct front *f, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", f->pin_dir, name);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(tmp))
        return -ENAMETOOLONG;
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST)
        return -errno;
    return 0;
}

static int is_bpffs(const char *path)
{
    struct statfs st;

    return statfs(path, &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC;
}

/* Creates the pin directory, mounting bpffs on /sys/fs/bpf first when the directory is under
 * it and nothing is mounted there (as bpftool does). */
static int pin_dir_prepare(const char *dir)
{
    int err;

    if (strncmp(dir, BPFFS_ROOT "/", sizeof(BPFFS_ROOT)) == 0 && !is_bpffs(BPFFS_ROOT) &&
        mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
        return -errno;
    err = mkdir_p(dir);
    if (err)
        return err;
    return is_bpffs(dir) ? 0 : -EXDEV;
}

/* ---------------------------------------------------------------------------------------------
 * Open / close
 */

static struct front *front_new(const char *pin_dir)
{
    struct front *f = calloc(1, sizeof(*f));
    int err;

    if (!f)
        return NULL;
    f->link_fd = -1;
    f->ncpus = libbpf_num_possible_cpus();
    if (f->ncpus <= 0) {
        err = f->ncpus ? f->ncpus : -EINVAL;
        goto fail;
    }
    if (pin_dir) {
        size_t len = strlen(pin_dir);

        if (len == 0 || len >= sizeof(f->pin_dir)) {
            err = -ENAMETOOLONG;
            goto fail;
        }
        memcpy(f->pin_dir, pin_dir, len + 1);
    }
    f->skel = lb_bpf__open();
    if (!f->skel) {
        err = -errno;
        goto fail;
    }
    return f;
fail:
    free(f);
    errno = -err;
    return NULL;
}

/* Points every map of the skeleton at its pin: a map already pinned is reused as it is (its
 * definition comes from the kernel; libbpf 1.1's own reuse check rejects devmaps, whose flags
 * the kernel amends). A missing pin is an error unless `create`: then libbpf creates the map
 * and pins it at load. */
static int pins_reuse(struct front *f, int create)
{
    struct bpf_map *map;
    char path[PATH_MAX];
    int err, fd;

    bpf_object__for_each_map(map, f->skel->obj)
    {
        if (bpf_map__is_internal(map))
            continue;
        err = pin_path(f, bpf_map__name(map), path, sizeof(path));
        if (err)
            return err;
        fd = bpf_obj_get(path);
        if (fd >= 0) {
            err = bpf_map__reuse_fd(map, fd); /* dups fd */
            close(fd);
        } else {
            err = errno == ENOENT && create ? bpf_map__set_pin_path(map, path) : -errno;
        }
        if (err)
            return err;
    }
    return 0;
}

struct front *front_open(const char *pin_dir)
{
    uint16_t crc[LB_CRC16_SLICES][256];
    struct front *f = front_new(pin_dir);
    int err = 0;

    if (!f)
        return NULL;
    if (pin_dir) {
        err = pin_dir_prepare(pin_dir);
        if (!err)
            err = pins_reuse(f, 1);
        if (err)
            goto fail;
    }
    front_crc16_tables(crc);
    memcpy((void *)f->skel->rodata->lb_crc16_tab, crc, sizeof(crc));
    f->skel->rodata->lb_nr_cpus = (__u32)f->ncpus;
    err = lb_bpf__load(f->skel);
    if (err)
        goto fail;
    f->loaded = 1;
    return f;
fail:
    front_destroy(&f);
    errno = err < 0 ? -err : EINVAL;
    return NULL;
}

struct front *front_open_pinned(const char *pin_dir)
{
    struct front *f;
    int err;

    if (!pin_dir) {
        errno = EINVAL;
        return NULL;
    }
    f = front_new(pin_dir);
    if (!f)
        return NULL;
    err = pins_reuse(f, 0);
    if (err) {
        front_destroy(&f);
        errno = -err;
        return NULL;
    }
    return f;
}

void front_destroy(struct front **fp)
{
    struct front *f = fp ? *fp : NULL;

    if (!f)
        return;
    if (f->link_fd >= 0)
        close(f->link_fd); /* an unpinned link detaches here */
    lb_bpf__destroy(f->skel);
    free(f);
    *fp = NULL;
}

int front_prog_fd(const struct front *f)
{
    return f && f->loaded ? bpf_program__fd(f->skel->progs.lb_xdp) : -1;
}

/* ---------------------------------------------------------------------------------------------
 * Attach / detach
 */

static int link_ifindex(int link_fd, __u32 *ifindex)
{
    struct bpf_link_info info;
    __u32 len = sizeof(info);

    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
        return -errno;
    *ifindex = info.type == BPF_LINK_TYPE_XDP ? info.xdp.ifindex : 0;
    return 0;
}

static int config_get(struct front *f, struct lb_config *cfg)
{
    __u32 zero = 0;

    return bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.lb_config), &zero, cfg) ? -errno : 0;
}

static int config_put(struct front *f, const struct lb_config *cfg)
{
    __u32 zero = 0;

    return bpf_map_update_elem(bpf_map__fd(f->skel->maps.lb_config), &zero, cfg, BPF_ANY) ? -errno
                                                                                          : 0;
}

int front_attach(struct front *f, int ifindex, enum front_xdp_mode mode)
{
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    char path[PATH_MAX] = "";
    struct lb_config cfg;
    int fd = -1, err, prog_fd = front_prog_fd(f);
    __u32 cur = 0;

    if (prog_fd < 0 || ifindex <= 0 || f->link_fd >= 0)
        return -EINVAL;
    if (f->pin_dir[0]) {
        err = pin_path(f, LINK_PIN, path, sizeof(path));
        if (err)
            return err;
        fd = bpf_obj_get(path);
    }
    if (fd >= 0) {
        /* A pinned link: swap the program in place if it still sits on our interface. */
        err = link_ifindex(fd, &cur);
        if (!err && cur == 0) {
            unlink(path); /* its device is gone: start over */
            close(fd);
            fd = -1;
        } else if (!err && cur != (__u32)ifindex) {
            err = -EBUSY;
        } else if (!err && bpf_link_update(fd, prog_fd, NULL)) {
            err = -errno;
        }
        if (fd >= 0 && err) {
            close(fd);
            return err;
        }
    }
    if (fd < 0) {
        opts.flags = mode == FRONT_XDP_GENERIC  ? XDP_FLAGS_SKB_MODE
                     : mode == FRONT_XDP_NATIVE ? XDP_FLAGS_DRV_MODE
                                                : 0;
        fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
        if (fd < 0)
            return -errno;
        if (path[0] && bpf_obj_pin(fd, path)) {
            err = -errno;
            close(fd);
            return err;
        }
    }
    f->link_fd = fd;
    err = config_get(f, &cfg);
    if (!err) {
        cfg.ifindex = (__u32)ifindex;
        err = config_put(f, &cfg);
    }
    return err;
}

int front_attached_ifindex(struct front *f)
{
    __u32 ifindex = 0;
    int err;

    if (f->link_fd < 0)
        return 0;
    err = link_ifindex(f->link_fd, &ifindex);
    return err ? err : (int)ifindex;
}

int front_detach(struct front *f)
{
    char path[PATH_MAX] = "";
    int fd = f->link_fd, err = 0;

    if (fd < 0 && f->pin_dir[0] && !pin_path(f, LINK_PIN, path, sizeof(path)))
        fd = bpf_obj_get(path);
    if (fd < 0)
        return -ENOENT;
    if (bpf_link_detach(fd))
        err = -errno;
    if (f->pin_dir[0] && !pin_path(f, LINK_PIN, path, sizeof(path)) && unlink(path) &&
        errno != ENOENT && !err)
        err = -errno;
    close(fd);
    f->link_fd = -1;
    return err;
}

int front_unpin(struct front *f)
{
    struct bpf_map *map;
    char path[PATH_MAX];
    int err = 0;

    if (!f->pin_dir[0])
        return -EINVAL;
    bpf_object__for_each_map(map, f->skel->obj)
    {
        if (bpf_map__is_internal(map) || pin_path(f, bpf_map__name(map), path, sizeof(path)))
            continue;
        if (unlink(path) && errno != ENOENT && !err)
            err = -errno;
    }
    if (!pin_path(f, LINK_PIN, path, sizeof(path)) && unlink(path) && errno != ENOENT && !err)
        err = -errno;
    if (rmdir(f->pin_dir) && errno != ENOENT && !err)
        err = -errno;
    return err;
}

/* ---------------------------------------------------------------------------------------------
 * Tables
 */

/* Fills a fresh inner map with vals[0..n-1] and swaps it into entry 0 of outer_fd. */
static int table_publish(int outer_fd, const char *name, __u32 n, const __u32 *vals)
{
    __u32 zero = 0, count = n, *keys = malloc(n * sizeof(*keys));
    int inner, err = 0;

    if (!keys)
        return -ENOMEM;
    for (__u32 i = 0; i < n; i++)
        keys[i] = i;
    inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), sizeof(__u32), n, NULL);
    if (inner < 0) {
        err = -errno;
        goto out;
    }
    if (bpf_map_update_batch(inner, keys, vals, &count, NULL) || count != n)
        err = errno ? -errno : -EIO;
    else if (bpf_map_update_elem(outer_fd, &zero, &inner, BPF_ANY)) /* waits for programs */
        err = -errno;
    close(inner); /* the outer map holds the reference now */
out:
    free(keys);
    return err;
}

/* Copies the table published in outer_fd (n entries) into vals. -ENOENT when none. */
static int table_read(int outer_fd, __u32 n, __u32 *vals)
{
    __u32 zero = 0, id, *keys = malloc(n * sizeof(*keys));
    int fd, err = 0;

    if (!keys)
        return -ENOMEM;
    if (bpf_map_lookup_elem(outer_fd, &zero, &id)) {
        err = -errno;
        goto out;
    }
    fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) {
        err = -errno;
        goto out;
    }
    for (__u32 done = 0, batch = 0; done < n;) {
        __u32 count = n - done;
        int r = bpf_map_lookup_batch(fd, done ? &batch : NULL, &batch, keys + done, vals + done,
                                     &count, NULL);

        if (r && errno != ENOENT) {
            err = -errno;
            break;
        }
        done += count;
        if (r || count == 0) {
            if (done != n)
                err = -EIO;
            break;
        }
    }
    close(fd);
out:
    free(keys);
    return err;
}

int front_maglev_read(struct front *f, uint32_t *table)
{
    return table_read(bpf_map__fd(f->skel->maps.lb_maglev), LB_MAGLEV_SIZE, table);
}

int front_slots_read(struct front *f, uint32_t *table)
{
    return table_read(bpf_map__fd(f->skel->maps.lb_slots), LB_SLOTS, table);
}

static int backends_read(struct front *f, struct lb_backend *bes)
{
    int fd = bpf_map__fd(f->skel->maps.lb_backends);

    for (__u32 i = 0; i < LB_MAX_BACKENDS; i++)
        if (bpf_map_lookup_elem(fd, &i, &bes[i]))
            return -errno;
    return 0;
}

/* Publishes both tables from the current backends, treating index `gone` (if < LB_MAX_BACKENDS)
 * as already removed. */
static int publish_except(struct front *f, __u32 gone)
{
    struct lb_backend bes[LB_MAX_BACKENDS];
    struct lb_config cfg;
    __u32 *maglev, *slots;
    int err;

    err = backends_read(f, bes);
    if (!err)
        err = config_get(f, &cfg);
    if (err)
        return err;
    if (gone < LB_MAX_BACKENDS)
        bes[gone].state = LB_BE_EMPTY;
    maglev = malloc(LB_MAGLEV_SIZE * sizeof(*maglev));
    slots = malloc(LB_SLOTS * sizeof(*slots));
    if (!maglev || !slots) {
        err = -ENOMEM;
        goto out;
    }
    front_maglev_build(bes, LB_MAX_BACKENDS, maglev);
    err = table_publish(bpf_map__fd(f->skel->maps.lb_maglev), "lb_maglev_tbl", LB_MAGLEV_SIZE,
                        maglev);
    if (err)
        goto out;
    if (cfg.flags & LB_CFG_F_SLOTS_MANUAL) {
        err = front_slots_read(f, slots);
        if (err == -ENOENT) {
            for (__u32 s = 0; s < LB_SLOTS; s++)
                slots[s] = LB_NO_BACKEND;
            err = 0;
        }
        if (err)
            goto out;
        for (__u32 s = 0; s < LB_SLOTS; s++)
            if (slots[s] >= LB_MAX_BACKENDS || bes[slots[s]].state == LB_BE_EMPTY)
                slots[s] = LB_NO_BACKEND;
    } else {
        front_slots_split(bes, LB_MAX_BACKENDS, slots);
    }
    err = table_publish(bpf_map__fd(f->skel->maps.lb_slots), "lb_slots_tbl", LB_SLOTS, slots);
out:
    free(maglev);
    free(slots);
    return err;
}

int front_publish(struct front *f)
{
    return publish_except(f, LB_MAX_BACKENDS);
}

int front_slots_assign(struct front *f, uint32_t first, uint32_t last, struct in_addr addr)
{
    struct lb_backend bes[LB_MAX_BACKENDS];
    struct lb_config cfg;
    __u32 *slots, idx = LB_MAX_BACKENDS;
    int err;

    if (first > last || last >= LB_SLOTS)
        return -EINVAL;
    err = backends_read(f, bes);
    if (!err)
        err = config_get(f, &cfg);
    if (err)
        return err;
    for (__u32 i = 0; i < LB_MAX_BACKENDS && idx == LB_MAX_BACKENDS; i++)
        if (bes[i].state != LB_BE_EMPTY && bes[i].addr_be == addr.s_addr)
            idx = i;
    if (idx == LB_MAX_BACKENDS)
        return -ENOENT;
    slots = malloc(LB_SLOTS * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    err = front_slots_read(f, slots);
    if (err == -ENOENT) {
        for (__u32 s = 0; s < LB_SLOTS; s++)
            slots[s] = LB_NO_BACKEND;
        err = 0;
    }
    if (!err) {
        for (__u32 s = first; s <= last; s++)
            slots[s] = idx;
        cfg.flags |= LB_CFG_F_SLOTS_MANUAL;
        err = config_put(f, &cfg);
    }
    if (!err)
        err = table_publish(bpf_map__fd(f->skel->maps.lb_slots), "lb_slots_tbl", LB_SLOTS, slots);
    free(slots);
    return err;
}

int front_slots_auto(struct front *f)
{
    struct lb_config cfg;
    int err = config_get(f, &cfg);

    if (err)
        return err;
    cfg.flags &= ~LB_CFG_F_SLOTS_MANUAL;
    err = config_put(f, &cfg);
    return err ? err : front_publish(f);
}

/* ---------------------------------------------------------------------------------------------
 * Service and backends
 */

int front_set_service(struct front *f, struct in_addr vip, uint16_t tcp_port, uint16_t udp_port)
{
    struct lb_config cfg;
    int err = config_get(f, &cfg);

    if (err)
        return err;
    cfg.vip_be = vip.s_addr;
    cfg.tcp_port_be = htons(tcp_port);
    cfg.udp_port_be = htons(udp_port);
    return config_put(f, &cfg);
}

static int if_mac(int ifindex, __u8 mac[6])
{
    struct ifreq ifr;
    int s, err = 0;

    memset(&ifr, 0, sizeof(ifr));
    if (!if_indextoname((unsigned int)ifindex, ifr.ifr_name))
        return -errno;
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    if (ioctl(s, SIOCGIFHWADDR, &ifr))
        err = -errno;
    else
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    close(s);
    return err;
}

int front_if_mac(int ifindex, uint8_t mac[6])
{
    return if_mac(ifindex, mac);
}

static int backend_find(const struct lb_backend *bes, struct in_addr addr)
{
    for (__u32 i = 0; i < LB_MAX_BACKENDS; i++)
        if (bes[i].state != LB_BE_EMPTY && bes[i].addr_be == addr.s_addr)
            return (int)i;
    return -ENOENT;
}

static int backend_put(struct front *f, __u32 idx, const struct lb_backend *be)
{
    return bpf_map_update_elem(bpf_map__fd(f->skel->maps.lb_backends), &idx, be, BPF_ANY) ? -errno
                                                                                          : 0;
}

static int backend_stats_reset(struct front *f, __u32 idx)
{
    void *zeros = calloc((size_t)f->ncpus, sizeof(struct lb_backend_stats));
    int err = 0;

    if (!zeros)
        return -ENOMEM;
    if (bpf_map_update_elem(bpf_map__fd(f->skel->maps.lb_be_stats), &idx, zeros, BPF_ANY))
        err = -errno;
    free(zeros);
    return err;
}

static int spec_check(const struct front_backend_spec *s)
{
    if (s->addr.s_addr == 0 || s->weight == 0 || s->weight > LB_WEIGHT_MAX || s->ncores == 0 ||
        s->ncores > LB_CORES_MAX || s->base_port == 0 ||
        (uint32_t)s->base_port + s->ncores - 1 > 65535 || s->egress_ifindex < 0)
        return -EINVAL;
    return 0;
}

int front_backend_add(struct front *f, const struct front_backend_spec *spec)
{
    static const __u8 no_mac[6];
    struct lb_backend bes[LB_MAX_BACKENDS], be;
    struct lb_config cfg;
    int err, idx = -ENOSPC, txfd = bpf_map__fd(f->skel->maps.lb_tx_ports);
    __u32 i, egress;

    err = spec_check(spec);
    if (!err)
        err = backends_read(f, bes);
    if (!err)
        err = config_get(f, &cfg);
    if (err)
        return err;
    if (backend_find(bes, spec->addr) >= 0)
        return -EEXIST;
    for (i = 0; i < LB_MAX_BACKENDS && idx < 0; i++)
        if (bes[i].state == LB_BE_EMPTY)
            idx = (int)i;
    if (idx < 0)
        return idx;

    memset(&be, 0, sizeof(be));
    be.addr_be = spec->addr.s_addr;
    be.gen = bes[idx].gen + 1 ? bes[idx].gen + 1 : 1;
    memcpy(be.dst_mac, spec->mac, 6);
    memcpy(be.src_mac, spec->src_mac, 6);
    egress = spec->egress_ifindex ? (__u32)spec->egress_ifindex : cfg.ifindex;
    if (!memcmp(be.src_mac, no_mac, 6) && egress) {
        err = if_mac((int)egress, be.src_mac);
        if (err)
            return err;
    }
    be.ifindex = (__u32)spec->egress_ifindex;
    be.base_port = spec->base_port;
    be.ncores = spec->ncores;
    be.weight = spec->weight;
    be.state = LB_BE_EMPTY; /* step 1: invisible while the other fields change */

    i = (__u32)idx;
    err = backend_put(f, i, &be);
    if (!err)
        err = backend_stats_reset(f, i);
    if (!err && be.ifindex && bpf_map_update_elem(txfd, &i, &be.ifindex, BPF_ANY))
        err = -errno;
    if (!err && !be.ifindex && bpf_map_delete_elem(txfd, &i) && errno != ENOENT)
        err = -errno;
    if (err)
        return err;
    be.state = LB_BE_ACTIVE; /* step 2: the state byte alone */
    err = backend_put(f, i, &be);
    if (!err)
        err = front_publish(f);
    return err ? err : idx;
}

int front_backend_drain(struct front *f, struct in_addr addr)
{
    struct lb_backend bes[LB_MAX_BACKENDS];
    int err = backends_read(f, bes), idx;

    if (err)
        return err;
    idx = backend_find(bes, addr);
    if (idx < 0)
        return idx;
    if (bes[idx].state == LB_BE_DRAINING)
        return 0;
    bes[idx].state = LB_BE_DRAINING;
    err = backend_put(f, (__u32)idx, &bes[idx]);
    return err ? err : front_publish(f);
}

int front_backend_remove(struct front *f, struct in_addr addr)
{
    struct lb_backend bes[LB_MAX_BACKENDS];
    int err = backends_read(f, bes), idx;
    __u32 i;

    if (err)
        return err;
    idx = backend_find(bes, addr);
    if (idx < 0)
        return idx;
    i = (__u32)idx;
    /* Out of the tables first; only then free the entry (conntrack entries become stale). */
    err = publish_except(f, i);
    if (err)
        return err;
    bes[i].state = LB_BE_EMPTY;
    err = backend_put(f, i, &bes[i]);
    if (!err && bpf_map_delete_elem(bpf_map__fd(f->skel->maps.lb_tx_ports), &i) && errno != ENOENT)
        err = -errno;
    return err;
}

/* ---------------------------------------------------------------------------------------------
 * Counters
 */

int front_counters_read(struct front *f, uint64_t counters[LB_CNT__COUNT])
{
    struct lb_stats *st = calloc((size_t)f->ncpus, sizeof(*st));
    __u32 zero = 0;
    int err = 0;

    if (!st)
        return -ENOMEM;
    if (bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.lb_stats), &zero, st))
        err = -errno;
    for (unsigned int k = 0; k < LB_CNT__COUNT; k++) {
        counters[k] = 0;
        for (int c = 0; !err && c < f->ncpus; c++)
            counters[k] += st[c].c[k];
    }
    free(st);
    return err;
}

int front_stats_read(struct front *f, struct front_stats *out)
{
    struct lb_backend bes[LB_MAX_BACKENDS];
    struct lb_backend_stats *bs = NULL;
    __u32 mshare[LB_MAX_BACKENDS] = { 0 }, sshare[LB_MAX_BACKENDS] = { 0 };
    __u32 *maglev = NULL, *slots = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    bs = calloc((size_t)f->ncpus, sizeof(*bs));
    maglev = malloc(LB_MAGLEV_SIZE * sizeof(*maglev));
    slots = malloc(LB_SLOTS * sizeof(*slots));
    if (!bs || !maglev || !slots) {
        err = -ENOMEM;
        goto out;
    }
    err = front_counters_read(f, out->counters);
    if (!err)
        err = config_get(f, &out->config);
    if (!err)
        err = backends_read(f, bes);
    if (err)
        goto out;

    /* Table shares: absent tables (nothing published yet) count as empty. */
    if (front_maglev_read(f, maglev))
        for (__u32 p = 0; p < LB_MAGLEV_SIZE; p++)
            maglev[p] = LB_NO_BACKEND;
    if (front_slots_read(f, slots))
        for (__u32 s = 0; s < LB_SLOTS; s++)
            slots[s] = LB_NO_BACKEND;

    for (__u32 p = 0; p < LB_MAGLEV_SIZE; p++)
        if (maglev[p] < LB_MAX_BACKENDS)
            mshare[maglev[p]]++;
    for (__u32 s = 0; s < LB_SLOTS; s++)
        if (slots[s] < LB_MAX_BACKENDS)
            sshare[slots[s]]++;

    for (__u32 i = 0; i < LB_MAX_BACKENDS; i++) {
        struct front_backend_info *bi;

        if (bes[i].state == LB_BE_EMPTY)
            continue;
        bi = &out->backends[out->n_backends++];
        bi->index = i;
        bi->be = bes[i];
        bi->maglev_entries = mshare[i];
        bi->slots = sshare[i];
        if (bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.lb_be_stats), &i, bs)) {
            err = -errno;
            goto out;
        }
        for (int c = 0; c < f->ncpus; c++) {
            bi->stats.packets += bs[c].packets;
            bi->stats.bytes += bs[c].bytes;
            bi->stats.tcp_new += bs[c].tcp_new;
            bi->stats.udp_requests += bs[c].udp_requests;
        }
    }
out:
    free(bs);
    free(maglev);
    free(slots);
    return err;
}

int front_conntrack_flush(struct front *f)
{
    int fd = bpf_map__fd(f->skel->maps.lb_conntrack), n = 0, err = 0;
    struct lb_flow_key *keys = calloc(LB_CT_MAX_ENTRIES, sizeof(*keys));
    __u32 count = 0;

    if (!keys)
        return -ENOMEM;
    /* Collect first: deleting while walking makes get_next_key restart from the start. */
    while (count < LB_CT_MAX_ENTRIES &&
           !bpf_map_get_next_key(fd, count ? &keys[count - 1] : NULL, &keys[count]))
        count++;
    for (__u32 i = 0; i < count; i++) {
        if (!bpf_map_delete_elem(fd, &keys[i]))
            n++;
        else if (errno != ENOENT)
            err = -errno;
    }
    free(keys);
    return err ? err : n;
}
