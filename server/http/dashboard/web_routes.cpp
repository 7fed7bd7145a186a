#include "server/http/dashboard/dashboard.h"

namespace covgap::server::http::dashboard {

std::vector<Route> WebRoutes(DashboardContext& ctx) {
  auto bind = [&ctx](HttpResponse (*f)(DashboardContext&, const HttpRequest&)) {
    return [&ctx, f](const HttpRequest& r) { return f(ctx, r); };
  };
  std::vector<Route> routes = {
      {"/", bind(&Root)},
      {"/dashboard/", bind(&Asset)},
      {"/dashboard/{asset}", bind(&Asset)},
      {"/dashboard/api/me", bind(&Me)},
      {"/dashboard/api/todo", bind(&Todo)},
      {"/dashboard/api/gaps/{gapId}/history", bind(&GapHistory)},
      {"/dashboard/api/schools", bind(&Schools)},
      {"/dashboard/api/progress", bind(&Progress)},
  };
  // The OGC API but its landing page, which Root serves to everything but a browser.
  for (Route& r : ogc::OgcRoutes(ctx.ogc)) {
    if (r.pattern != "/") routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace covgap::server::http::dashboard
