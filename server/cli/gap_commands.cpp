// covgap gaps / gap ID / export: the gaps of the latest analysis, as a ranked table, one gap in
// full, or a GIS file.
#include <cstdio>
#include <fstream>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"
#include "server/cli/analysis_options.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kGapsHelp = R"(Usage: covgap [--server HOST:PORT] gaps [options]

Lists the gaps of the latest analysis in the province's order (the order to clear them in):
`rank` 1, 2, 3 ... over every operator and technology, one row per place: a common gap (no
operator covers it) names the operators whose own gaps lie inside it ("common: viettel,vnpt")
instead of listing the place again. With --operator OP it is that operator's to-do list,
numbered 1, 2, 3 ... (#): the common gaps first, then OP's own gaps, each by score; `rank` stays
the province's (docs/gaps.md "Ranking"). The evidence column says what
a gap rests on (measured, predicted or mixed: docs/prediction.md) and p_good the mean probability
that its cells are good (0 for measured gaps); --json has every field.

Options:
  --operator OP          the to-do list of OP: common gaps plus OP's own gaps
  --only-own             with --operator: OP's own gaps only, without the common gaps
  --tech T               LTE, UMTS, GSM or NR (4G, 3G, 2G, 5G work too)
  --district NAME        full name or without the prefix: "Huyện Lục Ngạn" or "Lục Ngạn"
  --kind operator|common operator gaps, or common gaps (no operator covers the area)
  --status S             open, planned, cleared, awaiting_measurement, verified
  --min-score X          only gaps scoring at least X
  --order rank|todo|score|area  rank: the province's list, one row per place (default);
                         todo: the to-do list (default with --operator); score and area:
                         every gap, common and operator gaps apart
  --limit N              at most N gaps (default 20; 0 = all)
  --json                 print one JSON document
)";

const char* const kGapHelp = R"(Usage: covgap [--server HOST:PORT] gap GAP_ID [--json]

Prints every attribute of one gap of the latest analysis, with its outline as WKT in the
analysis CRS (--json: as a JSON document).

The gap's life cycle (docs/gaps.md "Life cycle and verification"; a wrong use of one of
these prints its own help):
  covgap gap plan GAP_ID --action TEXT --target YYYY-MM-DD     operator: file a plan
  covgap gap clear GAP_ID [--note TEXT] [--date YYYY-MM-DD[THH:MM]]  operator: mark it cleared
  covgap gap reopen GAP_ID --reason TEXT                      authority: back to open
  covgap gap history GAP_ID [--json]                          its events, oldest first
)";

const char* const kExportHelp =
    R"(Usage: covgap [--server HOST:PORT] export --format F -o PATH [options]

Writes the gaps of the latest analysis to a GIS file (docs/exports.md): one layer "gaps" with
kind/operator/tech columns and the attributes of docs/domain.md "Gap attributes".

Options:
  --format shp|gpkg|geojson|csv|kml|tif   shp is a .zip with .shp .shx .dbf .prj .cpg; tif is
                         a coverage raster (below)
  -o, --output PATH      the file to write
  --crs CRS              output CRS (default EPSG:4326; e.g. EPSG:32648, EPSG:9214 VN-2000)
  the filters of `covgap gaps` (--operator, --tech, --district, --kind, --status, --min-score)

Coverage rasters (--format tif, docs/prediction.md "Rasters"): one operator and technology's
predicted coverage, computed now from the stored measurements and sites, as a Cloud-Optimised
GeoTIFF (tiled, DEFLATE, overviews, nodata -9999 / 0) at the analysis cell size:
  --layer L              rsrp (dBm), sigma (dB), p_good (0…1, the default) or class
                         (1 dead, 2 weak, 3 good)
  --operator OP --tech T required (an operator's token: its own operator)
  --crs CRS              the raster's CRS (default EPSG:32648)
  the analysis options of `covgap analyse` (--method, --cell-size, --threshold, --window-days…)
)";

