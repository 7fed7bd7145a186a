// Verification of cleared gaps by re-measurement: hand-made gaps (whole 100 m cells in UTM 48N)
// and samples placed in chosen cells.
#include "geo/gaps/gap_verification.h"

#include <gtest/gtest.h>

#include "geo/base/time_format.h"
#include "geo/gaps/cell_polygon.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

constexpr std::int32_t kX0 = 6400;  // cell (6400, 23600): x 640 000 m, y 2 360 000 m (Bắc Giang)
constexpr std::int32_t kY0 = 23600;
const std::int64_t kCleared = *ParseIso8601("2021-12-15T00:00:00Z");
const std::int64_t kAfter = kCleared + 86'400'000;
const std::int64_t kBefore = kCleared - 86'400'000;

Gap MakeGap(std::vector<CellIndex> cells, GapKind kind = GapKind::kOperator,
            std::string op = "viettel") {
  Gap g;
  g.gap_id = "g1";
  g.kind = kind;
  g.operator_id = kind == GapKind::kCommon ? "" : op;
  g.tech = Technology::kLte;
  g.crs = "EPSG:32648";
  g.wkb = ToMultiPolygonWkb(TraceCells(cells), 100.0);
  return g;
}

// A row of `n` cells starting at the origin cell.
std::vector<CellIndex> Row(int n) {
  std::vector<CellIndex> cells;
  for (int i = 0; i < n; ++i) cells.push_back({kX0 + i, kY0});
  return cells;
}

// A sample at the centre (plus a small offset) of cell (kX0 + dx, kY0 + dy).
VerificationSample At(int dx, int dy, int dbm, std::int64_t t = kAfter, std::string op = "viettel",
                      double offset = 0) {
  auto wgs84 = MakeSrs("EPSG:4326");
  auto utm = MakeSrs("EPSG:32648");
  EXPECT_TRUE(wgs84.ok() && utm.ok());
  TransformPtr tr(OCTNewCoordinateTransformation(utm->get(), wgs84->get()));
  double x = (kX0 + dx + 0.5) * 100 + offset, y = (kY0 + dy + 0.5) * 100 + offset, z = 0;
  EXPECT_TRUE(OCTTransform(tr.get(), 1, &x, &y, &z));
  VerificationSample s;
  s.operator_id = std::move(op);
  s.tech = Technology::kLte;
  s.lon = x;
  s.lat = y;
  s.signal_dbm = dbm;
  s.time_ms = t;
  return s;
}

VerificationResult Verify(const Gap& gap, const std::vector<VerificationSample>& samples,
                          VerificationRule rule = {}) {
  auto r = VerifyGap(gap, kCleared, samples, AnalysisParams{}, rule);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : VerificationResult{};
}

TEST(GapVerification, EnoughGoodSamplesAfterTheClearanceVerify) {
  // 5 cells = 0.05 km²: 3 per km² needs 1 sample; every measured cell good.
  const Gap gap = MakeGap(Row(5));
  const auto r = Verify(gap, {At(0, 0, -90), At(1, 0, -100), At(1, 0, -104), At(3, 0, -80)});
  EXPECT_EQ(r.status, GapStatus::kVerified);
  EXPECT_NEAR(r.area_km2, 0.05, 1e-9);
  EXPECT_EQ(r.needed, 1);
  EXPECT_EQ(r.samples, 4);
  EXPECT_EQ(r.measured_cells, 3);
  EXPECT_EQ(r.good_cells, 3);
  EXPECT_DOUBLE_EQ(r.good_percent, 100);
  EXPECT_NE(r.reason.find("3 of 3 measured cells good"), std::string::npos) << r.reason;
}

