// covgap gap plan|clear|reopen|history, covgap verify, covgap watch: the gap life cycle
// (docs/gaps.md "Life cycle and verification").
#include <cstdio>
#include <cstdlib>

#include "covgap/v1/lifecycle.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kGapPlanHelp =
    R"(Usage: covgap [--token-file FILE] gap plan GAP_ID --action TEXT --target YYYY-MM-DD

Files the operator's plan for one of its gaps (status open or planned -> planned): what will be
done and by when. Only an operator token whose operator owns the gap may plan it (a common gap:
any operator). Planning again replaces the plan.
)";

const char* const kGapClearHelp =
    R"(Usage: covgap [--token-file FILE] gap clear GAP_ID [--note TEXT] [--date YYYY-MM-DD[THH:MM]]

Marks a planned gap cleared (planned -> cleared): the operator says the fix is live. --date is
when it went live (UTC; default now; not in the future). Only measurements taken after it count
when the authority verifies the gap (covgap verify).
)";

const char* const kGapReopenHelp =
    R"(Usage: covgap [--token-file FILE] gap reopen GAP_ID --reason TEXT

Sets a gap that is not open back to open, with the reason (authority).
)";

const char* const kGapHistoryHelp =
    R"(Usage: covgap gap history GAP_ID [--json]

Every life-cycle event of one gap, oldest first: new, planned, cleared, awaiting_measurement,
verified, reopened, with who and when. Operators read only their own and common gaps.
)";

const char* const kVerifyHelp =
    R"(Usage: covgap [--token-file FILE] verify [GAP_ID...] [options]

Verifies cleared gaps by re-measurement (authority); without ids every cleared or
awaiting_measurement gap. Only samples taken after the gap's clearance, of its operator (a common
gap: any operator) and technology, inside the gap count. With at least
max(1, ceil(K x area in km2)) samples the gap is verified when at least P % of its measured cells
are good, else reopened with the figures; with fewer it stays awaiting_measurement.

Options:
  --samples-per-km2 K    samples needed per km2 (default 3, after the FCC 5G Fund rule)
  --min-good-percent P   share of measured cells that must be good (default 90)
  --json                 print one JSON document
)";

const char* const kWatchHelp = R"(Usage: covgap watch [--after N] [--operator OP] [--json]

Prints gap life-cycle events as they happen, one line each (--json: one JSON object a line),
after replaying the stored events after event N (default 0: all). Runs until Ctrl-C.
Operators see only their own and common gaps.
)";

