// RegistryService, AnalysisService and GapService through a real gRPC server, in process, on a
// small hand-made design whose gaps, statistics and attributions are worked out on paper below.
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <proj.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "covgap/v1/schools.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;

// ---- the design ----
//
// Default analysis: EPSG:32648, 100 m cells, min 3 samples, LTE good >= -105 / dead < -115,
// UMTS good >= -95 / dead < -105. Cells are named by their offset (dx, dy) from the cell
// (kX0, kY0), i.e. x in [691700, 691800), y in [2359000, 2359100), in Sơn Động, Bắc Giang.
// Samples are placed around cell centres (up to 35 m off) at lon/lat computed with PROJ.
//
//   viettel LTE   (0,0) -120 -121 -122            median -121   dead  ┐ gap A: 2 cells, 7 samples,
//                 (1,0) -118 -119 -125 -130       median -122   dead  ┘ median -121, min -130
//                 (0,1) -130 -130                 2 samples     unmeasured (never a gap)
//                 (2,0) -90 -95 -100              median -95    good
//                 (3,0) -110 -108 -112            median -110   weak  gap B
//                 (4,1) -107 -109 -111            median -109   weak  gap C (corner only to B)
//   vnpt LTE      (0,0) -100 x3                                 good
//                 (1,0) -110 -110 -111 -109       median -110   weak  gap
//                 (3,0) -120 x3                                 dead  gap
//                 (5,5) -80 x3                                  good
//   viettel UMTS  (0,0) -110 x3                                 dead  gap
//
//   common LTE (best class per measured cell): (0,0) good, (1,0) weak, (2,0) good, (3,0) weak,
//     (4,1) weak, (5,5) good -> 3 gaps; (1,0) holds 8 samples, median (-118 + -111) / 2 = -114.5.
//   common UMTS: (0,0) dead -> 1 gap.
//
// 34 measurements, 10 gaps. Scores (no registry): 10 * severity + km² -> A 10.02, dead single
// cells 10.01, weak single cells 0.01.
constexpr int kX0 = 6917;
constexpr int kY0 = 23590;
constexpr double kCell = 100;

struct CellSamples {
  std::string op;
  v1::Technology tech;
  int dx;
  int dy;
  std::vector<int> dbm;
};

const std::vector<CellSamples>& Design() {
  static const std::vector<CellSamples> kDesign = {
      {"viettel", v1::LTE, 0, 0, {-120, -121, -122}},
      {"viettel", v1::LTE, 1, 0, {-118, -119, -125, -130}},
      {"viettel", v1::LTE, 0, 1, {-130, -130}},
      {"viettel", v1::LTE, 2, 0, {-90, -95, -100}},
      {"viettel", v1::LTE, 3, 0, {-110, -108, -112}},
      {"viettel", v1::LTE, 4, 1, {-107, -109, -111}},
      {"vnpt", v1::LTE, 0, 0, {-100, -100, -100}},
      {"vnpt", v1::LTE, 1, 0, {-110, -110, -111, -109}},
      {"vnpt", v1::LTE, 3, 0, {-120, -120, -120}},
      {"vnpt", v1::LTE, 5, 5, {-80, -80, -80}},
      {"viettel", v1::UMTS, 0, 0, {-110, -110, -110}},
  };
  return kDesign;
}

constexpr std::uint64_t kMeasurements = 34;
constexpr std::uint64_t kGaps = 10;

std::string GapId(const std::string& owner, const std::string& tech, int dx, int dy) {
  return owner + "-" + tech + "-" + std::to_string(kX0 + dx) + "_" + std::to_string(kY0 + dy);
}
const std::string kGapA = GapId("viettel", "LTE", 0, 0);
const std::string kGapB = GapId("viettel", "LTE", 3, 0);
const std::string kGapC = GapId("viettel", "LTE", 4, 1);
const std::string kVnptWeak = GapId("vnpt", "LTE", 1, 0);
const std::string kVnptDead = GapId("vnpt", "LTE", 3, 0);
const std::string kCommonLte10 = GapId("common", "LTE", 1, 0);
const std::string kCommonLte30 = GapId("common", "LTE", 3, 0);
const std::string kCommonLte41 = GapId("common", "LTE", 4, 1);
const std::string kUmts = GapId("viettel", "UMTS", 0, 0);
const std::string kCommonUmts = GapId("common", "UMTS", 0, 0);

// UTM 48N -> WGS84 lon/lat with PROJ (axis order normalised to lon, lat).
class Utm48 {
 public:
  static const Utm48& Get() {
    static const Utm48 kInstance;
    return kInstance;
  }
  Utm48(const Utm48&) = delete;
  Utm48& operator=(const Utm48&) = delete;
  ~Utm48() = default;
  // {lon, lat} of the point (x, y) in EPSG:32648.
  std::pair<double, double> LonLat(double x, double y) const {
    const PJ_COORD c = proj_trans(pj_.get(), PJ_INV, proj_coord(x, y, 0, 0));
    return {c.xy.x, c.xy.y};
  }

 private:
  Utm48() : ctx_(proj_context_create()) {
    const geo::ProjPtr raw(proj_create_crs_to_crs(ctx_.get(), "EPSG:4326", "EPSG:32648", nullptr));
    pj_.reset(proj_normalize_for_visualization(ctx_.get(), raw.get()));
  }
  geo::ProjContextPtr ctx_;
  geo::ProjPtr pj_;
};

// {lon, lat} of a point `ox`, `oy` metres off the centre of cell (dx, dy).
std::pair<double, double> InCell(int dx, int dy, double ox = 0, double oy = 0) {
  return Utm48::Get().LonLat((kX0 + dx) * kCell + kCell / 2 + ox,
                             (kY0 + dy) * kCell + kCell / 2 + oy);
}

std::int64_t UnixMs(int year, unsigned month, unsigned day) {
  return geo::DaysFromCivil(year, month, day) * 86'400'000;
}

// A lon/lat rectangle (as ISO WKB) around the cells from (dx0, dy0) to (dx1, dy1), inclusive.
std::string RectangleWkb(int dx0, int dy0, int dx1, int dy1) {
  double min_lon = 1e9, min_lat = 1e9, max_lon = -1e9, max_lat = -1e9;
  for (int x : {kX0 + dx0, kX0 + dx1 + 1}) {
    for (int y : {kY0 + dy0, kY0 + dy1 + 1}) {
      const auto [lon, lat] = Utm48::Get().LonLat(x * kCell, y * kCell);
      min_lon = std::min(min_lon, lon);
      max_lon = std::max(max_lon, lon);
      min_lat = std::min(min_lat, lat);
      max_lat = std::max(max_lat, lat);
    }
  }
  std::ostringstream wkt;
  wkt << std::setprecision(12) << "POLYGON((" << min_lon << " " << min_lat << "," << max_lon << " "
      << min_lat << "," << max_lon << " " << max_lat << "," << min_lon << " " << max_lat << ","
      << min_lon << " " << min_lat << "))";
  geo::InitGdal();
  std::string text = wkt.str();
  char* cursor = text.data();
  OGRGeometryH raw = nullptr;
  EXPECT_EQ(OGR_G_CreateFromWkt(&cursor, nullptr, &raw), OGRERR_NONE) << wkt.str();
  geo::OgrGeometryPtr g(raw);
  std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g.get())), '\0');
  OGR_G_ExportToIsoWkb(g.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
  return wkb;
}

v1::Area MakeArea(v1::AreaLevel level, const std::string& code, const std::string& name,
                  std::string wkb) {
  v1::Area a;
  a.set_level(level);
  a.set_code(code);
  a.set_name(name);
  a.set_wkb(std::move(wkb));
  return a;
}

