// covgap validate, covgap campaign and covgap export --format tif: the coverage prediction's
// block cross-validation, drive-test campaign and rasters (docs/prediction.md), through covgapd's
// PredictionService.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "covgap/v1/prediction.grpc.pb.h"
#include "geo/base/csv.h"
#include "geo/base/json_writer.h"
#include "geo/model/measurement.h"
#include "importers/measurement_csv.h"
#include "server/api/conversions.h"
#include "server/cli/analysis_options.h"
#include "server/cli/commands.h"

namespace covgap::cli {
namespace {

const std::string kValidateText = R"(Usage: covgap [--server HOST:PORT] validate [options]

Honest validation of the coverage prediction (docs/prediction.md "Validation"): the province is
cut into square blocks, the blocks are dealt into folds, and each fold's measured cells are
predicted from the other folds' measurements and all sites, then compared with what was measured
there. Printed per operator and technology, for the calibrated model and for the same formula
with textbook parameters (the baseline): RMSE and bias (predicted − measured) in dB, the share of
held-out cells inside the predicted ±1σ and ±2σ (calibration: about 68 % and 95 % when σ is
honest), and precision/recall of dead and not-good cells. Nothing is stored.

Options:
  --folds N            folds (default 5; 2 … 20)
  --block-km KM        block side in km (default 2; larger than the residual correlation
                       range keeps folds independent)
  --operator OP        one operator (an operator's token: its own, the default)
  --tech T             one technology
  --json               one JSON document
)" + std::string(kAnalysisOptionsHelp);

const std::string kCampaignText =
    R"(Usage: covgap [--server HOST:PORT] campaign [--operator OP] [options]

Where to measure next (docs/prediction.md "Campaign"): the schools and cells whose predicted
class is most uncertain (P(good) near 0.5), weighted by the students without a device who depend
on them, grouped by commune and ordered along a route (nearest-neighbour tour, straight-line
length within the budget). Households are counted, never listed.

Options:
  --operator OP        the operator whose drive test it is (required for the authority;
                       an operator's token plans its own)
  --tech T             one technology (default every technology of the operator)
  --budget-km KM       straight-line route length (default 150; roads add 20–40 %)
  --max-waypoints N    at most N waypoints (default 150)
  --min-spacing M      waypoints at least M metres apart (default 500)
  --format F           table (default), csv or geojson
  -o, --output PATH    write the plan there instead of stdout (csv, geojson)
  --json               one JSON document
)" + std::string(kAnalysisOptionsHelp);

std::string TechName(v1::Technology t) {
  auto tech = api::FromProto(t);
  return tech ? std::string(geo::ToString(*tech)) : "?";
}

bool ParseNumber(const Args& args, const char* name, const char* command, double& value) {
  if (!args.Has(name)) return true;
  const std::string text = args.Get(name);
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) {
    UsageError(command, std::string("--") + name + " must be a number, not '" + text + "'");
    return false;
  }
  return true;
}

bool ParseScope(const Args& args, const char* command, std::string& op, v1::Technology& tech) {
  op = args.Get("operator");
  tech = v1::TECHNOLOGY_UNSPECIFIED;
  if (args.Has("tech")) {
    auto t = geo::ParseTechnology(args.Get("tech"));
    if (!t) {
      UsageError(command, "--tech must be LTE, UMTS, GSM or NR, not '" + args.Get("tech") + "'");
      return false;
    }
    tech = api::ToProto(*t);
  }
  return true;
}

double Share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void MetricsJson(geo::JsonWriter& j, const v1::ValidationMetrics& m) {
  j.BeginObject().Key("cells").Number(m.cells()).Key("rmse_db").Number(m.rmse_db());
  j.Key("bias_db").Number(m.bias_db()).Key("within_1sigma").Number(m.within_1sigma());
  j.Key("within_2sigma").Number(m.within_2sigma());
  j.Key("dead_precision").Number(Share(m.dead_hit(), m.dead_predicted()));
  j.Key("dead_recall").Number(Share(m.dead_hit(), m.dead_measured()));
  j.Key("notgood_precision").Number(Share(m.notgood_hit(), m.notgood_predicted()));
  j.Key("notgood_recall").Number(Share(m.notgood_hit(), m.notgood_measured()));
  j.Key("dead_measured").Number(m.dead_measured()).Key("dead_predicted").Number(m.dead_predicted());
  j.Key("notgood_measured").Number(m.notgood_measured());
  j.Key("notgood_predicted").Number(m.notgood_predicted()).EndObject();
}

void MetricsRow(const char* label, const v1::ValidationMetrics& m) {
  std::printf("  %-9s %7.2f %7.2f %6.0f%% %6.0f%%   %5.0f%% %5.0f%%   %5.0f%% %5.0f%%\n", label,
              m.rmse_db(), m.bias_db(), 100 * m.within_1sigma(), 100 * m.within_2sigma(),
              100 * Share(m.dead_hit(), m.dead_predicted()),
              100 * Share(m.dead_hit(), m.dead_measured()),
              100 * Share(m.notgood_hit(), m.notgood_predicted()),
              100 * Share(m.notgood_hit(), m.notgood_measured()));
}

}  // namespace

