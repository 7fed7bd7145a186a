#include "geo/gaps/gap_analysis.h"

#include <chrono>
#include <map>
#include <optional>

#include "geo/base/time_format.h"
#include "geo/gaps/gap_finder.h"
#include "geo/prediction/hybrid_grids.h"

namespace covgap::geo {
namespace {

class Stopwatch {
 public:
  explicit Stopwatch(std::vector<StageTiming>& stages) : stages_(stages) {}
  void Lap(std::string stage) {
    const auto now = std::chrono::steady_clock::now();
    stages_.push_back({std::move(stage), std::chrono::duration<double>(now - last_).count()});
    last_ = now;
  }
  // Starts the next stage now without recording the time since the last lap (recorded apart).
  void Restart() { last_ = std::chrono::steady_clock::now(); }

 private:
  std::vector<StageTiming>& stages_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

void CountClasses(const CoverageGrid& grid, GridSummary& s) {
  for (const GridCell& c : grid.cells) {
    switch (c.cls) {
      case CellClass::kGood:
        ++s.good;
        break;
      case CellClass::kWeak:
        ++s.weak;
        break;
      case CellClass::kDead:
        ++s.dead;
        break;
      case CellClass::kUnmeasured:
        ++s.unmeasured;
        break;
    }
  }
}

GridSummary Summarise(const CoverageGrid& grid, std::uint64_t gaps) {
  GridSummary s;
  s.operator_id = grid.operator_id;
  s.tech = grid.tech;
  s.samples = grid.samples();
  CountClasses(grid, s);
  s.gaps = gaps;
  return s;
}

GridSummary Summarise(const TiledGrid& grid, std::uint64_t gaps) {
  GridSummary s;
  s.operator_id = grid.operator_id;
  s.tech = grid.tech;
  s.samples = grid.samples();
  for (const CoverageGrid& tile : grid.tiles) CountClasses(tile, s);
  s.gaps = gaps;
  return s;
}

}  // namespace

StatusOr<AnalysisResult> RunGapAnalysis(const MeasurementSource& source,
                                        const AnalysisInputs& inputs, const AnalysisParams& params,
                                        const RankingWeights& weights,
                                        const ProgressCallback& progress) {
  auto report = [&](std::string_view stage, double fraction) {
    return !progress || progress(stage, fraction);
  };
  const Status cancelled(StatusCode::kCancelled, "the analysis was cancelled");
  AnalysisResult result;
  Stopwatch watch(result.stages);

  if (params.tile_cells < 0) {
    return InvalidArgument("tile cells must be 0 (one piece) or a positive number of cells, not " +
                           std::to_string(params.tile_cells));
  }
  if (params.tile_cells > 0 && params.method != AnalysisMethod::kBinned) {
    return InvalidArgument(
        "a partitioned (tiled) analysis runs the binned method only: drop --tile-cells or use "
        "--method binned");
  }
  if (!report("reading measurements", 0.0)) return cancelled;
  GridBuilder builder(params);
  if (Status s = source([&](const MeasurementBlock& b) { builder.Add(b); }); !s.ok()) return s;
  watch.Lap("read");

  std::vector<FoundGap> found;
  if (params.tile_cells > 0) {
    // Partitioned analysis (docs/gaps.md): the same gaps, computed tile by tile and merged.
    if (!report("binning cells", 0.3)) return cancelled;
    auto tiled = builder.BuildTiled(&result.grid_stats);
    if (!tiled.ok()) return tiled.status();
    watch.Lap("grid");

    if (!report("finding gaps", 0.6)) return cancelled;
    std::map<Technology, std::vector<const TiledGrid*>> by_tech;
    for (const TiledGrid& grid : tiled.value()) {
      auto gaps = FindTiledGaps(grid, params, GapKind::kOperator);
      result.grids.push_back(Summarise(grid, gaps.size()));
      for (auto& g : gaps) found.push_back(std::move(g));
      by_tech[grid.tech].push_back(&grid);
    }
    for (const auto& [tech, group] : by_tech) {
      const TiledGrid merged = MergeTiledForCommonGaps(group, params);
      auto gaps = FindTiledGaps(merged, params, GapKind::kCommon);
      result.grids.push_back(Summarise(merged, gaps.size()));
      for (auto& g : gaps) found.push_back(std::move(g));
    }
    watch.Lap("gaps");
    std::vector<CoverageGrid> cells;
    for (TiledGrid& grid : tiled.value()) {
      cells.push_back(AssembleCells(grid));
      grid = TiledGrid{};
    }
    auto schools = ComputeSchoolCoverage(inputs.schools, cells, params);
    if (!schools.ok()) return schools.status();
    result.schools = std::move(schools.value());
    watch.Lap("schools");
  } else {
    if (!report("binning cells", 0.3)) return cancelled;
    auto grids = builder.Build(&result.grid_stats);
    if (!grids.ok()) return grids.status();
    watch.Lap("grid");
    std::optional<prediction::PredictedGrids> predicted;
    if (params.method != AnalysisMethod::kBinned) {
      // docs/prediction.md: calibrated prediction per group with sites, then measured cells
      // (hybrid) or every cell (predicted) classed as the method says.
      if (!report("predicting coverage", 0.4)) return cancelled;
      auto p = prediction::PredictGrids(grids.value(), inputs.sites, inputs.areas, params);
      if (!p.ok()) return p.status();
      predicted = std::move(p.value());
      result.stages.push_back({"fit", predicted->fit_seconds});
      result.stages.push_back({"predict", predicted->predict_seconds});
      watch.Restart();
      for (std::size_t g = 0; g < grids.value().size(); ++g) {
        if (!predicted->predictions[g]) continue;
        grids.value()[g] = prediction::ComposeGrid(grids.value()[g], *predicted->predictions[g],
                                                   params.method, params);
      }
      result.models = predicted->models;
      watch.Lap("compose");
    }

    if (!report("finding gaps", 0.6)) return cancelled;
    std::map<Technology, std::vector<const CoverageGrid*>> by_tech;
    for (const CoverageGrid& grid : grids.value()) {
      auto gaps = FindOperatorGaps(grid, params);
      result.grids.push_back(Summarise(grid, gaps.size()));
      for (auto& g : gaps) found.push_back(std::move(g));
      by_tech[grid.tech].push_back(&grid);
    }
    for (const auto& [tech, group] : by_tech) {
      const CoverageGrid merged = MergeForCommonGaps(group);
      auto gaps = FindCommonGaps(merged, params);
      result.grids.push_back(Summarise(merged, gaps.size()));
      for (auto& g : gaps) found.push_back(std::move(g));
    }
    watch.Lap("gaps");
    auto schools = ComputeSchoolCoverage(inputs.schools, grids.value(), params);
    if (!schools.ok()) return schools.status();
    result.schools = std::move(schools.value());
    if (predicted) {
      if (Status s = prediction::AddPredictedSchoolCoverage(
              result.schools, inputs.schools, grids.value(), predicted->predictions, params);
          !s.ok()) {
        return s;
      }
    }
    grids.value().clear();
    watch.Lap("schools");
  }

  if (!report("attributing areas, schools and households", 0.8)) return cancelled;
  GroupContainedGaps(found);
  if (Status s = JoinPlaces(found, inputs.schools, inputs.households, params, weights); !s.ok()) {
    return s;
  }
  watch.Lap("join");
  auto areas = AreaIndex::Build(inputs.areas, params.analysis_crs);
  if (!areas.ok()) return areas.status();
  watch.Lap("areas");
  result.gaps.reserve(found.size());
  const std::int64_t analysed_ms = NowUnixMs();
  for (auto& fg : found) {
    areas.value()->Attribute(fg.gap);
    fg.gap.analysed_ms = analysed_ms;
    result.gaps.push_back(std::move(fg.gap));
  }
  watch.Lap("attribute");

  ScoreAndRank(result.gaps, weights, params);
  watch.Lap("rank");
  if (!report("done", 1.0)) return cancelled;
  return result;
}

StatusOr<std::vector<CoverageGrid>> BuildBinnedGrids(const MeasurementSource& source,
                                                     const AnalysisParams& params,
                                                     GridStats* stats) {
  GridBuilder builder(params);
  if (Status s = source([&](const MeasurementBlock& b) { builder.Add(b); }); !s.ok()) return s;
  return builder.Build(stats);
}

StatusOr<CoverageResult> BuildCoverage(const MeasurementSource& source,
                                       const AnalysisInputs& inputs, const AnalysisParams& params) {
  if (params.method == AnalysisMethod::kBinned) {
    return InvalidArgument("coverage predictions need --method predicted or hybrid");
  }
  CoverageResult out;
  auto grids = BuildBinnedGrids(source, params, &out.grid_stats);
  if (!grids.ok()) return grids.status();
  out.grids = std::move(grids.value());
  auto predicted = prediction::PredictGrids(out.grids, inputs.sites, inputs.areas, params);
  if (!predicted.ok()) return predicted.status();
  for (std::size_t g = 0; g < out.grids.size(); ++g) {
    if (!predicted->predictions[g]) continue;
    out.grids[g] =
        prediction::ComposeGrid(out.grids[g], *predicted->predictions[g], params.method, params);
  }
  out.predictions = std::move(predicted->predictions);
  out.models = std::move(predicted->models);
  return out;
}

}  // namespace covgap::geo
