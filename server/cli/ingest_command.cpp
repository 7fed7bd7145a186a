// covgap ingest FILE...: stream measurement files to covgapd in batches.
//
// Reads covgap's CSV, G-NetTrack logs and other drive-test CSVs through one reader interface
// (importers/drive_test_log.h); --format names the format, by default it is detected per file.
//
// Batch ids are derived from content (SHA-256 of the header and the batch's raw lines), so running
// the same ingest again sends the same ids and the server treats them as duplicates: a re-run
// after a crash or a lost connection sends only what is missing. Rows that cannot be parsed are
// rejected here; rows that break a validation rule are rejected by the server; both are reported
// with their line number and reason, and written to --rejects FILE as they were (plus the reason).
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/csv.h"
#include "importers/drive_test_log.h"
#include "importers/measurement_csv.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"
#include "server/cli/progress.h"
#include "server/openssl_handles.h"

namespace covgap::cli {

const char* const kIngestHelp = R"(Usage: covgap [--server HOST:PORT] ingest FILE... [options]

Streams measurement files to covgapd and prints accepted/rejected/duplicate counts.

Formats (--format; by default detected from each file's header line):
  csv        covgap's CSV. The header names the columns (any order): operator, tech, lat, lon,
             signal_dbm, timestamp (ISO 8601, e.g. 2021-11-30T08:15:00Z; no zone = UTC) are
             required; source (drive|crowd|mdt), device_id, accuracy_m, quality_db, sinr_db,
             dl_kbps are optional. Other columns are ignored. Headers are also recognised by
             their usual spellings, any case, with or without accents: latitude / Vĩ độ,
             signal / Cường độ tín hiệu, time / Thời gian, … (docs/importing.md). The report
             shows which column was read for which field.
  gnettrack  G-NetTrack logs (tab separated): Timestamp (phone-local time, see --utc-offset),
             Latitude, Longitude, Operator (MCC+MNC) or Operatorname, NetworkTech, Level (dBm:
             RSRP for LTE, RSCP for UMTS, RxLev for GSM); Qual, SNR, DL_bitrate (kbit/s) are used
             when present. Rows without a GPS fix or a Level are rejected.
  generic    other drive-test CSVs (comma, semicolon or tab): Latitude, Longitude, Time, Operator
             (or MCC-MNC/PLMN), RSRP (LTE) and/or RSCP (UMTS); a tech column, RSRQ, EcNo, SINR
             are optional. Source is drive.
Drive-test operators (names or MCC-MNC codes) are mapped to covgap operator ids: built in for
Vietnam (45201 mobifone, 45202 vnpt, 45204 viettel, 45205 vietnamobile, 45207 gmobile and their
names); rows of other operators are rejected as unknown_operator.

Options:
  --format F             auto (default), csv, gnettrack or generic
  --operator-map FILE    extra or overriding operator mappings, lines 'name_or_code = operator_id'
                         ('#' comments), e.g. '452-99 = viettel' or 'Viettel Test = viettel'
  --utc-offset +HH:MM    the zone of drive-test timestamps written without one (default +07:00,
                         Vietnam); timestamps with a zone are taken as they say
  --device ID            device id for every row of drive-test files (stored hashed)
  --rejects FILE         write each rejected row as it was, with reject_line, reject_code and
                         reject_reason columns appended in the input's delimiter (the file can be
                         fixed and re-ingested)
  --batch-size N         rows per batch (default 5000; keep it the same between runs: batch ids
                         depend on the batch boundaries)
  --batches-per-call N   batches per streaming call, i.e. per acknowledgement (default 20)
  --json                 print one JSON document instead of the table

Running the same ingest twice changes nothing: the second run reports every row as duplicate.
Exit status: 0 done (rejected rows are reported, not an error), 1 bad file or refused request,
2 bad command line, 3 covgapd unreachable or the connection broke off (re-run to send the rest).
)";

namespace {

std::string BatchId(const std::string& header, const std::string& text) {
  const server::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), header.data(), header.size());
  EVP_DigestUpdate(ctx.get(), "\n", 1);
  EVP_DigestUpdate(ctx.get(), text.data(), text.size());
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "csv-";
  for (unsigned i = 0; i < 16; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 15]);
  }
  return id;
}

struct Rejected {
  std::uint64_t line;
  std::string raw;
  std::string code;
  std::string reason;
};

