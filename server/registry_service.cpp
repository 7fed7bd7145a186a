#include "server/registry_service.h"

#include <algorithm>

#include "geo/base/json_writer.h"
#include "geo/base/log.h"
#include "geo/spatial/area_lookup.h"
#include "importers/area_reader.h"
#include "importers/place_reader.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/app/upload_buffer.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

// Converts every row with `convert`, upserts the good ones with `upsert`, fills the summary.
template <typename Row, typename Domain, typename Convert, typename Upsert>
grpc::Status ImportRows(const google::protobuf::RepeatedPtrField<Row>& rows, Convert convert,
                        Upsert upsert, v1::ImportSummary* summary, const char* what) {
  std::vector<Domain> good;
  good.reserve(static_cast<std::size_t>(rows.size()));
  summary->set_received(static_cast<std::uint64_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    Domain d;
    if (auto rejection = convert(rows.Get(i), d)) {
      auto* r = summary->add_rejections();
      r->set_row(static_cast<std::uint64_t>(i));
      r->set_code(rejection->code);
      r->set_reason(rejection->reason);
      continue;
    }
    good.push_back(std::move(d));
  }
  summary->set_rejected(static_cast<std::uint64_t>(summary->rejections_size()));
  auto counts = upsert(good);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  summary->set_inserted(counts->inserted);
  summary->set_updated(counts->updated);
  LogInfo(std::string("imported ") + what + ": " + std::to_string(counts->inserted) + " new, " +
          std::to_string(counts->updated) + " updated, " + std::to_string(summary->rejected()) +
          " rejected");
  return grpc::Status::OK;
}

// A directory in GDAL's in-memory file system, removed with everything in it.
void AddIssues(const std::vector<importers::RowIssue>& issues,
               google::protobuf::RepeatedPtrField<v1::RowIssue>* out) {
  for (const auto& i : issues) {
    auto* r = out->Add();
    r->set_row(i.row);
    r->set_code(i.code);
    r->set_reason(i.reason);
  }
}

// Rejects (moving them to `report`) the places outside the imported province, if there is one.
template <typename Place>
Status KeepInsideProvince(store::Store& store, std::vector<Place>& places,
                          std::vector<std::uint64_t>& rows, v1::ImportReport& report) {
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
    auto* r = report.add_rejections();
    r->set_row(rows[i]);
    r->set_code("outside_province");
    r->set_reason("lat " + std::to_string(places[i].lat) + ", lon " +
                  std::to_string(places[i].lon) + " is outside " + province.value()->Names());
  }
  places = std::move(kept);
  rows = std::move(kept_rows);
  return Status::Ok();
}

// Rejects (moving them to `report`) the sites the caller may not import: an operator's token
// imports only its own operator's sites (not_your_operator), and every site must name a
// registered operator (unknown_operator).
Status KeepPermittedSites(store::Store& store, const Caller& caller, std::vector<geo::Site>& sites,
                          std::vector<std::uint64_t>& rows, v1::ImportReport& report) {
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
    auto* r = report.add_rejections();
    r->set_row(rows[i]);
    r->set_code(std::move(code));
    r->set_reason(std::move(reason));
  }
  sites = std::move(kept);
  rows = std::move(kept_rows);
  return Status::Ok();
}

void AddColumns(const std::vector<importers::ColumnUse>& used,
                google::protobuf::RepeatedPtrField<v1::ColumnUse>* out) {
  for (const auto& u : used) {
    auto* c = out->Add();
    c->set_field(u.field);
    c->set_column(u.column);
    c->set_mapped(u.mapped);
  }
}

}  // namespace

