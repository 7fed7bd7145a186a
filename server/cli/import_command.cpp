// covgap import areas|schools|households FILE: read the file here (importers/), send the rows to
// covgapd, print what was read, rejected (here or by the server), inserted and updated.
#include <cstdio>
#include <map>

#include "covgap/v1/gaps.grpc.pb.h"
#include "importers/area_reader.h"
#include "importers/registry_csv.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kImportHelp = R"(Usage: covgap [--server HOST:PORT] import KIND FILE [options]

Imports registry data into covgapd. KIND is one of:
  areas        administrative boundaries (GeoJSON, Shapefile incl. .zip, GeoPackage)
  schools      schools CSV: school_id,name,level,lat,lon,students_nodev[,students,district,commune]
  households   households CSV: household_id,category,lat,lon,students_nodev[,district,commune]
Rows are upserted by id: importing the same file again updates, never duplicates.

Options (areas):
  --level province|district|commune   the level of the areas in FILE (required)
  --name-field F      the attribute holding the name (default: detected: name, ten, ...)
  --code-field F      the attribute holding the code (default: detected, else from the name)
  --crs CRS           the file's CRS when its .prj is missing or wrong (e.g. EPSG:9214)
Options (all):
  --json              print one JSON document
See docs/importing.md for the columns, rejection codes and CRS rules.
)";

namespace {

struct Issue {
  std::uint64_t row;
  std::string code;
  std::string reason;
};

int Report(const GlobalOptions& options, bool json, const std::string& kind,
           const std::string& path, std::uint64_t rows_read, const std::vector<Issue>& local,
           const std::vector<Issue>& repaired, const grpc::Status& status,
           const v1::ImportSummary& summary, const std::vector<std::uint64_t>& row_of_index) {
  if (!status.ok()) {
    std::fprintf(stderr, "covgap import: %s\n", DescribeRpcError(status, options).c_str());
    return ExitCodeFor(status);
  }
  std::vector<Issue> rejected = local;
  for (const auto& r : summary.rejections()) {
    // The server numbers the rows it was sent; the importer already dropped rejected ones.
    const std::uint64_t row = r.row() < row_of_index.size() ? row_of_index[r.row()] : r.row() + 1;
    rejected.push_back({row, r.code(), r.reason()});
  }
  std::map<std::string, std::uint64_t> by_code;
  for (const auto& r : rejected) ++by_code[r.code];
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("kind").String(kind).Key("file").String(path);
    j.Key("rows_read").Number(rows_read);
    j.Key("inserted").Number(summary.inserted()).Key("updated").Number(summary.updated());
    j.Key("rejected").Number(static_cast<std::uint64_t>(rejected.size()));
    j.Key("repaired").Number(static_cast<std::uint64_t>(repaired.size()));
    j.Key("rejections").BeginArray();
    for (const auto& r : rejected) {
      j.BeginObject().Key("row").Number(r.row).Key("code").String(r.code);
      j.Key("reason").String(r.reason).EndObject();
    }
    j.EndArray();
    j.Key("rejected_by_code").BeginObject();
    for (const auto& [code, n] : by_code) j.Key(code).Number(n);
    j.EndObject().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%s: %s rows read\n", path.c_str(), Thousands(rows_read).c_str());
  std::printf("  inserted   %10s\n", Thousands(summary.inserted()).c_str());
  std::printf("  updated    %10s\n", Thousands(summary.updated()).c_str());
  std::printf("  rejected   %10s\n", Thousands(rejected.size()).c_str());
  if (!repaired.empty()) std::printf("  repaired   %10s\n", Thousands(repaired.size()).c_str());
  const std::size_t shown = std::min<std::size_t>(rejected.size(), 20);
  for (std::size_t i = 0; i < shown; ++i) {
    std::printf("    row %llu: %s: %s\n", static_cast<unsigned long long>(rejected[i].row),
                rejected[i].code.c_str(), rejected[i].reason.c_str());
  }
  if (rejected.size() > shown) {
    std::printf("    ... and %zu more (use --json for all)\n", rejected.size() - shown);
  }
  for (std::size_t i = 0; i < std::min<std::size_t>(repaired.size(), 5); ++i) {
    std::printf("    repaired row %llu: %s\n", static_cast<unsigned long long>(repaired[i].row),
                repaired[i].reason.c_str());
  }
  return kExitOk;
}

std::vector<Issue> ToIssues(const std::vector<importers::RowIssue>& in) {
  std::vector<Issue> out;
  for (const auto& r : in) out.push_back({r.row, r.code, r.reason});
  return out;
}

}  // namespace

