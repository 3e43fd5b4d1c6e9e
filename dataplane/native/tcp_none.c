/*
 * tcp_none.c - used only while dpcache's TCP (tcp.c) is not in the tree: a TCP that accepts no
 * connection (every segment is dropped and counted), so the native stack builds and serves
 * UDP. dataplane/meson.build picks tcp.c instead as soon as it exists.
 */
#include "tcp.h"

#include <stdlib.h>

#include <rte_mbuf.h>

struct tcp_stack {
    struct tcp_stats st;
};

struct tcp_stack *tcp_stack_create(const struct tcp_config *cfg, struct rte_mempool *pool,
                                   tcp_output_fn output, void *out_arg,
                                   const struct tcp_app_ops *app, void *app_arg, int socket)
{
    (void)cfg, (void)pool, (void)output, (void)out_arg, (void)app, (void)app_arg, (void)socket;
    return calloc(1, sizeof(struct tcp_stack));
}

void tcp_stack_destroy(struct tcp_stack *ts)
{
    free(ts);
}

int tcp_listen(struct tcp_stack *ts, uint32_t addr, uint16_t port)
{
    (void)ts, (void)addr, (void)port;
    return 0;
}

void tcp_input(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr,
               uint16_t len)
{
    (void)saddr, (void)daddr, (void)len;
    ts->st.bad_segments++;
    rte_pktmbuf_free(m);
}

void tcp_poll(struct tcp_stack *ts, uint64_t now_us)
{
    (void)ts, (void)now_us;
}

void tcp_conn_output(struct tcp_conn *tc)
{
    (void)tc;
}

void tcp_conn_recv_resume(struct tcp_conn *tc)
{
    (void)tc;
}

void tcp_conn_close(struct tcp_conn *tc)
{
    (void)tc;
}

void tcp_conn_abort(struct tcp_conn *tc)
{
    (void)tc;
}

void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
                    uint16_t *rport)
{
    (void)tc;
    *laddr = *raddr = 0;
    *lport = *rport = 0;
}

const struct tcp_stats *tcp_stats(const struct tcp_stack *ts)
{
    return &ts->st;
}
