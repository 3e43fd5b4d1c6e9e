/*
 * front_cli.c - dpcache-front: a command-line wrapper of the front API (front.h) for tests and
 * operators. Each invocation does one thing; state lives in the maps pinned under
 * /sys/fs/bpf/dpcache/<ifname> (or --pin-dir), so separate invocations reconfigure one front.
 * Results are printed as JSON on stdout, errors as text on stderr (exit status 1; 2 = usage).
 *
 *   dpcache-front attach  --ifname IF [--mode auto|generic|native|skb|drv]
 *                         [--vip A [--tcp-port P] [--udp-port P]]
 *   dpcache-front service --ifname IF --vip A [--tcp-port P] [--udp-port P]
 *   dpcache-front add     --ifname IF --addr A --mac M --base-port P [--cores C] [--weight W]
 *                         [--egress IF2] [--src-mac M]
 *   dpcache-front drain   --ifname IF --addr A
 *   dpcache-front remove  --ifname IF --addr A
 *   dpcache-front slots   --ifname IF (--addr A --first N --last N | --auto)
 *   dpcache-front stats   --ifname IF
 *   dpcache-front flush   --ifname IF          (forget tracked TCP flows)
 *   dpcache-front detach  --ifname IF          (detach and delete the pinned state)
 * Common: [--netns NAME] resolve interfaces in /run/netns/NAME; [--pin-dir DIR].
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

#define CMD_LINE_OPT_IFNAME    "ifname"
#define CMD_LINE_OPT_NETNS     "netns"
#define CMD_LINE_OPT_PIN_DIR   "pin-dir"
#define CMD_LINE_OPT_MODE      "mode"
#define CMD_LINE_OPT_VIP       "vip"
#define CMD_LINE_OPT_TCP_PORT  "tcp-port"
#define CMD_LINE_OPT_UDP_PORT  "udp-port"
#define CMD_LINE_OPT_ADDR      "addr"
#define CMD_LINE_OPT_MAC       "mac"
#define CMD_LINE_OPT_BASE_PORT "base-port"
#define CMD_LINE_OPT_CORES     "cores"
#define CMD_LINE_OPT_WEIGHT    "weight"
#define CMD_LINE_OPT_EGRESS    "egress"
#define CMD_LINE_OPT_SRC_MAC   "src-mac"
#define CMD_LINE_OPT_FIRST     "first"
#define CMD_LINE_OPT_LAST      "last"
#define CMD_LINE_OPT_AUTO      "auto"

enum {
    /* Long-only options start at 256 so they cannot collide with short ones. */
    CMD_LINE_OPT_IFNAME_NUM = 256,
    CMD_LINE_OPT_NETNS_NUM,
    CMD_LINE_OPT_PIN_DIR_NUM,
    CMD_LINE_OPT_MODE_NUM,
    CMD_LINE_OPT_VIP_NUM,
    CMD_LINE_OPT_TCP_PORT_NUM,
    CMD_LINE_OPT_UDP_PORT_NUM,
    CMD_LINE_OPT_ADDR_NUM,
    CMD_LINE_OPT_MAC_NUM,
    CMD_LINE_OPT_BASE_PORT_NUM,
    CMD_LINE_OPT_CORES_NUM,
    CMD_LINE_OPT_WEIGHT_NUM,
    CMD_LINE_OPT_EGRESS_NUM,
    CMD_LINE_OPT_SRC_MAC_NUM,
    CMD_LINE_OPT_FIRST_NUM,
    CMD_LINE_OPT_LAST_NUM,
    CMD_LINE_OPT_AUTO_NUM,
};

