#include "importers/vector_source.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <unicode/unistr.h>

#include <cstdio>

#include "geo/spatial/gdal_handles.h"

namespace covgap::importers {
namespace {

constexpr int kEncodingSamples = 2000;

std::string FoldCase(std::string_view s) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())))
      .foldCase()
      .toUTF8String(out);
  return NormalizeNfc(out);
}

std::string Extension(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : LowerAscii(path.substr(dot + 1));
}

const std::string kAskForCrs =
    " Pass the CRS of the data (--crs, e.g. EPSG:9214 for VN-2000 / TM-3 107-00 as used in "
    "Bắc Giang, or EPSG:32648 for UTM 48N) or add the right .prj.";

}  // namespace

std::string JoinNames(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)";
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

StatusOr<geo::DatasetPtr> OpenVectorSource(const std::string& path) {
  geo::InitGdal();
  std::string source = path;
  if (Extension(path) == "zip" && !path.starts_with("/vsizip/")) source = "/vsizip/" + path;
  // Shapefile text raw (we decide the encoding); spreadsheets: the first row is the header.
  const std::string ext = Extension(path);
  const bool spreadsheet = ext == "xlsx" || ext == "ods";
  const char* const shp_options[] = {"ENCODING=", nullptr};
  const char* const sheet_options[] = {nullptr};
  CPLErrorReset();
  CPLPushErrorHandler(CPLQuietErrorHandler);
  geo::DatasetPtr ds(GDALOpenEx(source.c_str(),
                                GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr,
                                spreadsheet ? sheet_options : shp_options, nullptr));
  CPLPopErrorHandler();
  if (!ds) {
    VSIStatBufL st;
    if (VSIStatL(source.c_str(), &st) != 0) return NotFound(path + ": no such file");
    const std::string gdal_says = CPLGetLastErrorMsg();
    return InvalidArgument(path +
                           ": not a vector source GDAL can read (CSV, XLSX, ODS, Shapefile, "
                           "GeoPackage, GeoJSON, KML)" +
                           (gdal_says.empty() ? "" : ": " + gdal_says));
  }
  return ds;
}

SpreadsheetHeaders::SpreadsheetHeaders() {
  CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
  CPLSetThreadLocalConfigOption("OGR_ODS_HEADERS", "FORCE");
}

SpreadsheetHeaders::~SpreadsheetHeaders() {
  CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", nullptr);
  CPLSetThreadLocalConfigOption("OGR_ODS_HEADERS", nullptr);
}

std::vector<std::string> FieldNames(OGRLayerH layer) {
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  std::vector<std::string> names;
  for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
    names.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
  }
  return names;
}

int FindField(const std::vector<std::string>& fields, std::string_view wanted) {
  const std::string folded = FoldCase(TrimBlanks(wanted));
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (FoldCase(TrimBlanks(fields[i])) == folded) return static_cast<int>(i);
  }
  return -1;
}

StatusOr<geo::TransformPtr> PlanReprojectionToWgs84(OGRLayerH layer, const std::string& path,
                                                    const std::string& source_crs) {
  geo::SrsPtr source;
  if (!source_crs.empty()) {
    StatusOr<geo::SrsPtr> srs = geo::MakeSrs(source_crs);
    if (!srs.ok()) return srs.status();
    source = std::move(srs.value());
  } else if (OGRSpatialReferenceH declared = OGR_L_GetSpatialRef(layer)) {
    source.reset(OSRClone(declared));
    OSRSetAxisMappingStrategy(source.get(), OAMS_TRADITIONAL_GIS_ORDER);
  }
  OGREnvelope env{};
  const bool has_extent = OGR_L_GetExtent(layer, &env, TRUE) == OGRERR_NONE;
  const bool lon_lat_range =
      !has_extent || (env.MinX >= -180 && env.MaxX <= 180 && env.MinY >= -90 && env.MaxY <= 90);
  char extent[160] = "";
  std::snprintf(extent, sizeof extent, "x %.6g..%.6g, y %.6g..%.6g", env.MinX, env.MaxX, env.MinY,
                env.MaxY);
  if (!source) {
    if (!lon_lat_range) {
      return InvalidArgument(path +
                             ": the layer has no coordinate reference system (.prj missing?) and "
                             "its coordinates (" +
                             extent + ") are not longitude/latitude: they look projected." +
                             kAskForCrs);
    }
    return geo::TransformPtr();
  }
  if (OSRIsGeographic(source.get()) && !lon_lat_range) {
    return InvalidArgument(
        path + ": the layer's CRS is geographic (degrees) but its coordinates (" + extent +
        ") are out of longitude/latitude range: the CRS is wrong." + kAskForCrs);
  }
  StatusOr<geo::SrsPtr> wgs84 = geo::MakeSrs("EPSG:4326");
  if (!wgs84.ok()) return wgs84.status();
  if (OSRIsSame(source.get(), wgs84->get())) return geo::TransformPtr();
  geo::TransformPtr transform(OCTNewCoordinateTransformation(source.get(), wgs84->get()));
  if (!transform) {
    return InvalidArgument(
        path + ": cannot transform from the layer's CRS to EPSG:4326: " + CPLGetLastErrorMsg());
  }
  return transform;
}

