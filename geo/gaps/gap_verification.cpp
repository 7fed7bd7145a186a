#include "geo/gaps/gap_verification.h"

#include <cpl_json.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

double Median(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "3" for whole numbers, else "2.5".
std::string Short(double v) {
  return v == std::floor(v) ? Fixed(v, 0) : Fixed(v, v * 10 == std::floor(v * 10) ? 1 : 2);
}

}  // namespace

AnalysisParams AnalysisParamsFromJson(const std::string& json) {
  AnalysisParams p;
  CPLJSONDocument doc;
  if (json.empty() || !doc.LoadMemory(json)) return p;
  const CPLJSONObject root = doc.GetRoot();
  if (const double v = root.GetDouble("cell_size_m", 0); v > 0 && std::isfinite(v)) {
    p.cell_size_m = v;
  }
  if (const double v = root.GetDouble("min_samples", 0); v >= 1 && v < 1e9) {
    p.min_samples = static_cast<int>(v);
  }
  if (const std::string crs = root.GetString("analysis_crs", ""); !crs.empty()) {
    p.analysis_crs = crs;
  }
  if (auto method = ParseAnalysisMethod(root.GetString("method", ""))) p.method = *method;
  if (auto as_of = ParseIso8601(root.GetString("as_of", ""))) p.as_of_ms = *as_of;
  const CPLJSONObject thresholds = root.GetObj("thresholds");
  if (thresholds.IsValid()) {
    for (Technology t : kAllTechnologies) {
      const CPLJSONObject th = thresholds.GetObj(std::string(ToString(t)));
      if (!th.IsValid() || !th.GetObj("good_dbm").IsValid() || !th.GetObj("dead_dbm").IsValid()) {
        continue;
      }
      p.thresholds[t] = Thresholds{th.GetInteger("good_dbm"), th.GetInteger("dead_dbm")};
    }
  }
  return p;
}

StatusOr<VerificationResult> VerifyGap(const Gap& gap, std::int64_t cleared_ms,
                                       const std::vector<VerificationSample>& samples,
                                       const AnalysisParams& params, const VerificationRule& rule) {
  if (!(rule.samples_per_km2 > 0) || !std::isfinite(rule.samples_per_km2)) {
    return InvalidArgument("samples per km² must be a positive number, not " +
                           Short(rule.samples_per_km2));
  }
  if (!(rule.min_good_percent >= 0 && rule.min_good_percent <= 100)) {
    return InvalidArgument("the good-cell percentage must be between 0 and 100, not " +
                           Short(rule.min_good_percent));
  }
  if (!(params.cell_size_m > 0)) return InvalidArgument("the cell size must be positive");
  GeosContext ctx;
  const GeosGeometry shape = GeosWkbReader(ctx.get()).Read(gap.wkb);
  if (!shape) return InvalidArgument("gap " + gap.gap_id + " has no readable geometry");
  double area_m2 = 0;
  GEOSArea_r(ctx.get(), shape.get(), &area_m2);
  const GeosPrepared prepared = Prepare(ctx.get(), shape.get());
  if (!prepared) return Internal("cannot prepare the geometry of gap " + gap.gap_id);

  auto projector = PointProjector::Create(gap.crs.empty() ? params.analysis_crs : gap.crs);
  if (!projector.ok()) return projector.status();

  VerificationResult r;
  r.rule = rule;
  r.cleared_ms = cleared_ms;
  r.area_km2 = area_m2 / 1e6;
  r.needed = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(rule.samples_per_km2 * r.area_km2 - 1e-9)));

  // Samples that count: after the clearance, the gap's technology, its operator (common: any).
  std::vector<const VerificationSample*> kept;
  for (const auto& s : samples) {
    if (s.time_ms <= cleared_ms || s.tech != gap.tech) continue;
    if (gap.kind == GapKind::kOperator && s.operator_id != gap.operator_id) continue;
    kept.push_back(&s);
  }
  std::vector<double> lon(kept.size()), lat(kept.size()), x(kept.size()), y(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    lon[i] = kept[i]->lon;
    lat[i] = kept[i]->lat;
  }
  (*projector)->Project(lon.data(), lat.data(), x.data(), y.data(), kept.size());

  const double s = params.cell_size_m;
  std::map<std::pair<std::int64_t, std::int64_t>, bool> inside;  // cell -> inside the gap
  // cell -> operator -> signals
  std::map<std::pair<std::int64_t, std::int64_t>, std::map<std::string, std::vector<int>>> cells;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const std::pair<std::int64_t, std::int64_t> cell{
        static_cast<std::int64_t>(std::floor(x[i] / s)),
        static_cast<std::int64_t>(std::floor(y[i] / s))};
    auto [it, fresh] = inside.try_emplace(cell, false);
    if (fresh) {
      const GeosGeometry centre = Own(
          ctx.get(),
          GEOSGeom_createPointFromXY_r(ctx.get(), (cell.first + 0.5) * s, (cell.second + 0.5) * s));
      it->second = centre && GEOSPreparedContains_r(ctx.get(), prepared.get(), centre.get()) == 1;
    }
    if (!it->second) continue;
    ++r.samples;
    cells[cell][kept[i]->operator_id].push_back(kept[i]->signal_dbm);
  }
  const Thresholds th = params.ThresholdsFor(gap.tech);
  for (auto& [cell, by_operator] : cells) {
    double best = -1e300;
    for (auto& [op, signals] : by_operator) best = std::max(best, Median(signals));
    ++r.measured_cells;
    if (best >= th.good_dbm) ++r.good_cells;
  }
  r.good_percent = r.measured_cells == 0 ? 0 : 100.0 * r.good_cells / r.measured_cells;

  const std::string after = std::to_string(r.samples) + (r.samples == 1 ? " sample" : " samples") +
                            " after " + FormatDate(cleared_ms);
  const std::string density =
      Short(rule.samples_per_km2) + " per km² over " + Fixed(r.area_km2, 2) + " km²";
  const std::string good = std::to_string(r.good_cells) + " of " +
                           std::to_string(r.measured_cells) + " measured cells good (" +
                           Fixed(r.good_percent, 0) + "%, " + Short(rule.min_good_percent) +
                           "% needed)";
  if (r.samples < r.needed) {
    r.status = GapStatus::kAwaitingMeasurement;
    r.reason = after + ", " + std::to_string(r.needed) + " needed: " + density;
  } else if (r.good_percent >= rule.min_good_percent) {
    r.status = GapStatus::kVerified;
    r.reason = good + " from " + after + " (" + std::to_string(r.needed) + " needed)";
  } else {
    r.status = GapStatus::kOpen;
    r.reason = "not cleared: " + good + " from " + after;
  }
  return r;
}

}  // namespace covgap::geo
