#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {

HttpResponse Landing(OgcContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.access, request, Rpc::kListGaps);
  if (!caller.ok()) return ErrorResponse(caller.status());
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  auto html = WantsHtml(request);
  if (!html.ok()) return ErrorResponse(html.status());
  const std::vector<Link> links = {
      {Href(request, request.path, {{"f", "json"}}), "self", "application/json", "this document"},
      {Href(request, request.path, {{"f", "html"}}), "alternate", "text/html", "as HTML"},
      {Href(request, "/api"), "service-desc", std::string(kOpenApi), "the API definition"},
      {Href(request, "/conformance"), "conformance", "application/json",
       "OGC API conformance classes implemented by this server"},
      {Href(request, "/collections"), "data", "application/json", "the feature collections"},
  };
  if (*html) {
    std::string body = "<p>" + HtmlEscape(caller->Describe()) + "</p><ul>";
    for (const Link& l : links) {
      body += "<li><a href=\"" + HtmlEscape(l.href) + "\">" + HtmlEscape(l.title) + "</a></li>";
    }
    body += "</ul>";
    return Html(ctx.title, body, links[0].href);
  }
  geo::JsonWriter j;
  j.BeginObject()
      .Key("title")
      .String(ctx.title)
      .Key("description")
      .String(
          "Dead zones of 3G/4G coverage found by covgap's latest analysis, with the schools and "
          "districts they concern (OGC API - Features).");
  WriteLinks(j, links);
  j.EndObject();
  return Json(j.str());
}

}  // namespace covgap::server::http::ogc