namespace {

const std::vector<std::string> kFilterFlags = {"operator", "tech",   "district",
                                               "kind",     "status", "min-score"};

// Fills the filter from the flags; returns an error sentence or "".
std::string ParseFilter(const Args& args, v1::GapFilter& f) {
  f.set_operator_id(args.Get("operator"));
  if (args.Has("tech")) {
    auto tech = geo::ParseTechnology(args.Get("tech"));
    if (!tech) return "--tech must be LTE, UMTS, GSM or NR, not '" + args.Get("tech") + "'";
    f.set_tech(api::ToProto(*tech));
  }
  if (args.Has("kind")) {
    auto kind = geo::ParseGapKind(args.Get("kind"));
    if (!kind) return "--kind must be operator or common, not '" + args.Get("kind") + "'";
    f.set_kind(api::ToProto(*kind));
  }
  f.set_district(args.Get("district"));
  f.set_status(args.Get("status"));
  if (args.Has("min-score")) {
    const std::string text = args.Get("min-score");
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) {
      return "--min-score must be a number, not '" + text + "'";
    }
    f.set_min_score(v);
  }
  return "";
}

std::string TechName(v1::Technology t) {
  auto tech = api::FromProto(t);
  return tech ? std::string(geo::ToString(*tech)) : "?";
}

// A gap stored before the prediction existed has no evidence text: it is measured (binned).
std::string Evidence(const v1::Gap& g) { return g.evidence().empty() ? "measured" : g.evidence(); }

void GapJson(JsonWriter& j, const v1::Gap& g) {
  j.BeginObject();
  j.Key("gap_id").String(g.gap_id()).Key("operator").String(g.operator_id());
  j.Key("tech").String(TechName(g.tech()));
  j.Key("kind").String(g.kind() == v1::COMMON ? "common" : "operator");
  j.Key("severity").Number(g.severity()).Key("area_m2").Number(g.area_m2());
  j.Key("n_cells").Number(g.n_cells()).Key("n_dead_cells").Number(g.n_dead_cells());
  j.Key("n_samples").Number(g.n_samples());
  j.Key("median_dbm").Number(g.median_dbm()).Key("min_dbm").Number(std::int64_t{g.min_dbm()});
  j.Key("province").String(g.province()).Key("district").String(g.district());
  j.Key("commune").String(g.commune()).Key("schools").Number(g.schools());
  j.Key("stud_nodev").Number(g.stud_nodev()).Key("poor_hh").Number(g.poor_hh());
  j.Key("npoor_hh").Number(g.npoor_hh()).Key("score").Number(g.score());
  j.Key("rank").Number(g.rank()).Key("grp_rank").Number(g.grp_rank());
  j.Key("common_id").String(g.common_id()).Key("contains").String(g.contains());
  j.Key("status").String(g.status()).Key("plan").String(g.plan());
  j.Key("target_dt").String(g.has_target_unix_ms() ? geo::FormatDate(g.target_unix_ms()) : "");
  j.Key("analysed").String(geo::FormatIso8601(g.analysed_unix_ms()));
  j.Key("cleared").String(g.has_cleared_unix_ms() ? geo::FormatIso8601(g.cleared_unix_ms()) : "");
  j.Key("status_note").String(g.status_note());
  j.Key("evidence").String(Evidence(g)).Key("p_good").Number(g.p_good());
  j.Key("meas_share").Number(g.meas_share()).Key("crs").String(g.crs());
  j.EndObject();
}