StatusOr<geo::TransformPtr> PlanColumnReprojection(const std::string& path,
                                                   const std::string& source_crs,
                                                   bool looks_projected,
                                                   const std::string& sample) {
  if (source_crs.empty()) {
    if (looks_projected) {
      return InvalidArgument(path + ": the coordinate columns hold values like " + sample +
                             " that are not longitude/latitude: they look projected (metres)." +
                             kAskForCrs);
    }
    return geo::TransformPtr();
  }
  auto source = geo::MakeSrs(source_crs);
  if (!source.ok()) return source.status();
  auto wgs84 = geo::MakeSrs("EPSG:4326");
  if (!wgs84.ok()) return wgs84.status();
  if (OSRIsSame(source->get(), wgs84->get())) return geo::TransformPtr();
  geo::TransformPtr transform(OCTNewCoordinateTransformation(source->get(), wgs84->get()));
  if (!transform) return InvalidArgument("cannot transform from " + source_crs + " to EPSG:4326");
  return transform;
}

TextDecoder TextDecoder::ForLayer(GDALDatasetH ds, OGRLayerH layer, const std::string& path,
                                  std::optional<Encoding> forced) {
  if (forced) return TextDecoder(*forced, "encoding given: " + std::string(ToString(*forced)));
  const std::string driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
  std::optional<Encoding> claimed;
  std::string claim_source;
  if (driver == "ESRI Shapefile") {
    // The .cpg beside the .dbf, if any: the encoding the file claims.
    std::string base = path;
    if (Extension(path) == "zip") {
      base = "/vsizip/" + path + "/" + OGR_L_GetName(layer);
    } else if (Extension(path) == "shp" || Extension(path) == "dbf") {
      base = path.substr(0, path.rfind('.'));
    } else {
      base = path + "/" + OGR_L_GetName(layer);
    }
    for (const char* ext : {".cpg", ".CPG"}) {
      const geo::VsiFile f(VSIFOpenL((base + ext).c_str(), "rb"));
      if (f == nullptr) continue;
      char buf[64] = {};
      const std::size_t n = VSIFReadL(buf, 1, sizeof buf - 1, f.get());
      const std::string cpg(TrimBlanks(std::string_view(buf, n)));
      claimed = ParseEncoding(cpg);
      if (!claimed && (cpg == "65001" || LowerAscii(cpg) == "utf8")) claimed = Encoding::kUtf8;
      if (!claimed && cpg == "1258") claimed = Encoding::kCp1258;
      claim_source = "the .cpg says " + cpg;
      break;
    }
  } else {
    claimed = Encoding::kUtf8;  // GeoPackage, GeoJSON, KML, XLSX, ODS define UTF-8
    claim_source = driver + " text is UTF-8";
  }
  std::vector<std::string> samples;
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  OGR_L_ResetReading(layer);
  for (geo::FeaturePtr f(OGR_L_GetNextFeature(layer));
       f && static_cast<int>(samples.size()) < kEncodingSamples;
       f.reset(OGR_L_GetNextFeature(layer))) {
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
      if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)) != OFTString) continue;
      if (!OGR_F_IsFieldSetAndNotNull(f.get(), i)) continue;
      std::string v = OGR_F_GetFieldAsString(f.get(), i);
      if (!v.empty()) samples.push_back(std::move(v));
    }
  }
  OGR_L_ResetReading(layer);
  for (const std::string& name : FieldNames(layer)) samples.push_back(name);
  const EncodingGuess guess = DetectEncoding(samples, claimed);
  std::string note;
  if (driver == "ESRI Shapefile") {
    // The guess's reason speaks of the .cpg: right here, and said only when it matters.
    if (!claimed || *claimed != guess.encoding || guess.encoding != Encoding::kUtf8) {
      note = guess.reason;
    }
  } else if (guess.encoding != Encoding::kUtf8) {
    note = claim_source + ", but this text reads as " + std::string(ToString(guess.encoding));
  }
  return TextDecoder(guess.encoding, note);
}

TextDecoder TextDecoder::ForText(std::string_view text, std::optional<Encoding> forced) {
  if (forced) return TextDecoder(*forced, "encoding given: " + std::string(ToString(*forced)));
  std::vector<std::string> samples;
  std::size_t start = 0, non_ascii = 0, invalid = 0;
  while (start < text.size() && samples.size() < 20000) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    bool ascii = true;
    for (unsigned char c : line) ascii &= c < 0x80;
    if (ascii) continue;
    ++non_ascii;
    invalid += !IsValidUtf8(line);
    samples.emplace_back(line);
  }
  // A UTF-8 file with a few damaged lines stays UTF-8: those lines are rejected one by one.
  if (non_ascii == 0 || invalid * 10 < non_ascii) return TextDecoder(Encoding::kUtf8);
  const EncodingGuess guess = DetectEncoding(samples, std::nullopt);
  return TextDecoder(guess.encoding, guess.encoding == Encoding::kUtf8 ? "" : guess.reason);
}

std::optional<std::string> TextDecoder::Decode(std::string_view raw) const {
  auto decoded = ToUtf8Nfc(raw, encoding_);
  if (!decoded.ok()) return std::nullopt;
  return std::move(decoded.value());
}

std::optional<std::string> FieldText(OGRFeatureH feature, int field, const TextDecoder& decoder) {
  if (field < 0 || !OGR_F_IsFieldSetAndNotNull(feature, field)) return std::string();
  auto decoded = decoder.Decode(TrimBlanks(OGR_F_GetFieldAsString(feature, field)));
  if (!decoded) return std::nullopt;
  return std::string(TrimBlanks(*decoded));
}

}  // namespace covgap::importers
