// The analysis options shared by `covgap analyse`, `validate`, `campaign` and `export --format
// tif`: method, cell size, thresholds, evidence window, as-of, CRS, tiles and ranking weights,
// parsed into a RunAnalysisRequest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "covgap/v1/gaps.pb.h"
#include "server/cli/cli_common.h"

namespace covgap::cli {

// The option lines for --help (each "  --name VALUE   what it does\n").
extern const char* const kAnalysisOptionsHelp;

// The names of those options (for Args::Unknown), after `extra`.
std::vector<std::string> AnalysisOptionNames(std::vector<std::string> extra = {});

// Fills `request` from `args`. On bad input prints one line "covgap <command>: …" to stderr and
// returns false. The method is left unset unless --method is given (covgapd then picks hybrid
// when sites and areas are imported, else binned).
bool ParseAnalysisOptions(const Args& args, std::string_view command,
                          v1::RunAnalysisRequest& request);

}  // namespace covgap::cli
