#include "geo/prediction/point_index.h"

#include <nanoflann.hpp>

namespace covgap::geo::prediction {

struct PointIndex::Impl {
  struct Cloud {
    std::span<const double> x, y;
    std::size_t kdtree_get_point_count() const { return x.size(); }
    double kdtree_get_pt(std::size_t i, std::size_t dim) const { return dim == 0 ? x[i] : y[i]; }
    template <class Box>
    bool kdtree_get_bbox(Box&) const {
      return false;
    }
  };
  using Tree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, Cloud>,
                                                   Cloud, 2, std::uint32_t>;
  Cloud cloud;
  Tree tree;
  explicit Impl(Cloud c) : cloud(c), tree(2, cloud, nanoflann::KDTreeSingleIndexAdaptorParams(16)) {
    tree.buildIndex();
  }
};

PointIndex::PointIndex(std::span<const double> x, std::span<const double> y)
    : impl_(std::make_unique<Impl>(Impl::Cloud{x, y})) {}

PointIndex::~PointIndex() = default;

std::size_t PointIndex::size() const { return impl_->cloud.x.size(); }

std::size_t PointIndex::Nearest(double qx, double qy, std::size_t k, std::uint32_t* index,
                                double* dist2) const {
  if (k == 0 || size() == 0) return 0;
  const double q[2] = {qx, qy};
  return impl_->tree.knnSearch(q, k, index, dist2);
}

void PointIndex::Within(double qx, double qy, double radius,
                        std::vector<std::uint32_t>& out) const {
  out.clear();
  if (size() == 0) return;
  const double q[2] = {qx, qy};
  std::vector<std::pair<std::uint32_t, double>> found;
  nanoflann::SearchParams params;
  params.sorted = false;
  impl_->tree.radiusSearch(q, radius * radius, found, params);
  out.reserve(found.size());
  for (const auto& [i, d2] : found) out.push_back(i);
}

}  // namespace covgap::geo::prediction
