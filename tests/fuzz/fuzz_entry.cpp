#include "tests/fuzz/fuzz_entry.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/log.h"
#include "geo/spatial/gdal_handles.h"
#include "importers/area_reader.h"
#include "importers/drive_test_log.h"
#include "importers/measurement_csv.h"
#include "importers/place_reader.h"
#include "importers/text_encoding.h"

namespace covgap::fuzz {
namespace {

using importers::CsvMeasurementChunk;
using importers::Encoding;

// Small chunks, so that inputs of a few lines already cross chunk boundaries.
constexpr std::size_t kChunkRows = 3;
// The text checks look at the start of an input only (the rest of a GeoPackage or XLSX is not
// text), as at most this many lines.
constexpr std::size_t kMaxTextBytes = 2048;
constexpr std::size_t kMaxSamples = 64;

constexpr std::array<std::string_view, 8> kExtensions = {"csv", "geojson", "kml",  "gpkg",
                                                         "zip", "dbf",     "xlsx", "ods"};
constexpr std::array<Encoding, 5> kEncodings = {
    Encoding::kUtf8, Encoding::kCp1258, Encoding::kTcvn3, Encoding::kViscii, Encoding::kVni};
// The GDAL drivers of the formats people bring (docs/importing.md); no network, no rasters.
constexpr std::array<std::string_view, 7> kDrivers = {"CSV",  "XLSX",    "ODS", "ESRI Shapefile",
                                                      "GPKG", "GeoJSON", "KML"};

void InitQuietly() {
  static std::once_flag once;
  std::call_once(once, [] {
    SetLogLevel(LogLevel::kError);  // GDAL and GEOS warnings would flood the fuzzer's output
    geo::InitGdal();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    for (int i = GDALGetDriverCount() - 1; i >= 0; --i) {
      GDALDriverH driver = GDALGetDriver(i);
      const std::string_view name = GDALGetDriverShortName(driver);
      if (std::find(kDrivers.begin(), kDrivers.end(), name) != kDrivers.end()) continue;
      GDALDeregisterDriver(driver);
      GDALDestroyDriver(driver);
    }
  });
}

// The current input as a file, for the readers that open a path with stdio. Used as a function
// static whose destructor removes the file at exit.
class TempInputFile {
 public:
  TempInputFile() {
    path_ = (std::filesystem::temp_directory_path() / "covgap-fuzz-XXXXXX").string();
    fd_ = ::mkstemp(path_.data());
  }
  ~TempInputFile() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  TempInputFile(const TempInputFile&) = delete;
  TempInputFile& operator=(const TempInputFile&) = delete;

