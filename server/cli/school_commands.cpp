// covgap schools: per-school coverage of the latest analysis (docs/gaps.md "Schools"), as a
// table, JSON or CSV, with the white-zone totals.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "covgap/v1/schools.grpc.pb.h"
#include "geo/base/csv.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kSchoolsHelp = R"(Usage: covgap [--server HOST:PORT] schools [options]

Lists the schools of the registry with the coverage the latest analysis found at each
(docs/gaps.md "Schools"): per technology the best class over the operators at the school's
cell, judged indoors (thresholds + the indoor margin, default 10 dB); the distance to the
nearest cell that is good outdoors (any operator; "-" when none within 20 km); WHITE ZONE when
the school was measured and no operator is good indoors in any technology, NO DATA when no
operator's cell at the school has enough samples to be classed (it needs a drive test). Ends
with the totals: schools, schools in white zones and their students, schools without data.

Options:
  --district NAME   full name or without the prefix: "Huyện Lục Ngạn" or "Lục Ngạn"
  --uncovered       only schools not covered: white zones and schools without data
  --json            one JSON document: every school with each operator and technology's class,
                    median, samples, nearest good distance and, where the cell's class was
                    predicted, predicted_dbm, sigma_db and p_good_indoor
  --csv             CSV on stdout, one row per school
)";

namespace {

struct TechSummary {
  geo::CellClass best = geo::CellClass::kUnmeasured;
  std::optional<double> nearest_m;
};

std::map<geo::Technology, TechSummary> Summarise(const v1::SchoolRow& row) {
  std::map<geo::Technology, TechSummary> out;
  for (const auto& c : row.coverage()) {
    auto tech = api::FromProto(c.tech());
    if (!tech) continue;
    TechSummary& t = out[*tech];
    for (geo::CellClass cls :
         {geo::CellClass::kDead, geo::CellClass::kWeak, geo::CellClass::kGood}) {
      if (geo::ToString(cls) == c.indoor_class() && cls > t.best) t.best = cls;
    }
    if (c.has_nearest_good_m() && (!t.nearest_m || c.nearest_good_m() < *t.nearest_m)) {
      t.nearest_m = c.nearest_good_m();
    }
  }
  return out;
}

std::optional<double> Nearest(const std::map<geo::Technology, TechSummary>& techs) {
  std::optional<double> best;
  for (const auto& [tech, t] : techs) {
    if (t.nearest_m && (!best || *t.nearest_m < *best)) best = t.nearest_m;
  }
  return best;
}

std::string Pad(const std::string& s, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

std::string Cut(const std::string& s, std::size_t chars) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == chars) return s.substr(0, i);
  }
  return s;
}

std::string Distance(std::optional<double> m) {
  if (!m) return "-";
  char text[32];
  if (*m >= 1000) {
    std::snprintf(text, sizeof text, "%.1f km", *m / 1000);
  } else {
    std::snprintf(text, sizeof text, "%.0f m", *m);
  }
  return text;
}

}  // namespace