grpc::Status RegistryService::Import(grpc::ServerContext* context,
                                     grpc::ServerReader<v1::ImportUpload>* reader,
                                     v1::ImportReport* report) {
  // Operators may upload their sites; everything else is the authority's (checked on the spec).
  auto caller = access_.Check(*context, Rpc::kImportSites);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  v1::ImportUpload message;
  if (!reader->Read(&message) || !message.has_spec()) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "an import upload starts with its spec (kind, options), then the file"};
  }
  const v1::ImportSpec spec = message.spec();
  if (spec.kind() != "sites" && !Allowed(caller->role, Rpc::kImport)) {
    return {grpc::StatusCode::PERMISSION_DENIED, caller->Describe() + " may not call Import of " +
                                                     spec.kind() +
                                                     " (an operator imports only its own sites)"};
  }
  UploadBuffer upload(max_upload_bytes_);
  while (reader->Read(&message)) {
    if (!message.has_file()) {
      upload.Finish();
      return {grpc::StatusCode::INVALID_ARGUMENT, "the spec may only come first"};
    }
    if (Status s = upload.Add(message.file().file_name(), message.file().data()); !s.ok()) {
      return ToGrpcStatus(s);
    }
    if (context->IsCancelled()) {
      upload.Finish();
      return {grpc::StatusCode::CANCELLED, "the client cancelled the upload"};
    }
  }
  upload.Finish();
  // A cancelled stream ends like a finished one: import nothing of it.
  if (context->IsCancelled()) {
    return {grpc::StatusCode::CANCELLED, "the client cancelled the upload"};
  }
  const std::vector<std::string>& files = upload.files();
  if (files.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "the upload holds no file"};
  const std::string main = spec.main_file().empty() ? files.front() : spec.main_file();
  if (std::find(files.begin(), files.end(), main) == files.end()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "main file '" + main + "' was not uploaded"};
  }
  const std::string path = upload.PathOf(main);
  std::optional<importers::Encoding> encoding;
  if (!spec.encoding().empty()) {
    encoding = importers::ParseEncoding(spec.encoding());
    if (!encoding) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "unknown encoding '" + spec.encoding() + "' (UTF-8, CP1258, TCVN3, VISCII, VNI)"};
    }
  }
  report->set_kind(spec.kind());
  report->set_bytes(upload.bytes());
  // Importer messages name the buffer's path; the client knows the file by its own name.
  auto fail = [&](const Status& s) {
    std::string text = s.message();
    for (std::size_t at; (at = text.find(path)) != std::string::npos;) {
      text.replace(at, path.size(), main);
    }
    if (!text.starts_with(main)) text = main + ": " + text;
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), text);
  };

  if (spec.kind() == "areas") {
    importers::AreaReadOptions options;
    if (spec.level() < v1::PROVINCE || spec.level() > v1::COMMUNE) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "an areas import needs a level"};
    }
    options.level = static_cast<geo::AreaLevel>(spec.level());
    options.name_field = spec.name_field();
    options.code_field = spec.code_field();
    options.source_crs = spec.crs();
    options.encoding = encoding;
    auto read = importers::ReadAreas(path, options);
    if (!read.ok()) return fail(read.status());
    auto counts = store_.UpsertAreas(read->areas);
    if (!counts.ok()) return ToGrpcStatus(counts.status());
    report->set_rows_read(read->rows_read);
    report->set_inserted(counts->inserted);
    report->set_updated(counts->updated);
    AddIssues(read->rejected, report->mutable_rejections());
    AddIssues(read->repaired, report->mutable_repairs());
    report->set_format(read->format);
    report->set_layer(read->layer);
    report->set_encoding(read->encoding);
    report->set_encoding_note(read->encoding_note);
    report->set_name_field(read->name_field);
    report->set_code_field(read->code_field);
    AddColumns(read->columns, report->mutable_columns());
    report->set_crs("EPSG:4326");
  } else if (spec.kind() == "sites") {
    importers::PlaceReadOptions options;
    options.region = region_;
    options.encoding = encoding;
    options.source_crs = spec.crs();
    auto mapping = importers::ParseColumnMapping(spec.columns(), importers::PlaceKind::kSites);
    if (!mapping.ok()) return ToGrpcStatus(mapping.status());
    options.columns = std::move(mapping.value());
    auto read = importers::ReadSites(path, options);
    if (!read.ok()) return fail(read.status());
    report->set_rows_read(read->rows_read);
    AddIssues(read->rejected, report->mutable_rejections());
    // Sites are not checked against the province: one across the border serves it too.
    if (Status s = KeepPermittedSites(store_, caller.value(), read->sites, read->rows, *report);
        !s.ok()) {
      return ToGrpcStatus(s);
    }
    auto counts = store_.UpsertSites(read->sites);
    if (!counts.ok()) return ToGrpcStatus(counts.status());
    report->set_inserted(counts->inserted);
    report->set_updated(counts->updated);
    report->set_format(read->source.format);
    report->set_layer(read->source.layer);
    report->set_encoding(read->source.encoding);
    report->set_encoding_note(read->source.encoding_note);
    report->set_crs(read->source.crs);
    AddColumns(read->source.columns, report->mutable_columns());
  } else if (spec.kind() == "schools" || spec.kind() == "households") {
    const bool households = spec.kind() == "households";
    importers::PlaceReadOptions options;
    options.region = region_;
    options.encoding = encoding;
    options.source_crs = spec.crs();
    auto mapping =
        importers::ParseColumnMapping(spec.columns(), households ? importers::PlaceKind::kHouseholds
                                                                 : importers::PlaceKind::kSchools);
    if (!mapping.ok()) return ToGrpcStatus(mapping.status());
    options.columns = std::move(mapping.value());
    auto finish = [&](auto& read, auto& places, auto upsert) -> grpc::Status {
      report->set_rows_read(read.rows_read);
      AddIssues(read.rejected, report->mutable_rejections());
      if (Status s = KeepInsideProvince(store_, places, read.rows, *report); !s.ok()) {
        return ToGrpcStatus(s);
      }
      auto counts = upsert(places);
      if (!counts.ok()) return ToGrpcStatus(counts.status());
      report->set_inserted(counts->inserted);
      report->set_updated(counts->updated);
      report->set_format(read.source.format);
      report->set_layer(read.source.layer);
      report->set_encoding(read.source.encoding);
      report->set_encoding_note(read.source.encoding_note);
      report->set_crs(read.source.crs);
      AddColumns(read.source.columns, report->mutable_columns());
      return grpc::Status::OK;
    };
    grpc::Status status;
    if (households) {
      auto read = importers::ReadHouseholds(path, options);
      if (!read.ok()) return fail(read.status());
      status = finish(read.value(), read->households,
                      [&](const auto& rows) { return store_.UpsertHouseholds(rows); });
    } else {
      auto read = importers::ReadSchools(path, options);
      if (!read.ok()) return fail(read.status());
      status = finish(read.value(), read->schools,
                      [&](const auto& rows) { return store_.UpsertSchools(rows); });
    }
    if (!status.ok()) return status;
  } else {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "unknown import kind '" + spec.kind() + "' (areas, schools, households, sites)"};
  }
  report->set_rejected(static_cast<std::uint64_t>(report->rejections_size()));
  report->set_repaired(static_cast<std::uint64_t>(report->repairs_size()));
  std::sort(report->mutable_rejections()->begin(), report->mutable_rejections()->end(),
            [](const v1::RowIssue& a, const v1::RowIssue& b) { return a.row() < b.row(); });
  geo::JsonWriter details;
  details.BeginObject().Key("file").String(main).Key("bytes").Number(upload.bytes());
  details.Key("rows_read").Number(report->rows_read()).Key("inserted").Number(report->inserted());
  details.Key("updated").Number(report->updated()).Key("rejected").Number(report->rejected());
  details.EndObject();
  audit_.Record(caller.value(), "import." + spec.kind(), main, details.str());
  LogInfo("import of " + spec.kind() + " from " + main + " (" + std::to_string(upload.bytes()) +
          " bytes, " + report->format() + ", " + report->encoding() + "): " +
          std::to_string(report->inserted()) + " new, " + std::to_string(report->updated()) +
          " updated, " + std::to_string(report->rejected()) + " rejected");
  return grpc::Status::OK;
}

