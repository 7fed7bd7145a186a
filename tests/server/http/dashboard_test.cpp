// The dashboard's HTTP side (server/http/dashboard/) over a real store, with real HTTP on loopback:
// `/` for browsers and for GIS clients, the embedded files, and the JSON API with the roles of
// gRPC (authority, viewer, operator, no token). The page itself runs in Chromium in
// tests/e2e/dashboard_test.py.
#include "server/http/dashboard/dashboard.h"

#include <cpl_json.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <ogr_api.h>

#include <filesystem>
#include <string>
#include <vector>

#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"
#include "server/covgap_server.h"
#include "server/http/http_server.h"
#include "server/store/sqlite_store.h"
#include "tests/support/test_geometry.h"

namespace covgap::server::http {
namespace {

namespace fs = std::filesystem;
using test_support::SquareAround;
using test_support::Wkb;

constexpr char kAuthority[] = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";
constexpr char kViewer[] = "cgp_view0000_0123456789abcdef0123456789abcdef0123viewer";
constexpr char kViettel[] = "cgp_oper0000_0123456789abcdef0123456789abcdef0123operat";
constexpr char kHousehold[] = "HH-SECRET-0042";

// A 400 m square gap around (lon, lat), stored in EPSG:32648 as the analysis writes them.
geo::Gap GapAround(const std::string& id, geo::GapKind kind, const std::string& op,
                   geo::Technology tech, std::int64_t rank, double lon, double lat) {
  geo::Gap g;
  g.gap_id = id;
  g.kind = kind;
  g.operator_id = op;
  g.tech = tech;
  g.rank = rank;
  g.score = 40.0 - static_cast<double>(rank) * 10;
  g.district = rank == 3 ? "Huyện Sơn Động" : "Huyện Lục Ngạn";
  g.crs = "EPSG:32648";
  g.area_m2 = 160000;
  g.poor_hh = 2;
  g.analysed_ms = *geo::ParseIso8601("2021-12-01");
  g.wkb = SquareAround(lon, lat);
  return g;
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    geo::InitGdal();
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_dashboard_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    auto opened = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store::Store& s = *opened.value();
    for (auto [text, role] : {std::pair{kViewer, "viewer"}, {kViettel, "operator:viettel"}}) {
      auto t = AccessControl::TokenFromText(text, role, "test", "test");
      ASSERT_TRUE(t.ok()) << t.status().message();
      ASSERT_TRUE(s.CreateToken(t->record).ok());
    }
    geo::AdminArea district;
    district.level = geo::AreaLevel::kDistrict;
    district.code = "219";
    district.name = "Huyện Lục Ngạn";
    district.wkb = Wkb("POLYGON ((106.5 21.2,106.9 21.2,106.9 21.5,106.5 21.5,106.5 21.2))");
    ASSERT_TRUE(s.UpsertAreas({district}).ok());
    geo::School school;
    school.school_id = "TH-01";
    school.name = "Trường Tiểu học Tân Sơn";
    school.district = "Huyện Lục Ngạn";
    school.lon = 106.7;
    school.lat = 21.3;
    school.students = 400;
    school.students_nodev = 31;
    ASSERT_TRUE(s.UpsertSchools({school}).ok());
    geo::Household household;
    household.household_id = kHousehold;
    household.lon = 106.7005;
    household.lat = 21.3;
    household.students_nodev = 2;
    ASSERT_TRUE(s.UpsertHouseholds({household}).ok());
    std::vector<geo::Gap> gaps = {
        GapAround("common-LTE-1", geo::GapKind::kCommon, "", geo::Technology::kLte, 1, 106.7, 21.3),
        GapAround("viettel-LTE-1", geo::GapKind::kOperator, "viettel", geo::Technology::kLte, 2,
                  106.6, 21.25),
        GapAround("vnpt-UMTS-1", geo::GapKind::kOperator, "vnpt", geo::Technology::kUmts, 3, 106.85,
                  21.45)};
    store::AnalysisRun run;
    run.started_ms = run.finished_ms = *geo::ParseIso8601("2021-12-01");
    run.params_json = "{}";
    run.summary_json = "{}";
    ASSERT_TRUE(s.SaveAnalysis(run, gaps).ok());
    // viettel plans its gap; the authority reopens vnpt's after vnpt planned it.
    for (auto [id, to, type] : {std::tuple{"viettel-LTE-1", "planned", "planned"},
                                {"vnpt-UMTS-1", "planned", "planned"},
                                {"vnpt-UMTS-1", "open", "reopened"}}) {
      auto gap = s.GetGap(id);
      ASSERT_TRUE(gap.ok());
      store::GapStateChange change;
      change.gap_id = id;
      change.expected_status = gap->status;
      change.new_status = to;
      change.plan = std::string(to) == "planned" ? "Trạm BTS mới" : "";
      if (std::string(to) == "planned") change.target_ms = *geo::ParseIso8601("2021-12-15");
      change.event.type = type;
      change.event.from_status = gap->status;
      change.event.to_status = to;
      ASSERT_TRUE(s.UpdateGapState(change).ok());
    }

    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = kAuthority;
    auto server = CovgapServer::Start(std::move(opened.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    ogc_ = std::make_unique<ogc::OgcContext>(server_->store(), server_->access());
    dashboard_ = std::make_unique<dashboard::DashboardContext>(dashboard::DashboardContext{
        *ogc_, *geo::ParseIso8601("2021-12-20"), LatestSchoolCoverageSource()});
    HttpOptions http;
    http.address = "127.0.0.1:0";
    auto started = HttpServer::Start(http, dashboard::WebRoutes(*dashboard_));
    ASSERT_TRUE(started.ok()) << started.status().message();
    http_ = std::move(started.value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
    client_->set_decompress(true);
  }
  void TearDown() override {
    client_.reset();
    if (http_) http_->Stop();
    http_.reset();
    dashboard_.reset();
    ogc_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  httplib::Result Get(const std::string& path, const std::string& token = kAuthority,
                      const std::string& accept = "application/json") {
    httplib::Headers headers = {{"Accept", accept}};
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Get(path, headers);
  }
  int StatusOf(const std::string& path, const std::string& token = kAuthority) {
    auto res = Get(path, token);
    return res ? res->status : -1;
  }
  CPLJSONObject GetJson(const std::string& path, const std::string& token = kAuthority) {
    auto res = Get(path, token);
    CPLJSONDocument doc;
    if (!res) {
      ADD_FAILURE() << "no response to " << path;
      return doc.GetRoot();
    }
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    EXPECT_EQ(res->body.find(kHousehold), std::string::npos) << path << " names a household";
    EXPECT_TRUE(doc.LoadMemory(res->body)) << path << ": " << res->body;
    return doc.GetRoot();
  }
  static std::vector<std::string> GapIds(const CPLJSONObject& todo) {
    std::vector<std::string> ids;
    for (const CPLJSONObject& g : todo.GetArray("gaps")) ids.push_back(g.GetString("gap_id"));
    return ids;
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<ogc::OgcContext> ogc_;
  std::unique_ptr<dashboard::DashboardContext> dashboard_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardTest, RootIsTheDashboardForBrowsersAndTheLandingPageForGisClients) {
  auto page = Get("/", "", "text/html,application/xhtml+xml,*/*;q=0.8");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << "the page needs no token: it holds no data";
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("/dashboard/app.js"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  // QGIS and GDAL ask for JSON; f=json and f=html are the OGC landing page, which needs a token.
  auto landing = Get("/", kViewer, "application/json");
  ASSERT_TRUE(landing);
  EXPECT_EQ(landing->status, 200);
  EXPECT_NE(landing->body.find("\"conformance\""), std::string::npos) << landing->body;
  EXPECT_EQ(StatusOf("/", ""), 401);
  auto html = Get("/?f=html", kViewer, "text/html");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 200);
  EXPECT_EQ(html->body.find("app.js"), std::string::npos) << "f=html is the OGC landing page";
  EXPECT_NE(html->body.find("/collections"), std::string::npos);
}

TEST_F(DashboardTest, TheFilesAreServedFromTheBinary) {
  for (auto [name, type, marker] :
       {std::tuple{"app.js", "text/javascript; charset=utf-8", "/dashboard/api/todo"},
        {"leaflet.js", "text/javascript; charset=utf-8", "Leaflet"},
        {"leaflet.css", "text/css; charset=utf-8", ".leaflet-container"},
        {"style.css", "text/css; charset=utf-8", "#map"},
        {"colours.js", "text/javascript; charset=utf-8", "COVGAP_STATUS_COLOURS"}}) {
    auto res = Get(std::string("/dashboard/") + name, "");
    ASSERT_TRUE(res) << name;
    EXPECT_EQ(res->status, 200) << name;
    EXPECT_EQ(res->get_header_value("Content-Type"), type) << name;
    EXPECT_NE(res->body.find(marker), std::string::npos) << name;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  }
  auto index = Get("/dashboard/", "", "*/*");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_EQ(StatusOf("/dashboard/nothing.js", ""), 404);
}

TEST_F(DashboardTest, MeSaysWhoTheTokenIsAndNoTokenIsRefusedWithoutAChallenge) {
  CPLJSONObject me = GetJson("/dashboard/api/me");
  EXPECT_EQ(me.GetString("role"), "authority");
  EXPECT_EQ(me.GetString("deadline"), "2021-12-20");
  EXPECT_EQ(me.GetObj("latest_run").GetLong("run_id"), 1);
  EXPECT_TRUE(me.GetBool("may_read_progress"));
  me = GetJson("/dashboard/api/me", kViettel);
  EXPECT_EQ(me.GetString("role"), "operator");
  EXPECT_EQ(me.GetString("operator_id"), "viettel");
  EXPECT_FALSE(me.GetBool("may_read_progress"));
  EXPECT_EQ(GetJson("/dashboard/api/me", kViewer).GetString("role"), "viewer");
  auto none = Get("/dashboard/api/me", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_FALSE(none->has_header("WWW-Authenticate")) << "a challenge opens a password dialog";
  EXPECT_EQ(StatusOf("/dashboard/api/me?x=1"), 400);
}

TEST_F(DashboardTest, TodoIsRankedScopedFilteredAndCarriesBoundingBoxes) {
  CPLJSONObject todo = GetJson("/dashboard/api/todo", kViewer);
  EXPECT_EQ(todo.GetString("order"), "rank");
  EXPECT_EQ(GapIds(todo),
            (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1", "vnpt-UMTS-1"}));
  const auto gaps = todo.GetArray("gaps");
  EXPECT_EQ(gaps[1].GetString("shown_status"), "planned");
  EXPECT_EQ(gaps[1].GetString("target"), "2021-12-15");
  EXPECT_EQ(gaps[2].GetString("status"), "open");
  EXPECT_EQ(gaps[2].GetString("shown_status"), "reopened") << "open again after a reopen";
  EXPECT_EQ(gaps[0].GetInteger("poor_hh"), 2) << "households as counts";
  // The bbox is CRS84 and holds the gap's centre (106.7, 21.3).
  const CPLJSONArray box = gaps[0].GetArray("bbox");
  ASSERT_EQ(box.Size(), 4);
  EXPECT_LT(box[0].ToDouble(), 106.7);
  EXPECT_GT(box[2].ToDouble(), 106.7);
  EXPECT_LT(box[1].ToDouble(), 21.3);
  EXPECT_GT(box[3].ToDouble(), 21.3);
  EXPECT_LT(box[2].ToDouble() - box[0].ToDouble(), 0.01) << "about 400 m";

  // An operator: its own and the common gaps, its to-do order; another operator's is 403.
  CPLJSONObject own = GetJson("/dashboard/api/todo", kViettel);
  EXPECT_EQ(own.GetString("order"), "todo");
  EXPECT_EQ(GapIds(own), (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1"}));
  EXPECT_EQ(GapIds(GetJson("/dashboard/api/todo?operator=viettel", kViettel)), GapIds(own));
  EXPECT_EQ(StatusOf("/dashboard/api/todo?operator=vnpt", kViettel), 403);
  // The authority filters on an operator (its to-do list), a technology, a district.
  EXPECT_EQ(GapIds(GetJson("/dashboard/api/todo?operator=vnpt")),
            (std::vector<std::string>{"common-LTE-1", "vnpt-UMTS-1"}));
  EXPECT_EQ(GapIds(GetJson("/dashboard/api/todo?tech=UMTS")),
            (std::vector<std::string>{"vnpt-UMTS-1"}));
  EXPECT_EQ(GapIds(GetJson("/dashboard/api/todo?district=S%C6%A1n%20%C4%90%E1%BB%99ng")),
            (std::vector<std::string>{"vnpt-UMTS-1"}));
  EXPECT_EQ(GapIds(GetJson("/dashboard/api/todo?district=Huy%E1%BB%87n%20L%E1%BB%A5c%20Ng%E1%BA%A1n"
                           "&tech=LTE")),
            (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1"}));
  EXPECT_EQ(StatusOf("/dashboard/api/todo?tech=WiMAX"), 400);
  EXPECT_EQ(StatusOf("/dashboard/api/todo?operator=nobody"), 400);
  EXPECT_EQ(StatusOf("/dashboard/api/todo?limit=3"), 400);
  EXPECT_EQ(StatusOf("/dashboard/api/todo", ""), 401);
}

TEST_F(DashboardTest, GapHistoryFollowsTheRulesOfGetGapHistory) {
  CPLJSONObject h = GetJson("/dashboard/api/gaps/vnpt-UMTS-1/history", kViewer);
  EXPECT_EQ(h.GetObj("gap").GetString("shown_status"), "reopened");
  std::vector<std::string> types;
  for (const CPLJSONObject& e : h.GetArray("events")) types.push_back(e.GetString("type"));
  EXPECT_EQ(types, (std::vector<std::string>{"new", "planned", "reopened"}));
  h = GetJson("/dashboard/api/gaps/viettel-LTE-1/history", kViettel);
  EXPECT_EQ(h.GetObj("gap").GetString("plan"), "Trạm BTS mới");
  EXPECT_EQ(h.GetArray("events").Size(), 2);
  EXPECT_EQ(GetJson("/dashboard/api/gaps/common-LTE-1/history", kViettel).GetArray("events").Size(),
            1);
  EXPECT_EQ(StatusOf("/dashboard/api/gaps/vnpt-UMTS-1/history", kViettel), 403);
  EXPECT_EQ(StatusOf("/dashboard/api/gaps/nothing-LTE-9/history"), 404);
  EXPECT_EQ(StatusOf("/dashboard/api/gaps/viettel-LTE-1/history", ""), 401);
}

TEST_F(DashboardTest, SchoolsCarryTheirSignalAndCounts) {
  for (const char* token : {kAuthority, kViewer, kViettel}) {
    CPLJSONObject s = GetJson("/dashboard/api/schools", token);
    EXPECT_EQ(s.GetLong("total_schools"), 1) << token;
    ASSERT_EQ(s.GetArray("schools").Size(), 1);
    const CPLJSONObject school = s.GetArray("schools")[0];
    EXPECT_EQ(school.GetString("name"), "Trường Tiểu học Tân Sơn");
    EXPECT_EQ(school.GetString("signal"), "no_data") << "the run stored no coverage records";
    EXPECT_EQ(school.GetInteger("students_nodev"), 31);
  }
  EXPECT_EQ(
      GetJson("/dashboard/api/schools?district=Y%C3%AAn%20D%C5%A9ng").GetLong("total_schools"), 0);
  EXPECT_EQ(StatusOf("/dashboard/api/schools", ""), 401);
}

TEST_F(DashboardTest, ProgressIsTheReportAgainstTheDeadline) {
  CPLJSONObject p = GetJson("/dashboard/api/progress?as_of=2021-12-10", kViewer);
  EXPECT_EQ(p.GetString("deadline"), "2021-12-20");
  EXPECT_EQ(p.GetLong("days_left"), 10);
  EXPECT_EQ(p.GetObj("total").GetObj("gaps").GetLong("planned"), 1);
  EXPECT_EQ(p.GetObj("total").GetObj("gaps").GetLong("open"), 1);
  EXPECT_EQ(p.GetObj("common_gaps").GetLong("open"), 1);
  EXPECT_EQ(p.GetObj("readiness_total").GetLong("schools"), 1);
  EXPECT_EQ(
      GetJson("/dashboard/api/progress?as_of=2021-12-10&deadline=2021-12-31").GetLong("days_left"),
      21);
  EXPECT_EQ(StatusOf("/dashboard/api/progress", kViettel), 403) << "not for one operator";
  EXPECT_EQ(StatusOf("/dashboard/api/progress?deadline=20/12/2021"), 400);
  EXPECT_EQ(StatusOf("/dashboard/api/progress", ""), 401);
  dashboard_->deadline_ms = 0;
  auto none = Get("/dashboard/api/progress");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 409);
  EXPECT_NE(none->body.find("--deadline"), std::string::npos) << none->body;
}

}  // namespace
}  // namespace covgap::server::http
