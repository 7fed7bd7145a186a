#include "server/registry_service.h"

#include "geo/log.h"
#include "server/api/conversions.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

// Converts every row with `convert`, upserts the good ones with `upsert`, fills the summary.
template <typename Row, typename Domain, typename Convert, typename Upsert>
grpc::Status Import(const google::protobuf::RepeatedPtrField<Row>& rows, Convert convert,
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

}  // namespace

grpc::Status RegistryService::ImportAreas(grpc::ServerContext*,
                                          const v1::ImportAreasRequest* request,
                                          v1::ImportSummary* response) {
  return Import<v1::Area, geo::AdminArea>(
      request->areas(),
      [](const v1::Area& in, geo::AdminArea& out) { return api::FromProto(in, out); },
      [&](const auto& rows) { return store_.UpsertAreas(rows); }, response, "areas");
}

grpc::Status RegistryService::ImportSchools(grpc::ServerContext*,
                                            const v1::ImportSchoolsRequest* request,
                                            v1::ImportSummary* response) {
  return Import<v1::School, geo::School>(
      request->schools(),
      [&](const v1::School& in, geo::School& out) { return api::FromProto(in, region_, out); },
      [&](const auto& rows) { return store_.UpsertSchools(rows); }, response, "schools");
}

grpc::Status RegistryService::ImportHouseholds(grpc::ServerContext*,
                                               const v1::ImportHouseholdsRequest* request,
                                               v1::ImportSummary* response) {
  return Import<v1::Household, geo::Household>(
      request->households(),
      [&](const v1::Household& in, geo::Household& out) {
        return api::FromProto(in, region_, out);
      },
      [&](const auto& rows) { return store_.UpsertHouseholds(rows); }, response, "households");
}

}  // namespace covgap::server
