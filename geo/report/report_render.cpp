#include "geo/report/report_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "geo/base/csv.h"
#include "geo/base/json_writer.h"
#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

// "20/12/2021", the Vietnamese way.
std::string DateVn(std::int64_t ms) {
  const std::string iso = FormatDate(ms);
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

std::string Num(std::int64_t v) { return std::to_string(v); }

// Display width of UTF-8 text: code points, combining marks (U+0300–U+036F) excluded.
std::size_t Width(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;
    if (c == 0xCC && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80) {
      continue;  // U+0300–U+033F
    }
    if (c == 0xCD && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0xAF) {
      continue;  // U+0340–U+036F
    }
    ++n;
  }
  return n;
}

// Columns left-aligned for the first, right-aligned for the others.
std::string Aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], Width(row[c]));
  }
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const std::string pad(widths[c] - Width(rows[r][c]), ' ');
      if (c > 0) line += "  ";
      line += c == 0 ? rows[r][c] + pad : pad + rows[r][c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (r == 0) {
      std::size_t total = 0;
      for (std::size_t w : widths) total += w + 2;
      out += std::string(total - 2, '-') + "\n";
    }
  }
  return out;
}

std::string DistrictLabel(const std::string& key) { return key.empty() ? "(no district)" : key; }

std::vector<std::string> ProgressCells(const std::string& key, const ProgressRow& r) {
  return {key,
          Num(r.gaps.open),
          Num(r.gaps.planned),
          Num(r.gaps.cleared),
          Num(r.gaps.verified),
          Num(r.gaps.total()),
          Num(r.students_start),
          Num(r.students_now),
          Num(r.overdue_plans),
          Num(r.plans_after_deadline),
          Num(r.plans_without_target)};
}

const std::vector<std::string> kProgressColumns = {"open",
                                                   "planned",
                                                   "cleared",
                                                   "verified",
                                                   "total",
                                                   "students_start",
                                                   "students_now",
                                                   "overdue_plans",
                                                   "plans_after_deadline",
                                                   "plans_without_target"};

std::vector<std::string> ReadinessCells(const std::string& key, const ReadinessRow& r) {
  return {key,
          Num(r.schools),
          Num(r.schools_white_zone),
          Num(r.schools_no_data),
          Num(r.schools_covered),
          Num(r.schools_uncertain),
          Num(r.students),
          Num(r.students_nodev),
          Num(r.students_white_zone),
          Num(r.students_nodev_white_zone)};
}

const std::vector<std::string> kReadinessColumns = {
    "schools",         "schools_white_zone",  "schools_no_data",
    "schools_covered", "schools_uncertain",   "students",
    "students_nodev",  "students_white_zone", "students_nodev_white_zone"};

// "common: viettel,vnpt" for a common gap holding those operators' gaps; the operator otherwise.
std::string Who(const FirstPlace& p) {
  if (p.kind != GapKind::kCommon) return p.operators;
  return p.contains.empty() ? "common" : "common: " + p.contains;
}

const std::vector<std::string> kFirstPlaceColumns = {
    "rank",    "district",   "commune", "operators", "tech",
    "schools", "stud_nodev", "status",  "target",    "gap_id"};

std::vector<std::string> FirstPlaceCells(const FirstPlace& p) {
  return {Num(p.rank),
          p.district,
          p.commune,
          Who(p),
          std::string(ToString(p.tech)),
          Num(p.schools),
          Num(p.students_nodev),
          p.status,
          p.target_ms ? FormatDate(*p.target_ms) : "",
          p.gap_id};
}

std::string CsvLine(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i)
    line += (i ? "," : "") + SpreadsheetCsvQuote(cells[i]);
  return line + "\r\n";
}

void JsonStatus(JsonWriter& w, const StatusCounts& c) {
  w.BeginObject();
  w.Key("open").Number(c.open).Key("planned").Number(c.planned);
  w.Key("cleared").Number(c.cleared).Key("verified").Number(c.verified);
  w.Key("total").Number(c.total());
  w.EndObject();
}

void JsonRow(JsonWriter& w, const char* key_name, const ProgressRow& r) {
  w.BeginObject();
  w.Key(key_name).String(r.key);
  w.Key("gaps");
  JsonStatus(w, r.gaps);
  w.Key("students_start").Number(r.students_start).Key("students_now").Number(r.students_now);
  w.Key("overdue_plans").Number(r.overdue_plans);
  w.Key("plans_after_deadline").Number(r.plans_after_deadline);
  w.Key("plans_without_target").Number(r.plans_without_target);
  w.EndObject();
}

void JsonReadiness(JsonWriter& w, const ReadinessRow& r) {
  w.BeginObject();
  w.Key("district").String(r.district);
  w.Key("schools").Number(r.schools).Key("schools_white_zone").Number(r.schools_white_zone);
  w.Key("schools_no_data").Number(r.schools_no_data);
  w.Key("schools_covered").Number(r.schools_covered);
  w.Key("schools_uncertain").Number(r.schools_uncertain);
  w.Key("students").Number(r.students).Key("students_nodev").Number(r.students_nodev);
  w.Key("students_white_zone").Number(r.students_white_zone);
  w.Key("students_nodev_white_zone").Number(r.students_nodev_white_zone);
  w.EndObject();
}

