#include "server/gap_lifecycle.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "geo/base/json_writer.h"
#include "geo/base/log.h"
#include "geo/base/time_format.h"

namespace covgap::server {
namespace {

using geo::GapStatus;

// A change of `g` to `new_status` that keeps its plan, target, cleared time and note.
store::GapStateChange ChangeOf(const geo::Gap& g, std::string_view new_status) {
  store::GapStateChange c;
  c.gap_id = g.gap_id;
  c.expected_status = g.status;
  c.new_status = std::string(new_status);
  c.plan = g.plan;
  c.target_ms = g.target_ms;
  c.cleared_ms = g.cleared_ms;
  c.status_note = g.status_note;
  return c;
}

constexpr std::int64_t kClockSkewMs = 60'000;  // a cleared time this far ahead is "now"

}  // namespace

std::uint64_t GapEventNotifier::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void GapEventNotifier::Notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::uint64_t GapEventNotifier::Wait(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  auto done = [&] { return stopped_ || generation_ != seen; };
  if (!done()) {
    ++idle_[seen];
    cv_.notify_all();  // AwaitIdle
    cv_.wait_for(lock, timeout, done);
    if (--idle_[seen] == 0) idle_.erase(seen);
  }
  return generation_;
}

std::size_t GapEventNotifier::idle() const {
  std::lock_guard lock(mu_);
  auto it = idle_.find(generation_);
  return it == idle_.end() ? 0 : it->second;
}

bool GapEventNotifier::AwaitIdle(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = idle_.find(generation_);
    return it != idle_.end() && it->second >= n;
  });
}

void GapEventNotifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool GapEventNotifier::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

Status GapLifecycle::CheckOwner(const Caller& caller, const geo::Gap& gap, std::string_view verb) {
  if (caller.role == Role::kOperator) {
    if (gap.kind == geo::GapKind::kCommon || gap.operator_id == caller.operator_id) {
      return Status::Ok();
    }
    return {StatusCode::kPermissionDenied, caller.Describe() + " may not " + std::string(verb) +
                                               " gap " + gap.gap_id + ": it is " + gap.operator_id +
                                               "'s"};
  }
  if (caller.role == Role::kAuthority && caller.token_id.empty()) {
    return Status::Ok();  // access control is off (in-process tests of other behaviour)
  }
  return {StatusCode::kPermissionDenied,
          caller.Describe() + " may not " + std::string(verb) +
              " a gap: only the operator whose gap it is (any operator for a common gap)"};
}

StatusOr<geo::Gap> GapLifecycle::Apply(const Caller& caller, store::GapStateChange& change,
                                       std::string_view action, const std::string& actor_suffix) {
  change.event.actor = caller.Describe() + actor_suffix;
  if (change.event.time_ms == 0) change.event.time_ms = geo::NowUnixMs();
  store::GapEvent stored;
  auto gap = store_.UpdateGapState(change, &stored);
  if (!gap.ok()) return gap;
  notifier_.Notify();
  geo::JsonWriter details;
  details.BeginObject();
  details.Key("event_id").Number(stored.event_id);
  details.Key("from").String(stored.from_status);
  details.Key("to").String(stored.to_status);
  if (!stored.note.empty()) details.Key("note").String(stored.note);
  if (change.target_ms) details.Key("target").String(geo::FormatDate(*change.target_ms));
  if (change.cleared_ms) details.Key("cleared").String(geo::FormatIso8601(*change.cleared_ms));
  details.EndObject();
  audit_.Record(caller, action, "gap " + change.gap_id, details.str());
  return gap;
}

