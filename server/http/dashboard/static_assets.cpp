// `/` and `/dashboard/...`: the page and its files, from the binary (assets.h). `/` is shared with
// the OGC API: a browser (Accept text/html first, no `f`) gets the dashboard; f=json, f=html and
// every client preferring JSON (QGIS, GDAL, curl) get the OGC landing page, which needs a token.
// The files themselves are public (no data in them): the page reads its token from `?token=`.
// A Content-Security-Policy allows this server only: nothing is fetched from anywhere else.
#include "server/http/dashboard/assets.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_status.h"
#include "server/http/ogc/documents.h"

namespace covgap::server::http::dashboard {
namespace {

constexpr char kPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

HttpResponse Serve(const EmbeddedAsset& asset) {
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.Set("Cache-Control", "no-cache");
  r.Set("X-Content-Type-Options", "nosniff");
  r.Set("Content-Security-Policy", kPolicy);
  r.Set("Referrer-Policy", "no-referrer");  // the URL may carry ?token=
  return r;
}

HttpResponse Index() {
  const EmbeddedAsset* index = FindAsset("index.html");
  if (index == nullptr) return ErrorResponse(Internal("the dashboard was built without its page"));
  HttpResponse r = Serve(*index);
  r.Set("Vary", "Accept");
  return r;
}

}  // namespace

HttpResponse Root(DashboardContext& ctx, const HttpRequest& request) {
  if (!request.Param("f")) {
    auto html = ogc::WantsHtml(request);
    if (html.ok() && *html) return Index();
  }
  HttpResponse landing = ogc::Landing(ctx.ogc, request);
  landing.Set("Vary", "Accept");
  return landing;
}

HttpResponse Asset(DashboardContext& ctx, const HttpRequest& request) {
  (void)ctx;
  if (request.path_params.empty()) return Index();
  const std::string& name = request.path_params.front();
  const EmbeddedAsset* asset = FindAsset(name);
  if (asset == nullptr) return ErrorResponse(NotFound("no dashboard file '" + name + "'"));
  return Serve(*asset);
}

}  // namespace covgap::server::http::dashboard