int RunImport(const GlobalOptions& options, const Args& args) {
  if (std::string bad = args.Unknown({"level", "name-field", "code-field", "crs", "json"});
      !bad.empty() || args.positional().size() != 2) {
    std::fprintf(stderr, "covgap import: %s\n\n%s",
                 bad.empty() ? "name a KIND and a FILE" : ("unknown option " + bad).c_str(),
                 kImportHelp);
    return kExitUsage;
  }
  const std::string kind = args.positional()[0];
  const std::string path = args.positional()[1];
  const bool json = options.json || args.Has("json");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  v1::ImportSummary summary;
  std::vector<std::uint64_t> row_of_index;  // request index -> row/line number in the file

  auto connect = [&]() -> std::unique_ptr<v1::RegistryService::Stub> {
    std::string error;
    auto channel = Connect(options, error);
    if (!channel) {
      std::fprintf(stderr, "covgap: %s\n", error.c_str());
      return nullptr;
    }
    return v1::RegistryService::NewStub(channel);
  };

  if (kind == "areas") {
    auto level = geo::ParseAreaLevel(args.Get("level"));
    if (!level) {
      std::fprintf(stderr, "covgap import areas: --level must be province, district or commune\n");
      return kExitUsage;
    }
    importers::AreaReadOptions read;
    read.level = *level;
    read.name_field = args.Get("name-field");
    read.code_field = args.Get("code-field");
    read.source_crs = args.Get("crs");
    auto areas = importers::ReadAreas(path, read);
    if (!areas.ok()) {
      std::fprintf(stderr, "covgap import: %s\n", areas.status().message().c_str());
      return kExitError;
    }
    auto stub = connect();
    if (!stub) return kExitUnreachable;
    v1::ImportAreasRequest request;
    for (const auto& a : areas->areas) api::ToProto(a, *request.add_areas());
    const grpc::Status status = stub->ImportAreas(&context, request, &summary);
    return Report(options, json, kind, path, areas->rows_read, ToIssues(areas->rejected),
                  ToIssues(areas->repaired), status, summary, row_of_index);
  }
  if (kind == "schools") {
    auto schools = importers::ReadSchoolsCsv(path);
    if (!schools.ok()) {
      std::fprintf(stderr, "covgap import: %s\n", schools.status().message().c_str());
      return kExitError;
    }
    auto stub = connect();
    if (!stub) return kExitUnreachable;
    v1::ImportSchoolsRequest request;
    for (const auto& s : schools->schools) api::ToProto(s, *request.add_schools());
    const grpc::Status status = stub->ImportSchools(&context, request, &summary);
    return Report(options, json, kind, path, schools->rows_read, ToIssues(schools->rejected), {},
                  status, summary, row_of_index);
  }
  if (kind == "households") {
    auto households = importers::ReadHouseholdsCsv(path);
    if (!households.ok()) {
      std::fprintf(stderr, "covgap import: %s\n", households.status().message().c_str());
      return kExitError;
    }
    auto stub = connect();
    if (!stub) return kExitUnreachable;
    v1::ImportHouseholdsRequest request;
    for (const auto& h : households->households) api::ToProto(h, *request.add_households());
    const grpc::Status status = stub->ImportHouseholds(&context, request, &summary);
    return Report(options, json, kind, path, households->rows_read, ToIssues(households->rejected),
                  {}, status, summary, row_of_index);
  }
  std::fprintf(stderr, "covgap import: unknown kind '%s' (areas, schools, households)\n\n%s",
               kind.c_str(), kImportHelp);
  return kExitUsage;
}

}  // namespace covgap::cli
