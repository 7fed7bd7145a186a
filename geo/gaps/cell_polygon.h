// The union of grid cells as polygons, traced exactly along cell edges.
//
// The cells are split into 4-connected components; each component becomes one polygon. Boundary
// edges are the cell sides with no member cell on the other side, oriented so that the cells lie
// on their left; rings are the cycles of "next edge at the end vertex". Where two cells of a
// component meet only at a vertex, the two empty cells there belong to different empty regions
// (the component connects around them), so the ring takes the right turn: it keeps each empty
// region's boundary on its own ring. No ring then touches itself; the shell is counter-clockwise,
// holes are clockwise and may touch the shell or each other at single vertices (valid OGC
// geometry). Collinear vertices are dropped; coordinates are exact multiples of the cell size.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace covgap::geo {

struct CellIndex {
  std::int32_t ix;
  std::int32_t iy;
};

struct Ring {
  std::vector<std::pair<std::int64_t, std::int64_t>> vertices;  // grid vertices, not closed
  std::int64_t twice_area = 0;  // positive: counter-clockwise (outer)
};

struct CellPolygon {
  Ring shell;
  std::vector<Ring> holes;
};

// Polygons of the union of `cells` (no duplicates): one per 4-connected component.
std::vector<CellPolygon> TraceCells(std::span<const CellIndex> cells);

// The polygons as an ISO WKB MultiPolygon (little-endian), vertex (i, j) at (i*s, j*s).
std::string ToMultiPolygonWkb(const std::vector<CellPolygon>& polygons, double cell_size);

}  // namespace covgap::geo
