#include "geo/export/gap_export.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "geo/base/time_format.h"
#include "geo/model/measurement.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

constexpr std::size_t kShapefileMaxStringBytes = 254;

// ---------------------------------------------------------------------------------------------
// Values

// The longest prefix of `s` of at most `max_bytes` bytes that ends on a character boundary of valid
// UTF-8 and does not separate a letter from its combining diacritics (U+0300..U+036F, which
// decomposed Vietnamese text uses for its tone marks).
std::string_view TruncateUtf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto is_continuation = [&](std::size_t i) { return (byte(i) & 0xC0u) == 0x80u; };
  auto is_combining_mark = [&](std::size_t i) {
    return (byte(i) == 0xCC && is_continuation(i + 1)) ||
           (byte(i) == 0xCD && byte(i + 1) >= 0x80 && byte(i + 1) <= 0xAF);
  };
  std::size_t cut = max_bytes;
  while (cut > 0 && is_continuation(cut)) --cut;
  while (cut > 0 && is_combining_mark(cut)) {
    --cut;
    while (cut > 0 && is_continuation(cut)) --cut;
  }
  return s.substr(0, cut);
}

// A field value; monostate is null.
using FieldValue = std::variant<std::monostate, std::string_view, std::int64_t, double, CivilDate>;

FieldValue Text(const std::string& s) {
  if (s.empty()) return {};
  return std::string_view(s);
}
FieldValue Number(double v) {
  if (!std::isfinite(v)) return {};
  return v;
}
FieldValue Count(std::int64_t v) { return v; }
FieldValue Date(std::int64_t unix_ms) { return CivilFromUnixMs(unix_ms); }

struct FieldSpec {
  const char* name;
  OGRFieldType type;
  FieldValue (*value)(const Gap&);
  // Shapefile (DBF) width and decimals of Real fields, chosen for the field's range; 0 = default.
  int shp_width = 0;
  int shp_precision = 0;
};

// The gap attributes of docs/domain.md, in order, then the prediction's evidence fields
// (docs/prediction.md), appended so that earlier columns keep their positions. Names are at most
// 10 characters.
const std::array<FieldSpec, 29> kFields = {{
    {"gap_id", OFTString, [](const Gap& g) { return Text(g.gap_id); }},
    {"operator", OFTString, [](const Gap& g) { return Text(g.operator_id); }},
    {"tech", OFTString, [](const Gap& g) -> FieldValue { return ToString(g.tech); }},
    {"kind", OFTString, [](const Gap& g) -> FieldValue { return ToString(g.kind); }},
    {"severity", OFTReal, [](const Gap& g) { return Number(g.severity); }, 24, 15},
    {"area_m2", OFTReal, [](const Gap& g) { return Number(g.area_m2); }, 24, 6},
    {"n_cells", OFTInteger64, [](const Gap& g) { return Count(g.n_cells); }},
    {"n_samples", OFTInteger64, [](const Gap& g) { return Count(g.n_samples); }},
    {"median_dbm", OFTReal, [](const Gap& g) { return Number(g.median_dbm); }, 24, 10},
    {"min_dbm", OFTInteger, [](const Gap& g) { return Count(g.min_dbm); }},
    {"province", OFTString, [](const Gap& g) { return Text(g.province); }},
    {"district", OFTString, [](const Gap& g) { return Text(g.district); }},
    {"commune", OFTString, [](const Gap& g) { return Text(g.commune); }},
    {"schools", OFTInteger64, [](const Gap& g) { return Count(g.schools); }},
    {"stud_nodev", OFTInteger64, [](const Gap& g) { return Count(g.students_nodev); }},
    {"poor_hh", OFTInteger64, [](const Gap& g) { return Count(g.poor_hh); }},
    {"npoor_hh", OFTInteger64, [](const Gap& g) { return Count(g.npoor_hh); }},
    {"score", OFTReal, [](const Gap& g) { return Number(g.score); }, 24, 10},
    {"rank", OFTInteger64, [](const Gap& g) { return Count(g.rank); }},
    {"status", OFTString, [](const Gap& g) { return Text(g.status); }},
    {"plan", OFTString, [](const Gap& g) { return Text(g.plan); }},
    {"target_dt", OFTDate,
     [](const Gap& g) { return g.target_ms ? Date(*g.target_ms) : FieldValue{}; }},
    {"analysed", OFTDate, [](const Gap& g) { return Date(g.analysed_ms); }},
    {"evidence", OFTString, [](const Gap& g) -> FieldValue { return ToString(g.evidence); }},
    {"p_good", OFTReal, [](const Gap& g) { return Number(g.p_good); }, 24, 15},
    {"meas_share", OFTReal, [](const Gap& g) { return Number(g.meas_share); }, 24, 15},
    {"grp_rank", OFTInteger64, [](const Gap& g) { return Count(g.grp_rank); }},
    {"common_id", OFTString, [](const Gap& g) { return Text(g.common_id); }},
    {"contains", OFTString, [](const Gap& g) { return Text(g.contains); }},
}};

