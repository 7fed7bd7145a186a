#include "geo/prediction/coverage_raster.h"

#include <cpl_string.h>

#include <algorithm>
#include <vector>

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo::prediction {

std::string_view ToString(RasterLayer layer) {
  switch (layer) {
    case RasterLayer::kRsrp:
      return "rsrp";
    case RasterLayer::kSigma:
      return "sigma";
    case RasterLayer::kPGood:
      return "p_good";
    case RasterLayer::kClass:
      return "class";
  }
  return "rsrp";
}

std::optional<RasterLayer> ParseRasterLayer(std::string_view text) {
  for (RasterLayer l :
       {RasterLayer::kRsrp, RasterLayer::kSigma, RasterLayer::kPGood, RasterLayer::kClass}) {
    if (text == ToString(l)) return l;
  }
  return std::nullopt;
}

Status WriteCoverageRaster(const CoverageGrid& grid, const GroupPrediction& prediction,
                           RasterLayer layer, const AnalysisParams& params,
                           const std::string& target_crs, const std::string& path) {
  InitGdal();
  if (grid.cells.empty()) {
    return FailedPrecondition("no cell of " + grid.operator_id + " " +
                              std::string(ToString(grid.tech)) + " to write");
  }
  const double s = params.cell_size_m;
  std::int32_t x0 = INT32_MAX, x1 = INT32_MIN, y0 = INT32_MAX, y1 = INT32_MIN;
  for (const GridCell& c : grid.cells) {
    if (c.cls == CellClass::kUnmeasured) continue;
    x0 = std::min(x0, c.ix);
    x1 = std::max(x1, c.ix);
    y0 = std::min(y0, c.iy);
    y1 = std::max(y1, c.iy);
  }
  if (x0 > x1) return FailedPrecondition("every cell is unmeasured: nothing to write");
  const std::int64_t w = std::int64_t{x1} - x0 + 1, h = std::int64_t{y1} - y0 + 1;
  if (w * h > 400'000'000) return InvalidArgument("the raster would be too large");
  const bool byte = layer == RasterLayer::kClass;
  std::vector<float> fdata;
  std::vector<std::uint8_t> bdata;
  if (byte) {
    bdata.assign(static_cast<std::size_t>(w * h), 0);
  } else {
    fdata.assign(static_cast<std::size_t>(w * h), kRasterNoData);
  }
  for (const GridCell& c : grid.cells) {
    if (c.cls == CellClass::kUnmeasured) continue;
    const std::size_t at = static_cast<std::size_t>((std::int64_t{y1} - c.iy) * w + (c.ix - x0));
    switch (layer) {
      case RasterLayer::kClass:
        bdata[at] = static_cast<std::uint8_t>(c.cls);
        break;
      case RasterLayer::kRsrp:
        fdata[at] = static_cast<float>(c.median);
        break;
      case RasterLayer::kPGood:
        fdata[at] = c.p_good;
        break;
      case RasterLayer::kSigma: {
        const std::int64_t j = prediction.Find(CellKey(c.ix, c.iy));
        if (j >= 0) fdata[at] = prediction.sigma_db[static_cast<std::size_t>(j)];
        break;
      }
    }
  }
  DatasetPtr mem(GDALCreate(GDALGetDriverByName("MEM"), "", static_cast<int>(w),
                            static_cast<int>(h), 1, byte ? GDT_Byte : GDT_Float32, nullptr));
  if (!mem) return Internal("cannot create an in-memory raster");
  double gt[6] = {x0 * s, s, 0, (y1 + 1.0) * s, 0, -s};
  GDALSetGeoTransform(mem.get(), gt);
  auto srs = MakeSrs(params.analysis_crs);
  if (!srs.ok()) return srs.status();
  char* raw_wkt = nullptr;
  OSRExportToWkt(srs.value().get(), &raw_wkt);
  const CplString wkt(raw_wkt);
  GDALSetProjection(mem.get(), wkt.get());
  GDALRasterBandH band = GDALGetRasterBand(mem.get(), 1);
  GDALSetRasterNoDataValue(band, byte ? 0.0 : kRasterNoData);
  GDALSetDescription(band, std::string(ToString(layer)).c_str());
  const CPLErr io =
      byte
          ? GDALRasterIO(band, GF_Write, 0, 0, static_cast<int>(w), static_cast<int>(h),
                         bdata.data(), static_cast<int>(w), static_cast<int>(h), GDT_Byte, 0, 0)
          : GDALRasterIO(band, GF_Write, 0, 0, static_cast<int>(w), static_cast<int>(h),
                         fdata.data(), static_cast<int>(w), static_cast<int>(h), GDT_Float32, 0, 0);
  if (io != CE_None) return Internal("writing the in-memory raster failed");
  GDALSetMetadataItem(mem.get(), "COVGAP_OPERATOR", grid.operator_id.c_str(), nullptr);
  GDALSetMetadataItem(mem.get(), "COVGAP_TECH", std::string(ToString(grid.tech)).c_str(), nullptr);
  GDALSetMetadataItem(mem.get(), "COVGAP_LAYER", std::string(ToString(layer)).c_str(), nullptr);
  GDALSetMetadataItem(mem.get(), "COVGAP_METHOD", std::string(ToString(params.method)).c_str(),
                      nullptr);
  GDALDriverH cog = GDALGetDriverByName("COG");
  if (!cog) return Internal("GDAL has no COG driver (GDAL >= 3.1 needed)");
  CPLStringList options;
  options.SetNameValue("COMPRESS", "DEFLATE");
  options.SetNameValue("BLOCKSIZE", "256");
  options.SetNameValue("OVERVIEWS", "IGNORE_EXISTING");
  options.SetNameValue("RESAMPLING", byte ? "NEAREST" : "AVERAGE");
  if (!byte) options.SetNameValue("PREDICTOR", "YES");
  if (!target_crs.empty() && target_crs != params.analysis_crs) {
    auto target = MakeSrs(target_crs);
    if (!target.ok()) return target.status();
    options.SetNameValue("TARGET_SRS", target_crs.c_str());
  }
  DatasetPtr out(
      GDALCreateCopy(cog, path.c_str(), mem.get(), FALSE, options.List(), nullptr, nullptr));
  if (!out) return Internal("GDAL could not write " + path + ": " + CPLGetLastErrorMsg());
  return Status();
}

}  // namespace covgap::geo::prediction
