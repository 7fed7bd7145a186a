// Residual kriging and its variogram on synthetic data with known answers.
#include "geo/prediction/kriging.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo::prediction {
namespace {

TEST(Variogram, FitsAnExponentialModelToItsOwnCurve) {
  const Variogram truth{4.0, 30.0, 600.0};
  std::vector<VariogramBin> bins;
  for (double h : {100.0, 200.0, 300.0, 450.0, 600.0, 850.0, 1200.0, 1700.0, 2400.0, 3400.0}) {
    bins.push_back({h, truth.Gamma(h), 1000});
  }
  const Variogram fit = FitExponentialVariogram(bins);
  EXPECT_NEAR(fit.nugget, 4.0, 0.5);
  EXPECT_NEAR(fit.partial_sill, 30.0, 2.0);
  EXPECT_NEAR(fit.range_m, 600.0, 60.0);
}

TEST(Variogram, WhiteNoiseIsFlatAtItsVariance) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> pos(0, 20000);
  std::normal_distribution<double> noise(0, 3.0);
  std::vector<double> x(5000), y(5000), v(5000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = pos(rng);
    y[i] = pos(rng);
    v[i] = noise(rng);
  }
  const auto bins = EmpiricalVariogram(x, y, v);
  ASSERT_GE(bins.size(), 8u);
  for (const auto& b : bins) EXPECT_NEAR(b.gamma, 9.0, 1.5) << "lag " << b.lag_m;
}

struct Data {
  std::vector<double> x, y, r, noise;
};

TEST(Kriging, ReproducesAWellMeasuredPointAndReturnsToTheModelFarAway) {
  Data d;
  // A cluster of cells 100 m apart with residuals +6 dB; one of them measured very precisely.
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      d.x.push_back(i * 100.0);
      d.y.push_back(j * 100.0);
      d.r.push_back(6.0 + (i == 2 && j == 2 ? 3.0 : 0.0));
      d.noise.push_back(i == 2 && j == 2 ? 1e-6 : 2.0);
    }
  }
  const Variogram v{1.0, 36.0, 500.0};
  ResidualKriging k(d.x, d.y, d.r, d.noise, v, 0.5);
  const KrigingEstimate at = k.At(200.0, 200.0);
  EXPECT_NEAR(at.value, 9.0, 0.05);
  EXPECT_LT(at.variance, 0.01);
  const KrigingEstimate far = k.At(50'000.0, 50'000.0);
  EXPECT_DOUBLE_EQ(far.value, 0.0);
  EXPECT_DOUBLE_EQ(far.variance, k.prior_variance());
  EXPECT_DOUBLE_EQ(k.prior_variance(), 36.5);
}

TEST(Kriging, SigmaGrowsWithDistanceFromTheData) {
  Data d;
  for (int i = 0; i < 20; ++i) {
    d.x.push_back(i * 100.0);
    d.y.push_back(0);
    d.r.push_back(-5.0);
    d.noise.push_back(1.0);
  }
  const Variogram v{2.0, 40.0, 800.0};
  ResidualKriging k(d.x, d.y, d.r, d.noise, v, 1.0);
  double last_var = -1, last_abs = 1e9;
  for (double off : {0.0, 50.0, 150.0, 400.0, 1000.0, 2000.0, 3000.0}) {
    const KrigingEstimate e = k.At(1000.0, off);
    EXPECT_GT(e.variance, last_var) << off;
    EXPECT_LT(std::fabs(e.value), last_abs + 1e-9) << off;  // the residual fades towards 0
    last_var = e.variance;
    last_abs = std::fabs(e.value);
  }
  EXPECT_LE(last_var, k.prior_variance());
}

TEST(Kriging, BatchPredictionMatchesSinglePointsNearTheTileCentre) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> pos(0, 5000);
  std::normal_distribution<double> n(0, 4);
  Data d;
  for (int i = 0; i < 500; ++i) {
    d.x.push_back(pos(rng));
    d.y.push_back(pos(rng));
    d.r.push_back(n(rng));
    d.noise.push_back(1.0);
  }
  const Variogram v{2.0, 16.0, 700.0};
  ResidualKriging k(d.x, d.y, d.r, d.noise, v, 1.0);
  // Targets at tile centres use exactly the neighbourhood At() would.
  std::vector<double> tx = {200, 600, 2200, 4600}, ty = {200, 1000, 3800, 4600};
  std::vector<KrigingEstimate> out(tx.size());
  k.Predict(tx, ty, out);
  for (std::size_t i = 0; i < tx.size(); ++i) {
    const KrigingEstimate e = k.At(tx[i], ty[i]);
    EXPECT_NEAR(out[i].value, e.value, 1e-9);
    EXPECT_NEAR(out[i].variance, e.variance, 1e-9);
  }
}

TEST(Probability, PGoodIsMonotoneInThePredictedLevel) {
  double last = -1;
  for (double dbm = -140; dbm <= -60; dbm += 0.5) {
    const double p = ProbabilityAtLeast(dbm, 6.0, -105);
    EXPECT_GE(p, last);
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
    last = p;
  }
  EXPECT_NEAR(ProbabilityAtLeast(-105, 6.0, -105), 0.5, 1e-12);
  EXPECT_NEAR(ProbabilityAtLeast(-99, 6.0, -105), 0.841344746, 1e-6);  // +1σ
  EXPECT_EQ(ProbabilityAtLeast(-104, 0.0, -105), 1.0);
}

}  // namespace
}  // namespace covgap::geo::prediction