// ---------------------------------------------------------------------------------------------
// Formats

struct FormatTraits {
  const char* driver;
  const char* staged_name;  // file name of the dataset inside the staging directory
  std::vector<const char*> layer_options;
};

FormatTraits TraitsOf(ExportFormat format) {
  switch (format) {
    case ExportFormat::kShapefile:
      // The staging directory itself is the data source: the driver names the files after the
      // layer. ENCODING=UTF-8 writes the .cpg and keeps strings as they are.
      return {"ESRI Shapefile", "shp", {"ENCODING=UTF-8", nullptr}};
    case ExportFormat::kGeoPackage:
      return {"GPKG", "export.gpkg", {nullptr}};
    case ExportFormat::kGeoJson:
      // Not RFC7946=YES: that mode writes one-part MultiPolygons as Polygons. WGS84 layers get no
      // SRS (so no `crs` member) and right-hand-rule rings instead; see OrientRightHanded.
      return {"GeoJSON", "export.geojson", {nullptr}};
    case ExportFormat::kCsv:
      // The BOM makes spreadsheet programs read the file as UTF-8.
      return {"CSV",
              "export.csv",
              {"GEOMETRY=AS_WKT", "WRITE_BOM=YES", "STRING_QUOTING=IF_NEEDED", nullptr}};
    case ExportFormat::kKml:
      // The KML driver keeps MultiGeometry for single-part MultiPolygons; LIBKML flattens them.
      return {"KML", "export.kml", {nullptr}};
  }
  return {"", "", {nullptr}};
}

// The field type a format stores for `type`. KML has no 64-bit integers or dates; CSV has no types
// at all, and GDAL would write dates there as YYYY/MM/DD, so both get ISO 8601 text.
OGRFieldType StoredType(ExportFormat format, OGRFieldType type) {
  if (format == ExportFormat::kKml && type == OFTInteger64) return OFTReal;
  if ((format == ExportFormat::kKml || format == ExportFormat::kCsv) && type == OFTDate) {
    return OFTString;
  }
  return type;
}

bool IsWgs84(OGRSpatialReferenceH srs) {
  auto wgs84 = MakeSrs("EPSG:4326");
  return wgs84.ok() && OSRIsSame(srs, wgs84->get());
}

// ---------------------------------------------------------------------------------------------
// GDAL plumbing

std::string GdalMessage() {
  const char* message = CPLGetLastErrorMsg();
  return message != nullptr && *message != '\0' ? message : "GDAL gave no message";
}

Status GdalFailure(const std::string& what) { return Internal(what + ": " + GdalMessage()); }

