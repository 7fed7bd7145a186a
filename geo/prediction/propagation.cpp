#include "geo/prediction/propagation.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>

#include "geo/base/parallel.h"
#include "geo/prediction/point_index.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo::prediction {

double ReferenceSignalOffsetDb(Technology tech) {
  switch (tech) {
    case Technology::kLte:
      return 10.0 * std::log10(1200.0);
    case Technology::kNr:
      return 10.0 * std::log10(3276.0);
    case Technology::kUmts:
      return 10.0;
    case Technology::kGsm:
      return 0.0;
  }
  return 0.0;
}

HataTerms HataModel(double band_mhz, double height_m) {
  const double f = std::clamp(band_mhz, 150.0, 2000.0);
  const double lf = std::log10(f);
  const double lh = std::log10(std::clamp(height_m, 1.0, 300.0));
  // Mobile antenna correction for a small/medium city.
  const double a_hm = (1.1 * lf - 0.7) * kMobileHeightM - (1.56 * lf - 0.8);
  HataTerms t;
  if (f >= 1500.0) {
    t.intercept_db = 46.3 + 33.9 * lf - 13.82 * lh - a_hm;  // COST-231, C_m = 0
  } else {
    t.intercept_db = 69.55 + 26.16 * lf - 13.82 * lh - a_hm;  // Okumura-Hata
  }
  if (band_mhz > 2000.0) t.intercept_db += 20.0 * std::log10(band_mhz / 2000.0);  // free-space f²
  t.slope_db = 44.9 - 6.55 * lh;
  return t;
}

double AntennaGainDb(std::optional<double> azimuth_deg, std::optional<double> beamwidth_deg,
                     double bearing_deg) {
  if (!azimuth_deg) return 0.0;
  double delta = std::fmod(std::fabs(bearing_deg - *azimuth_deg), 360.0);
  if (delta > 180.0) delta = 360.0 - delta;
  const double bw = beamwidth_deg.value_or(kDefaultBeamwidthDeg);
  if (bw >= 360.0) return 0.0;
  const double r = delta / bw;
  return -std::min(12.0 * r * r, 25.0);
}

struct SiteLayout::Impl {
  std::vector<Site> sites;
  std::vector<double> x, y;
  std::vector<double> k0;     // EIRP − RS − Hata intercept
  std::vector<double> slope;  // Hata slope
  std::unique_ptr<PointIndex> index;
  // Candidate lists per 1 km block over the sites' bounding box widened by kMarginM.
  static constexpr double kBlockM = 1000.0;
  static constexpr double kMarginM = 30000.0;
  double bx0 = 0, by0 = 0;
  std::int64_t nbx = 0, nby = 0;
  std::size_t k = 0;
  std::vector<std::uint32_t> candidates;  // nbx * nby * k

  void Candidates(double qx, double qy, std::uint32_t* out, std::size_t* n) const {
    const auto bx = static_cast<std::int64_t>(std::floor((qx - bx0) / kBlockM));
    const auto by = static_cast<std::int64_t>(std::floor((qy - by0) / kBlockM));
    if (bx >= 0 && by >= 0 && bx < nbx && by < nby) {
      const std::uint32_t* c = &candidates[static_cast<std::size_t>((by * nbx + bx)) * k];
      std::copy(c, c + k, out);
      *n = k;
      return;
    }
    double d2[kCandidates];
    *n = index->Nearest(qx, qy, k, out, d2);
  }
};

SiteLayout::SiteLayout() : impl_(std::make_unique<Impl>()) {}
SiteLayout::~SiteLayout() = default;