v1::School MakeSchool(const std::string& id, const std::string& level, double lat, double lon,
                      std::int64_t students_nodev) {
  v1::School s;
  s.set_school_id(id);
  s.set_name("Trường " + id);
  s.set_level(level);
  s.set_district("Huyện Sơn Động");
  s.set_lat(lat);
  s.set_lon(lon);
  s.set_students(10 * students_nodev);
  s.set_students_nodev(students_nodev);
  return s;
}

v1::Household MakeHousehold(const std::string& id, const std::string& category, double lat,
                            double lon, std::int64_t students_nodev) {
  v1::Household h;
  h.set_household_id(id);
  h.set_category(category);
  h.set_lat(lat);
  h.set_lon(lon);
  h.set_students_nodev(students_nodev);
  h.set_district("Huyện Sơn Động");
  return h;
}

std::vector<std::string> IdsOf(const v1::ListGapsResponse& r) {
  std::vector<std::string> ids;
  for (const auto& g : r.gaps()) ids.push_back(g.gap_id());
  return ids;
}

class GapServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_gaps_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ServerOptions options;  // in-process only
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    auto channel = server_->InProcessChannel();
    measurements_ = v1::MeasurementService::NewStub(channel);
    registry_ = v1::RegistryService::NewStub(channel);
    analysis_ = v1::AnalysisService::NewStub(channel);
    gaps_ = v1::GapService::NewStub(channel);
    schools_ = v1::SchoolService::NewStub(channel);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void IngestDesign() {
    v1::MeasurementBatch batch;
    batch.set_batch_id("design");
    const std::pair<double, double> offsets[] = {{0, 0}, {-35, -35}, {35, -35}, {-35, 35}};
    std::int64_t t = UnixMs(2021, 6, 15);
    for (const CellSamples& c : Design()) {
      for (std::size_t i = 0; i < c.dbm.size(); ++i) {
        const auto [lon, lat] = InCell(c.dx, c.dy, offsets[i % 4].first, offsets[i % 4].second);
        v1::Measurement* m = batch.add_measurements();
        m->set_operator_id(c.op);
        m->set_tech(c.tech);
        m->set_lat(lat);
        m->set_lon(lon);
        m->set_signal_dbm(c.dbm[i]);
        m->set_time_unix_ms(t += 3'600'000);
        m->set_source(v1::DRIVE);
      }
    }
    grpc::ClientContext ctx;
    v1::IngestSummary summary;
    auto writer = measurements_->Ingest(&ctx, &summary);
    ASSERT_TRUE(writer->Write(batch));
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(summary.accepted(), kMeasurements);
    ASSERT_EQ(summary.rejected(), 0u);
  }

  // The request of the design: defaults, as of 2021-12-01 with a 365-day window.
  static v1::RunAnalysisRequest DesignRequest() {
    v1::RunAnalysisRequest r;
    r.set_as_of_unix_ms(UnixMs(2021, 12, 1));
    r.set_window_days(365);
    return r;
  }

  // The design's scores without the median-depth term (a per-run weight override), so the
  // expected scores below are sums of whole terms; the depth term has tests of its own.
  static v1::RunAnalysisRequest NoDepthRequest() {
    v1::RunAnalysisRequest r = DesignRequest();
    (*r.mutable_ranking_weights())["depth_per_db"] = 0;
    return r;
  }

  grpc::Status RunAnalysis(const v1::RunAnalysisRequest& request,
                           std::vector<v1::AnalysisProgress>* progress = nullptr) {
    grpc::ClientContext ctx;
    auto reader = analysis_->RunAnalysis(&ctx, request);
    std::vector<v1::AnalysisProgress> messages;
    v1::AnalysisProgress p;
    while (reader->Read(&p)) messages.push_back(p);
    const grpc::Status status = reader->Finish();
    if (progress != nullptr) *progress = std::move(messages);
    return status;
  }

  // Runs an analysis that must succeed and returns its run.
  v1::AnalysisRunInfo Analyse(const v1::RunAnalysisRequest& request = DesignRequest()) {
    std::vector<v1::AnalysisProgress> progress;
    const grpc::Status status = RunAnalysis(request, &progress);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (progress.empty()) {
      ADD_FAILURE() << "no progress";
      return {};
    }
    EXPECT_TRUE(progress.back().has_run());
    return progress.back().run();
  }

  v1::ListGapsResponse List(v1::ListGapsRequest request) {
    if (request.page_size() == 0) request.set_page_size(1000);
    grpc::ClientContext ctx;
    v1::ListGapsResponse response;
    const grpc::Status status = gaps_->ListGaps(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  v1::ListGapsResponse List(const v1::GapFilter& filter) {
    v1::ListGapsRequest r;
    *r.mutable_filter() = filter;
    return List(r);
  }

  grpc::Status GetGap(const std::string& id, v1::Gap* gap) {
    grpc::ClientContext ctx;
    v1::GetGapRequest r;
    r.set_gap_id(id);
    return gaps_->GetGap(&ctx, r, gap);
  }

  grpc::Status Export(const v1::ExportGapsRequest& request, std::string* file_name,
                      std::string* data) {
    grpc::ClientContext ctx;
    auto reader = gaps_->ExportGaps(&ctx, request);
    v1::FileChunk chunk;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) *file_name = chunk.file_name();
      first = false;
      *data += chunk.data();
    }
    return reader->Finish();
  }

  // Imports two districts and the province around the design, two good schools, two good
  // households and one rejected row of each kind. Returns the summaries.
  void ImportRegistry(v1::ImportSummary* areas, v1::ImportSummary* schools,
                      v1::ImportSummary* households) {
    v1::ImportAreasRequest ar;
    *ar.add_areas() =
        MakeArea(v1::PROVINCE, "24", "Tỉnh Bắc Giang", RectangleWkb(-50, -50, 300, 300));
    *ar.add_areas() = MakeArea(v1::DISTRICT, "221", "Huyện Sơn Động", RectangleWkb(-5, -5, 10, 10));
    *ar.add_areas() =
        MakeArea(v1::DISTRICT, "219", "Huyện Lục Ngạn", RectangleWkb(200, 200, 210, 210));
    *ar.add_areas() = MakeArea(v1::DISTRICT, "000", "Huyện Rỗng", "");  // no geometry
    {
      grpc::ClientContext ctx;
      const grpc::Status s = registry_->ImportAreas(&ctx, ar, areas);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }

    const auto [in_lon, in_lat] = InCell(0, 0, 20, -20);       // in gap A (and the UMTS gaps)
    const auto [out_lon, out_lat] = InCell(2, 0, -20, 20);     // a good cell: in no gap
    const auto [poor_lon, poor_lat] = InCell(1, 0, 10, 30);    // in gap A, vnpt's and common LTE
    const auto [npoor_lon, npoor_lat] = InCell(0, 0, -30, 0);  // in gap A and the UMTS gaps
    v1::ImportSchoolsRequest sr;
    *sr.add_schools() = MakeSchool("s-in", "primary", in_lat, in_lon, 7);
    *sr.add_schools() = MakeSchool("s-out", "lower_secondary", out_lat, out_lon, 50);
    *sr.add_schools() = MakeSchool("s-college", "college", in_lat, in_lon, 1);
    *sr.add_schools() = MakeSchool("s-swapped", "primary", in_lon, in_lat, 1);
    {
      grpc::ClientContext ctx;
      const grpc::Status s = registry_->ImportSchools(&ctx, sr, schools);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }

    v1::ImportHouseholdsRequest hr;
    *hr.add_households() = MakeHousehold("h-poor", "poor", poor_lat, poor_lon, 2);
    *hr.add_households() = MakeHousehold("h-npoor", "near_poor", npoor_lat, npoor_lon, 3);
    *hr.add_households() = MakeHousehold("h-rich", "rich", poor_lat, poor_lon, 4);
    {
      grpc::ClientContext ctx;
      const grpc::Status s = registry_->ImportHouseholds(&ctx, hr, households);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  void ImportRegistry() {
    v1::ImportSummary a, s, h;
    ImportRegistry(&a, &s, &h);
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::MeasurementService::Stub> measurements_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::AnalysisService::Stub> analysis_;
  std::unique_ptr<v1::GapService::Stub> gaps_;
  std::unique_ptr<v1::SchoolService::Stub> schools_;
};

// ---- 1. RunAnalysis ----

TEST_F(GapServicesTest, RunAnalysisStreamsProgressAndEndsWithTheStoredRun) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  std::vector<v1::AnalysisProgress> progress;
  const grpc::Status status = RunAnalysis(DesignRequest(), &progress);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_GE(progress.size(), 3u);
  EXPECT_EQ(progress.front().fraction(), 0.0);
  std::set<double> distinct;
  for (std::size_t i = 0; i < progress.size(); ++i) {
    EXPECT_FALSE(progress[i].stage().empty()) << i;
    EXPECT_GE(progress[i].fraction(), 0.0) << i;
    EXPECT_LE(progress[i].fraction(), 1.0) << i;
    if (i > 0) {
      EXPECT_GE(progress[i].fraction(), progress[i - 1].fraction()) << i;
    }
    EXPECT_EQ(progress[i].has_run(), i + 1 == progress.size()) << "only the last carries the run";
    distinct.insert(progress[i].fraction());
  }
  EXPECT_GE(distinct.size(), 3u) << "the fraction moves";
  EXPECT_EQ(progress.back().fraction(), 1.0);

  const v1::AnalysisRunInfo& run = progress.back().run();
  EXPECT_EQ(run.run_id(), 1);
  EXPECT_EQ(run.measurements(), kMeasurements);
  EXPECT_EQ(run.gaps(), kGaps);
  EXPECT_GT(run.started_unix_ms(), 0);
  EXPECT_GE(run.finished_unix_ms(), run.started_unix_ms());
  EXPECT_NE(run.params_json().find("\"binned\""), std::string::npos) << run.params_json();
  EXPECT_NE(run.params_json().find("EPSG:32648"), std::string::npos) << run.params_json();
  EXPECT_NE(run.params_json().find("2021-12-01T00:00:00Z"), std::string::npos) << run.params_json();
  EXPECT_GT(run.stages_size(), 0);

  struct Expected {
    std::uint64_t samples, good, weak, dead, unmeasured, gaps;
  };
  const std::map<std::pair<std::string, v1::Technology>, Expected> expected = {
      {{"viettel", v1::LTE}, {18, 1, 2, 2, 1, 3}},
      {{"vnpt", v1::LTE}, {13, 2, 1, 1, 0, 2}},
      {{"viettel", v1::UMTS}, {3, 0, 0, 1, 0, 1}},
      // The common grid holds the measured cells only: viettel's unmeasured cell is left out.
      {{"", v1::LTE}, {29, 3, 3, 0, 0, 3}},
      {{"", v1::UMTS}, {3, 0, 0, 1, 0, 1}},
  };
  ASSERT_EQ(run.grids_size(), static_cast<int>(expected.size()));
  std::uint64_t gap_sum = 0;
  for (const v1::GridSummary& g : run.grids()) {
    const std::string what = (g.operator_id().empty() ? "(common)" : g.operator_id()) + " " +
                             v1::Technology_Name(g.tech());
    auto it = expected.find({g.operator_id(), g.tech()});
    ASSERT_NE(it, expected.end()) << what;
    EXPECT_EQ(g.samples(), it->second.samples) << what;
    EXPECT_EQ(g.good_cells(), it->second.good) << what;
    EXPECT_EQ(g.weak_cells(), it->second.weak) << what;
    EXPECT_EQ(g.dead_cells(), it->second.dead) << what;
    EXPECT_EQ(g.unmeasured_cells(), it->second.unmeasured) << what;
    EXPECT_EQ(g.gaps(), it->second.gaps) << what;
    gap_sum += g.gaps();
  }
  EXPECT_EQ(gap_sum, kGaps);
}

// ---- 2. ListGaps ----

TEST_F(GapServicesTest, ListGapsFiltersByOperatorTechKindAndScore) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse(NoDepthRequest());
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  auto ids = [&](const v1::GapFilter& f) {
    const v1::ListGapsResponse r = List(f);
    EXPECT_EQ(r.total(), static_cast<std::uint64_t>(r.gaps_size()));
    return sorted(IdsOf(r));
  };

  v1::GapFilter all;
  EXPECT_EQ(ids(all), sorted({kGapA, kGapB, kGapC, kVnptWeak, kVnptDead, kCommonLte10, kCommonLte30,
                              kCommonLte41, kUmts, kCommonUmts}));

  v1::GapFilter viettel;
  viettel.set_operator_id("viettel");
  EXPECT_EQ(ids(viettel), sorted({kGapA, kGapB, kGapC, kUmts}));
  v1::GapFilter vnpt;
  vnpt.set_operator_id("vnpt");
  EXPECT_EQ(ids(vnpt), sorted({kVnptWeak, kVnptDead}));
  v1::GapFilter mobifone;
  mobifone.set_operator_id("mobifone");
  EXPECT_TRUE(ids(mobifone).empty());

  v1::GapFilter umts;
  umts.set_tech(v1::UMTS);
  EXPECT_EQ(ids(umts), sorted({kUmts, kCommonUmts}));
  v1::GapFilter nr;
  nr.set_tech(v1::NR);
  EXPECT_TRUE(ids(nr).empty());

  v1::GapFilter common;
  common.set_kind(v1::COMMON);
  EXPECT_EQ(ids(common), sorted({kCommonLte10, kCommonLte30, kCommonLte41, kCommonUmts}));
  v1::GapFilter op_kind;
  op_kind.set_kind(v1::OPERATOR);
  EXPECT_EQ(ids(op_kind), sorted({kGapA, kGapB, kGapC, kVnptWeak, kVnptDead, kUmts}));

  v1::GapFilter severe;  // dead gaps score 10 + area; weak ones only their area
  severe.set_min_score(5);
  EXPECT_EQ(ids(severe), sorted({kGapA, kVnptDead, kUmts, kCommonUmts}));
  v1::GapFilter top;
  top.set_min_score(10.015);
  EXPECT_EQ(ids(top), std::vector<std::string>{kGapA});
  v1::GapFilter zero;  // min_score 0 is set, not absent: every score here is positive
  zero.set_min_score(0);
  EXPECT_EQ(ids(zero).size(), kGaps);

  v1::GapFilter combined;
  combined.set_operator_id("viettel");
  combined.set_tech(v1::LTE);
  combined.set_kind(v1::OPERATOR);
  EXPECT_EQ(ids(combined), sorted({kGapA, kGapB, kGapC}));
  combined.set_min_score(5);
  EXPECT_EQ(ids(combined), std::vector<std::string>{kGapA});
}

