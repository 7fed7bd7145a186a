#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/crs.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/gap_scope.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {
namespace {

// Bắc Giang's extent (CRS84) when nothing narrower is known.
constexpr std::array<double, 4> kProvinceExtent = {105.88, 21.12, 107.03, 21.62};

std::string Description(const CollectionId& id) {
  switch (id.type) {
    case CollectionId::Type::kSchools:
      return "Schools with their students and students without a device (counts only).";
    case CollectionId::Type::kDistricts:
      return "District boundaries of the province.";
    case CollectionId::Type::kGaps:
      break;
  }
  return "Dead zones of the latest analysis: one feature per gap, with the attributes of the "
         "GeoPackage export (docs/exports.md); the temporal property is target_dt, the date the "
         "operator plans to clear the gap by.";
}

// The union of the CRS84 envelopes of the collection's gaps; the province without any.
StatusOr<std::array<double, 4>> Extent(OgcContext& ctx, const CollectionId& id,
                                       const Caller& caller, const GapSnapshot& snapshot) {
  if (id.type != CollectionId::Type::kGaps || snapshot.run_id == 0) return kProvinceExtent;
  auto shapes = ctx.features.Shapes(snapshot.run_id, DefaultCrs());
  if (!shapes.ok()) return shapes.status();
  const store::GapQuery q = ScopeQuery(id, caller, snapshot.run_id);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::array<double, 4> e = {kInf, kInf, -kInf, -kInf};
  for (const geo::Gap& g : snapshot.gaps) {
    if (!GapMatches(q, g)) continue;
    auto it = shapes.value()->find(g.gap_id);
    if (it == shapes.value()->end()) continue;
    const auto& b = it->second.envelope;
    e = {std::min(e[0], b[0]), std::min(e[1], b[1]), std::max(e[2], b[2]), std::max(e[3], b[3])};
  }
  if (!std::isfinite(e[0])) return kProvinceExtent;
  return e;
}

void WriteCollection(const HttpRequest& request, const CollectionId& id,
                     const std::array<double, 4>& extent, geo::JsonWriter& j) {
  const std::string base = "/collections/" + id.Id();
  j.BeginObject()
      .Key("id")
      .String(id.Id())
      .Key("title")
      .String(id.Title())
      .Key("description")
      .String(Description(id))
      .Key("itemType")
      .String("feature");
  WriteLinks(
      j, {{Href(request, base), "self", "application/json", id.Title()},
          {Href(request, base + "/items"), "items", std::string(kGeoJson), "the features"},
          {Href(request, base + "/items", {{"f", "html"}}), "items", "text/html",
           "the features as HTML"},
          {Href(request, base + "/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
           "application/schema+json", "the properties to filter on"}});
  j.Key("extent").BeginObject().Key("spatial").BeginObject().Key("bbox").BeginArray().BeginArray();
  for (double v : extent) j.Number(v);
  j.EndArray()
      .EndArray()
      .Key("crs")
      .String(DefaultCrs().uri)
      .EndObject()
      .Key("temporal")
      .BeginObject()
      .Key("interval")
      .BeginArray()
      .BeginArray()
      .Null()
      .Null()
      .EndArray()
      .EndArray()
      .Key("trs")
      .String("http://www.opengis.net/def/uom/ISO-8601/0/Gregorian")
      .EndObject()
      .EndObject();
  j.Key("crs").BeginArray();
  for (const OutputCrs& crs : SupportedCrs()) j.String(crs.uri);
  j.EndArray();
  j.Key("storageCrs")
      .String(id.type == CollectionId::Type::kGaps ? StorageCrs().uri : DefaultCrs().uri);
  j.EndObject();
}

std::vector<CollectionId> FixedCollections() {
  CollectionId schools;
  schools.type = CollectionId::Type::kSchools;
  CollectionId districts;
  districts.type = CollectionId::Type::kDistricts;
  return {schools, districts};
}

}  // namespace

HttpResponse Collections(OgcContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.access, request, Rpc::kListGaps);
  if (!caller.ok()) return ErrorResponse(caller.status());
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  auto html = WantsHtml(request);
  if (!html.ok()) return ErrorResponse(html.status());
  auto snapshot = ctx.features.Gaps();
  if (!snapshot.ok()) return ErrorResponse(snapshot.status());
  std::vector<CollectionId> ids = GapCollections((*snapshot)->gaps, *caller);
  for (CollectionId& id : FixedCollections()) ids.push_back(std::move(id));
  if (*html) {
    std::string body = "<ul>";
    for (const CollectionId& id : ids) {
      body += "<li><a href=\"" +
              HtmlEscape(Href(request, "/collections/" + id.Id() + "/items", {{"f", "html"}})) +
              "\">" + HtmlEscape(id.Title()) + "</a> (" + HtmlEscape(id.Id()) + ")</li>";
    }
    body += "</ul>";
    return Html("Collections", body, Href(request, "/collections", {{"f", "json"}}));
  }
  geo::JsonWriter j;
  j.BeginObject();
  WriteLinks(j, {{Href(request, "/collections"), "self", "application/json", "the collections"}});
  j.Key("collections").BeginArray();
  for (const CollectionId& id : ids) {
    auto extent = Extent(ctx, id, *caller, **snapshot);
    if (!extent.ok()) return ErrorResponse(extent.status());
    WriteCollection(request, id, *extent, j);
  }
  j.EndArray().EndObject();
  return Json(j.str());
}

HttpResponse Collection(OgcContext& ctx, const HttpRequest& request) {
  auto opened = OpenCollection(ctx, request);
  if (!opened.ok()) return ErrorResponse(opened.status());
  const auto& [id, caller] = *opened;
  if (Status s = CheckParams(request, {}); !s.ok()) return ErrorResponse(s);
  auto snapshot = ctx.features.Gaps();
  if (!snapshot.ok()) return ErrorResponse(snapshot.status());
  auto extent = Extent(ctx, id, caller, **snapshot);
  if (!extent.ok()) return ErrorResponse(extent.status());
  geo::JsonWriter j;
  WriteCollection(request, id, *extent, j);
  return Json(j.str());
}

}  // namespace covgap::server::http::ogc