// ---- map ----

constexpr double kMapWidth = 700;
constexpr double kMapMaxHeight = 820;
constexpr double kPad = 10;

struct Frame {
  double minx = 0, miny = 0, maxx = 0, maxy = 0;
  double scale = 1;  // px per metre
  double width = kMapWidth, height = 400;
  double X(double x) const { return kPad + (x - minx) * scale; }
  double Y(double y) const { return kPad + (maxy - y) * scale; }
};

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

void RingPath(OGRGeometryH ring, const Frame& f, std::string& d) {
  const int n = OGR_G_GetPointCount(ring);
  if (n < 3) return;
  std::string last;
  for (int i = 0; i < n; ++i) {
    const std::string p = Fmt(f.X(OGR_G_GetX(ring, i))) + " " + Fmt(f.Y(OGR_G_GetY(ring, i)));
    if (p == last) continue;
    d += (i == 0 ? "M" : "L") + p;
    last = p;
  }
  d += "Z";
}

// SVG path data of a (Multi)Polygon.
std::string PathData(OGRGeometryH g, const Frame& f) {
  std::string d;
  const OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(g));
  if (type == wkbPolygon) {
    for (int r = 0; r < OGR_G_GetGeometryCount(g); ++r) RingPath(OGR_G_GetGeometryRef(g, r), f, d);
  } else if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i)
      d += PathData(OGR_G_GetGeometryRef(g, i), f);
  }
  return d;
}

OgrGeometryPtr ReadWkb(const std::string& wkb) {
  OGRGeometryH raw = nullptr;
  if (OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &raw, wkb.size()) != OGRERR_NONE) return nullptr;
  return OgrGeometryPtr(raw);
}

void Extend(OGRGeometryH g, OGREnvelope& env, bool& any) {
  OGREnvelope e;
  OGR_G_GetEnvelope(g, &e);
  if (!any) {
    env = e;
    any = true;
  } else {
    env.Merge(e);
  }
}

struct Bilingual {
  const char* vi;
  const char* en;
};

std::string Label(Bilingual b) {
  return HtmlEscape(b.vi) + " / <span class=\"en\">" + HtmlEscape(b.en) + "</span>";
}

constexpr Bilingual kStatusNames[] = {{"Chưa xử lý", "Open"},
                                      {"Có kế hoạch", "Planned"},
                                      {"Đã xử lý", "Cleared"},
                                      {"Đã xử lý, chờ đo", "Awaiting measurement"},
                                      {"Đã kiểm chứng", "Verified"}};

std::string ProgressTableHtml(const std::vector<ProgressRow>& rows, const ProgressRow* total,
                              Bilingual key_label, bool district_keys) {
  std::string h = "<table><thead><tr><th class=\"k\">" + Label(key_label) + "</th>";
  for (Bilingual b : {Bilingual{"Chưa xử lý", "Open"}, Bilingual{"Có kế hoạch", "Planned"},
                      Bilingual{"Đã xử lý", "Cleared"}, Bilingual{"Đã kiểm chứng", "Verified"},
                      Bilingual{"Tổng", "Total"},
                      Bilingual{"HS trong vùng lõm ban đầu", "Students in gaps at start"},
                      Bilingual{"HS trong vùng lõm hiện nay", "Students in gaps now"},
                      Bilingual{"KH quá hạn", "Overdue plans"},
                      Bilingual{"KH sau hạn chót", "Plans after deadline"}}) {
    h += "<th>" + Label(b) + "</th>";
  }
  h += "</tr></thead><tbody>";
  auto row_html = [&](const ProgressRow& r, const std::string& key, bool is_total) {
    h += is_total ? "<tr class=\"total\">" : "<tr>";
    h += "<td class=\"k\">" + HtmlEscape(key) + "</td>";
    for (std::int64_t v :
         {r.gaps.open, r.gaps.planned, r.gaps.cleared, r.gaps.verified, r.gaps.total(),
          r.students_start, r.students_now, r.overdue_plans, r.plans_after_deadline}) {
      h += "<td>" + Num(v) + "</td>";
    }
    h += "</tr>";
  };
  for (const ProgressRow& r : rows) {
    row_html(r, district_keys ? DistrictLabel(r.key) : r.key, false);
  }
  if (total) row_html(*total, "Toàn tỉnh / Province", true);
  return h + "</tbody></table>";
}

const char* kCss = R"css(
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt;
       color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