  bool Write(std::string_view bytes) {
    if (fd_ < 0 || ::ftruncate(fd_, 0) != 0) return false;
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

std::vector<std::string> Lines(std::string_view text, std::size_t max_lines) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size() && lines.size() < max_lines) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// FNV-1a: a /vsimem/ directory per distinct input. GDAL caches a zip's directory by path and
// checks only size and mtime (whole seconds), so reusing one path would let an input be read
// with the directory of the one before it.
std::uint64_t Fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// ---------------------------------------------------------------- measurements

// Rows lie in their chunk's text, each raw line followed by '\n'; line numbers increase; an
// accepted row has a finite position.
template <typename Reader>
std::string Drain(Reader& reader) {
  CsvMeasurementChunk chunk;
  std::uint64_t last_line = 0;
  while (reader.Next(chunk, kChunkRows)) {
    if (chunk.rows.size() > kChunkRows) return "a chunk has more rows than asked for";
    for (const importers::CsvMeasurementRow& row : chunk.rows) {
      const std::uint64_t end = std::uint64_t{row.offset} + row.length;
      if (end >= chunk.text.size() || chunk.text[end] != '\n') {
        return "row " + std::to_string(row.line) + ": raw text is not a line of its chunk";
      }
      if (row.line <= last_line) return "row line numbers do not increase";
      last_line = row.line;
      if (!row.rejection &&
          (!std::isfinite(row.measurement.lat) || !std::isfinite(row.measurement.lon))) {
        return "row " + std::to_string(row.line) + ": accepted with a position that is not finite";
      }
    }
  }
  if (reader.total_bytes() != 0 && reader.bytes_consumed() > reader.total_bytes()) {
    return "more bytes consumed than the input has";
  }
  return "";
}

// ---------------------------------------------------------------- places and areas

std::string CheckText(std::string_view what, std::string_view text) {
  if (importers::IsValidUtf8(text)) return "";
  return std::string(what) + " is not valid UTF-8";
}

std::string CheckSchools(const importers::SchoolImport& in, const geo::Region& region) {
  if (in.schools.size() + in.rejected.size() != in.rows_read) {
    return "schools: accepted + rejected != rows_read";
  }
  if (in.rows.size() != in.schools.size()) return "schools: one row number per school broken";
  for (const geo::School& s : in.schools) {
    if (!region.Contains(s.lat, s.lon)) return "schools: accepted outside the region";
    if (s.school_id.empty()) return "schools: accepted without an id";
    if (s.students_nodev < 0 || s.students < 0) return "schools: accepted a negative count";
    for (const std::string* t : {&s.school_id, &s.name, &s.district, &s.commune}) {
      if (std::string p = CheckText("a school's text", *t); !p.empty()) return p;
    }
  }
  return "";
}

std::string CheckHouseholds(const importers::HouseholdImport& in, const geo::Region& region) {
  if (in.households.size() + in.rejected.size() != in.rows_read) {
    return "households: accepted + rejected != rows_read";
  }
  if (in.rows.size() != in.households.size()) return "households: one row number each broken";
  for (const geo::Household& h : in.households) {
    if (!region.Contains(h.lat, h.lon)) return "households: accepted outside the region";
    if (h.household_id.empty()) return "households: accepted without an id";
    if (h.students_nodev < 0) return "households: accepted a negative count";
    for (const std::string* t : {&h.household_id, &h.district, &h.commune}) {
      if (std::string p = CheckText("a household's text", *t); !p.empty()) return p;
    }
  }
  return "";
}

std::string CheckSites(const importers::SiteImport& in, const geo::Region& region) {
  if (in.sites.size() + in.rejected.size() != in.rows_read) {
    return "sites: accepted + rejected != rows_read";
  }
  if (in.rows.size() != in.sites.size()) return "sites: one row number per site broken";
  for (const geo::Site& s : in.sites) {
    if (!region.Contains(s.lat, s.lon)) return "sites: accepted outside the region";
    if (s.site_id.empty() || s.operator_id.empty()) return "sites: accepted without an id";
    if (!(s.height_m >= 1 && s.height_m <= 300) || !(s.band_mhz >= 100 && s.band_mhz <= 6000) ||
        !(s.eirp_dbm >= 0 && s.eirp_dbm <= 90) ||
        (s.azimuth_deg && !(*s.azimuth_deg >= 0 && *s.azimuth_deg <= 360)) ||
        (s.beamwidth_deg && !(*s.beamwidth_deg >= 1 && *s.beamwidth_deg <= 360))) {
      return "sites: accepted a figure out of range";
    }
    for (const std::string* t : {&s.site_id, &s.operator_id}) {
      if (std::string p = CheckText("a site's text", *t); !p.empty()) return p;
    }
  }
  return "";
}

// Every feature is rejected, merged into an earlier area, or an area of its own; codes unique.
std::string CheckAreas(const importers::AreaImport& in) {
  std::size_t merged = 0;
  for (const importers::RowIssue& r : in.repaired) merged += r.code == "merged";
  if (in.areas.size() + in.rejected.size() + merged != in.rows_read) {
    return "areas: areas + rejected + merged != rows_read";
  }
  std::set<std::string> codes;
  for (const geo::AdminArea& a : in.areas) {
    if (a.name.empty() || a.code.empty() || a.wkb.empty()) return "areas: an empty name/code/wkb";
    if (!codes.insert(a.code).second) return "areas: code '" + a.code + "' used twice";
    if (std::string p = CheckText("an area's name", a.name); !p.empty()) return p;
  }
  return "";
}

std::string ReadPlacesAndAreas(const std::string& path) {
  const importers::PlaceReadOptions place_options;
  if (auto schools = importers::ReadSchools(path, place_options); schools.ok()) {
    if (std::string p = CheckSchools(*schools, place_options.region); !p.empty()) return p;
  }
  if (auto households = importers::ReadHouseholds(path, place_options); households.ok()) {
    if (std::string p = CheckHouseholds(*households, place_options.region); !p.empty()) return p;
  }
  if (auto sites = importers::ReadSites(path, place_options); sites.ok()) {
    if (std::string p = CheckSites(*sites, place_options.region); !p.empty()) return p;
  }
  importers::AreaReadOptions area_options;
  area_options.level = geo::AreaLevel::kDistrict;
  if (auto areas = importers::ReadAreas(path, area_options); areas.ok()) {
    if (std::string p = CheckAreas(*areas); !p.empty()) return p;
  }
  return "";
}

// Decoding gives UTF-8 NFC; UTF-8 decodes exactly the valid UTF-8; the guessed encoding decodes
// every sample (TCVN3 and VISCII decode any bytes, so there is always one).
std::string CheckEncodings(std::string_view bytes) {
  bytes = bytes.substr(0, kMaxTextBytes);
  for (const Encoding e : kEncodings) {
    auto decoded = importers::ToUtf8Nfc(bytes, e);
    if (e == Encoding::kUtf8 && decoded.ok() != importers::IsValidUtf8(bytes)) {
      return "ToUtf8Nfc(UTF-8) disagrees with IsValidUtf8";
    }
    if (!decoded.ok()) continue;
    const std::string name(importers::ToString(e));
    if (!importers::IsValidUtf8(*decoded)) return name + " decoded to invalid UTF-8";
    if (importers::NormalizeNfc(*decoded) != *decoded) return name + " decoded to text not NFC";
  }
  const std::vector<std::string> samples = Lines(bytes, kMaxSamples);
  // No claim, or one of the encodings claimed (as a .cpg would), by the input's length.
  const std::size_t pick = bytes.size() % (kEncodings.size() + 1);
  const std::optional<Encoding> claimed =
      pick < kEncodings.size() ? std::optional(kEncodings[pick]) : std::nullopt;
  const importers::EncodingGuess guess = importers::DetectEncoding(samples, claimed);
  if (!(guess.score >= 0 && guess.score <= 1)) return "DetectEncoding: score out of 0..1";
  for (const std::string& sample : samples) {
    if (!importers::ToUtf8Nfc(sample, guess.encoding).ok()) {
      return "DetectEncoding chose " + std::string(importers::ToString(guess.encoding)) +
             ", which does not decode every sample";
    }
  }
  for (const auto kind : {importers::PlaceKind::kSchools, importers::PlaceKind::kHouseholds,
                          importers::PlaceKind::kSites}) {
    static_cast<void>(importers::ParseColumnMapping(bytes, kind));
  }
  static_cast<void>(importers::ParseEncoding(bytes));
  return "";
}

}  // namespace

std::string_view ImporterExtension(unsigned char selector) {
  switch (selector) {
    case 'c':
      return "csv";
    case 'j':
      return "geojson";
    case 'k':
      return "kml";
    case 'g':
      return "gpkg";
    case 'z':
      return "zip";
    case 'd':
      return "dbf";
    case 'x':
      return "xlsx";
    case 'o':
      return "ods";
    default:
      return kExtensions[selector % kExtensions.size()];
  }
}

std::string RunMeasurementInput(std::string_view bytes) {
  InitQuietly();
  if (auto reader = importers::MeasurementCsvReader::FromString(std::string(bytes)); reader.ok()) {
    if (std::string p = Drain(*reader.value()); !p.empty()) return "FromString: " + p;
  }

  // kAuto, and only for a header it recognises (else it only says so): every open costs a 1 MiB
  // read buffer, under ASan a fresh mapping each time, which would halve the fuzzing speed.
  static TempInputFile file;
  if (!file.Write(bytes)) return "cannot write the input to " + file.path();
  const std::string_view first_line = bytes.substr(0, bytes.find('\n'));
  static const auto& operators =
      *new importers::OperatorMap(importers::OperatorMap::VietnamDefaults());
  if (importers::DetectMeasurementFormat(first_line).has_value()) {
    auto reader =
        importers::OpenMeasurementFile(file.path(), importers::MeasurementFormat::kAuto, operators);
    if (reader.ok()) {
      if (std::string p = Drain(*reader.value()); !p.empty()) {
        return std::string(importers::ToString(reader.value()->format())) + ": " + p;
      }
    }
  }
  importers::OperatorMap loaded;
  static_cast<void>(loaded.Load(file.path()));

  static_cast<void>(importers::ParseMeasurementFormat(first_line));
  static_cast<void>(importers::ParseUtcOffset(first_line));
  static_cast<void>(importers::NormalizeTechnology(first_line));
  static_cast<void>(importers::ParseDriveTestTimestamp(first_line, 7 * 60));
  return "";
}

std::string RunImporterInput(std::string_view input) {
  InitQuietly();
  if (input.empty()) return "";
  std::string content(input.substr(1));
  char dir[64];
  std::snprintf(dir, sizeof dir, "/vsimem/fuzz/%016llx",
                static_cast<unsigned long long>(Fnv1a(content)));
  const std::string path =
      std::string(dir) + "/input." + std::string(ImporterExtension(input.front()));
  // GDAL reads `content` in place; the file is unlinked before `content` goes.
  const geo::VsiFile f(VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(content.data()),
                                            content.size(), FALSE));
  if (f == nullptr) return "cannot create " + path;
  std::string problem = ReadPlacesAndAreas(path);
  VSIUnlink(path.c_str());
  VSIRmdirRecursive(dir);  // anything a driver left beside it
  if (!problem.empty()) return problem;
  return CheckEncodings(content);
}

}  // namespace covgap::fuzz
