// covgap doctor: checks the set-up a first analysis needs and says, per missing piece, what to
// run. Read-only: it calls WhoAmI, GetStats, GetRegistryStats and GetLatestRun.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kDoctorHelp = R"(Usage: covgap [--server HOST:PORT] doctor [--json]

Checks what an analysis needs and says what is missing, one line each with the command to run:
  server      covgapd answers at --server (or COVGAP_SERVER)
  token       the token (--token-file or COVGAP_TOKEN) is accepted, and its role
  store       measurements are stored (per operator and technology)
  areas       province, districts and communes are imported (gaps are attributed to them)
  schools     schools are imported (the ranking counts their students)
  households  households are imported (authority only: counted, never listed)
  sites       operators' sites are imported (without them analyses are binned: measured cells
              only; with them hybrid: coverage predicted everywhere, docs/prediction.md)
  latest run  an analysis has run, and no measurement arrived after it
Marks: ✓ fine, ! works but worth fixing, ✗ missing. Exit status 0 when nothing is missing, 1
otherwise (3: covgapd unreachable, 4: token refused). --json prints one JSON document.
)";

namespace {

enum class Mark { kOk, kWarn, kFail };

struct Check {
  std::string name;
  Mark mark = Mark::kOk;
  std::string detail;
  std::string fix;  // what to run; empty when fine
};

const char* Symbol(Mark m) { return m == Mark::kOk ? "✓" : (m == Mark::kWarn ? "!" : "✗"); }
const char* Word(Mark m) { return m == Mark::kOk ? "ok" : (m == Mark::kWarn ? "warn" : "missing"); }

std::string TechName(v1::Technology t) {
  const auto tech = api::FromProto(t);
  return tech ? std::string(geo::ToString(*tech)) : "?";
}

template <typename Call>
grpc::Status Ask(const GlobalOptions& options, Call call) {
  grpc::ClientContext context;
  Authorize(context, options);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return call(context);
}

int Print(const std::vector<Check>& checks, const GlobalOptions& options, bool json,
          const std::string& verdict, int code) {
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("server").String(options.server).Key("ready").Bool(code == kExitOk);
    j.Key("verdict").String(verdict).Key("checks").BeginArray();
    for (const auto& c : checks) {
      j.BeginObject().Key("name").String(c.name).Key("status").String(Word(c.mark));
      j.Key("detail").String(c.detail).Key("fix").String(c.fix).EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return code;
  }
  for (const auto& c : checks) {
    std::printf("%s %s %s\n", Symbol(c.mark), Column(c.name, 11).c_str(), c.detail.c_str());
    if (!c.fix.empty()) std::printf("  %s → %s\n", Column("", 11).c_str(), c.fix.c_str());
  }
  std::printf("\n%s\n", verdict.c_str());
  return code;
}

}  // namespace

