#include "server/app/upload_import.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "geo/base/json_writer.h"
#include "geo/base/log.h"
#include "geo/spatial/area_lookup.h"
#include "importers/area_reader.h"
#include "importers/place_reader.h"
#include "importers/text_encoding.h"

namespace covgap::server {
namespace {

// Rejects (moving them to `rejections`) the places outside the imported province, if there is one.
template <typename Place>
Status KeepInsideProvince(store::Store& store, std::vector<Place>& places,
                          std::vector<std::uint64_t>& rows,
                          std::vector<importers::RowIssue>& rejections) {
  auto areas = store.Areas();
  if (!areas.ok()) return areas.status();
  auto province = geo::AreaLookup::Build(areas.value(), geo::AreaLevel::kProvince);
  if (!province.ok()) return province.status();
  if (province.value()->empty()) return Status::Ok();
  std::vector<Place> kept;
  std::vector<std::uint64_t> kept_rows;
  for (std::size_t i = 0; i < places.size(); ++i) {
    if (province.value()->Find(places[i].lon, places[i].lat)) {
      kept.push_back(std::move(places[i]));
      kept_rows.push_back(rows[i]);
      continue;
    }
    rejections.push_back({rows[i], "outside_province",
                          "lat " + std::to_string(places[i].lat) + ", lon " +
                              std::to_string(places[i].lon) + " is outside " +
                              province.value()->Names()});
  }
  places = std::move(kept);
  rows = std::move(kept_rows);
  return Status::Ok();
}

// Rejects the sites the caller may not import: an operator's token imports only its own
// operator's sites (not_your_operator), and every site must name a registered operator
// (unknown_operator).
Status KeepPermittedSites(store::Store& store, const Caller& caller, std::vector<geo::Site>& sites,
                          std::vector<std::uint64_t>& rows,
                          std::vector<importers::RowIssue>& rejections) {
  auto operators = store.Operators();
  if (!operators.ok()) return operators.status();
  std::vector<geo::Site> kept;
  std::vector<std::uint64_t> kept_rows;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const std::string& op = sites[i].operator_id;
    std::string code, reason;
    if (caller.role == Role::kOperator && op != caller.operator_id) {
      code = "not_your_operator";
      reason = "the token of operator " + caller.operator_id + " may only import " +
               caller.operator_id + "'s sites, not " + op + "'s";
    } else if (!std::binary_search(operators->begin(), operators->end(), op)) {
      code = "unknown_operator";
      reason = "operator '" + op + "' is not a registered operator id";
    }
    if (code.empty()) {
      kept.push_back(std::move(sites[i]));
      kept_rows.push_back(rows[i]);
      continue;
    }
    rejections.push_back({rows[i], std::move(code), std::move(reason)});
  }
  sites = std::move(kept);
  rows = std::move(kept_rows);
  return Status::Ok();
}

// What the importer understood of the file, into the report.
void Describe(const importers::SourceInfo& source, importers::ImportReport& report) {
  report.format = source.format;
  report.layer = source.layer;
  report.encoding = source.encoding;
  report.encoding_note = source.encoding_note;
  report.crs = source.crs;
  report.columns = source.columns;
}

}  // namespace

