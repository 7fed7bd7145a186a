// Coverage rasters (docs/prediction.md "Rasters"): one layer of one operator and technology's
// composed grid as a Cloud-Optimised GeoTIFF (GDAL's COG driver: tiled, DEFLATE, internal
// overviews) that QGIS opens directly. Pixels are the analysis cells; cells outside the analysed
// area and unmeasured cells are nodata.
//   rsrp     Float32 dBm: the level the analysis classed (measured median or prediction)
//   sigma    Float32 dB: σ of the prediction at the cell
//   p_good   Float32 0…1: P(the cell is good)
//   class    Byte: 1 dead, 2 weak, 3 good, 0 nodata
// Written in the analysis CRS, or reprojected to `target_crs` (any EPSG code GDAL knows).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo::prediction {

enum class RasterLayer : std::uint8_t { kRsrp, kSigma, kPGood, kClass };
std::string_view ToString(RasterLayer layer);  // "rsrp", "sigma", "p_good", "class"
std::optional<RasterLayer> ParseRasterLayer(std::string_view text);

inline constexpr float kRasterNoData = -9999.0f;

// Writes the layer of `grid` (a composed grid: ComposeGrid) with σ from `prediction` to `path`.
// `target_crs` empty = the analysis CRS. Fails when the grid has no cell or GDAL cannot write.
Status WriteCoverageRaster(const CoverageGrid& grid, const GroupPrediction& prediction,
                           RasterLayer layer, const AnalysisParams& params,
                           const std::string& target_crs, const std::string& path);

}  // namespace covgap::geo::prediction