static const struct option long_opts[] = {
    { CMD_LINE_OPT_IFNAME, required_argument, NULL, CMD_LINE_OPT_IFNAME_NUM },
    { CMD_LINE_OPT_NETNS, required_argument, NULL, CMD_LINE_OPT_NETNS_NUM },
    { CMD_LINE_OPT_PIN_DIR, required_argument, NULL, CMD_LINE_OPT_PIN_DIR_NUM },
    { CMD_LINE_OPT_MODE, required_argument, NULL, CMD_LINE_OPT_MODE_NUM },
    { CMD_LINE_OPT_VIP, required_argument, NULL, CMD_LINE_OPT_VIP_NUM },
    { CMD_LINE_OPT_TCP_PORT, required_argument, NULL, CMD_LINE_OPT_TCP_PORT_NUM },
    { CMD_LINE_OPT_UDP_PORT, required_argument, NULL, CMD_LINE_OPT_UDP_PORT_NUM },
    { CMD_LINE_OPT_ADDR, required_argument, NULL, CMD_LINE_OPT_ADDR_NUM },
    { CMD_LINE_OPT_MAC, required_argument, NULL, CMD_LINE_OPT_MAC_NUM },
    { CMD_LINE_OPT_BASE_PORT, required_argument, NULL, CMD_LINE_OPT_BASE_PORT_NUM },
    { CMD_LINE_OPT_CORES, required_argument, NULL, CMD_LINE_OPT_CORES_NUM },
    { CMD_LINE_OPT_WEIGHT, required_argument, NULL, CMD_LINE_OPT_WEIGHT_NUM },
    { CMD_LINE_OPT_EGRESS, required_argument, NULL, CMD_LINE_OPT_EGRESS_NUM },
    { CMD_LINE_OPT_SRC_MAC, required_argument, NULL, CMD_LINE_OPT_SRC_MAC_NUM },
    { CMD_LINE_OPT_FIRST, required_argument, NULL, CMD_LINE_OPT_FIRST_NUM },
    { CMD_LINE_OPT_LAST, required_argument, NULL, CMD_LINE_OPT_LAST_NUM },
    { CMD_LINE_OPT_AUTO, no_argument, NULL, CMD_LINE_OPT_AUTO_NUM },
    { NULL, 0, NULL, 0 },
};

/* Backend fields of `add` (--addr, --mac, --base-port, --cores, --weight, --egress, --src-mac),
 * kept as text: front_backend_spec_set parses them after entering the netns (egress is a name
 * there). The same fields as dpcache-control's front-backend (front.h). */
#define CLI_BE_FIELDS 7

/* Parsed command line; "have_*" mark options that were given. */
struct cli {
    const char *cmd;
    const char *ifname;
    const char *netns;
    char pin_dir[PATH_MAX - 64];
    enum front_xdp_mode mode;
    struct in_addr vip, addr;
    int have_vip, have_addr, have_auto;
    int default_pin_dir; /* pin_dir derived from --netns/--ifname, not given */
    const char *be_name[CLI_BE_FIELDS], *be_value[CLI_BE_FIELDS];
    int n_be;
    unsigned long tcp_port, udp_port, first, last;
};

/* The usage, on stderr for a wrong command line (exit 2), on stdout for --help (exit 0).
 * docs/front.md and docs/operations.md list the same options and fields: checked by
 * `meson test docs.front_cli` (tests/ebpf/check_front_doc.py). */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: dpcache-front <attach|service|add|drain|remove|slots|stats|flush|detach>\n"
            "  --ifname IF [--netns NAME] [--pin-dir DIR]\n"
            "  attach:  [--mode auto|generic|native|skb|drv] [--vip A --tcp-port P --udp-port P]\n"
            "  service: --vip A [--tcp-port P] [--udp-port P]\n"
            "  add:     --addr A --mac M --base-port P [--cores C] [--weight W] [--egress IF]\n"
            "           [--src-mac M]\n"
            "  drain|remove: --addr A\n"
            "  slots:   --addr A --first N --last N | --auto\n"
            "  stats | flush | detach\n"
            "modes: auto (the kernel's choice), native or drv (driver mode), generic or skb (any "
            "device)\n");
}

/* strtoul with the errno, end-pointer and maximum checks. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    if (errno || end == s || *end != '\0' || *out > max || s[0] == '-')
        return -EINVAL;
    return 0;
}

static int parse_ipv4(const char *s, struct in_addr *out)
{
    return inet_pton(AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

/* Records a backend field of `add` (the option's name is the field's name). */
static int be_field(struct cli *c, const char *name, const char *value)
{
    if (c->n_be == CLI_BE_FIELDS)
        return -EINVAL;
    c->be_name[c->n_be] = name;
    c->be_value[c->n_be++] = value;
    return 0;
}