// A directory in /vsimem removed with everything in it when this goes out of scope.
class MemDir {
 public:
  MemDir() {
    static std::atomic<std::uint64_t> counter{0};
    path_ = "/vsimem/covgap_export_" + std::to_string(counter.fetch_add(1));
    VSIMkdir(path_.c_str(), 0755);
  }
  ~MemDir() { VSIRmdirRecursive(path_.c_str()); }
  MemDir(const MemDir&) = delete;
  MemDir& operator=(const MemDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The temporary file next to the destination; removed unless Commit() renamed it into place.
class PendingFile {
 public:
  explicit PendingFile(const std::string& destination) : destination_(destination) {
    static std::atomic<std::uint64_t> counter{0};
    path_ = destination + ".tmp" + std::to_string(getpid()) + "_" +
            std::to_string(counter.fetch_add(1));
  }
  ~PendingFile() {
    if (!committed_) VSIUnlink(path_.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  const std::string& path() const { return path_; }

  Status Commit() {
    CPLErrorReset();
    if (VSIRename(path_.c_str(), destination_.c_str()) != 0) {
      return Internal("cannot move the export into place at '" + destination_ +
                      "': " + VSIStrerror(errno));
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  std::string destination_;
  std::string path_;
  bool committed_ = false;
};

struct MemBuffer {
  const GByte* data;
  vsi_l_offset size;
};

StatusOr<MemBuffer> ReadMemFile(const std::string& path) {
  vsi_l_offset size = 0;
  const GByte* data = VSIGetMemFileBuffer(path.c_str(), &size, FALSE);
  if (data == nullptr) return Internal("GDAL did not write '" + path + "'");
  return MemBuffer{data, size};
}

Status WriteFile(const std::string& path, const MemBuffer& buffer) {
  CPLErrorReset();
  VsiFile file(VSIFOpenL(path.c_str(), "wb"));
  if (file == nullptr) {
    return Internal("cannot create '" + path + "': " + VSIStrerror(errno));
  }
  const bool written =
      buffer.size == 0 || VSIFWriteL(buffer.data, 1, buffer.size, file.get()) == buffer.size;
  const bool closed = CloseVsiFile(std::move(file));
  if (!written || !closed) return Internal("cannot write '" + path + "': " + VSIStrerror(errno));
  return Status::Ok();
}

// Zips the shapefile members of `layer` from `dir` into `zip_path`.
Status ZipShapefile(const std::string& dir, const std::string& layer, const std::string& zip_path) {
  CPLErrorReset();
  ZipPtr zip(CPLCreateZip(zip_path.c_str(), nullptr));
  if (!zip) return GdalFailure("cannot create '" + zip_path + "'");
  for (const char* extension : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
    const std::string member = layer + extension;
    auto buffer = ReadMemFile(dir + "/" + member);
    if (!buffer.ok()) return buffer.status();
    if (CPLCreateFileInZip(zip.get(), member.c_str(), nullptr) != CE_None) {
      return GdalFailure("cannot add '" + member + "' to '" + zip_path + "'");
    }
    constexpr vsi_l_offset kChunk = 1 << 30;  // CPLWriteFileInZip takes an int size
    for (vsi_l_offset offset = 0; offset < buffer->size; offset += kChunk) {
      const int n = static_cast<int>(std::min(kChunk, buffer->size - offset));
      if (CPLWriteFileInZip(zip.get(), buffer->data + offset, n) != CE_None) {
        return GdalFailure("cannot write '" + member + "' into '" + zip_path + "'");
      }
    }
    if (CPLCloseFileInZip(zip.get()) != CE_None) {
      return GdalFailure("cannot write '" + member + "' into '" + zip_path + "'");
    }
  }
  if (!CloseZip(std::move(zip))) return GdalFailure("cannot close '" + zip_path + "'");
  return Status::Ok();
}

// Transformations from the gaps' CRSs to the target CRS, made once per source CRS.
class TransformCache {
 public:
  explicit TransformCache(OGRSpatialReferenceH target) : target_(target) {}

  // nullptr when `crs` is the target CRS (no transformation needed).
  StatusOr<OGRCoordinateTransformationH> For(const std::string& crs) {
    if (auto it = cache_.find(crs); it != cache_.end()) return it->second.get();
    auto source = MakeSrs(crs);
    if (!source.ok()) return source.status();
    TransformPtr transform;
    if (!OSRIsSame(source->get(), target_)) {
      CPLErrorReset();
      transform.reset(OCTNewCoordinateTransformation(source->get(), target_));
      if (!transform) {
        return InvalidArgument("no coordinate transformation from '" + crs +
                               "' to the target CRS: " + GdalMessage());
      }
    }
    return cache_.emplace(crs, std::move(transform)).first->second.get();
  }

 private:
  OGRSpatialReferenceH target_;
  std::map<std::string, TransformPtr> cache_;
};

// Twice the signed area of a ring (shoelace formula): positive when counter-clockwise.
double SignedArea2(OGRGeometryH ring) {
  double sum = 0;
  for (int i = 0, n = OGR_G_GetPointCount(ring); i + 1 < n; ++i) {
    sum += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) -
           OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
  }
  return sum;
}

void ReverseRing(OGRGeometryH ring) {
  for (int i = 0, j = OGR_G_GetPointCount(ring) - 1; i < j; ++i, --j) {
    const double x = OGR_G_GetX(ring, i);
    const double y = OGR_G_GetY(ring, i);
    OGR_G_SetPoint_2D(ring, i, OGR_G_GetX(ring, j), OGR_G_GetY(ring, j));
    OGR_G_SetPoint_2D(ring, j, x, y);
  }
}

// RFC 7946 section 3.1.6: exterior rings counter-clockwise, holes clockwise.
void OrientRightHanded(OGRGeometryH multipolygon) {
  for (int p = 0; p < OGR_G_GetGeometryCount(multipolygon); ++p) {
    OGRGeometryH polygon = OGR_G_GetGeometryRef(multipolygon, p);
    for (int r = 0; r < OGR_G_GetGeometryCount(polygon); ++r) {
      OGRGeometryH ring = OGR_G_GetGeometryRef(polygon, r);
      const bool counter_clockwise = SignedArea2(ring) > 0;
      if (counter_clockwise != (r == 0)) ReverseRing(ring);
    }
  }
}

// The gap's geometry as a 2D MultiPolygon in the target CRS.
StatusOr<OgrGeometryPtr> ExportGeometry(const Gap& gap, TransformCache& transforms) {
  const std::string who = "gap '" + gap.gap_id + "'";
  if (gap.crs.empty()) return InvalidArgument(who + " has no CRS");
  CPLErrorReset();
  OGRGeometryH raw = nullptr;
  if (gap.wkb.empty() ||
      OGR_G_CreateFromWkbEx(gap.wkb.data(), nullptr, &raw, gap.wkb.size()) != OGRERR_NONE) {
    return InvalidArgument(who + ": geometry is not valid WKB");
  }
  OgrGeometryPtr geometry(raw);
  const OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(geometry.get()));
  if (type == wkbPolygon) {
    geometry.reset(OGR_G_ForceToMultiPolygon(geometry.release()));
  } else if (type != wkbMultiPolygon) {
    return InvalidArgument(who + ": geometry is a " + OGRGeometryTypeToName(type) +
                           ", not a (Multi)Polygon");
  }
  OGR_G_FlattenTo2D(geometry.get());

  auto transform = transforms.For(gap.crs);
  if (!transform.ok()) return InvalidArgument(who + ": " + transform.status().message());
  if (*transform != nullptr) {
    CPLErrorReset();
    if (OGR_G_Transform(geometry.get(), *transform) != OGRERR_NONE) {
      return InvalidArgument(who + ": cannot transform its geometry from '" + gap.crs +
                             "' to the target CRS: " + GdalMessage());
    }
  }
  return geometry;
}

// Byte widths of the string fields of a shapefile: the longest (truncated) value, at least 1.
std::array<int, kFields.size()> ShapefileStringWidths(const std::vector<Gap>& gaps) {
  std::array<int, kFields.size()> widths{};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (kFields[i].type != OFTString) continue;
    std::size_t width = 1;
    for (const Gap& gap : gaps) {
      const FieldValue value = kFields[i].value(gap);
      if (const auto* text = std::get_if<std::string_view>(&value)) {
        width = std::max(width, TruncateUtf8(*text, kShapefileMaxStringBytes).size());
      }
    }
    widths[i] = static_cast<int>(width);
  }
  return widths;
}

using FieldIndices = std::array<int, kFields.size()>;

// Creates the fields; returns their indices in the layer (the KML driver has its own Name and
// Description fields first).
StatusOr<FieldIndices> CreateFields(OGRLayerH layer, ExportFormat format,
                                    const std::vector<Gap>& gaps) {
  FieldIndices indices{};
  std::array<int, kFields.size()> string_widths{};
  if (format == ExportFormat::kShapefile) string_widths = ShapefileStringWidths(gaps);
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    const FieldSpec& spec = kFields[i];
    const FieldDefnPtr field(OGR_Fld_Create(spec.name, StoredType(format, spec.type)));
    if (format == ExportFormat::kShapefile) {
      if (spec.type == OFTString) OGR_Fld_SetWidth(field.get(), string_widths[i]);
      if (spec.shp_width > 0) {
        OGR_Fld_SetWidth(field.get(), spec.shp_width);
        OGR_Fld_SetPrecision(field.get(), spec.shp_precision);
      }
    }
    CPLErrorReset();
    const OGRErr err = OGR_L_CreateField(layer, field.get(), TRUE);
    if (err != OGRERR_NONE) return GdalFailure(std::string("cannot create field ") + spec.name);
    // The export promises these exact names, in this order: no driver may launder them.
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const int last = OGR_FD_GetFieldCount(defn) - 1;
    if (last < 0 ||
        std::string_view(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, last))) != spec.name) {
      return Internal(std::string("the driver renamed field ") + spec.name);
    }
    indices[i] = last;
  }
  return indices;
}