TEST(GapVerification, EnoughSamplesButTooFewGoodCellsReopenWithTheFigures) {
  const Gap gap = MakeGap(Row(5));
  // Cell 1's median is (-110 + -100) / 2 = -105: good (>= -105). Cell 2 weak, cell 4 dead.
  const auto r =
      Verify(gap, {At(0, 0, -90), At(1, 0, -110), At(1, 0, -100), At(2, 0, -110), At(4, 0, -120)});
  EXPECT_EQ(r.status, GapStatus::kOpen);
  EXPECT_EQ(r.samples, 5);
  EXPECT_EQ(r.measured_cells, 4);
  EXPECT_EQ(r.good_cells, 2);
  EXPECT_DOUBLE_EQ(r.good_percent, 50);
  EXPECT_NE(r.reason.find("2 of 4 measured cells good (50%, 90% needed)"), std::string::npos)
      << r.reason;
  EXPECT_NE(r.reason.find("after 2021-12-15"), std::string::npos) << r.reason;
  // With P = 50 the same samples verify.
  VerificationRule lenient;
  lenient.min_good_percent = 50;
  EXPECT_EQ(
      Verify(gap, {At(0, 0, -90), At(1, 0, -110), At(1, 0, -100), At(2, 0, -110), At(4, 0, -120)},
             lenient)
          .status,
      GapStatus::kVerified);
}

TEST(GapVerification, TooFewSamplesAwaitMeasurementWithTheFigures) {
  // 152 cells = 1.52 km²: 3 per km² needs ceil(4.56) = 5 samples; 2 are there.
  const Gap gap = MakeGap(Row(152));
  const auto r = Verify(gap, {At(0, 0, -80), At(100, 0, -80)});
  EXPECT_EQ(r.status, GapStatus::kAwaitingMeasurement);
  EXPECT_EQ(r.needed, 5);
  EXPECT_EQ(r.samples, 2);
  EXPECT_EQ(r.reason, "2 samples after 2021-12-15, 5 needed: 3 per km² over 1.52 km²");
  VerificationRule sparse;
  sparse.samples_per_km2 = 1;  // ceil(1.52) = 2
  EXPECT_EQ(Verify(gap, {At(0, 0, -80), At(100, 0, -80)}, sparse).status, GapStatus::kVerified);
}

TEST(GapVerification, SamplesAtOrBeforeTheClearanceAreIgnored) {
  const Gap gap = MakeGap(Row(5));
  // Old dead samples everywhere, one good sample after: verified on the new one alone.
  const auto r = Verify(gap, {At(0, 0, -130, kBefore), At(1, 0, -130, kBefore),
                              At(2, 0, -130, kCleared), At(2, 0, -85, kAfter)});
  EXPECT_EQ(r.status, GapStatus::kVerified);
  EXPECT_EQ(r.samples, 1);
  EXPECT_EQ(r.measured_cells, 1);
  // Only old samples: awaiting.
  EXPECT_EQ(Verify(gap, {At(0, 0, -80, kBefore)}).status, GapStatus::kAwaitingMeasurement);
}

TEST(GapVerification, SamplesOutsideTheGapOtherOperatorsAndTechnologiesAreIgnored) {
  const Gap gap = MakeGap(Row(5));
  VerificationSample umts = At(0, 0, -50);
  umts.tech = Technology::kUmts;
  const auto r = Verify(gap, {At(0, 1, -130), At(5, 0, -130), At(-1, 0, -130),  // outside
                              At(0, 0, -130, kAfter, "vnpt"), umts,             // wrong op/tech
                              At(2, 0, -120, kAfter, "viettel", 40)});
  EXPECT_EQ(r.samples, 1);
  EXPECT_EQ(r.measured_cells, 1);
  EXPECT_EQ(r.good_cells, 0);
  EXPECT_EQ(r.status, GapStatus::kOpen);
}

TEST(GapVerification, ACommonGapUsesTheBestOperatorPerCell) {
  const Gap gap = MakeGap(Row(2), GapKind::kCommon);
  // Cell 0: viettel dead, vnpt good -> good. Cell 1: both weak -> not good.
  const std::vector<VerificationSample> samples = {
      At(0, 0, -125, kAfter, "viettel"), At(0, 0, -95, kAfter, "vnpt"),
      At(1, 0, -110, kAfter, "viettel"), At(1, 0, -112, kAfter, "mobifone")};
  const auto r = Verify(gap, samples);
  EXPECT_EQ(r.samples, 4);
  EXPECT_EQ(r.measured_cells, 2);
  EXPECT_EQ(r.good_cells, 1);
  EXPECT_EQ(r.status, GapStatus::kOpen);
  // The same samples for viettel's own gap: only its samples count, none good.
  const auto own = Verify(MakeGap(Row(2)), samples);
  EXPECT_EQ(own.samples, 2);
  EXPECT_EQ(own.good_cells, 0);
}

