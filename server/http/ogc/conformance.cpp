#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {

HttpResponse Conformance(OgcContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.access, request, Rpc::kListGaps);
  if (!caller.ok()) return ErrorResponse(caller.status());
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  static constexpr const char* kClasses[] = {
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
      "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
      "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
  };
  geo::JsonWriter j;
  j.BeginObject().Key("conformsTo").BeginArray();
  for (const char* c : kClasses) j.String(c);
  j.EndArray().EndObject();
  return Json(j.str());
}

}  // namespace covgap::server::http::ogc
