// What to import from a file, and what the import did (RegistryService.Import; docs/importing.md):
// rows read, stored as new or updated, rejected and repaired rows with their reasons, and what was
// understood of the file (format, layer, encoding, CRS, the column each field was read from).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "importers/column_names.h"
#include "importers/place_reader.h"

namespace covgap::importers {

// What to import (RegistryService's ImportSpec, as plain fields).
struct ImportOrder {
  std::string kind;                    // areas | schools | households | sites
  int level = 0;                       // areas: 1 province, 2 district, 3 commune
  std::string name_field, code_field;  // areas (default: detected)
  std::string crs;                     // of the data, when the file has none or a wrong one
  std::string encoding;                // force: UTF-8, CP1258, TCVN3, VISCII, VNI
  std::string columns;                 // schools/households/sites: "field = Column" lines
  std::string main_file;               // default: the first uploaded
};

struct ImportReport {
  std::string kind;  // areas | schools | households | sites
  std::uint64_t bytes = 0;
  std::uint64_t rows_read = 0;
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;
  std::vector<RowIssue> rejections;  // sorted by row
  std::vector<RowIssue> repairs;
  std::string format, layer, encoding, encoding_note, crs;
  std::string name_field, code_field;  // areas
  std::vector<ColumnUse> columns;
};

// What RegistryService.ImportAreas/ImportSchools/ImportHouseholds did with the rows sent in the
// request itself (no file): RowIssue::row is the 0-based index of the row in the request.
struct RowsImport {
  std::uint64_t received = 0;
  std::vector<RowIssue> rejections;
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;
};

}  // namespace covgap::importers