int RunDoctor(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("doctor", args, {"json"}); e) return e;
  const bool json = options.json || args.Has("json");
  std::vector<Check> checks;

  std::string error;
  auto channel = Connect(options, error);
  if (!channel) {
    checks.push_back(
        {"server", Mark::kFail, error, "start it: covgapd --data DIR (or point --server at it)"});
    return Print(checks, options, json, "not ready: covgapd cannot be reached", kExitUnreachable);
  }
  checks.push_back({"server", Mark::kOk, "covgapd answers at " + options.server, ""});

  // Token and role.
  v1::WhoAmIResponse me;
  grpc::Status status = Ask(options, [&](grpc::ClientContext& ctx) {
    return v1::AccessService::NewStub(channel)->WhoAmI(&ctx, {}, &me);
  });
  if (!status.ok()) {
    const bool refused = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    checks.push_back(
        {"token", Mark::kFail, DescribeRpcError(status, options),
         refused ? (options.token.empty()
                        ? "give a token: --token-file FILE or COVGAP_TOKEN (covgapd printed the "
                          "first authority token at its first start; `covgap token create` makes "
                          "more)"
                        : "the token is wrong or revoked: ask the authority for a new one "
                          "(`covgap token create --role …`)")
                 : "upgrade covgapd and covgap to the same version"});
    return Print(checks, options, json, "not ready: the token is not accepted",
                 refused ? kExitDenied : ExitCodeFor(status));
  }
  const bool authority = me.role() == "authority";
  std::string who = me.role();
  if (!me.operator_id().empty()) who += " " + me.operator_id();
  if (!me.token_id().empty())
    who += " (" + me.token_id() + (me.label().empty() ? "" : ", " + me.label()) + ")";
  checks.push_back({"token", Mark::kOk,
                    who + (authority ? ": may import, analyse and report"
                                     : (me.role() == "operator"
                                            ? ": ingests and plans its own; the authority runs "
                                              "analyses"
                                            : ": reads gaps and reports; the authority runs "
                                              "analyses")),
                    ""});

  // Measurements.
  v1::Stats stats;
  status = Ask(options, [&](grpc::ClientContext& ctx) {
    return v1::MeasurementService::NewStub(channel)->GetStats(&ctx, {}, &stats);
  });
  std::int64_t last_measurement_ms = 0;
  if (!status.ok()) {
    checks.push_back({"store", Mark::kFail, DescribeRpcError(status, options),
                      "see covgapd's log (the store may be unreadable or full)"});
  } else if (stats.total() == 0) {
    checks.push_back({"store", Mark::kFail, "no measurements stored",
                      "operators send them: covgap ingest FILE.csv (docs/ingestion.md)"});
  } else {
    std::string groups;
    for (const auto& c : stats.counts()) {
      if (!groups.empty()) groups += ", ";
      groups += c.operator_id() + " " + TechName(c.tech()) + " " + Thousands(c.count());
      last_measurement_ms = std::max(last_measurement_ms, c.last_time_unix_ms());
    }
    checks.push_back({"store", Mark::kOk,
                      Thousands(stats.total()) + " measurements in " + Thousands(stats.batches()) +
                          " batches (" + groups + ")",
                      ""});
  }

  // Registry layers.
  v1::RegistryStats reg;
  status = Ask(options, [&](grpc::ClientContext& ctx) {
    return v1::RegistryService::NewStub(channel)->GetRegistryStats(&ctx, {}, &reg);
  });
  bool have_areas = false, have_sites = false;
  if (!status.ok()) {
    checks.push_back({"registry", Mark::kFail, DescribeRpcError(status, options),
                      "upgrade covgapd and covgap to the same version"});
  } else {
    have_areas = reg.provinces() + reg.districts() + reg.communes() > 0;
    const std::string areas = Thousands(reg.provinces()) + " province, " +
                              Thousands(reg.districts()) + " districts, " +
                              Thousands(reg.communes()) + " communes";
    if (reg.districts() == 0) {
      checks.push_back(
          {"areas", have_areas ? Mark::kWarn : Mark::kFail, areas,
           "covgap import areas data/bacgiang/districts.geojson --level district (also "
           "--level province, --level commune); gaps are attributed to districts"});
    } else if (reg.communes() == 0 || reg.provinces() == 0) {
      const std::string levels = reg.provinces() == 0 && reg.communes() == 0
                                     ? "province and --level commune"
                                     : (reg.provinces() == 0 ? "province" : "commune");
      checks.push_back({"areas", Mark::kWarn, areas,
                        "covgap import areas FILE --level " + levels +
                            " (gaps and campaign plans are named by province, district and "
                            "commune)"});
    } else {
      checks.push_back({"areas", Mark::kOk, areas, ""});
    }
    checks.push_back(
        reg.schools() == 0
            ? Check{"schools", Mark::kFail, "no schools imported",
                    "covgap import schools FILE (CSV/XLSX/GPKG; docs/importing.md): the ranking "
                    "counts their students without a device"}
            : Check{"schools", Mark::kOk, Thousands(reg.schools()) + " schools", ""});
    if (reg.has_households()) {
      checks.push_back(
          reg.households() == 0
              ? Check{"households", Mark::kWarn, "no households imported",
                      "covgap import households FILE: poor and near-poor households "
                      "weigh in the ranking"}
              : Check{"households", Mark::kOk, Thousands(reg.households()) + " households", ""});
    }
    std::map<std::string, std::string> by_operator;
    for (const auto& s : reg.sites()) {
      auto& text = by_operator[s.operator_id()];
      if (!text.empty()) text += ", ";
      text += TechName(s.tech()) + " " + Thousands(s.count());
    }
    have_sites = !by_operator.empty();
    std::string detail, missing;
    for (const auto& [op, text] : by_operator) {
      if (!detail.empty()) detail += "; ";
      detail += op + " " + text;
    }
    // Operators with measurements but no sites: their coverage stays measured cells only.
    std::set<std::string> measured;
    for (const auto& c : stats.counts()) measured.insert(c.operator_id());
    for (const auto& op : measured) {
      if (me.role() == "operator" && op != me.operator_id()) continue;
      if (!by_operator.contains(op)) missing += (missing.empty() ? "" : ", ") + op;
    }
    if (!have_sites) {
      checks.push_back({"sites", Mark::kWarn,
                        "no sites imported: analyses are binned (measured cells only; unmeasured "
                        "cells are \"no data\")",
                        "covgap import sites FILE (each operator its own): coverage predicted "
                        "everywhere (hybrid, docs/prediction.md)"});
    } else if (!missing.empty()) {
      checks.push_back({"sites", Mark::kWarn, detail + "; none for " + missing,
                        "covgap import sites FILE with " + missing +
                            "'s sites (their coverage is measured cells only)"});
    } else {
      checks.push_back({"sites", Mark::kOk, detail, ""});
    }
  }

  // Latest run.
  v1::AnalysisRunInfo run;
  status = Ask(options, [&](grpc::ClientContext& ctx) {
    return v1::AnalysisService::NewStub(channel)->GetLatestRun(&ctx, {}, &run);
  });
  const std::string analyse =
      authority ? "covgap analyse" : "ask the authority to run covgap analyse";
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    checks.push_back({"latest run", Mark::kWarn, "no analysis yet", analyse});
  } else if (!status.ok()) {
    checks.push_back(
        {"latest run", Mark::kFail, DescribeRpcError(status, options), "see covgapd's log"});
  } else {
    const std::string detail = "run " + std::to_string(run.run_id()) + " (" + run.method() +
                               ") at " + geo::FormatIso8601(run.finished_unix_ms()) + ", " +
                               Thousands(run.gaps()) + " gaps";
    if (run.as_of_unix_ms() > 0 && last_measurement_ms > run.as_of_unix_ms()) {
      checks.push_back({"latest run", Mark::kWarn,
                        detail + " as of " + geo::FormatIso8601(run.as_of_unix_ms()) +
                            "; measurements up to " + geo::FormatIso8601(last_measurement_ms) +
                            " came after it",
                        analyse + " (gaps do not show the newest measurements yet)"});
    } else if (have_sites && have_areas && run.method() == "binned") {
      checks.push_back({"latest run", Mark::kWarn, detail + "; sites are imported since",
                        analyse + " (hybrid: coverage predicted where nobody measured)"});
    } else {
      checks.push_back({"latest run", Mark::kOk, detail, ""});
    }
  }

  int missing = 0, warnings = 0;
  for (const auto& c : checks) {
    missing += c.mark == Mark::kFail;
    warnings += c.mark == Mark::kWarn;
  }
  const std::string method = have_sites && have_areas ? "hybrid" : "binned";
  std::string verdict;
  if (missing > 0) {
    verdict = "not ready: " + std::to_string(missing) + " thing" + (missing > 1 ? "s" : "") +
              " missing (✗ above)";
  } else {
    verdict = "ready: an analysis now is " + method +
              (warnings > 0 ? " (" + std::to_string(warnings) + " note" +
                                  (warnings > 1 ? "s" : "") + " above)"
                            : "");
  }
  return Print(checks, options, json, verdict, missing > 0 ? kExitError : kExitOk);
}

}  // namespace covgap::cli
