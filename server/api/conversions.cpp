#include "server/api/conversions.h"

#include <cmath>

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

}  // namespace covgap::api
