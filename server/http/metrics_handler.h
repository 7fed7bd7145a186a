// GET /metrics: covgapd's metrics in the Prometheus text format (server/metrics.h;
// docs/web.md "Metrics"). A scraper authenticates like any client (a viewer token is enough:
// `authorization: {credentials: cgp_…}` in prometheus.yml); the gauges read from the store are
// refreshed on each scrape.
#pragma once

#include "server/access_control.h"
#include "server/http/http_types.h"
#include "server/metrics.h"
#include "server/store/store.h"

namespace covgap::server::http {

Route MetricsRoute(Metrics& metrics, store::Store& store, const AccessControl& access);

}  // namespace covgap::server::http
