#include "geo/prediction/coverage_prediction.h"

#include <gdal_alg.h>

#include <algorithm>
#include <cmath>

#include "geo/base/parallel.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo::prediction {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double ProbabilityAtLeast(double mean, double sigma, double threshold) {
  if (!(sigma > 0)) return mean >= threshold ? 1.0 : 0.0;
  return NormalCdf((mean - threshold) / sigma);
}

StatusOr<std::vector<std::uint64_t>> AreaCells(const std::vector<AdminArea>& areas,
                                               const AnalysisParams& params) {
  const double s = params.cell_size_m;
  if (!(s > 0)) return InvalidArgument("the cell size must be positive");
  if (Status c = CheckProjectedMetricCrs(params.analysis_crs); !c.ok()) return c;
  AreaLevel level = AreaLevel::kCommune;
  bool any = false;
  for (const AdminArea& a : areas) {
    if (!any || a.level < level) level = a.level;
    any = true;
  }
  if (!any) {
    return FailedPrecondition(
        "a predicted or hybrid analysis covers the imported boundaries, and none is imported: "
        "run `covgap import areas FILE --level province` (or district) first");
  }
  auto wgs84 = MakeSrs("EPSG:4326");
  auto target = MakeSrs(params.analysis_crs);
  if (!wgs84.ok()) return wgs84.status();
  if (!target.ok()) return target.status();
  TransformPtr transform(OCTNewCoordinateTransformation(wgs84.value().get(), target.value().get()));
  if (!transform) return InvalidArgument("cannot transform WGS84 to " + params.analysis_crs);
  std::vector<OgrGeometryPtr> geoms;
  OGREnvelope env;
  bool first = true;
  for (const AdminArea& a : areas) {
    if (a.level != level) continue;
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(a.wkb.data()),
                            wgs84.value().get(), &g,
                            static_cast<int>(a.wkb.size())) != OGRERR_NONE ||
        g == nullptr) {
      return InvalidArgument("the boundary of " + a.name + " is not valid WKB");
    }
    OgrGeometryPtr owned(g);
    if (OGR_G_Transform(g, transform.get()) != OGRERR_NONE) {
      return InvalidArgument("the boundary of " + a.name + " cannot be projected to " +
                             params.analysis_crs);
    }
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    if (first) {
      env = e;
      first = false;
    } else {
      env.MinX = std::min(env.MinX, e.MinX);
      env.MinY = std::min(env.MinY, e.MinY);
      env.MaxX = std::max(env.MaxX, e.MaxX);
      env.MaxY = std::max(env.MaxY, e.MaxY);
    }
    geoms.push_back(std::move(owned));
  }
  const auto ix0 = static_cast<std::int64_t>(std::floor(env.MinX / s));
  const auto iy0 = static_cast<std::int64_t>(std::floor(env.MinY / s));
  const auto ix1 = static_cast<std::int64_t>(std::ceil(env.MaxX / s));
  const auto iy1 = static_cast<std::int64_t>(std::ceil(env.MaxY / s));
  const std::int64_t w = ix1 - ix0, h = iy1 - iy0;
  if (w <= 0 || h <= 0) return std::vector<std::uint64_t>{};
  if (w * h > 200'000'000) {
    return InvalidArgument("the boundaries span " + std::to_string(w * h) +
                           " cells: too many to predict; use a larger --cell-size");
  }
  InitGdal();
  GDALDriverH mem = GDALGetDriverByName("MEM");
  DatasetPtr ds(
      GDALCreate(mem, "", static_cast<int>(w), static_cast<int>(h), 1, GDT_Byte, nullptr));
  if (!ds) return Internal("cannot create the area mask raster");
  double gt[6] = {static_cast<double>(ix0) * s, s, 0, static_cast<double>(iy1) * s, 0, -s};
  GDALSetGeoTransform(ds.get(), gt);
  int band = 1;
  double burn = 1;
  std::vector<OGRGeometryH> raw;
  std::vector<double> burns(geoms.size(), burn);
  for (auto& g : geoms) raw.push_back(g.get());
  if (GDALRasterizeGeometries(ds.get(), 1, &band, static_cast<int>(raw.size()), raw.data(), nullptr,
                              nullptr, burns.data(), nullptr, nullptr, nullptr) != CE_None) {
    return Internal("rasterising the boundaries failed");
  }
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(w * h));
  if (GDALRasterIO(GDALGetRasterBand(ds.get(), 1), GF_Read, 0, 0, static_cast<int>(w),
                   static_cast<int>(h), mask.data(), static_cast<int>(w), static_cast<int>(h),
                   GDT_Byte, 0, 0) != CE_None) {
    return Internal("reading the area mask failed");
  }
  std::vector<std::uint64_t> keys;
  for (std::int64_t row = 0; row < h; ++row) {
    const std::int64_t iy = iy1 - 1 - row;
    for (std::int64_t col = 0; col < w; ++col) {
      if (mask[static_cast<std::size_t>(row * w + col)]) {
        keys.push_back(
            CellKey(static_cast<std::int32_t>(ix0 + col), static_cast<std::int32_t>(iy)));
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::int64_t GroupPrediction::Find(std::uint64_t key) const {
  auto it = std::lower_bound(keys.begin(), keys.end(), key);
  return it != keys.end() && *it == key ? it - keys.begin() : -1;
}

GroupModel::GroupModel(GroupModel&&) noexcept = default;
GroupModel& GroupModel::operator=(GroupModel&&) noexcept = default;
GroupModel::~GroupModel() = default;

namespace {

std::int32_t KeyX(std::uint64_t key) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32) ^ 0x80000000u);
}
std::int32_t KeyY(std::uint64_t key) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(key) ^ 0x80000000u);
}

}  // namespace