static const char *const commands[] = {
    "attach", "service", "add", "drain", "remove", "slots", "stats", "flush", "detach",
};

static int parse_args(int argc, char **argv, struct cli *c)
{
    const char *pin_dir = NULL;
    int opt, li = 0, err = -EINVAL;

    if (argc < 2)
        return -EINVAL;
    c->cmd = argv[1];
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(c->cmd, commands[i]))
            err = 0;
    if (err)
        return err;
    optind = 2;
    while (!err && (opt = getopt_long(argc, argv, "", long_opts, &li)) != -1) {
        switch (opt) {
        case CMD_LINE_OPT_IFNAME_NUM: c->ifname = optarg; break;
        case CMD_LINE_OPT_NETNS_NUM: c->netns = optarg; break;
        case CMD_LINE_OPT_PIN_DIR_NUM: pin_dir = optarg; break;
        case CMD_LINE_OPT_MODE_NUM: err = front_parse_mode(optarg, &c->mode); break;
        case CMD_LINE_OPT_VIP_NUM:
            err = parse_ipv4(optarg, &c->vip);
            c->have_vip = 1;
            break;
        case CMD_LINE_OPT_TCP_PORT_NUM: err = parse_ulong(optarg, 65535, &c->tcp_port); break;
        case CMD_LINE_OPT_UDP_PORT_NUM: err = parse_ulong(optarg, 65535, &c->udp_port); break;
        case CMD_LINE_OPT_ADDR_NUM:
            err = parse_ipv4(optarg, &c->addr);
            c->have_addr = 1;
            if (!err)
                err = be_field(c, long_opts[li].name, optarg);
            break;
        case CMD_LINE_OPT_MAC_NUM:
        case CMD_LINE_OPT_BASE_PORT_NUM:
        case CMD_LINE_OPT_CORES_NUM:
        case CMD_LINE_OPT_WEIGHT_NUM:
        case CMD_LINE_OPT_EGRESS_NUM:
        case CMD_LINE_OPT_SRC_MAC_NUM: err = be_field(c, long_opts[li].name, optarg); break;
        case CMD_LINE_OPT_FIRST_NUM: err = parse_ulong(optarg, LB_SLOTS - 1, &c->first); break;
        case CMD_LINE_OPT_LAST_NUM: err = parse_ulong(optarg, LB_SLOTS - 1, &c->last); break;
        case CMD_LINE_OPT_AUTO_NUM: c->have_auto = 1; break;
        default: err = -EINVAL; break;
        }
    }
    if (err || optind != argc || !c->ifname || strlen(c->ifname) >= IF_NAMESIZE)
        return -EINVAL;
    if (pin_dir) {
        if (strlen(pin_dir) >= sizeof(c->pin_dir))
            return -ENAMETOOLONG;
        strcpy(c->pin_dir, pin_dir);
    } else {
        int n;

        c->default_pin_dir = 1;
        n = c->netns ? snprintf(c->pin_dir, sizeof(c->pin_dir), "%s/%s/%s", FRONT_PIN_ROOT,
                                c->netns, c->ifname)
                     : snprintf(c->pin_dir, sizeof(c->pin_dir), "%s/%s", FRONT_PIN_ROOT, c->ifname);

        if (n < 0 || (size_t)n >= sizeof(c->pin_dir))
            return -ENAMETOOLONG;
    }
    return 0;
}

/* Moves this process into the network namespace /run/netns/<name> (mounts are untouched, so
 * /sys/fs/bpf stays the host's bpffs). */
