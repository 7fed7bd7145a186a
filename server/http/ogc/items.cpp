#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

#include "geo/base/numbers.h"
#include "geo/base/time_format.h"
#include "server/http/http_auth.h"
#include "server/http/http_status.h"
#include "server/http/ogc/crs.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/gap_scope.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {
namespace {

using Box = std::array<double, 4>;  // min x, min y, max x, max y

// What /items was asked for, checked.
struct ItemsQuery {
  std::uint64_t limit = kDefaultLimit;
  std::uint64_t offset = 0;
  OutputCrs crs = DefaultCrs();
  std::optional<Box> bbox;                         // CRS84
  std::optional<std::int64_t> time_from, time_to;  // datetime, inclusive; unset ends are open
  bool has_datetime = false;
  std::string operator_id, tech, district, status;
  std::optional<double> min_score;
  bool html = false;
};

std::optional<double> ParseNumber(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A bbox in `crs` (its own axis order) as a CRS84 box.
StatusOr<Box> ToCrs84(const Box& box, const OutputCrs& crs) {
  if (crs.uri == DefaultCrs().uri) return box;
  if (crs.lat_first) return Box{box[1], box[0], box[3], box[2]};
  // A projected CRS: the corners' polygon, reprojected; its envelope.
  auto encoder = geo::ShapeEncoder::Make("EPSG:4326", false, 9);
  if (!encoder.ok()) return encoder.status();
  std::string wkb;
  auto put32 = [&](std::uint32_t v) { wkb.append(reinterpret_cast<const char*>(&v), 4); };
  auto putd = [&](double v) { wkb.append(reinterpret_cast<const char*>(&v), 8); };
  wkb.push_back(1);  // little endian (x86-64 and arm64)
  put32(3);          // Polygon
  put32(1);
  constexpr int kSteps = 8;  // densified edges: a projected box is curved in lon/lat
  put32(4 * kSteps + 1);
  const double x0 = box[0], y0 = box[1], x1 = box[2], y1 = box[3];
  for (int side = 0; side < 4; ++side) {
    for (int i = 0; i < kSteps; ++i) {
      const double t = static_cast<double>(i) / kSteps;
      const double x = side == 0   ? x0 + t * (x1 - x0)
                       : side == 1 ? x1
                       : side == 2 ? x1 - t * (x1 - x0)
                                   : x0;
      const double y = side == 0   ? y0
                       : side == 1 ? y0 + t * (y1 - y0)
                       : side == 2 ? y1
                                   : y1 - t * (y1 - y0);
      putd(x);
      putd(y);
    }
  }
  putd(x0);
  putd(y0);
  auto shape = encoder->EncodeWkb(wkb, std::string(crs.gdal), "the bbox");
  if (!shape.ok()) return InvalidArgument("bbox: " + shape.status().message());
  return shape->envelope;
}

StatusOr<std::optional<std::int64_t>> ParseInstant(const std::string& text, bool end) {
  if (text.empty() || text == "..") return std::optional<std::int64_t>();
  auto ms = geo::ParseIso8601(text);
  if (!ms) {
    return InvalidArgument("datetime: '" + text +
                           "' is not a date (2021-12-31) or an RFC 3339 date-time");
  }
  // A bare date as the end of an interval covers its whole day.
  if (end && text.size() == 10) *ms += geo::kMsPerDay - 1;
  return std::optional<std::int64_t>(*ms);
}

StatusOr<ItemsQuery> ParseItemsQuery(const HttpRequest& r, CollectionId::Type type) {
  ItemsQuery q;
  auto html = WantsHtml(r);
  if (!html.ok()) return html.status();
  q.html = *html;
  if (auto v = r.Param("limit")) {
    auto n = geo::ParseInteger(*v, 1, std::numeric_limits<long long>::max());
    if (!n) return InvalidArgument("limit must be a whole number of 1 or more, not '" + *v + "'");
    q.limit = std::min<std::uint64_t>(static_cast<std::uint64_t>(*n), kMaxLimit);
  }
  if (auto v = r.Param("offset")) {
    auto n = geo::ParseInteger(*v, 0, std::numeric_limits<long long>::max());
    if (!n) return InvalidArgument("offset must be a whole number of 0 or more, not '" + *v + "'");
    q.offset = static_cast<std::uint64_t>(*n);
  }
  if (auto v = r.Param("crs")) {
    auto crs = FindCrs(*v);
    if (!crs) {
      std::string list;
      for (const OutputCrs& c : SupportedCrs())
        list += (list.empty() ? "" : ", ") + std::string(c.uri);
      return InvalidArgument("crs '" + *v + "' is not served; use one of " + list);
    }
    q.crs = *crs;
  }
  OutputCrs bbox_crs = DefaultCrs();
  if (auto v = r.Param("bbox-crs")) {
    auto crs = FindCrs(*v);
    if (!crs) return InvalidArgument("bbox-crs '" + *v + "' is not served");
    bbox_crs = *crs;
  }
  if (auto v = r.Param("bbox")) {
    std::vector<double> n;
    std::size_t start = 0;
    while (start <= v->size()) {
      const auto comma = v->find(',', start);
      const std::string part =
          v->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto number = ParseNumber(part);
      if (!number)
        return InvalidArgument("bbox must be four numbers minx,miny,maxx,maxy, not '" + *v + "'");
      n.push_back(*number);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (n.size() != 4) {
      return InvalidArgument("bbox must be four numbers minx,miny,maxx,maxy (no heights), not '" +
                             *v + "'");
    }
    if (n[0] > n[2] || n[1] > n[3]) {
      return InvalidArgument("bbox: the minimum corner comes first (minx,miny,maxx,maxy)");
    }
    auto box = ToCrs84({n[0], n[1], n[2], n[3]}, bbox_crs);
    if (!box.ok()) return box.status();
    q.bbox = *box;
  } else if (r.Param("bbox-crs")) {
    return InvalidArgument("bbox-crs without bbox");
  }
  if (auto v = r.Param("datetime")) {
    if (type != CollectionId::Type::kGaps) {
      return InvalidArgument("datetime: this collection has no temporal property");
    }
    q.has_datetime = true;
    const auto slash = v->find('/');
    auto from = ParseInstant(v->substr(0, slash), false);
    if (!from.ok()) return from.status();
    auto to = slash == std::string::npos ? from : ParseInstant(v->substr(slash + 1), true);
    if (!to.ok()) return to.status();
    if (slash == std::string::npos && v->size() == 10 && from.value()) {
      to = std::optional<std::int64_t>(*from.value() + geo::kMsPerDay - 1);  // the whole day
    }
    if (slash != std::string::npos && !from.value() && !to.value() && *v != "../..") {
      return InvalidArgument("datetime: '" + *v + "' is not an interval");
    }
    q.time_from = from.value();
    q.time_to = to.value();
  }
  q.operator_id = r.Param("operator").value_or("");
  q.tech = r.Param("tech").value_or("");
  q.district = r.Param("district").value_or("");
  q.status = r.Param("status").value_or("");
  if (auto v = r.Param("min_score")) {
    q.min_score = ParseNumber(*v);
    if (!q.min_score) return InvalidArgument("min_score must be a number, not '" + *v + "'");
  }
  return q;
}

bool Overlaps(const Box& a, const Box& b) {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

std::vector<std::pair<std::string, std::string>> QueryPairs(const HttpRequest& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : r.params) {
    if (k != "offset" && k != "token" && k != "f") out.emplace_back(k, v);
  }
  return out;
}

// self/alternate/next/prev/collection links of a page.
std::vector<Link> PageLinks(const HttpRequest& r, const std::string& collection,
                            const ItemsQuery& q, std::uint64_t matched, std::uint64_t returned,
                            std::string_view type) {
  auto with = [&](std::optional<std::uint64_t> offset, const char* f) {
    auto pairs = QueryPairs(r);
    if (offset && *offset > 0) pairs.emplace_back("offset", std::to_string(*offset));
    pairs.emplace_back("f", f);
    return Href(r, r.path, pairs);
  };
  const bool html = q.html;
  std::vector<Link> links = {
      {with(q.offset, html ? "html" : "json"), "self", html ? "text/html" : std::string(type), ""},
      {with(q.offset, html ? "json" : "html"), "alternate", html ? std::string(type) : "text/html",
       ""}};
  if (q.offset + returned < matched) {
    links.push_back({with(q.offset + q.limit, html ? "html" : "json"), "next",
                     html ? "text/html" : std::string(type), "next page"});
  }
  if (q.offset > 0) {
    links.push_back({with(q.offset > q.limit ? q.offset - q.limit : 0, html ? "html" : "json"),
                     "prev", html ? "text/html" : std::string(type), "previous page"});
  }
  links.push_back({Href(r, "/collections/" + collection), "collection", "application/json", ""});
  return links;
}

struct Feature {
  const std::string* json = nullptr;  // the whole Feature, serialised (FeatureCache); else:
  std::string id;
  std::string geometry;  // GeoJSON; empty = null
  std::function<void(geo::JsonWriter&)> properties;
  std::vector<std::pair<std::string, std::string>> html_cells;  // name, value
};

HttpResponse FeatureCollection(const HttpRequest& r, const CollectionId& id, const ItemsQuery& q,
                               std::uint64_t matched, const std::vector<Feature>& features) {
  const auto links = PageLinks(r, id.Id(), q, matched, features.size(), kGeoJson);
  HttpResponse out;
  if (q.html) {
    std::string body = "<p>" + std::to_string(features.size()) + " of " + std::to_string(matched) +
                       " features</p><table><tr><th>id</th>";
    if (!features.empty()) {
      for (const auto& [k, v] : features.front().html_cells)
        body += "<th>" + HtmlEscape(k) + "</th>";
    }
    body += "</tr>";
    for (const Feature& f : features) {
      body += "<tr><td><a href=\"" +
              HtmlEscape(Href(r, "/collections/" + id.Id() + "/items/" + UrlEncode(f.id),
                              {{"f", "html"}})) +
              "\">" + HtmlEscape(f.id) + "</a></td>";
      for (const auto& [k, v] : f.html_cells) body += "<td>" + HtmlEscape(v) + "</td>";
      body += "</tr>";
    }
    body += "</table><p>";
    for (const Link& l : links) {
      if (l.rel == "next" || l.rel == "prev") {
        body += "<a href=\"" + HtmlEscape(l.href) + "\">" + HtmlEscape(l.title) + "</a> ";
      }
    }
    body += "</p>";
    out = Html(id.Title(), body, links[1].href);
  } else {
    geo::JsonWriter j;
    j.BeginObject().Key("type").String("FeatureCollection");
    j.Key("numberMatched")
        .Number(matched)
        .Key("numberReturned")
        .Number(static_cast<std::uint64_t>(features.size()));
    j.Key("timeStamp").String(geo::FormatIso8601(geo::NowUnixMs()));
    WriteLinks(j, links);
    j.Key("features").BeginArray();
    for (const Feature& f : features) {
      if (f.json != nullptr) {
        j.Raw(*f.json);
        continue;
      }
      j.BeginObject().Key("type").String("Feature").Key("id").String(f.id).Key("geometry");
      if (!f.geometry.empty()) {
        j.Raw(f.geometry);
      } else {
        j.Null();
      }
      j.Key("properties").BeginObject();
      f.properties(j);
      j.EndObject().EndObject();
    }
    j.EndArray().EndObject();
    out = Json(j.str(), kGeoJson);
  }
  out.Set("Content-Crs", "<" + std::string(q.crs.uri) + ">");
  return out;
}

std::vector<std::pair<std::string, std::string>> GapCells(const geo::Gap& g) {
  char score[32];
  std::snprintf(score, sizeof score, "%.3f", g.score);
  return {{"rank", std::to_string(g.rank)},
          {"kind", std::string(geo::ToString(g.kind))},
          {"operator", g.operator_id},
          {"tech", std::string(geo::ToString(g.tech))},
          {"district", g.district},
          {"commune", g.commune},
          {"status", g.status},
          {"score", score},
          {"stud_nodev", std::to_string(g.students_nodev)}};
}

// The filters the store's query has no column for: the exact operator and datetime.
bool ItemFilterMatches(const geo::Gap& g, const ItemsQuery& q) {
  if (!q.operator_id.empty() && g.operator_id != q.operator_id) return false;
  if (q.has_datetime) {
    if (!g.target_ms) return false;
    if (q.time_from && *g.target_ms < *q.time_from) return false;
    if (q.time_to && *g.target_ms > *q.time_to) return false;
  }
  return true;
}

HttpResponse GapItems(OgcContext& ctx, const HttpRequest& r, const CollectionId& id,
                      const Caller& caller, const ItemsQuery& q,
                      const std::shared_ptr<const GapSnapshot>& snapshot) {
  const GapSnapshot& snap = *snapshot;
  if (snap.run_id == 0) return FeatureCollection(r, id, q, 0, {});
  store::GapQuery sq = ScopeQuery(id, caller, snap.run_id);
  if (!q.tech.empty()) {
    auto tech = geo::ParseTechnology(q.tech);
    if (!tech) {
      return ErrorResponse(InvalidArgument("tech must be LTE or UMTS, not '" + q.tech + "'"));
    }
    if (sq.tech && *sq.tech != *tech) return FeatureCollection(r, id, q, 0, {});
    sq.tech = tech;
  }
  sq.district = q.district;
  sq.status = q.status;
  if (q.min_score) sq.min_score = *q.min_score;
  std::shared_ptr<const ShapeTable> crs84;
  if (q.bbox) {
    auto t = ctx.features.Shapes(snap.run_id, DefaultCrs());
    if (!t.ok()) return ErrorResponse(t.status());
    crs84 = *t;
  }
  auto serialised = ctx.features.Features(snapshot, q.crs);
  if (!serialised.ok()) return ErrorResponse(serialised.status());
  // One pass in rank order: count every match, keep the page's.
  std::uint64_t matched = 0;
  std::vector<Feature> features;
  for (std::size_t i = 0; i < snap.gaps.size(); ++i) {
    const geo::Gap& g = snap.gaps[i];
    if (!GapMatches(sq, g) || !ItemFilterMatches(g, q)) continue;
    if (q.bbox) {
      auto it = crs84->find(g.gap_id);
      if (it == crs84->end() || !Overlaps(it->second.envelope, *q.bbox)) continue;
    }
    if (matched++ < q.offset || features.size() >= q.limit) continue;
    Feature f;
    f.id = g.gap_id;
    f.json = &(*serialised.value())[i];
    if (q.html) f.html_cells = GapCells(g);
    features.push_back(std::move(f));
  }
  return FeatureCollection(r, id, q, matched, features);
}

// The schools (or the one `only` names) as features; the count matched.
StatusOr<std::pair<std::uint64_t, std::vector<Feature>>> SchoolFeatures(OgcContext& ctx,
                                                                        const ItemsQuery& q,
                                                                        const std::string* only) {
  auto schools = ctx.store.Schools();
  if (!schools.ok()) return schools.status();
  auto encoder = geo::ShapeEncoder::Make(std::string(q.crs.gdal), q.crs.lat_first, q.crs.decimals);
  if (!encoder.ok()) return encoder.status();
  std::vector<const geo::School*> kept;
  for (const geo::School& s : *schools) {
    if (only != nullptr && s.school_id != *only) continue;
    if (!q.district.empty() && s.district != q.district &&
        !s.district.ends_with(" " + q.district)) {
      continue;
    }
    if (q.bbox && !Overlaps({s.lon, s.lat, s.lon, s.lat}, *q.bbox)) continue;
    kept.push_back(&s);
  }
  const std::size_t from = std::min<std::size_t>(q.offset, kept.size());
  const std::size_t to = std::min<std::size_t>(from + q.limit, kept.size());
  std::vector<Feature> features;
  for (std::size_t i = from; i < to; ++i) {
    const geo::School s = *kept[i];
    auto shape = encoder->EncodeLonLat(s.lon, s.lat);
    if (!shape.ok()) return shape.status();
    Feature f;
    f.id = s.school_id;
    f.geometry = std::move(shape->geometry_json);
    f.properties = [s](geo::JsonWriter& j) {
      j.Key("school_id").String(s.school_id).Key("name").String(s.name);
      j.Key("level").String(geo::ToString(s.level)).Key("district").String(s.district);
      j.Key("commune").String(s.commune).Key("students").Number(s.students);
      j.Key("stud_nodev").Number(s.students_nodev);
    };
    f.html_cells = {{"name", s.name},
                    {"level", std::string(geo::ToString(s.level))},
                    {"district", s.district},
                    {"students", std::to_string(s.students)},
                    {"stud_nodev", std::to_string(s.students_nodev)}};
    features.push_back(std::move(f));
  }
  return std::make_pair(static_cast<std::uint64_t>(kept.size()), std::move(features));
}

// The district boundaries (or the one `only` names by code) as features; the count matched.
StatusOr<std::pair<std::uint64_t, std::vector<Feature>>> DistrictFeatures(OgcContext& ctx,
                                                                          const ItemsQuery& q,
                                                                          const std::string* only) {
  auto areas = ctx.store.Areas();
  if (!areas.ok()) return areas.status();
  auto encoder = geo::ShapeEncoder::Make(std::string(q.crs.gdal), q.crs.lat_first, q.crs.decimals);
  if (!encoder.ok()) return encoder.status();
  auto crs84 = geo::ShapeEncoder::Make("EPSG:4326", false, 7);
  if (!crs84.ok()) return crs84.status();
  std::vector<const geo::AdminArea*> kept;
  for (const geo::AdminArea& a : *areas) {
    if (a.level != geo::AreaLevel::kDistrict) continue;
    if (only != nullptr && a.code != *only) continue;
    if (q.bbox) {
      auto env = crs84->EncodeWkb(a.wkb, "EPSG:4326", "district " + a.name);
      if (!env.ok()) return env.status();
      if (!Overlaps(env->envelope, *q.bbox)) continue;
    }
    kept.push_back(&a);
  }
  const std::size_t from = std::min<std::size_t>(q.offset, kept.size());
  const std::size_t to = std::min<std::size_t>(from + q.limit, kept.size());
  std::vector<Feature> features;
  for (std::size_t i = from; i < to; ++i) {
    const geo::AdminArea& a = *kept[i];
    auto shape = encoder->EncodeWkb(a.wkb, "EPSG:4326", "district " + a.name);
    if (!shape.ok()) return shape.status();
    Feature f;
    f.id = a.code;
    f.geometry = std::move(shape->geometry_json);
    f.properties = [code = a.code, name = a.name](geo::JsonWriter& j) {
      j.Key("code").String(code).Key("name").String(name);
    };
    f.html_cells = {{"name", a.name}};
    features.push_back(std::move(f));
  }
  return std::make_pair(static_cast<std::uint64_t>(kept.size()), std::move(features));
}

}  // namespace

HttpResponse Items(OgcContext& ctx, const HttpRequest& request) {
  auto opened = OpenCollection(ctx, request);
  if (!opened.ok()) return ErrorResponse(opened.status());
  const auto& [id, caller] = *opened;
  Status params =
      id.type == CollectionId::Type::kGaps
          ? CheckParams(request, {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime",
                                  "operator", "tech", "district", "status", "min_score"})
          : CheckParams(request,
                        {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "district"});
  if (!params.ok()) return ErrorResponse(params);
  auto q = ParseItemsQuery(request, id.type);
  if (!q.ok()) return ErrorResponse(q.status());
  switch (id.type) {
    case CollectionId::Type::kGaps: {
      auto snapshot = ctx.features.Gaps();
      if (!snapshot.ok()) return ErrorResponse(snapshot.status());
      if (q->html) return GapItems(ctx, request, id, caller, *q, *snapshot);
      // The page depends on the collection, what the caller may see, the host (links) and the
      // query (the token too: links carry it).
      std::string key = id.Id() + "\n" + std::string(ToString(caller.role)) + ":" +
                        caller.operator_id + "\n" + request.base_url + "\n";
      for (const auto& [k, v] : request.params) key += k + "=" + v + "&";
      if (auto hit = ctx.features.pages.Find(*snapshot, key)) return *hit;
      return ctx.features.pages.Remember(*snapshot, key,
                                         GapItems(ctx, request, id, caller, *q, *snapshot));
    }
    case CollectionId::Type::kSchools:
    case CollectionId::Type::kDistricts:
      break;
  }
  auto found = id.type == CollectionId::Type::kSchools ? SchoolFeatures(ctx, *q, nullptr)
                                                       : DistrictFeatures(ctx, *q, nullptr);
  if (!found.ok()) return ErrorResponse(found.status());
  if (!q->html) {
    for (Feature& f : found->second) f.html_cells.clear();
  }
  return FeatureCollection(request, id, *q, found->first, found->second);
}

HttpResponse Item(OgcContext& ctx, const HttpRequest& request) {
  auto opened = OpenCollection(ctx, request);
  if (!opened.ok()) return ErrorResponse(opened.status());
  const auto& [id, caller] = *opened;
  if (Status s = CheckParams(request, {"crs"}); !s.ok()) return ErrorResponse(s);
  auto q = ParseItemsQuery(request, id.type);
  if (!q.ok()) return ErrorResponse(q.status());
  const std::string& feature_id = request.path_params.at(1);
  const Status missing = NotFound("no feature '" + feature_id + "' in " + id.Id());
  Feature feature;
  if (id.type == CollectionId::Type::kGaps) {
    auto snapshot = ctx.features.Gaps();
    if (!snapshot.ok()) return ErrorResponse(snapshot.status());
    const GapSnapshot& snap = **snapshot;
    auto gap = std::find_if(snap.gaps.begin(), snap.gaps.end(),
                            [&](const geo::Gap& g) { return g.gap_id == feature_id; });
    if (gap == snap.gaps.end() || !InScope(id, caller, *gap)) return ErrorResponse(missing);
    auto shapes = ctx.features.Shapes(snap.run_id, q->crs);
    if (!shapes.ok()) return ErrorResponse(shapes.status());
    if (auto it = shapes.value()->find(gap->gap_id); it != shapes.value()->end()) {
      feature.geometry = it->second.geometry_json;
    }
    feature.id = gap->gap_id;
    feature.html_cells = GapCells(*gap);
    feature.properties = [g = *gap](geo::JsonWriter& j) { geo::WriteGapProperties(g, j); };
  } else {
    ItemsQuery one = *q;
    one.limit = 1;
    auto found = id.type == CollectionId::Type::kSchools ? SchoolFeatures(ctx, one, &feature_id)
                                                         : DistrictFeatures(ctx, one, &feature_id);
    if (!found.ok()) return ErrorResponse(found.status());
    if (found->second.empty()) return ErrorResponse(missing);
    feature = std::move(found->second.front());
  }
  const std::string self = "/collections/" + id.Id() + "/items/" + UrlEncode(feature.id);
  HttpResponse out;
  if (q->html) {
    std::string body = "<table>";
    for (const auto& [k, v] : feature.html_cells) {
      body += "<tr><th>" + HtmlEscape(k) + "</th><td>" + HtmlEscape(v) + "</td></tr>";
    }
    body += "</table>";
    out = Html(feature.id, body, Href(request, self, {{"f", "json"}}));
  } else {
    geo::JsonWriter j;
    j.BeginObject().Key("type").String("Feature").Key("id").String(feature.id);
    WriteLinks(j,
               {{Href(request, self), "self", std::string(kGeoJson), ""},
                {Href(request, self, {{"f", "html"}}), "alternate", "text/html", ""},
                {Href(request, "/collections/" + id.Id()), "collection", "application/json", ""}});
    j.Key("geometry");
    if (!feature.geometry.empty()) {
      j.Raw(feature.geometry);
    } else {
      j.Null();
    }
    j.Key("properties").BeginObject();
    feature.properties(j);
    j.EndObject().EndObject();
    out = Json(j.str(), kGeoJson);
  }
  out.Set("Content-Crs", "<" + std::string(q->crs.uri) + ">");
  return out;
}

}  // namespace covgap::server::http::ogc
