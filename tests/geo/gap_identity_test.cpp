// Gap identity across analyses: overlap, splits, merges, groups.
#include "geo/gaps/gap_identity.h"

#include <gtest/gtest.h>

#include "geo/gaps/cell_polygon.h"

namespace covgap::geo {
namespace {

Gap Make(const std::string& id, std::vector<CellIndex> cells, const std::string& op = "viettel",
         Technology tech = Technology::kLte) {
  Gap g;
  g.gap_id = id;
  g.operator_id = op;
  g.tech = tech;
  g.crs = "EPSG:32648";
  g.wkb = ToMultiPolygonWkb(TraceCells(cells), 100.0);
  return g;
}

std::vector<CellIndex> Row(int from, int to, int y = 0) {
  std::vector<CellIndex> cells;
  for (int x = from; x <= to; ++x) cells.push_back({x, y});
  return cells;
}

TEST(GapIdentity, AnOverlappingGapKeepsItsIdEvenWhenItsShapeChanges) {
  std::vector<Gap> previous = {Make("viettel-LTE-0_0", Row(0, 3))};
  std::vector<Gap> gaps = {Make("viettel-LTE-1_0", Row(1, 5))};
  const IdentityStats stats = MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "viettel-LTE-0_0");
  EXPECT_EQ(stats.kept, 1u);
  EXPECT_EQ(stats.fresh, 0u);
  EXPECT_EQ(stats.ended, 0u);
}

TEST(GapIdentity, ASplitKeepsTheIdOnTheLargestPart) {
  std::vector<Gap> previous = {Make("A", Row(0, 5))};
  std::vector<Gap> gaps = {Make("viettel-LTE-0_0", Row(0, 1)), Make("viettel-LTE-3_0", Row(3, 5))};
  const IdentityStats stats = MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "viettel-LTE-0_0");  // the smaller part is a new gap
  EXPECT_EQ(gaps[1].gap_id, "A");
  EXPECT_EQ(stats.kept, 1u);
  EXPECT_EQ(stats.fresh, 1u);
}

TEST(GapIdentity, AMergeKeepsTheIdOfTheGapItOverlapsMost) {
  std::vector<Gap> previous = {Make("A", Row(0, 1)), Make("B", Row(3, 5))};
  std::vector<Gap> gaps = {Make("viettel-LTE-0_0", Row(0, 5))};
  const IdentityStats stats = MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "B");
  EXPECT_EQ(stats.kept, 1u);
  EXPECT_EQ(stats.ended, 1u);  // A ends
}

TEST(GapIdentity, OnlyTheSameOperatorTechnologyAndKindMatch) {
  std::vector<Gap> previous = {Make("A", Row(0, 3), "vnpt"),
                               Make("B", Row(0, 3), "viettel", Technology::kUmts)};
  Gap common = Make("C", Row(0, 3), "");
  common.kind = GapKind::kCommon;
  previous.push_back(common);
  std::vector<Gap> gaps = {Make("viettel-LTE-0_0", Row(0, 3))};
  MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "viettel-LTE-0_0");
}

TEST(GapIdentity, ANewIdNeverCollidesWithAKeptOne) {
  // The new gap at cells 0..3 takes "viettel-LTE-9_0"'s id; another new gap whose own id is
  // that same text gets a suffix.
  std::vector<Gap> previous = {Make("viettel-LTE-9_0", Row(0, 3))};
  std::vector<Gap> gaps = {Make("viettel-LTE-0_0", Row(0, 3)),
                           Make("viettel-LTE-9_0", Row(9, 12, 5))};
  MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "viettel-LTE-9_0");
  EXPECT_EQ(gaps[1].gap_id, "viettel-LTE-9_0-2");
}

TEST(GapIdentity, CornerContactIsNoOverlap) {
  std::vector<Gap> previous = {Make("A", {{0, 0}})};
  std::vector<Gap> gaps = {Make("viettel-LTE-1_1", {{1, 1}})};
  MatchGapIdentities(previous, gaps);
  EXPECT_EQ(gaps[0].gap_id, "viettel-LTE-1_1");
}

}  // namespace
}  // namespace covgap::geo