struct Totals {
  std::uint64_t rows = 0, accepted = 0, rejected = 0, duplicate = 0, omitted = 0, batches = 0;
  std::map<std::string, std::uint64_t> by_code;
  void Add(const Totals& o) {
    rows += o.rows;
    accepted += o.accepted;
    rejected += o.rejected;
    duplicate += o.duplicate;
    omitted += o.omitted;
    batches += o.batches;
    for (const auto& [k, v] : o.by_code) by_code[k] += v;
  }
};

// A batch sent in the current call, kept until its acknowledgement.
struct SentBatch {
  std::string batch_id;
  importers::CsvMeasurementChunk chunk;
  std::vector<std::uint32_t> row_of_index;  // proto index -> chunk row
  std::vector<Rejected> local_rejections;
};

// A field for a line separated by `delimiter`: CSV quoting for commas and semicolons; a
// tab-separated line is not quoted, so tabs and line ends become spaces.
std::string DelimitedField(std::string_view field, char delimiter) {
  if (delimiter == '\t') {
    std::string out(field);
    for (char& c : out) {
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    }
    return out;
  }
  return geo::CsvQuote(field, delimiter);
}

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  // Rows as they were, plus reject_line, reject_code and reject_reason in the input's delimiter.
  bool Write(const std::string& header, char delimiter, std::vector<Rejected>& rows,
             std::string& error) {
    if (!enabled() || rows.empty()) return true;
    if (!out_.is_open()) {
      out_.open(path_, std::ios::binary | std::ios::trunc);
      if (!out_) {
        error = "cannot write " + path_;
        return false;
      }
    }
    if (header != header_) {
      out_ << header << delimiter << "reject_line" << delimiter << "reject_code" << delimiter
           << "reject_reason\n";
      header_ = header;
    }
    std::sort(rows.begin(), rows.end(),
              [](const Rejected& a, const Rejected& b) { return a.line < b.line; });
    for (const auto& r : rows) {
      out_ << r.raw << delimiter << r.line << delimiter << DelimitedField(r.code, delimiter)
           << delimiter << DelimitedField(r.reason, delimiter) << '\n';
    }
    out_.flush();
    return static_cast<bool>(out_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
  std::string header_;
};

struct FileResult {
  std::string path;
  std::string format;                         // the format the file was read as
  std::vector<importers::ColumnUse> columns;  // which column was read for which field
  Totals totals;
};

// Milliseconds from a call's first write to its acknowledgement, for --json.
struct Latencies {
  std::vector<double> ms;
  double Percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
    return sorted[i];
  }
};

