#include "geo/gaps/gap_attribution.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "geo/grid/coverage_grid.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {

struct AreaIndex::Impl {
  struct Entry {
    AreaLevel level;
    std::string name;
    PreparedShape shape;
  };
  GeosContext ctx;
  GeosWkbReader reader{ctx.get()};
  std::vector<Entry> entries;
};

AreaIndex::AreaIndex() : impl_(std::make_unique<Impl>()) {}
AreaIndex::~AreaIndex() = default;

StatusOr<std::unique_ptr<AreaIndex>> AreaIndex::Build(const std::vector<AdminArea>& areas,
                                                      const std::string& analysis_crs) {
  InitGdal();
  std::unique_ptr<AreaIndex> index(new AreaIndex());
  Impl& impl = *index->impl_;
  auto wgs84 = MakeSrs("EPSG:4326");
  auto target = MakeSrs(analysis_crs);
  if (!wgs84.ok()) return wgs84.status();
  if (!target.ok()) return target.status();
  TransformPtr transform(OCTNewCoordinateTransformation(wgs84->get(), target->get()));
  if (!transform) return InvalidArgument("cannot transform WGS84 to " + analysis_crs);
  for (const AdminArea& area : areas) {
    OGRGeometryH raw = nullptr;
    if (OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(area.wkb.data()), nullptr, &raw,
                            static_cast<int>(area.wkb.size())) != OGRERR_NONE) {
      return Status(StatusCode::kDataLoss, "area '" + area.name + "' has unreadable geometry");
    }
    OgrGeometryPtr g(raw);
    if (OGR_G_Transform(g.get(), transform.get()) != OGRERR_NONE) {
      return InvalidArgument("area '" + area.name + "' cannot be projected to " + analysis_crs);
    }
    std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g.get())), '\0');
    OGR_G_ExportToIsoWkb(g.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
    PreparedShape shape = PreparedShape::Make(impl.ctx.get(), impl.reader.Read(wkb));
    if (!shape.geometry) continue;
    impl.entries.push_back({area.level, area.name, std::move(shape)});
  }
  return index;
}

void AreaIndex::Attribute(Gap& gap) const {
  const Impl& impl = *impl_;
  GEOSContextHandle_t ctx = impl.ctx.get();
  const GeosGeometry g = impl.reader.Read(gap.wkb);
  if (!g) return;
  const Envelope env = EnvelopeOf(ctx, g.get());
  // Per level: an area containing the gap wins outright; otherwise, among the areas the gap
  // intersects, the one with the largest intersection area (computed only when there are two
  // or more, on the area clipped to the gap's envelope).
  std::map<AreaLevel, const std::string*> best;
  std::map<AreaLevel, std::vector<const Impl::Entry*>> touching;
  for (const auto& e : impl.entries) {
    if (!e.shape.envelope.Intersects(env)) continue;
    if (best.count(e.level) && touching[e.level].empty()) continue;  // contained already
    if (GEOSPreparedContains_r(ctx, e.shape.prepared.get(), g.get()) == 1) {
      best[e.level] = &e.name;
      touching[e.level].clear();
    } else if (!best.count(e.level) &&
               GEOSPreparedIntersects_r(ctx, e.shape.prepared.get(), g.get()) == 1) {
      touching[e.level].push_back(&e);
    }
  }
  for (auto& [level, candidates] : touching) {
    if (best.count(level) || candidates.empty()) continue;
    if (candidates.size() == 1) {
      best[level] = &candidates[0]->name;
      continue;
    }
    double largest = 0;
    for (const Impl::Entry* e : candidates) {
      const GeosGeometry clipped = Own(ctx, GEOSClipByRect_r(ctx, e->shape.geometry.get(), env.minx,
                                                             env.miny, env.maxx, env.maxy));
      if (!clipped) continue;
      const GeosGeometry inter = Own(ctx, GEOSIntersection_r(ctx, clipped.get(), g.get()));
      double overlap = 0;
      if (inter) GEOSArea_r(ctx, inter.get(), &overlap);
      if (overlap > largest) {
        largest = overlap;
        best[level] = &e->name;
      }
    }
  }
  auto name_of = [&](AreaLevel level) {
    auto it = best.find(level);
    return it != best.end() ? *it->second : std::string();
  };
  gap.province = name_of(AreaLevel::kProvince);
  gap.district = name_of(AreaLevel::kDistrict);
  gap.commune = name_of(AreaLevel::kCommune);
}