TEST_F(GapServicesTest, ListGapsOrdersByScoreRankOrArea) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse(NoDepthRequest());

  v1::ListGapsRequest by_score;  // GAP_ORDER_SCORE is the default: highest first, then by id
  const v1::ListGapsResponse scored = List(by_score);
  ASSERT_EQ(scored.gaps_size(), static_cast<int>(kGaps));
  EXPECT_EQ(IdsOf(scored),
            (std::vector<std::string>{kGapA, kCommonUmts, kUmts, kVnptDead, kCommonLte10,
                                      kCommonLte30, kCommonLte41, kGapB, kGapC, kVnptWeak}));
  for (int i = 1; i < scored.gaps_size(); ++i) {
    EXPECT_GE(scored.gaps(i - 1).score(), scored.gaps(i).score()) << i;
  }
  EXPECT_DOUBLE_EQ(scored.gaps(0).score(), 10.02);
  EXPECT_DOUBLE_EQ(scored.gaps(1).score(), 10.01);
  EXPECT_DOUBLE_EQ(scored.gaps(9).score(), 0.01);

  // The province's list: one row per place, a common gap with the operator gaps inside it, by
  // the highest score of the row (vnpt's dead gap lifts common-LTE-3,0 above common-UMTS).
  v1::ListGapsRequest by_rank;
  by_rank.set_order(v1::GAP_ORDER_RANK);
  const v1::ListGapsResponse ranked = List(by_rank);
  EXPECT_EQ(IdsOf(ranked),
            (std::vector<std::string>{kGapA, kCommonLte30, kGapB, kVnptDead, kCommonUmts, kUmts,
                                      kCommonLte10, kVnptWeak, kCommonLte41, kGapC}));
  std::vector<std::int64_t> ranks, grp_ranks;
  for (const auto& g : ranked.gaps()) {
    ranks.push_back(g.rank());
    grp_ranks.push_back(g.grp_rank());
  }
  EXPECT_EQ(ranks, (std::vector<std::int64_t>{1, 2, 2, 2, 3, 3, 4, 4, 5, 5}));
  EXPECT_EQ(grp_ranks, (std::vector<std::int64_t>{1, 2, 2, 1, 1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(ranked.gaps(1).contains(), "viettel,vnpt");
  EXPECT_EQ(ranked.gaps(2).common_id(), kCommonLte30);
  // Grouped, each place once: the five rows, numbered 1..5 by rank.
  by_rank.mutable_filter()->set_grouped(true);
  const v1::ListGapsResponse rows = List(by_rank);
  EXPECT_EQ(IdsOf(rows), (std::vector<std::string>{kGapA, kCommonLte30, kCommonUmts, kCommonLte10,
                                                   kCommonLte41}));
  EXPECT_EQ(rows.total(), 5u);
  for (int i = 0; i < rows.gaps_size(); ++i) EXPECT_EQ(rows.gaps(i).rank(), i + 1);

  v1::ListGapsRequest by_area;
  by_area.set_order(v1::GAP_ORDER_AREA);
  const v1::ListGapsResponse large = List(by_area);
  ASSERT_EQ(large.gaps_size(), static_cast<int>(kGaps));
  EXPECT_EQ(large.gaps(0).gap_id(), kGapA);
  EXPECT_DOUBLE_EQ(large.gaps(0).area_m2(), 20000);
  EXPECT_DOUBLE_EQ(large.gaps(1).area_m2(), 10000);
}

TEST_F(GapServicesTest, ListGapsPagesThroughEveryGap) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  const std::vector<std::string> all = IdsOf(List(v1::ListGapsRequest()));
  ASSERT_EQ(all.size(), kGaps);

  std::vector<std::string> walked;
  v1::ListGapsRequest request;
  request.set_page_size(1);
  for (int page = 0; page < 20; ++page) {
    const v1::ListGapsResponse r = List(request);
    EXPECT_EQ(r.total(), kGaps);
    ASSERT_EQ(r.gaps_size(), 1) << "page " << page;
    walked.push_back(r.gaps(0).gap_id());
    if (r.next_page_token().empty()) break;
    request.set_page_token(r.next_page_token());
  }
  EXPECT_EQ(walked, all);

  // Pages of 4 with a filter: 4 + 2, the total counts the filtered gaps.
  v1::ListGapsRequest operator_gaps;
  operator_gaps.mutable_filter()->set_kind(v1::OPERATOR);
  operator_gaps.set_page_size(4);
  const v1::ListGapsResponse first = List(operator_gaps);
  EXPECT_EQ(first.total(), 6u);
  EXPECT_EQ(first.gaps_size(), 4);
  ASSERT_FALSE(first.next_page_token().empty());
  operator_gaps.set_page_token(first.next_page_token());
  const v1::ListGapsResponse second = List(operator_gaps);
  EXPECT_EQ(second.total(), 6u);
  EXPECT_EQ(second.gaps_size(), 2);
  EXPECT_TRUE(second.next_page_token().empty());
}

// Tokens are the decimal offsets the server issues; anything else is refused, never read as a
// different page (std::stoull reads "-1" as 2^64 - 1 and "3x" as 3).
TEST_F(GapServicesTest, ListGapsRefusesPageTokensItNeverIssued) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  for (const char* token : {"not-a-token", "-1", "3x", "+1", " 2"}) {
    v1::ListGapsRequest request;
    request.set_page_size(1);
    request.set_page_token(token);
    grpc::ClientContext ctx;
    v1::ListGapsResponse response;
    const grpc::Status status = gaps_->ListGaps(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "token '" << token << "' gave " << response.gaps_size() << " gap(s), next token '"
        << response.next_page_token() << "'";
  }
}

TEST_F(GapServicesTest, ListGapsReturnsGeometryOnlyWhenAsked) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  v1::ListGapsRequest request;
  const v1::ListGapsResponse without = List(request);
  ASSERT_EQ(without.gaps_size(), static_cast<int>(kGaps));
  for (const auto& g : without.gaps()) {
    EXPECT_TRUE(g.wkb().empty()) << g.gap_id();
    EXPECT_EQ(g.crs(), "EPSG:32648") << g.gap_id();
  }
  request.set_with_geometry(true);
  const v1::ListGapsResponse with = List(request);
  ASSERT_EQ(with.gaps_size(), static_cast<int>(kGaps));
  for (const auto& g : with.gaps()) EXPECT_GE(g.wkb().size(), 9u) << g.gap_id();
}

