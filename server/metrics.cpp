#include "server/metrics.h"

#include <prometheus/text_serializer.h>

#include <filesystem>
#include <map>

namespace covgap::server {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

// Life-cycle statuses (docs/gaps.md), each reported even at zero.
constexpr geo::GapStatus kStatuses[] = {
    geo::GapStatus::kOpen, geo::GapStatus::kPlanned, geo::GapStatus::kCleared,
    geo::GapStatus::kAwaitingMeasurement, geo::GapStatus::kVerified};

const char* CodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

}  // namespace

Metrics::Metrics(std::string data_dir)
    : data_dir_(std::move(data_dir)),
      registry_(std::make_shared<prometheus::Registry>()),
      ingest_rows_(prometheus::BuildCounter()
                       .Name("covgap_ingest_rows_total")
                       .Help("Measurement rows received by Ingest, by outcome")
                       .Register(*registry_)),
      rejected_rows_(prometheus::BuildCounter()
                         .Name("covgap_ingest_rejected_rows_total")
                         .Help("Measurement rows rejected by Ingest, by reason code "
                               "(not_itemised: beyond the per-call list of reasons)")
                         .Register(*registry_)),
      batches_(prometheus::BuildCounter()
                   .Name("covgap_ingest_batches_total")
                   .Help("Measurement batches received, by outcome (stored, duplicate)")
                   .Register(*registry_)),
      commit_seconds_(prometheus::BuildHistogram()
                          .Name("covgap_commit_duration_seconds")
                          .Help("Latency of the group committer's durable commits")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      analysis_seconds_(prometheus::BuildHistogram()
                            .Name("covgap_analysis_duration_seconds")
                            .Help("Analysis run duration by stage (stage=total: the whole run)")
                            .Register(*registry_)),
      analyses_(prometheus::BuildCounter()
                    .Name("covgap_analyses_total")
                    .Help("Analysis runs stored")
                    .Register(*registry_)
                    .Add({})),
      gaps_(prometheus::BuildGauge()
                .Name("covgap_gaps")
                .Help("Gaps of the latest analysis run, by life-cycle status")
                .Register(*registry_)),
      measurements_(prometheus::BuildGauge()
                        .Name("covgap_store_measurements")
                        .Help("Measurement rows in the store")
                        .Register(*registry_)
                        .Add({})),
      store_bytes_(prometheus::BuildGauge()
                       .Name("covgap_store_bytes")
                       .Help("Bytes on disk of the embedded store (covgap.sqlite and its WAL); "
                             "0 on PostgreSQL")
                       .Register(*registry_)
                       .Add({})),
      calls_(prometheus::BuildCounter()
                 .Name("covgap_grpc_calls_total")
                 .Help("gRPC calls handled, by method and status code")
                 .Register(*registry_)),
      call_seconds_(prometheus::BuildHistogram()
                        .Name("covgap_grpc_call_duration_seconds")
                        .Help("gRPC call latency, by method")
                        .Register(*registry_)) {
  for (geo::GapStatus status : kStatuses)
    gaps_.Add({{"status", std::string(geo::ToString(status))}});
}

void Metrics::RecordIngest(const geo::IngestReport& report) {
  ingest_rows_.Add({{"outcome", "accepted"}}).Increment(static_cast<double>(report.accepted));
  ingest_rows_.Add({{"outcome", "rejected"}}).Increment(static_cast<double>(report.rejected));
  ingest_rows_.Add({{"outcome", "duplicate"}}).Increment(static_cast<double>(report.duplicate));
  std::map<std::string, double> by_reason;
  for (const geo::RejectedRow& r : report.rejections) by_reason[r.code] += 1;
  if (report.rejections_omitted > 0) {
    by_reason["not_itemised"] += static_cast<double>(report.rejections_omitted);
  }
  for (const auto& [code, n] : by_reason) rejected_rows_.Add({{"reason", code}}).Increment(n);
  for (const geo::BatchReport& b : report.batches) {
    const bool duplicate = b.duplicate > 0 && b.accepted == 0 && b.rejected == 0;
    batches_.Add({{"outcome", duplicate ? "duplicate" : "stored"}}).Increment();
  }
}

void Metrics::RecordCommit(double seconds) { commit_seconds_.Observe(seconds); }

void Metrics::RecordAnalysis(const geo::AnalysisResult& result, double seconds) {
  for (const geo::StageTiming& s : result.stages) {
    analysis_seconds_.Add({{"stage", s.stage}}, LatencyBuckets()).Observe(s.seconds);
  }
  analysis_seconds_.Add({{"stage", "total"}}, LatencyBuckets()).Observe(seconds);
  analyses_.Increment();
}

void Metrics::RecordCall(std::string_view method, int code, double seconds) {
  const std::string m(method);
  calls_.Add({{"method", m}, {"code", CodeName(code)}}).Increment();
  call_seconds_.Add({{"method", m}}, LatencyBuckets()).Observe(seconds);
}

StatusOr<std::string> Metrics::Scrape(store::Store& store) {
  auto stats = store.Stats();
  if (!stats.ok()) return stats.status();
  measurements_.Set(static_cast<double>(stats->total));
  std::map<std::string, double> by_status;
  for (geo::GapStatus status : kStatuses) by_status[std::string(geo::ToString(status))] = 0;
  store::GapQuery q;
  q.limit = INT64_MAX;
  auto gaps = store.ListGaps(q);
  if (!gaps.ok() && gaps.status().code() != StatusCode::kNotFound) return gaps.status();
  if (gaps.ok()) {
    for (const geo::Gap& g : gaps->first) by_status[g.status] += 1;
  }
  for (const auto& [status, n] : by_status) gaps_.Add({{"status", status}}).Set(n);
  double bytes = 0;
  if (!data_dir_.empty()) {
    for (const char* name : {"covgap.sqlite", "covgap.sqlite-wal", "covgap.sqlite-shm"}) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(std::filesystem::path(data_dir_) / name, ec);
      if (!ec) bytes += static_cast<double>(size);
    }
  }
  store_bytes_.Set(bytes);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace covgap::server