static int enter_netns(const char *name)
{
    char path[PATH_MAX];
    int fd, err = 0;

    if (snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (setns(fd, CLONE_NEWNET))
        err = -errno;
    close(fd);
    return err;
}

static void print_addr(const char *key, uint32_t addr_be)
{
    char buf[INET_ADDRSTRLEN];
    struct in_addr a = { .s_addr = addr_be };

    printf("\"%s\":\"%s\"", key, inet_ntop(AF_INET, &a, buf, sizeof(buf)) ? buf : "?");
}

static void print_mac(const char *key, const uint8_t *m)
{
    printf("\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key, m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Prints the slot ranges held by backend index `idx` as a JSON array of [first, last]. */
static void print_slot_ranges(const uint32_t *slots, uint32_t idx)
{
    int first = 1;

    printf("\"slot_ranges\":[");
    for (uint32_t s = 0; s < LB_SLOTS; s++) {
        uint32_t e = s;

        if (slots[s] != idx)
            continue;
        while (e + 1 < LB_SLOTS && slots[e + 1] == idx)
            e++;
        printf("%s[%u,%u]", first ? "" : ",", s, e);
        first = 0;
        s = e;
    }
    printf("]");
}

static int cmd_stats(struct front *f, const struct cli *c)
{
    struct front_stats *st = malloc(sizeof(*st));
    uint32_t *slots = malloc(LB_SLOTS * sizeof(*slots));
    int err = st && slots ? 0 : -ENOMEM;

    if (!err)
        err = front_stats_read(f, st);
    if (!err && front_slots_read(f, slots))
        for (uint32_t s = 0; s < LB_SLOTS; s++)
            slots[s] = LB_NO_BACKEND;
    if (err)
        goto out;
    printf("{\"ifname\":\"%s\",\"pin_dir\":\"%s\",\"service\":{", c->ifname, c->pin_dir);
    print_addr("vip", st->config.vip_be);
    printf(",\"tcp_port\":%u,\"udp_port\":%u,\"ifindex\":%u,\"slots\":\"%s\"},",
           ntohs(st->config.tcp_port_be), ntohs(st->config.udp_port_be), st->config.ifindex,
           st->config.flags & LB_CFG_F_SLOTS_MANUAL ? "manual" : "auto");
    printf("\"counters\":{");
    for (unsigned int k = 0; k < LB_CNT__COUNT; k++)
        printf("%s\"%s\":%llu", k ? "," : "", front_counter_name(k),
               (unsigned long long)st->counters[k]);
    printf("},\"backends\":[");
    for (uint32_t i = 0; i < st->n_backends; i++) {
        const struct front_backend_info *b = &st->backends[i];

        printf("%s{\"index\":%u,", i ? "," : "", b->index);
        print_addr("addr", b->be.addr_be);
        printf(",");
        print_mac("mac", b->be.dst_mac);
        printf(",");
        print_mac("src_mac", b->be.src_mac);
        printf(",\"state\":\"%s\",\"weight\":%u,\"base_port\":%u,\"cores\":%u,"
               "\"egress_ifindex\":%u,\"gen\":%u,\"maglev_entries\":%u,\"slots\":%u,",
               front_state_name(b->be.state), b->be.weight, b->be.base_port, b->be.ncores,
               b->be.ifindex, b->be.gen, b->maglev_entries, b->slots);
        print_slot_ranges(slots, b->index);
        printf(",\"packets\":%llu,\"bytes\":%llu,\"tcp_new\":%llu,\"udp_requests\":%llu}",
               (unsigned long long)b->stats.packets, (unsigned long long)b->stats.bytes,
               (unsigned long long)b->stats.tcp_new, (unsigned long long)b->stats.udp_requests);
    }
    printf("]}\n");
out:
    free(st);
    free(slots);
    return err;
}

static int cmd_attach(const struct cli *c, int ifindex)
{
    struct front *f = front_open(c->pin_dir);
    int err;

    if (!f)
        return -errno;
    err = c->have_vip ? front_set_service(f, c->vip, (uint16_t)c->tcp_port, (uint16_t)c->udp_port)
                      : 0;
    if (!err)
        err = front_publish(f); /* reloads over existing pins republish the same tables */
    if (!err)
        err = front_attach(f, ifindex, c->mode);
    if (!err)
        printf("{\"attached\":\"%s\",\"ifindex\":%d,\"pin_dir\":\"%s\"}\n", c->ifname, ifindex,
               c->pin_dir);
    front_destroy(&f); /* the pinned link keeps the program attached */
    return err;
}

/* The backend of `add`, checked by the library shared with dpcache-control (front.h). */
static int cmd_add(struct front *f, const struct cli *c)
{
    struct front_backend_spec spec;
    char msg[256];
    int idx = 0;

    front_backend_spec_init(&spec);
    for (int i = 0; i < c->n_be && !idx; i++)
        idx = front_backend_spec_set(&spec, c->be_name[i], c->be_value[i], msg, sizeof(msg));
    if (!idx)
        idx = front_backend_spec_check(&spec, msg, sizeof(msg));
    if (idx) {
        fprintf(stderr, "dpcache-front add: %s\n", msg);
        return idx;
    }
    idx = front_backend_add(f, &spec);
    if (idx >= 0)
        printf("{\"added\":\"%s\",\"index\":%d}\n", inet_ntoa(c->addr), idx);
    return idx < 0 ? idx : 0;
}

/* Runs a command that works on the pinned maps of an attached front. */
static int cmd_pinned(const struct cli *c)
{
    struct front *f = front_open_pinned(c->pin_dir);
    int err = -EINVAL, n;

    if (!f)
        return -errno;
    if (!strcmp(c->cmd, "stats")) {
        err = cmd_stats(f, c);
    } else if (!strcmp(c->cmd, "service") && c->have_vip) {
        err = front_set_service(f, c->vip, (uint16_t)c->tcp_port, (uint16_t)c->udp_port);
    } else if (!strcmp(c->cmd, "add")) {
        err = cmd_add(f, c);
    } else if (!strcmp(c->cmd, "drain") && c->have_addr) {
        err = front_backend_drain(f, c->addr);
    } else if (!strcmp(c->cmd, "remove") && c->have_addr) {
        err = front_backend_remove(f, c->addr);
    } else if (!strcmp(c->cmd, "slots") && c->have_auto) {
        err = front_slots_auto(f);
    } else if (!strcmp(c->cmd, "slots") && c->have_addr) {
        err = front_slots_assign(f, (uint32_t)c->first, (uint32_t)c->last, c->addr);
    } else if (!strcmp(c->cmd, "flush")) {
        n = front_conntrack_flush(f);
        err = n < 0 ? n : 0;
        if (!err)
            printf("{\"flushed\":%d}\n", n);
    } else if (!strcmp(c->cmd, "detach")) {
        err = front_detach(f);
        if (err == -ENOENT)
            err = 0; /* already detached (e.g. the device went away): still clean up */
        if (!err)
            err = front_unpin(f);
        if (!err && c->default_pin_dir && c->netns) {
            char parent[sizeof(c->pin_dir)];

            /* the per-netns directory of the default layout, if now empty */
            snprintf(parent, sizeof(parent), "%s/%s", FRONT_PIN_ROOT, c->netns);
            rmdir(parent);
        }
        if (!err)
            printf("{\"detached\":\"%s\"}\n", c->ifname);
    }
    if (!err && (!strcmp(c->cmd, "service") || !strcmp(c->cmd, "drain") ||
                 !strcmp(c->cmd, "remove") || !strcmp(c->cmd, "slots")))
        printf("{\"%s\":\"ok\"}\n", c->cmd);
    front_destroy(&f);
    return err;
}

int main(int argc, char **argv)
{
    struct cli c;
    int err, ifindex = 0;

    memset(&c, 0, sizeof(c));
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (parse_args(argc, argv, &c)) {
        usage(stderr);
        return 2;
    }
    if (c.netns) {
        err = enter_netns(c.netns);
        if (err) {
            fprintf(stderr, "dpcache-front: cannot enter netns %s: %s\n", c.netns, strerror(-err));
            return 1;
        }
    }
    if (!strcmp(c.cmd, "attach")) {
        ifindex = (int)if_nametoindex(c.ifname);
        err = ifindex ? cmd_attach(&c, ifindex) : -ENODEV;
    } else {
        err = cmd_pinned(&c);
    }
    if (err) {
        fprintf(stderr, "dpcache-front %s %s: %s\n", c.cmd, c.ifname, strerror(-err));
        return 1;
    }
    return 0;
}
