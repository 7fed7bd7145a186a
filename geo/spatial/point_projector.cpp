#include "geo/spatial/point_projector.h"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

// Transverse Mercator on WGS84 with the Krüger series (Karney 2011, eqs. 7-11, 35).
class UtmProjector final : public PointProjector {
 public:
  UtmProjector(int zone, bool north) : lon0_((zone * 6.0 - 183.0) * kDeg), fn_(north ? 0 : 1e7) {
    const double a = 6378137.0, f = 1 / 298.257223563;
    const double n = f / (2 - f), n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
    e_ = std::sqrt(f * (2 - f));
    half_e_ = e_ / 2;
    ka_ = 0.9996 * a / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
    alpha_[0] =
        n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800;
    alpha_[1] =
        13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360;
    alpha_[2] = 61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440;
    alpha_[3] = 49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600;
    alpha_[4] = 34729 * n5 / 80640 - 3418889 * n6 / 1995840;
    alpha_[5] = 212378941 * n6 / 319334400;
  }

  void Project(const double* lon, const double* lat, double* x, double* y,
               std::size_t n) const override {
    for (std::size_t i = 0; i < n; ++i) {
      const double phi = lat[i] * kDeg;
      const double lam = lon[i] * kDeg - lon0_;
      if (!(std::abs(lat[i]) < 90) || !std::isfinite(lam)) {
        x[i] = y[i] = std::numeric_limits<double>::infinity();
        continue;
      }
      // tau' = sinh(atanh(sin phi) - e atanh(e sin phi)) through one exp/log pair:
      // exp(atanh(s)) = sqrt((1+s)/(1-s)), exp(-e atanh(e s)) = ((1-es)/(1+es))^(e/2).
      const double s = std::sin(phi);
      const double big_e =
          std::sqrt((1 + s) / (1 - s)) * std::exp(half_e_ * std::log((1 - e_ * s) / (1 + e_ * s)));
      const double t = 0.5 * (big_e - 1 / big_e);
      const double sl = std::sin(lam), cl = std::cos(lam);
      const double r = std::hypot(t, cl);
      const double xi_p = std::atan2(t, cl);
      const double u = sl / r;                 // sinh(eta')
      const double cu = std::sqrt(1 + u * u);  // cosh(eta')
      const double eta_p = std::log(u + cu);   // asinh(u)
      // sin/cos(2 xi'), sinh/cosh(2 eta') from the half angles, higher multiples by recurrence.
      const double sx = t / r, cx = cl / r;
      const double s2 = 2 * sx * cx, c2 = cx * cx - sx * sx;
      const double sh2 = 2 * u * cu, ch2 = 1 + 2 * u * u;
      double sj = s2, cj = c2, shj = sh2, chj = ch2;
      double xi = xi_p, eta = eta_p;
      for (int j = 0; j < 6; ++j) {
        xi += alpha_[j] * sj * chj;
        eta += alpha_[j] * cj * shj;
        const double sj1 = sj * c2 + cj * s2, cj1 = cj * c2 - sj * s2;
        const double shj1 = shj * ch2 + chj * sh2, chj1 = chj * ch2 + shj * sh2;
        sj = sj1;
        cj = cj1;
        shj = shj1;
        chj = chj1;
      }
      x[i] = 500000.0 + ka_ * eta;
      y[i] = fn_ + ka_ * xi;
    }
  }
  bool fast_path() const override { return true; }

 private:
  double lon0_;
  double fn_;
  double e_ = 0;
  double half_e_ = 0;
  double ka_ = 0;
  double alpha_[6] = {};
};

// Any CRS through PROJ. A PROJ context may be used by one thread at a time, so each calling thread
// gets its own context and transformation, made on its first call and owned by the projector
// (freed with it). A thread id reused after its thread ended takes over that thread's objects,
// which is safe: the old thread no longer uses them.
class ProjProjector final : public PointProjector {
 public:
  explicit ProjProjector(std::string target) : target_(std::move(target)) {}

  Status Check() {
    return Transformation() ? Status::Ok()
                            : InvalidArgument("unknown or unusable analysis CRS '" + target_ + "'");
  }

  void Project(const double* lon, const double* lat, double* x, double* y,
               std::size_t n) const override {
    PJ* pj = Transformation();
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = lon[i];
      y[i] = lat[i];
    }
    proj_trans_generic(pj, PJ_FWD, x, sizeof(double), n, y, sizeof(double), n, nullptr, 0, 0,
                       nullptr, 0, 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] == HUGE_VAL || !std::isfinite(x[i]) || !std::isfinite(y[i])) {
        x[i] = y[i] = std::numeric_limits<double>::infinity();
      }
    }
  }
  bool fast_path() const override { return false; }

 private:
  // Declared context first: the transformation is destroyed before the context it lives in.
  struct ThreadTransform {
    ProjContextPtr ctx;
    ProjPtr pj;
  };

  PJ* Transformation() const {
    std::lock_guard lock(mu_);
    auto [it, fresh] = per_thread_.try_emplace(std::this_thread::get_id());
    ThreadTransform& t = it->second;
    if (fresh) {
      t.ctx.reset(proj_context_create());
      proj_log_level(t.ctx.get(), PJ_LOG_NONE);  // failures are reported through Status
      const ProjPtr raw(proj_create_crs_to_crs(t.ctx.get(), "EPSG:4326", target_.c_str(), nullptr));
      if (raw) t.pj.reset(proj_normalize_for_visualization(t.ctx.get(), raw.get()));
    }
    return t.pj.get();
  }

  std::string target_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::thread::id, ThreadTransform> per_thread_;
};

}  // namespace

StatusOr<std::unique_ptr<PointProjector>> PointProjector::Create(const std::string& target_crs) {
  // EPSG:326zz (north) and EPSG:327zz (south) are WGS84 / UTM zone zz.
  const std::string_view crs = target_crs;
  const bool epsg = crs.size() == 10 && (crs.starts_with("EPSG:") || crs.starts_with("epsg:"));
  if (epsg && (crs.substr(5, 3) == "326" || crs.substr(5, 3) == "327") &&
      std::isdigit(static_cast<unsigned char>(crs[8])) &&
      std::isdigit(static_cast<unsigned char>(crs[9]))) {
    const int zone = (crs[8] - '0') * 10 + (crs[9] - '0');
    if (zone >= 1 && zone <= 60) {
      return std::unique_ptr<PointProjector>(new UtmProjector(zone, crs.substr(5, 3) == "326"));
    }
  }
  auto p = std::make_unique<ProjProjector>(target_crs);
  if (Status s = p->Check(); !s.ok()) return s;
  return std::unique_ptr<PointProjector>(std::move(p));
}

}  // namespace covgap::geo
