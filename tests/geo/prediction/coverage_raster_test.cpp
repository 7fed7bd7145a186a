// Coverage rasters: a Cloud-Optimised GeoTIFF that GDAL (and so QGIS) opens with the right CRS,
// nodata, values and overviews.
#include "geo/prediction/coverage_raster.h"

#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_srs_api.h>

#include <filesystem>

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo::prediction {
namespace {

// 600 x 500 cells of 100 m around UTM 48N (600 km E, 2350 km N): dead / weak / good bands,
// with a hole of unmeasured cells.
struct Fixture {
  CoverageGrid grid;
  GroupPrediction prediction;
  AnalysisParams params;
  Fixture() {
    grid.operator_id = "viettel";
    grid.tech = Technology::kLte;
    for (std::int32_t ix = 6000; ix < 6600; ++ix) {
      for (std::int32_t iy = 23500; iy < 24000; ++iy) {
        GridCell c;
        c.ix = ix;
        c.iy = iy;
        const bool hole = ix < 6010 && iy < 23510;
        c.cls = hole ? CellClass::kUnmeasured
                     : (ix < 6200 ? CellClass::kDead
                                  : (ix < 6400 ? CellClass::kWeak : CellClass::kGood));
        c.median = -120 + 0.05 * (ix - 6000);
        c.p_good = static_cast<float>((ix - 6000) / 600.0);
        c.evidence = Evidence::kPredicted;
        grid.cells.push_back(c);
        prediction.keys.push_back(CellKey(ix, iy));
        prediction.dbm.push_back(static_cast<float>(c.median));
        prediction.model_dbm.push_back(static_cast<float>(c.median));
        prediction.sigma_db.push_back(4.5f);
      }
    }
    std::sort(grid.cells.begin(), grid.cells.end(), [](const GridCell& a, const GridCell& b) {
      return CellKey(a.ix, a.iy) < CellKey(b.ix, b.iy);
    });
    params.method = AnalysisMethod::kHybrid;
  }
};

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".tif"))
      .string();
}

TEST(CoverageRaster, ClassLayerIsACogInTheAnalysisCrs) {
  Fixture f;
  const std::string path = TempPath("class");
  ASSERT_TRUE(
      WriteCoverageRaster(f.grid, f.prediction, RasterLayer::kClass, f.params, "", path).ok());
  const DatasetPtr owned(GDALOpen(path.c_str(), GA_ReadOnly));
  ASSERT_NE(owned, nullptr);
  GDALDatasetH ds = owned.get();
  EXPECT_STREQ(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "GTiff");
  const char* layout = GDALGetMetadataItem(ds, "LAYOUT", "IMAGE_STRUCTURE");
  ASSERT_NE(layout, nullptr);
  EXPECT_STREQ(layout, "COG");
  EXPECT_EQ(GDALGetRasterXSize(ds), 600);
  EXPECT_EQ(GDALGetRasterYSize(ds), 500);
  const SrsPtr srs(OSRNewSpatialReference(GDALGetProjectionRef(ds)));
  ASSERT_NE(srs, nullptr);
  EXPECT_STREQ(OSRGetAuthorityCode(srs.get(), nullptr), "32648");
  double gt[6];
  ASSERT_EQ(GDALGetGeoTransform(ds, gt), CE_None);
  EXPECT_DOUBLE_EQ(gt[0], 600000.0);
  EXPECT_DOUBLE_EQ(gt[3], 2400000.0);
  EXPECT_DOUBLE_EQ(gt[1], 100.0);
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  int has_nodata = 0;
  EXPECT_EQ(GDALGetRasterNoDataValue(band, &has_nodata), 0.0);
  EXPECT_TRUE(has_nodata);
  EXPECT_GE(GDALGetOverviewCount(band), 1);
  std::uint8_t px[3] = {};
  // Bottom-left corner (the hole): nodata; then dead, weak, good along the bottom row.
  ASSERT_EQ(GDALRasterIO(band, GF_Read, 0, 499, 1, 1, &px[0], 1, 1, GDT_Byte, 0, 0), CE_None);
  EXPECT_EQ(px[0], 0);
  ASSERT_EQ(GDALRasterIO(band, GF_Read, 100, 0, 1, 1, &px[0], 1, 1, GDT_Byte, 0, 0), CE_None);
  ASSERT_EQ(GDALRasterIO(band, GF_Read, 300, 0, 1, 1, &px[1], 1, 1, GDT_Byte, 0, 0), CE_None);
  ASSERT_EQ(GDALRasterIO(band, GF_Read, 500, 0, 1, 1, &px[2], 1, 1, GDT_Byte, 0, 0), CE_None);
  EXPECT_EQ(px[0], 1);
  EXPECT_EQ(px[1], 2);
  EXPECT_EQ(px[2], 3);
  EXPECT_STREQ(GDALGetMetadataItem(ds, "COVGAP_LAYER", nullptr), "class");
  std::filesystem::remove(path);
}

TEST(CoverageRaster, FloatLayersReprojectToAnotherEpsgWithNodata) {
  Fixture f;
  for (RasterLayer layer : {RasterLayer::kRsrp, RasterLayer::kSigma, RasterLayer::kPGood}) {
    const std::string path = TempPath(std::string(ToString(layer)));
    ASSERT_TRUE(WriteCoverageRaster(f.grid, f.prediction, layer, f.params, "EPSG:4326", path).ok());
    const DatasetPtr owned(GDALOpen(path.c_str(), GA_ReadOnly));
    ASSERT_NE(owned, nullptr);
    GDALDatasetH ds = owned.get();
    const SrsPtr srs(OSRNewSpatialReference(GDALGetProjectionRef(ds)));
    EXPECT_STREQ(OSRGetAuthorityCode(srs.get(), nullptr), "4326");
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    int has = 0;
    EXPECT_EQ(GDALGetRasterNoDataValue(band, &has), kRasterNoData);
    EXPECT_TRUE(has);
    EXPECT_EQ(GDALGetRasterDataType(band), GDT_Float32);
    double minmax[2];
    ASSERT_EQ(GDALComputeRasterMinMax(band, FALSE, minmax), CE_None);
    if (layer == RasterLayer::kSigma) {
      EXPECT_FLOAT_EQ(minmax[0], 4.5f);
      EXPECT_FLOAT_EQ(minmax[1], 4.5f);
    } else if (layer == RasterLayer::kPGood) {
      EXPECT_GE(minmax[0], 0.0);
      EXPECT_LE(minmax[1], 1.0);
    } else {
      EXPECT_NEAR(minmax[0], -120, 0.6);
      EXPECT_NEAR(minmax[1], -90, 0.6);
    }
    std::filesystem::remove(path);
  }
}

TEST(CoverageRaster, RefusesAnEmptyGridAndABadCrs) {
  Fixture f;
  const std::string path = TempPath("bad");
  CoverageGrid empty;
  EXPECT_EQ(WriteCoverageRaster(empty, f.prediction, RasterLayer::kRsrp, f.params, "", path).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      WriteCoverageRaster(f.grid, f.prediction, RasterLayer::kRsrp, f.params, "EPSG:999999", path)
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRasterLayer("p_good"), RasterLayer::kPGood);
  EXPECT_FALSE(ParseRasterLayer("rscp").has_value());
}

}  // namespace
}  // namespace covgap::geo::prediction
