#include "server/analysis_inputs.h"

#include "geo/base/json_writer.h"
#include "geo/base/time_format.h"

namespace covgap::server {

StatusOr<geo::AnalysisInputs> LoadAnalysisInputs(store::Store& store) {
  geo::AnalysisInputs inputs;
  auto areas = store.Areas();
  if (!areas.ok()) return areas.status();
  auto schools = store.Schools();
  if (!schools.ok()) return schools.status();
  auto households = store.Households();
  if (!households.ok()) return households.status();
  auto sites = store.Sites();
  if (!sites.ok()) return sites.status();
  inputs.areas = std::move(areas.value());
  inputs.schools = std::move(schools.value());
  inputs.households = std::move(households.value());
  inputs.sites = std::move(sites.value());
  return inputs;
}

Status CheckOperator(store::Store& store, const std::string& operator_id) {
  if (operator_id.empty()) return Status::Ok();
  auto operators = store.Operators();
  if (!operators.ok()) return operators.status();
  std::string known;
  for (const std::string& op : operators.value()) {
    if (op == operator_id) return Status::Ok();
    known += (known.empty() ? "" : ", ") + op;
  }
  return InvalidArgument("'" + operator_id + "' is not a registered operator: use one of " + known);
}

StatusOr<store::RegistryCounts> CountRegistry(store::Store& store) {
  auto inputs = LoadAnalysisInputs(store);
  if (!inputs.ok()) return inputs.status();
  auto operators = store.Operators();
  if (!operators.ok()) return operators.status();
  store::RegistryCounts out;
  for (const geo::AdminArea& a : inputs->areas) {
    switch (a.level) {
      case geo::AreaLevel::kProvince:
        ++out.provinces;
        break;
      case geo::AreaLevel::kDistrict:
        ++out.districts;
        break;
      case geo::AreaLevel::kCommune:
        ++out.communes;
        break;
    }
  }
  out.schools = inputs->schools.size();
  out.households = inputs->households.size();
  for (const geo::Site& s : inputs->sites) ++out.sites[{s.operator_id, s.tech}];
  out.operators = std::move(operators.value());
  return out;
}

geo::MeasurementSource StoredMeasurements(store::Store& store, const geo::AnalysisParams& params) {
  store::ScanFilter filter;
  if (params.window_days > 0) {
    filter.from_time_ms = params.as_of_ms - std::int64_t{params.window_days} * geo::kMsPerDay;
  }
  filter.to_time_ms = params.as_of_ms;
  return [&store, filter](const auto& visit) {
    return store.Scan(filter, [&](const store::MeasurementChunk& c) {
      visit(geo::MeasurementBlock{c.operator_id, c.tech, c.columns.lat_e7, c.columns.lon_e7,
                                  c.columns.time_ms, c.columns.signal_dbm});
    });
  };
}

geo::AnalysisMethod DefaultMethod(const geo::AnalysisInputs& inputs,
                                  const geo::AnalysisParams& params) {
  if (inputs.sites.empty() || inputs.areas.empty() || params.tile_cells > 0) {
    return geo::AnalysisMethod::kBinned;
  }
  return geo::AnalysisMethod::kHybrid;
}

std::string ParamsJson(const geo::AnalysisParams& p, const geo::RankingWeights& w) {
  geo::JsonWriter j;
  j.BeginObject();
  j.Key("method").String(geo::ToString(p.method));
  j.Key("cell_size_m").Number(p.cell_size_m);
  j.Key("min_samples").Number(std::int64_t{p.min_samples});
  j.Key("thresholds").BeginObject();
  for (geo::Technology t : geo::kAllTechnologies) {
    const geo::Thresholds th = p.ThresholdsFor(t);
    j.Key(geo::ToString(t)).BeginObject();
    j.Key("good_dbm").Number(std::int64_t{th.good_dbm});
    j.Key("dead_dbm").Number(std::int64_t{th.dead_dbm});
    j.EndObject();
  }
  j.EndObject();
  j.Key("min_area_m2").Number(p.min_area_m2);
  j.Key("analysis_crs").String(p.analysis_crs);
  j.Key("window_days").Number(std::int64_t{p.window_days});
  j.Key("as_of").String(geo::FormatIso8601(p.as_of_ms));
  j.Key("indoor_margin_db").Number(std::int64_t{p.indoor_margin_db});
  j.Key("nearest_good_limit_m").Number(geo::kNearestGoodLimitM);
  j.Key("tile_cells").Number(std::int64_t{p.tile_cells});
  j.Key("ranking_weights").BeginObject();
  for (const auto& [key, field] : geo::RankingWeightKeys()) j.Key(key).Number(w.*field);
  j.EndObject();
  j.EndObject();
  return j.str();
}

std::string SummaryJson(const geo::AnalysisResult& r) {
  geo::JsonWriter j;
  j.BeginObject();
  j.Key("measurements_read").Number(r.grid_stats.measurements_read);
  j.Key("measurements_in_window").Number(r.grid_stats.in_window);
  j.Key("grids").BeginArray();
  for (const auto& g : r.grids) {
    j.BeginObject();
    j.Key("operator").String(g.operator_id.empty() ? "(common)" : g.operator_id);
    j.Key("tech").String(geo::ToString(g.tech));
    j.Key("samples").Number(g.samples);
    j.Key("good").Number(g.good);
    j.Key("weak").Number(g.weak);
    j.Key("dead").Number(g.dead);
    j.Key("unmeasured").Number(g.unmeasured);
    j.Key("gaps").Number(g.gaps);
    j.EndObject();
  }
  j.EndArray();
  j.Key("models").BeginArray();
  for (const auto& m : r.models) {
    j.BeginObject();
    j.Key("operator").String(m.operator_id);
    j.Key("tech").String(geo::ToString(m.tech));
    j.Key("sites").Number(m.sites);
    j.Key("fit_points").Number(m.fit_points);
    j.Key("calibrated").Bool(m.calibrated);
    j.Key("intercept_db").Number(m.intercept_db);
    j.Key("slope_db").Number(m.slope_db);
    j.Key("sites_with_offset").Number(std::uint64_t{m.sites_with_offset});
    j.Key("residual_sd_db").Number(m.residual_sd_db);
    j.Key("within_cell_sd_db").Number(m.within_cell_sd_db);
    j.Key("variogram").BeginObject();
    j.Key("model").String("exponential");
    j.Key("nugget").Number(m.variogram.nugget);
    j.Key("partial_sill").Number(m.variogram.partial_sill);
    j.Key("range_m").Number(m.variogram.range_m);
    j.EndObject();
    j.EndObject();
  }
  j.EndArray();
  j.Key("stages").BeginObject();
  for (const auto& s : r.stages) j.Key(s.stage).Number(s.seconds);
  j.EndObject();
  j.EndObject();
  return j.str();
}

}  // namespace covgap::server