void SetField(OGRFeatureH feature, int index, OGRFieldType stored_type, const FieldValue& value,
              ExportFormat format) {
  if (std::holds_alternative<std::monostate>(value)) {
    OGR_F_SetFieldNull(feature, index);
  } else if (const auto* text = std::get_if<std::string_view>(&value)) {
    const std::string_view kept =
        format == ExportFormat::kShapefile ? TruncateUtf8(*text, kShapefileMaxStringBytes) : *text;
    OGR_F_SetFieldString(feature, index, std::string(kept).c_str());
  } else if (const auto* count = std::get_if<std::int64_t>(&value)) {
    if (stored_type == OFTReal) {
      OGR_F_SetFieldDouble(feature, index, static_cast<double>(*count));
    } else {
      OGR_F_SetFieldInteger64(feature, index, *count);
    }
  } else if (const auto* number = std::get_if<double>(&value)) {
    OGR_F_SetFieldDouble(feature, index, *number);
  } else if (const auto* date = std::get_if<CivilDate>(&value)) {
    if (stored_type == OFTDate) {
      OGR_F_SetFieldDateTimeEx(feature, index, date->year, date->month, date->day, 0, 0, 0, 0);
    } else {
      OGR_F_SetFieldString(feature, index, FormatDate(*date).c_str());
    }
  }
}

