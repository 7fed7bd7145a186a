// The covgap CLI's commands. Each takes the global options and its own arguments and returns the
// process exit code (cli_common.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>

#include "covgap/v1/gaps.pb.h"
#include "server/cli/cli_common.h"

namespace covgap::cli {

int RunIngest(const GlobalOptions& options, const Args& args);
int RunStats(const GlobalOptions& options, const Args& args);
int RunImport(const GlobalOptions& options, const Args& args);
int RunAnalyse(const GlobalOptions& options, const Args& args);
int RunGaps(const GlobalOptions& options, const Args& args);
int RunGap(const GlobalOptions& options, const Args& args);
int RunExport(const GlobalOptions& options, const Args& args);
int RunToken(const GlobalOptions& options, const Args& args);
int RunAudit(const GlobalOptions& options, const Args& args);
// Gap life cycle (lifecycle_commands.cpp): `gap plan|clear|reopen|history ID`, verify, watch.
bool IsGapLifecycleVerb(const std::string& word);
int RunGapLifecycle(const GlobalOptions& options, const Args& args);
int RunVerify(const GlobalOptions& options, const Args& args);
int RunWatch(const GlobalOptions& options, const Args& args);
int RunSchools(const GlobalOptions& options, const Args& args);
int RunReport(const GlobalOptions& options, const Args& args);
int RunSites(const GlobalOptions& options, const Args& args);
// Coverage prediction (prediction_commands.cpp): validate, campaign, export --format tif.
int RunValidate(const GlobalOptions& options, const Args& args);
int RunCampaign(const GlobalOptions& options, const Args& args);
// Set-up checks (doctor_command.cpp).
int RunDoctor(const GlobalOptions& options, const Args& args);
int RunRasterExport(const GlobalOptions& options, const Args& args, const std::string& output);
// Receives a FileChunk stream into `output` (through output.part); prints what went wrong.
int ReceiveFile(grpc::ClientReader<v1::FileChunk>& reader, const std::string& output,
                const char* command, const GlobalOptions& options, std::uint64_t& bytes);

extern const char* const kIngestHelp;
extern const char* const kStatsHelp;
extern const char* const kImportHelp;
extern const char* const kAnalyseHelp;
extern const char* const kGapsHelp;
extern const char* const kGapHelp;
extern const char* const kExportHelp;
extern const char* const kTokenHelp;
extern const char* const kAuditHelp;
extern const char* const kVerifyHelp;
extern const char* const kWatchHelp;
extern const char* const kSchoolsHelp;
extern const char* const kReportHelp;
extern const char* const kSitesHelp;
extern const char* const kValidateHelp;
extern const char* const kCampaignHelp;
extern const char* const kDoctorHelp;

}  // namespace covgap::cli
