// covgap import areas|schools|households|sites FILE: upload the file (and a Shapefile's sidecar
// files) to covgapd, which reads it with the importers and reports what it imported, rejected and
// repaired. Works against a remote server: nothing is read here but the bytes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "covgap/v1/gaps.grpc.pb.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kImportHelp = R"(Usage: covgap [--server HOST:PORT] import KIND FILE [options]

Uploads FILE to covgapd and imports it. KIND is one of:
  areas        administrative boundaries: GeoJSON, Shapefile (.shp with its .shx/.dbf/.prj/.cpg,
               or a .zip), GeoPackage, KML
  schools      schools: CSV, XLSX, ODS, Shapefile, GeoPackage, GeoJSON, KML
               columns school_id, name, level, lat, lon, students_nodev [, students, district,
               commune]; points may also come from the layer's geometry
  households   households, same formats: household_id, category, lat, lon, students_nodev
               [, district, commune]
  sites        an operator's sites (base stations), same formats: site_id, operator, tech, lat,
               lon [, height_m (default 30), azimuth_deg (none: omni), beamwidth_deg, band_mhz,
               eirp_dbm (defaults by technology: LTE 1800 MHz 60 dBm, UMTS 2100/58, GSM 900/55,
               NR 3500/63)]. With an operator's token only its own operator's rows are
               imported (the others: not_your_operator); the authority imports any registered
               operator's.
Rows are upserted by id: importing the same file again updates, never duplicates. Every rejected
or repaired row is reported with its row number and reason. Schools and households outside the
imported province are rejected (sites are not: one across the border serves it too).

Options:
  --level province|district|commune   areas: the level of the areas in FILE (required)
  --name-field F      areas: the attribute holding the name (default: detected)
  --code-field F      areas: the attribute holding the code (default: detected)
  --columns FILE      schools/households/sites: column mapping, lines "field = Column name",
                      for headers that are none of the accepted names, e.g.
                        school_id = Mã đơn vị
                        students_nodev = HS chưa có máy
                      Accepted without a mapping (any case, with or without accents, spaces or
                      underscores, or cut to 10 characters by a Shapefile): the field names,
                      English names and variants (latitude, students_without_device,
                      num_students, school_name, …) and Vietnamese headers (Mã trường, Tên
                      trường, Cấp học, Số học sinh, Số HS không có thiết bị, Vĩ độ, Kinh độ, Mã
                      trạm, Nhà mạng, Công nghệ, …). The report shows the column read for each
                      field.
  --crs CRS           the data's CRS when the file has none or a wrong one (e.g. EPSG:9214
                      VN-2000 / TM-3 107-00, EPSG:32648 UTM 48N)
  --encoding E        the text encoding when detection gets it wrong: UTF-8, CP1258, TCVN3,
                      VISCII, VNI
  --json              print one JSON document (every rejected row)
See docs/importing.md for the formats, columns, encodings, CRS rules and rejection codes.
)";

namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

// FILE, and for a Shapefile the files beside it with the same name and another extension.
std::vector<std::filesystem::path> FilesToUpload(const std::filesystem::path& main) {
  std::vector<std::filesystem::path> files = {main};
  std::string ext = main.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".shp" && ext != ".dbf") return files;
  for (const auto& entry : std::filesystem::directory_iterator(
           main.parent_path().empty() ? std::filesystem::path(".") : main.parent_path())) {
    const auto& p = entry.path();
    if (p.stem() == main.stem() && p.filename() != main.filename() && entry.is_regular_file()) {
      files.push_back(p);
    }
  }
  return files;
}

void PrintIssues(const char* what, const google::protobuf::RepeatedPtrField<v1::RowIssue>& issues) {
  const int shown = std::min(issues.size(), 20);
  for (int i = 0; i < shown; ++i) {
    std::printf("    %s row %llu: %s: %s\n", what, static_cast<unsigned long long>(issues[i].row()),
                issues[i].code().c_str(), issues[i].reason().c_str());
  }
  if (issues.size() > shown) {
    std::printf("    ... and %d more (use --json for all)\n", issues.size() - shown);
  }
}

}  // namespace

