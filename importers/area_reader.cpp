#include "importers/area_reader.h"

#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "geo/spatial/gdal_handles.h"
#include "importers/vector_source.h"

namespace covgap::importers {
namespace {

using geo::GeosGeometry;
using geo::OgrGeometryPtr;

// ---------------------------------------------------------------- name slugs

// The ASCII letter a Latin (Vietnamese in particular) code point is based on; '-' for anything
// else; 0 for combining marks, which are dropped.
char BaseLetter(char32_t cp) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return c;
    return '-';
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    static constexpr std::string_view kLatin1 =
        "aaaaaaaceeeeiiiidnooooo-ouuuuyts"
        "aaaaaaaceeeeiiiidnooooo-ouuuuyty";
    return kLatin1[cp - 0xC0];
  }
  if (cp >= 0x300 && cp <= 0x36F) return 0;
  switch (cp) {
    case 0x102:
    case 0x103:
      return 'a';  // Ă ă
    case 0x110:
    case 0x111:
      return 'd';  // Đ đ
    case 0x128:
    case 0x129:
      return 'i';  // Ĩ ĩ
    case 0x168:
    case 0x169:
    case 0x1AF:
    case 0x1B0:
      return 'u';  // Ũ ũ Ư ư
    case 0x1A0:
    case 0x1A1:
      return 'o';  // Ơ ơ
    default:
      break;
  }
  if (cp >= 0x1EA0 && cp <= 0x1EB7) return 'a';  // Ạ … ặ
  if (cp >= 0x1EB8 && cp <= 0x1EC7) return 'e';  // Ẹ … ệ
  if (cp >= 0x1EC8 && cp <= 0x1ECB) return 'i';  // Ỉ … ị
  if (cp >= 0x1ECC && cp <= 0x1EE3) return 'o';  // Ọ … ợ
  if (cp >= 0x1EE4 && cp <= 0x1EF1) return 'u';  // Ụ … ự
  if (cp >= 0x1EF2 && cp <= 0x1EF9) return 'y';  // Ỳ … ỹ
  return '-';
}

// "Huyện Lục Ngạn" -> "huyen-luc-ngan". `text` must be valid UTF-8.
std::string Slug(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    i += len;
    const char c = BaseLetter(cp);
    if (c == 0 || (c == '-' && (out.empty() || out.back() == '-'))) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "area" : out;
}

// ---------------------------------------------------------------- fields

ImportKind KindOf(geo::AreaLevel level) {
  return level == geo::AreaLevel::kProvince   ? ImportKind::kProvinces
         : level == geo::AreaLevel::kDistrict ? ImportKind::kDistricts
                                              : ImportKind::kCommunes;
}

// ---------------------------------------------------------------- layers and geometry types

bool IsPolygonal(OGRwkbGeometryType type) {
  switch (wkbFlatten(type)) {
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
      return true;
    default:
      return false;
  }
}

bool HoldsPolygon(OGRLayerH layer) {
  OGR_L_ResetReading(layer);
  bool found = false;
  for (geo::FeaturePtr f(OGR_L_GetNextFeature(layer)); f && !found;
       f.reset(OGR_L_GetNextFeature(layer))) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
    found = g != nullptr && IsPolygonal(OGR_G_GetGeometryType(g));
  }
  OGR_L_ResetReading(layer);
  return found;
}

// The first layer that declares polygons, or is of mixed type and holds one.
StatusOr<OGRLayerH> ChoosePolygonLayer(GDALDatasetH ds, const std::string& path) {
  std::vector<std::string> seen;
  for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
    OGRLayerH layer = GDALDatasetGetLayer(ds, i);
    const OGRwkbGeometryType type = wkbFlatten(OGR_L_GetGeomType(layer));
    if (IsPolygonal(type)) return layer;
    if ((type == wkbUnknown || type == wkbGeometryCollection) && HoldsPolygon(layer)) return layer;
    seen.push_back(std::string(OGR_L_GetName(layer)) + " (" + OGRGeometryTypeToName(type) + ")");
  }
  return InvalidArgument(path + ": no layer with polygons; boundaries must be Polygon or " +
                         "MultiPolygon (layers: " + JoinNames(seen) + ")");
}

