// covgapd's browser dashboard (docs/web.md "Dashboard"): the page at `/` for the authority and the
// operators, and the JSON API it reads, one handler per endpoint:
//   /                                   the dashboard for a browser (Accept text/html, no `f`);
//                                       the OGC API landing page otherwise (QGIS, GDAL, f=json,
//                                       f=html) (static_assets.cpp)
//   /dashboard/, /dashboard/{asset}     index.html, app.js, style.css, leaflet.js, leaflet.css:
//                                       embedded in the binary at build time (static_assets.cpp)
//   /dashboard/api/me                   who the token is: role, operator          (me.cpp)
//   /dashboard/api/todo                 the ranked to-do list with each gap's CRS84 bbox;
//                                       filters operator, tech, district          (todo.cpp)
//   /dashboard/api/gaps/{gapId}/history one gap and its life-cycle events         (gap_history.cpp)
//   /dashboard/api/schools              per-school coverage of the latest run     (schools.cpp)
//   /dashboard/api/progress             the figures of `covgap report` against the deadline
//                                                                                 (progress.cpp)
// The map's layers are the OGC API's own collections (districts, gaps). Every API call is
// authenticated with the gRPC tokens and the RPC it mirrors (Rpc::kWhoAmI, kListGaps,
// kGetGapHistory, kListSchools, kBuildReport): the same roles as gRPC, and an operator sees only
// its own and the common gaps. Households never leave: gaps carry counts only.
#pragma once

#include <cstdint>
#include <vector>

#include "server/app/report_inputs.h"
#include "server/http/http_types.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::dashboard {

struct DashboardContext {
  ogc::OgcContext& ogc;           // store, tokens, the geometry cache of the map's layers
  std::int64_t deadline_ms = 0;   // covgapd --deadline (00:00 UTC of the day; 0 = none)
  SchoolCoverageSource coverage;  // the report's per-school records
};

HttpResponse Root(DashboardContext& ctx, const HttpRequest& request);
HttpResponse Asset(DashboardContext& ctx, const HttpRequest& request);
HttpResponse Me(DashboardContext& ctx, const HttpRequest& request);
HttpResponse Todo(DashboardContext& ctx, const HttpRequest& request);
HttpResponse GapHistory(DashboardContext& ctx, const HttpRequest& request);
HttpResponse Schools(DashboardContext& ctx, const HttpRequest& request);
HttpResponse Progress(DashboardContext& ctx, const HttpRequest& request);

// The dashboard's routes and the OGC API's (whose landing page `/` shares with the dashboard):
// what covgapd serves with --http.
std::vector<Route> WebRoutes(DashboardContext& ctx);

}  // namespace covgap::server::http::dashboard
