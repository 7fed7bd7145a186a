#include "geo/prediction/kriging.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <map>

#include "geo/base/parallel.h"
#include "geo/prediction/point_index.h"

namespace covgap::geo::prediction {

double Variogram::Gamma(double h) const {
  if (h <= 0) return 0;
  return nugget + partial_sill * (1.0 - std::exp(-h / range_m));
}

double Variogram::Covariance(double h) const { return partial_sill * std::exp(-h / range_m); }

namespace {
// std::hypot guards against overflow that metre coordinates never reach, at several times the
// cost; it was the hottest call of the prediction.
inline double Dist(double ax, double ay, double bx, double by) {
  const double dx = ax - bx, dy = ay - by;
  return std::sqrt(dx * dx + dy * dy);
}
constexpr double kBinEdges[] = {0,    150,  250,  350,  500,  700, 1000,
                                1400, 2000, 2800, 4000, 5600, 8000};
constexpr std::size_t kBins = std::size(kBinEdges) - 1;
}  // namespace

std::vector<VariogramBin> EmpiricalVariogram(std::span<const double> x, std::span<const double> y,
                                             std::span<const double> value, std::size_t anchors) {
  const std::size_t n = x.size();
  std::vector<double> sum_h(kBins, 0), sum_g(kBins, 0);
  std::vector<std::uint64_t> pairs(kBins, 0);
  auto add = [&](std::size_t a, std::size_t b, double min_h, double max_h) {
    const double h = Dist(x[a], y[a], x[b], y[b]);
    if (h <= 0 || h < min_h || h >= max_h) return;
    const auto bin =
        static_cast<std::size_t>(std::upper_bound(std::begin(kBinEdges), std::end(kBinEdges), h) -
                                 std::begin(kBinEdges)) -
        1;
    const double d = value[a] - value[b];
    sum_h[bin] += h;
    sum_g[bin] += 0.5 * d * d;
    ++pairs[bin];
  };
  if (n >= 2) {
    const std::size_t stride = std::max<std::size_t>(1, n / std::max<std::size_t>(anchors, 1));
    // Short lags (< 1 km) against every point, long lags against at most 20,000 points taken at
    // an even stride: dense data would otherwise give each anchor tens of thousands of pairs.
    constexpr double kShort = 1000.0;
    PointIndex all(x, y);
    const std::size_t sub_stride = std::max<std::size_t>(1, n / 20000);
    std::vector<double> sx, sy;
    std::vector<std::size_t> sid;
    for (std::size_t i = 0; i < n; i += sub_stride) {
      sx.push_back(x[i]);
      sy.push_back(y[i]);
      sid.push_back(i);
    }
    PointIndex sub(sx, sy);
    std::vector<std::uint32_t> near;
    for (std::size_t a = 0; a < n; a += stride) {
      all.Within(x[a], y[a], kShort, near);
      for (std::uint32_t b : near) {
        if (b != a) add(a, b, 0, kShort);
      }
      sub.Within(x[a], y[a], kBinEdges[kBins], near);
      for (std::uint32_t j : near) {
        if (sid[j] != a) add(a, sid[j], kShort, kBinEdges[kBins]);
      }
    }
  }
  std::vector<VariogramBin> bins;
  for (std::size_t b = 0; b < kBins; ++b) {
    if (pairs[b] == 0) continue;
    const double np = static_cast<double>(pairs[b]);
    bins.push_back({sum_h[b] / np, sum_g[b] / np, pairs[b]});
  }
  return bins;
}

Variogram FitExponentialVariogram(std::span<const VariogramBin> bins) {
  Variogram best;
  if (bins.empty()) return best;
  if (bins.size() < 3) {
    double g = 0;
    for (const auto& b : bins) g += b.gamma;
    best.nugget = g / static_cast<double>(bins.size());
    return best;
  }
  double best_cost = INFINITY;
  for (int k = 0; k < 60; ++k) {
    const double range = 50.0 * std::pow(600.0, k / 59.0);  // 50 m … 30 km
    // gamma ≈ nugget + psill · f(h), f = 1 − exp(−h/range); weights pairs / gamma².
    double s11 = 0, s12 = 0, s22 = 0, t1 = 0, t2 = 0;
    for (const auto& b : bins) {
      const double f = 1.0 - std::exp(-b.lag_m / range);
      const double w = static_cast<double>(b.pairs) / std::max(b.gamma * b.gamma, 1e-6);
      s11 += w;
      s12 += w * f;
      s22 += w * f * f;
      t1 += w * b.gamma;
      t2 += w * f * b.gamma;
    }
    double nugget = 0, psill = 0;
    const double det = s11 * s22 - s12 * s12;
    if (det > 1e-12 * s11 * s22) {
      nugget = (s22 * t1 - s12 * t2) / det;
      psill = (s11 * t2 - s12 * t1) / det;
    }
    if (nugget < 0 || det <= 1e-12 * s11 * s22) {
      nugget = 0;
      psill = s22 > 0 ? t2 / s22 : 0;
    }
    if (psill < 0) {
      psill = 0;
      nugget = t1 / s11;
    }
    double cost = 0;
    for (const auto& b : bins) {
      const double g = nugget + psill * (1.0 - std::exp(-b.lag_m / range));
      const double w = static_cast<double>(b.pairs) / std::max(b.gamma * b.gamma, 1e-6);
      cost += w * (b.gamma - g) * (b.gamma - g);
    }
    if (cost < best_cost) {
      best_cost = cost;
      best = {nugget, psill, range};
    }
  }
  return best;
}

struct ResidualKriging::Impl {
  std::span<const double> x, y, value, noise;
  Variogram v;
  double micro = 0;
  KrigingOptions options;
  std::unique_ptr<PointIndex> index;

