// Roles, the RPCs that need a token, the role x RPC table and the caller of a call: the access
// vocabulary without gRPC, for the use cases in server/app/ and the audit trail. The tokens and
// the check of a call's metadata are server/access_control.h; docs/security.md has the table.
#pragma once

#include <string>
#include <string_view>

namespace covgap::server {

enum class Role { kAuthority, kOperator, kViewer };
std::string_view ToString(Role role);

// Every RPC that needs a token.
enum class Rpc {
  kIngest,
  kGetStats,
  kImport,       // areas, schools, households (file upload)
  kImportSites,  // RegistryService.Import of kind sites: the upload is checked as kImportSites
                 // first, then as kImport unless its spec names sites
  kImportRows,
  kRunAnalysis,
  kGetLatestRun,
  kListGaps,
  kGetGap,
  kExportGaps,
  kCreateToken,
  kListTokens,
  kRevokeToken,
  kListAudit,
  // Gap life cycle (GapLifecycleService).
  kPlanGap,
  kClearGap,
  kReopenGap,
  kVerifyGaps,
  kGetGapHistory,
  kWatchGaps,
  kListSchools,
  kBuildReport,
  kListSites,
  // Coverage prediction (PredictionService).
  kValidatePrediction,
  kPlanCampaign,
  kExportCoverageRaster,
  // Set-up checks (covgap doctor).
  kWhoAmI,
  kGetRegistryStats,
};
inline constexpr Rpc kAllRpcs[] = {Rpc::kIngest,        Rpc::kGetStats,
                                   Rpc::kImport,        Rpc::kImportSites,
                                   Rpc::kImportRows,    Rpc::kRunAnalysis,
                                   Rpc::kGetLatestRun,  Rpc::kListGaps,
                                   Rpc::kGetGap,        Rpc::kExportGaps,
                                   Rpc::kCreateToken,   Rpc::kListTokens,
                                   Rpc::kRevokeToken,   Rpc::kListAudit,
                                   Rpc::kPlanGap,       Rpc::kClearGap,
                                   Rpc::kReopenGap,     Rpc::kVerifyGaps,
                                   Rpc::kGetGapHistory, Rpc::kWatchGaps,
                                   Rpc::kListSchools,   Rpc::kBuildReport,
                                   Rpc::kListSites,     Rpc::kValidatePrediction,
                                   Rpc::kPlanCampaign,  Rpc::kExportCoverageRaster,
                                   Rpc::kWhoAmI,        Rpc::kGetRegistryStats};
std::string_view ToString(Rpc rpc);

// The role x RPC table.
bool Allowed(Role role, Rpc rpc);

struct Caller {
  Role role = Role::kViewer;
  std::string operator_id;  // operators only
  std::string token_id;
  // "authority (tok_ab12cd34)", "operator viettel (tok_…)": for logs and the audit trail.
  std::string Describe() const;
};

}  // namespace covgap::server