// ---- 3. GetGap ----

TEST_F(GapServicesTest, GetGapReturnsTheStatisticsAndGeometryOfItsCells) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();

  v1::Gap a;
  const grpc::Status status = GetGap(kGapA, &a);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(a.gap_id(), kGapA);
  EXPECT_EQ(a.operator_id(), "viettel");
  EXPECT_EQ(a.tech(), v1::LTE);
  EXPECT_EQ(a.kind(), v1::OPERATOR);
  EXPECT_EQ(a.n_cells(), 2);  // the unmeasured cell above (0,0) is not part of it
  EXPECT_EQ(a.n_dead_cells(), 2);
  EXPECT_DOUBLE_EQ(a.area_m2(), static_cast<double>(a.n_cells()) * 10000);
  EXPECT_DOUBLE_EQ(a.severity(), 1.0);
  EXPECT_EQ(a.n_samples(), 7);
  // Median of all 7 samples (-130 -125 -122 -121 -120 -119 -118), not of the cell medians.
  EXPECT_DOUBLE_EQ(a.median_dbm(), -121);
  EXPECT_EQ(a.min_dbm(), -130);
  EXPECT_EQ(a.rank(), 1);
  EXPECT_EQ(a.status(), "open");
  EXPECT_EQ(a.crs(), "EPSG:32648");
  EXPECT_GT(a.analysed_unix_ms(), 0);
  ASSERT_FALSE(a.wkb().empty());

  // The geometry is the union of the two cells in EPSG:32648.
  geo::InitGdal();
  OGRGeometryH raw = nullptr;
  ASSERT_EQ(OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(a.wkb().data()), nullptr,
                                &raw, static_cast<int>(a.wkb().size())),
            OGRERR_NONE);
  geo::OgrGeometryPtr g(raw);
  EXPECT_EQ(wkbFlatten(OGR_G_GetGeometryType(g.get())), wkbMultiPolygon);
  EXPECT_DOUBLE_EQ(OGR_G_Area(g.get()), 20000);
  OGREnvelope env;
  OGR_G_GetEnvelope(g.get(), &env);
  EXPECT_DOUBLE_EQ(env.MinX, kX0 * kCell);
  EXPECT_DOUBLE_EQ(env.MaxX, (kX0 + 2) * kCell);
  EXPECT_DOUBLE_EQ(env.MinY, kY0 * kCell);
  EXPECT_DOUBLE_EQ(env.MaxY, (kY0 + 1) * kCell);

  // A common gap pools every operator's samples of its cell: viettel's 4 and vnpt's 4.
  v1::Gap common;
  ASSERT_TRUE(GetGap(kCommonLte10, &common).ok());
  EXPECT_EQ(common.kind(), v1::COMMON);
  EXPECT_EQ(common.operator_id(), "");
  EXPECT_EQ(common.n_cells(), 1);
  EXPECT_EQ(common.n_dead_cells(), 0);  // dead for viettel, weak for vnpt: the best is weak
  EXPECT_DOUBLE_EQ(common.severity(), 0.0);
  EXPECT_EQ(common.n_samples(), 8);
  EXPECT_DOUBLE_EQ(common.median_dbm(), -114.5);
  EXPECT_EQ(common.min_dbm(), -130);
  EXPECT_DOUBLE_EQ(common.area_m2(), 10000);
  EXPECT_FALSE(common.wkb().empty());
}

