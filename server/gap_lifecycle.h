// The gap life cycle's rules in one place, shared by GapLifecycleService and the verification at
// the end of every analysis (docs/gaps.md "Life cycle and verification"):
//   plan    open | planned -> planned        an operator owning the gap (common: any operator)
//   clear   planned -> cleared               an operator owning the gap
//   verify  cleared | awaiting_measurement -> verified | open (reopened) | awaiting_measurement
//   reopen  any but open -> open             the authority
// Every change is a compare-and-set in the store with its gap event, an audit entry and a wake-up
// of the WatchGaps streams (GapEventNotifier).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/gaps/gap_verification.h"
#include "server/audit_trail.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server {

// Wakes WatchGaps streams: Notify() after any gap event is appended (and after an analysis is
// saved); Wait() returns when the generation moved past `seen`, on Stop(), or after `timeout`.
class GapEventNotifier {
 public:
  std::uint64_t generation() const;
  void Notify();
  // Returns the current generation.
  std::uint64_t Wait(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter for good (server shutdown): watch streams end.
  void Stop();
  bool stopped() const;
  // Watches idle in Wait on the current generation: they have sent every event there is.
  std::size_t idle() const;
  // Waits until at least `n` watches are idle on the current generation (tests; metrics later).
  bool AwaitIdle(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::uint64_t generation_ = 0;
  bool stopped_ = false;
  mutable std::map<std::uint64_t, std::size_t> idle_;  // generation -> watches waiting on it
};

// Per-gap figures of one verification and what it did.
using VerifyOutcome = geo::VerificationOutcome;

class GapLifecycle {
 public:
  GapLifecycle(store::Store& store, AuditTrail& audit, GapEventNotifier& notifier)
      : store_(store), audit_(audit), notifier_(notifier) {}

  // May `caller` plan/clear `gap`? PERMISSION_DENIED naming the owner when not.
  static Status CheckOwner(const Caller& caller, const geo::Gap& gap, std::string_view verb);

  StatusOr<geo::Gap> Plan(const Caller& caller, const std::string& gap_id,
                          const std::string& action, std::int64_t target_ms);
  StatusOr<geo::Gap> Clear(const Caller& caller, const std::string& gap_id, const std::string& note,
                           std::optional<std::int64_t> cleared_ms);
  StatusOr<geo::Gap> Reopen(const Caller& caller, const std::string& gap_id,
                            const std::string& reason);
  // Verifies the named gaps (each must be cleared or awaiting_measurement), or with no ids every
  // such gap of the latest run. `actor_suffix` is appended to the event's actor (e.g. " (after
  // analysis run 7)"). Stops at the first store error.
  // Wakes the watch streams (after events were appended outside this class, e.g. `new` events
  // of an analysis run).
  void NotifyWatchers() { notifier_.Notify(); }

  StatusOr<std::vector<VerifyOutcome>> Verify(const Caller& caller,
                                              const std::vector<std::string>& gap_ids,
                                              const geo::VerificationRule& rule,
                                              const std::string& actor_suffix = {});

 private:
  StatusOr<geo::Gap> Apply(const Caller& caller, store::GapStateChange& change,
                           std::string_view action, const std::string& actor_suffix = {});

  store::Store& store_;
  AuditTrail& audit_;
  GapEventNotifier& notifier_;
};

}  // namespace covgap::server