GroupModel GroupModel::Textbook(const SiteLayout& layout, const std::string& operator_id,
                                Technology tech, double sigma_db) {
  GroupModel m;
  m.layout_ = &layout;
  m.summary_.operator_id = operator_id;
  m.summary_.tech = tech;
  m.summary_.sites = layout.size();
  m.calibration_.site_offset_db.assign(layout.size(), 0.0f);
  m.prior_sd_ = sigma_db;
  m.summary_.residual_sd_db = sigma_db;
  return m;
}

StatusOr<GroupModel> GroupModel::Fit(const CoverageGrid& grid, const SiteLayout& layout,
                                     const AnalysisParams& params,
                                     const PredictionOptions& options) {
  GroupModel m = Textbook(layout, grid.operator_id, grid.tech);
  if (layout.size() == 0) return m;
  const double s = params.cell_size_m;
  // Pooled within-cell variance of the samples (cells with >= 2 samples).
  double ss = 0, dof = 0;
  std::vector<FitPoint> points;
  points.reserve(grid.cells.size());
  for (const GridCell& c : grid.cells) {
    if (c.n == 0) continue;
    const auto v = grid.ValuesOf(c);
    if (c.n >= 2) {
      double mean = 0;
      for (auto x : v) mean += x;
      mean /= static_cast<double>(c.n);
      for (auto x : v) ss += (x - mean) * (x - mean);
      dof += static_cast<double>(c.n - 1);
    }
    const double n = static_cast<double>(c.n);
    points.push_back({(c.ix + 0.5) * s, (c.iy + 0.5) * s, c.median, n / (n + options.weight_n0)});
  }
  const double tau2 = dof > 0 ? ss / dof : kUncalibratedSigmaDb * kUncalibratedSigmaDb / 4;
  m.summary_.within_cell_sd_db = std::sqrt(tau2);
  m.summary_.fit_points = points.size();
  if (points.size() < options.min_fit_points) return m;

  // The path-loss fit has 2 + (sites with an offset) parameters: an even subsample of at most
  // max_fit_points cells determines them as well as all would; the kriging uses every cell.
  std::vector<FitPoint> fit_points;
  std::span<const FitPoint> fit_span = points;
  if (points.size() > options.max_fit_points) {
    const double step =
        static_cast<double>(points.size()) / static_cast<double>(options.max_fit_points);
    for (std::size_t i = 0; i < options.max_fit_points; ++i) {
      fit_points.push_back(points[static_cast<std::size_t>(static_cast<double>(i) * step)]);
    }
    fit_span = fit_points;
  }
  FitOptions fo = options.fit;
  fo.threads = params.threads;
  m.calibration_ = Calibrate(layout, fit_span, fo);
  m.summary_.calibrated = m.calibration_.calibrated;
  m.summary_.intercept_db = m.calibration_.intercept_db;
  m.summary_.slope_db = m.calibration_.slope_db;
  m.summary_.sites_with_offset = m.calibration_.sites_with_offset;
  m.summary_.residual_sd_db = m.calibration_.residual_sd_db;

  // Residuals at the measured cells, their noise, the variogram.
  const std::size_t np = points.size();
  m.x_.resize(np);
  m.y_.resize(np);
  m.r_.resize(np);
  m.noise_.resize(np);
  std::size_t k = 0;
  for (const GridCell& c : grid.cells) {
    if (c.n == 0) continue;
    m.x_[k] = points[k].x;
    m.y_[k] = points[k].y;
    m.r_[k] = c.median;
    m.noise_[k] = kMedianVarianceFactor * tau2 / static_cast<double>(c.n);
    ++k;
  }
  {
    constexpr std::size_t kChunk = 4096;
    ParallelFor((np + kChunk - 1) / kChunk, params.threads, [&](std::size_t ch) {
      for (std::size_t i = ch * kChunk; i < std::min(np, (ch + 1) * kChunk); ++i) {
        m.r_[i] -= layout.Best(m.x_[i], m.y_[i], m.calibration_).dbm;
      }
    });
  }
  const auto bins = EmpiricalVariogram(m.x_, m.y_, m.r_);
  m.summary_.variogram = FitExponentialVariogram(bins);
  double mean_noise = 0;
  for (double v : m.noise_) mean_noise += v;
  mean_noise /= static_cast<double>(np);
  m.summary_.micro_nugget = std::max(0.0, m.summary_.variogram.nugget - mean_noise);
  // Far from all data the estimate is the model with its full residual variance.
  const double prior = m.summary_.variogram.partial_sill + m.summary_.micro_nugget;
  m.prior_sd_ = prior > 0 ? std::sqrt(prior) : m.calibration_.residual_sd_db;
  KrigingOptions ko = options.kriging;
  ko.threads = params.threads;
  m.kriging_ = std::make_unique<ResidualKriging>(m.x_, m.y_, m.r_, m.noise_, m.summary_.variogram,
                                                 m.summary_.micro_nugget, ko);
  return m;
}