Status WriteFeatures(OGRLayerH layer, const FieldIndices& indices, ExportFormat format,
                     OGRSpatialReferenceH target, const std::vector<Gap>& gaps) {
  TransformCache transforms(target);
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  for (const Gap& gap : gaps) {
    auto geometry = ExportGeometry(gap, transforms);
    if (!geometry.ok()) return geometry.status();
    if (format == ExportFormat::kGeoJson) OrientRightHanded(geometry->get());
    FeaturePtr feature(OGR_F_Create(defn));
    for (std::size_t i = 0; i < kFields.size(); ++i) {
      const int index = indices[i];
      SetField(feature.get(), index, OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, index)),
               kFields[i].value(gap), format);
    }
    CPLErrorReset();
    if (OGR_F_SetGeometryDirectly(feature.get(), geometry->release()) != OGRERR_NONE ||
        OGR_L_CreateFeature(layer, feature.get()) != OGRERR_NONE) {
      return GdalFailure("cannot write gap '" + gap.gap_id + "'");
    }
  }
  return Status::Ok();
}

bool ValidLayerName(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20;
  });
}

// The target CRS, checked against what the format can carry.
StatusOr<SrsPtr> TargetSrs(const ExportOptions& options) {
  auto target = MakeSrs(options.target_crs);
  if (!target.ok()) return target.status();
  const bool wgs84 = IsWgs84(target->get());
  if (options.format == ExportFormat::kKml && !wgs84) {
    return InvalidArgument("KML holds WGS84 longitude/latitude only (EPSG:4326), not '" +
                           options.target_crs + "'; use gpkg or shp for other CRSs");
  }
  if (options.format == ExportFormat::kGeoJson && !wgs84) {
    // GDAL writes a GeoJSON 2008 `crs` member only for an EPSG code; without one, readers would
    // take the coordinates for WGS84.
    OSRAutoIdentifyEPSG(target->get());
    const char* authority = OSRGetAuthorityName(target->get(), nullptr);
    if (authority == nullptr || !EQUAL(authority, "EPSG")) {
      return InvalidArgument("GeoJSON can name a CRS other than WGS84 only by an EPSG code; '" +
                             options.target_crs + "' has none (use gpkg or shp)");
    }
  }
  return target;
}