std::string IsoWkb(OGRGeometryH g) {
  std::string out(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
  OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// ---------------------------------------------------------------- GEOS

// WKB in and out of one GEOS context. GEOS's last error message is kept for reasons.
class GeosIo {
 public:
  GeosIo() : reader_(ctx_.get()), writer_(GEOSWKBWriter_create_r(ctx_.get()), {ctx_.get()}) {
    GEOSContext_setErrorMessageHandler_r(ctx_.get(), &GeosIo::OnError, error_);
    GEOSWKBWriter_setFlavor_r(ctx_.get(), writer_.get(), GEOS_WKB_ISO);
  }
  GeosIo(const GeosIo&) = delete;
  GeosIo& operator=(const GeosIo&) = delete;

  GEOSContextHandle_t ctx() const { return ctx_.get(); }
  std::string last_error() const { return error_; }

  GeosGeometry Read(std::string_view wkb) {
    error_[0] = '\0';
    return reader_.Read(wkb);
  }

  // GEOS -> OGR MultiPolygon; null on failure.
  OgrGeometryPtr ToOgrMultiPolygon(const GEOSGeometry* g) {
    std::size_t size = 0;
    const geo::GeosBuffer wkb(GEOSWKBWriter_write_r(ctx(), writer_.get(), g, &size), {ctx()});
    if (wkb == nullptr) return nullptr;
    OGRGeometryH out = nullptr;
    if (OGR_G_CreateFromWkbEx(wkb.get(), nullptr, &out, size) != OGRERR_NONE) return nullptr;
    return OgrGeometryPtr(OGR_G_ForceToMultiPolygon(out));
  }

  std::string ValidityReason(const GEOSGeometry* g) {
    const geo::GeosString reason(GEOSisValidReason_r(ctx(), g), {ctx()});
    return reason ? std::string(reason.get()) : "invalid geometry";
  }

  // The polygons of `g` (any nesting of collections) as one MultiPolygon; null when there are none.
  GeosGeometry PolygonalPart(const GEOSGeometry* g) {
    std::vector<GEOSGeometry*> polygons;
    CollectPolygons(g, polygons);
    if (polygons.empty()) return {};
    return geo::Own(ctx(), GEOSGeom_createCollection_r(ctx(), GEOS_MULTIPOLYGON, polygons.data(),
                                                       static_cast<unsigned>(polygons.size())));
  }

 private:
  static void OnError(const char* message, void* userdata) {
    std::snprintf(static_cast<char*>(userdata), kErrorSize, "%s", message ? message : "");
  }

  void CollectPolygons(const GEOSGeometry* g, std::vector<GEOSGeometry*>& out) {
    const int type = GEOSGeomTypeId_r(ctx(), g);
    if (type == GEOS_POLYGON) {
      if (GEOSisEmpty_r(ctx(), g) == 0) out.push_back(GEOSGeom_clone_r(ctx(), g));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
      for (int i = 0; i < GEOSGetNumGeometries_r(ctx(), g); ++i) {
        CollectPolygons(GEOSGetGeometryN_r(ctx(), g, i), out);
      }
    }
  }

  static constexpr std::size_t kErrorSize = 256;
  geo::GeosContext ctx_;
  char error_[kErrorSize] = {};
  geo::GeosWkbReader reader_;
  geo::GeosWkbWriterPtr writer_;
};

}  // namespace

StatusOr<AreaImport> ReadAreas(const std::string& path, const AreaReadOptions& options) {
  auto opened = OpenVectorSource(path);
  if (!opened.ok()) return opened.status();
  geo::DatasetPtr ds = std::move(opened.value());
  StatusOr<OGRLayerH> chosen = ChoosePolygonLayer(ds.get(), path);
  if (!chosen.ok()) return chosen.status();
  OGRLayerH layer = *chosen;
  const std::string layer_name = OGR_L_GetName(layer);

  const TextDecoder decoder = TextDecoder::ForLayer(ds.get(), layer, path, options.encoding);
  std::vector<std::string> fields = FieldNames(layer);
  for (std::string& f : fields) {
    if (auto decoded = decoder.Decode(f)) f = *decoded;
  }
  // The given fields first (they must exist), then the accepted names of the level's table.
  for (const auto& [given, what] :
       {std::pair{&options.name_field, "name"}, std::pair{&options.code_field, "code"}}) {
    if (!given->empty() && FindField(fields, *given) < 0) {
      return InvalidArgument(path + ": layer '" + layer_name + "' has no field '" + *given +
                             "' (the " + what + " field); its fields are: " + JoinNames(fields));
    }
  }
  std::map<std::string, std::string> given;
  if (!options.name_field.empty()) given["name"] = options.name_field;
  if (!options.code_field.empty()) given["code"] = options.code_field;
  const ColumnTable& table = ColumnsOf(KindOf(options.level));
  MatchOptions match_options;
  match_options.how_to_name = "Pass the fields with --name-field (and --code-field).";
  auto match = MatchColumns(table, fields, given, match_options);
  if (!match.ok()) {
    return InvalidArgument(path + ": cannot tell which field of layer '" + layer_name +
                           "' holds the " + std::string(geo::ToString(options.level)) +
                           " name or code: " + match.status().message());
  }
  const int name_field = match->index[table.IndexOf("name")];
  const int code_field = match->index[table.IndexOf("code")];

  StatusOr<geo::TransformPtr> reprojection =
      PlanReprojectionToWgs84(layer, path, options.source_crs);
  if (!reprojection.ok()) return reprojection.status();
  OGRCoordinateTransformationH transform = reprojection->get();

  AreaImport out;
  out.layer = layer_name;
  out.encoding = std::string(ToString(decoder.encoding()));
  out.encoding_note = decoder.note();
  out.format = GDALGetDriverShortName(GDALGetDatasetDriver(ds.get()));
  out.name_field = fields[name_field];
  if (code_field >= 0) out.code_field = fields[code_field];
  out.columns = match->used;
  GeosIo geos;
  std::unordered_map<std::string, std::size_t> area_of_code;
  std::vector<std::uint64_t> row_of_area;

  OGR_L_ResetReading(layer);
  for (geo::FeaturePtr feature(OGR_L_GetNextFeature(layer)); feature;
       feature.reset(OGR_L_GetNextFeature(layer))) {
    const std::uint64_t row = ++out.rows_read;
    const auto reject = [&](std::string code, std::string reason) {
      out.rejected.push_back({row, std::move(code), std::move(reason)});
    };

    OGRGeometryH source_geom = OGR_F_GetGeometryRef(feature.get());
    if (source_geom == nullptr || OGR_G_IsEmpty(source_geom)) {
      reject("empty_geometry",
             source_geom == nullptr ? "the feature has no geometry" : "the geometry is empty");
      continue;
    }
    const OGRwkbGeometryType type = OGR_G_GetGeometryType(source_geom);
    if (!IsPolygonal(type)) {
      reject("not_a_polygon", std::string("the geometry is a ") +
                                  OGRGeometryTypeToName(wkbFlatten(type)) +
                                  "; an area must be a Polygon or MultiPolygon");
      continue;
    }
    const std::optional<std::string> decoded_name = FieldText(feature.get(), name_field, decoder);
    if (!decoded_name) {
      reject("invalid_encoding", "field " + out.name_field + " is not valid " + out.encoding +
                                     " text (pass --encoding)");
      continue;
    }
    const std::string& name = *decoded_name;
    if (name.empty()) {
      reject("missing_value", "field " + out.name_field + " (the name) is empty");
      continue;
    }

    OgrGeometryPtr geom(OGR_G_Clone(source_geom));
    const OGRwkbGeometryType flat = wkbFlatten(type);
    if (flat == wkbCurvePolygon || flat == wkbMultiSurface) {
      geom.reset(OGR_G_GetLinearGeometry(geom.get(), 0, nullptr));
    }
    OGR_G_FlattenTo2D(geom.get());
    OGR_G_SetMeasured(geom.get(), FALSE);
    geom.reset(OGR_G_ForceToMultiPolygon(geom.release()));
    OGR_G_CloseRings(geom.get());
    if (transform != nullptr && OGR_G_Transform(geom.get(), transform) != OGRERR_NONE) {
      reject("reprojection_failed",
             std::string("cannot transform the geometry to EPSG:4326: ") + CPLGetLastErrorMsg());
      continue;
    }

    GeosGeometry g = geos.Read(IsoWkb(geom.get()));
    if (!g) {
      reject("invalid_geometry", "GEOS cannot read the geometry: " + geos.last_error());
      continue;
    }
    if (GEOSisValid_r(geos.ctx(), g.get()) != 1) {
      const std::string why = geos.ValidityReason(g.get());
      const GeosGeometry made = geo::Own(geos.ctx(), GEOSMakeValid_r(geos.ctx(), g.get()));
      GeosGeometry polygonal = made ? geos.PolygonalPart(made.get()) : GeosGeometry();
      OgrGeometryPtr repaired = polygonal ? geos.ToOgrMultiPolygon(polygonal.get()) : nullptr;
      if (!repaired || OGR_G_IsEmpty(repaired.get())) {
        reject("invalid_geometry", why + "; nothing polygonal is left after make-valid");
        continue;
      }
      out.repaired.push_back({row, "invalid_geometry", why});
      geom = std::move(repaired);
    }

    std::string code = FieldText(feature.get(), code_field, decoder).value_or("");
    if (!code.empty()) {
      auto it = area_of_code.find(code);
      if (it != area_of_code.end()) {
        geo::AdminArea& first = out.areas[it->second];
        const std::string first_row = std::to_string(row_of_area[it->second]);
        if (first.name != name) {
          reject("duplicate_id", "code '" + code + "' is already used by feature " + first_row +
                                     " ('" + first.name + "')");
          continue;
        }
        GeosGeometry a = geos.Read(first.wkb);
        GeosGeometry b = geos.Read(IsoWkb(geom.get()));
        const GeosGeometry u =
            geo::Own(geos.ctx(), a && b ? GEOSUnion_r(geos.ctx(), a.get(), b.get()) : nullptr);
        GeosGeometry polygonal = u ? geos.PolygonalPart(u.get()) : GeosGeometry();
        OgrGeometryPtr merged = polygonal ? geos.ToOgrMultiPolygon(polygonal.get()) : nullptr;
        if (!merged) {
          reject("invalid_geometry", "cannot merge with feature " + first_row +
                                         " of the same code: " + geos.last_error());
          continue;
        }
        first.wkb = IsoWkb(merged.get());
        out.repaired.push_back({row, "merged",
                                "same code '" + code + "' and name as feature " + first_row +
                                    ": its parts were merged into that area"});
        continue;
      }
    } else {
      const std::string base = Slug(name);
      code = base;
      for (int k = 2; area_of_code.contains(code); ++k) code = base + "-" + std::to_string(k);
    }
    area_of_code.emplace(code, out.areas.size());
    row_of_area.push_back(row);
    out.areas.push_back(geo::AdminArea{options.level, std::move(code), name, IsoWkb(geom.get())});
  }
  return out;
}

}  // namespace covgap::importers
