#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/crs.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {
namespace {

struct Param {
  const char* name;
  const char* in;  // query | path
  const char* type;
  const char* description;
  bool required = false;
};

// Every query parameter is declared: GDAL's OAPIF driver sends an attribute filter to the server
// only when the API definition declares a parameter of that name.
const Param kCollectionId = {"collectionId", "path", "string",
                             "gaps, gaps-<operator>-<tech>, "
                             "gaps-common-<tech>, schools or districts",
                             true};
const Param kFeatureId = {"featureId", "path", "string", "gap id, school id or district code",
                          true};
const Param kF = {"f", "query", "string", "json (default for programs) or html"};
const Param kToken = {"token", "query", "string",
                      "access token, when the client cannot send an Authorization header"};
const Param kItems[] = {
    {"limit", "query", "integer", "features per page: 1 to 10000, default 100"},
    {"offset", "query", "integer", "features to skip (next links carry it)"},
    {"bbox", "query", "string", "minx,miny,maxx,maxy in bbox-crs (default CRS84)"},
    {"bbox-crs", "query", "string", "the CRS of bbox (a URI of /collections/{id} crs)"},
    {"crs", "query", "string", "the CRS of the geometries returned (Content-Crs says it)"},
    {"datetime", "query", "string",
     "target_dt: a date, an RFC 3339 date-time or an interval (a/b, ../b, a/..)"},
    {"operator", "query", "string", "gaps of this operator (viettel, vnpt, mobifone)"},
    {"tech", "query", "string", "LTE or UMTS"},
    {"district", "query", "string", "district name, with or without its prefix"},
    {"status", "query", "string", "open, planned, cleared, awaiting_measurement or verified"},
    {"min_score", "query", "number", "gaps with score >= this"},
};

void WriteParam(geo::JsonWriter& j, const Param& p) {
  j.BeginObject()
      .Key("name")
      .String(p.name)
      .Key("in")
      .String(p.in)
      .Key("required")
      .Bool(p.required)
      .Key("description")
      .String(p.description)
      .Key("schema")
      .BeginObject()
      .Key("type")
      .String(p.type)
      .EndObject();
  if (std::string_view(p.in) == "query") j.Key("style").String("form").Key("explode").Bool(false);
  j.EndObject();
}

void WritePath(geo::JsonWriter& j, const char* path, const char* summary, const char* type,
               std::initializer_list<const Param*> params, bool items = false) {
  j.Key(path).BeginObject().Key("get").BeginObject();
  j.Key("summary").String(summary);
  j.Key("parameters").BeginArray();
  for (const Param* p : params) WriteParam(j, *p);
  if (items) {
    for (const Param& p : kItems) WriteParam(j, p);
  }
  WriteParam(j, kF);
  WriteParam(j, kToken);
  j.EndArray();
  j.Key("responses").BeginObject().Key("200").BeginObject().Key("description").String("ok");
  j.Key("content")
      .BeginObject()
      .Key(type)
      .BeginObject()
      .EndObject()
      .Key("text/html")
      .BeginObject()
      .EndObject()
      .EndObject();
  j.EndObject();
  for (const char* code : {"400", "401", "403", "404"}) {
    j.Key(code).BeginObject().Key("description").String("an OGC exception document").EndObject();
  }
  j.EndObject().EndObject().EndObject();
}

}  // namespace

HttpResponse OpenApi(OgcContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.access, request, Rpc::kListGaps);
  if (!caller.ok()) return ErrorResponse(caller.status());
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  geo::JsonWriter j;
  j.BeginObject().Key("openapi").String("3.0.3");
  j.Key("info").BeginObject().Key("title").String(ctx.title).Key("version").String("1.0.0");
  j.Key("description")
      .String(
          "covgap's feature API (docs/web.md). Tokens: Authorization: Bearer, "
          "HTTP Basic with the token as the password, or ?token=.");
  j.EndObject();
  j.Key("servers")
      .BeginArray()
      .BeginObject()
      .Key("url")
      .String(request.base_url)
      .EndObject()
      .EndArray();
  j.Key("components").BeginObject().Key("securitySchemes").BeginObject();
  j.Key("bearer")
      .BeginObject()
      .Key("type")
      .String("http")
      .Key("scheme")
      .String("bearer")
      .EndObject();
  j.Key("basic").BeginObject().Key("type").String("http").Key("scheme").String("basic").EndObject();
  j.EndObject().EndObject();
  j.Key("security").BeginArray();
  for (const char* scheme : {"bearer", "basic"}) {
    j.BeginObject().Key(scheme).BeginArray().EndArray().EndObject();
  }
  j.EndArray();
  j.Key("paths").BeginObject();
  WritePath(j, "/", "landing page", "application/json", {});
  WritePath(j, "/conformance", "conformance classes", "application/json", {});
  WritePath(j, "/api", "this document", std::string(kOpenApi).c_str(), {});
  WritePath(j, "/collections", "the feature collections", "application/json", {});
  WritePath(j, "/collections/{collectionId}", "one collection", "application/json",
            {&kCollectionId});
  WritePath(j, "/collections/{collectionId}/queryables", "the properties to filter on",
            "application/schema+json", {&kCollectionId});
  WritePath(j, "/collections/{collectionId}/items", "the features, paged", "application/geo+json",
            {&kCollectionId}, /*items=*/true);
  WritePath(j, "/collections/{collectionId}/items/{featureId}", "one feature",
            "application/geo+json", {&kCollectionId, &kFeatureId, &kItems[4]});
  j.EndObject().EndObject();
  return Json(j.str(), kOpenApi);
}

}  // namespace covgap::server::http::ogc