StatusOr<geo::Gap> GapLifecycle::Plan(const Caller& caller, const std::string& gap_id,
                                      const std::string& action, std::int64_t target_ms) {
  if (action.empty()) {
    return InvalidArgument("a plan needs an action: what will be done (--action TEXT)");
  }
  if (target_ms <= 0) {
    return InvalidArgument("a plan needs a target date (--target YYYY-MM-DD)");
  }
  auto gap = store_.GetGap(gap_id);
  if (!gap.ok()) return gap.status();
  if (Status s = CheckOwner(caller, gap.value(), "plan"); !s.ok()) return s;
  const auto status = geo::ParseGapStatus(gap->status);
  if (status != GapStatus::kOpen && status != GapStatus::kPlanned) {
    return FailedPrecondition("gap " + gap_id + " is " + gap->status +
                              "; only an open or planned gap can be planned (the authority "
                              "reopens it first if the problem is back)");
  }
  store::GapStateChange c{};
  c.gap_id = gap_id;
  c.expected_status = gap->status;
  c.new_status = std::string(geo::ToString(GapStatus::kPlanned));
  c.plan = action;
  c.target_ms = target_ms;
  c.cleared_ms = gap->cleared_ms;
  c.status_note = gap->status_note;
  c.event.type = "planned";
  c.event.note = action + " (target " + geo::FormatDate(target_ms) + ")";
  return Apply(caller, c, "gap.plan");
}

StatusOr<geo::Gap> GapLifecycle::Clear(const Caller& caller, const std::string& gap_id,
                                       const std::string& note,
                                       std::optional<std::int64_t> cleared_ms) {
  const std::int64_t now = geo::NowUnixMs();
  if (cleared_ms && *cleared_ms > now + kClockSkewMs) {
    return InvalidArgument("the cleared time " + geo::FormatIso8601(*cleared_ms) +
                           " is in the future; give when the fix went live (default: now)");
  }
  auto gap = store_.GetGap(gap_id);
  if (!gap.ok()) return gap.status();
  if (Status s = CheckOwner(caller, gap.value(), "clear"); !s.ok()) return s;
  if (geo::ParseGapStatus(gap->status) != GapStatus::kPlanned) {
    if (geo::ParseGapStatus(gap->status) == GapStatus::kOpen) {
      return FailedPrecondition("gap " + gap_id + " is open: file a plan first: covgap gap plan " +
                                gap_id + " --action TEXT --target YYYY-MM-DD");
    }
    return FailedPrecondition("gap " + gap_id + " is " + gap->status +
                              "; only a planned gap can be cleared");
  }
  store::GapStateChange c{};
  c.gap_id = gap_id;
  c.expected_status = gap->status;
  c.new_status = std::string(geo::ToString(GapStatus::kCleared));
  c.plan = gap->plan;
  c.target_ms = gap->target_ms;
  c.cleared_ms = cleared_ms.value_or(now);
  c.status_note = note;
  c.event.type = "cleared";
  c.event.note = note.empty() ? "cleared " + geo::FormatIso8601(*c.cleared_ms)
                              : note + " (cleared " + geo::FormatIso8601(*c.cleared_ms) + ")";
  return Apply(caller, c, "gap.clear");
}

StatusOr<geo::Gap> GapLifecycle::Reopen(const Caller& caller, const std::string& gap_id,
                                        const std::string& reason) {
  if (reason.empty()) return InvalidArgument("reopening a gap needs a reason (--reason TEXT)");
  auto gap = store_.GetGap(gap_id);
  if (!gap.ok()) return gap.status();
  if (geo::ParseGapStatus(gap->status) == GapStatus::kOpen) {
    return FailedPrecondition("gap " + gap_id + " is open already");
  }
  store::GapStateChange c{};
  c.gap_id = gap_id;
  c.expected_status = gap->status;
  c.new_status = std::string(geo::ToString(GapStatus::kOpen));
  c.plan = gap->plan;  // kept for the record; a new plan replaces it
  c.target_ms = gap->target_ms;
  c.status_note = reason;
  c.event.type = "reopened";
  c.event.note = reason;
  return Apply(caller, c, "gap.reopen");
}