grpc::Status RegistryService::ImportAreas(grpc::ServerContext* context,
                                          const v1::ImportAreasRequest* request,
                                          v1::ImportSummary* response) {
  auto caller = access_.Check(*context, Rpc::kImportRows);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  audit_.Record(caller.value(), "import.areas", "rows",
                "{\"rows\":" + std::to_string(request->areas_size()) + "}");
  return ImportRows<v1::Area, geo::AdminArea>(
      request->areas(),
      [](const v1::Area& in, geo::AdminArea& out) { return api::FromProto(in, out); },
      [&](const auto& rows) { return store_.UpsertAreas(rows); }, response, "areas");
}

grpc::Status RegistryService::ImportSchools(grpc::ServerContext* context,
                                            const v1::ImportSchoolsRequest* request,
                                            v1::ImportSummary* response) {
  auto caller = access_.Check(*context, Rpc::kImportRows);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  audit_.Record(caller.value(), "import.schools", "rows",
                "{\"rows\":" + std::to_string(request->schools_size()) + "}");
  return ImportRows<v1::School, geo::School>(
      request->schools(),
      [&](const v1::School& in, geo::School& out) { return api::FromProto(in, region_, out); },
      [&](const auto& rows) { return store_.UpsertSchools(rows); }, response, "schools");
}

