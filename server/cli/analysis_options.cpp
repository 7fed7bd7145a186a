#include "server/cli/analysis_options.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "geo/base/time_format.h"
#include "geo/gaps/gap_attribution.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"

namespace covgap::cli {

const char* const kAnalysisOptionsHelp =
    R"(  --method M                 binned (the reference: measured cells only), predicted (the
                             calibrated prediction everywhere) or hybrid (measured class where a
                             cell has enough samples, prediction elsewhere); default hybrid when
                             sites and areas are imported, else binned (docs/prediction.md)
  --cell-size M              cell size in metres (default 100)
  --min-samples N            samples a cell needs to be classed (default 3)
  --threshold TECH=GOOD:DEAD e.g. LTE=-105:-115 (repeatable; defaults LTE/NR -105:-115,
                             UMTS/GSM -95:-105)
  --window-days D            evidence window in days before --as-of (default 365; 0 = no limit)
  --as-of TIME               ISO 8601 time the window counts back from (default now)
  --min-area M2              drop gaps smaller than this (default 0)
  --crs CRS                  analysis CRS (default EPSG:32648, UTM 48N)
  --tile-cells N             partitioned analysis (binned only): tiles of N x N cells computed
                             independently and merged at their borders; the same gaps (default
                             0 = one piece)
  --weights FILE             ranking weights for this run, `key = value` lines (docs/gaps.md
                             "Ranking"); on top of covgapd's --ranking-weights
  --weight KEY=VALUE         one ranking weight (repeatable; after --weights), e.g.
                             --weight covid_orphan=4
)";

std::vector<std::string> AnalysisOptionNames(std::vector<std::string> extra) {
  for (const char* name : {"method", "cell-size", "min-samples", "threshold", "window-days",
                           "as-of", "min-area", "crs", "weights", "weight", "tile-cells"}) {
    extra.emplace_back(name);
  }
  return extra;
}

namespace {

void Error(std::string_view command, const std::string& message) { UsageError(command, message); }

}  // namespace

bool ParseAnalysisOptions(const Args& args, std::string_view command,
                          v1::RunAnalysisRequest& request) {
  if (args.Has("method")) {
    const std::string method = args.Get("method");
    if (!geo::ParseAnalysisMethod(method)) {
      Error(command, "--method '" + method + "' is not binned, predicted or hybrid");
      return false;
    }
    request.set_method(method);
  }
  for (const char* name : {"cell-size", "min-samples", "window-days", "min-area", "tile-cells"}) {
    if (!args.Has(name)) continue;
    const std::string text = args.Get(name);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0') {
      Error(command, std::string("--") + name + " '" + text + "' is not a number");
      return false;
    }
    const std::string_view n = name;
    if (n == "cell-size") request.set_cell_size_m(value);
    if (n == "min-area") request.set_min_area_m2(value);
    if (n == "min-samples" || n == "window-days" || n == "tile-cells") {
      if (value != static_cast<double>(static_cast<int>(value))) {
        Error(command, std::string("--") + name + " '" + text + "' is not a whole number");
        return false;
      }
      if (n == "min-samples") request.set_min_samples(static_cast<int>(value));
      if (n == "window-days") request.set_window_days(static_cast<int>(value));
      if (n == "tile-cells") request.set_tile_cells(static_cast<int>(value));
    }
  }
  request.set_analysis_crs(args.Get("crs"));
  if (args.Has("as-of")) {
    auto t = ParseDateOrTime(args.Get("as-of"));
    if (!t) {
      Error(command, "--as-of '" + args.Get("as-of") +
                         "' is not an ISO 8601 time (e.g. 2021-12-15 or 2021-12-15T08:00:00Z)");
      return false;
    }
    request.set_as_of_unix_ms(*t);
  }
  for (const std::string& spec : args.GetAll("threshold")) {
    const auto eq = spec.find('='), colon = spec.find(':');
    auto tech = eq == std::string::npos ? std::nullopt : geo::ParseTechnology(spec.substr(0, eq));
    auto good = colon == std::string::npos || colon < eq
                    ? std::nullopt
                    : ParseInteger(spec.substr(eq + 1, colon - eq - 1), -200, 0);
    auto dead = good ? ParseInteger(spec.substr(colon + 1), -200, 0) : std::nullopt;
    if (!tech || !good || !dead) {
      Error(command,
            "--threshold '" + spec + "' is not TECH=GOOD:DEAD in dBm (e.g. LTE=-105:-115)");
      return false;
    }
    auto* t = request.add_thresholds();
    t->set_tech(api::ToProto(*tech));
    t->set_good_dbm(static_cast<int>(*good));
    t->set_dead_dbm(static_cast<int>(*dead));
  }
  if (args.Has("weights")) {
    const std::string path = args.Get("weights");
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      Error(command, "--weights " + path +
                         ": no such file or not readable; give a file of `key = value` lines");
      return false;
    }
    auto lines =
        geo::ParseRankingWeightLines(std::string(std::istreambuf_iterator<char>(file), {}));
    if (!lines.ok()) {
      Error(command, "--weights " + path + ": " + lines.status().message());
      return false;
    }
    for (const auto& [key, value] : lines.value())
      (*request.mutable_ranking_weights())[key] = value;
  }
  for (const std::string& spec : args.GetAll("weight")) {
    auto lines = geo::ParseRankingWeightLines(spec);
    if (!lines.ok() || lines->size() != 1) {
      Error(command, "--weight '" + spec + "': " +
                         (lines.ok() ? "give one KEY=VALUE"
                                     : lines.status().message().substr(8)));  // no "line 1: "
      return false;
    }
    (*request.mutable_ranking_weights())[lines->front().first] = lines->front().second;
  }
  return true;
}

}  // namespace covgap::cli