std::string Short(const std::string& s, std::size_t n) {
  // Cut on a UTF-8 character boundary.
  if (s.size() <= n) return s;
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

// printf pads by bytes; Vietnamese names need padding by characters.
std::string Pad(const std::string& s, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

}  // namespace

int RunGaps(const GlobalOptions& options, const Args& args) {
  std::vector<std::string> known = kFilterFlags;
  known.insert(known.end(), {"order", "limit", "json", "only-own"});
  if (int e = ArgumentError("gaps", args, known); e) return e;
  v1::ListGapsRequest request;
  if (std::string e = ParseFilter(args, *request.mutable_filter()); !e.empty()) {
    return UsageError("gaps", e);
  }
  const bool todo = request.filter().operator_id().size() > 0 && !args.Has("only-own");
  request.mutable_filter()->set_include_common(todo);
  const std::string order = args.Get("order", todo ? "todo" : "rank");
  if (order == "todo") {
    request.set_order(v1::GAP_ORDER_TODO);
  } else if (order == "rank") {
    request.set_order(v1::GAP_ORDER_RANK);
  } else if (order == "area") {
    request.set_order(v1::GAP_ORDER_AREA);
  } else if (order != "score") {
    return UsageError("gaps", "--order must be rank, todo, score or area, not '" + order + "'");
  }
  // One row per place where the common gaps are listed with the operator gaps inside them.
  const bool common_listed = request.filter().operator_id().empty() || todo;
  request.mutable_filter()->set_grouped((order == "rank" || order == "todo") && common_listed);
  const auto parsed_limit = ParseInteger(args.Get("limit", "20"), 0, 100'000'000);
  if (!parsed_limit) {
    return UsageError("gaps",
                      "--limit must be a whole number (0: all), not '" + args.Get("limit") + "'");
  }
  const long limit = static_cast<long>(*parsed_limit);
  const bool json = options.json || args.Has("json");
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapService::NewStub(channel);
  std::vector<v1::Gap> gaps;
  std::uint64_t total = 0;
  do {
    request.set_page_size(limit > 0 ? static_cast<std::uint32_t>(std::min<long>(
                                          10000, limit - static_cast<long>(gaps.size())))
                                    : 10000);
    grpc::ClientContext context;
    Authorize(context, options);
    v1::ListGapsResponse response;
    const grpc::Status status = stub->ListGaps(&context, request, &response);
    if (!status.ok()) return RpcError("gaps", status, options);
    total = response.total();
    for (auto& g : *response.mutable_gaps()) gaps.push_back(std::move(g));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && (limit <= 0 || static_cast<long>(gaps.size()) < limit));

  if (json) {
    JsonWriter j;
    j.BeginObject().Key("total").Number(total).Key("gaps").BeginArray();
    for (const auto& g : gaps) GapJson(j, g);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%-4s %-5s %-26s %-22s %-5s %-22s %9s %5s %8s %7s %-9s %6s %8s\n", "#", "rank", "gap",
              "operator", "tech", "district", "area km2", "dead", "students", "schools", "evidence",
              "p_good", "score");
  bool any_grouped = false;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    const v1::Gap& g = gaps[i];
    std::string who = g.operator_id();
    if (g.kind() == v1::COMMON) {
      who = g.contains().empty() ? "common" : "common: " + g.contains();
      any_grouped = any_grouped || !g.contains().empty();
    }
    std::printf("%-4zu %-5lld %-26s %-22s %-5s %s %9.2f %4.0f%% %8lld %7lld %-9s %6.2f %8.1f\n",
                i + 1, static_cast<long long>(g.rank()), Short(g.gap_id(), 26).c_str(),
                Short(who, 22).c_str(), TechName(g.tech()).c_str(),
                Pad(Short(g.district(), 40), 22).c_str(), g.area_m2() / 1e6, g.severity() * 100,
                static_cast<long long>(g.stud_nodev()), static_cast<long long>(g.schools()),
                Evidence(g).c_str(), g.p_good(), g.score());
  }
  if (any_grouped) {
    std::printf(
        "common: no operator covers the place; the operators named have their own gap there,\n"
        "listed in this row (covgap gap ID shows which)\n");
  }
  std::printf("%zu of %s gaps shown\n", gaps.size(), Thousands(total).c_str());
  return kExitOk;
}

