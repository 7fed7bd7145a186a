#include "geo/prediction/kriging.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <map>

#include "geo/parallel.h"
#include "geo/prediction/point_index.h"

namespace covgap::geo::prediction {

double Variogram::Gamma(double h) const {
  if (h <= 0) return 0;
  return nugget + partial_sill * (1.0 - std::exp(-h / range_m));
}

double Variogram::Covariance(double h) const { return partial_sill * std::exp(-h / range_m); }

namespace {
constexpr double kBinEdges[] = {0,    150,  250,  350,  500,  700, 1000,
                                1400, 2000, 2800, 4000, 5600, 8000};
constexpr std::size_t kBins = std::size(kBinEdges) - 1;
}  // namespace

std::vector<VariogramBin> EmpiricalVariogram(std::span<const double> x, std::span<const double> y,
                                             std::span<const double> value, std::size_t anchors) {
  const std::size_t n = x.size();
  std::vector<double> sum_h(kBins, 0), sum_g(kBins, 0);
  std::vector<std::uint64_t> pairs(kBins, 0);
  if (n >= 2) {
    PointIndex index(x, y);
    const std::size_t stride = std::max<std::size_t>(1, n / std::max<std::size_t>(anchors, 1));
    std::vector<std::uint32_t> near;
    for (std::size_t a = 0; a < n; a += stride) {
      index.Within(x[a], y[a], kBinEdges[kBins], near);
      std::sort(near.begin(), near.end());  // deterministic thinning
      const std::size_t step = std::max<std::size_t>(1, near.size() / 4000);
      for (std::size_t j = 0; j < near.size(); j += step) {
        const std::uint32_t b = near[j];
        if (b == a) continue;
        const double h = std::hypot(x[a] - x[b], y[a] - y[b]);
        if (h <= 0 || h >= kBinEdges[kBins]) continue;
        const std::size_t bin = static_cast<std::size_t>(std::upper_bound(std::begin(kBinEdges),
                                                                          std::end(kBinEdges), h) -
                                                         std::begin(kBinEdges)) -
                                1;
        const double d = value[a] - value[b];
        sum_h[bin] += h;
        sum_g[bin] += 0.5 * d * d;
        ++pairs[bin];
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

  // Factorised data covariance of a neighbourhood.
  Eigen::LLT<Eigen::MatrixXd> Factor(const std::vector<std::uint32_t>& idx, std::size_t n) const {
    Eigen::MatrixXd c(n, n);
    for (std::size_t i = 0; i < n; ++i) {
      c(i, i) = v.partial_sill + micro + noise[idx[i]] + 1e-9;
      for (std::size_t j = 0; j < i; ++j) {
        const double h = std::hypot(x[idx[i]] - x[idx[j]], y[idx[i]] - y[idx[j]]);
        // Two data in one cell share the micro-scale variance too.
        c(i, j) = c(j, i) = h < 1.0 ? v.partial_sill + micro : v.Covariance(h);
      }
    }
    return Eigen::LLT<Eigen::MatrixXd>(c);
  }

  KrigingEstimate Solve(const Eigen::LLT<Eigen::MatrixXd>& llt,
                        const std::vector<std::uint32_t>& idx, std::size_t n, double tx,
                        double ty) const {
    const double prior = v.partial_sill + micro;
    if (n == 0) return {0.0, prior};
    Eigen::VectorXd c0(n), r(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double h = std::hypot(tx - x[idx[i]], ty - y[idx[i]]);
      c0(i) = h < 1.0 ? prior : v.Covariance(h);
      r(i) = value[idx[i]];
    }
    const Eigen::VectorXd w = llt.solve(c0);
    KrigingEstimate e;
    e.value = w.dot(r);
    e.variance = std::clamp(prior - w.dot(c0), 0.0, prior);
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
  impl_->index = std::make_unique<PointIndex>(x, y);
}

ResidualKriging::~ResidualKriging() = default;

double ResidualKriging::prior_variance() const { return impl_->v.partial_sill + impl_->micro; }

KrigingEstimate ResidualKriging::At(double x, double y) const {
  std::vector<std::uint32_t> idx;
  std::vector<double> d2;
  const std::size_t n = impl_->Neighbours(x, y, 0.0, idx, d2);
  if (n == 0 || impl_->v.partial_sill <= 0) return {0.0, prior_variance()};
  return impl_->Solve(impl_->Factor(idx, n), idx, n, x, y);
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
    const auto llt = m.Factor(idx, n);
    for (std::uint32_t i : targets) out[i] = m.Solve(llt, idx, n, tx[i], ty[i]);
  });
}

}  // namespace covgap::geo::prediction
