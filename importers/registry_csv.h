// Readers for the school and household registries in CSV (see docs/importing.md).
//
// Columns are found by name in the header: case-insensitive, any order, unknown columns ignored;
// `latitude`/`longitude`/`lng` are accepted for `lat`/`lon`. A missing required column or a column
// named twice fails the whole file with InvalidArgument naming it; a missing file is NotFound.
//   schools     required school_id, name, level, lat, lon, students_nodev
//               optional students, district, commune
//   households  required household_id, category, lat, lon, students_nodev
//               optional district, commune
// Fields may be quoted (RFC 4180, also across line ends); LF or CRLF; a UTF-8 byte-order mark is
// skipped; blank lines are skipped; text is trimmed of ASCII blanks and otherwise kept byte-exact
// (no Unicode normalisation here). Level and category are matched case-insensitively.
//
// A bad row never aborts the file: it comes back in `rejected` with its 1-based line number (the
// header is line 1; a quoted field spanning lines counts from its first line), one code and a
// reason. Codes, in the order they are checked:
//   invalid_encoding         the line is not valid UTF-8
//   wrong_column_count       the row's field count differs from the header's
//   missing_value            a required field is empty
//   duplicate_id             the id already appeared on an earlier line (rejected or not)
//   unknown_level / unknown_category   not one of the values of geo/gap.h (the reason lists them)
//   not_a_number             lat, lon or a count is not a (finite, for counts whole) number
//   negative_count           students or students_nodev below zero
//   nodev_exceeds_students   students_nodev > students (when students is given)
//   coordinates_swapped      outside `region`, but inside it with lat and lon exchanged
//   outside_region           outside `region` (default: Vietnam, geo::Region{})
// Invariant: accepted + rejected == rows_read (the non-blank data rows).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geo/gap.h"
#include "geo/measurement_rules.h"
#include "geo/status.h"

namespace covgap::importers {

// One row or feature that an importer rejected or repaired. Shared by every importer.
struct RowIssue {
  std::uint64_t row = 0;  // 1-based line (CSV) or feature (vector layer) number
  std::string code;       // machine-readable, e.g. "missing_value"
  std::string reason;     // a sentence for people
};

struct SchoolImport {
  std::vector<geo::School> schools;
  std::vector<RowIssue> rejected;
  std::uint64_t rows_read = 0;
};

struct HouseholdImport {
  std::vector<geo::Household> households;
  std::vector<RowIssue> rejected;
  std::uint64_t rows_read = 0;
};

StatusOr<SchoolImport> ReadSchoolsCsv(const std::string& path, const geo::Region& region = {});
StatusOr<HouseholdImport> ReadHouseholdsCsv(const std::string& path,
                                            const geo::Region& region = {});

}  // namespace covgap::importers