StatusOr<importers::ImportReport> ImportUpload(store::Store& store, AuditTrail& audit,
                                               const geo::Region& region, const Caller& caller,
                                               const ImportOrder& order,
                                               const UploadBuffer& upload) {
  const std::vector<std::string>& files = upload.files();
  if (files.empty()) return InvalidArgument("the upload holds no file");
  const std::string main = order.main_file.empty() ? files.front() : order.main_file;
  if (std::find(files.begin(), files.end(), main) == files.end()) {
    return InvalidArgument("main file '" + main + "' was not uploaded");
  }
  const std::string path = upload.PathOf(main);
  std::optional<importers::Encoding> encoding;
  if (!order.encoding.empty()) {
    encoding = importers::ParseEncoding(order.encoding);
    if (!encoding) {
      return InvalidArgument("unknown encoding '" + order.encoding +
                             "' (UTF-8, CP1258, TCVN3, VISCII, VNI)");
    }
  }
  importers::ImportReport report;
  report.kind = order.kind;
  report.bytes = upload.bytes();
  // Importer messages name the buffer's path; the client knows the file by its own name.
  auto fail = [&](const Status& s) {
    std::string text = s.message();
    for (std::size_t at; (at = text.find(path)) != std::string::npos;) {
      text.replace(at, path.size(), main);
    }
    if (!text.starts_with(main)) text = main + ": " + text;
    return Status(s.code(), text);
  };

  if (order.kind == "areas") {
    importers::AreaReadOptions options;
    if (order.level < static_cast<int>(geo::AreaLevel::kProvince) ||
        order.level > static_cast<int>(geo::AreaLevel::kCommune)) {
      return InvalidArgument("an areas import needs a level");
    }
    options.level = static_cast<geo::AreaLevel>(order.level);
    options.name_field = order.name_field;
    options.code_field = order.code_field;
    options.source_crs = order.crs;
    options.encoding = encoding;
    auto read = importers::ReadAreas(path, options);
    if (!read.ok()) return fail(read.status());
    auto counts = store.UpsertAreas(read->areas);
    if (!counts.ok()) return counts.status();
    report.rows_read = read->rows_read;
    report.inserted = counts->inserted;
    report.updated = counts->updated;
    report.rejections = read->rejected;
    report.repairs = read->repaired;
    report.format = read->format;
    report.layer = read->layer;
    report.encoding = read->encoding;
    report.encoding_note = read->encoding_note;
    report.name_field = read->name_field;
    report.code_field = read->code_field;
    report.columns = read->columns;
    report.crs = "EPSG:4326";
  } else if (order.kind == "sites" || order.kind == "schools" || order.kind == "households") {
    const importers::PlaceKind kind = order.kind == "sites" ? importers::PlaceKind::kSites
                                      : order.kind == "households"
                                          ? importers::PlaceKind::kHouseholds
                                          : importers::PlaceKind::kSchools;
    importers::PlaceReadOptions options;
    options.region = region;
    options.encoding = encoding;
    options.source_crs = order.crs;
    auto mapping = importers::ParseColumnMapping(order.columns, kind);
    if (!mapping.ok()) return mapping.status();
    options.columns = std::move(mapping.value());
    // Reads, filters, upserts one kind of place.
    auto import = [&](auto read, auto places, auto keep, auto upsert) -> Status {
      if (!read.ok()) return fail(read.status());
      report.rows_read = read->rows_read;
      report.rejections = read->rejected;
      if (Status s = keep(places(read.value()), read->rows); !s.ok()) return s;
      auto counts = upsert(places(read.value()));
      if (!counts.ok()) return counts.status();
      report.inserted = counts->inserted;
      report.updated = counts->updated;
      Describe(read->source, report);
      return Status::Ok();
    };
    Status done;
    if (kind == importers::PlaceKind::kSites) {
      // Sites are not checked against the province: one across the border serves it too.
      done = import(
          importers::ReadSites(path, options), [](auto& r) -> auto& { return r.sites; },
          [&](auto& sites, auto& rows) {
            return KeepPermittedSites(store, caller, sites, rows, report.rejections);
          },
          [&](const auto& rows) { return store.UpsertSites(rows); });
    } else if (kind == importers::PlaceKind::kHouseholds) {
      done = import(
          importers::ReadHouseholds(path, options), [](auto& r) -> auto& { return r.households; },
          [&](auto& places, auto& rows) {
            return KeepInsideProvince(store, places, rows, report.rejections);
          },
          [&](const auto& rows) { return store.UpsertHouseholds(rows); });
    } else {
      done = import(
          importers::ReadSchools(path, options), [](auto& r) -> auto& { return r.schools; },
          [&](auto& places, auto& rows) {
            return KeepInsideProvince(store, places, rows, report.rejections);
          },
          [&](const auto& rows) { return store.UpsertSchools(rows); });
    }
    if (!done.ok()) return done;
  } else {
    return InvalidArgument("unknown import kind '" + order.kind +
                           "' (areas, schools, households, sites)");
  }
  std::stable_sort(report.rejections.begin(), report.rejections.end(),
                   [](const auto& a, const auto& b) { return a.row < b.row; });
  geo::JsonWriter details;
  details.BeginObject().Key("file").String(main).Key("bytes").Number(report.bytes);
  details.Key("rows_read").Number(report.rows_read).Key("inserted").Number(report.inserted);
  details.Key("updated").Number(report.updated);
  details.Key("rejected").Number(static_cast<std::uint64_t>(report.rejections.size()));
  details.EndObject();
  audit.Record(caller, "import." + order.kind, main, details.str());
  LogInfo("import of " + order.kind + " from " + main + " (" + std::to_string(report.bytes) +
          " bytes, " + report.format + ", " + report.encoding +
          "): " + std::to_string(report.inserted) + " new, " + std::to_string(report.updated) +
          " updated, " + std::to_string(report.rejections.size()) + " rejected");
  return report;
}

}  // namespace covgap::server
