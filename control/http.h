/*
 * http.h - the HTTP server of dpcache-control (libmicrohttpd, a thread per connection,
 * bounded by http-max-connections, idle connections closed after http-timeout seconds):
 *
 *   GET  /metrics                     Prometheus text format (metrics.h)      open
 *   GET  /healthz, /health            200 "ok" while the process runs         open
 *   GET  /readyz                      200 when attached, not loading, ports up; else 503
 *   GET  /v1/info                     state and the data plane's INFO (JSON)  admin
 *   POST /v1/snapshot[?wait=1]        take a snapshot (202, or 200/500 with wait)   admin
 *   GET  /v1/snapshots[?verify=1]     the snapshot generations (JSON); verify: structure,
 *                                     CRC64 and duplicate keys                admin
 *   PUT  /v1/config  {"name": "maxmemory", "value": "1gb"} or {"maxmemory": "1gb", ...}
 *                                     CONFIG SET on the data plane            admin
 *   POST /v1/shutdown                 final snapshot, then the data plane exits   admin
 * /admin/info, /admin/snapshot, /admin/snapshots, /admin/config (POST or PUT) and
 * /admin/shutdown are the same endpoints. Front mode (ctl_front.h; 404 when off):
 *   GET    /v1/front/backends             the XDP front's service and backends (JSON)  admin
 *   POST   /v1/front/backends             add one: {"addr", "mac", "base_port", "cores",
 *                                         "weight", "egress"} (201; 409 if it exists)   admin
 *   POST   /v1/front/backends/<id>/drain  no new flows to it; established ones stay      admin
 *   DELETE /v1/front/backends/<id>        out of the Maglev and slot tables, freed       admin
 * <id>: the backend's IPv4 address or its index.
 *
 * Admin endpoints need "Authorization: Bearer <token>" (401 otherwise; 403 when no token is
 * configured). Bodies over http-body-limit get 413, unknown paths 404, other methods 405 with
 * Allow, malformed JSON 400.
 */
#ifndef CTL_HTTP_H
#define CTL_HTTP_H

struct ctl_config;

/* http_start: listen and serve. Returns 0, or -1 with a message in @err. */
int http_start(const struct ctl_config *cfg, const char *token, char *err, unsigned errlen);
void http_stop(void);

#endif
