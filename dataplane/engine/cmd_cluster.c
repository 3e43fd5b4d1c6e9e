/*
 * cmd_cluster.c - CLUSTER: every worker is presented as a Redis Cluster master node that owns
 * a contiguous slot range and listens alone on its core port (core-port-base + worker id),
 * so cluster-aware clients send each request straight to the core that owns the key.
 */
#include "../core/hash.h"
#include "../core/util.h"
#include "client.h"
#include "cmd.h"
#include "server.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

/* The address clients should use: cluster-announce-ip, else the connection's local address. */
static void node_ip(const struct ctx *x, char *ip, size_t len)
{
    const char *ann = srv.cfg.cluster_announce_ip;
    char *colon;

    if (ann && ann[0]) {
        snprintf(ip, len, "%s", ann);
        return;
    }
    snprintf(ip, len, "%s", x->c ? x->c->laddr : "127.0.0.1");
    colon = strrchr(ip, ':');
    if (colon)
        *colon = '\0';
}

static void reply_text(struct ctx *x, const char *p, size_t n)
{
    rsp_verbatim(x->out, p, n, x->proto);
}

static void node_entry(struct ctx *x, const char *ip, int i)
{
    rsp_array(x->out, 4);
    rsp_bulk_cstr(x->out, ip);
    rsp_int(x->out, srv.core_port_base + i);
    rsp_bulk_cstr(x->out, srv.node_id[i]);
    rsp_map(x->out, 0, x->proto);
}

int cmd_cluster(struct ctx *x)
{
    const struct rstr *sub = &x->argv[1];
    int n = srv.nworkers;
    char ip[64];

    if (!srv.cfg.cluster_enabled) {
        ctx_error(x, "ERR This instance has cluster support disabled");
        return CMD_DONE;
    }
    node_ip(x, ip, sizeof(ip));
    if (arg_is(sub, "keyslot") && x->argc == 3) {
        rsp_int(x->out, key_slot(x->argv[2].p, x->argv[2].len));
    } else if (arg_is(sub, "myid") && x->argc == 2) {
        rsp_bulk_cstr(x->out, srv.node_id[x->w->id]);
    } else if (arg_is(sub, "info") && x->argc == 2) {
        char buf[1024];
        int len = snprintf(buf, sizeof(buf),
                           "cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
                           "cluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\n"
                           "cluster_slots_fail:0\r\ncluster_known_nodes:%d\r\ncluster_size:%d\r\n"
                           "cluster_current_epoch:%d\r\ncluster_my_epoch:%u\r\n"
                           "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
                           "total_cluster_links_buffer_limit_exceeded:0\r\n",
                           n, n, n, x->w->id + 1);
        reply_text(x, buf, (size_t)len);
    } else if (arg_is(sub, "slots") && x->argc == 2) {
        rsp_array(x->out, n);
        for (int i = 0; i < n; i++) {
            unsigned first, last;
            srv_slot_range((unsigned)i, (unsigned)n, &first, &last);
            rsp_array(x->out, 3);
            rsp_int(x->out, first);
            rsp_int(x->out, last);
            node_entry(x, ip, i);
        }
    } else if (arg_is(sub, "shards") && x->argc == 2) {
        rsp_array(x->out, n);
        for (int i = 0; i < n; i++) {
            unsigned first, last;
            srv_slot_range((unsigned)i, (unsigned)n, &first, &last);
            rsp_map(x->out, 2, x->proto);
            rsp_bulk_cstr(x->out, "slots");
            rsp_array(x->out, 2);
            rsp_int(x->out, first);
            rsp_int(x->out, last);
            rsp_bulk_cstr(x->out, "nodes");
            rsp_array(x->out, 1);
            rsp_map(x->out, 7, x->proto);
            rsp_bulk_cstr(x->out, "id");
            rsp_bulk_cstr(x->out, srv.node_id[i]);
            rsp_bulk_cstr(x->out, "port");
            rsp_int(x->out, srv.core_port_base + i);
            rsp_bulk_cstr(x->out, "ip");
            rsp_bulk_cstr(x->out, ip);
            rsp_bulk_cstr(x->out, "endpoint");
            rsp_bulk_cstr(x->out, ip);
            rsp_bulk_cstr(x->out, "role");
            rsp_bulk_cstr(x->out, "master");
            rsp_bulk_cstr(x->out, "replication-offset");
            rsp_int(x->out, 0);
            rsp_bulk_cstr(x->out, "health");
            rsp_bulk_cstr(x->out, "online");
        }
    } else if (arg_is(sub, "nodes") && x->argc == 2) {
        char buf[256 * MAX_WORKERS];
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof(buf); i++) {
            unsigned first, last;
            int port = srv.core_port_base + i;
            srv_slot_range((unsigned)i, (unsigned)n, &first, &last);
            len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                                    "%s %s:%d@%d %smaster - 0 0 %d connected %u-%u\n",
                                    srv.node_id[i], ip, port, port + 10000,
                                    i == (int)x->w->id ? "myself," : "", i + 1, first, last);
        }
        reply_text(x, buf, len);
    } else if (arg_is(sub, "help")) {
        static const char *const lines[] = {
            "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "INFO", "    Return information about the cluster.",
            "KEYSLOT <key>", "    Return the hash slot for <key>.",
            "MYID", "    Return the node id.",
            "NODES", "    Return cluster configuration seen by node.",
            "SHARDS", "    Return information about slot range mappings and the nodes.",
            "SLOTS", "    Return information about slots range mappings.",
            "HELP", "    Print this help.",
        };
        rsp_array(x->out, (long long)(sizeof(lines) / sizeof(lines[0])));
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
            rsp_simple(x->out, lines[i]);
    } else {
        ctx_errorf(x, "ERR unknown subcommand '%.*s'. Try CLUSTER HELP.",
                   (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
    return CMD_DONE;
}
