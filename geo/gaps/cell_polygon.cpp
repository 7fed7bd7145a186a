#include "geo/gaps/cell_polygon.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace covgap::geo {
namespace {

using Vertex = std::pair<std::int64_t, std::int64_t>;

std::uint64_t Key(std::int64_t x, std::int64_t y) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) << 32) |
         static_cast<std::uint32_t>(y);
}

// Directions: 0 = +x, 1 = +y, 2 = -x, 3 = -y. The left turn of d is (d + 1) % 4.
constexpr std::int64_t kDx[] = {1, 0, -1, 0};
constexpr std::int64_t kDy[] = {0, 1, 0, -1};

struct Edge {
  std::int64_t x, y;  // start vertex
  int dir;
};

bool CellInsideRing(const Ring& ring, double px, double py) {
  bool inside = false;
  const auto& v = ring.vertices;
  for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
    const double xi = static_cast<double>(v[i].first), yi = static_cast<double>(v[i].second);
    const double xj = static_cast<double>(v[j].first), yj = static_cast<double>(v[j].second);
    if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

void PutU32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void PutF64(std::string& out, double v) { out.append(reinterpret_cast<const char*>(&v), 8); }

// Traces one 4-connected component.
void TraceComponent(std::span<const CellIndex> cells, std::vector<CellPolygon>& polygons) {
  std::unordered_set<std::uint64_t> members;
  members.reserve(cells.size() * 2);
  for (const auto& c : cells) members.insert(Key(c.ix, c.iy));
  auto has = [&](std::int64_t x, std::int64_t y) { return members.count(Key(x, y)) > 0; };

  std::vector<Edge> edges;
  for (const auto& c : cells) {
    const std::int64_t i = c.ix, j = c.iy;
    if (!has(i, j - 1)) edges.push_back({i, j, 0});          // bottom, +x
    if (!has(i + 1, j)) edges.push_back({i + 1, j, 1});      // right, +y
    if (!has(i, j + 1)) edges.push_back({i + 1, j + 1, 2});  // top, -x
    if (!has(i - 1, j)) edges.push_back({i, j + 1, 3});      // left, -y
  }
  // Outgoing edges per start vertex: at most two (where two cells meet only at the vertex).
  std::unordered_map<std::uint64_t, std::pair<int, int>> out;
  out.reserve(edges.size() * 2);
  for (int e = 0; e < static_cast<int>(edges.size()); ++e) {
    auto [it, inserted] = out.try_emplace(Key(edges[e].x, edges[e].y), e, -1);
    if (!inserted) it->second.second = e;
  }
  auto next = [&](int e) {
    const Edge& cur = edges[e];
    const auto& [a, b] = out.at(Key(cur.x + kDx[cur.dir], cur.y + kDy[cur.dir]));
    if (b < 0) return a;
    return edges[a].dir == (cur.dir + 3) % 4 ? a : b;  // two choices: take the right turn
  };

  std::vector<char> used(edges.size(), 0);
  std::vector<Ring> shells, holes;
  for (int start = 0; start < static_cast<int>(edges.size()); ++start) {
    if (used[start]) continue;
    Ring ring;
    int e = start;
    int prev_dir = -1;
    // Begin at a corner so the first vertex is not a collinear one.
    do {
      const int n = next(e);
      if (edges[n].dir != edges[e].dir) {
        e = n;
        break;
      }
      e = n;
    } while (e != start);
    const int first = e;
    do {
      used[e] = 1;
      if (edges[e].dir != prev_dir) ring.vertices.emplace_back(edges[e].x, edges[e].y);
      prev_dir = edges[e].dir;
      e = next(e);
    } while (e != first);
    const auto& v = ring.vertices;
    for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
      ring.twice_area += v[j].first * v[i].second - v[i].first * v[j].second;
    }
    (ring.twice_area > 0 ? shells : holes).push_back(std::move(ring));
  }

  const std::size_t base = polygons.size();
  for (auto& shell : shells) polygons.emplace_back().shell = std::move(shell);
  for (auto& hole : holes) {
    std::size_t owner = base;
    if (polygons.size() > base + 1) {  // (a 4-connected component has one shell)
      // The member cell left of the hole's first edge lies inside exactly one shell.
      const Vertex a = hole.vertices[0], b = hole.vertices[1];
      const int dir = b.first > a.first ? 0 : b.second > a.second ? 1 : b.first < a.first ? 2 : 3;
      const double cx = static_cast<double>(a.first) + 0.5 * kDx[dir] - 0.5 * kDy[dir];
      const double cy = static_cast<double>(a.second) + 0.5 * kDy[dir] + 0.5 * kDx[dir];
      std::int64_t smallest = INT64_MAX;  // the innermost shell holding the cell
      for (std::size_t s = base; s < polygons.size(); ++s) {
        if (polygons[s].shell.twice_area < smallest && CellInsideRing(polygons[s].shell, cx, cy)) {
          owner = s;
          smallest = polygons[s].shell.twice_area;
        }
      }
    }
    polygons[owner].holes.push_back(std::move(hole));
  }
}

}  // namespace

std::vector<CellPolygon> TraceCells(std::span<const CellIndex> cells) {
  // 4-connected components (union-find over a cell -> index map).
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  index.reserve(cells.size() * 2);
  for (std::uint32_t i = 0; i < cells.size(); ++i) index.emplace(Key(cells[i].ix, cells[i].iy), i);
  std::vector<std::uint32_t> parent(cells.size());
  for (std::uint32_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::uint32_t i = 0; i < cells.size(); ++i) {
    for (auto [dx, dy] : {std::pair{1, 0}, std::pair{0, 1}}) {
      auto it = index.find(Key(std::int64_t{cells[i].ix} + dx, std::int64_t{cells[i].iy} + dy));
      if (it != index.end()) {
        const std::uint32_t a = find(i), b = find(it->second);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
      }
    }
  }
  std::vector<std::vector<CellIndex>> components;
  std::unordered_map<std::uint32_t, std::size_t> component_of;
  for (std::uint32_t i = 0; i < cells.size(); ++i) {
    auto [it, inserted] = component_of.try_emplace(find(i), components.size());
    if (inserted) components.emplace_back();
    components[it->second].push_back(cells[i]);
  }
  std::vector<CellPolygon> polygons;
  for (const auto& component : components) TraceComponent(component, polygons);
  return polygons;
}

std::string ToMultiPolygonWkb(const std::vector<CellPolygon>& polygons, double s) {
  std::string wkb;
  auto ring_out = [&](const Ring& r) {
    PutU32(wkb, static_cast<std::uint32_t>(r.vertices.size() + 1));
    for (const auto& [x, y] : r.vertices) {
      PutF64(wkb, static_cast<double>(x) * s);
      PutF64(wkb, static_cast<double>(y) * s);
    }
    PutF64(wkb, static_cast<double>(r.vertices[0].first) * s);
    PutF64(wkb, static_cast<double>(r.vertices[0].second) * s);
  };
  wkb.push_back(1);  // little-endian
  PutU32(wkb, 6);    // MultiPolygon
  PutU32(wkb, static_cast<std::uint32_t>(polygons.size()));
  for (const auto& p : polygons) {
    wkb.push_back(1);
    PutU32(wkb, 3);  // Polygon
    PutU32(wkb, static_cast<std::uint32_t>(1 + p.holes.size()));
    ring_out(p.shell);
    for (const auto& h : p.holes) ring_out(h);
  }
  return wkb;
}

}  // namespace covgap::geo
