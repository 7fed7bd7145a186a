// The path-loss part of the coverage prediction (docs/prediction.md "Path loss"): received
// reference-signal power from an operator's sites with COST-231-Hata, best server over the nearby
// sites, and its calibration to the measurements by robust least squares.
//
//   P(site, d) = EIRP − RS − [A(f, h) + a + c_site] − [B(h) + b] · log10(max(d, 50 m) / 1 km) +
//   G(θ)
//
// A, B are the textbook COST-231-Hata intercept and slope (medium city, mobile at 1.5 m), RS the
// reference-signal share of the carrier power (ReferenceSignalOffsetDb), G the horizontal antenna
// pattern of a sector site (3GPP TR 36.814, omni = 0). Calibration fits the intercept and slope
// corrections a, b of one operator and technology, and a per-site offset c_site for every site
// with enough points (shrunk towards 0), to points = measured cell medians, by Huber-weighted
// iteratively re-weighted least squares; best-server assignment is redone with the current model
// on every outer iteration. The uncalibrated model (a = b = c = 0) is the validation baseline.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/measurement.h"
#include "geo/model/site.h"

namespace covgap::geo::prediction {

inline constexpr double kMobileHeightM = 1.5;
inline constexpr double kMinDistanceKm = 0.05;
inline constexpr double kDefaultBeamwidthDeg = 65;

// dB between the carrier EIRP and the power of the measured reference signal: LTE RSRP is one
// resource element of 1200 (20 MHz), NR one of 3276 (100 MHz at 30 kHz), UMTS RSCP the CPICH at
// 10 % of the cell power, GSM RxLev the whole BCCH carrier.
double ReferenceSignalOffsetDb(Technology tech);

struct HataTerms {
  double intercept_db = 0;  // path loss at 1 km
  double slope_db = 0;      // per decade of distance
};
// COST-231-Hata for 1500–2000 MHz, Okumura-Hata below (frequency clamped to 150–2000 MHz; above
// 2000 MHz the COST-231 form is extended, the calibration absorbs the difference).
HataTerms HataModel(double band_mhz, double height_m);

// 3GPP TR 36.814 horizontal pattern: −min(12 (Δθ/θ3dB)², 25) dB, Δθ the bearing off the azimuth.
double AntennaGainDb(std::optional<double> azimuth_deg, std::optional<double> beamwidth_deg,
                     double bearing_deg);

struct Calibration {
  double intercept_db = 0;  // a: added to every site's Hata intercept (more loss when > 0)
  double slope_db = 0;      // b: added to every site's Hata slope
  std::vector<float> site_offset_db;       // c per site of the layout (0: none fitted)
  std::vector<std::uint32_t> site_points;  // points whose best server is the site (last fit)
  std::uint32_t sites_with_offset = 0;
  double residual_sd_db = 0;  // robust (1.4826·MAD) sd of measured − model at the fit points
  std::uint64_t points = 0;
  int iterations = 0;
  bool calibrated = false;  // false: the textbook model
};

struct Server {
  double dbm = -1e9;       // predicted reference-signal power of the best server
  std::int32_t site = -1;  // index in the layout; -1 when there is no site
  double log_d = 0;        // log10(distance / 1 km), distance at least 50 m
};

// The sites of one operator and technology projected to the analysis CRS, with candidate lists
// for the best-server search. Immutable once built: Best() may be called from many threads.
class SiteLayout {
 public:
  // Fails when the CRS cannot be used. An empty span gives an empty layout (Best: no server).
  static StatusOr<std::unique_ptr<SiteLayout>> Build(std::span<const Site> sites,
                                                     const std::string& analysis_crs);
  ~SiteLayout();
  SiteLayout(const SiteLayout&) = delete;
  SiteLayout& operator=(const SiteLayout&) = delete;

  std::size_t size() const;
  const Site& site(std::size_t i) const;
  double x(std::size_t i) const;
  double y(std::size_t i) const;

  // The best server at (x, y) among the kCandidates sites nearest to the point's 1 km block.
  Server Best(double x, double y, const Calibration& cal) const;
  // Power of site i at (x, y) without the calibration's a, b, c: k0 − B·log_d + G; log_d out.
  double BasePower(std::size_t i, double x, double y, double* log_d) const;

  static constexpr std::size_t kCandidates = 10;

 private:
  SiteLayout();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct FitPoint {
  double x = 0, y = 0;  // analysis CRS
  double dbm = 0;       // measured (a cell's median)
  double weight = 1;
};

struct FitOptions {
  int max_outer_iterations = 8;  // best-server re-assignments
  int irls_iterations = 6;
  double huber_k = 1.345;  // Huber's constant, in robust sd units
  // A site gets an offset of its own once this many points choose it as best server; the
  // offset is the weighted mean residual shrunk by `site_shrinkage` points' worth of weight.
  std::uint32_t min_site_points = 30;
  double site_shrinkage = 20;
  unsigned threads = 0;  // best-server assignment; 0 = every core
};

// Fits a, b and per-site offsets to the points. With no point or no site, returns the textbook
// model (calibrated = false).
Calibration Calibrate(const SiteLayout& layout, std::span<const FitPoint> points,
                      const FitOptions& options = {});

}  // namespace covgap::geo::prediction