TEST(GapVerification, TheRunsThresholdsAndCellSizeAreUsed) {
  const AnalysisParams p = AnalysisParamsFromJson(
      R"({"method":"binned","cell_size_m":50,"min_samples":2,"thresholds":{"GSM":{"good_dbm":-95,)"
      R"("dead_dbm":-105},"LTE":{"good_dbm":-100,"dead_dbm":-110}},"analysis_crs":"EPSG:32648"})");
  EXPECT_EQ(p.cell_size_m, 50);
  EXPECT_EQ(p.min_samples, 2);
  EXPECT_EQ(p.ThresholdsFor(Technology::kLte).good_dbm, -100);
  EXPECT_EQ(p.ThresholdsFor(Technology::kLte).dead_dbm, -110);
  EXPECT_EQ(p.ThresholdsFor(Technology::kGsm).good_dbm, -95);
  EXPECT_EQ(p.analysis_crs, "EPSG:32648");
  // -103 dBm is good by default (-105) but not with the run's -100.
  const Gap gap = MakeGap(Row(1));
  auto r = VerifyGap(gap, kCleared, {At(0, 0, -103)}, p, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GapStatus::kOpen);
  EXPECT_EQ(Verify(gap, {At(0, 0, -103)}).status, GapStatus::kVerified);
}

TEST(GapVerification, RunParametersAreReadAsJsonNotAsText) {
  // A substring search would take the 5 inside the note; a JSON reader takes the key.
  const AnalysisParams p =
      AnalysisParamsFromJson(R"({"note":"\"cell_size_m\": 5","min_samples":3,"cell_size_m":200,)"
                             R"("thresholds":{"UMTS":{"dead_dbm":-112,"good_dbm":-99}}})");
  EXPECT_EQ(p.cell_size_m, 200);
  EXPECT_EQ(p.min_samples, 3);
  EXPECT_EQ(p.ThresholdsFor(Technology::kUmts).good_dbm, -99);
  EXPECT_EQ(p.ThresholdsFor(Technology::kUmts).dead_dbm, -112);
  // Not JSON, or the wrong types: the defaults.
  const AnalysisParams defaults;
  for (const char* bad : {"", "not json", R"({"cell_size_m":"big","min_samples":-4})"}) {
    const AnalysisParams q = AnalysisParamsFromJson(bad);
    EXPECT_EQ(q.cell_size_m, defaults.cell_size_m) << bad;
    EXPECT_EQ(q.min_samples, defaults.min_samples) << bad;
  }
}

TEST(GapVerification, RunParametersGiveTheMethodAndTheAsOfTime) {
  const AnalysisParams p =
      AnalysisParamsFromJson(R"({"method":"hybrid","as_of":"2021-12-20T00:00:00Z"})");
  EXPECT_EQ(p.method, AnalysisMethod::kHybrid);
  EXPECT_EQ(p.as_of_ms, 1'639'958'400'000);
  // A run stored before methods existed was binned; no as_of reads as 0.
  const AnalysisParams old = AnalysisParamsFromJson(R"({"cell_size_m":100})");
  EXPECT_EQ(old.method, AnalysisMethod::kBinned);
  EXPECT_EQ(old.as_of_ms, 0);
}

TEST(GapVerification, BadRuleParametersAreRefused) {
  const Gap gap = MakeGap(Row(1));
  VerificationRule bad;
  bad.samples_per_km2 = 0;
  EXPECT_EQ(VerifyGap(gap, kCleared, {}, {}, bad).status().code(), StatusCode::kInvalidArgument);
  bad = {};
  bad.min_good_percent = 101;
  EXPECT_EQ(VerifyGap(gap, kCleared, {}, {}, bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace covgap::geo
