#include "geo/gaps/gap_identity.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

struct Shape {
  GeosGeometry geometry;
  Envelope envelope;
};

Shape Read(GEOSContextHandle_t ctx, const GeosWkbReader& reader, const std::string& wkb) {
  Shape s;
  s.geometry = reader.Read(wkb);
  if (s.geometry) s.envelope = EnvelopeOf(ctx, s.geometry.get());
  return s;
}

using GroupKey = std::tuple<GapKind, std::string, Technology, std::string>;

GroupKey KeyOf(const Gap& g) { return {g.kind, g.operator_id, g.tech, g.crs}; }

}  // namespace

IdentityStats MatchGapIdentities(const std::vector<Gap>& previous, std::vector<Gap>& gaps) {
  GeosContext context;
  GEOSContextHandle_t ctx = context.get();
  const GeosWkbReader reader(ctx);

  std::map<GroupKey, std::vector<std::size_t>> previous_by_group;
  for (std::size_t p = 0; p < previous.size(); ++p) {
    previous_by_group[KeyOf(previous[p])].push_back(p);
  }
  std::vector<Shape> previous_shapes(previous.size());
  for (std::size_t p = 0; p < previous.size(); ++p) {
    previous_shapes[p] = Read(ctx, reader, previous[p].wkb);
  }

  // Candidate pairs: (overlap area, previous id, new id, new index, previous index).
  std::vector<std::tuple<double, std::string, std::string, std::size_t, std::size_t>> pairs;
  for (std::size_t n = 0; n < gaps.size(); ++n) {
    auto group = previous_by_group.find(KeyOf(gaps[n]));
    if (group == previous_by_group.end()) continue;
    const Shape shape = Read(ctx, reader, gaps[n].wkb);
    if (!shape.geometry) continue;
    for (std::size_t p : group->second) {
      const Shape& old = previous_shapes[p];
      if (!old.geometry || old.envelope.maxx <= shape.envelope.minx ||
          old.envelope.minx >= shape.envelope.maxx || old.envelope.maxy <= shape.envelope.miny ||
          old.envelope.miny >= shape.envelope.maxy) {
        continue;
      }
      const GeosGeometry inter =
          Own(ctx, GEOSIntersection_r(ctx, shape.geometry.get(), old.geometry.get()));
      double area = 0;
      if (inter) GEOSArea_r(ctx, inter.get(), &area);
      if (area > 0) pairs.emplace_back(area, previous[p].gap_id, gaps[n].gap_id, n, p);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) < std::get<1>(b);
    return std::get<2>(a) < std::get<2>(b);
  });

  IdentityStats stats;
  std::vector<bool> new_taken(gaps.size(), false), old_taken(previous.size(), false);
  std::set<std::string> used;
  for (const auto& [area, old_id, new_id, n, p] : pairs) {
    if (new_taken[n] || old_taken[p]) continue;
    new_taken[n] = old_taken[p] = true;
    gaps[n].gap_id = old_id;
    used.insert(old_id);
    ++stats.kept;
  }
  for (std::size_t n = 0; n < gaps.size(); ++n) {
    if (new_taken[n]) continue;
    const std::string base = gaps[n].gap_id;
    std::string id = base;
    for (int k = 2; used.count(id); ++k) id = base + "-" + std::to_string(k);
    gaps[n].gap_id = id;
    used.insert(id);
    ++stats.fresh;
  }
  stats.ended = static_cast<std::size_t>(std::count(old_taken.begin(), old_taken.end(), false));
  return stats;
}

}  // namespace covgap::geo
