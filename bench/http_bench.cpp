// Load benchmark of covgapd's feature API (scripts/bench_http.sh, docs/web.md "Performance").
//
//   http_bench fill DIR N       writes an embedded store in DIR with N gaps (400 m squares spread
//                               over Bắc Giang, as an analysis stores them: EPSG:32648, every
//                               attribute set) and the ten district boundaries' bounding boxes
//   http_bench load PORT TOKEN CLIENTS SECONDS GAPS [LIMIT [distinct]]
//                               CLIENTS threads, each with its own keep-alive connection, page
//                               /collections/gaps/items?limit=LIMIT&offset=k (k a random page of
//                               GAPS, LIMIT 100 by default) on 127.0.0.1:PORT for SECONDS, with
//                               gzip; with `distinct` every request also carries a min_score no
//                               other request had, so no page comes from the page cache (the
//                               cost of a first request); prints requests/s,
//                               latency p50/p90/p99/max and errors (non-200 or failed requests)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"
#include "server/store/sqlite_store.h"

namespace {

using namespace covgap;

std::string SquareWkb(double x, double y, double half) {
  // ISO WKB MultiPolygon, little endian: one polygon, one ring of five points.
  std::string w;
  auto u32 = [&](std::uint32_t v) { w.append(reinterpret_cast<const char*>(&v), 4); };
  auto f64 = [&](double v) { w.append(reinterpret_cast<const char*>(&v), 8); };
  w.push_back(1);
  u32(6);
  u32(1);
  w.push_back(1);
  u32(3);
  u32(1);
  u32(5);
  const double xs[] = {x - half, x + half, x + half, x - half, x - half};
  const double ys[] = {y - half, y - half, y + half, y + half, y - half};
  for (int i = 0; i < 5; ++i) {
    f64(xs[i]);
    f64(ys[i]);
  }
  return w;
}

int Fill(const std::string& dir, int n) {
  geo::InitGdal();
  auto store = store::OpenSqliteStore(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", store.status().message().c_str());
    return 1;
  }
  auto projector = geo::PointProjector::Create("EPSG:32648");
  if (!projector.ok()) return 1;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lon(105.9, 107.0), lat(21.15, 21.6);
  const char* ops[] = {"viettel", "vnpt", "mobifone"};
  const char* districts[] = {"Huyện Lục Ngạn",     "Huyện Sơn Động", "Huyện Yên Thế",
                             "Huyện Lạng Giang",   "Huyện Lục Nam",  "Huyện Tân Yên",
                             "Huyện Hiệp Hòa",     "Huyện Việt Yên", "Huyện Yên Dũng",
                             "Thành phố Bắc Giang"};
  std::vector<geo::Gap> gaps;
  gaps.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    double lo = lon(rng), la = lat(rng), x = 0, y = 0;
    (*projector)->Project(&lo, &la, &x, &y, 1);
    geo::Gap g;
    g.kind = i % 4 == 0 ? geo::GapKind::kCommon : geo::GapKind::kOperator;
    g.operator_id = g.kind == geo::GapKind::kCommon ? "" : ops[i % 3];
    g.tech = i % 2 == 0 ? geo::Technology::kLte : geo::Technology::kUmts;
    g.gap_id = (g.kind == geo::GapKind::kCommon ? std::string("common") : g.operator_id) + "-" +
               std::string(geo::ToString(g.tech)) + "-" + std::to_string(i);
    g.severity = 0.8;
    g.area_m2 = 160000;
    g.n_cells = 16;
    g.n_dead_cells = 12;
    g.n_samples = 90;
    g.median_dbm = -118;
    g.min_dbm = -131;
    g.province = "Tỉnh Bắc Giang";
    g.district = districts[i % 10];
    g.commune = "Xã " + std::to_string(i % 200);
    g.schools = i % 3;
    g.students_nodev = i % 50;
    g.poor_hh = i % 7;
    g.score = 1000.0 - i * 0.01;
    g.rank = i + 1;
    g.grp_rank = i / 12 + 1;
    g.crs = "EPSG:32648";
    g.wkb = SquareWkb(x, y, 200);
    gaps.push_back(std::move(g));
  }
  store::AnalysisRun run;
  run.started_ms = run.finished_ms = 1638316800000;
  run.params_json = "{}";
  run.summary_json = "{}";
  auto saved = (*store)->SaveAnalysis(run, gaps);
  if (!saved.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", saved.status().message().c_str());
    return 1;
  }
  std::printf("stored %d gaps in %s\n", n, dir.c_str());
  return 0;
}

int Load(int port, const std::string& token, int clients, double seconds, int limit, int gaps,
         bool distinct) {
  std::atomic<long> sequence{0};
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_decompress(true);
      std::mt19937 rng(static_cast<unsigned>(c) + 1);
      std::uniform_int_distribution<int> page(0, std::max(0, gaps / limit - 1));
      const httplib::Headers headers = {{"Authorization", "Bearer " + token},
                                        {"Accept-Encoding", "gzip"}};
      while (!stop) {
        std::string path = "/collections/gaps/items?limit=" + std::to_string(limit) +
                           "&offset=" + std::to_string(page(rng) * limit);
        // Scores of the filled store are all above 900: -n keeps every gap, the query differs.
        if (distinct) path += "&min_score=-" + std::to_string(++sequence);
        const auto t0 = std::chrono::steady_clock::now();
        auto res = client.Get(path, headers);
        const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - t0;
        if (!res || res->status != 200 ||
            res->body.find("\"numberReturned\"") == std::string::npos) {
          ++errors;
          continue;
        }
        latencies[static_cast<std::size_t>(c)].push_back(ms.count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
  };
  std::printf(
      "%d clients, %.1f s, limit %d%s: %zu requests (%.0f/s), %ld errors; latency ms p50 %.2f "
      "p90 %.2f p99 %.2f max %.2f\n",
      clients, took.count(), limit, distinct ? ", distinct queries" : "", all.size(),
      all.size() / took.count(), errors.load(), pct(0.50), pct(0.90), pct(0.99),
      all.empty() ? 0.0 : all.back());
  return errors.load() == 0 && !all.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && argc == 4) return Fill(argv[2], std::atoi(argv[3]));
  if (mode == "load" && argc >= 7 && argc <= 9) {
    return Load(std::atoi(argv[2]), argv[3], std::atoi(argv[4]), std::atof(argv[5]),
                argc >= 8 ? std::atoi(argv[7]) : 100, std::atoi(argv[6]),
                argc == 9 && std::string(argv[8]) == "distinct");
  }
  std::fprintf(stderr,
               "usage: http_bench fill DIR N\n"
               "       http_bench load PORT TOKEN CLIENTS SECONDS GAPS [LIMIT [distinct]]\n");
  return 2;
}
