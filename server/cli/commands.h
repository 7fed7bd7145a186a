// The covgap CLI's commands. Each takes the global options and its own arguments and returns the
// process exit code (cli_common.h).
#pragma once

#include "server/cli/cli_common.h"

namespace covgap::cli {

int RunIngest(const GlobalOptions& options, const Args& args);
int RunStats(const GlobalOptions& options, const Args& args);

extern const char* const kIngestHelp;
extern const char* const kStatsHelp;

}  // namespace covgap::cli