  double radius() const { return options.search_ranges * v.range_m; }

  // Neighbours of (cx, cy) within reach (plus `slack`), nearest first.
  std::size_t Neighbours(double cx, double cy, double slack, std::vector<std::uint32_t>& idx,
                         std::vector<double>& d2) const {
    const std::size_t k = options.neighbours;
    idx.resize(k);
    d2.resize(k);
    std::size_t n = index->Nearest(cx, cy, k, idx.data(), d2.data());
    const double r = radius() + slack;
    while (n > 0 && d2[n - 1] > r * r) --n;
    return n;
  }

  // One neighbourhood, factorised: C = L Lᵀ (data covariance) and α = C⁻¹ r, so that an estimate
  // is c0ᵀ α and its variance prior − |L⁻¹ c0|²; fixed capacity, no allocation per target.
  static constexpr int kMax = 64;
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMax, kMax>;
  using Vec = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMax, 1>;
  struct Neighbourhood {
    const std::uint32_t* idx = nullptr;
    std::size_t n = 0;
    Eigen::LLT<Mat> llt;
    Vec alpha;
  };

  void Factor(const std::vector<std::uint32_t>& idx, std::size_t n, Neighbourhood& nb) const {
    Mat c(n, n);
    Vec r(n);
    for (std::size_t i = 0; i < n; ++i) {
      c(i, i) = v.partial_sill + micro + noise[idx[i]] + 1e-9;
      r(i) = value[idx[i]];
      for (std::size_t j = 0; j < i; ++j) {
        const double h = Dist(x[idx[i]], y[idx[i]], x[idx[j]], y[idx[j]]);
        // Two data in one cell share the micro-scale variance too.
        c(i, j) = c(j, i) = h < 1.0 ? v.partial_sill + micro : v.Covariance(h);
      }
    }
    nb.idx = idx.data();
    nb.n = n;
    nb.llt.compute(c);
    nb.alpha = nb.llt.solve(r);
  }

  KrigingEstimate Solve(const Neighbourhood& nb, double tx, double ty) const {
    const double prior = v.partial_sill + micro;
    if (nb.n == 0) return {0.0, prior};
    Vec c0(nb.n);
    for (std::size_t i = 0; i < nb.n; ++i) {
      const double h = Dist(tx, ty, x[nb.idx[i]], y[nb.idx[i]]);
      c0(i) = h < 1.0 ? prior : v.Covariance(h);
    }
    KrigingEstimate e;
    e.value = c0.dot(nb.alpha);
    nb.llt.matrixL().solveInPlace(c0);
    e.variance = std::clamp(prior - c0.squaredNorm(), 0.0, prior);
    return e;
  }
};

ResidualKriging::ResidualKriging(std::span<const double> x, std::span<const double> y,
                                 std::span<const double> value, std::span<const double> noise_var,
                                 const Variogram& variogram, double micro_nugget,
                                 KrigingOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->x = x;
  impl_->y = y;
  impl_->value = value;
  impl_->noise = noise_var;
  impl_->v = variogram;
  if (impl_->v.range_m <= 0) impl_->v.range_m = 1;
  impl_->micro = std::max(micro_nugget, 0.0);
  impl_->options = options;
  impl_->options.neighbours = std::clamp<std::size_t>(options.neighbours, 1, Impl::kMax);
  impl_->index = std::make_unique<PointIndex>(x, y);
}

ResidualKriging::~ResidualKriging() = default;

double ResidualKriging::prior_variance() const { return impl_->v.partial_sill + impl_->micro; }

KrigingEstimate ResidualKriging::At(double x, double y) const {
  std::vector<std::uint32_t> idx;
  std::vector<double> d2;
  const std::size_t n = impl_->Neighbours(x, y, 0.0, idx, d2);
  if (n == 0 || impl_->v.partial_sill <= 0) return {0.0, prior_variance()};
  Impl::Neighbourhood nb;
  impl_->Factor(idx, n, nb);
  return impl_->Solve(nb, x, y);
}

void ResidualKriging::Predict(std::span<const double> tx, std::span<const double> ty,
                              std::span<KrigingEstimate> out) const {
  const Impl& m = *impl_;
  const double prior = prior_variance();
  if (m.x.empty() || m.v.partial_sill <= 0) {
    for (auto& e : out) e = {0.0, prior};
    return;
  }
  // Targets grouped by tile.
  const double t = m.options.tile_m;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::uint32_t>> tiles;
  for (std::size_t i = 0; i < tx.size(); ++i) {
    tiles[{static_cast<std::int64_t>(std::floor(tx[i] / t)),
           static_cast<std::int64_t>(std::floor(ty[i] / t))}]
        .push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<
      const std::pair<const std::pair<std::int64_t, std::int64_t>, std::vector<std::uint32_t>>*>
      list;
  list.reserve(tiles.size());
  for (const auto& entry : tiles) list.push_back(&entry);
  ParallelFor(list.size(), m.options.threads, [&](std::size_t k) {
    const auto& [key, targets] = *list[k];
    const double cx = (static_cast<double>(key.first) + 0.5) * t;
    const double cy = (static_cast<double>(key.second) + 0.5) * t;
    thread_local std::vector<std::uint32_t> idx;
    thread_local std::vector<double> d2;
    const std::size_t n = m.Neighbours(cx, cy, 0.7072 * t, idx, d2);
    if (n == 0) {
      for (std::uint32_t i : targets) out[i] = {0.0, prior};
      return;
    }
    thread_local Impl::Neighbourhood nb;
    m.Factor(idx, n, nb);
    for (std::uint32_t i : targets) out[i] = m.Solve(nb, tx[i], ty[i]);
  });
}

}  // namespace covgap::geo::prediction