.en { color: #444; font-style: italic; }
.meta { margin: 0 0 3mm; }
.cards { display: flex; flex-wrap: wrap; gap: 2mm; }
.card { border: 1px solid #999; border-radius: 2mm; padding: 2mm 3mm; min-width: 40mm; flex: 1; }
.card .v { font-size: 15pt; font-weight: bold; }
.card .l { font-size: 8pt; }
.late { color: #b00; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 1mm 0; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: right; }
th { background: #eee; font-weight: bold; vertical-align: bottom; }
th.k, td.k { text-align: left; }
td.k { white-space: nowrap; }
tr.total td { font-weight: bold; background: #f4f4f4; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.map { break-inside: avoid; page-break-inside: avoid; }
.map svg { width: 100%; height: auto; border: 1px solid #999; }
.note { font-size: 8pt; color: #333; }
@media print { h2 { break-after: avoid; page-break-after: avoid; } }
)css";

}  // namespace

std::optional<ReportFormat> ParseReportFormat(std::string_view text) {
  if (text == "table") return ReportFormat::kTable;
  if (text == "json") return ReportFormat::kJson;
  if (text == "csv") return ReportFormat::kCsv;
  if (text == "html") return ReportFormat::kHtml;
  return std::nullopt;
}

std::string_view ToString(ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return "table";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kCsv:
      return "csv";
    case ReportFormat::kHtml:
      return "html";
  }
  return "?";
}

std::string_view ReportExtension(ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return ".txt";
    case ReportFormat::kJson:
      return ".json";
    case ReportFormat::kCsv:
      return ".csv";
    case ReportFormat::kHtml:
      return ".html";
  }
  return "";
}

std::string_view StatusColour(GapStatus status) {
  switch (status) {
    case GapStatus::kOpen:
      return "#d7191c";
    case GapStatus::kPlanned:
      return "#fdae61";
    case GapStatus::kCleared:
      return "#2c7bb6";
    case GapStatus::kAwaitingMeasurement:
      return "#7b3294";
    case GapStatus::kVerified:
      return "#1a9641";
  }
  return "#000000";
}

std::string RenderTable(const ProgressReport& r) {
  std::string out = "Progress report: clearing the mobile dead spots\n";
  out += "as of " + FormatDate(r.now_ms) + ", deadline " + FormatDate(r.deadline_ms) +
         ", days left " + Num(r.days_left) + "\n";
  out += "latest analysis run " + Num(r.latest_run_id) + ", baseline run " +
         Num(r.baseline_run_id) + "\n\n";
  out += "Operator gaps: " + Num(r.total.gaps.open) + " open, " + Num(r.total.gaps.planned) +
         " planned, " + Num(r.total.gaps.cleared) + " cleared, " + Num(r.total.gaps.verified) +
         " verified (of " + Num(r.total.gaps.total()) + ")\n";
  out += "Common gaps (no operator covers): " + Num(r.common_gaps.open) + " open, " +
         Num(r.common_gaps.planned) + " planned, " + Num(r.common_gaps.cleared) + " cleared, " +
         Num(r.common_gaps.verified) + " verified\n";
  out += "Students without a device in common gaps: " + Num(r.total.students_start) +
         " at the start, " + Num(r.total.students_now) + " now\n";
  out += "Plans: " + Num(r.total.overdue_plans) + " overdue, " + Num(r.total.plans_after_deadline) +
         " with a target after the deadline, " + Num(r.total.plans_without_target) +
         " without a target\n\n";

  std::vector<std::string> header = {"District"};
  header.insert(header.end(), kProgressColumns.begin(), kProgressColumns.end());
  std::vector<std::vector<std::string>> rows = {header};
  for (const ProgressRow& row : r.districts)
    rows.push_back(ProgressCells(DistrictLabel(row.key), row));
  rows.push_back(ProgressCells("TOTAL", r.total));
  out += "By district (operator gaps; students in common gaps)\n" + Aligned(rows) + "\n";

  header[0] = "Operator";
  rows = {header};
  for (const ProgressRow& row : r.operators) rows.push_back(ProgressCells(row.key, row));
  out += "By operator (its gaps, any technology)\n" + Aligned(rows) + "\n";

  std::vector<std::string> rheader = {"District"};
  rheader.insert(rheader.end(), kReadinessColumns.begin(), kReadinessColumns.end());
  rows = {rheader};
  for (const ReadinessRow& row : r.readiness) {
    rows.push_back(ReadinessCells(DistrictLabel(row.district), row));
  }
  rows.push_back(ReadinessCells("TOTAL", r.readiness_total));
  out += "Student readiness (devices and signal at school)\n" + Aligned(rows);

  rows = {kFirstPlaceColumns};
  for (const FirstPlace& p : r.first_places) rows.push_back(FirstPlaceCells(p));
  out +=
      "\nFirst places to clear (the province's list, open or planned; common: no operator "
      "covers, the operators named have their own gap there)\n" +
      Aligned(rows);
  return out;
}

std::string RenderJson(const ProgressReport& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("as_of").String(FormatIso8601(r.now_ms));
  w.Key("deadline").String(FormatDate(r.deadline_ms));
  w.Key("days_left").Number(r.days_left);
  w.Key("latest_run_id").Number(r.latest_run_id);
  w.Key("baseline_run_id").Number(r.baseline_run_id);
  w.Key("total");
  JsonRow(w, "key", r.total);
  w.Key("common_gaps");
  JsonStatus(w, r.common_gaps);
  w.Key("districts").BeginArray();
  for (const ProgressRow& row : r.districts) JsonRow(w, "district", row);
  w.EndArray();
  w.Key("operators").BeginArray();
  for (const ProgressRow& row : r.operators) JsonRow(w, "operator_id", row);
  w.EndArray();
  w.Key("readiness").BeginArray();
  for (const ReadinessRow& row : r.readiness) JsonReadiness(w, row);
  w.EndArray();
  w.Key("readiness_total");
  JsonReadiness(w, r.readiness_total);
  w.Key("first_places").BeginArray();
  for (const FirstPlace& p : r.first_places) {
    w.BeginObject();
    w.Key("rank").Number(p.rank).Key("gap_id").String(p.gap_id);
    w.Key("kind").String(ToString(p.kind)).Key("operator_id").String(p.operators);
    w.Key("contains").String(p.contains).Key("tech").String(ToString(p.tech));
    w.Key("district").String(p.district).Key("commune").String(p.commune);
    w.Key("schools").Number(p.schools).Key("stud_nodev").Number(p.students_nodev);
    w.Key("status").String(p.status).Key("target").String(p.target_ms ? FormatDate(*p.target_ms)
                                                                      : "");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str() + "\n";
}

std::string RenderCsv(const ProgressReport& r) {
  std::string out = CsvLine({"section", "key", "value"});
  out += CsvLine({"summary", "as_of", FormatIso8601(r.now_ms)});
  out += CsvLine({"summary", "deadline", FormatDate(r.deadline_ms)});
  out += CsvLine({"summary", "days_left", Num(r.days_left)});
  out += CsvLine({"summary", "latest_run_id", Num(r.latest_run_id)});
  out += CsvLine({"summary", "baseline_run_id", Num(r.baseline_run_id)});
  out += CsvLine({"summary", "common_gaps_open", Num(r.common_gaps.open)});
  out += CsvLine({"summary", "common_gaps_planned", Num(r.common_gaps.planned)});
  out += CsvLine({"summary", "common_gaps_cleared", Num(r.common_gaps.cleared)});
  out += CsvLine({"summary", "common_gaps_verified", Num(r.common_gaps.verified)});

  std::vector<std::string> header = {"section", "district"};
  header.insert(header.end(), kProgressColumns.begin(), kProgressColumns.end());
  out += "\r\n" + CsvLine(header);
  auto with_section = [](std::string section, std::vector<std::string> cells) {
    cells.insert(cells.begin(), std::move(section));
    return cells;
  };
  for (const ProgressRow& row : r.districts) {
    out += CsvLine(with_section("district", ProgressCells(row.key, row)));
  }
  out += CsvLine(with_section("district_total", ProgressCells("", r.total)));

  header[1] = "operator_id";
  out += "\r\n" + CsvLine(header);
  for (const ProgressRow& row : r.operators) {
    out += CsvLine(with_section("operator", ProgressCells(row.key, row)));
  }

  std::vector<std::string> rheader = {"section", "district"};
  rheader.insert(rheader.end(), kReadinessColumns.begin(), kReadinessColumns.end());
  out += "\r\n" + CsvLine(rheader);
  for (const ReadinessRow& row : r.readiness) {
    out += CsvLine(with_section("readiness", ReadinessCells(row.district, row)));
  }
  out += CsvLine(with_section("readiness_total", ReadinessCells("", r.readiness_total)));

  std::vector<std::string> fheader = kFirstPlaceColumns;
  fheader.insert(fheader.begin(), "section");
  out += "\r\n" + CsvLine(fheader);
  for (const FirstPlace& p : r.first_places) {
    out += CsvLine(with_section("first_place", FirstPlaceCells(p)));
  }
  return out;
}

StatusOr<std::string> RenderHtml(const ProgressReport& r, const ProgressInputs& in,
                                 MapStats* stats) {
  InitGdal();
  MapStats local_stats;
  MapStats& ms = stats ? *stats : local_stats;
  ms = MapStats{};

  // The map's CRS: the latest gaps' analysis CRS (a UTM zone: metres, little distortion over a
  // province), else the default analysis CRS.
  std::string crs = "EPSG:32648";
  for (const Gap& g : in.latest_gaps) {
    if (!g.crs.empty()) {
      crs = g.crs;
      break;
    }
  }
  auto wgs84 = MakeSrs("EPSG:4326");
  if (!wgs84.ok()) return wgs84.status();
  auto target = MakeSrs(crs);
  if (!target.ok()) return target.status();
  TransformPtr to_map(OCTNewCoordinateTransformation(wgs84->get(), target->get()));
  if (!to_map) return InvalidArgument("cannot project WGS84 to the map CRS " + crs);

  struct District {
    std::string name;
    OgrGeometryPtr g;
  };
  std::vector<District> districts;
  OGREnvelope env;
  bool any = false;
  for (const AdminArea& a : in.areas) {
    if (a.level != AreaLevel::kDistrict) continue;
    OgrGeometryPtr g = ReadWkb(a.wkb);
    if (!g) return InvalidArgument("district '" + a.name + "' has unreadable geometry");
    if (OGR_G_Transform(g.get(), to_map.get()) != OGRERR_NONE) {
      return InvalidArgument("district '" + a.name + "' cannot be projected to " + crs);
    }
    Extend(g.get(), env, any);
    districts.push_back({a.name, std::move(g)});
  }
  struct DrawnGap {
    GapStatus status;
    bool common;
    OgrGeometryPtr g;
  };
  std::vector<DrawnGap> gaps;
  for (const Gap& gap : in.latest_gaps) {
    const GapStatus status = ParseGapStatus(gap.status).value_or(GapStatus::kOpen);
    if (gap.kind == GapKind::kOperator && status == GapStatus::kOpen) {
      ++ms.gaps_skipped;
      continue;
    }
    OgrGeometryPtr g = ReadWkb(gap.wkb);
    if (!g) return InvalidArgument("gap " + gap.gap_id + " has unreadable geometry");
    if (!districts.size()) Extend(g.get(), env, any);
    gaps.push_back({status, gap.kind == GapKind::kCommon, std::move(g)});
  }
  std::set<std::string> white;
  for (const std::string& id : WhiteZoneSchools(in.school_coverage)) white.insert(id);
  std::set<std::string> classed;  // schools some record of which has a class
  for (const SchoolCoverage& c : in.school_coverage) {
    if (c.indoor_class != CellClass::kUnmeasured) classed.insert(c.school_id);
  }
  std::vector<double> sx, sy, slon, slat;
  for (const School& s : in.schools) {
    slon.push_back(s.lon);
    slat.push_back(s.lat);
  }
  sx.resize(slon.size());
  sy.resize(slon.size());
  if (!slon.empty()) {
    auto projector = PointProjector::Create(crs);
    if (!projector.ok()) return projector.status();
    (*projector)->Project(slon.data(), slat.data(), sx.data(), sy.data(), slon.size());
  }
  if (!any) {
    for (std::size_t i = 0; i < sx.size(); ++i) {
      if (!std::isfinite(sx[i])) continue;
      OGREnvelope e;
      e.MinX = e.MaxX = sx[i];
      e.MinY = e.MaxY = sy[i];
      if (!any) {
        env = e;
        any = true;
      } else {
        env.Merge(e);
      }
    }
  }
  Frame f;
  if (any) {
    f.minx = env.MinX;
    f.miny = env.MinY;
    f.maxx = std::max(env.MaxX, env.MinX + 1000);
    f.maxy = std::max(env.MaxY, env.MinY + 1000);
  } else {
    f.maxx = f.maxy = 1000;
  }
  f.scale = std::min((kMapWidth - 2 * kPad) / (f.maxx - f.minx),
                     (kMapMaxHeight - 2 * kPad) / (f.maxy - f.miny));
  f.height = (f.maxy - f.miny) * f.scale + 2 * kPad;
  f.width = (f.maxx - f.minx) * f.scale + 2 * kPad;
  const double metres_per_px = 1 / f.scale;

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + Fmt(f.width) +
                    " " + Fmt(f.height + 100) + "\" width=\"" + Fmt(f.width) + "\" height=\"" +
                    Fmt(f.height + 100) + "\" font-family=\"DejaVu Sans, Arial, sans-serif\">";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + Fmt(f.width) + "\" height=\"" + Fmt(f.height + 100) +
         "\" fill=\"#ffffff\"/>";
  // District fills.
  std::vector<std::string> district_paths;
  for (District& d : districts) {
    OgrGeometryPtr simple(OGR_G_SimplifyPreserveTopology(d.g.get(), metres_per_px));
    district_paths.push_back(PathData(simple ? simple.get() : d.g.get(), f));
    svg += "<path d=\"" + district_paths.back() + "\" fill=\"#f2f0e6\" stroke=\"none\"/>";
  }
  // Gaps: common gaps first (underneath), then operator gaps; verified last so progress shows.
  std::stable_sort(gaps.begin(), gaps.end(), [](const DrawnGap& a, const DrawnGap& b) {
    return std::make_pair(!a.common, static_cast<int>(a.status)) <
           std::make_pair(!b.common, static_cast<int>(b.status));
  });
  for (const DrawnGap& g : gaps) {
    OGREnvelope e;
    OGR_G_GetEnvelope(g.g.get(), &e);
    const std::string colour(StatusColour(g.status));
    if ((e.MaxX - e.MinX) * f.scale < 2.5 && (e.MaxY - e.MinY) * f.scale < 2.5) {
      svg += "<circle cx=\"" + Fmt(f.X((e.MinX + e.MaxX) / 2)) + "\" cy=\"" +
             Fmt(f.Y((e.MinY + e.MaxY) / 2)) + "\" r=\"2.2\" fill=\"" + colour + "\"/>";
    } else {
      OgrGeometryPtr simple(OGR_G_SimplifyPreserveTopology(g.g.get(), metres_per_px));
      const std::string d = PathData(simple ? simple.get() : g.g.get(), f);
      if (d.empty()) continue;
      svg += "<path d=\"" + d + "\" fill=\"" + colour + "\" fill-rule=\"evenodd\" stroke=\"" +
             colour + "\" stroke-width=\"0.6\"/>";
    }
    ++ms.gaps_drawn;
  }
  // District outlines and names.
  for (const std::string& d : district_paths) {
    svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"#555\" stroke-width=\"0.8\"/>";
  }
  // Schools.
  for (std::size_t i = 0; i < in.schools.size(); ++i) {
    if (!std::isfinite(sx[i]) || !std::isfinite(sy[i])) continue;
    ++ms.schools;
    if (white.count(in.schools[i].school_id)) {
      ++ms.white_zone_schools;
      svg += "<circle cx=\"" + Fmt(f.X(sx[i])) + "\" cy=\"" + Fmt(f.Y(sy[i])) +
             "\" r=\"2.3\" fill=\"none\" stroke=\"#000\" stroke-width=\"0.8\"/>";
    } else if (!classed.count(in.schools[i].school_id)) {  // no data: signal unknown
      svg += "<circle cx=\"" + Fmt(f.X(sx[i])) + "\" cy=\"" + Fmt(f.Y(sy[i])) +
             "\" r=\"1.4\" fill=\"#fff\" stroke=\"#888\" stroke-width=\"0.6\"/>";
    } else {
      svg += "<circle cx=\"" + Fmt(f.X(sx[i])) + "\" cy=\"" + Fmt(f.Y(sy[i])) +
             "\" r=\"1.2\" fill=\"#333\"/>";
    }
  }
  for (District& d : districts) {
    OgrGeometryPtr at(OGR_G_PointOnSurface(d.g.get()));
    if (!at) continue;
    svg += "<text x=\"" + Fmt(f.X(OGR_G_GetX(at.get(), 0))) + "\" y=\"" +
           Fmt(f.Y(OGR_G_GetY(at.get(), 0))) +
           "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#000\" stroke=\"#fff\" "
           "stroke-width=\"2.5\" paint-order=\"stroke\">" +
           HtmlEscape(StripDistrictPrefix(d.name)) + "</text>";
  }
  // Scale bar: 1, 2 or 5 × 10^k metres, about a fifth of the width.
  const double want = (f.maxx - f.minx) / 5;
  double bar = std::pow(10.0, std::floor(std::log10(want)));
  for (double m : {5.0, 2.0, 1.0}) {
    if (bar * m <= want) {
      bar *= m;
      break;
    }
  }
  const double bx = kPad, by = f.height + 14, bw = bar * f.scale;
  svg += "<rect x=\"" + Fmt(bx) + "\" y=\"" + Fmt(by) + "\" width=\"" + Fmt(bw / 2) +
         "\" height=\"5\" fill=\"#000\"/><rect x=\"" + Fmt(bx + bw / 2) + "\" y=\"" + Fmt(by) +
         "\" width=\"" + Fmt(bw / 2) + "\" height=\"5\" fill=\"#fff\" stroke=\"#000\"/>";
  char bar_label[64];
  if (bar >= 1000) {
    std::snprintf(bar_label, sizeof bar_label, "%g km", bar / 1000);
  } else {
    std::snprintf(bar_label, sizeof bar_label, "%g m", bar);
  }
  svg += "<text x=\"" + Fmt(bx) + "\" y=\"" + Fmt(by + 17) + "\" font-size=\"10\">0</text>";
  svg += "<text x=\"" + Fmt(bx + bw) + "\" y=\"" + Fmt(by + 17) +
         "\" font-size=\"10\" text-anchor=\"middle\">" + bar_label + "</text>";
  // Legend below the scale bar: the statuses in one row, the school symbols in the next.
  double lx = kPad;
  const double ly = f.height + 40;
  for (GapStatus s : {GapStatus::kOpen, GapStatus::kPlanned, GapStatus::kCleared,
                      GapStatus::kAwaitingMeasurement, GapStatus::kVerified}) {
    const Bilingual name = kStatusNames[static_cast<int>(s)];
    svg += "<rect x=\"" + Fmt(lx) + "\" y=\"" + Fmt(ly) + "\" width=\"10\" height=\"10\" fill=\"" +
           std::string(StatusColour(s)) + "\"/>";
    svg += "<text x=\"" + Fmt(lx + 13) + "\" y=\"" + Fmt(ly + 8) + "\" font-size=\"8\">" +
           HtmlEscape(name.vi) + "</text><text x=\"" + Fmt(lx + 13) + "\" y=\"" + Fmt(ly + 17) +
           "\" font-size=\"8\" font-style=\"italic\">" + HtmlEscape(name.en) + "</text>";
    lx += 126;
  }
  const double sy2 = ly + 32;
  svg += "<circle cx=\"" + Fmt(kPad + 5) + "\" cy=\"" + Fmt(sy2) +
         "\" r=\"1.2\" fill=\"#333\"/><text x=\"" + Fmt(kPad + 13) + "\" y=\"" + Fmt(sy2 + 3) +
         "\" font-size=\"8\">Trường học / School</text>";
  svg += "<circle cx=\"" + Fmt(kPad + 131) + "\" cy=\"" + Fmt(sy2) +
         "\" r=\"2.3\" fill=\"none\" stroke=\"#000\" stroke-width=\"0.8\"/><text x=\"" +
         Fmt(kPad + 139) + "\" y=\"" + Fmt(sy2 + 3) +
         "\" font-size=\"8\">Trường vùng trắng sóng (không nhà mạng nào tốt trong nhà) / "
         "White-zone school (no operator good indoors)</text>";
  const double sy3 = sy2 + 14;
  svg += "<circle cx=\"" + Fmt(kPad + 5) + "\" cy=\"" + Fmt(sy3) +
         "\" r=\"1.4\" fill=\"#fff\" stroke=\"#888\" stroke-width=\"0.6\"/><text x=\"" +
         Fmt(kPad + 13) + "\" y=\"" + Fmt(sy3 + 3) +
         "\" font-size=\"8\">Trường chưa đủ số liệu đo / School without enough measurements "
         "(needs a drive test)</text>";
  svg += "</svg>";

  // ---- the page ----
  const ProgressRow& t = r.total;
  std::string h = "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">";
  h += "<title>Báo cáo tiến độ xử lý điểm lõm sóng / Progress report: mobile dead spots</title>";
  h += "<style>" + std::string(kCss) + "</style></head><body>";
  h += "<h1>Báo cáo tiến độ xử lý điểm lõm sóng di động<br><span class=\"en\">Progress report: "
       "clearing the mobile dead spots</span></h1>";
  h += "<p class=\"meta\">Chương trình “Sóng và máy tính cho em” — " +
       Label({"Số liệu đến ngày", "As of"}) + ": <b>" + DateVn(r.now_ms) + "</b> · " +
       Label({"Hạn chót", "Deadline"}) + ": <b>" + DateVn(r.deadline_ms) + "</b> · " +
       Label({"Lần phân tích", "Analysis run"}) + ": " + Num(r.latest_run_id) + " (" +
       Label({"ban đầu", "baseline"}) + ": " + Num(r.baseline_run_id) + ")</p>";
  h += "<h2>" + Label({"Tóm tắt", "Summary"}) + "</h2><div class=\"cards\">";
  auto card = [&](const std::string& value, Bilingual label, bool late = false) {
    h += "<div class=\"card\"><div class=\"v" + std::string(late ? " late" : "") + "\">" + value +
         "</div><div class=\"l\">" + Label(label) + "</div></div>";
  };
  card(Num(r.days_left), {"Số ngày còn lại đến hạn chót", "Days left to the deadline"},
       r.days_left < 0);
  card(Num(t.gaps.open) + " / " + Num(t.gaps.planned) + " / " + Num(t.gaps.cleared) + " / " +
           Num(t.gaps.verified),
       {"Điểm lõm của nhà mạng: chưa xử lý / có kế hoạch / đã xử lý / đã kiểm chứng",
        "Operator gaps: open / planned / cleared / verified"});
  card(Num(r.common_gaps.total() - r.common_gaps.verified) + " / " + Num(r.common_gaps.total()),
       {"Vùng không nhà mạng nào phủ: chưa kiểm chứng / tổng",
        "Common gaps (no operator): not verified / all"});
  card(Num(t.students_start) + " → " + Num(t.students_now),
       {"HS không có thiết bị trong vùng lõm: ban đầu → hiện nay",
        "Students without a device in gaps: start → now"});
  card(Num(t.overdue_plans), {"Kế hoạch quá hạn", "Overdue plans"}, t.overdue_plans > 0);
  card(Num(t.plans_after_deadline), {"Kế hoạch sau hạn chót", "Plans after the deadline"},
       t.plans_after_deadline > 0);
  h += "</div>";

  h += "<h2>" + Label({"Theo huyện", "By district"}) + "</h2>";
  h += ProgressTableHtml(r.districts, &r.total, {"Huyện", "District"}, true);
  h += "<p class=\"note\">" +
       HtmlEscape(
           "Điểm lõm: của các nhà mạng. Học sinh: không có thiết bị, tại trường hoặc hộ "
           "gia đình trong vùng không nhà mạng nào phủ, mỗi nơi tính một lần.") +
       "<br><span class=\"en\">Gaps: the operators' gaps. Students: without a device, at schools "
       "or households inside common gaps (no operator covers), each place counted once.</span></p>";
  h += "<h2>" + Label({"Theo nhà mạng", "By operator"}) + "</h2>";
  h += ProgressTableHtml(r.operators, nullptr, {"Nhà mạng", "Operator"}, false);
  h += "<p class=\"note\">" +
       HtmlEscape(
           "Học sinh trong vùng lõm của nhà mạng đó (mọi công nghệ); một nơi có thể nằm "
           "trong vùng lõm của nhiều nhà mạng.") +
       "<br><span class=\"en\">Students inside that operator's gaps (any technology); a place may "
       "lie in gaps of several operators.</span></p>";

  h += "<h2>" + Label({"Mức sẵn sàng của học sinh", "Student readiness"}) + "</h2><table><thead>";
  h += "<tr><th class=\"k\">" + Label({"Huyện", "District"}) + "</th>";
  for (Bilingual b :
       {Bilingual{"Trường", "Schools"}, Bilingual{"Trường vùng trắng sóng", "White-zone schools"},
        Bilingual{"Trường có sóng", "Covered schools"},
        Bilingual{"Trường chưa chắc có sóng", "Uncertain schools"},
        Bilingual{"Học sinh", "Students"},
        Bilingual{"HS không có thiết bị", "Students without a device"},
        Bilingual{"HS ở trường vùng trắng sóng", "Students at white-zone schools"},
        Bilingual{"HS thiếu cả hai", "Students without both"}}) {
    h += "<th>" + Label(b) + "</th>";
  }
  h += "</tr></thead><tbody>";
  auto readiness_row = [&](const ReadinessRow& x, const std::string& key, bool total) {
    h += total ? "<tr class=\"total\">" : "<tr>";
    h += "<td class=\"k\">" + HtmlEscape(key) + "</td>";
    for (std::int64_t v :
         {x.schools, x.schools_white_zone, x.schools_covered, x.schools_uncertain, x.students,
          x.students_nodev, x.students_white_zone, x.students_nodev_white_zone}) {
      h += "<td>" + Num(v) + "</td>";
    }
    h += "</tr>";
  };
  for (const ReadinessRow& x : r.readiness) readiness_row(x, DistrictLabel(x.district), false);
  readiness_row(r.readiness_total, "Toàn tỉnh / Province", true);
  h += "</tbody></table>";
  h += "<p class=\"note\">" +
       HtmlEscape(
           "Trường vùng trắng sóng: đã đo, không nhà mạng nào có sóng tốt trong nhà tại trường. "
           "Trường có sóng: đo được sóng tốt trong nhà, hoặc xác suất dự báo có sóng tốt trong "
           "nhà từ 0,8 trở lên. Trường chưa chắc có sóng: xác suất dự báo trong khoảng 0,2–0,8, "
           "cần đo kiểm. Trường chưa đủ số liệu đo (cần đo kiểm, không tính là vùng trắng "
           "sóng): ") +
       Num(r.readiness_total.schools_no_data) +
       ".<br><span class=\"en\">White-zone school: measured, and no operator is good indoors at "
       "the school. Covered school: measured good indoors, or a predicted probability of good "
       "indoor signal of at least 0.8. Uncertain school: a predicted probability in (0.2, 0.8); a "
       "drive test is needed. Schools without enough measurements (a drive test is "
       "needed; not counted as white zone): " +
       Num(r.readiness_total.schools_no_data) + ".</span></p>";

  h += "<h2>" + Label({"Nơi cần xử lý trước", "First places to clear"}) + "</h2><table><thead>";
  h += "<tr>";
  for (Bilingual b : {Bilingual{"Hạng", "Rank"}, Bilingual{"Huyện", "District"},
                      Bilingual{"Xã", "Commune"}, Bilingual{"Nhà mạng", "Operators"},
                      Bilingual{"Công nghệ", "Tech"}, Bilingual{"Trường", "Schools"},
                      Bilingual{"HS không có thiết bị", "Students without a device"},
                      Bilingual{"Trạng thái", "Status"}, Bilingual{"Hạn", "Target"}}) {
    h += "<th class=\"k\">" + Label(b) + "</th>";
  }
  h += "</tr></thead><tbody>";
  for (const FirstPlace& p : r.first_places) {
    const std::vector<std::string> cells = FirstPlaceCells(p);
    h += "<tr>";
    for (std::size_t c = 0; c + 1 < cells.size(); ++c) {
      h += "<td class=\"k\">" + HtmlEscape(cells[c]) + "</td>";
    }
    h += "</tr>";
  }
  h += "</tbody></table>";
  h += "<p class=\"note\">" +
       HtmlEscape(
           "Thứ tự của toàn tỉnh, các điểm chưa xử lý xong. \"common\": không nhà mạng nào phủ; "
           "các nhà mạng được nêu cũng có vùng lõm riêng tại đúng nơi đó (một dòng).") +
       "<br><span class=\"en\">The province's order, places not yet cleared. \"common\": no "
       "operator covers the place; the operators named have their own gap right there (one "
       "row).</span></p>";

  h += "<div class=\"map\"><h2>" + Label({"Bản đồ", "Map"}) + "</h2>" + svg;
  h += "<p class=\"note\">" +
       HtmlEscape(
           "Vẽ các vùng không nhà mạng nào phủ và mọi điểm lõm của nhà mạng đã có kế "
           "hoạch trở lên; vùng nhỏ hơn 2 điểm ảnh vẽ thành chấm. Hệ toạ độ ") +
       HtmlEscape(crs) +
       ".<br><span class=\"en\">Drawn: common gaps and every operator gap that is not open; gaps "
       "smaller than about 2 px are dots. Map CRS " +
       HtmlEscape(crs) + ".</span></p></div>";
  h += "</body></html>\n";
  return h;
}

StatusOr<std::string> RenderReport(ReportFormat format, const ProgressReport& report,
                                   const ProgressInputs& inputs) {
  switch (format) {
    case ReportFormat::kTable:
      return RenderTable(report);
    case ReportFormat::kJson:
      return RenderJson(report);
    case ReportFormat::kCsv:
      return RenderCsv(report);
    case ReportFormat::kHtml:
      return RenderHtml(report, inputs);
  }
  return InvalidArgument("unknown report format");
}

}  // namespace covgap::geo