GroupPrediction GroupModel::Predict(std::vector<std::uint64_t> keys, double cell_size_m,
                                    unsigned threads) const {
  GroupPrediction p;
  p.model = summary_;
  p.keys = std::move(keys);
  const std::size_t n = p.keys.size();
  p.model_dbm.resize(n);
  p.dbm.resize(n);
  p.sigma_db.resize(n);
  std::vector<double> tx(n), ty(n);
  for (std::size_t i = 0; i < n; ++i) {
    tx[i] = (KeyX(p.keys[i]) + 0.5) * cell_size_m;
    ty[i] = (KeyY(p.keys[i]) + 0.5) * cell_size_m;
  }
  constexpr std::size_t kChunk = 4096;
  ParallelFor((n + kChunk - 1) / kChunk, threads, [&](std::size_t c) {
    const std::size_t end = std::min(n, (c + 1) * kChunk);
    for (std::size_t i = c * kChunk; i < end; ++i) {
      p.model_dbm[i] = static_cast<float>(layout_->Best(tx[i], ty[i], calibration_).dbm);
    }
  });
  if (kriging_) {
    std::vector<KrigingEstimate> est(n);
    kriging_->Predict(tx, ty, est);
    for (std::size_t i = 0; i < n; ++i) {
      p.dbm[i] = static_cast<float>(p.model_dbm[i] + est[i].value);
      p.sigma_db[i] =
          static_cast<float>(std::sqrt(est[i].variance + kSigmaFloorDb * kSigmaFloorDb));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      p.dbm[i] = p.model_dbm[i];
      p.sigma_db[i] = static_cast<float>(prior_sd_);
    }
  }
  return p;
}

CoverageGrid ComposeGrid(const CoverageGrid& binned, const GroupPrediction& prediction,
                         AnalysisMethod method, const AnalysisParams& params) {
  CoverageGrid out;
  out.operator_id = binned.operator_id;
  out.tech = binned.tech;
  out.values = binned.values;
  const Thresholds t = params.ThresholdsFor(binned.tech);
  const double tau2 = prediction.model.within_cell_sd_db * prediction.model.within_cell_sd_db;
  out.cells.reserve(std::max(binned.cells.size(), prediction.keys.size()));
  auto predicted_cell = [&](std::size_t j, const GridCell* sampled) {
    GridCell c;
    if (sampled != nullptr) c = *sampled;
    c.ix = KeyX(prediction.keys[j]);
    c.iy = KeyY(prediction.keys[j]);
    if (sampled == nullptr) c.first = static_cast<std::uint32_t>(out.values.size());
    const double dbm = prediction.dbm[j];
    c.median = dbm;
    c.cls = dbm >= t.good_dbm ? CellClass::kGood
                              : (dbm < t.dead_dbm ? CellClass::kDead : CellClass::kWeak);
    c.evidence = Evidence::kPredicted;
    c.p_good = static_cast<float>(ProbabilityAtLeast(dbm, prediction.sigma_db[j], t.good_dbm));
    return c;
  };
  auto measured_cell = [&](const GridCell& b) {
    GridCell c = b;
    c.evidence = Evidence::kMeasured;
    const double sigma = std::sqrt(kMedianVarianceFactor * tau2 / std::max<double>(b.n, 1));
    c.p_good = static_cast<float>(ProbabilityAtLeast(b.median, sigma, t.good_dbm));
    return c;
  };
  const bool keep_measured = method == AnalysisMethod::kHybrid;
  std::size_t i = 0, j = 0;
  const auto& bc = binned.cells;
  while (i < bc.size() || j < prediction.keys.size()) {
    const std::uint64_t kb = i < bc.size() ? CellKey(bc[i].ix, bc[i].iy) : UINT64_MAX;
    const std::uint64_t kp = j < prediction.keys.size() ? prediction.keys[j] : UINT64_MAX;
    if (kb < kp) {  // measured outside the predicted cells
      if (bc[i].cls != CellClass::kUnmeasured)
        out.cells.push_back(measured_cell(bc[i]));
      else
        out.cells.push_back(bc[i]);
      ++i;
    } else if (kp < kb) {
      out.cells.push_back(predicted_cell(j, nullptr));
      ++j;
    } else {
      const bool measured = bc[i].cls != CellClass::kUnmeasured;
      out.cells.push_back(measured && keep_measured ? measured_cell(bc[i])
                                                    : predicted_cell(j, &bc[i]));
      ++i;
      ++j;
    }
  }
  return out;
}

}  // namespace covgap::geo::prediction
