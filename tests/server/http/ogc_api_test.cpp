// covgapd's HTTP feature API (server/http/) over a real store, with real HTTP on loopback:
// OGC API - Features documents, paging, filters, CRSs, tokens and roles, the read-only rules and
// compression. The GDAL and QGIS clients are exercised end to end in tests/e2e/web_test.py.
#include "server/http/ogc/ogc_api.h"

#include <arpa/inet.h>
#include <cpl_json.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <ogr_api.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "geo/base/time_format.h"
#include "geo/export/gap_export.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"
#include "server/covgap_server.h"
#include "server/http/http_auth.h"
#include "server/http/http_server.h"
#include "server/http/ogc/feature_cache.h"
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

// A 400 m square gap around (lon, lat), stored in EPSG:32648 as the analysis writes them.
geo::Gap GapAround(const std::string& id, geo::GapKind kind, const std::string& op,
                   geo::Technology tech, double score, double lon, double lat) {
  geo::Gap g;
  g.gap_id = id;
  g.kind = kind;
  g.operator_id = op;
  g.tech = tech;
  g.score = score;
  g.district = "Huyện Lục Ngạn";
  g.commune = "Xã Tân Sơn";
  g.crs = "EPSG:32648";
  g.area_m2 = 160000;
  g.analysed_ms = *geo::ParseIso8601("2021-12-01");
  g.wkb = SquareAround(lon, lat);
  return g;
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class OgcApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    geo::InitGdal();
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_ogc_" +
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
    household.household_id = "HH-SECRET-0042";
    household.lon = 106.7005;
    household.lat = 21.3;
    household.students_nodev = 2;
    ASSERT_TRUE(s.UpsertHouseholds({household}).ok());
    // Three gaps: a common one, viettel's (planned, due 2021-12-20) and vnpt's far east.
    std::vector<geo::Gap> gaps = {GapAround("common-LTE-1", geo::GapKind::kCommon, "",
                                            geo::Technology::kLte, 30, 106.7, 21.3),
                                  GapAround("viettel-LTE-1", geo::GapKind::kOperator, "viettel",
                                            geo::Technology::kLte, 20, 106.6, 21.25),
                                  GapAround("vnpt-UMTS-1", geo::GapKind::kOperator, "vnpt",
                                            geo::Technology::kUmts, 10, 106.85, 21.45)};
    gaps[0].rank = 1;
    gaps[1].rank = 2;
    gaps[2].rank = 3;
    gaps[0].students_nodev = 33;
    gaps[0].schools = 1;
    store::AnalysisRun run;
    run.started_ms = run.finished_ms = *geo::ParseIso8601("2021-12-01");
    run.params_json = "{}";
    run.summary_json = "{}";
    ASSERT_TRUE(s.SaveAnalysis(run, gaps).ok());
    store::GapStateChange plan;
    plan.gap_id = "viettel-LTE-1";
    plan.expected_status = "open";
    plan.new_status = "planned";
    plan.plan = "Trạm BTS mới";
    plan.target_ms = *geo::ParseIso8601("2021-12-20");
    plan.event.type = "planned";
    ASSERT_TRUE(s.UpdateGapState(plan).ok());

    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = kAuthority;
    auto server = CovgapServer::Start(std::move(opened.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    ogc_ = std::make_unique<ogc::OgcContext>(server_->store(), server_->access());
    HttpOptions http;
    http.address = "127.0.0.1:0";
    auto started = HttpServer::Start(http, ogc::OgcRoutes(*ogc_));
    ASSERT_TRUE(started.ok()) << started.status().message();
    http_ = std::move(started.value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
    client_->set_decompress(true);
  }
  void TearDown() override {
    client_.reset();
    if (http_) http_->Stop();
    http_.reset();
    ogc_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  Reply Get(const std::string& path, const std::string& token = kAuthority,
            httplib::Headers headers = {}) {
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto res = client_->Get(path, headers);
    Reply r;
    if (!res) {
      ADD_FAILURE() << "no response to " << path << ": " << httplib::to_string(res.error());
      return r;
    }
    r.status = res->status;
    r.body = res->body;
    r.headers = res->headers;
    return r;
  }

  // A JSON document (status 200 expected).
  CPLJSONObject GetJson(const std::string& path, const std::string& token = kAuthority) {
    const Reply r = Get(path, token);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    CPLJSONDocument doc;
    EXPECT_TRUE(doc.LoadMemory(r.body)) << path << ": " << r.body;
    return doc.GetRoot();
  }

  // The ids of a page of features.
  static std::vector<std::string> Ids(const CPLJSONObject& collection) {
    std::vector<std::string> ids;
    for (const CPLJSONObject& f : collection.GetArray("features")) ids.push_back(f.GetString("id"));
    return ids;
  }

  static std::string LinkHref(const CPLJSONObject& doc, const std::string& rel) {
    for (const CPLJSONObject& l : doc.GetArray("links")) {
      if (l.GetString("rel") == rel) return l.GetString("href");
    }
    return {};
  }

  // `href` without scheme and host (the client is bound to the server already).
  std::string PathOf(const std::string& href) {
    const std::string prefix = "http://127.0.0.1:" + std::to_string(http_->port());
    EXPECT_EQ(href.rfind(prefix, 0), 0u) << href;
    return href.substr(prefix.size());
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<ogc::OgcContext> ogc_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OgcApiTest, LandingConformanceAndApiDescribeTheService) {
  const CPLJSONObject landing = GetJson("/");
  for (const char* rel : {"self", "conformance", "data", "service-desc"}) {
    EXPECT_FALSE(LinkHref(landing, rel).empty()) << rel;
  }
  const CPLJSONObject conformance = GetJson("/conformance");
  std::set<std::string> classes;
  for (const CPLJSONObject& c : conformance.GetArray("conformsTo")) classes.insert(c.ToString());
  EXPECT_TRUE(classes.count("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
  EXPECT_TRUE(classes.count("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));
  const Reply api = Get("/api");
  ASSERT_EQ(api.status, 200);
  EXPECT_EQ(api.Header("Content-Type"), "application/vnd.oai.openapi+json;version=3.0");
  CPLJSONDocument doc;
  ASSERT_TRUE(doc.LoadMemory(api.body));
  // GDAL's OAPIF driver sends a filter only when the definition declares the parameter.
  std::set<std::string> declared;
  for (const CPLJSONObject& p : doc.GetRoot()
                                    .GetObj("paths")
                                    .GetObj("/collections/{collectionId}/items")
                                    .GetArray("get/parameters")) {
    declared.insert(p.GetString("name"));
  }
  for (const char* name : {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "operator",
                           "tech", "district", "status", "min_score", "token"}) {
    EXPECT_TRUE(declared.count(name)) << name << " is not declared";
  }
}

TEST_F(OgcApiTest, TokensComeAsBearerBasicOrQueryAndNothingElseGetsIn) {
  EXPECT_EQ(Get("/collections", kViewer).status, 200);
  httplib::Headers basic = {{"Authorization", "Basic " + Base64(std::string("qgis:") + kViewer)}};
  EXPECT_EQ(Get("/collections", "", basic).status, 200) << "Basic with the token as password";
  EXPECT_EQ(Get(std::string("/collections?token=") + kViewer, "").status, 200);
  const Reply none = Get("/collections", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.Header("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_NE(none.body.find("no token"), std::string::npos) << none.body;
  EXPECT_EQ(Get("/collections", "cgp_nobody00_0123456789abcdef0123456789abcdef0123456789").status,
            401);
  httplib::Headers bad_basic = {{"Authorization", "Basic !!!notbase64"}};
  EXPECT_EQ(Get("/collections", "", bad_basic).status, 401);
  // The token given in the query rides along on every link, as QGIS expects.
  const CPLJSONObject landing = GetJson(std::string("/?token=") + kViewer, "");
  EXPECT_NE(LinkHref(landing, "data").find(std::string("token=") + kViewer), std::string::npos);
}

TEST_F(OgcApiTest, CollectionsAreOnePerGroupAndOperatorsSeeTheirOwnAndCommonOnly) {
  std::vector<std::string> ids;
  for (const CPLJSONObject& c : GetJson("/collections").GetArray("collections")) {
    ids.push_back(c.GetString("id"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"gaps", "gaps-common-lte", "gaps-viettel-lte",
                                           "gaps-vnpt-umts", "schools", "districts"}));
  ids.clear();
  for (const CPLJSONObject& c : GetJson("/collections", kViettel).GetArray("collections")) {
    ids.push_back(c.GetString("id"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"gaps", "gaps-common-lte", "gaps-viettel-lte", "schools",
                                           "districts"}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items", kViettel)),
            (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1"}));
  EXPECT_EQ(Get("/collections/gaps-vnpt-umts/items", kViettel).status, 403);
  EXPECT_EQ(Get("/collections/gaps-vnpt-umts/items/vnpt-UMTS-1", kViettel).status, 403);
  EXPECT_EQ(Get("/collections/gaps/items/vnpt-UMTS-1", kViettel).status, 404);
  EXPECT_EQ(Get("/collections/gaps-nobody-lte").status, 404);
  EXPECT_EQ(Get("/collections/nothing/items").status, 404);
  const CPLJSONObject one = GetJson("/collections/gaps-viettel-lte");
  EXPECT_EQ(one.GetString("id"), "gaps-viettel-lte");
  const auto bbox = one.GetObj("extent").GetObj("spatial").GetArray("bbox")[0].ToArray();
  ASSERT_EQ(bbox.Size(), 4);
  EXPECT_NEAR(bbox[0].ToDouble(), 106.598, 0.002);  // the viettel gap's 400 m square
  EXPECT_NEAR(bbox[1].ToDouble(), 21.248, 0.002);
}

TEST_F(OgcApiTest, ItemsArePagedWithNumberMatchedAndNextLinksInRankOrder) {
  CPLJSONObject page = GetJson("/collections/gaps/items?limit=1");
  EXPECT_EQ(page.GetString("type"), "FeatureCollection");
  EXPECT_EQ(page.GetLong("numberMatched"), 3);
  EXPECT_EQ(page.GetLong("numberReturned"), 1);
  std::vector<std::string> all = Ids(page);
  std::string next = LinkHref(page, "next");
  while (!next.empty()) {
    page = GetJson(PathOf(next));
    for (const std::string& id : Ids(page)) all.push_back(id);
    EXPECT_LE(all.size(), 3u);
    next = LinkHref(page, "next");
    if (all.size() > 3) break;
  }
  EXPECT_EQ(all, (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1", "vnpt-UMTS-1"}));
  EXPECT_FALSE(LinkHref(page, "prev").empty());
  EXPECT_EQ(Get("/collections/gaps/items?limit=0").status, 400);
  EXPECT_EQ(Get("/collections/gaps/items?offset=-1").status, 400);
  EXPECT_EQ(Get("/collections/gaps/items?colour=red").status, 400) << "unknown parameters";
  EXPECT_EQ(GetJson("/collections/gaps/items?offset=10").GetLong("numberReturned"), 0);
}

TEST_F(OgcApiTest, FeaturesCarryTheAttributesOfTheGeoPackageExport) {
  // The export of the same gaps, read back with OGR: every field, by name, same value.
  store::GapQuery q;
  q.with_geometry = true;
  auto gaps = server_->store().ListGaps(q);
  ASSERT_TRUE(gaps.ok());
  const std::string gpkg = (dir_ / "export.gpkg").string();
  geo::ExportOptions options;
  ASSERT_TRUE(geo::WriteGapExport(gaps->first, options, gpkg).ok());
  geo::DatasetPtr ds(GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr));
  ASSERT_TRUE(ds);
  OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
  std::map<std::string, std::map<std::string, std::string>> exported;  // id -> field -> value
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  OGR_L_ResetReading(layer);
  while (OGRFeatureH raw = OGR_L_GetNextFeature(layer)) {
    geo::FeaturePtr f(raw);
    auto& fields = exported[OGR_F_GetFieldAsString(f.get(), 0)];
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
      const char* name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
      fields[name] =
          OGR_F_IsFieldSetAndNotNull(f.get(), i) ? OGR_F_GetFieldAsString(f.get(), i) : "";
    }
  }
  ASSERT_EQ(exported.size(), 3u);
  const CPLJSONObject page = GetJson("/collections/gaps/items");
  for (const CPLJSONObject& feature : page.GetArray("features")) {
    const std::string id = feature.GetString("id");
    ASSERT_TRUE(exported.count(id)) << id;
    const CPLJSONObject props = feature.GetObj("properties");
    ASSERT_EQ(props.GetChildren().size(), exported[id].size()) << id;
    for (const auto& [name, value] : exported[id]) {
      const CPLJSONObject p = props.GetObj(name);
      ASSERT_TRUE(p.IsValid()) << id << " lacks " << name;
      if (value.empty()) {
        EXPECT_EQ(p.GetType(), CPLJSONObject::Type::Null) << id << "." << name;
      } else if (p.GetType() == CPLJSONObject::Type::String) {
        std::string got = p.ToString();
        if (name == "target_dt" || name == "analysed")
          std::replace(got.begin(), got.end(), '-', '/');
        EXPECT_EQ(got, value) << id << "." << name;
      } else {
        EXPECT_NEAR(p.ToDouble(), std::stod(value), 1e-6 * (1 + std::abs(std::stod(value))))
            << id << "." << name;
      }
    }
  }
  // No household identity or location ever leaves: counts only.
  for (const char* path : {"/collections/gaps/items", "/collections/schools/items",
                           "/collections/districts/items", "/collections/gaps/items?f=html"}) {
    EXPECT_EQ(Get(path).body.find("HH-SECRET"), std::string::npos) << path;
  }
}

TEST_F(OgcApiTest, AttributeFiltersBboxAndDatetimeNarrowTheFeatures) {
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?operator=viettel")),
            (std::vector<std::string>{"viettel-LTE-1"}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?status=planned")),
            (std::vector<std::string>{"viettel-LTE-1"}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?tech=UMTS")),
            (std::vector<std::string>{"vnpt-UMTS-1"}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?min_score=15")),
            (std::vector<std::string>{"common-LTE-1", "viettel-LTE-1"}));
  EXPECT_EQ(GetJson("/collections/gaps/items?district=L%E1%BB%A5c%20Ng%E1%BA%A1n")
                .GetLong("numberMatched"),
            3)
      << "a district matches without its prefix";
  EXPECT_EQ(Get("/collections/gaps/items?min_score=lots").status, 400);
  // bbox in CRS84 around the common gap only, then the same box in UTM 48N.
  const CPLJSONObject boxed = GetJson("/collections/gaps/items?bbox=106.69,21.29,106.71,21.31");
  EXPECT_EQ(Ids(boxed), (std::vector<std::string>{"common-LTE-1"}));
  EXPECT_EQ(boxed.GetLong("numberMatched"), 1);
  auto projector = geo::PointProjector::Create("EPSG:32648");
  double lon[2] = {106.69, 106.71}, lat[2] = {21.29, 21.31}, x[2], y[2];
  (*projector)->Project(lon, lat, x, y, 2);
  const std::string utm_box = std::to_string(x[0]) + "," + std::to_string(y[0]) + "," +
                              std::to_string(x[1]) + "," + std::to_string(y[1]);
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/"
                        "32648&bbox=" +
                        utm_box)),
            (std::vector<std::string>{"common-LTE-1"}));
  EXPECT_EQ(Get("/collections/gaps/items?bbox=1,2,3").status, 400);
  EXPECT_EQ(Get("/collections/gaps/items?bbox=3,2,1,0").status, 400);
  // datetime: the temporal property is the plan's target date.
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?datetime=2021-12-20")),
            (std::vector<std::string>{"viettel-LTE-1"}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?datetime=../2021-12-19")),
            (std::vector<std::string>{}));
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items?datetime=2021-12-01T00:00:00Z/..")),
            (std::vector<std::string>{"viettel-LTE-1"}));
  EXPECT_EQ(Get("/collections/gaps/items?datetime=soon").status, 400);
}

TEST_F(OgcApiTest, GeometriesComeInTheCrsAskedForAndSaySo) {
  const Reply crs84 = Get("/collections/gaps/items/common-LTE-1");
  ASSERT_EQ(crs84.status, 200) << crs84.body;
  EXPECT_EQ(crs84.Header("Content-Crs"), "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
  EXPECT_EQ(crs84.Header("Content-Type"), "application/geo+json");
  auto first = [&](const std::string& body) {
    CPLJSONDocument doc;
    EXPECT_TRUE(doc.LoadMemory(body));
    const auto ring =
        doc.GetRoot().GetObj("geometry").GetArray("coordinates")[0].ToArray()[0].ToArray();
    const auto point = ring[0].ToArray();
    return std::pair{point[0].ToDouble(), point[1].ToDouble()};
  };
  auto [lon, lat] = first(crs84.body);
  EXPECT_NEAR(lon, 106.7, 0.01);
  EXPECT_NEAR(lat, 21.3, 0.01);
  const Reply latlon =
      Get("/collections/gaps/items/common-LTE-1?crs=http://www.opengis.net/def/crs/EPSG/0/4326");
  ASSERT_EQ(latlon.status, 200) << latlon.body;
  auto [a, b] = first(latlon.body);
  EXPECT_NEAR(a, 21.3, 0.01) << "EPSG:4326 is latitude first";
  EXPECT_NEAR(b, 106.7, 0.01);
  const Reply utm = Get("/collections/gaps/items?crs=http://www.opengis.net/def/crs/EPSG/0/32648");
  ASSERT_EQ(utm.status, 200);
  EXPECT_EQ(utm.Header("Content-Crs"), "<http://www.opengis.net/def/crs/EPSG/0/32648>");
  EXPECT_NE(utm.body.find("2356"), std::string::npos) << "northings of about 2,356 km";
  const Reply vn2000 =
      Get("/collections/gaps/items?crs=http://www.opengis.net/def/crs/EPSG/0/9214");
  EXPECT_EQ(vn2000.status, 200);
  EXPECT_EQ(Get("/collections/gaps/items?crs=EPSG:3857").status, 400);
  EXPECT_EQ(Get("/collections/gaps/items/nothing-here").status, 404);
}

TEST_F(OgcApiTest, SchoolsAndDistrictsAreServedWithCountsOnly) {
  const CPLJSONObject schools = GetJson("/collections/schools/items", kViewer);
  ASSERT_EQ(Ids(schools), (std::vector<std::string>{"TH-01"}));
  const CPLJSONObject s = schools.GetArray("features")[0].GetObj("properties");
  EXPECT_EQ(s.GetLong("students"), 400);
  EXPECT_EQ(s.GetLong("stud_nodev"), 31);
  EXPECT_EQ(GetJson("/collections/schools/items/TH-01").GetString("id"), "TH-01");
  EXPECT_EQ(Get("/collections/schools/items/TH-99").status, 404);
  const CPLJSONObject districts = GetJson("/collections/districts/items");
  ASSERT_EQ(Ids(districts), (std::vector<std::string>{"219"}));
  EXPECT_EQ(districts.GetArray("features")[0].GetObj("properties").GetString("name"),
            "Huyện Lục Ngạn");
  EXPECT_EQ(Get("/collections/districts/items?datetime=2021-12-01").status, 400);
}

TEST_F(OgcApiTest, TheServiceIsReadOnlyTakesNoBodiesAndCompresses) {
  auto post = client_->Post("/collections/gaps/items", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = client_->Delete("/collections/gaps/items/common-LTE-1");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto head = client_->Head("/collections", {{"Authorization", std::string("Bearer ") + kViewer}});
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  // GeoJSON (which the library would not compress itself) comes gzip-compressed on request.
  httplib::Client raw("127.0.0.1", http_->port());
  raw.set_decompress(false);
  auto res = raw.Get(
      "/collections/gaps/items",
      {{"Authorization", std::string("Bearer ") + kAuthority}, {"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  std::string inflated(1 << 20, '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(res->body.data());
  z.avail_in = static_cast<uInt>(res->body.size());
  z.next_out = reinterpret_cast<Bytef*>(inflated.data());
  z.avail_out = static_cast<uInt>(inflated.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflated.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_NE(inflated.find("\"numberMatched\":3"), std::string::npos);
  EXPECT_GT(inflated.size(), res->body.size());
}

// What a raw request gets back: the status line's code.
int RawStatus(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  timeval five{5, 0};  // a server that never answers fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[256] = {};
  const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n < 12) return -1;
  return std::atoi(buf + 9);  // "HTTP/1.1 411 ..."
}

TEST_F(OgcApiTest, RequestBodiesAreRefusedBeforeTheyAreRead) {
  const std::string auth = std::string("Authorization: Bearer ") + kAuthority + "\r\n";
  EXPECT_EQ(RawStatus(http_->port(), "GET /collections HTTP/1.1\r\nHost: x\r\n" + auth +
                                         "Transfer-Encoding: chunked\r\n\r\n"),
            411);
  EXPECT_EQ(RawStatus(http_->port(), "GET /collections HTTP/1.1\r\nHost: x\r\n" + auth +
                                         "Content-Length: 1000000\r\n\r\n"),
            413);
  EXPECT_EQ(RawStatus(http_->port(), "GET /collections HTTP/1.1\r\nHost: x\r\n" + auth +
                                         "Connection: close\r\n\r\n"),
            200)
      << "the same request without a body is served";
  EXPECT_EQ(
      RawStatus(http_->port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
      414)
      << "URIs are capped";
}

TEST_F(OgcApiTest, BrowsersGetHtml) {
  const Reply html = Get("/collections/gaps/items", kAuthority, {{"Accept", "text/html"}});
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(html.body.find("viettel-LTE-1"), std::string::npos);
  EXPECT_EQ(Get("/collections?f=xml").status, 400);
}

// Pages are cached, but a status change (a gap event) or a new run shows on the next request.
TEST_F(OgcApiTest, AChangeShowsOnTheNextRequestDespiteTheCaches) {
  auto status_of = [&](const std::string& id) {
    for (const CPLJSONObject& f : GetJson("/collections/gaps/items").GetArray("features")) {
      if (f.GetString("id") == id) return f.GetObj("properties").GetString("status");
    }
    return std::string("(missing)");
  };
  EXPECT_EQ(status_of("common-LTE-1"), "open");
  EXPECT_EQ(status_of("common-LTE-1"), "open");  // the cached page
  store::GapStateChange plan;
  plan.gap_id = "common-LTE-1";
  plan.expected_status = "open";
  plan.new_status = "planned";
  plan.plan = "Trạm BTS mới";
  plan.target_ms = *geo::ParseIso8601("2021-12-24");
  plan.event.type = "planned";
  ASSERT_TRUE(server_->store().UpdateGapState(plan).ok());
  EXPECT_EQ(status_of("common-LTE-1"), "planned");
  // A new run with one gap only: the others are gone from the feature API at once.
  store::AnalysisRun run;
  run.started_ms = run.finished_ms = *geo::ParseIso8601("2021-12-02");
  run.params_json = "{}";
  run.summary_json = "{}";
  ASSERT_TRUE(server_->store()
                  .SaveAnalysis(run, {GapAround("vnpt-UMTS-1", geo::GapKind::kOperator, "vnpt",
                                                geo::Technology::kUmts, 10, 106.85, 21.45)})
                  .ok());
  EXPECT_EQ(Ids(GetJson("/collections/gaps/items")),
            (std::vector<std::string>{"vnpt-UMTS-1", "common-LTE-1", "viettel-LTE-1"}))
      << "the new run's gap, and the two planned gaps the life cycle keeps";
}

// The feature cache filters in memory with GapMatches: it must select what Store::ListGaps does.
TEST_F(OgcApiTest, GapMatchesSelectsWhatTheStoreSelects) {
  store::GapQuery all;
  all.limit = 1000;
  auto gaps = server_->store().ListGaps(all);
  ASSERT_TRUE(gaps.ok());
  std::vector<store::GapQuery> queries(9);
  queries[0].operator_id = "viettel";
  queries[1].operator_id = "viettel";
  queries[1].include_common = true;
  queries[2].tech = geo::Technology::kUmts;
  queries[3].kind = geo::GapKind::kCommon;
  queries[4].district = "Lục Ngạn";
  queries[5].district = "Huyện Lục Ngạn";
  queries[6].district = "Ngạn";
  queries[7].status = "planned";
  queries[8].min_score = 15;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    store::GapQuery q = queries[i];
    q.limit = 1000;
    auto want = server_->store().ListGaps(q);
    ASSERT_TRUE(want.ok());
    std::vector<std::string> expected, got;
    for (const geo::Gap& g : want->first) expected.push_back(g.gap_id);
    for (const geo::Gap& g : gaps->first) {
      if (ogc::GapMatches(q, g)) got.push_back(g.gap_id);
    }
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected) << "query " << i;
  }
}

TEST(HttpAuth, TokenTextComesFromTheHeaderOrTheQuery) {
  HttpRequest r;
  EXPECT_FALSE(TokenOf(r));
  r.params.emplace("token", "cgp_a_b");
  EXPECT_EQ(TokenOf(r), "cgp_a_b");
  r.headers["authorization"] = "bearer cgp_c_d";
  EXPECT_EQ(TokenOf(r), "cgp_c_d") << "the header wins, schemes are case-insensitive";
  r.headers["authorization"] = "Basic " + Base64("user:cgp_e_f");
  EXPECT_EQ(TokenOf(r), "cgp_e_f");
  EXPECT_EQ(DecodeBase64("cXdlcnR5"), "qwerty");
  EXPECT_EQ(DecodeBase64("cXdlcnQ="), "qwert");
  EXPECT_FALSE(DecodeBase64("cXdl=nQ="));
  EXPECT_FALSE(DecodeBase64("abc"));
}

}  // namespace
}  // namespace covgap::server::http