StatusOr<std::vector<VerifyOutcome>> GapLifecycle::Verify(const Caller& caller,
                                                          const std::vector<std::string>& gap_ids,
                                                          const geo::VerificationRule& rule,
                                                          const std::string& actor_suffix) {
  if (!(rule.samples_per_km2 > 0) || !(rule.min_good_percent >= 0) ||
      !(rule.min_good_percent <= 100)) {
    return InvalidArgument(
        "samples per km² must be positive and the good-cell percentage "
        "between 0 and 100");
  }
  auto run = store_.LatestRun();
  if (!run.ok()) return run.status();
  if (!run.value())
    return FailedPrecondition(
        "no analysis has been run yet, so nothing to verify: run covgap analyse first");
  const geo::AnalysisParams params = geo::AnalysisParamsFromJson(run.value()->params_json);

  auto verifiable = [](const std::string& status) {
    const auto s = geo::ParseGapStatus(status);
    return s == GapStatus::kCleared || s == GapStatus::kAwaitingMeasurement;
  };
  std::vector<geo::Gap> gaps;
  if (gap_ids.empty()) {
    for (GapStatus s : {GapStatus::kCleared, GapStatus::kAwaitingMeasurement}) {
      store::GapQuery q;
      q.status = std::string(geo::ToString(s));
      q.limit = std::numeric_limits<std::uint64_t>::max() >> 1;
      q.with_geometry = true;
      q.order = store::GapOrder::kRank;
      auto found = store_.ListGaps(q);
      if (!found.ok()) return found.status();
      for (auto& g : found->first) gaps.push_back(std::move(g));
    }
  } else {
    std::set<std::string> seen;
    for (const auto& id : gap_ids) {
      if (!seen.insert(id).second) continue;
      auto gap = store_.GetGap(id);
      if (!gap.ok()) return gap.status();
      if (!verifiable(gap->status)) {
        return FailedPrecondition("gap " + id + " is " + gap->status +
                                  "; only cleared or awaiting_measurement gaps are verified "
                                  "(the operator clears it first: covgap gap clear " +
                                  id + ")");
      }
      gaps.push_back(std::move(gap.value()));
    }
  }
  std::vector<VerifyOutcome> out;
  if (gaps.empty()) return out;

  // One scan from the earliest clearance; each gap keeps only the samples after its own.
  std::int64_t from = std::numeric_limits<std::int64_t>::max();
  std::set<geo::Technology> techs;
  for (const auto& g : gaps) {
    from = std::min(from, g.cleared_ms.value_or(0));
    techs.insert(g.tech);
  }
  std::vector<geo::VerificationSample> samples;
  store::ScanFilter filter;
  filter.from_time_ms = from + 1;
  if (Status s = store_.Scan(filter,
                             [&](const store::MeasurementChunk& c) {
                               if (!techs.contains(c.tech)) return;
                               const auto& col = c.columns;
                               for (std::size_t i = 0; i < col.size(); ++i) {
                                 if (col.time_ms[i] <= from) continue;
                                 geo::VerificationSample& v = samples.emplace_back();
                                 v.operator_id = c.operator_id;
                                 v.tech = c.tech;
                                 v.lat = col.lat_e7[i] * 1e-7;
                                 v.lon = col.lon_e7[i] * 1e-7;
                                 v.signal_dbm = col.signal_dbm[i];
                                 v.time_ms = col.time_ms[i];
                               }
                             });
      !s.ok()) {
    return s;
  }

  for (const auto& g : gaps) {
    auto result = geo::VerifyGap(g, g.cleared_ms.value_or(0), samples, params, rule);
    if (!result.ok()) return result.status();
    VerifyOutcome o;
    o.gap_id = g.gap_id;
    o.previous_status = g.status;
    o.result = std::move(result.value());
    o.new_status = std::string(geo::ToString(o.result.status));
    if (o.new_status == g.status && o.result.reason == g.status_note) {
      out.push_back(std::move(o));  // nothing new: no event
      continue;
    }
    store::GapStateChange c = ChangeOf(g, o.new_status);
    c.cleared_ms = o.result.status == GapStatus::kOpen ? std::nullopt : g.cleared_ms;
    c.status_note = o.result.reason;
    c.event.type = o.result.status == GapStatus::kOpen ? "reopened" : o.new_status;
    c.event.note = o.result.reason;
    auto stored = Apply(caller, c, "gap.verify", actor_suffix);
    if (!stored.ok()) return stored.status();
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace covgap::server
