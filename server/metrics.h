// covgapd's operational metrics, for Prometheus (docs/web.md "Metrics"): the registry of
// prometheus-cpp's core library (Debian prometheus-cpp-dev; its civetweb exposer is not used) and
// what records into it. No gRPC or HTTP here: the ingest handler records each call's rows and
// batches, the group committer each commit's latency, the analysis handler each run's stage
// durations, server/grpc_metrics.h every gRPC call (method, code, latency); server/http/ serves
// Scrape() at /metrics. Gauges read from the store (gaps by status, measurements stored, the
// embedded store's bytes on disk) are refreshed at each scrape. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/model/ingest_report.h"
#include "server/store/store.h"

namespace covgap::server {

class Metrics {
 public:
  // `data_dir`: the embedded store's directory (its covgap.sqlite* files are measured at each
  // scrape); empty for PostgreSQL.
  explicit Metrics(std::string data_dir = {});

  void RecordIngest(const geo::IngestReport& report);
  void RecordCommit(double seconds);
  void RecordAnalysis(const geo::AnalysisResult& result, double seconds);
  // `method` as gRPC names it ("/covgap.v1.GapService/ListGaps"), `code` its status code.
  void RecordCall(std::string_view method, int code, double seconds);

  // The Prometheus text exposition (format 0.0.4) of everything, after refreshing the store
  // gauges from `store`.
  StatusOr<std::string> Scrape(store::Store& store);

 private:
  std::string data_dir_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& ingest_rows_;
  prometheus::Family<prometheus::Counter>& rejected_rows_;
  prometheus::Family<prometheus::Counter>& batches_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Family<prometheus::Histogram>& analysis_seconds_;
  prometheus::Counter& analyses_;
  prometheus::Family<prometheus::Gauge>& gaps_;
  prometheus::Gauge& measurements_;
  prometheus::Gauge& store_bytes_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& call_seconds_;
};

}  // namespace covgap::server