StatusOr<std::unique_ptr<SiteLayout>> SiteLayout::Build(std::span<const Site> sites,
                                                        const std::string& analysis_crs) {
  auto projector = PointProjector::Create(analysis_crs);
  if (!projector.ok()) return projector.status();
  std::unique_ptr<SiteLayout> layout(new SiteLayout());
  Impl& m = *layout->impl_;
  m.sites.assign(sites.begin(), sites.end());
  const std::size_t n = m.sites.size();
  std::vector<double> lon(n), lat(n);
  for (std::size_t i = 0; i < n; ++i) {
    lon[i] = m.sites[i].lon;
    lat[i] = m.sites[i].lat;
  }
  m.x.resize(n);
  m.y.resize(n);
  projector.value()->Project(lon.data(), lat.data(), m.x.data(), m.y.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(m.x[i]) || !std::isfinite(m.y[i])) {
      return InvalidArgument("site " + m.sites[i].site_id + " cannot be projected to " +
                             analysis_crs);
    }
    const Site& s = m.sites[i];
    const HataTerms h = HataModel(s.band_mhz, s.height_m);
    m.k0.push_back(s.eirp_dbm - ReferenceSignalOffsetDb(s.tech) - h.intercept_db);
    m.slope.push_back(h.slope_db);
  }
  m.index = std::make_unique<PointIndex>(m.x, m.y);
  m.k = std::min(kCandidates, n);
  if (n == 0) return layout;
  const auto [xmin, xmax] = std::minmax_element(m.x.begin(), m.x.end());
  const auto [ymin, ymax] = std::minmax_element(m.y.begin(), m.y.end());
  m.bx0 = std::floor((*xmin - Impl::kMarginM) / Impl::kBlockM) * Impl::kBlockM;
  m.by0 = std::floor((*ymin - Impl::kMarginM) / Impl::kBlockM) * Impl::kBlockM;
  m.nbx = static_cast<std::int64_t>(std::ceil((*xmax + Impl::kMarginM - m.bx0) / Impl::kBlockM));
  m.nby = static_cast<std::int64_t>(std::ceil((*ymax + Impl::kMarginM - m.by0) / Impl::kBlockM));
  if (m.nbx * m.nby > 4'000'000) {  // sites spread over a continent: no block cache
    m.nbx = m.nby = 0;
    return layout;
  }
  m.candidates.resize(static_cast<std::size_t>(m.nbx * m.nby) * m.k);
  double d2[kCandidates];
  for (std::int64_t by = 0; by < m.nby; ++by) {
    for (std::int64_t bx = 0; bx < m.nbx; ++bx) {
      const double cx = m.bx0 + (static_cast<double>(bx) + 0.5) * Impl::kBlockM;
      const double cy = m.by0 + (static_cast<double>(by) + 0.5) * Impl::kBlockM;
      m.index->Nearest(cx, cy, m.k, &m.candidates[static_cast<std::size_t>(by * m.nbx + bx) * m.k],
                       d2);
    }
  }
  return layout;
}

std::size_t SiteLayout::size() const { return impl_->sites.size(); }
const Site& SiteLayout::site(std::size_t i) const { return impl_->sites[i]; }
double SiteLayout::x(std::size_t i) const { return impl_->x[i]; }
double SiteLayout::y(std::size_t i) const { return impl_->y[i]; }

double SiteLayout::BasePower(std::size_t i, double x, double y, double* log_d) const {
  const Impl& m = *impl_;
  const double dx = x - m.x[i], dy = y - m.y[i];
  const double d_km = std::max(std::sqrt(dx * dx + dy * dy) / 1000.0, kMinDistanceKm);
  const double l = std::log10(d_km);
  *log_d = l;
  double p = m.k0[i] - m.slope[i] * l;
  const Site& s = m.sites[i];
  if (s.azimuth_deg) {
    const double bearing = std::atan2(dx, dy) * 180.0 / std::numbers::pi;  // from north, clockwise
    p += AntennaGainDb(s.azimuth_deg, s.beamwidth_deg, bearing < 0 ? bearing + 360.0 : bearing);
  }
  return p;
}

Server SiteLayout::Best(double x, double y, const Calibration& cal) const {
  Server best;
  std::uint32_t cand[kCandidates];
  std::size_t n = 0;
  if (impl_->sites.empty()) return best;
  impl_->Candidates(x, y, cand, &n);
  const bool offsets = cal.site_offset_db.size() == impl_->sites.size();
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = cand[j];
    double l = 0;
    double p = BasePower(i, x, y, &l) - cal.intercept_db - cal.slope_db * l;
    if (offsets) p -= cal.site_offset_db[i];
    if (p > best.dbm) {
      best.dbm = p;
      best.site = static_cast<std::int32_t>(i);
      best.log_d = l;
    }
  }
  return best;
}