// Writes the dataset into `dir` (a /vsimem directory); returns the staged path (for a shapefile,
// the directory holding its members).
StatusOr<std::string> WriteStaged(const std::vector<Gap>& gaps, const ExportOptions& options,
                                  OGRSpatialReferenceH target, const std::string& dir) {
  const FormatTraits traits = TraitsOf(options.format);
  GDALDriverH driver = GDALGetDriverByName(traits.driver);
  if (driver == nullptr) {
    return Internal(std::string("GDAL has no '") + traits.driver + "' driver");
  }
  const std::string staged = dir + "/" + traits.staged_name;
  CPLErrorReset();
  DatasetPtr dataset(GDALCreate(driver, staged.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!dataset) return GdalFailure(std::string("cannot create a ") + traits.driver + " dataset");

  // WGS84 GeoJSON carries no CRS (RFC 7946); GDAL would write a GeoJSON 2008 `crs` member.
  const bool implicit_crs = options.format == ExportFormat::kGeoJson && IsWgs84(target);
  CPLErrorReset();
  OGRLayerH layer = GDALDatasetCreateLayer(dataset.get(), options.layer_name.c_str(),
                                           implicit_crs ? nullptr : target, wkbMultiPolygon,
                                           traits.layer_options.data());
  if (layer == nullptr) return GdalFailure("cannot create layer '" + options.layer_name + "'");
  auto indices = CreateFields(layer, options.format, gaps);
  if (!indices.ok()) return indices.status();

  const bool transaction = options.format == ExportFormat::kGeoPackage &&
                           GDALDatasetStartTransaction(dataset.get(), FALSE) == OGRERR_NONE;
  if (Status s = WriteFeatures(layer, *indices, options.format, target, gaps); !s.ok()) return s;
  CPLErrorReset();
  if (transaction && GDALDatasetCommitTransaction(dataset.get()) != OGRERR_NONE) {
    return GdalFailure("cannot commit the GeoPackage");
  }
  CPLErrorReset();
  dataset.reset();  // GDALClose flushes; it reports failures only through CPLError
  if (CPLGetLastErrorType() >= CE_Failure) {
    return GdalFailure(std::string("cannot finish the ") + traits.driver + " dataset");
  }
  return staged;
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (ExportFormat format : {ExportFormat::kShapefile, ExportFormat::kGeoPackage,
                              ExportFormat::kGeoJson, ExportFormat::kCsv, ExportFormat::kKml}) {
    if (lower == ToString(format)) return format;
  }
  return std::nullopt;
}

std::string_view ToString(ExportFormat format) {
  switch (format) {
    case ExportFormat::kShapefile:
      return "shp";
    case ExportFormat::kGeoPackage:
      return "gpkg";
    case ExportFormat::kGeoJson:
      return "geojson";
    case ExportFormat::kCsv:
      return "csv";
    case ExportFormat::kKml:
      return "kml";
  }
  return "";
}

std::string_view DefaultExtension(ExportFormat format) {
  switch (format) {
    case ExportFormat::kShapefile:
      return ".zip";
    case ExportFormat::kGeoPackage:
      return ".gpkg";
    case ExportFormat::kGeoJson:
      return ".geojson";
    case ExportFormat::kCsv:
      return ".csv";
    case ExportFormat::kKml:
      return ".kml";
  }
  return "";
}

Status WriteGapExport(const std::vector<Gap>& gaps, const ExportOptions& options,
                      const std::string& path) {
  InitGdal();
  if (!ValidLayerName(options.layer_name)) {
    return InvalidArgument("layer name '" + options.layer_name +
                           "' must be non-empty and without '/', '\\', ':' or control characters");
  }
  if (path.empty()) return InvalidArgument("no output path");
  auto target = TargetSrs(options);
  if (!target.ok()) return target.status();

  const MemDir dir;
  auto staged = WriteStaged(gaps, options, target->get(), dir.path());
  if (!staged.ok()) return staged.status();

  PendingFile pending(path);
  if (options.format == ExportFormat::kShapefile) {
    if (Status s = ZipShapefile(*staged, options.layer_name, pending.path()); !s.ok()) {
      return s;
    }
  } else {
    auto buffer = ReadMemFile(*staged);
    if (!buffer.ok()) return buffer.status();
    if (Status s = WriteFile(pending.path(), *buffer); !s.ok()) return s;
  }
  return pending.Commit();
}

// ---------------------------------------------------------------------------------------------
// Feature services

std::vector<GapField> GapFields() {
  std::vector<GapField> out;
  for (const FieldSpec& f : kFields) {
    switch (f.type) {
      case OFTInteger:
      case OFTInteger64:
        out.push_back({f.name, "integer", false});
        break;
      case OFTReal:
        out.push_back({f.name, "number", false});
        break;
      case OFTDate:
        out.push_back({f.name, "string", true});
        break;
      default:
        out.push_back({f.name, "string", false});
    }
  }
  return out;
}

void WriteGapProperties(const Gap& gap, JsonWriter& json) {
  for (const FieldSpec& f : kFields) {
    json.Key(f.name);
    const FieldValue value = f.value(gap);
    if (const auto* text = std::get_if<std::string_view>(&value)) {
      json.String(*text);
    } else if (const auto* count = std::get_if<std::int64_t>(&value)) {
      json.Number(*count);
    } else if (const auto* number = std::get_if<double>(&value)) {
      json.Number(*number);
    } else if (const auto* date = std::get_if<CivilDate>(&value)) {
      json.String(FormatDate(*date));
    } else {
      json.Null();
    }
  }
}

struct ShapeEncoderImpl {
  SrsPtr target;
  std::unique_ptr<TransformCache> transforms;
  bool lat_first = false;
  std::string precision;  // "COORDINATE_PRECISION=n"
};

namespace {

StatusOr<EncodedShape> FinishShape(ShapeEncoderImpl& impl, OgrGeometryPtr geometry,
                                   const std::string& what) {
  const OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(geometry.get()));
  if (type == wkbPolygon) geometry.reset(OGR_G_ForceToMultiPolygon(geometry.release()));
  if (type == wkbPolygon || type == wkbMultiPolygon) OrientRightHanded(geometry.get());
  EncodedShape shape;
  OGREnvelope env;
  OGR_G_GetEnvelope(geometry.get(), &env);
  shape.envelope = {env.MinX, env.MinY, env.MaxX, env.MaxY};
  if (impl.lat_first) {
    OGR_G_SwapXY(geometry.get());
    shape.envelope = {env.MinY, env.MinX, env.MaxY, env.MaxX};
  }
  const char* options[] = {impl.precision.c_str(), nullptr};
  CPLErrorReset();
  CplString json(OGR_G_ExportToJsonEx(geometry.get(), const_cast<char**>(options)));
  if (!json) return Internal("cannot write " + what + " as GeoJSON: " + GdalMessage());
  shape.geometry_json = json.get();
  return shape;
}

StatusOr<OgrGeometryPtr> Reproject(OgrGeometryPtr geometry, const std::string& crs,
                                   TransformCache& transforms, const std::string& what) {
  auto transform = transforms.For(crs);
  if (!transform.ok()) return InvalidArgument(what + ": " + transform.status().message());
  if (*transform != nullptr) {
    CPLErrorReset();
    if (OGR_G_Transform(geometry.get(), *transform) != OGRERR_NONE) {
      return InvalidArgument(what + ": cannot transform its geometry from '" + crs +
                             "' to the target CRS: " + GdalMessage());
    }
  }
  return geometry;
}

}  // namespace

