// Renderers of the progress report (docs/report.md "Formats"): an aligned text table for a
// terminal, JSON, CSV (one header line per section) and one self-contained printable HTML file
// (inline CSS and SVG map, no scripts, nothing fetched).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "geo/base/html_escape.h"  // HtmlEscape, used by the renderers
#include "geo/base/status.h"
#include "geo/report/progress_report.h"

namespace covgap::geo {

enum class ReportFormat { kTable, kJson, kCsv, kHtml };
std::optional<ReportFormat> ParseReportFormat(std::string_view text);  // table|json|csv|html
std::string_view ToString(ReportFormat format);
std::string_view ReportExtension(ReportFormat format);  // ".txt", ".json", ".csv", ".html"

std::string RenderTable(const ProgressReport& report);
std::string RenderJson(const ProgressReport& report);
std::string RenderCsv(const ProgressReport& report);

struct MapStats {
  std::size_t gaps_drawn = 0;    // as polygons or, when smaller than about 2 px, as dots
  std::size_t gaps_skipped = 0;  // operator gaps still open (not drawn)
  std::size_t schools = 0;
  std::size_t white_zone_schools = 0;
};

// The HTML report; the map draws district boundaries with names, the latest run's common gaps
// and every operator gap that is not open (coloured by status), schools (white-zone schools
// marked) and a scale bar, in the gaps' analysis CRS (a local metric projection), simplified to
// about a pixel. `stats`, when given, says what the map holds.
StatusOr<std::string> RenderHtml(const ProgressReport& report, const ProgressInputs& inputs,
                                 MapStats* stats = nullptr);

StatusOr<std::string> RenderReport(ReportFormat format, const ProgressReport& report,
                                   const ProgressInputs& inputs);

// Fill colours of the map and the legend, by status ("#rrggbb").
std::string_view StatusColour(GapStatus status);

}  // namespace covgap::geo