grpc::Status RegistryService::ImportHouseholds(grpc::ServerContext* context,
                                               const v1::ImportHouseholdsRequest* request,
                                               v1::ImportSummary* response) {
  auto caller = access_.Check(*context, Rpc::kImportRows);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  audit_.Record(caller.value(), "import.households", "rows",
                "{\"rows\":" + std::to_string(request->households_size()) + "}");
  return ImportRows<v1::Household, geo::Household>(
      request->households(),
      [&](const v1::Household& in, geo::Household& out) {
        return api::FromProto(in, region_, out);
      },
      [&](const auto& rows) { return store_.UpsertHouseholds(rows); }, response, "households");
}

grpc::Status RegistryService::ListSites(grpc::ServerContext* context,
                                        const v1::ListSitesRequest* request,
                                        v1::ListSitesResponse* response) {
  auto caller = access_.Check(*context, Rpc::kListSites);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // An operator sees its own sites only (competitors' networks are not its business); asking
  // for another operator's is refused rather than answered with nothing.
  std::string op = request->operator_id();
  if (Status s = CheckOperator(store_, op); !s.ok()) return ToGrpcStatus(s);
  if (caller->role == Role::kOperator) {
    if (!op.empty() && op != caller->operator_id) {
      return {grpc::StatusCode::PERMISSION_DENIED, caller->Describe() + " may list only " +
                                                       caller->operator_id + "'s sites, not " + op +
                                                       "'s"};
    }
    op = caller->operator_id;
  }
  std::optional<geo::Technology> tech;
  if (request->tech() != v1::TECHNOLOGY_UNSPECIFIED) {
    tech = api::FromProto(request->tech());
    if (!tech) return {grpc::StatusCode::INVALID_ARGUMENT, "unknown technology"};
  }
  auto sites = store_.Sites();
  if (!sites.ok()) return ToGrpcStatus(sites.status());
  for (const geo::Site& site : sites.value()) {
    if (!op.empty() && site.operator_id != op) continue;
    if (tech && site.tech != *tech) continue;
    api::ToProto(site, *response->add_sites());
  }
  return grpc::Status::OK;
}

grpc::Status RegistryService::GetRegistryStats(grpc::ServerContext* context,
                                               const v1::GetRegistryStatsRequest*,
                                               v1::RegistryStats* response) {
  auto caller = access_.Check(*context, Rpc::kGetRegistryStats);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto counts = CountRegistry(store_);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  if (caller->role == Role::kOperator) {
    std::erase_if(counts->sites,
                  [&](const auto& entry) { return entry.first.first != caller->operator_id; });
  }
  api::ToProto(counts.value(), caller->role == Role::kAuthority, *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