namespace {

double LevelWeight(SchoolLevel level, const RankingWeights& w) {
  switch (level) {
    case SchoolLevel::kPrimary:
      return w.school_primary;
    case SchoolLevel::kLowerSecondary:
      return w.school_lower_secondary;
    case SchoolLevel::kUpperSecondary:
      return w.school_upper_secondary;
    case SchoolLevel::kContinuingEd:
      return w.school_continuing_ed;
  }
  return w.school_primary;
}

double SchoolPoints(const School& school, const RankingWeights& w) {
  return LevelWeight(school.level, w) +
         w.per_enrolled_student * static_cast<double>(std::max<std::int64_t>(0, school.students));
}

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::vector<std::pair<std::string, double RankingWeights::*>> RankingWeightKeys() {
  return {{"covid_orphan", &RankingWeights::covid_orphan},
          {"poor", &RankingWeights::poor},
          {"near_poor", &RankingWeights::near_poor},
          {"other_difficulty", &RankingWeights::other_difficulty},
          {"school_student", &RankingWeights::school_student},
          {"school_primary", &RankingWeights::school_primary},
          {"school_lower_secondary", &RankingWeights::school_lower_secondary},
          {"school_upper_secondary", &RankingWeights::school_upper_secondary},
          {"school_continuing_ed", &RankingWeights::school_continuing_ed},
          {"per_enrolled_student", &RankingWeights::per_enrolled_student},
          {"dead_share", &RankingWeights::dead_share},
          {"depth_per_db", &RankingWeights::depth_per_db},
          {"per_km2", &RankingWeights::per_km2},
          {"predicted_evidence", &RankingWeights::predicted_evidence}};
}

std::string RankingWeightKeyList() {
  std::string out;
  for (const auto& [key, field] : RankingWeightKeys()) out += (out.empty() ? "" : ", ") + key;
  return out;
}

Status SetRankingWeight(RankingWeights& weights, const std::string& key, double value) {
  for (const auto& [name, field] : RankingWeightKeys()) {
    if (name != key) continue;
    if (!std::isfinite(value) || value < 0) {
      char text[32];
      std::snprintf(text, sizeof text, "%g", value);
      return InvalidArgument("ranking weight " + key + " must be a number >= 0, not " + text);
    }
    weights.*field = value;
    return Status::Ok();
  }
  return InvalidArgument("unknown ranking weight '" + key +
                         "'; valid keys: " + RankingWeightKeyList());
}

StatusOr<std::vector<std::pair<std::string, double>>> ParseRankingWeightLines(
    const std::string& text) {
  std::vector<std::pair<std::string, double>> out;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const std::string content = Trim(line);
    if (content.empty()) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    const auto eq = content.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(where + "'" + content +
                             "' is not 'key = value'; valid keys: " + RankingWeightKeyList());
    }
    const std::string key = Trim(std::string_view(content).substr(0, eq));
    const std::string value_text = Trim(std::string_view(content).substr(eq + 1));
    double value = 0;
    std::size_t used = 0;
    try {
      value = std::stod(value_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (value_text.empty() || used != value_text.size()) {
      return InvalidArgument(where + "the value of " + key + ", '" + value_text +
                             "', is not a number");
    }
    RankingWeights probe;
    if (Status s = SetRankingWeight(probe, key, value); !s.ok()) {
      return InvalidArgument(where + s.message());
    }
    out.emplace_back(key, value);
  }
  return out;
}

StatusOr<RankingWeights> ParseRankingWeights(const std::string& text, const RankingWeights& base) {
  auto lines = ParseRankingWeightLines(text);
  if (!lines.ok()) return lines.status();
  RankingWeights w = base;
  for (const auto& [key, value] : lines.value()) {
    if (Status s = SetRankingWeight(w, key, value); !s.ok()) return s;
  }
  return w;
}

Status JoinPlaces(std::vector<FoundGap>& gaps, const std::vector<School>& schools,
                  const std::vector<Household>& households, const AnalysisParams& params,
                  const RankingWeights& weights) {
  auto projector = PointProjector::Create(params.analysis_crs);
  if (!projector.ok()) return projector.status();
  auto cell_keys = [&](auto const& places) {
    std::vector<double> x(places.size()), y(places.size());
    for (std::size_t i = 0; i < places.size(); ++i) {
      x[i] = places[i].lon;
      y[i] = places[i].lat;
    }
    projector.value()->Project(x.data(), y.data(), x.data(), y.data(), places.size());
    std::vector<std::uint64_t> keys(places.size());
    for (std::size_t i = 0; i < places.size(); ++i) {
      const double fx = std::floor(x[i] / params.cell_size_m);
      const double fy = std::floor(y[i] / params.cell_size_m);
      keys[i] = std::isfinite(fx) && std::isfinite(fy) && std::abs(fx) < 2e9 && std::abs(fy) < 2e9
                    ? CellKey(static_cast<std::int32_t>(fx), static_cast<std::int32_t>(fy))
                    : ~std::uint64_t{0};
    }
    return keys;
  };
  const auto school_cells = cell_keys(schools);
  const auto household_cells = cell_keys(households);
  // Gaps of one (kind, operator, technology) never share a cell; gaps of different ones do.
  std::map<std::tuple<GapKind, std::string, Technology>, std::unordered_map<std::uint64_t, Gap*>>
      cell_to_gap;
  for (auto& fg : gaps) {
    auto& m = cell_to_gap[{fg.gap.kind, fg.gap.operator_id, fg.gap.tech}];
    for (std::uint64_t c : fg.cells) m.emplace(c, &fg.gap);
  }
  for (auto& [group, m] : cell_to_gap) {
    for (std::size_t i = 0; i < schools.size(); ++i) {
      auto it = m.find(school_cells[i]);
      if (it == m.end()) continue;
      Gap& g = *it->second;
      ++g.schools;
      g.students_nodev += schools[i].students_nodev;
      g.hardship_students +=
          weights.school_student * static_cast<double>(schools[i].students_nodev);
      g.school_points += SchoolPoints(schools[i], weights);
    }
    for (std::size_t i = 0; i < households.size(); ++i) {
      auto it = m.find(household_cells[i]);
      if (it == m.end()) continue;
      Gap& g = *it->second;
      const Household& h = households[i];
      g.students_nodev += h.students_nodev;
      double w = weights.other_difficulty;
      switch (h.category) {
        case HouseholdCategory::kPoor:
          ++g.poor_hh;
          w = weights.poor;
          break;
        case HouseholdCategory::kNearPoor:
          ++g.npoor_hh;
          w = weights.near_poor;
          break;
        case HouseholdCategory::kCovidOrphan:
          w = weights.covid_orphan;
          break;
        case HouseholdCategory::kOtherDifficulty:
          break;
      }
      g.hardship_students += w * static_cast<double>(h.students_nodev);
    }
  }
  return Status::Ok();
}

void ScoreAndRank(std::vector<Gap>& gaps, const RankingWeights& weights,
                  const AnalysisParams& params) {
  for (Gap& g : gaps) {
    const double depth_db =
        std::max(0.0, static_cast<double>(params.ThresholdsFor(g.tech).good_dbm) - g.median_dbm);
    g.score = g.hardship_students + g.school_points + weights.dead_share * g.severity +
              weights.depth_per_db * depth_db + weights.per_km2 * g.area_m2 / 1e6;
    if (g.meas_share < 1.0) {
      g.score *= g.meas_share + (1.0 - g.meas_share) * weights.predicted_evidence;
    }
  }
  std::vector<Gap*> order;
  for (Gap& g : gaps) order.push_back(&g);
  std::sort(order.begin(), order.end(), [](const Gap* a, const Gap* b) {
    if (a->kind != b->kind) return a->kind < b->kind;
    if (a->operator_id != b->operator_id) return a->operator_id < b->operator_id;
    if (a->tech != b->tech) return a->tech < b->tech;
    if (a->score != b->score) return a->score > b->score;
    if (a->area_m2 != b->area_m2) return a->area_m2 > b->area_m2;
    return a->gap_id < b->gap_id;
  });
  std::int64_t grp_rank = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const bool same_group = i > 0 && order[i]->kind == order[i - 1]->kind &&
                            order[i]->operator_id == order[i - 1]->operator_id &&
                            order[i]->tech == order[i - 1]->tech;
    grp_rank = same_group ? grp_rank + 1 : 1;
    order[i]->grp_rank = grp_rank;
  }
  // The province's list: one row per gap that is not inside a common gap.
  // A row is as urgent as its most urgent gap: a common gap ranks by the highest score of itself
  // and the operator gaps inside it.
  std::unordered_map<std::string_view, double> row_score;
  for (const Gap& g : gaps) {
    if (g.kind == GapKind::kCommon) row_score.try_emplace(g.gap_id, g.score);
  }
  for (const Gap& g : gaps) {
    if (g.common_id.empty()) continue;
    if (auto it = row_score.find(g.common_id); it != row_score.end()) {
      it->second = std::max(it->second, g.score);
    }
  }
  auto score_of = [&](const Gap* g) {
    auto it = row_score.find(g->gap_id);
    return g->kind == GapKind::kCommon && it != row_score.end() ? it->second : g->score;
  };
  std::erase_if(order, [](const Gap* g) { return !g->common_id.empty(); });
  std::sort(order.begin(), order.end(), [&](const Gap* a, const Gap* b) {
    const double sa = score_of(a), sb = score_of(b);
    if (sa != sb) return sa > sb;
    if (a->area_m2 != b->area_m2) return a->area_m2 > b->area_m2;
    return a->gap_id < b->gap_id;
  });
  std::unordered_map<std::string_view, std::int64_t> row_rank;
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i]->rank = static_cast<std::int64_t>(i) + 1;
    if (order[i]->kind == GapKind::kCommon) row_rank.emplace(order[i]->gap_id, order[i]->rank);
  }
  for (Gap& g : gaps) {
    if (g.common_id.empty()) continue;
    auto it = row_rank.find(g.common_id);
    g.rank = it != row_rank.end() ? it->second : 0;
  }
}

