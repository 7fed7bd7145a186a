// A Store that forwards every call to another (not owned), for tests that put several
// CovgapServers on one store as if they were replicas on one database, or that need to observe
// or slow down calls. Override what the test needs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "server/store/store.h"

namespace covgap::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& target) : t_(target) {}

  StatusOr<std::unique_ptr<store::AnalysisLease>> AcquireAnalysisLock(bool wait) override {
    return t_.AcquireAnalysisLock(wait);
  }
  void OnExternalChange(std::function<void()> changed) override { t_.OnExternalChange(changed); }
  StatusOr<std::vector<store::BatchOutcome>> CommitBatches(
      std::span<const store::BatchToStore* const> batches) override {
    return t_.CommitBatches(batches);
  }
  StatusOr<store::StoreStats> Stats() override { return t_.Stats(); }
  StatusOr<std::vector<std::string>> Operators() override { return t_.Operators(); }
  Status RegisterOperator(const std::string& operator_id, const std::string& name) override {
    return t_.RegisterOperator(operator_id, name);
  }
  Status Scan(const store::ScanFilter& filter,
              const std::function<void(const store::MeasurementChunk&)>& visit) override {
    return t_.Scan(filter, visit);
  }
  StatusOr<store::UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) override {
    return t_.UpsertAreas(areas);
  }
  StatusOr<std::vector<geo::AdminArea>> Areas() override { return t_.Areas(); }
  StatusOr<store::UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) override {
    return t_.UpsertSchools(schools);
  }
  StatusOr<std::vector<geo::School>> Schools() override { return t_.Schools(); }
  StatusOr<store::UpsertCounts> UpsertHouseholds(
      const std::vector<geo::Household>& households) override {
    return t_.UpsertHouseholds(households);
  }
  StatusOr<std::vector<geo::Household>> Households() override { return t_.Households(); }
  StatusOr<store::UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) override {
    return t_.UpsertSites(sites);
  }
  StatusOr<std::vector<geo::Site>> Sites() override { return t_.Sites(); }
  using store::Store::SaveAnalysis;
  StatusOr<std::int64_t> SaveAnalysis(const store::AnalysisRun& run,
                                      const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override {
    return t_.SaveAnalysis(run, gaps, schools);
  }
  StatusOr<std::optional<store::AnalysisRun>> LatestRun() override { return t_.LatestRun(); }
  StatusOr<std::optional<store::AnalysisRun>> FirstRun() override { return t_.FirstRun(); }
  StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const store::GapQuery& query) override {
    return t_.ListGaps(query);
  }
  StatusOr<geo::Gap> GetGap(const std::string& gap_id) override { return t_.GetGap(gap_id); }
  StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() override {
    return t_.LatestSchoolCoverage();
  }
  Status CreateToken(const store::TokenRecord& token) override { return t_.CreateToken(token); }
  StatusOr<std::optional<store::TokenRecord>> FindToken(const std::string& token_id) override {
    return t_.FindToken(token_id);
  }
  StatusOr<std::vector<store::TokenRecord>> ListTokens() override { return t_.ListTokens(); }
  StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) override {
    return t_.RevokeToken(token_id, when_ms);
  }
  Status AppendAudit(const store::AuditEntry& entry) override { return t_.AppendAudit(entry); }
  StatusOr<std::vector<store::AuditEntry>> ListAudit(std::uint64_t limit) override {
    return t_.ListAudit(limit);
  }
  StatusOr<geo::Gap> UpdateGapState(const store::GapStateChange& change,
                                    store::GapEvent* event_out = nullptr) override {
    return t_.UpdateGapState(change, event_out);
  }
  StatusOr<std::vector<store::GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                       const std::string& gap_id = {}) override {
    return t_.ListGapEvents(after_id, limit, gap_id);
  }

 protected:
  store::Store& t_;
};

}  // namespace covgap::testing