int RunGap(const GlobalOptions& options, const Args& args) {
  if (!args.positional().empty() && IsGapLifecycleVerb(args.positional()[0])) {
    return RunGapLifecycle(options, args);
  }
  if (int e = ArgumentError("gap", args, {"json"}, 1); e) return e;
  if (args.positional().empty()) {
    return UsageError("gap", "name one GAP_ID (the gap column of covgap gaps)");
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::GetGapRequest request;
  request.set_gap_id(args.positional()[0]);
  v1::Gap gap;
  const grpc::Status status = stub->GetGap(&context, request, &gap);
  if (!status.ok()) return RpcError("gap", status, options);
  JsonWriter j;
  GapJson(j, gap);
  if (options.json || args.Has("json")) {
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("gap %s (%s %s, %s gap)\n", gap.gap_id().c_str(),
              gap.kind() == v1::COMMON ? "all operators" : gap.operator_id().c_str(),
              TechName(gap.tech()).c_str(), gap.kind() == v1::COMMON ? "common" : "operator");
  std::printf("  where      %s, %s, %s\n", gap.commune().c_str(), gap.district().c_str(),
              gap.province().c_str());
  std::printf("  size       %.0f m2 in %lld cells, %.0f%% dead\n", gap.area_m2(),
              static_cast<long long>(gap.n_cells()), gap.severity() * 100);
  std::printf("  signal     median %.1f dBm, min %d dBm over %lld samples\n", gap.median_dbm(),
              gap.min_dbm(), static_cast<long long>(gap.n_samples()));
  std::printf("  evidence   %s: p_good %.2f, %.0f%% of the cells measured\n", Evidence(gap).c_str(),
              gap.p_good(), gap.meas_share() * 100);
  std::printf(
      "  people     %lld schools, %lld students without a device, %lld poor and %lld "
      "near-poor households\n",
      static_cast<long long>(gap.schools()), static_cast<long long>(gap.stud_nodev()),
      static_cast<long long>(gap.poor_hh()), static_cast<long long>(gap.npoor_hh()));
  std::printf("  rank       %lld in the province, %lld of %s %s (score %.2f)\n",
              static_cast<long long>(gap.rank()), static_cast<long long>(gap.grp_rank()),
              gap.kind() == v1::COMMON ? "the common gaps" : gap.operator_id().c_str(),
              TechName(gap.tech()).c_str(), gap.score());
  if (!gap.common_id().empty()) {
    std::printf("  place      wholly inside common gap %s: one row with it\n",
                gap.common_id().c_str());
  }
  if (!gap.contains().empty()) {
    std::printf("  place      holds the own gaps of %s: one row with them\n",
                gap.contains().c_str());
  }
  std::printf("  status     %s%s%s\n", gap.status().c_str(),
              gap.plan().empty() ? "" : (", plan: " + gap.plan()).c_str(),
              gap.has_target_unix_ms()
                  ? (", target " + geo::FormatDate(gap.target_unix_ms())).c_str()
                  : "");
  if (gap.has_cleared_unix_ms()) {
    std::printf("  cleared    %s\n", geo::FormatIso8601(gap.cleared_unix_ms()).c_str());
  }
  if (!gap.status_note().empty()) std::printf("  note       %s\n", gap.status_note().c_str());
  std::printf("  analysed   %s, geometry in %s (%zu bytes of WKB)\n",
              geo::FormatIso8601(gap.analysed_unix_ms()).c_str(), gap.crs().c_str(),
              gap.wkb().size());
  return kExitOk;
}

int RunExport(const GlobalOptions& options, const Args& args) {
  std::vector<std::string> known = kFilterFlags;
  known.insert(known.end(), {"format", "o", "output", "crs", "json"});
  const std::string output = args.Get("o", args.Get("output"));
  if ((args.Get("format") == "tif" || args.Get("format") == "tiff") && !output.empty()) {
    if (std::string bad = args.Unknown(
            AnalysisOptionNames({"format", "o", "output", "json", "layer", "operator", "tech"}));
        !bad.empty()) {
      return UsageError("export", bad + " is not an option of --format tif");
    }
    return RunRasterExport(options, args, output);
  }
  if (int e = ArgumentError("export", args, known); e) return e;
  if (output.empty() || !args.Has("format")) {
    return UsageError("export", "give --format shp|gpkg|geojson|csv|kml|tif and -o PATH");
  }
  v1::ExportGapsRequest request;
  if (std::string e = ParseFilter(args, *request.mutable_filter()); !e.empty()) {
    return UsageError("export", e);
  }
  request.set_format(args.Get("format"));
  request.set_crs(args.Get("crs"));
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  auto reader = stub->ExportGaps(&context, request);
  std::uint64_t bytes = 0;
  if (int rc = ReceiveFile(*reader, output, "export", options, bytes); rc != kExitOk) return rc;
  if (options.json || args.Has("json")) {
    JsonWriter j;
    j.BeginObject().Key("path").String(output).Key("bytes").Number(bytes).EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("wrote %s (%s bytes, %s, %s)\n", output.c_str(), Thousands(bytes).c_str(),
                request.format().c_str(),
                request.crs().empty() ? "EPSG:4326" : request.crs().c_str());
  }
  return kExitOk;
}

}  // namespace covgap::cli
