// Nearest-neighbour queries over a fixed set of 2-D points (projected metres): a k-d tree
// (nanoflann, Debian libnanoflann-dev) behind a small interface, so that no caller sees the
// library. Built once, then queried from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace covgap::geo::prediction {

class PointIndex {
 public:
  // Indexes the points (x[i], y[i]); the spans must outlive the index.
  PointIndex(std::span<const double> x, std::span<const double> y);
  ~PointIndex();
  PointIndex(const PointIndex&) = delete;
  PointIndex& operator=(const PointIndex&) = delete;

  std::size_t size() const;
  // The (at most) k nearest points to (qx, qy) with squared distances, nearest first.
  // Returns how many were found (fewer than k only when the index holds fewer points).
  std::size_t Nearest(double qx, double qy, std::size_t k, std::uint32_t* index,
                      double* dist2) const;
  // Every point within `radius` of (qx, qy), in no particular order.
  void Within(double qx, double qy, double radius, std::vector<std::uint32_t>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace covgap::geo::prediction