// Before any analysis the gap calls say so and what to do; afterwards an unknown id is NOT_FOUND,
// an unknown operator INVALID_ARGUMENT, and a filter that matches nothing an empty page.
TEST_F(GapServicesTest, GetGapOfAnUnknownIdIsNotFound) {
  v1::Gap gap;
  grpc::Status status = GetGap(kGapA, &gap);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("run covgap analyse first"), std::string::npos)
      << status.error_message();
  {
    grpc::ClientContext ctx;
    v1::ListGapsResponse response;
    status = gaps_->ListGaps(&ctx, v1::ListGapsRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  }
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  v1::GapFilter nothing;
  nothing.set_district("no such district");
  EXPECT_EQ(List(nothing).total(), 0u);
  {
    grpc::ClientContext ctx;
    v1::ListGapsRequest request;
    request.mutable_filter()->set_operator_id("viettell");
    v1::ListGapsResponse response;
    status = gaps_->ListGaps(&ctx, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("use one of"), std::string::npos)
        << status.error_message();
  }
  EXPECT_EQ(GetGap("viettel-LTE-1_1", &gap).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetGap("", &gap).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetGap(kGapA, &gap).ok());
}

// ---- 4. Registry imports and attribution ----

TEST_F(GapServicesTest, RegistryImportsReportRejectionsAndUpdateOnReimport) {
  v1::ImportSummary areas, schools, households;
  ASSERT_NO_FATAL_FAILURE(ImportRegistry(&areas, &schools, &households));

  EXPECT_EQ(areas.received(), 4u);
  EXPECT_EQ(areas.inserted(), 3u);
  EXPECT_EQ(areas.updated(), 0u);
  EXPECT_EQ(areas.rejected(), 1u);
  ASSERT_EQ(areas.rejections_size(), 1);
  EXPECT_EQ(areas.rejections(0).row(), 3u);
  EXPECT_EQ(areas.rejections(0).code(), "empty_geometry");

  EXPECT_EQ(schools.received(), 4u);
  EXPECT_EQ(schools.inserted(), 2u);
  EXPECT_EQ(schools.updated(), 0u);
  EXPECT_EQ(schools.rejected(), 2u);
  ASSERT_EQ(schools.rejections_size(), 2);
  EXPECT_EQ(schools.rejections(0).row(), 2u);
  EXPECT_EQ(schools.rejections(0).code(), "unknown_level");
  EXPECT_NE(schools.rejections(0).reason().find("college"), std::string::npos);
  EXPECT_EQ(schools.rejections(1).row(), 3u);
  EXPECT_EQ(schools.rejections(1).code(), "coordinates_swapped");
  EXPECT_NE(schools.rejections(1).reason().find("swapped"), std::string::npos);

  EXPECT_EQ(households.received(), 3u);
  EXPECT_EQ(households.inserted(), 2u);
  EXPECT_EQ(households.updated(), 0u);
  EXPECT_EQ(households.rejected(), 1u);
  ASSERT_EQ(households.rejections_size(), 1);
  EXPECT_EQ(households.rejections(0).row(), 2u);
  EXPECT_EQ(households.rejections(0).code(), "unknown_category");

  v1::ImportSummary areas2, schools2, households2;
  ASSERT_NO_FATAL_FAILURE(ImportRegistry(&areas2, &schools2, &households2));
  EXPECT_EQ(areas2.inserted(), 0u);
  EXPECT_EQ(areas2.updated(), 3u);
  EXPECT_EQ(areas2.rejected(), 1u);
  EXPECT_EQ(schools2.inserted(), 0u);
  EXPECT_EQ(schools2.updated(), 2u);
  EXPECT_EQ(schools2.rejected(), 2u);
  EXPECT_EQ(households2.inserted(), 0u);
  EXPECT_EQ(households2.updated(), 2u);
  EXPECT_EQ(households2.rejected(), 1u);
}

TEST_F(GapServicesTest, AnalysisAttributesDistrictSchoolsAndHouseholds) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  const v1::AnalysisRunInfo before = Analyse();
  EXPECT_EQ(before.run_id(), 1);
  v1::Gap a;
  ASSERT_TRUE(GetGap(kGapA, &a).ok());
  EXPECT_EQ(a.district(), "");
  EXPECT_EQ(a.schools(), 0);

  ASSERT_NO_FATAL_FAILURE(ImportRegistry());
  const v1::AnalysisRunInfo after = Analyse();
  EXPECT_EQ(after.run_id(), 2);
  EXPECT_EQ(after.gaps(), kGaps);

  ASSERT_TRUE(GetGap(kGapA, &a).ok());
  EXPECT_EQ(a.province(), "Tỉnh Bắc Giang");
  EXPECT_EQ(a.district(), "Huyện Sơn Động");
  EXPECT_EQ(a.commune(), "");
  EXPECT_EQ(a.schools(), 1);      // s-in; s-out lies in a good cell
  EXPECT_EQ(a.stud_nodev(), 12);  // 7 at the school + 2 poor + 3 near-poor
  EXPECT_EQ(a.poor_hh(), 1);
  EXPECT_EQ(a.npoor_hh(), 1);
  // 7 * 1 + 2 * 2 (poor) + 3 * 1.5 (near-poor) + a primary school (5 + 0.01 * 70 enrolled)
  // + 10 * severity 1 + 0.5 * 16 dB (median -121, good -105) + 0.02 km².
  EXPECT_NEAR(a.score(), 39.22, 1e-9);

  v1::Gap vnpt;  // (1,0) holds the poor household only
  ASSERT_TRUE(GetGap(kVnptWeak, &vnpt).ok());
  EXPECT_EQ(vnpt.schools(), 0);
  EXPECT_EQ(vnpt.stud_nodev(), 2);
  EXPECT_EQ(vnpt.poor_hh(), 1);
  EXPECT_EQ(vnpt.npoor_hh(), 0);
  v1::Gap umts;  // (0,0) holds the school and the near-poor household
  ASSERT_TRUE(GetGap(kUmts, &umts).ok());
  EXPECT_EQ(umts.schools(), 1);
  EXPECT_EQ(umts.stud_nodev(), 10);
  EXPECT_EQ(umts.poor_hh(), 0);
  EXPECT_EQ(umts.npoor_hh(), 1);
  v1::Gap b;  // no place inside
  ASSERT_TRUE(GetGap(kGapB, &b).ok());
  EXPECT_EQ(b.schools(), 0);
  EXPECT_EQ(b.stud_nodev(), 0);
  EXPECT_EQ(b.district(), "Huyện Sơn Động");

  v1::GapFilter son_dong;
  son_dong.set_district("Sơn Động");
  EXPECT_EQ(List(son_dong).total(), kGaps);
  son_dong.set_district("Huyện Sơn Động");
  EXPECT_EQ(List(son_dong).total(), kGaps);
  son_dong.set_operator_id("viettel");
  son_dong.set_tech(v1::LTE);
  const v1::ListGapsResponse viettel_lte = List(son_dong);
  ASSERT_EQ(viettel_lte.total(), 3u);
  EXPECT_EQ(viettel_lte.gaps(0).gap_id(), kGapA);  // the highest score now by far
  v1::GapFilter luc_ngan;
  luc_ngan.set_district("Lục Ngạn");
  EXPECT_EQ(List(luc_ngan).total(), 0u);
  EXPECT_EQ(List(luc_ngan).gaps_size(), 0);
  v1::GapFilter last_word;  // never by the last words alone
  last_word.set_district("Động");
  EXPECT_EQ(List(last_word).total(), 0u);
}

