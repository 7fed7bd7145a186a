#include "server/registry_service.h"

#include <algorithm>

#include "geo/base/log.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/app/upload_buffer.h"
#include "server/app/upload_import.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

// Converts every row with `convert`, upserts the good ones with `upsert`, fills the summary.
template <typename Row, typename Domain, typename Convert, typename Upsert>
grpc::Status ImportRows(const google::protobuf::RepeatedPtrField<Row>& rows, Convert convert,
                        Upsert upsert, v1::ImportSummary* summary, const char* what) {
  importers::RowsImport result;
  result.received = static_cast<std::uint64_t>(rows.size());
  std::vector<Domain> good;
  good.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    Domain d;
    if (auto rejection = convert(rows.Get(i), d)) {
      result.rejections.push_back(
          {static_cast<std::uint64_t>(i), rejection->code, rejection->reason});
      continue;
    }
    good.push_back(std::move(d));
  }
  auto counts = upsert(good);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  result.inserted = counts->inserted;
  result.updated = counts->updated;
  LogInfo(std::string("imported ") + what + ": " + std::to_string(result.inserted) + " new, " +
          std::to_string(result.updated) + " updated, " + std::to_string(result.rejections.size()) +
          " rejected");
  api::ToProto(result, *summary);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RegistryService::Import(grpc::ServerContext* context,
                                     grpc::ServerReader<v1::ImportUpload>* reader,
                                     v1::ImportReport* report) {
  // Operators may upload their sites; everything else is the authority's (checked on the spec).
  auto caller = CheckCall(access_, *context, Rpc::kImportSites);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  v1::ImportUpload message;
  if (!reader->Read(&message) || !message.has_spec()) {
    return ToGrpcStatus(
        InvalidArgument("an import upload starts with its spec (kind, options), then the file"));
  }
  const ImportOrder order = api::FromProto(message.spec());
  if (order.kind != "sites" && !Allowed(caller->role, Rpc::kImport)) {
    return ToGrpcStatus(PermissionDenied(caller->Describe() + " may not call Import of " +
                                         order.kind + " (an operator imports only its own sites)"));
  }
  UploadBuffer upload(max_upload_bytes_);
  while (reader->Read(&message)) {
    if (!message.has_file()) return ToGrpcStatus(InvalidArgument("the spec may only come first"));
    if (Status s = upload.Add(message.file().file_name(), message.file().data()); !s.ok()) {
      return ToGrpcStatus(s);
    }
    if (context->IsCancelled()) break;
  }
  upload.Finish();
  // A cancelled stream ends like a finished one: import nothing of it.
  if (context->IsCancelled()) {
    return ToGrpcStatus(Status(StatusCode::kCancelled, "the client cancelled the upload"));
  }
  auto imported = ImportUpload(store_, audit_, region_, caller.value(), order, upload);
  if (!imported.ok()) return ToGrpcStatus(imported.status());
  api::ToProto(imported.value(), *report);
  return grpc::Status::OK;
}

grpc::Status RegistryService::ImportAreas(grpc::ServerContext* context,
                                          const v1::ImportAreasRequest* request,
                                          v1::ImportSummary* response) {
  auto caller = CheckCall(access_, *context, Rpc::kImportRows);
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
  auto caller = CheckCall(access_, *context, Rpc::kImportRows);
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
  auto caller = CheckCall(access_, *context, Rpc::kImportRows);
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
  auto caller = CheckCall(access_, *context, Rpc::kListSites);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // An operator sees its own sites only (competitors' networks are not its business); asking
  // for another operator's is refused rather than answered with nothing.
  std::string op = request->operator_id();
  if (Status s = CheckOperator(store_, op); !s.ok()) return ToGrpcStatus(s);
  if (caller->role == Role::kOperator) {
    if (!op.empty() && op != caller->operator_id) {
      return ToGrpcStatus(PermissionDenied(caller->Describe() + " may list only " +
                                           caller->operator_id + "'s sites, not " + op + "'s"));
    }
    op = caller->operator_id;
  }
  std::optional<geo::Technology> tech;
  if (request->tech() != v1::TECHNOLOGY_UNSPECIFIED) {
    tech = api::FromProto(request->tech());
    if (!tech) return ToGrpcStatus(InvalidArgument("unknown technology"));
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
  auto caller = CheckCall(access_, *context, Rpc::kGetRegistryStats);
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
