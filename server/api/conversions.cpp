#include "server/api/conversions.h"

#include <cmath>
#include <string>

#include "geo/spatial/gdal_handles.h"

namespace covgap::api {

v1::Technology ToProto(geo::Technology tech) {
  switch (tech) {
    case geo::Technology::kGsm:
      return v1::GSM;
    case geo::Technology::kUmts:
      return v1::UMTS;
    case geo::Technology::kLte:
      return v1::LTE;
    case geo::Technology::kNr:
      return v1::NR;
  }
  return v1::TECHNOLOGY_UNSPECIFIED;
}

v1::Source ToProto(geo::Source source) {
  switch (source) {
    case geo::Source::kDrive:
      return v1::DRIVE;
    case geo::Source::kCrowd:
      return v1::CROWD;
    case geo::Source::kMdt:
      return v1::MDT;
    case geo::Source::kUnspecified:
      break;
  }
  return v1::SOURCE_UNSPECIFIED;
}

std::optional<geo::Technology> FromProto(v1::Technology tech) {
  switch (tech) {
    case v1::GSM:
      return geo::Technology::kGsm;
    case v1::UMTS:
      return geo::Technology::kUmts;
    case v1::LTE:
      return geo::Technology::kLte;
    case v1::NR:
      return geo::Technology::kNr;
    default:
      return std::nullopt;
  }
}

void ToProto(const geo::Measurement& m, v1::Measurement& out) {
  out.set_operator_id(m.operator_id);
  out.set_tech(ToProto(m.tech));
  out.set_lat(m.lat);
  out.set_lon(m.lon);
  out.set_signal_dbm(m.signal_dbm);
  out.set_time_unix_ms(m.time_ms);
  out.set_source(ToProto(m.source));
  if (!m.device_id.empty()) out.set_device_id(m.device_id);
  if (!std::isnan(m.accuracy_m)) out.set_accuracy_m(m.accuracy_m);
  if (!std::isnan(m.quality_db)) out.set_quality_db(m.quality_db);
  if (!std::isnan(m.sinr_db)) out.set_sinr_db(m.sinr_db);
  if (!std::isnan(m.dl_kbps)) out.set_dl_kbps(m.dl_kbps);
}

std::optional<geo::Rejection> FromProto(const v1::Measurement& in, geo::Measurement& out) {
  auto tech = FromProto(in.tech());
  if (!tech) {
    return geo::Rejection{"unknown_technology", "technology is unspecified or unknown"};
  }
  switch (in.source()) {
    case v1::SOURCE_UNSPECIFIED:
      out.source = geo::Source::kUnspecified;
      break;
    case v1::DRIVE:
      out.source = geo::Source::kDrive;
      break;
    case v1::CROWD:
      out.source = geo::Source::kCrowd;
      break;
    case v1::MDT:
      out.source = geo::Source::kMdt;
      break;
    default:
      return geo::Rejection{"unknown_source", "source is not drive, crowd or mdt"};
  }
  out.operator_id = in.operator_id();
  out.tech = *tech;
  out.lat = in.lat();
  out.lon = in.lon();
  out.signal_dbm = in.signal_dbm();
  out.time_ms = in.time_unix_ms();
  out.device_id = in.device_id();
  out.accuracy_m = in.has_accuracy_m() ? in.accuracy_m() : geo::kAbsent;
  out.quality_db = in.has_quality_db() ? in.quality_db() : geo::kAbsent;
  out.sinr_db = in.has_sinr_db() ? in.sinr_db() : geo::kAbsent;
  out.dl_kbps = in.has_dl_kbps() ? in.dl_kbps() : geo::kAbsent;
  return std::nullopt;
}

void ToProto(const store::StoreStats& stats, v1::Stats& out) {
  for (const auto& c : stats.counts) {
    auto* row = out.add_counts();
    row->set_operator_id(c.operator_id);
    row->set_tech(ToProto(c.tech));
    row->set_count(c.count);
    row->set_first_time_unix_ms(c.first_time_ms);
    row->set_last_time_unix_ms(c.last_time_ms);
  }
  out.set_total(stats.total);
  out.set_batches(stats.batches);
}

void ToProto(std::string_view role, const std::string& operator_id, const std::string& token_id,
             const store::TokenRecord* token, const std::vector<std::string>& allowed_rpcs,
             v1::WhoAmIResponse& out) {
  out.set_role(std::string(role));
  out.set_operator_id(operator_id);
  if (!token_id.empty()) out.set_token_id("tok_" + token_id);
  if (token != nullptr) {
    out.set_label(token->label);
    out.set_created_unix_ms(token->created_ms);
  }
  for (const auto& rpc : allowed_rpcs) out.add_allowed_rpcs(rpc);
}

void ToProto(const store::RegistryCounts& counts, bool with_households, v1::RegistryStats& out) {
  out.set_provinces(counts.provinces);
  out.set_districts(counts.districts);
  out.set_communes(counts.communes);
  out.set_schools(counts.schools);
  if (with_households) out.set_households(counts.households);
  for (const auto& [group, n] : counts.sites) {
    auto* row = out.add_sites();
    row->set_operator_id(group.first);
    row->set_tech(ToProto(group.second));
    row->set_count(n);
  }
  for (const auto& op : counts.operators) out.add_operators(op);
}

void ToProto(const geo::AdminArea& a, v1::Area& out) {
  out.set_level(static_cast<v1::AreaLevel>(a.level));
  out.set_code(a.code);
  out.set_name(a.name);
  out.set_wkb(a.wkb);
}

std::optional<geo::Rejection> FromProto(const v1::Area& in, geo::AdminArea& out) {
  if (in.level() < v1::PROVINCE || in.level() > v1::COMMUNE) {
    return geo::Rejection{"unknown_level", "area level must be province, district or commune"};
  }
  if (in.name().empty() || in.code().empty()) {
    return geo::Rejection{"missing_value", "an area needs a code and a name"};
  }
  if (in.wkb().size() < 9) return geo::Rejection{"empty_geometry", "the area has no geometry"};
  out.level = static_cast<geo::AreaLevel>(in.level());
  out.code = in.code();
  out.name = in.name();
  out.wkb = in.wkb();
  return std::nullopt;
}

void ToProto(const geo::School& s, v1::School& out) {
  out.set_school_id(s.school_id);
  out.set_name(s.name);
  out.set_level(std::string(geo::ToString(s.level)));
  out.set_district(s.district);
  out.set_commune(s.commune);
  out.set_lat(s.lat);
  out.set_lon(s.lon);
  out.set_students(s.students);
  out.set_students_nodev(s.students_nodev);
}

std::optional<geo::Rejection> FromProto(const v1::School& in, const geo::Region& region,
                                        geo::School& out) {
  if (in.school_id().empty()) return geo::Rejection{"missing_value", "school_id is empty"};
  auto level = geo::ParseSchoolLevel(in.level());
  if (!level) {
    return geo::Rejection{"unknown_level",
                          "level '" + in.level() +
                              "' is not primary, lower_secondary, upper_secondary or "
                              "continuing_ed"};
  }
  if (in.students() < 0 || in.students_nodev() < 0) {
    return geo::Rejection{"negative_count", "student counts must not be negative"};
  }
  if (auto r = geo::CheckPosition(region, in.lat(), in.lon())) return r;
  out.school_id = in.school_id();
  out.name = in.name();
  out.level = *level;
  out.district = in.district();
  out.commune = in.commune();
  out.lat = in.lat();
  out.lon = in.lon();
  out.students = in.students();
  out.students_nodev = in.students_nodev();
  return std::nullopt;
}

void ToProto(const geo::Household& h, v1::Household& out) {
  out.set_household_id(h.household_id);
  out.set_category(std::string(geo::ToString(h.category)));
  out.set_lat(h.lat);
  out.set_lon(h.lon);
  out.set_students_nodev(h.students_nodev);
  out.set_district(h.district);
  out.set_commune(h.commune);
}

std::optional<geo::Rejection> FromProto(const v1::Household& in, const geo::Region& region,
                                        geo::Household& out) {
  if (in.household_id().empty()) return geo::Rejection{"missing_value", "household_id is empty"};
  auto category = geo::ParseHouseholdCategory(in.category());
  if (!category) {
    return geo::Rejection{"unknown_category",
                          "category '" + in.category() +
                              "' is not poor, near_poor, covid_orphan or other_difficulty"};
  }
  if (in.students_nodev() < 0) {
    return geo::Rejection{"negative_count", "students_nodev must not be negative"};
  }
  if (auto r = geo::CheckPosition(region, in.lat(), in.lon())) return r;
  out.household_id = in.household_id();
  out.category = *category;
  out.lat = in.lat();
  out.lon = in.lon();
  out.students_nodev = in.students_nodev();
  out.district = in.district();
  out.commune = in.commune();
  return std::nullopt;
}

void ToProto(const geo::Site& s, v1::Site& out) {
  out.set_site_id(s.site_id);
  out.set_operator_id(s.operator_id);
  out.set_tech(ToProto(s.tech));
  out.set_lat(s.lat);
  out.set_lon(s.lon);
  out.set_height_m(s.height_m);
  if (s.azimuth_deg) out.set_azimuth_deg(*s.azimuth_deg);
  if (s.beamwidth_deg) out.set_beamwidth_deg(*s.beamwidth_deg);
  out.set_band_mhz(s.band_mhz);
  out.set_eirp_dbm(s.eirp_dbm);
}

v1::GapKind ToProto(geo::GapKind kind) {
  return kind == geo::GapKind::kCommon ? v1::COMMON : v1::OPERATOR;
}

std::optional<geo::GapKind> FromProto(v1::GapKind kind) {
  if (kind == v1::OPERATOR) return geo::GapKind::kOperator;
  if (kind == v1::COMMON) return geo::GapKind::kCommon;
  return std::nullopt;
}

void ToProto(const geo::Gap& g, bool with_geometry, v1::Gap& out) {
  out.set_gap_id(g.gap_id);
  out.set_operator_id(g.operator_id);
  out.set_tech(ToProto(g.tech));
  out.set_kind(ToProto(g.kind));
  out.set_severity(g.severity);
  out.set_area_m2(g.area_m2);
  out.set_n_cells(g.n_cells);
  out.set_n_dead_cells(g.n_dead_cells);
  out.set_n_samples(g.n_samples);
  out.set_median_dbm(g.median_dbm);
  out.set_min_dbm(g.min_dbm);
  out.set_province(g.province);
  out.set_district(g.district);
  out.set_commune(g.commune);
  out.set_schools(g.schools);
  out.set_stud_nodev(g.students_nodev);
  out.set_poor_hh(g.poor_hh);
  out.set_npoor_hh(g.npoor_hh);
  out.set_score(g.score);
  out.set_rank(g.rank);
  out.set_grp_rank(g.grp_rank);
  out.set_common_id(g.common_id);
  out.set_contains(g.contains);
  out.set_status(g.status);
  out.set_plan(g.plan);
  if (g.target_ms) out.set_target_unix_ms(*g.target_ms);
  if (g.cleared_ms) out.set_cleared_unix_ms(*g.cleared_ms);
  out.set_status_note(g.status_note);
  out.set_analysed_unix_ms(g.analysed_ms);
  out.set_crs(g.crs);
  if (with_geometry) out.set_wkb(g.wkb);
  out.set_evidence(std::string(geo::ToString(g.evidence)));
  out.set_p_good(g.p_good);
  out.set_meas_share(g.meas_share);
}

store::GapQuery FromProto(const v1::GapFilter& f) {
  store::GapQuery q;
  q.operator_id = f.operator_id();
  q.tech = FromProto(f.tech());
  q.kind = FromProto(f.kind());
  q.district = f.district();
  q.status = f.status();
  if (f.has_min_score()) q.min_score = f.min_score();
  q.include_common = f.include_common();
  q.grouped = f.grouped();
  return q;
}

StatusOr<geo::AnalysisParams> FromProto(const v1::RunAnalysisRequest& in, std::int64_t now_ms) {
  geo::AnalysisParams p;
  if (!in.method().empty()) {
    const auto method = geo::ParseAnalysisMethod(in.method());
    if (!method) {
      return InvalidArgument("unknown analysis method '" + in.method() +
                             "' (available: binned, the reference method; predicted; hybrid)");
    }
    p.method = *method;
  }
  if (in.has_cell_size_m()) p.cell_size_m = in.cell_size_m();
  if (in.has_min_samples()) p.min_samples = in.min_samples();
  if (in.has_min_area_m2()) p.min_area_m2 = in.min_area_m2();
  if (!in.analysis_crs().empty()) p.analysis_crs = in.analysis_crs();
  if (in.has_window_days()) p.window_days = in.window_days();
  if (in.has_tile_cells()) p.tile_cells = in.tile_cells();
  p.as_of_ms = in.has_as_of_unix_ms() ? in.as_of_unix_ms() : now_ms;
  if (!(p.cell_size_m >= 1 && p.cell_size_m <= 100000)) {
    return InvalidArgument("cell size must be between 1 and 100000 m");
  }
  if (p.min_samples < 1) return InvalidArgument("min samples must be at least 1");
  if (p.window_days < 0) return InvalidArgument("the evidence window cannot be negative");
  if (p.tile_cells < 0 || p.tile_cells > (1 << 24)) {
    return InvalidArgument("tile cells must be between 0 (one piece) and 16777216, not " +
                           std::to_string(p.tile_cells));
  }
  if (!(p.min_area_m2 >= 0) || !std::isfinite(p.min_area_m2)) {
    return InvalidArgument("min area must be a number of square metres, 0 or more");
  }
  if (Status s = geo::CheckProjectedMetricCrs(p.analysis_crs); !s.ok()) return s;
  for (const auto& t : in.thresholds()) {
    auto tech = FromProto(t.tech());
    if (!tech) return InvalidArgument("a threshold names no technology");
    if (t.dead_dbm() > t.good_dbm()) {
      return InvalidArgument("the dead threshold of " + std::string(geo::ToString(*tech)) +
                             " must not be above its good threshold");
    }
    p.thresholds[*tech] = {t.good_dbm(), t.dead_dbm()};
  }
  return p;
}

void ToProto(const geo::SchoolCoverage& c, v1::SchoolCoverage& out) {
  out.set_operator_id(c.operator_id);
  out.set_tech(ToProto(c.tech));
  out.set_indoor_class(std::string(geo::ToString(c.indoor_class)));
  out.set_samples(c.samples);
  if (!std::isnan(c.median_dbm)) out.set_median_dbm(c.median_dbm);
  if (c.nearest_good_m) out.set_nearest_good_m(*c.nearest_good_m);
  if (c.predicted_dbm) out.set_predicted_dbm(*c.predicted_dbm);
  if (c.sigma_db) out.set_sigma_db(*c.sigma_db);
  if (c.p_good_indoor) out.set_p_good_indoor(*c.p_good_indoor);
}

void ToProto(const store::GapEvent& e, v1::GapEvent& out) {
  out.set_event_id(e.event_id);
  out.set_time_unix_ms(e.time_ms);
  out.set_gap_id(e.gap_id);
  out.set_type(e.type);
  out.set_from_status(e.from_status);
  out.set_to_status(e.to_status);
  out.set_actor(e.actor);
  out.set_note(e.note);
  out.set_operator_id(e.operator_id);
  out.set_tech(ToProto(e.tech));
  out.set_kind(ToProto(e.kind));
  out.set_district(e.district);
}

void ToProto(const geo::prediction::ModelSummary& m, v1::PredictionModel& out) {
  out.set_operator_id(m.operator_id);
  out.set_tech(ToProto(m.tech));
  out.set_sites(m.sites);
  out.set_fit_points(m.fit_points);
  out.set_calibrated(m.calibrated);
  out.set_intercept_db(m.intercept_db);
  out.set_slope_db(m.slope_db);
  out.set_sites_with_offset(m.sites_with_offset);
  out.set_residual_sd_db(m.residual_sd_db);
  out.set_variogram_nugget(m.variogram.nugget);
  out.set_variogram_sill(m.variogram.partial_sill);
  out.set_variogram_range_m(m.variogram.range_m);
}

void ToProto(const geo::prediction::ValidationMetrics& m, v1::ValidationMetrics& out) {
  out.set_cells(m.cells);
  out.set_rmse_db(m.rmse_db);
  out.set_bias_db(m.bias_db);
  out.set_within_1sigma(m.within_1sigma);
  out.set_within_2sigma(m.within_2sigma);
  out.set_dead_measured(m.dead_measured);
  out.set_dead_predicted(m.dead_predicted);
  out.set_dead_hit(m.dead_hit);
  out.set_notgood_measured(m.notgood_measured);
  out.set_notgood_predicted(m.notgood_predicted);
  out.set_notgood_hit(m.notgood_hit);
}

void ToProto(const geo::prediction::GroupValidation& g, v1::GroupValidation& out) {
  out.set_operator_id(g.operator_id);
  out.set_tech(ToProto(g.tech));
  out.set_sites(g.sites);
  out.set_held_out_cells(g.held_out_cells);
  ToProto(g.model, *out.mutable_model());
  ToProto(g.baseline, *out.mutable_baseline());
}

void ToProto(const geo::prediction::Waypoint& w, v1::Waypoint& out) {
  out.set_order(static_cast<std::uint32_t>(w.order));
  out.set_kind(w.kind);
  out.set_id(w.id);
  out.set_name(w.name);
  out.set_tech(ToProto(w.tech));
  out.set_lon(w.lon);
  out.set_lat(w.lat);
  out.set_district(w.district);
  out.set_commune(w.commune);
  out.set_p_good(w.p_good);
  out.set_sigma_db(w.sigma_db);
  out.set_predicted_dbm(w.predicted_dbm);
  out.set_students_nodev(w.students_nodev);
  out.set_households(w.households);
  out.set_weight(w.weight);
  out.set_leg_km(w.leg_km);
  out.set_route_km(w.route_km);
}

void ToProto(const geo::prediction::ValidationReport& report, v1::ValidateResponse& out) {
  for (const auto& g : report.groups) ToProto(g, *out.add_groups());
  out.set_folds(report.options.folds);
  out.set_block_km(report.options.block_km);
  out.set_method(std::string(geo::ToString(report.method)));
  out.set_measurements(report.measurements);
  out.set_seconds(report.seconds);
}

void ToProto(const geo::prediction::CampaignPlan& plan, v1::CampaignResponse& out) {
  out.set_operator_id(plan.operator_id);
  for (const auto& w : plan.waypoints) ToProto(w, *out.add_waypoints());
  out.set_candidates(plan.candidates);
  out.set_route_km(plan.route_km);
}

StatusOr<geo::prediction::ValidationOptions> FromProto(const v1::ValidateRequest& in) {
  geo::prediction::ValidationOptions o;
  if (in.folds() != 0) o.folds = in.folds();
  if (in.block_km() != 0) o.block_km = in.block_km();
  if (o.folds < 2 || o.folds > 20) {
    return InvalidArgument("--folds " + std::to_string(o.folds) + " is not between 2 and 20");
  }
  if (!(o.block_km > 0) || o.block_km > 100) {
    return InvalidArgument("--block-km must be over 0 and at most 100 km");
  }
  return o;
}

StatusOr<geo::prediction::CampaignOptions> FromProto(const v1::CampaignRequest& in) {
  geo::prediction::CampaignOptions o;
  if (in.budget_km() != 0) o.budget_km = in.budget_km();
  if (in.max_waypoints() != 0) o.max_waypoints = in.max_waypoints();
  if (in.min_spacing_m() != 0) o.min_spacing_m = in.min_spacing_m();
  if (!(o.budget_km > 0) || o.budget_km > 10000) {
    return InvalidArgument("--budget-km must be over 0 and at most 10000 km");
  }
  if (o.max_waypoints > 2000) return InvalidArgument("--max-waypoints is at most 2000");
  if (!(o.min_spacing_m >= 0) || o.min_spacing_m > 50000) {
    return InvalidArgument("--min-spacing must be between 0 and 50000 m");
  }
  return o;
}

void ToProto(const store::AnalysisRun& run, std::string_view method, std::int64_t as_of_ms,
             v1::AnalysisRunInfo& out) {
  out.set_run_id(run.run_id);
  out.set_started_unix_ms(run.started_ms);
  out.set_finished_unix_ms(run.finished_ms);
  out.set_measurements(run.measurements);
  out.set_gaps(run.gaps);
  out.set_params_json(run.params_json);
  out.set_summary_json(run.summary_json);
  out.set_method(std::string(method));
  out.set_as_of_unix_ms(as_of_ms);
}

void ToProto(const store::AnalysisRun& run, const geo::AnalysisParams& params,
             const geo::AnalysisResult& result, v1::AnalysisRunInfo& out) {
  ToProto(run, geo::ToString(params.method), params.as_of_ms, out);
  for (const auto& m : result.models) ToProto(m, *out.add_models());
  for (const auto& g : result.grids) {
    auto* grid = out.add_grids();
    grid->set_operator_id(g.operator_id);
    grid->set_tech(ToProto(g.tech));
    grid->set_samples(g.samples);
    grid->set_good_cells(g.good);
    grid->set_weak_cells(g.weak);
    grid->set_dead_cells(g.dead);
    grid->set_unmeasured_cells(g.unmeasured);
    grid->set_gaps(g.gaps);
  }
  for (const auto& s : result.stages) {
    auto* stage = out.add_stages();
    stage->set_stage(s.stage);
    stage->set_seconds(s.seconds);
  }
}

void ToProto(const geo::IngestReport& report, v1::IngestSummary& out) {
  out.set_accepted(report.accepted);
  out.set_rejected(report.rejected);
  out.set_duplicate(report.duplicate);
  for (const auto& b : report.batches) {
    v1::BatchResult* batch = out.add_batches();
    batch->set_batch_id(b.batch_id);
    if (b.duplicate > 0) {
      batch->set_duplicate(b.duplicate);
    } else {
      batch->set_accepted(b.accepted);
      batch->set_rejected(b.rejected);
    }
  }
  for (const auto& r : report.rejections) {
    v1::RejectedRow* row = out.add_rejections();
    row->set_batch_id(r.batch_id);
    row->set_index(r.index);
    row->set_code(r.code);
    row->set_reason(r.reason);
  }
  out.set_rejections_omitted(report.rejections_omitted);
}

importers::ImportOrder FromProto(const v1::ImportSpec& in) {
  importers::ImportOrder out;
  out.kind = in.kind();
  out.level = static_cast<int>(in.level());
  out.name_field = in.name_field();
  out.code_field = in.code_field();
  out.crs = in.crs();
  out.encoding = in.encoding();
  out.columns = in.columns();
  out.main_file = in.main_file();
  return out;
}

void ToProto(const importers::ImportReport& report, v1::ImportReport& out) {
  out.set_kind(report.kind);
  out.set_bytes(report.bytes);
  out.set_rows_read(report.rows_read);
  out.set_inserted(report.inserted);
  out.set_updated(report.updated);
  auto issues = [](const std::vector<importers::RowIssue>& in,
                   google::protobuf::RepeatedPtrField<v1::RowIssue>* to) {
    for (const auto& i : in) {
      v1::RowIssue* r = to->Add();
      r->set_row(i.row);
      r->set_code(i.code);
      r->set_reason(i.reason);
    }
  };
  issues(report.rejections, out.mutable_rejections());
  issues(report.repairs, out.mutable_repairs());
  out.set_rejected(report.rejections.size());
  out.set_repaired(report.repairs.size());
  out.set_format(report.format);
  out.set_layer(report.layer);
  out.set_encoding(report.encoding);
  out.set_encoding_note(report.encoding_note);
  out.set_crs(report.crs);
  out.set_name_field(report.name_field);
  out.set_code_field(report.code_field);
  for (const auto& u : report.columns) {
    v1::ColumnUse* c = out.add_columns();
    c->set_field(u.field);
    c->set_column(u.column);
    c->set_mapped(u.mapped);
  }
}

void ToProto(const geo::SchoolListing& listing, v1::ListSchoolsResponse& out) {
  out.set_run_id(listing.run_id);
  out.set_nearest_good_limit_m(geo::kNearestGoodLimitM);
  out.set_total_schools(listing.total_schools);
  out.set_no_data_schools(listing.no_data_schools);
  out.set_no_data_students(listing.no_data_students);
  out.set_white_zone_schools(listing.white_zone_schools);
  out.set_white_zone_students(listing.white_zone_students);
  out.set_white_zone_students_nodev(listing.white_zone_students_nodev);
  for (const geo::SchoolListingRow& r : listing.rows) {
    v1::SchoolRow* row = out.add_schools();
    ToProto(r.school, *row->mutable_school());
    row->set_white_zone(r.signal == geo::SchoolSignal::kWhiteZone);
    row->set_no_data(r.signal == geo::SchoolSignal::kNoData);
    for (const geo::SchoolCoverage& c : r.coverage) ToProto(c, *row->add_coverage());
  }
}

void ToProto(const store::TokenRecord& token, const std::string& secret_text,
             v1::CreateTokenResponse& out) {
  ToProto(token, *out.mutable_token());
  out.set_secret_token(secret_text);
}

void ToProto(const importers::RowsImport& result, v1::ImportSummary& out) {
  out.set_received(result.received);
  for (const importers::RowIssue& issue : result.rejections) {
    auto* r = out.add_rejections();
    r->set_row(issue.row);
    r->set_code(issue.code);
    r->set_reason(issue.reason);
  }
  out.set_rejected(static_cast<std::uint64_t>(result.rejections.size()));
  out.set_inserted(result.inserted);
  out.set_updated(result.updated);
}

void ToProto(std::string_view stage, double fraction, v1::AnalysisProgress& out) {
  out.set_stage(std::string(stage));
  out.set_fraction(fraction);
}

void ToStoredProgress(const store::AnalysisRun& run, const geo::AnalysisParams& params,
                      const geo::AnalysisResult& result, v1::AnalysisProgress& out) {
  ToProto("stored", 1.0, out);
  ToProto(run, params, result, *out.mutable_run());
}

void ToProto(const std::vector<geo::Gap>& gaps, std::uint64_t total, const store::GapQuery& query,
             v1::ListGapsResponse& out) {
  for (const auto& g : gaps) ToProto(g, query.with_geometry, *out.add_gaps());
  out.set_total(total);
  const std::uint64_t next = query.offset + gaps.size();
  if (next < total) out.set_next_page_token(std::to_string(next));
}

void ToProto(const store::TokenRecord& t, v1::Token& out) {
  out.set_token_id(t.token_id);
  out.set_role(t.role);
  out.set_operator_id(t.operator_id);
  out.set_label(t.label);
  out.set_created_by(t.created_by);
  out.set_created_unix_ms(t.created_ms);
  if (t.revoked_ms) out.set_revoked_unix_ms(*t.revoked_ms);
  if (t.expires_ms) out.set_expires_unix_ms(*t.expires_ms);
}

void ToProto(const store::AuditEntry& e, v1::AuditEntry& out) {
  out.set_id(e.id);
  out.set_time_unix_ms(e.time_ms);
  out.set_actor(e.actor);
  out.set_action(e.action);
  out.set_target(e.target);
  out.set_details_json(e.details);
}

void ToProto(const geo::VerificationOutcome& o, v1::GapVerification& out) {
  out.set_gap_id(o.gap_id);
  out.set_previous_status(o.previous_status);
  out.set_status(o.new_status);
  out.set_area_km2(o.result.area_km2);
  out.set_samples(o.result.samples);
  out.set_needed(o.result.needed);
  out.set_measured_cells(o.result.measured_cells);
  out.set_good_cells(o.result.good_cells);
  out.set_good_percent(o.result.good_percent);
  out.set_cleared_unix_ms(o.result.cleared_ms);
  out.set_reason(o.result.reason);
  out.set_samples_per_km2(o.result.rule.samples_per_km2);
  out.set_min_good_percent(o.result.rule.min_good_percent);
}

}  // namespace covgap::api
