// The residual part of the coverage prediction (docs/prediction.md "Kriging"): residuals
// (measured cell median − calibrated path-loss model) interpolated by simple kriging with a fitted
// exponential variogram, so that cells near measurements follow them and cells far from any
// measurement fall back to the model (residual 0, full residual variance).
//
// Simple kriging (known mean 0) rather than ordinary kriging: the path-loss fit already removes
// the mean, and a known mean is what makes the estimate return to the model — not to a local
// average — away from the data. Each datum carries its own noise variance (a median of n samples:
// π/2 · τ²/n, τ² the pooled within-cell sample variance); the variogram's nugget is split into that
// noise and a micro-scale part shared by a target and a datum in the same cell. So a cell with many
// samples reproduces its median with σ → 0, and σ grows to the full residual sd with distance.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace covgap::geo::prediction {

// γ(h) = nugget + partial_sill · (1 − exp(−h / range_m)).
struct Variogram {
  double nugget = 0;        // γ just above 0: micro-scale variance + mean data noise
  double partial_sill = 0;  // spatially correlated variance
  double range_m = 1000;    // exponential range parameter (correlation 1/e at range_m)
  double Gamma(double h) const;
  double Covariance(double h) const;  // partial_sill · exp(−h / range_m), h > 0
};

struct VariogramBin {
  double lag_m = 0;  // mean distance of the bin's pairs
  double gamma = 0;  // half the mean squared difference
  std::uint64_t pairs = 0;
};

// Matheron's estimator over pairs of points closer than the last bin edge (8 km): up to
// `anchors` points taken at an even stride, each paired with every point within 1 km and with the
// points of an even 20,000-point subsample from 1 to 8 km. Bins with no pair are left out.
std::vector<VariogramBin> EmpiricalVariogram(std::span<const double> x, std::span<const double> y,
                                             std::span<const double> value,
                                             std::size_t anchors = 2000);

// Weighted least squares fit (Cressie's weights N_h / γ(h)²) of the exponential model: the range
// over a log-spaced grid 50 m … 30 km, nugget and partial sill by linear least squares for each
// range, both kept >= 0. With fewer than 3 bins: a pure nugget at the bins' mean.
Variogram FitExponentialVariogram(std::span<const VariogramBin> bins);

struct KrigingOptions {
  std::size_t neighbours = 24;  // data used per estimate (nearest to the tile's centre)
  double tile_m = 400;          // targets in one tile share one neighbourhood and factorisation
  double search_ranges = 4;     // data farther than this many ranges are not used
  unsigned threads = 0;         // 0 = every core
};

struct KrigingEstimate {
  double value = 0;     // estimated residual (0 = the model)
  double variance = 0;  // kriging variance of the cell's level: micro + partial sill − wᵀc
};

class ResidualKriging {
 public:
  // Data at (x, y) with residual `value` and noise variance `noise_var` (all spans of one size,
  // kept by reference: they must outlive this object). `micro_nugget` is the part of the
  // variogram's nugget not explained by the data noise.
  ResidualKriging(std::span<const double> x, std::span<const double> y,
                  std::span<const double> value, std::span<const double> noise_var,
                  const Variogram& variogram, double micro_nugget, KrigingOptions options = {});
  ~ResidualKriging();
  ResidualKriging(const ResidualKriging&) = delete;
  ResidualKriging& operator=(const ResidualKriging&) = delete;

  // The variance far from every datum: partial sill + micro nugget.
  double prior_variance() const;
  // One estimate, with the neighbours nearest to the point itself.
  KrigingEstimate At(double x, double y) const;
  // Estimates for many targets (tile-shared neighbourhoods, in parallel); out[i] for (tx[i],
  // ty[i]).
  void Predict(std::span<const double> tx, std::span<const double> ty,
               std::span<KrigingEstimate> out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace covgap::geo::prediction