int RunSchools(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("schools", args, {"district", "uncovered", "json", "csv"}); e) return e;
  const bool json = options.json || args.Has("json");
  const bool csv = args.Has("csv");
  if (json && csv) {
    return UsageError("schools", "choose one of --json and --csv");
  }
  v1::ListSchoolsRequest request;
  request.set_district(args.Get("district"));
  request.set_uncovered_only(args.Has("uncovered"));
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::SchoolService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::ListSchoolsResponse response;
  const grpc::Status status = stub->ListSchools(&context, request, &response);
  if (!status.ok()) return RpcError("schools", status, options);
  std::set<geo::Technology> techs;
  for (const auto& row : response.schools()) {
    for (const auto& c : row.coverage()) {
      if (auto t = api::FromProto(c.tech())) techs.insert(*t);
    }
  }

  if (json) {
    JsonWriter j;
    j.BeginObject().Key("run_id").Number(response.run_id());
    j.Key("nearest_good_limit_m").Number(response.nearest_good_limit_m());
    j.Key("totals").BeginObject().Key("schools").Number(response.total_schools());
    j.Key("white_zone_schools").Number(response.white_zone_schools());
    j.Key("white_zone_students").Number(response.white_zone_students());
    j.Key("white_zone_students_nodev").Number(response.white_zone_students_nodev());
    j.Key("no_data_schools").Number(response.no_data_schools());
    j.Key("no_data_students").Number(response.no_data_students());
    j.EndObject().Key("schools").BeginArray();
    for (const auto& row : response.schools()) {
      const auto& s = row.school();
      j.BeginObject().Key("school_id").String(s.school_id()).Key("name").String(s.name());
      j.Key("level").String(s.level()).Key("district").String(s.district());
      j.Key("commune").String(s.commune()).Key("lat").Number(s.lat()).Key("lon").Number(s.lon());
      j.Key("students").Number(s.students()).Key("students_nodev").Number(s.students_nodev());
      j.Key("white_zone").Bool(row.white_zone()).Key("no_data").Bool(row.no_data());
      j.Key("coverage").BeginArray();
      for (const auto& c : row.coverage()) {
        auto tech = api::FromProto(c.tech());
        j.BeginObject().Key("operator").String(c.operator_id());
        j.Key("tech").String(tech ? geo::ToString(*tech) : "?");
        j.Key("indoor_class").String(c.indoor_class()).Key("samples").Number(c.samples());
        // Absent figures are written as null (the writer's rule for NaN).
        j.Key("median_dbm").Number(c.has_median_dbm() ? c.median_dbm() : std::nan(""));
        j.Key("nearest_good_m").Number(c.has_nearest_good_m() ? c.nearest_good_m() : std::nan(""));
        // The prediction's figures (hybrid and predicted analyses), null for measured cells.
        j.Key("predicted_dbm").Number(c.has_predicted_dbm() ? c.predicted_dbm() : std::nan(""));
        j.Key("sigma_db").Number(c.has_sigma_db() ? c.sigma_db() : std::nan(""));
        j.Key("p_good_indoor").Number(c.has_p_good_indoor() ? c.p_good_indoor() : std::nan(""));
        j.EndObject();
      }
      j.EndArray().EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  if (csv) {
    std::printf("school_id,name,level,district,commune,students,students_nodev,white_zone,no_data");
    for (geo::Technology t : techs) {
      const std::string name(geo::ToString(t));
      std::printf(",%s_class,%s_nearest_good_m", name.c_str(), name.c_str());
    }
    std::printf(",nearest_good_m\n");
    for (const auto& row : response.schools()) {
      const auto& s = row.school();
      const auto summary = Summarise(row);
      std::printf("%s,%s,%s,%s,%s,%lld,%lld,%s,%s", geo::CsvQuote(s.school_id()).c_str(),
                  geo::CsvQuote(s.name()).c_str(), s.level().c_str(),
                  geo::CsvQuote(s.district()).c_str(), geo::CsvQuote(s.commune()).c_str(),
                  static_cast<long long>(s.students()), static_cast<long long>(s.students_nodev()),
                  row.white_zone() ? "yes" : "no", row.no_data() ? "yes" : "no");
      for (geo::Technology t : techs) {
        auto it = summary.find(t);
        const TechSummary ts = it == summary.end() ? TechSummary{} : it->second;
        std::printf(",%s,", std::string(geo::ToString(ts.best)).c_str());
        if (ts.nearest_m) std::printf("%.1f", *ts.nearest_m);
      }
      const auto nearest = Nearest(summary);
      std::printf(",");
      if (nearest) std::printf("%.1f", *nearest);
      std::printf("\n");
    }
    return kExitOk;
  }
  std::printf("%-12s %s %-15s %s %8s %7s", "school", Pad("name", 30).c_str(), "level",
              Pad("district", 18).c_str(), "students", "no dev");
  for (geo::Technology t : techs) std::printf(" %-10s", std::string(geo::ToString(t)).c_str());
  std::printf(" %12s\n", "nearest good");
  for (const auto& row : response.schools()) {
    const auto& s = row.school();
    const auto summary = Summarise(row);
    std::printf("%-12s %s %-15s %s %8lld %7lld", Cut(s.school_id(), 12).c_str(),
                Pad(Cut(s.name(), 30), 30).c_str(), s.level().c_str(),
                Pad(Cut(s.district(), 18), 18).c_str(), static_cast<long long>(s.students()),
                static_cast<long long>(s.students_nodev()));
    for (geo::Technology t : techs) {
      auto it = summary.find(t);
      std::printf(" %-10s",
                  std::string(geo::ToString(it == summary.end() ? geo::CellClass::kUnmeasured
                                                                : it->second.best))
                      .c_str());
    }
    std::printf(" %12s%s\n", Distance(Nearest(summary)).c_str(),
                row.white_zone() ? "  WHITE ZONE" : (row.no_data() ? "  NO DATA" : ""));
  }
  std::printf(
      "%s schools, %s in white zones (no operator good indoors) with %s students, %s of them "
      "without a device; %s without enough samples to tell (analysis %lld)\n",
      Thousands(response.total_schools()).c_str(), Thousands(response.white_zone_schools()).c_str(),
      Thousands(response.white_zone_students()).c_str(),
      Thousands(response.white_zone_students_nodev()).c_str(),
      Thousands(response.no_data_schools()).c_str(), static_cast<long long>(response.run_id()));
  return kExitOk;
}

}  // namespace covgap::cli