int RunImport(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError(
          "import", args,
          {"level", "name-field", "code-field", "crs", "encoding", "columns", "json"}, 2);
      e) {
    return e;
  }
  if (args.positional().size() != 2) {
    return UsageError("import", "name a KIND (areas, schools, households, sites) and a FILE");
  }
  const std::string kind = args.positional()[0];
  const std::filesystem::path path = args.positional()[1];
  const bool json = options.json || args.Has("json");
  v1::ImportSpec spec;
  spec.set_kind(kind);
  if (kind == "areas") {
    const std::string level = args.Get("level");
    if (level == "province") {
      spec.set_level(v1::PROVINCE);
    } else if (level == "district") {
      spec.set_level(v1::DISTRICT);
    } else if (level == "commune") {
      spec.set_level(v1::COMMUNE);
    } else {
      return UsageError("import areas",
                        "--level must be province, district or commune" +
                            (level.empty() ? std::string() : ", not '" + level + "'"));
    }
  } else if (kind != "schools" && kind != "households" && kind != "sites") {
    return UsageError(
        "import", "unknown kind '" + kind + "': use areas, schools, households or sites" +
                      (kind == "measurements" ? " (measurements go in with covgap ingest)" : ""));
  }
  spec.set_name_field(args.Get("name-field"));
  spec.set_code_field(args.Get("code-field"));
  spec.set_crs(args.Get("crs"));
  spec.set_encoding(args.Get("encoding"));
  if (args.Has("columns")) {
    std::ifstream in(args.Get("columns"), std::ios::binary);
    if (!in) {
      return InputError("import", "--columns " + args.Get("columns") +
                                      ": no such file or not readable; give the path of a "
                                      "`field = column` mapping file (docs/importing.md)");
    }
    spec.set_columns(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InputError(
        "import", path.string() + (std::filesystem::exists(path, ec)
                                       ? ": not a file; give a CSV, XLSX, GeoPackage, Shapefile "
                                         "(or .zip of one) or GeoJSON file"
                                       : ": no such file; check the path (ls it) and try again"));
  }
  spec.set_main_file(path.filename().string());

  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::RegistryService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
  v1::ImportReport report;
  auto writer = stub->Import(&context, &report);
  v1::ImportUpload message;
  *message.mutable_spec() = spec;
  bool sent = writer->Write(message);
  std::string buffer(kChunkBytes, '\0');
  for (const auto& file : FilesToUpload(path)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return InputError("import", "cannot read " + file.string() +
                                      ": check that it exists and that you may read it");
    }
    while (sent && in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      message.Clear();
      message.mutable_file()->set_file_name(file.filename().string());
      message.mutable_file()->set_data(buffer.data(), n);
      sent = writer->Write(message);
      if (n == 0) break;
    }
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return RpcError("import", status, options);
  std::map<std::string, std::uint64_t> by_code;
  for (const auto& r : report.rejections()) ++by_code[r.code()];
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("kind").String(kind).Key("file").String(path.string());
    j.Key("format").String(report.format()).Key("layer").String(report.layer());
    j.Key("encoding").String(report.encoding()).Key("encoding_note").String(report.encoding_note());
    j.Key("crs").String(report.crs());
    if (kind == "areas") {
      j.Key("name_field").String(report.name_field()).Key("code_field").String(report.code_field());
    }
    j.Key("columns").BeginArray();
    for (const auto& c : report.columns()) {
      j.BeginObject().Key("field").String(c.field()).Key("column").String(c.column());
      j.Key("mapped").Bool(c.mapped()).EndObject();
    }
    j.EndArray();
    j.Key("rows_read").Number(report.rows_read());
    j.Key("inserted").Number(report.inserted()).Key("updated").Number(report.updated());
    j.Key("rejected").Number(report.rejected()).Key("repaired").Number(report.repaired());
    for (const char* list : {"rejections", "repairs"}) {
      const auto& issues =
          std::string(list) == "rejections" ? report.rejections() : report.repairs();
      j.Key(list).BeginArray();
      for (const auto& r : issues) {
        j.BeginObject().Key("row").Number(r.row()).Key("code").String(r.code());
        j.Key("reason").String(r.reason()).EndObject();
      }
      j.EndArray();
    }
    j.Key("rejected_by_code").BeginObject();
    for (const auto& [code, n] : by_code) j.Key(code).Number(n);
    j.EndObject().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%s: %s rows read (%s%s%s, %s%s)\n", path.c_str(),
              Thousands(report.rows_read()).c_str(), report.format().c_str(),
              report.layer().empty() ? "" : ", layer ", report.layer().c_str(),
              report.encoding().c_str(), report.crs().empty() ? "" : (", " + report.crs()).c_str());
  if (!report.encoding_note().empty()) {
    std::printf("  encoding: %s\n", report.encoding_note().c_str());
  }
  if (kind == "areas") {
    std::printf(
        "  name field %s, code field %s\n", report.name_field().c_str(),
        report.code_field().empty() ? "(derived from the name)" : report.code_field().c_str());
  }
  std::vector<std::string> columns;
  for (const auto& c : report.columns()) {
    columns.push_back(c.field() + " \u2190 " + c.column() + (c.mapped() ? " (mapping)" : ""));
  }
  PrintColumnUse(columns);
  std::printf("  inserted   %10s\n", Thousands(report.inserted()).c_str());
  std::printf("  updated    %10s\n", Thousands(report.updated()).c_str());
  std::printf("  rejected   %10s\n", Thousands(report.rejected()).c_str());
  if (report.repaired() > 0)
    std::printf("  repaired   %10s\n", Thousands(report.repaired()).c_str());
  PrintIssues("rejected", report.rejections());
  PrintIssues("repaired", report.repairs());
  return kExitOk;
}

}  // namespace covgap::cli
