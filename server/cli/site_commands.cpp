// covgap sites: the operators' sites covgapd holds (docs/importing.md "Sites"), as a table, JSON
// or CSV, with a count line.
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/base/csv.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kSitesHelp = R"(Usage: covgap [--server HOST:PORT] sites [options]

Lists the operators' sites (base stations) covgapd holds, by operator, technology and site id:
position, antenna height, azimuth ("omni" when none), band and EIRP. Ends with a count line per
operator and technology. The authority and viewers see every operator's sites, an operator's
token only its own. Import them with `covgap import sites FILE`.

Options:
  --operator OP     only OP's sites
  --tech T          LTE, UMTS, GSM or NR (4G, 3G, 2G, 5G work too)
  --json            one JSON document: every site with every field
  --csv             CSV on stdout in the import's own columns (site_id,operator,tech,lat,lon,
                    height_m,azimuth_deg,band_mhz,eirp_dbm,beamwidth_deg): imports again as is
)";

namespace {

std::string TechName(v1::Technology t) {
  auto tech = api::FromProto(t);
  return tech ? std::string(geo::ToString(*tech)) : "?";
}

// A figure for CSV: shortest exact text, empty when absent.
std::string Figure(bool present, double v) {
  if (!present) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", v);
  return text;
}

}  // namespace

int RunSites(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("sites", args, {"operator", "tech", "json", "csv"}); e) return e;
  const bool json = options.json || args.Has("json");
  const bool csv = args.Has("csv");
  if (json && csv) {
    return UsageError("sites", "choose one of --json and --csv");
  }
  v1::ListSitesRequest request;
  request.set_operator_id(args.Get("operator"));
  if (args.Has("tech")) {
    auto tech = geo::ParseTechnology(args.Get("tech"));
    if (!tech) {
      return UsageError("sites",
                        "--tech must be LTE, UMTS, GSM or NR, not '" + args.Get("tech") + "'");
    }
    request.set_tech(api::ToProto(*tech));
  }
  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::RegistryService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ListSitesResponse response;
  const grpc::Status status = stub->ListSites(&context, request, &response);
  if (!status.ok()) return RpcError("sites", status, options);

  if (json) {
    JsonWriter j;
    j.BeginObject().Key("count").Number(static_cast<std::uint64_t>(response.sites_size()));
    j.Key("sites").BeginArray();
    for (const auto& s : response.sites()) {
      j.BeginObject().Key("site_id").String(s.site_id()).Key("operator").String(s.operator_id());
      j.Key("tech").String(TechName(s.tech())).Key("lat").Number(s.lat());
      j.Key("lon").Number(s.lon()).Key("height_m").Number(s.height_m());
      // Absent figures are null (the writer's rule for NaN): no azimuth = omni.
      j.Key("azimuth_deg").Number(s.has_azimuth_deg() ? s.azimuth_deg() : std::nan(""));
      j.Key("beamwidth_deg").Number(s.has_beamwidth_deg() ? s.beamwidth_deg() : std::nan(""));
      j.Key("band_mhz").Number(s.band_mhz()).Key("eirp_dbm").Number(s.eirp_dbm());
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  if (csv) {
    std::printf(
        "site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz,eirp_dbm,beamwidth_deg\n");
    for (const auto& s : response.sites()) {
      std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", geo::CsvQuote(s.site_id()).c_str(),
                  geo::CsvQuote(s.operator_id()).c_str(), TechName(s.tech()).c_str(),
                  Figure(true, s.lat()).c_str(), Figure(true, s.lon()).c_str(),
                  Figure(true, s.height_m()).c_str(),
                  Figure(s.has_azimuth_deg(), s.azimuth_deg()).c_str(),
                  Figure(true, s.band_mhz()).c_str(), Figure(true, s.eirp_dbm()).c_str(),
                  Figure(s.has_beamwidth_deg(), s.beamwidth_deg()).c_str());
    }
    return kExitOk;
  }
  std::printf("%-20s %-12s %-5s %10s %11s %8s %8s %8s %8s\n", "site", "operator", "tech", "lat",
              "lon", "height m", "azimuth", "band MHz", "EIRP dBm");
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts;
  for (const auto& s : response.sites()) {
    char azimuth[16] = "omni";
    if (s.has_azimuth_deg()) std::snprintf(azimuth, sizeof azimuth, "%.0f", s.azimuth_deg());
    std::printf("%-20s %-12s %-5s %10.6f %11.6f %8.1f %8s %8.0f %8.1f\n", s.site_id().c_str(),
                s.operator_id().c_str(), TechName(s.tech()).c_str(), s.lat(), s.lon(), s.height_m(),
                azimuth, s.band_mhz(), s.eirp_dbm());
    ++counts[{s.operator_id(), TechName(s.tech())}];
  }
  std::string by;
  for (const auto& [key, n] : counts) {
    by += (by.empty() ? "" : ", ") + key.first + " " + key.second + " " + Thousands(n);
  }
  std::printf("%s sites%s%s%s\n",
              Thousands(static_cast<std::uint64_t>(response.sites_size())).c_str(),
              by.empty() ? "" : " (", by.c_str(), by.empty() ? "" : ")");
  return kExitOk;
}

}  // namespace covgap::cli