// ---- 5. ExportGaps ----

TEST_F(GapServicesTest, ExportGpkgHoldsEveryGapWithItsDistrict) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  ASSERT_NO_FATAL_FAILURE(ImportRegistry());
  Analyse();

  v1::ExportGapsRequest request;
  request.set_format("gpkg");
  std::string file_name, data;
  const grpc::Status status = Export(request, &file_name, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(file_name.ends_with(".gpkg")) << file_name;
  ASSERT_FALSE(data.empty());
  const std::string path =
      (fs::path(::testing::TempDir()) / "covgap_gap_services_export.gpkg").string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }

  geo::InitGdal();
  {
    geo::DatasetPtr ds(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    ASSERT_TRUE(ds) << path;
    ASSERT_EQ(GDALDatasetGetLayerCount(ds.get()), 1);
    OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
    EXPECT_EQ(OGR_L_GetFeatureCount(layer, TRUE), static_cast<GIntBig>(kGaps));
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(OSRGetAuthorityCode(srs, nullptr), "4326");
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const int id_field = OGR_FD_GetFieldIndex(defn, "gap_id");
    const int district_field = OGR_FD_GetFieldIndex(defn, "district");
    const int schools_field = OGR_FD_GetFieldIndex(defn, "schools");
    ASSERT_GE(id_field, 0);
    ASSERT_GE(district_field, 0);
    ASSERT_GE(schools_field, 0);
    // The evidence columns come through the store: a binned run's gaps are all measured.
    const int evidence_field = OGR_FD_GetFieldIndex(defn, "evidence");
    const int p_good_field = OGR_FD_GetFieldIndex(defn, "p_good");
    const int meas_share_field = OGR_FD_GetFieldIndex(defn, "meas_share");
    ASSERT_GE(evidence_field, 0);
    ASSERT_GE(p_good_field, 0);
    ASSERT_GE(meas_share_field, 0);
    std::set<std::string> ids;
    bool saw_a = false;
    OGR_L_ResetReading(layer);
    for (geo::FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer))) {
      const std::string id = OGR_F_GetFieldAsString(f.get(), id_field);
      ids.insert(id);
      EXPECT_STREQ(OGR_F_GetFieldAsString(f.get(), district_field), "Huyện Sơn Động") << id;
      EXPECT_STREQ(OGR_F_GetFieldAsString(f.get(), evidence_field), "measured") << id;
      EXPECT_EQ(OGR_F_GetFieldAsDouble(f.get(), p_good_field), 0.0) << id;
      EXPECT_EQ(OGR_F_GetFieldAsDouble(f.get(), meas_share_field), 1.0) << id;
      if (id != kGapA) continue;
      saw_a = true;
      EXPECT_EQ(OGR_F_GetFieldAsInteger64(f.get(), schools_field), 1);
      // Reprojected to lon/lat (longitude first): it covers the centre of cell (0,0).
      const auto [lon, lat] = InCell(0, 0);
      geo::OgrGeometryPtr point(OGR_G_CreateGeometry(wkbPoint));
      OGR_G_SetPoint_2D(point.get(), 0, lon, lat);
      OGRGeometryH geometry = OGR_F_GetGeometryRef(f.get());
      ASSERT_NE(geometry, nullptr);
      EXPECT_TRUE(OGR_G_Contains(geometry, point.get())) << lon << " " << lat;
    }
    EXPECT_TRUE(saw_a);
    EXPECT_EQ(ids.size(), kGaps);
  }

  // A filtered export holds the filtered gaps only.
  v1::ExportGapsRequest vnpt;
  vnpt.set_format("gpkg");
  vnpt.mutable_filter()->set_operator_id("vnpt");
  std::string vnpt_name, vnpt_data;
  ASSERT_TRUE(Export(vnpt, &vnpt_name, &vnpt_data).ok());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(vnpt_data.data(), static_cast<std::streamsize>(vnpt_data.size()));
  }
  {
    geo::DatasetPtr ds(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    ASSERT_TRUE(ds);
    EXPECT_EQ(OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds.get(), 0), TRUE), 2);
  }
  fs::remove(path);
}