void GroupContainedGaps(std::vector<FoundGap>& gaps) {
  // The common gap of each (technology, cell).
  std::map<Technology, std::unordered_map<std::uint64_t, std::size_t>> common_of;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    const Gap& g = gaps[i].gap;
    if (g.kind != GapKind::kCommon) continue;
    for (std::uint64_t cell : gaps[i].cells) {
      common_of[g.tech].emplace(cell, i);
    }
  }
  std::map<std::size_t, std::set<std::string>> inside;  // common gap -> operators inside
  for (FoundGap& fg : gaps) {
    if (fg.gap.kind != GapKind::kOperator || fg.cells.empty()) continue;
    auto tech = common_of.find(fg.gap.tech);
    if (tech == common_of.end()) continue;
    const auto& index = tech->second;
    auto first = index.find(fg.cells.front());
    if (first == index.end()) continue;
    const bool all_inside = std::all_of(fg.cells.begin(), fg.cells.end(), [&](std::uint64_t c) {
      auto it = index.find(c);
      return it != index.end() && it->second == first->second;
    });
    if (!all_inside) continue;
    fg.gap.common_id = gaps[first->second].gap.gap_id;
    inside[first->second].insert(fg.gap.operator_id);
  }
  for (const auto& [i, operators] : inside) {
    std::string& list = gaps[i].gap.contains;
    for (const std::string& op : operators) list += (list.empty() ? "" : ",") + op;
  }
}

}  // namespace covgap::geo
