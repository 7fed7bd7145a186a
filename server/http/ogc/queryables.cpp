#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/gap_scope.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {
namespace {

void Property(geo::JsonWriter& j, const char* name, const char* type, const char* title,
              const char* format = nullptr) {
  j.Key(name).BeginObject().Key("type").String(type).Key("title").String(title);
  if (format != nullptr) j.Key("format").String(format);
  j.EndObject();
}

}  // namespace

HttpResponse Queryables(OgcContext& ctx, const HttpRequest& request) {
  auto opened = OpenCollection(ctx, request);
  if (!opened.ok()) return ErrorResponse(opened.status());
  const CollectionId* id = &opened->first;
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  geo::JsonWriter j;
  j.BeginObject()
      .Key("$schema")
      .String("https://json-schema.org/draft/2019-09/schema")
      .Key("$id")
      .String(Href(request, request.path))
      .Key("type")
      .String("object")
      .Key("title")
      .String(id->Title())
      .Key("properties")
      .BeginObject();
  switch (id->type) {
    case CollectionId::Type::kGaps:
      Property(j, "operator", "string", "operator (viettel, vnpt, mobifone; empty for common)");
      Property(j, "tech", "string", "technology (LTE, UMTS)");
      Property(j, "district", "string", "district, with or without its prefix (Lục Ngạn)");
      Property(j, "status", "string",
               "life cycle: open, planned, cleared, awaiting_measurement, verified");
      Property(j, "score", "number", "ranking score (min_score filters score >= value)");
      Property(j, "target_dt", "string", "the date the operator plans to clear it by", "date");
      j.Key("geometry")
          .BeginObject()
          .Key("$ref")
          .String("https://geojson.org/schema/MultiPolygon.json");
      j.EndObject();
      break;
    case CollectionId::Type::kSchools:
      Property(j, "district", "string", "district");
      j.Key("geometry").BeginObject().Key("$ref").String("https://geojson.org/schema/Point.json");
      j.EndObject();
      break;
    case CollectionId::Type::kDistricts:
      j.Key("geometry")
          .BeginObject()
          .Key("$ref")
          .String("https://geojson.org/schema/MultiPolygon.json");
      j.EndObject();
      break;
  }
  j.EndObject().Key("additionalProperties").Bool(false).EndObject();
  return Json(j.str(), "application/schema+json");
}

}  // namespace covgap::server::http::ogc