namespace {

double WeightedMedianAbs(std::vector<double>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

Calibration Calibrate(const SiteLayout& layout, std::span<const FitPoint> points,
                      const FitOptions& options) {
  Calibration cal;
  const std::size_t ns = layout.size();
  cal.site_offset_db.assign(ns, 0.0f);
  cal.site_points.assign(ns, 0);
  if (ns == 0 || points.empty()) return cal;
  const std::size_t np = points.size();
  // y_i = base_i − measured_i = a + b·L_i + c_site(i) + e_i
  std::vector<double> yv(np), lv(np), w(np, 1.0), r(np);
  std::vector<std::int32_t> server(np, -1);
  std::vector<double> abs_r;
  double scale = 8.0;
  for (int outer = 0; outer < options.max_outer_iterations; ++outer) {
    cal.iterations = outer + 1;
    std::atomic<std::size_t> changed{0};
    constexpr std::size_t kChunk = 4096;
    ParallelFor((np + kChunk - 1) / kChunk, options.threads, [&](std::size_t c) {
      std::size_t moved = 0;
      for (std::size_t i = c * kChunk; i < std::min(np, (c + 1) * kChunk); ++i) {
        const Server s = layout.Best(points[i].x, points[i].y, cal);
        moved += s.site != server[i];
        server[i] = s.site;
        double l = 0;
        const double base =
            layout.BasePower(static_cast<std::size_t>(s.site), points[i].x, points[i].y, &l);
        yv[i] = base - points[i].dbm;
        lv[i] = l;
      }
      changed += moved;
    });
    std::fill(cal.site_points.begin(), cal.site_points.end(), 0);
    for (std::size_t i = 0; i < np; ++i) ++cal.site_points[static_cast<std::size_t>(server[i])];
    const double a0 = cal.intercept_db, b0 = cal.slope_db;
    for (int it = 0; it < options.irls_iterations; ++it) {
      // Residuals and robust scale.
      abs_r.resize(np);
      for (std::size_t i = 0; i < np; ++i) {
        r[i] = yv[i] - cal.intercept_db - cal.slope_db * lv[i] -
               cal.site_offset_db[static_cast<std::size_t>(server[i])];
        abs_r[i] = std::fabs(r[i]);
      }
      scale = std::max(1.4826 * WeightedMedianAbs(abs_r), 0.5);
      const double cut = options.huber_k * scale;
      for (std::size_t i = 0; i < np; ++i) {
        w[i] = points[i].weight * (std::fabs(r[i]) <= cut ? 1.0 : cut / std::fabs(r[i]));
      }
      // (a, b) by weighted least squares on y − c, with a weak ridge on b (one site at one
      // distance cannot tell a slope from an intercept).
      double sw = 0, sl = 0, sll = 0, sy = 0, sly = 0;
      for (std::size_t i = 0; i < np; ++i) {
        const double yi = yv[i] - cal.site_offset_db[static_cast<std::size_t>(server[i])];
        sw += w[i];
        sl += w[i] * lv[i];
        sll += w[i] * lv[i] * lv[i];
        sy += w[i] * yi;
        sly += w[i] * lv[i] * yi;
      }
      const double ridge = 1e-6 * sw;
      const double det = sw * (sll + ridge) - sl * sl;
      if (sw <= 0 || det <= 0) break;
      cal.intercept_db = ((sll + ridge) * sy - sl * sly) / det;
      cal.slope_db = (sw * sly - sl * sy) / det;
      // Per-site offsets: shrunk weighted mean residual of the site's points.
      std::vector<double> num(ns, 0.0), den(ns, 0.0);
      double mean_w = sw / static_cast<double>(np);
      for (std::size_t i = 0; i < np; ++i) {
        const auto s = static_cast<std::size_t>(server[i]);
        num[s] += w[i] * (yv[i] - cal.intercept_db - cal.slope_db * lv[i]);
        den[s] += w[i];
      }
      cal.sites_with_offset = 0;
      for (std::size_t s = 0; s < ns; ++s) {
        if (cal.site_points[s] >= options.min_site_points) {
          cal.site_offset_db[s] =
              static_cast<float>(num[s] / (den[s] + options.site_shrinkage * mean_w));
          ++cal.sites_with_offset;
        } else {
          cal.site_offset_db[s] = 0.0f;
        }
      }
    }
    const bool settled = std::fabs(cal.intercept_db - a0) < 0.01 &&
                         std::fabs(cal.slope_db - b0) < 0.01 &&
                         static_cast<double>(changed.load()) <= 0.001 * static_cast<double>(np);
    if (outer > 0 && settled) break;
  }
  // Final residual scale with the final assignment.
  abs_r.resize(np);
  for (std::size_t i = 0; i < np; ++i) {
    const Server s = layout.Best(points[i].x, points[i].y, cal);
    abs_r[i] = std::fabs(s.dbm - points[i].dbm);
  }
  cal.residual_sd_db = 1.4826 * WeightedMedianAbs(abs_r);
  cal.points = np;
  cal.calibrated = true;
  return cal;
}

}  // namespace covgap::geo::prediction
