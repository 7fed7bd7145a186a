// What every feature-API document shares: links (absolute, carrying the request's `token`
// parameter along so that clients following them stay signed in), the choice between JSON and
// HTML, the check of query parameters and small HTML pages.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geo/base/html_escape.h"
#include "geo/base/json_writer.h"
#include "geo/base/status.h"
#include "server/http/http_types.h"

namespace covgap::server::http::ogc {

inline constexpr std::string_view kGeoJson = "application/geo+json";
inline constexpr std::string_view kOpenApi = "application/vnd.oai.openapi+json;version=3.0";

struct Link {
  std::string href;
  std::string rel;
  std::string type;
  std::string title;
};

void WriteLinks(geo::JsonWriter& json, const std::vector<Link>& links);

// `path` on this server with `query` (already encoded pairs) and the request's own `token`
// parameter when it had one: absolute.
std::string Href(const HttpRequest& request, std::string_view path,
                 const std::vector<std::pair<std::string, std::string>>& query = {});
std::string UrlEncode(std::string_view text);
using geo::HtmlEscape;

// f=html, f=json; without f, HTML when the client prefers text/html (a browser).
// InvalidArgument for another f.
StatusOr<bool> WantsHtml(const HttpRequest& request);
// InvalidArgument naming the first query parameter not in `allowed` (`f` and `token` are always
// allowed): OGC API - Features asks servers to refuse parameters they do not know.
Status CheckParams(const HttpRequest& request, std::initializer_list<std::string_view> allowed);

HttpResponse Json(std::string body, std::string_view type = "application/json");
// A page with a title, the body (already HTML) and the JSON alternate's link.
HttpResponse Html(std::string_view title, std::string_view body_html, std::string_view json_href);

}  // namespace covgap::server::http::ogc
