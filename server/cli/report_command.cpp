// covgap report: the progress report (docs/report.md) from covgapd, to stdout or a file.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "covgap/v1/report.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kReportHelp =
    R"(Usage: covgap [--server HOST:PORT] report [--deadline YYYY-MM-DD] [options]

The progress report for the Chairman of the province (docs/report.md): gaps open, planned,
cleared and verified per district and per operator, students without a device in gaps at the
start (the first analysis) and now (the latest), overdue plans, plans after the deadline, days
left, and the students' readiness (devices, white-zone schools) per district.

Options:
  --deadline YYYY-MM-DD   the deadline (default: covgapd's --deadline)
  --format table|json|csv|html   default table; html is one printable file (A4) with a map
  -o, --output FILE       write the report to FILE (default: stdout)
  --as-of DATE            the report's "now" (YYYY-MM-DD or ISO 8601; default now)
  --json                  the same as --format json
Authority and viewer tokens may build it.
)";

int RunReport(const GlobalOptions& options, const Args& args) {
  const std::vector<std::string> known = {"deadline", "format", "o", "output", "as-of", "json"};
  if (int e = ArgumentError("report", args, known); e) return e;
  v1::BuildReportRequest request;
  if (args.Has("deadline")) {
    const std::string text = args.Get("deadline");
    const auto day = geo::ParseIso8601(text);
    if (text.size() != 10 || !day) {
      return UsageError(
          "report", "--deadline must be a date YYYY-MM-DD (e.g. 2021-12-31), not '" + text + "'");
    }
    request.set_deadline_unix_ms(*day);
  }
  if (args.Has("as-of")) {
    const auto when = ParseDateOrTime(args.Get("as-of"));
    if (!when) {
      return UsageError("report", "--as-of must be a date YYYY-MM-DD or an ISO 8601 time, not '" +
                                      args.Get("as-of") + "'");
    }
    request.set_as_of_unix_ms(*when);
  }
  const std::string format =
      args.Get("format", options.json || args.Has("json") ? "json" : "table");
  if (format != "table" && format != "json" && format != "csv" && format != "html") {
    return UsageError("report", "--format must be table, json, csv or html, not '" + format + "'");
  }
  request.set_format(format);
  const std::string output = args.Get("o", args.Get("output"));

  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::ReportService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  auto reader = stub->BuildReport(&context, request);
  std::string text;
  v1::FileChunk chunk;
  while (reader->Read(&chunk)) text += chunk.data();
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return RpcError("report", status, options);
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  const std::string tmp = output + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return InputError(
          "report", "cannot write " + output + ": give -o a path in an existing, writable folder");
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    std::remove(tmp.c_str());
    return InputError(
        "report", "cannot write " + output + ": give -o a path in an existing, writable folder");
  }
  std::fprintf(stderr, "wrote %s (%s bytes, %s)\n", output.c_str(), Thousands(text.size()).c_str(),
               format.c_str());
  return kExitOk;
}

}  // namespace covgap::cli
