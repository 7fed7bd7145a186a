// Domain types of the gap engine's results: a gap and the parameters of an analysis.
//
// A gap is a 4-connected region of not-good cells (weak or dead) of the analysis grid, for one
// operator and technology (kind operator) or for all operators that measured there (kind common);
// see docs/domain.md "The reference gap definition". Its geometry is the union of its whole cells,
// a (Multi)Polygon in the analysis CRS, kept as ISO WKB; exports reproject it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/model/measurement.h"

namespace covgap::geo {

enum class GapKind : std::uint8_t { kOperator = 0, kCommon = 1 };
std::string_view ToString(GapKind kind);  // "operator", "common"
std::optional<GapKind> ParseGapKind(std::string_view text);

// Life cycle of a gap (docs/gaps.md "Life cycle"): open -> planned (an operator filed an action
// and a target date) -> cleared (the operator says it is fixed) -> verified (measurements taken
// after the clearance show it good) or back to open with a reason. A verification attempt with too
// few samples after the clearance leaves it awaiting_measurement.
enum class GapStatus : std::uint8_t {
  kOpen = 0,
  kPlanned = 1,
  kCleared = 2,
  kAwaitingMeasurement = 3,
  kVerified = 4
};
std::string_view ToString(GapStatus status);  // "open", "planned", "cleared", ...
std::optional<GapStatus> ParseGapStatus(std::string_view text);

// What a gap's (or a cell's) class rests on (docs/prediction.md): measured cells have at least
// min_samples samples and keep the binned class; predicted cells come from the calibrated
// prediction; a mixed gap has both kinds of cells.
// The class of a grid cell; ordered so that the best class is the largest.
enum class CellClass : std::uint8_t { kUnmeasured = 0, kDead = 1, kWeak = 2, kGood = 3 };
std::string_view ToString(CellClass c);

enum class Evidence : std::uint8_t { kMeasured = 0, kPredicted = 1, kMixed = 2 };
std::string_view ToString(Evidence evidence);  // "measured", "predicted", "mixed"
std::optional<Evidence> ParseEvidence(std::string_view text);

// How an analysis classes cells (docs/prediction.md): binned = the reference method (measured
// cells only); predicted = the calibrated prediction everywhere; hybrid = measured class where a
// cell has >= min_samples samples, prediction elsewhere.
enum class AnalysisMethod : std::uint8_t { kBinned = 0, kPredicted = 1, kHybrid = 2 };
std::string_view ToString(AnalysisMethod method);  // "binned", "predicted", "hybrid"
std::optional<AnalysisMethod> ParseAnalysisMethod(std::string_view text);

struct Thresholds {
  int good_dbm;  // class good when median >= good_dbm
  int dead_dbm;  // class dead when median < dead_dbm; weak in between
};
// Defaults of docs/domain.md: LTE/NR -105/-115, UMTS/GSM -95/-105.
Thresholds DefaultThresholds(Technology tech);

struct AnalysisParams {
  double cell_size_m = 100;
  int min_samples = 3;
  std::map<Technology, Thresholds> thresholds;  // missing technologies use the defaults
  double min_area_m2 = 0;
  std::string analysis_crs = "EPSG:32648";
  int window_days = 365;      // 0 = no limit
  std::int64_t as_of_ms = 0;  // the window counts back from here; samples after it are ignored
  int indoor_margin_db = 10;  // schools and households need threshold + margin
  AnalysisMethod method = AnalysisMethod::kBinned;
  // Partitioned analysis (docs/gaps.md): square tiles of tile_cells x tile_cells cells, aligned
  // to the cell grid, computed independently and merged; 0 = one piece. The result is the same.
  int tile_cells = 0;
  // Worker threads of a run; 0 = every core (std::thread::hardware_concurrency). Not a result
  // parameter: any value gives the same gaps.
  unsigned threads = 0;