void PrintJson(const std::vector<FileResult>& files, const Totals& all, double seconds,
               const std::string& error, const Latencies& latencies) {
  JsonWriter j;
  j.BeginObject();
  j.Key("ok").Bool(error.empty());
  if (!error.empty()) j.Key("error").String(error);
  j.Key("files").BeginArray();
  for (const auto& f : files) {
    j.BeginObject()
        .Key("path")
        .String(f.path)
        .Key("format")
        .String(f.format)
        .Key("rows")
        .Number(f.totals.rows)
        .Key("accepted")
        .Number(f.totals.accepted)
        .Key("rejected")
        .Number(f.totals.rejected)
        .Key("duplicate")
        .Number(f.totals.duplicate);
    j.Key("columns").BeginArray();
    for (const auto& c : f.columns) {
      j.BeginObject().Key("field").String(c.field).Key("column").String(c.column).EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndArray();
  j.Key("rows").Number(all.rows);
  j.Key("accepted").Number(all.accepted);
  j.Key("rejected").Number(all.rejected);
  j.Key("duplicate").Number(all.duplicate);
  j.Key("batches").Number(all.batches);
  j.Key("rejections_unlisted").Number(all.omitted);
  j.Key("rejected_by_code").BeginObject();
  for (const auto& [code, n] : all.by_code) j.Key(code).Number(n);
  j.EndObject();
  j.Key("seconds").Number(seconds);
  j.Key("rows_per_second").Number(seconds > 0 ? static_cast<double>(all.rows) / seconds : 0.0);
  j.Key("calls").Number(static_cast<std::uint64_t>(latencies.ms.size()));
  j.Key("call_latency_ms").BeginObject();
  j.Key("p50").Number(latencies.Percentile(50));
  j.Key("p90").Number(latencies.Percentile(90));
  j.Key("p99").Number(latencies.Percentile(99));
  j.Key("max").Number(latencies.Percentile(100));
  j.EndObject();
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
}

void PrintTable(const std::vector<FileResult>& files, const Totals& all, double seconds,
                const RejectsFile& rejects) {
  for (const auto& f : files) {
    std::printf("%s: %s rows (%s)\n", f.path.c_str(), Thousands(f.totals.rows).c_str(),
                f.format.c_str());
    std::vector<std::string> columns;
    for (const auto& c : f.columns) columns.push_back(c.field + " \u2190 " + c.column);
    PrintColumnUse(columns);
  }
  std::printf("  accepted   %12s\n", Thousands(all.accepted).c_str());
  std::printf("  rejected   %12s%s\n", Thousands(all.rejected).c_str(),
              all.rejected > 0 && rejects.enabled()
                  ? ("   (written to " + rejects.path() + ")").c_str()
                  : "");
  std::printf("  duplicate  %12s\n", Thousands(all.duplicate).c_str());
  if (!all.by_code.empty()) {
    std::printf("  rejected by reason:\n");
    for (const auto& [code, n] : all.by_code) {
      std::printf("    %-24s %10s\n", code.c_str(), Thousands(n).c_str());
    }
  }
  if (all.omitted > 0) {
    std::printf("  (%s rejections were counted but not listed by the server)\n",
                Thousands(all.omitted).c_str());
  }
  std::printf("  %s rows in %.2f s (%s rows/s)\n", Thousands(all.rows).c_str(), seconds,
              Thousands(seconds > 0 ? static_cast<std::uint64_t>(all.rows / seconds) : 0).c_str());
}

}  // namespace

int RunIngest(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("ingest", args,
                            {"rejects", "batch-size", "batches-per-call", "json", "format",
                             "operator-map", "utc-offset", "device"},
                            args.positional().size());
      e) {
    return e;
  }
  if (args.positional().empty()) {
    return UsageError("ingest", "name at least one measurement file (CSV or drive-test log)");
  }
  const auto batch_size = ParseInteger(args.Get("batch-size", "5000"), 1, 50'000);
  const auto batches_per_call = ParseInteger(args.Get("batches-per-call", "20"), 1, 1'000'000);
  if (!batch_size || !batches_per_call) {
    return UsageError("ingest",
                      "--batch-size must be a number 1..50000 and --batches-per-call a "
                      "positive number");
  }
  const bool json = options.json || args.Has("json");
  const auto format = importers::ParseMeasurementFormat(args.Get("format", "auto"));
  if (!format) {
    return UsageError("ingest", "--format must be auto, csv, gnettrack or generic, not '" +
                                    args.Get("format") + "'");
  }
  importers::DriveTestOptions drive_test;
  if (args.Has("utc-offset")) {
    const auto offset = importers::ParseUtcOffset(args.Get("utc-offset"));
    if (!offset) {
      return UsageError("ingest",
                        "--utc-offset must look like +07:00, -03:30 or Z (at most ±14:00)");
    }
    drive_test.utc_offset_minutes = *offset;
  }
  drive_test.device_id = args.Get("device");
  importers::OperatorMap operators = importers::OperatorMap::VietnamDefaults();
  if (args.Has("operator-map")) {
    if (Status s = operators.Load(args.Get("operator-map")); !s.ok()) {
      return InputError("ingest", "--operator-map: " + s.message());
    }
  }

  // Open every file first: a missing file or a bad header stops before anything is sent.
  std::vector<std::unique_ptr<importers::MeasurementReader>> readers;
  for (const auto& path : args.positional()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return InputError("ingest", path + (std::filesystem::exists(path, ec)
                                              ? ": not a file; name a measurement CSV or log file"
                                              : ": no such file; check the path (ls it) and try "
                                                "again"));
    }
    auto reader = importers::OpenMeasurementFile(path, *format, operators, drive_test);
    if (!reader.ok()) {
      return InputError("ingest", reader.status().message());
    }
    readers.push_back(std::move(reader.value()));
  }

  std::string error;
  auto channel = Connect(options, error);
  if (!channel) {
    if (json) PrintJson({}, {}, 0, error, {});
    std::fprintf(stderr, "covgap ingest: %s\n", error.c_str());
    return kExitUnreachable;
  }
  auto stub = v1::MeasurementService::NewStub(channel);

  RejectsFile rejects(args.Get("rejects"));
  ProgressBar progress(!json);
  const auto start = std::chrono::steady_clock::now();
  std::vector<FileResult> results;
  Totals all;
  std::uint64_t rows_sent = 0;
  Latencies latencies;
  int exit_code = kExitOk;

  for (std::size_t f = 0; f < readers.size() && exit_code == kExitOk; ++f) {
    auto& reader = *readers[f];
    FileResult& result = results.emplace_back();
    result.path = args.positional()[f];
    result.format = std::string(importers::ToString(reader.format()));
    result.columns = reader.columns();
    const std::string label = result.path.substr(result.path.rfind('/') + 1);
    bool more = true;
    while (more && exit_code == kExitOk) {
      // One streaming call: up to batches_per_call batches, acknowledged together.
      grpc::ClientContext context;
      Authorize(context, options);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
      v1::IngestSummary summary;
      const auto call_start = std::chrono::steady_clock::now();
      auto writer = stub->Ingest(&context, &summary);
      std::vector<SentBatch> sent;
      v1::MeasurementBatch message;
      while (static_cast<long>(sent.size()) < *batches_per_call) {
        SentBatch& batch = sent.emplace_back();
        if (!reader.Next(batch.chunk, static_cast<std::size_t>(*batch_size))) {
          sent.pop_back();
          more = false;
          break;
        }
        batch.batch_id = BatchId(reader.header(), batch.chunk.text);
        message.Clear();
        message.set_batch_id(batch.batch_id);
        for (std::uint32_t r = 0; r < batch.chunk.rows.size(); ++r) {
          const auto& row = batch.chunk.rows[r];
          if (row.rejection) {
            batch.local_rejections.push_back({row.line, std::string(batch.chunk.Raw(row)),
                                              row.rejection->code, row.rejection->reason});
            continue;
          }
          api::ToProto(row.measurement, *message.add_measurements());
          batch.row_of_index.push_back(r);
        }
        if (!writer->Write(message)) break;  // the call failed; Finish() says why
        rows_sent += batch.chunk.rows.size();
        progress.Update(label, reader.bytes_consumed(), reader.total_bytes(), rows_sent);
      }
      if (!reader.status().ok()) {
        error = result.path + ": " + reader.status().message();
        exit_code = kExitError;
      }
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      if (!status.ok()) {
        error = DescribeRpcError(status, options);
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          error +=
              "; batches acknowledged so far are stored, re-run the same command to send "
              "the rest";
        }
        exit_code = ExitCodeFor(status);
        break;
      }
      if (!sent.empty()) {
        latencies.ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call_start)
                .count());
      }
      // Acknowledged: account for every batch of the call.
      Totals call;
      std::map<std::string, const SentBatch*> by_id;
      std::vector<Rejected> rejected_rows;
      for (const auto& b : sent) {
        by_id[b.batch_id] = &b;
        call.rows += b.chunk.rows.size();
        ++call.batches;
      }
      for (const auto& br : summary.batches()) {
        auto it = by_id.find(br.batch_id());
        if (it == by_id.end()) continue;
        const SentBatch& b = *it->second;
        if (br.duplicate() > 0) {
          call.duplicate += br.duplicate() + b.local_rejections.size();
          continue;
        }
        call.accepted += br.accepted();
        call.rejected += br.rejected() + b.local_rejections.size();
        for (const auto& r : b.local_rejections) {
          ++call.by_code[r.code];
          rejected_rows.push_back(r);
        }
      }
      for (const auto& rr : summary.rejections()) {
        auto it = by_id.find(rr.batch_id());
        if (it == by_id.end() || rr.index() >= it->second->row_of_index.size()) continue;
        const SentBatch& b = *it->second;
        const auto& row = b.chunk.rows[b.row_of_index[rr.index()]];
        ++call.by_code[rr.code()];
        rejected_rows.push_back({row.line, std::string(b.chunk.Raw(row)), rr.code(), rr.reason()});
      }
      call.omitted = summary.rejections_omitted();
      if (!rejects.Write(reader.header(), reader.delimiter(), rejected_rows, error)) {
        exit_code = kExitError;
      }
      result.totals.Add(call);
    }
    all.Add(result.totals);
  }
  progress.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (json) {
    PrintJson(results, all, seconds, error, latencies);
  } else {
    PrintTable(results, all, seconds, rejects);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "covgap ingest: %s\n", error.c_str());
  }
  return exit_code;
}

}  // namespace covgap::cli