const char* const kValidateHelp = kValidateText.c_str();
const char* const kCampaignHelp = kCampaignText.c_str();

int ReceiveFile(grpc::ClientReader<v1::FileChunk>& reader, const std::string& output,
                const char* command, const GlobalOptions& options, std::uint64_t& bytes) {
  const std::string tmp = output + ".part";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    return InputError(command, "cannot write " + output +
                                   ": its folder does not exist or is not writable; give -o a path "
                                   "in an existing folder");
  }
  v1::FileChunk chunk;
  bytes = 0;
  while (reader.Read(&chunk)) {
    out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    bytes += chunk.data().size();
  }
  out.close();
  const grpc::Status status = reader.Finish();
  if (!status.ok() || !out) {
    std::remove(tmp.c_str());
    if (!status.ok()) return RpcError(command, status, options);
    return InputError(command, "cannot write " + output + " (disk full?); free space and retry");
  }
  std::rename(tmp.c_str(), output.c_str());
  return kExitOk;
}

int RunValidate(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("validate", args,
                            AnalysisOptionNames({"folds", "block-km", "operator", "tech", "json"}));
      e) {
    return e;
  }
  v1::ValidateRequest request;
  if (!ParseAnalysisOptions(args, "validate", *request.mutable_analysis())) return kExitUsage;
  double folds = 0, block_km = 0;
  if (!ParseNumber(args, "folds", "validate", folds) ||
      !ParseNumber(args, "block-km", "validate", block_km)) {
    return kExitUsage;
  }
  request.set_folds(static_cast<int>(folds));
  request.set_block_km(block_km);
  std::string op;
  v1::Technology tech;
  if (!ParseScope(args, "validate", op, tech)) return kExitUsage;
  request.set_operator_id(op);
  request.set_tech(tech);

  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::PredictionService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  if (!options.json && !args.Has("json")) {
    std::fprintf(stderr,
                 "covgap validate: fitting and predicting each fold (a minute for a "
                 "province at 10M measurements)…\n");
  }
  v1::ValidateResponse response;
  const grpc::Status status = stub->Validate(&context, request, &response);
  if (!status.ok()) return RpcError("validate", status, options);
  if (options.json || args.Has("json")) {
    geo::JsonWriter j;
    j.BeginObject().Key("method").String(response.method());
    j.Key("folds")
        .Number(std::int64_t{response.folds()})
        .Key("block_km")
        .Number(response.block_km());
    j.Key("measurements").Number(response.measurements()).Key("seconds").Number(response.seconds());
    j.Key("groups").BeginArray();
    for (const auto& g : response.groups()) {
      j.BeginObject()
          .Key("operator")
          .String(g.operator_id())
          .Key("tech")
          .String(TechName(g.tech()));
      j.Key("sites").Number(g.sites()).Key("held_out_cells").Number(g.held_out_cells());
      j.Key("model");
      MetricsJson(j, g.model());
      j.Key("baseline");
      MetricsJson(j, g.baseline());
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("validation (%s): %d folds of %.3g km blocks, %s measurements, %.1f s\n",
              response.method().c_str(), response.folds(), response.block_km(),
              Thousands(response.measurements()).c_str(), response.seconds());
  std::printf("held-out cells predicted from the other folds; bias = predicted − measured\n");
  for (const auto& g : response.groups()) {
    std::printf("\n%s %s: %s sites, %s held-out cells\n", g.operator_id().c_str(),
                TechName(g.tech()).c_str(), Thousands(g.sites()).c_str(),
                Thousands(g.held_out_cells()).c_str());
    std::printf("  %-9s %7s %7s %s %s   %6s %6s   %6s %6s\n", "", "RMSE dB", "bias dB",
                Column("    ±1σ", 7).c_str(), Column("    ±2σ", 7).c_str(), "dead P", "dead R",
                "weak P", "weak R");
    MetricsRow("model", g.model());
    MetricsRow("textbook", g.baseline());
  }
  std::printf(
      "\n(dead/weak P, R: precision and recall of measured dead and not-good cells; "
      "docs/prediction.md)\n");
  return kExitOk;
}

int RunCampaign(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("campaign", args,
                            AnalysisOptionNames({"operator", "tech", "budget-km", "max-waypoints",
                                                 "min-spacing", "format", "o", "output", "json"}));
      e) {
    return e;
  }
  const bool json = options.json || args.Has("json");
  const std::string format = args.Get("format", "table");
  if (format != "table" && format != "csv" && format != "geojson") {
    return UsageError("campaign", "--format must be table, csv or geojson, not '" + format + "'");
  }
  v1::CampaignRequest request;
  if (!ParseAnalysisOptions(args, "campaign", *request.mutable_analysis())) return kExitUsage;
  double budget = 0, waypoints = 0, spacing = 0;
  if (!ParseNumber(args, "budget-km", "campaign", budget) ||
      !ParseNumber(args, "max-waypoints", "campaign", waypoints) ||
      !ParseNumber(args, "min-spacing", "campaign", spacing)) {
    return kExitUsage;
  }
  if (waypoints < 0) {
    return UsageError("campaign", "--max-waypoints must be positive");
  }
  request.set_budget_km(budget);
  request.set_max_waypoints(static_cast<std::uint32_t>(waypoints));
  request.set_min_spacing_m(spacing);
  std::string op;
  v1::Technology tech;
  if (!ParseScope(args, "campaign", op, tech)) return kExitUsage;
  request.set_operator_id(op);
  request.set_tech(tech);

  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::PredictionService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::CampaignResponse plan;
  const grpc::Status status = stub->PlanCampaign(&context, request, &plan);
  if (!status.ok()) return RpcError("campaign", status, options);

  std::string text;
  if (json || format == "geojson") {
    geo::JsonWriter j;
    j.BeginObject().Key("type").String("FeatureCollection");
    j.Key("operator").String(plan.operator_id()).Key("route_km").Number(plan.route_km());
    j.Key("candidates").Number(plan.candidates()).Key("features").BeginArray();
    for (const auto& w : plan.waypoints()) {
      j.BeginObject().Key("type").String("Feature").Key("geometry").BeginObject();
      j.Key("type").String("Point").Key("coordinates").BeginArray();
      j.Number(w.lon()).Number(w.lat()).EndArray().EndObject();
      j.Key("properties").BeginObject().Key("order").Number(std::uint64_t{w.order()});
      j.Key("kind").String(w.kind()).Key("id").String(w.id()).Key("name").String(w.name());
      j.Key("tech").String(TechName(w.tech())).Key("district").String(w.district());
      j.Key("commune").String(w.commune()).Key("p_good").Number(w.p_good());
      j.Key("sigma_db").Number(w.sigma_db()).Key("predicted_dbm").Number(w.predicted_dbm());
      j.Key("students_nodev").Number(w.students_nodev()).Key("households").Number(w.households());
      j.Key("weight").Number(w.weight()).Key("leg_km").Number(w.leg_km());
      j.Key("route_km").Number(w.route_km()).EndObject().EndObject();
    }
    j.EndArray().EndObject();
    text = j.str() + "\n";
  } else if (format == "csv") {
    text =
        "order,kind,id,name,tech,lon,lat,district,commune,p_good,sigma_db,predicted_dbm,"
        "students_nodev,households,weight,leg_km,route_km\n";
    for (const auto& w : plan.waypoints()) {
      char figures[256];
      std::snprintf(figures, sizeof figures, "%.6f,%.6f", w.lon(), w.lat());
      std::string row = std::to_string(w.order()) + "," + w.kind() + "," + geo::CsvQuote(w.id()) +
                        "," + geo::CsvQuote(w.name()) + "," + TechName(w.tech()) + "," + figures +
                        "," + geo::CsvQuote(w.district()) + "," + geo::CsvQuote(w.commune()) + ",";
      std::snprintf(figures, sizeof figures, "%.3f,%.1f,%.1f,%lld,%lld,%.3f,%.2f,%.2f", w.p_good(),
                    w.sigma_db(), w.predicted_dbm(), static_cast<long long>(w.students_nodev()),
                    static_cast<long long>(w.households()), w.weight(), w.leg_km(), w.route_km());
      text += row + figures + "\n";
    }
  }
  const std::string output = args.Get("o", args.Get("output"));
  if (!text.empty() && !output.empty()) {
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      return InputError("campaign", "cannot write " + output +
                                        ": give -o a path in an existing, writable folder");
    }
    std::printf("wrote %s (%d waypoints, %.1f km straight-line route for %s)\n", output.c_str(),
                plan.waypoints_size(), plan.route_km(), plan.operator_id().c_str());
    return kExitOk;
  }
  if (!text.empty()) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  std::printf(
      "drive-test campaign for %s: %d waypoints of %s candidates, %.1f km straight-line "
      "route\n",
      plan.operator_id().c_str(), plan.waypoints_size(), Thousands(plan.candidates()).c_str(),
      plan.route_km());
  std::printf("%5s %-6s %s %-4s %s %s %7s %5s %7s %6s %7s\n", "order", "kind",
              Column("what", 30).c_str(), "tech", Column("district", 18).c_str(),
              Column("commune", 18).c_str(), "P(good)", Column("σ dB", 5).c_str(), "dBm", "nodev",
              "km");
  for (const auto& w : plan.waypoints()) {
    std::printf("%5u %-6s %s %-4s %s %s %7.2f %5.1f %7.1f %6lld %7.1f\n", w.order(),
                w.kind().c_str(), Column(w.name().empty() ? w.id() : w.name(), 30).c_str(),
                TechName(w.tech()).c_str(), Column(w.district(), 18).c_str(),
                Column(w.commune(), 18).c_str(), w.p_good(), w.sigma_db(), w.predicted_dbm(),
                static_cast<long long>(w.students_nodev()), w.route_km());
  }
  return kExitOk;
}