ShapeEncoder::ShapeEncoder(std::unique_ptr<ShapeEncoderImpl> impl) : impl_(std::move(impl)) {}
ShapeEncoder::ShapeEncoder(ShapeEncoder&&) noexcept = default;
ShapeEncoder& ShapeEncoder::operator=(ShapeEncoder&&) noexcept = default;
ShapeEncoder::~ShapeEncoder() = default;

StatusOr<ShapeEncoder> ShapeEncoder::Make(const std::string& target_crs, bool lat_first,
                                          int decimals) {
  auto target = MakeSrs(target_crs);
  if (!target.ok()) return target.status();
  auto impl = std::make_unique<ShapeEncoderImpl>();
  impl->target = std::move(target.value());
  impl->transforms = std::make_unique<TransformCache>(impl->target.get());
  impl->lat_first = lat_first;
  impl->precision = "COORDINATE_PRECISION=" + std::to_string(std::clamp(decimals, 0, 15));
  return ShapeEncoder(std::move(impl));
}

StatusOr<EncodedShape> ShapeEncoder::Encode(const Gap& gap) {
  auto geometry = ExportGeometry(gap, *impl_->transforms);
  if (!geometry.ok()) return geometry.status();
  return FinishShape(*impl_, std::move(geometry.value()), "gap '" + gap.gap_id + "'");
}

StatusOr<EncodedShape> ShapeEncoder::EncodeWkb(const std::string& wkb, const std::string& crs,
                                               const std::string& what) {
  CPLErrorReset();
  OGRGeometryH raw = nullptr;
  if (wkb.empty() || OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &raw, wkb.size()) != OGRERR_NONE) {
    return InvalidArgument(what + ": geometry is not valid WKB");
  }
  OgrGeometryPtr geometry(raw);
  OGR_G_FlattenTo2D(geometry.get());
  auto projected = Reproject(std::move(geometry), crs, *impl_->transforms, what);
  if (!projected.ok()) return projected.status();
  return FinishShape(*impl_, std::move(projected.value()), what);
}

StatusOr<EncodedShape> ShapeEncoder::EncodeLonLat(double lon, double lat) {
  OgrGeometryPtr point(OGR_G_CreateGeometry(wkbPoint));
  OGR_G_SetPoint_2D(point.get(), 0, lon, lat);
  auto projected = Reproject(std::move(point), "EPSG:4326", *impl_->transforms, "a point");
  if (!projected.ok()) return projected.status();
  return FinishShape(*impl_, std::move(projected.value()), "a point");
}

}  // namespace covgap::geo
