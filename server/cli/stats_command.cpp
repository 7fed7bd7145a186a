// covgap stats: measurement counts per operator and technology.
#include <cstdio>

#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kStatsHelp = R"(Usage: covgap [--server HOST:PORT] stats [--json]

Prints how many measurements covgapd holds per operator and technology, with the time span of
each, and the number of stored batches. --json prints one JSON document instead.
)";

int RunStats(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("stats", args, {"json"}); e) return e;
  const bool json = options.json || args.Has("json");
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::MeasurementService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::Stats stats;
  const grpc::Status status = stub->GetStats(&context, v1::GetStatsRequest(), &stats);
  if (!status.ok()) return RpcError("stats", status, options);
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("total").Number(stats.total()).Key("batches").Number(stats.batches());
    j.Key("counts").BeginArray();
    for (const auto& c : stats.counts()) {
      const auto tech = api::FromProto(c.tech());
      j.BeginObject()
          .Key("operator")
          .String(c.operator_id())
          .Key("tech")
          .String(tech ? geo::ToString(*tech) : "?")
          .Key("count")
          .Number(c.count())
          .Key("first")
          .String(geo::FormatIso8601(c.first_time_unix_ms()))
          .Key("last")
          .String(geo::FormatIso8601(c.last_time_unix_ms()))
          .EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%-14s %-5s %14s  %-20s  %-20s\n", "operator", "tech", "measurements", "first",
              "last");
  for (const auto& c : stats.counts()) {
    const auto tech = api::FromProto(c.tech());
    std::printf("%-14s %-5s %14s  %-20s  %-20s\n", c.operator_id().c_str(),
                std::string(tech ? geo::ToString(*tech) : "?").c_str(),
                Thousands(c.count()).c_str(), geo::FormatIso8601(c.first_time_unix_ms()).c_str(),
                geo::FormatIso8601(c.last_time_unix_ms()).c_str());
  }
  std::printf("%-14s %-5s %14s  (%s batches)\n", "total", "", Thousands(stats.total()).c_str(),
              Thousands(stats.batches()).c_str());
  return kExitOk;
}

}  // namespace covgap::cli