TEST_F(GapServicesTest, ExportShpIsAZipOfAShapefile) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  ASSERT_NO_FATAL_FAILURE(ImportRegistry());
  Analyse();
  v1::ExportGapsRequest request;
  request.set_format("shp");
  std::string file_name, data;
  const grpc::Status status = Export(request, &file_name, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(file_name.ends_with(".zip")) << file_name;
  ASSERT_GE(data.size(), 4u);
  EXPECT_EQ(data.substr(0, 2), "PK");

  const std::string path =
      (fs::path(::testing::TempDir()) / "covgap_gap_services_export.zip").string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  geo::InitGdal();
  {
    const std::string vsi = "/vsizip/" + path + "/gaps.shp";
    geo::DatasetPtr ds(
        GDALOpenEx(vsi.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    ASSERT_TRUE(ds) << vsi;
    OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
    EXPECT_EQ(OGR_L_GetFeatureCount(layer, TRUE), static_cast<GIntBig>(kGaps));
    const int district_field = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "district");
    ASSERT_GE(district_field, 0);
    geo::FeaturePtr f(OGR_L_GetNextFeature(layer));
    ASSERT_TRUE(f);
    EXPECT_STREQ(OGR_F_GetFieldAsString(f.get(), district_field), "Huyện Sơn Động");
  }
  fs::remove(path);
}

TEST_F(GapServicesTest, ExportRejectsAnUnknownFormatOrCrs) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  std::string file_name, data;
  v1::ExportGapsRequest xls;
  xls.set_format("xls");
  EXPECT_EQ(Export(xls, &file_name, &data).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(data.empty());

  v1::ExportGapsRequest bad_crs;
  bad_crs.set_format("gpkg");
  bad_crs.set_crs("EPSG:999999");
  EXPECT_EQ(Export(bad_crs, &file_name, &data).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(data.empty());

  // Bắc Giang's VN-2000 TM-3 zone is offered.
  v1::ExportGapsRequest vn2000;
  vn2000.set_format("geojson");
  vn2000.set_crs("EPSG:9214");
  const grpc::Status status = Export(vn2000, &file_name, &data);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(data.find("9214"), std::string::npos);
}

// ---- 6. RunAnalysis validation and GetLatestRun ----

TEST_F(GapServicesTest, RunAnalysisRejectsInvalidRequests) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  auto expect_invalid = [&](const v1::RunAnalysisRequest& r, const std::string& what) {
    std::vector<v1::AnalysisProgress> progress;
    const grpc::Status status = RunAnalysis(r, &progress);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_FALSE(status.error_message().empty()) << what;
    EXPECT_TRUE(progress.empty()) << what;
  };
  v1::RunAnalysisRequest kriging = DesignRequest();
  kriging.set_method("kriging");
  expect_invalid(kriging, "method kriging");
  v1::RunAnalysisRequest no_cell = DesignRequest();
  no_cell.set_cell_size_m(0);
  expect_invalid(no_cell, "cell size 0");
  v1::RunAnalysisRequest huge_cell = DesignRequest();
  huge_cell.set_cell_size_m(200000);
  expect_invalid(huge_cell, "cell size 200 km");
  v1::RunAnalysisRequest upside_down = DesignRequest();
  v1::ThresholdOverride* t = upside_down.add_thresholds();
  t->set_tech(v1::LTE);
  t->set_good_dbm(-110);
  t->set_dead_dbm(-100);
  expect_invalid(upside_down, "dead above good");
  v1::RunAnalysisRequest no_tech = DesignRequest();
  no_tech.add_thresholds()->set_dead_dbm(-120);
  expect_invalid(no_tech, "threshold without a technology");
  v1::RunAnalysisRequest no_samples = DesignRequest();
  no_samples.set_min_samples(0);
  expect_invalid(no_samples, "min samples 0");
  v1::RunAnalysisRequest negative_window = DesignRequest();
  negative_window.set_window_days(-1);
  expect_invalid(negative_window, "negative window");

  // Nothing was stored by the refused runs.
  grpc::ClientContext ctx;
  v1::AnalysisRunInfo latest;
  EXPECT_EQ(analysis_->GetLatestRun(&ctx, {}, &latest).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Partitioned analysis over the API: tile_cells is recorded in params_json and the stored gaps
// (ids, figures, polygons, ranks) are those of the one-piece run; a negative value is refused.
TEST_F(GapServicesTest, TiledRunAnalysisStoresTheSameGaps) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  v1::ListGapsRequest all;
  all.set_with_geometry(true);
  const v1::AnalysisRunInfo one = Analyse();
  EXPECT_NE(one.params_json().find("\"tile_cells\":0"), std::string::npos) << one.params_json();
  const v1::ListGapsResponse before = List(all);
  ASSERT_EQ(before.gaps_size(), static_cast<int>(kGaps));
  for (int tile : {1, 2}) {
    v1::RunAnalysisRequest tiled = DesignRequest();
    tiled.set_tile_cells(tile);
    const v1::AnalysisRunInfo run = Analyse(tiled);
    EXPECT_NE(run.params_json().find("\"tile_cells\":" + std::to_string(tile)), std::string::npos)
        << run.params_json();
    EXPECT_EQ(run.gaps(), one.gaps());
    ASSERT_EQ(run.grids_size(), one.grids_size());
    for (int i = 0; i < run.grids_size(); ++i) {
      EXPECT_EQ(run.grids(i).SerializeAsString(), one.grids(i).SerializeAsString()) << i;
    }
    const v1::ListGapsResponse after = List(all);
    ASSERT_EQ(after.gaps_size(), before.gaps_size());
    for (int i = 0; i < after.gaps_size(); ++i) {
      v1::Gap a = before.gaps(i), b = after.gaps(i);
      EXPECT_EQ(a.gap_id(), b.gap_id());
      EXPECT_FALSE(a.wkb().empty());
      EXPECT_EQ(a.wkb(), b.wkb()) << a.gap_id();
      EXPECT_EQ(a.rank(), b.rank()) << a.gap_id();
      EXPECT_EQ(a.score(), b.score()) << a.gap_id();
      EXPECT_EQ(a.n_cells(), b.n_cells()) << a.gap_id();
      EXPECT_EQ(a.n_samples(), b.n_samples()) << a.gap_id();
      EXPECT_EQ(a.median_dbm(), b.median_dbm()) << a.gap_id();
      EXPECT_EQ(a.district(), b.district()) << a.gap_id();
    }
  }
  v1::RunAnalysisRequest negative = DesignRequest();
  negative.set_tile_cells(-1);
  std::vector<v1::AnalysisProgress> progress;
  const grpc::Status status = RunAnalysis(negative, &progress);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("tile cells"), std::string::npos) << status.error_message();
}

// The analysis CRS must be metric (docs/domain.md): in EPSG:4326 a "100 m" cell would be 100
// degrees wide while its gap still claimed 10000 m².
TEST_F(GapServicesTest, RunAnalysisRefusesAGeographicAnalysisCrs) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  v1::RunAnalysisRequest geographic = DesignRequest();
  geographic.set_analysis_crs("EPSG:4326");
  std::vector<v1::AnalysisProgress> progress;
  const grpc::Status status = RunAnalysis(geographic, &progress);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "accepted; the run found "
      << (progress.empty() ? std::uint64_t{0} : progress.back().run().gaps())
      << " gaps of 100-degree cells";
  v1::RunAnalysisRequest unknown = DesignRequest();
  unknown.set_analysis_crs("EPSG:999999");
  EXPECT_EQ(RunAnalysis(unknown).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GapServicesTest, GetLatestRunIsNotFoundBeforeTheFirstRunThenTheRun) {
  {
    grpc::ClientContext ctx;
    v1::AnalysisRunInfo latest;
    EXPECT_EQ(analysis_->GetLatestRun(&ctx, {}, &latest).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  const v1::AnalysisRunInfo run = Analyse();
  grpc::ClientContext ctx;
  v1::AnalysisRunInfo latest;
  const grpc::Status status = analysis_->GetLatestRun(&ctx, {}, &latest);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(latest.run_id(), 1);
  EXPECT_EQ(latest.run_id(), run.run_id());
  EXPECT_EQ(latest.measurements(), kMeasurements);
  EXPECT_EQ(latest.gaps(), kGaps);
  EXPECT_EQ(latest.started_unix_ms(), run.started_unix_ms());
  EXPECT_EQ(latest.finished_unix_ms(), run.finished_unix_ms());
  EXPECT_EQ(latest.params_json(), run.params_json());
}

// ---- 7. A later run replaces the gaps ----

TEST_F(GapServicesTest, ALaterRunWithAnEmptyWindowReplacesTheGaps) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  const v1::AnalysisRunInfo first = Analyse();
  EXPECT_EQ(first.gaps(), kGaps);
  EXPECT_EQ(List(v1::ListGapsRequest()).total(), kGaps);

  // As of 2023-06-01 the 365-day window starts 2022-06-01: every 2021 sample has expired.
  v1::RunAnalysisRequest later = DesignRequest();
  later.set_as_of_unix_ms(UnixMs(2023, 6, 1));
  const v1::AnalysisRunInfo second = Analyse(later);
  EXPECT_EQ(second.run_id(), 2);
  EXPECT_EQ(second.measurements(), 0u);
  EXPECT_EQ(second.gaps(), 0u);
  EXPECT_EQ(second.grids_size(), 0);

  const v1::ListGapsResponse none = List(v1::ListGapsRequest());
  EXPECT_EQ(none.total(), 0u);
  EXPECT_EQ(none.gaps_size(), 0);
  EXPECT_TRUE(none.next_page_token().empty());
  v1::Gap gap;
  EXPECT_EQ(GetGap(kGapA, &gap).error_code(), grpc::StatusCode::NOT_FOUND);

  // Window 0 means no limit: the same date finds the 2021 gaps again.
  later.set_window_days(0);
  const v1::AnalysisRunInfo third = Analyse(later);
  EXPECT_EQ(third.run_id(), 3);
  EXPECT_EQ(third.measurements(), kMeasurements);
  EXPECT_EQ(third.gaps(), kGaps);
  EXPECT_EQ(List(v1::ListGapsRequest()).total(), kGaps);
  EXPECT_TRUE(GetGap(kGapA, &gap).ok());
}

TEST_F(GapServicesTest, OperatorToDoListHasTheCommonGapsFirst) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  Analyse();
  v1::ListGapsRequest request;
  request.mutable_filter()->set_operator_id("viettel");
  request.mutable_filter()->set_include_common(true);
  request.set_order(v1::GAP_ORDER_TODO);
  const v1::ListGapsResponse todo = List(request);
  ASSERT_EQ(todo.gaps_size(), 8);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(todo.gaps(i).kind(), v1::COMMON) << i;
  for (int i = 4; i < 8; ++i) EXPECT_EQ(todo.gaps(i).operator_id(), "viettel") << i;
  for (int i : {1, 2, 3, 5, 6, 7}) {
    EXPECT_GE(todo.gaps(i - 1).score(), todo.gaps(i).score()) << i;
  }
  request.mutable_filter()->set_include_common(false);
  EXPECT_EQ(List(request).gaps_size(), 4);
}

TEST_F(GapServicesTest, RankingWeightsPerRunAreCheckedAndRecorded) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  v1::RunAnalysisRequest bad = DesignRequest();
  (*bad.mutable_ranking_weights())["orphans"] = 2;
  grpc::Status status = RunAnalysis(bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("covid_orphan"), std::string::npos);
  v1::RunAnalysisRequest negative = DesignRequest();
  (*negative.mutable_ranking_weights())["per_km2"] = -1;
  EXPECT_EQ(RunAnalysis(negative).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::RunAnalysisRequest request = DesignRequest();
  (*request.mutable_ranking_weights())["dead_share"] = 100;
  const v1::AnalysisRunInfo run = Analyse(request);
  EXPECT_NE(run.params_json().find("\"dead_share\":100"), std::string::npos) << run.params_json();
  EXPECT_NE(run.params_json().find("\"covid_orphan\":3"), std::string::npos);
  v1::Gap a;
  ASSERT_TRUE(GetGap(kGapA, &a).ok());
  // severity 1 * 100 + 0.5 * 16 dB below -105 + 0.02 km² (no people imported).
  EXPECT_NEAR(a.score(), 108.02, 1e-9);
}

TEST_F(GapServicesTest, ListSchoolsGivesCoverageWhiteZonesAndTotalsByDistrict) {
  ASSERT_NO_FATAL_FAILURE(IngestDesign());
  auto list = [&](const std::string& district, bool uncovered, v1::ListSchoolsResponse* out) {
    grpc::ClientContext ctx;
    v1::ListSchoolsRequest request;
    request.set_district(district);
    request.set_uncovered_only(uncovered);
    return schools_->ListSchools(&ctx, request, out);
  };
  v1::ListSchoolsResponse early;
  EXPECT_EQ(list("", false, &early).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_NO_FATAL_FAILURE(ImportRegistry());
  {
    v1::ImportSchoolsRequest sr;
    const auto [lon, lat] = InCell(5, 5);  // vnpt LTE -80: good indoors too
    v1::School s = MakeSchool("s-ln", "upper_secondary", lat, lon, 4);
    s.set_district("Huyện Lục Ngạn");
    *sr.add_schools() = s;
    const auto [far_lon, far_lat] = InCell(40, 40);  // nobody measured there
    v1::School far = MakeSchool("s-far", "primary", far_lat, far_lon, 2);
    far.set_district("Huyện Yên Thế");
    *sr.add_schools() = far;
    grpc::ClientContext ctx;
    v1::ImportSummary summary;
    ASSERT_TRUE(registry_->ImportSchools(&ctx, sr, &summary).ok());
  }
  const v1::AnalysisRunInfo run = Analyse();

  v1::ListSchoolsResponse all;
  ASSERT_TRUE(list("", false, &all).ok());
  EXPECT_EQ(all.run_id(), run.run_id());
  EXPECT_EQ(all.total_schools(), 4u);
  EXPECT_EQ(all.white_zone_schools(), 1u);
  EXPECT_EQ(all.no_data_schools(), 1u);  // s-far: unknown, not counted as a white zone
  EXPECT_EQ(all.no_data_students(), 20u);
  EXPECT_DOUBLE_EQ(all.nearest_good_limit_m(), 20000);
  std::map<std::string, v1::SchoolRow> rows;
  for (const auto& r : all.schools()) rows[r.school().school_id()] = r;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_TRUE(rows["s-far"].no_data());
  EXPECT_FALSE(rows["s-far"].white_zone());
  EXPECT_FALSE(rows["s-in"].no_data());

  // s-in: viettel LTE dead, vnpt LTE good outdoors (-100) but weak indoors, viettel UMTS dead.
  const v1::SchoolRow& in = rows["s-in"];
  EXPECT_TRUE(in.white_zone());
  EXPECT_EQ(in.school().name(), "Trường s-in");
  EXPECT_EQ(in.school().students_nodev(), 7);
  ASSERT_EQ(in.coverage_size(), 3);  // viettel LTE, viettel UMTS, vnpt LTE
  std::map<std::pair<std::string, v1::Technology>, v1::SchoolCoverage> cov;
  for (const auto& c : in.coverage()) cov[{c.operator_id(), c.tech()}] = c;
  const auto& v_lte = cov[{"viettel", v1::LTE}];
  EXPECT_EQ(v_lte.indoor_class(), "dead");
  EXPECT_EQ(v_lte.samples(), 3);
  EXPECT_DOUBLE_EQ(v_lte.median_dbm(), -121);
  ASSERT_TRUE(v_lte.has_nearest_good_m());  // cell (2,0), from 20 m right and 20 m below centre
  EXPECT_NEAR(v_lte.nearest_good_m(), std::hypot(180.0, 20.0), 1e-3);
  const auto& n_lte = cov[{"vnpt", v1::LTE}];
  EXPECT_EQ(n_lte.indoor_class(), "weak");
  EXPECT_DOUBLE_EQ(n_lte.median_dbm(), -100);
  EXPECT_NEAR(n_lte.nearest_good_m(), std::hypot(20.0, 20.0), 1e-3);
  const auto& v_umts = cov[{"viettel", v1::UMTS}];
  EXPECT_EQ(v_umts.indoor_class(), "dead");
  EXPECT_FALSE(v_umts.has_nearest_good_m());  // no good UMTS cell anywhere

  // s-out: viettel LTE (2,0) median -95 = -105 + 10: good indoors. vnpt never measured there.
  const v1::SchoolRow& out = rows["s-out"];
  EXPECT_FALSE(out.white_zone());
  for (const auto& c : out.coverage()) {
    if (c.operator_id() == "vnpt") {
      EXPECT_EQ(c.indoor_class(), "unmeasured");
      EXPECT_EQ(c.samples(), 0);
      EXPECT_FALSE(c.has_median_dbm());
    }
  }
  EXPECT_FALSE(rows["s-ln"].white_zone());

  v1::ListSchoolsResponse son_dong;
  ASSERT_TRUE(list("Sơn Động", false, &son_dong).ok());
  EXPECT_EQ(son_dong.schools_size(), 2);
  EXPECT_EQ(son_dong.total_schools(), 2u);
  EXPECT_EQ(son_dong.white_zone_schools(), 1u);
  EXPECT_EQ(son_dong.white_zone_students(), 70u);
  EXPECT_EQ(son_dong.white_zone_students_nodev(), 7u);
  v1::ListSchoolsResponse uncovered;
  ASSERT_TRUE(list("Huyện Sơn Động", true, &uncovered).ok());
  ASSERT_EQ(uncovered.schools_size(), 1);
  EXPECT_EQ(uncovered.schools(0).school().school_id(), "s-in");
  EXPECT_EQ(uncovered.total_schools(), 2u);  // totals are over the district, covered or not
  v1::ListSchoolsResponse luc_ngan;
  ASSERT_TRUE(list("Lục Ngạn", false, &luc_ngan).ok());
  ASSERT_EQ(luc_ngan.schools_size(), 1);
  EXPECT_EQ(luc_ngan.schools(0).school().school_id(), "s-ln");
  EXPECT_EQ(luc_ngan.white_zone_schools(), 0u);
  v1::ListSchoolsResponse part;
  ASSERT_TRUE(list("Động", false, &part).ok());
  EXPECT_EQ(part.total_schools(), 0u);
}

}  // namespace
}  // namespace covgap::server