int RunRasterExport(const GlobalOptions& options, const Args& args, const std::string& output) {
  v1::CoverageRasterRequest request;
  if (!ParseAnalysisOptions(args, "export", *request.mutable_analysis())) return kExitUsage;
  request.mutable_analysis()->set_analysis_crs("");  // --crs is the raster's CRS here
  std::string op;
  v1::Technology tech;
  if (!ParseScope(args, "export", op, tech)) return kExitUsage;
  if (tech == v1::TECHNOLOGY_UNSPECIFIED) {
    return UsageError("export", "a raster is one technology: give --tech LTE, UMTS, GSM or NR");
  }
  request.set_operator_id(op);
  request.set_tech(tech);
  request.set_layer(args.Get("layer", "p_good"));
  request.set_crs(args.Get("crs"));
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::PredictionService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  auto reader = stub->ExportCoverageRaster(&context, request);
  std::uint64_t bytes = 0;
  if (int rc = ReceiveFile(*reader, output, "export", options, bytes); rc != kExitOk) return rc;
  if (options.json || args.Has("json")) {
    geo::JsonWriter j;
    j.BeginObject().Key("path").String(output).Key("bytes").Number(bytes).EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("wrote %s (%s bytes, Cloud-Optimised GeoTIFF, layer %s, %s)\n", output.c_str(),
                Thousands(bytes).c_str(), request.layer().c_str(),
                request.crs().empty() ? "EPSG:32648" : request.crs().c_str());
  }
  return kExitOk;
}

}  // namespace covgap::cli