namespace {

// The help text is reached with `covgap help gap`; errors are one line (UsageError).
int Usage(std::string_view what, const std::string& why, const char*) {
  return UsageError(what, why);
}

std::string TechName(v1::Technology t) {
  auto tech = api::FromProto(t);
  return tech ? std::string(geo::ToString(*tech)) : "?";
}

void EventJson(JsonWriter& j, const v1::GapEvent& e) {
  j.BeginObject();
  j.Key("event_id").Number(e.event_id());
  j.Key("time").String(geo::FormatIso8601(e.time_unix_ms()));
  j.Key("gap_id").String(e.gap_id()).Key("type").String(e.type());
  j.Key("from").String(e.from_status()).Key("to").String(e.to_status());
  j.Key("actor").String(e.actor()).Key("note").String(e.note());
  j.Key("operator").String(e.operator_id()).Key("tech").String(TechName(e.tech()));
  j.Key("kind").String(e.kind() == v1::COMMON ? "common" : "operator");
  j.Key("district").String(e.district());
  j.EndObject();
}

std::string EventLine(const v1::GapEvent& e) {
  std::string line = "#" + std::to_string(e.event_id()) + " " +
                     geo::FormatIso8601(e.time_unix_ms()) + " " + e.type() + " " + e.gap_id();
  if (!e.from_status().empty()) line += " (" + e.from_status() + " -> " + e.to_status() + ")";
  line += " by " + e.actor();
  if (!e.note().empty()) line += ": " + e.note();
  return line;
}

void PrintGapState(const v1::Gap& g) {
  std::printf("gap %s is %s", g.gap_id().c_str(), g.status().c_str());
  if (!g.plan().empty()) std::printf(", plan: %s", g.plan().c_str());
  if (g.has_target_unix_ms())
    std::printf(", target %s", geo::FormatDate(g.target_unix_ms()).c_str());
  if (g.has_cleared_unix_ms()) {
    std::printf(", cleared %s", geo::FormatIso8601(g.cleared_unix_ms()).c_str());
  }
  if (!g.status_note().empty()) std::printf(" (%s)", g.status_note().c_str());
  std::printf("\n");
}

int GapPlan(const GlobalOptions& options, const Args& args, const std::string& id) {
  if (std::string bad = args.Unknown({"action", "target", "json"}); !bad.empty()) {
    return Usage("gap plan", "unknown option " + bad, kGapPlanHelp);
  }
  if (args.Get("action").empty()) return Usage("gap plan", "give --action TEXT", kGapPlanHelp);
  auto target = ParseDateOrTime(args.Get("target"));
  if (!target) {
    return Usage("gap plan",
                 args.Has("target")
                     ? "--target must be a date YYYY-MM-DD (e.g. 2021-12-31), not '" +
                           args.Get("target") + "'"
                     : "give --target YYYY-MM-DD (the plan's target date)",
                 kGapPlanHelp);
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::PlanGapRequest request;
  request.set_gap_id(id);
  request.set_action(args.Get("action"));
  request.set_target_unix_ms(*target);
  v1::Gap gap;
  const grpc::Status status = stub->PlanGap(&context, request, &gap);
  if (!status.ok()) return RpcError("gap plan", status, options);
  PrintGapState(gap);
  return kExitOk;
}

int GapClear(const GlobalOptions& options, const Args& args, const std::string& id) {
  if (std::string bad = args.Unknown({"note", "date", "json"}); !bad.empty()) {
    return Usage("gap clear", "unknown option " + bad, kGapClearHelp);
  }
  v1::ClearGapRequest request;
  request.set_gap_id(id);
  request.set_note(args.Get("note"));
  if (args.Has("date")) {
    auto when = ParseDateOrTime(args.Get("date"));
    if (!when) {
      return Usage(
          "gap clear",
          "--date must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), not '" + args.Get("date") + "'",
          kGapClearHelp);
    }
    request.set_cleared_unix_ms(*when);
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::Gap gap;
  const grpc::Status status = stub->ClearGap(&context, request, &gap);
  if (!status.ok()) return RpcError("gap clear", status, options);
  PrintGapState(gap);
  return kExitOk;
}

int GapReopen(const GlobalOptions& options, const Args& args, const std::string& id) {
  if (std::string bad = args.Unknown({"reason", "json"}); !bad.empty()) {
    return Usage("gap reopen", "unknown option " + bad, kGapReopenHelp);
  }
  if (args.Get("reason").empty()) {
    return Usage("gap reopen", "give --reason TEXT", kGapReopenHelp);
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::ReopenGapRequest request;
  request.set_gap_id(id);
  request.set_reason(args.Get("reason"));
  v1::Gap gap;
  const grpc::Status status = stub->ReopenGap(&context, request, &gap);
  if (!status.ok()) return RpcError("gap reopen", status, options);
  PrintGapState(gap);
  return kExitOk;
}

int GapHistory(const GlobalOptions& options, const Args& args, const std::string& id) {
  if (std::string bad = args.Unknown({"json"}); !bad.empty()) {
    return Usage("gap history", "unknown option " + bad, kGapHistoryHelp);
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::GetGapHistoryRequest request;
  request.set_gap_id(id);
  v1::GetGapHistoryResponse response;
  const grpc::Status status = stub->GetGapHistory(&context, request, &response);
  if (!status.ok()) return RpcError("gap history", status, options);
  if (options.json || args.Has("json")) {
    JsonWriter j;
    j.BeginObject().Key("gap_id").String(id).Key("events").BeginArray();
    for (const auto& e : response.events()) EventJson(j, e);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  for (const auto& e : response.events()) std::printf("%s\n", EventLine(e).c_str());
  return kExitOk;
}

}  // namespace

bool IsGapLifecycleVerb(const std::string& word) {
  return word == "plan" || word == "clear" || word == "reopen" || word == "history";
}

int RunGapLifecycle(const GlobalOptions& options, const Args& args) {
  const auto& pos = args.positional();
  const std::string& verb = pos.at(0);
  const char* help = verb == "plan"     ? kGapPlanHelp
                     : verb == "clear"  ? kGapClearHelp
                     : verb == "reopen" ? kGapReopenHelp
                                        : kGapHistoryHelp;
  if (pos.size() != 2) {
    return Usage(("gap " + verb).c_str(), "name one GAP_ID", help);
  }
  if (verb == "plan") return GapPlan(options, args, pos[1]);
  if (verb == "clear") return GapClear(options, args, pos[1]);
  if (verb == "reopen") return GapReopen(options, args, pos[1]);
  return GapHistory(options, args, pos[1]);
}

int RunVerify(const GlobalOptions& options, const Args& args) {
  if (std::string bad = args.Unknown({"samples-per-km2", "min-good-percent", "json"});
      !bad.empty()) {
    return Usage("verify", "unknown option " + bad, kVerifyHelp);
  }
  v1::VerifyGapsRequest request;
  for (const auto& id : args.positional()) request.add_gap_ids(id);
  for (const char* flag : {"samples-per-km2", "min-good-percent"}) {
    if (!args.Has(flag)) continue;
    char* end = nullptr;
    const std::string text = args.Get(flag);
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') {
      return Usage("verify", "--" + std::string(flag) + " must be a number, not '" + text + "'",
                   kVerifyHelp);
    }
    if (std::string(flag) == "samples-per-km2") {
      request.set_samples_per_km2(v);
    } else {
      request.set_min_good_percent(v);
    }
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  v1::VerifyGapsResponse response;
  const grpc::Status status = stub->VerifyGaps(&context, request, &response);
  if (!status.ok()) return RpcError("verify", status, options);
  if (options.json || args.Has("json")) {
    JsonWriter j;
    j.BeginObject().Key("results").BeginArray();
    for (const auto& r : response.results()) {
      j.BeginObject();
      j.Key("gap_id").String(r.gap_id()).Key("previous_status").String(r.previous_status());
      j.Key("status").String(r.status()).Key("area_km2").Number(r.area_km2());
      j.Key("samples").Number(r.samples()).Key("needed").Number(r.needed());
      j.Key("measured_cells").Number(r.measured_cells());
      j.Key("good_cells").Number(r.good_cells()).Key("good_percent").Number(r.good_percent());
      j.Key("cleared").String(geo::FormatIso8601(r.cleared_unix_ms()));
      j.Key("samples_per_km2").Number(r.samples_per_km2());
      j.Key("min_good_percent").Number(r.min_good_percent());
      j.Key("reason").String(r.reason());
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  if (response.results().empty()) {
    std::printf("no cleared or awaiting_measurement gaps to verify\n");
    return kExitOk;
  }
  for (const auto& r : response.results()) {
    std::printf("%s: %s -> %s: %s\n", r.gap_id().c_str(), r.previous_status().c_str(),
                r.status() == "open" ? "open (reopened)" : r.status().c_str(), r.reason().c_str());
  }
  return kExitOk;
}

int RunWatch(const GlobalOptions& options, const Args& args) {
  if (std::string bad = args.Unknown({"after", "operator", "json"});
      !bad.empty() || !args.positional().empty()) {
    return Usage("watch", bad.empty() ? "unexpected argument" : "unknown option " + bad,
                 kWatchHelp);
  }
  v1::WatchGapsRequest request;
  if (args.Has("after")) {
    char* end = nullptr;
    const std::string text = args.Get("after");
    const long long after = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || after < 0) {
      return Usage("watch", "--after must be an event number (0 or more)", kWatchHelp);
    }
    request.set_after_event_id(after);
  }
  request.set_operator_id(args.Get("operator"));
  const bool json = options.json || args.Has("json");
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::GapLifecycleService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  auto reader = stub->WatchGaps(&context, request);
  v1::GapEvent e;
  while (reader->Read(&e)) {
    if (json) {
      JsonWriter j;
      EventJson(j, e);
      std::printf("%s\n", j.str().c_str());
    } else {
      std::printf("%s\n", EventLine(e).c_str());
    }
    std::fflush(stdout);
  }
  const grpc::Status status = reader->Finish();
  return RpcError("watch", status, options);
}

}  // namespace covgap::cli