  Thresholds ThresholdsFor(Technology tech) const;
};

struct Gap {
  std::string gap_id;
  GapKind kind = GapKind::kOperator;
  std::string operator_id;  // empty for common gaps
  Technology tech = Technology::kLte;
  double severity = 0;  // share of dead cells
  double area_m2 = 0;
  std::int64_t n_cells = 0;
  std::int64_t n_dead_cells = 0;
  std::int64_t n_samples = 0;
  double median_dbm = 0;  // median of all samples in the gap's cells
  int min_dbm = 0;
  std::string province;
  std::string district;
  std::string commune;
  std::int64_t schools = 0;         // schools inside
  std::int64_t students_nodev = 0;  // students without a device inside (schools + households)
  std::int64_t poor_hh = 0;         // poor households inside
  std::int64_t npoor_hh = 0;        // near-poor households inside
  double hardship_students = 0;     // students without a device weighted by hardship (ranking)
  double school_points = 0;  // ranking: schools inside weighted by level and size (not stored)
  // Evidence (docs/prediction.md): what the gap's cells rest on, the mean probability that a
  // gap cell is good, and the share of its cells that are measured (>= min_samples samples).
  // Binned gaps are measured, p_good 0 and meas_share 1.
  Evidence evidence = Evidence::kMeasured;
  double p_good = 0;
  double meas_share = 1;
  double score = 0;
  // docs/gaps.md "Ranking": `rank` is the position in the province's list (1 = clear first), in
  // which a common gap and the operator gaps wholly inside it are one row sharing one rank;
  // `grp_rank` is the position within (kind, operator, technology).
  std::int64_t rank = 0;
  std::int64_t grp_rank = 0;
  std::string common_id;        // an operator gap wholly inside a common gap: that common gap's id
  std::string contains;         // a common gap: the operators of the gaps inside it, "vnpt,viettel"
  std::string status = "open";  // ToString(GapStatus)
  std::string plan;             // the operator's action text
  std::optional<std::int64_t> target_ms;   // the plan's target date
  std::optional<std::int64_t> cleared_ms;  // when the operator marked it cleared
  std::string status_note;  // why the status is what it is (e.g. the verification's figures)
  std::int64_t analysed_ms = 0;
  std::string crs;  // CRS of `wkb`, e.g. "EPSG:32648"
  std::string wkb;  // MultiPolygon, ISO WKB
};

// An administrative area: province, district or commune, geometry in WGS84 (lon/lat order).
enum class AreaLevel : std::uint8_t { kProvince = 1, kDistrict = 2, kCommune = 3 };
std::string_view ToString(AreaLevel level);
std::optional<AreaLevel> ParseAreaLevel(std::string_view text);

struct AdminArea {
  AreaLevel level = AreaLevel::kDistrict;
  std::string code;  // the source's id where it has one, else derived from the name
  std::string name;
  std::string wkb;  // (Multi)Polygon, ISO WKB, EPSG:4326 lon/lat
};

enum class SchoolLevel : std::uint8_t {
  kPrimary = 1,
  kLowerSecondary = 2,
  kUpperSecondary = 3,
  kContinuingEd = 4
};
std::string_view ToString(SchoolLevel level);
std::optional<SchoolLevel> ParseSchoolLevel(std::string_view text);

struct School {
  std::string school_id;
  std::string name;
  SchoolLevel level = SchoolLevel::kPrimary;
  std::string district;
  std::string commune;
  double lat = 0;
  double lon = 0;
  std::int64_t students = 0;
  std::int64_t students_nodev = 0;
};

enum class HouseholdCategory : std::uint8_t {
  kPoor = 1,
  kNearPoor = 2,
  kCovidOrphan = 3,
  kOtherDifficulty = 4
};
std::string_view ToString(HouseholdCategory category);
std::optional<HouseholdCategory> ParseHouseholdCategory(std::string_view text);

// Personal data: only the authority sees individual households.
struct Household {
  std::string household_id;
  HouseholdCategory category = HouseholdCategory::kOtherDifficulty;
  double lat = 0;
  double lon = 0;
  std::int64_t students_nodev = 0;
  std::string district;
  std::string commune;
};

}  // namespace covgap::geo
