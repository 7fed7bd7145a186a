#include "importers/column_names.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace covgap::importers {
namespace {

constexpr ImportKind kAllKinds[] = {ImportKind::kSchools,   ImportKind::kHouseholds,
                                    ImportKind::kSites,     ImportKind::kMeasurements,
                                    ImportKind::kProvinces, ImportKind::kDistricts,
                                    ImportKind::kCommunes};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// field -> column of a successful match.
std::map<std::string, std::string> Used(const ColumnMatch& match) {
  std::map<std::string, std::string> out;
  for (const ColumnUse& u : match.used) out[u.field] = u.column;
  return out;
}

TEST(ColumnNames, NormalisationFoldsCaseAccentsAndSeparators) {
  EXPECT_EQ(NormalizeColumnName("Số HS không có thiết bị"), "sohskhongcothietbi");
  EXPECT_EQ(NormalizeColumnName("so_hs_khong_co_thiet_bi"), "sohskhongcothietbi");
  EXPECT_EQ(NormalizeColumnName("  SO HS KHONG CO THIET BI "), "sohskhongcothietbi");
  EXPECT_EQ(NormalizeColumnName("VĨ ĐỘ"), "vido");  // Đ is not a D with a mark: folded by hand
  EXPECT_EQ(NormalizeColumnName("Mã HGĐ"), "mahgd");
  EXPECT_EQ(NormalizeColumnName("Height (m)"), "heightm");
  EXPECT_EQ(NormalizeColumnName("Toạ độ"), NormalizeColumnName("Tọa độ"));  // old tone placement
  // Decomposed input (NFD, as macOS writes file names) is the same as composed.
  EXPECT_EQ(NormalizeColumnName("Vi\xCC\x83 \xC4\x91o\xCC\xA3\xCC\x82"), "vido");
  EXPECT_EQ(NormalizeColumnName(""), "");
  EXPECT_EQ(NormalizeColumnName("-- __"), "");
}

// The tables' invariants: the field's own name comes first, no normalised name (spelling or
// cut) belongs to two fields of a kind, so one column can never mean two fields.
TEST(ColumnNames, EveryTableIsUnambiguous) {
  for (ImportKind kind : kAllKinds) {
    const ColumnTable& table = ColumnsOf(kind);
    EXPECT_EQ(table.kind, kind);
    ASSERT_FALSE(table.fields.empty()) << ToString(kind);
    std::map<std::string, std::string> owner;
    for (const FieldSpellings& f : table.fields) {
      ASSERT_FALSE(f.spellings.empty());
      // Boundary tables keep the old order of preference (level2_id before code); drive-test
      // tables spell fields as the apps do.
      if (table.ties != Ties::kAmbiguous) {
        EXPECT_NE(std::find(f.spellings.begin(), f.spellings.end(), f.field), f.spellings.end());
      } else {
        EXPECT_EQ(f.spellings.front(), f.field) << ToString(kind);
      }
      ASSERT_FALSE(f.accepted.empty());
      for (const AcceptedName& a : f.accepted) {
        EXPECT_FALSE(a.name.empty()) << f.field;
        auto [it, inserted] = owner.emplace(a.name, f.field);
        EXPECT_TRUE(inserted) << ToString(kind) << ": '" << a.name << "' is accepted for both "
                              << it->second << " and " << f.field;
      }
    }
  }
}

TEST(ColumnNames, ShapefileCutsAreAcceptedUnlessTheyWouldMeanTwoFields) {
  const ColumnTable& schools = ColumnsOf(ImportKind::kSchools);
  auto accepts = [&](const std::string& field, const std::string& name) {
    for (const AcceptedName& a : schools.fields[schools.IndexOf(field)].accepted) {
      if (a.name == NormalizeColumnName(name)) return true;
    }
    return false;
  };
  EXPECT_TRUE(accepts("students_nodev", "students_w"));  // students_without_device
  EXPECT_TRUE(accepts("students_nodev", "students_n"));  // students_nodev (covgap's exports)
  EXPECT_TRUE(accepts("students", "num_studen"));        // num_students
  EXPECT_TRUE(accepts("name", "school_nam"));            // school_name
  EXPECT_TRUE(accepts("level", "education_"));           // education_level
  // so_hoc_sinh (students) and so_hoc_sinh_khong_co_thiet_bi (students_nodev) both cut to
  // so_hoc_sin: neither takes it.
  EXPECT_FALSE(accepts("students", "so_hoc_sin"));
  EXPECT_FALSE(accepts("students_nodev", "so_hoc_sin"));
  // household_category cuts to household_, which is household_id's.
  const ColumnTable& households = ColumnsOf(ImportKind::kHouseholds);
  auto match = MatchColumns(households, {"household_", "category", "lat", "lon", "students_w"});
  ASSERT_TRUE(match.ok()) << match.status().message();
  EXPECT_EQ(Used(*match)["household_id"], "household_");
  EXPECT_EQ(Used(*match)["students_nodev"], "students_w");
}

TEST(ColumnNames, MatchReportsWhatWasUsed) {
  auto match = MatchColumns(
      ColumnsOf(ImportKind::kSchools),
      {"school_id", "name", "level", "lat", "lon", "students", "students_without_device", "note"});
  ASSERT_TRUE(match.ok()) << match.status().message();
  EXPECT_EQ(match->index[ColumnsOf(ImportKind::kSchools).IndexOf("students_nodev")], 6);
  EXPECT_EQ(match->index[ColumnsOf(ImportKind::kSchools).IndexOf("district")], -1);
  ASSERT_EQ(match->used.size(), 7u);
  EXPECT_EQ(match->used[5].field, "students_nodev");
  EXPECT_EQ(match->used[5].column, "students_without_device");
  EXPECT_FALSE(match->used[5].mapped);
  EXPECT_TRUE(
      Contains(DescribeColumnUse(match->used), "students_nodev \u2190 students_without_device"));
}

TEST(ColumnNames, TheMappingWinsAndIsMarked) {
  // "Số học sinh" would be students; the mapping makes it students_nodev, and students then has
  // no other column.
  auto match =
      MatchColumns(ColumnsOf(ImportKind::kSchools),
                   {"Mã trường", "Tên trường", "Cấp học", "Vĩ độ", "Kinh độ", "Số học sinh"},
                   {{"students_nodev", "so hoc sinh"}});
  ASSERT_TRUE(match.ok()) << match.status().message();
  auto used = Used(*match);
  EXPECT_EQ(used["students_nodev"], "Số học sinh");
  EXPECT_FALSE(used.contains("students"));
  EXPECT_EQ(used["lat"], "Vĩ độ");
  EXPECT_TRUE(
      Contains(DescribeColumnUse(match->used), "students_nodev \u2190 Số học sinh (mapping)"));

  auto absent = MatchColumns(ColumnsOf(ImportKind::kSchools), {"a", "b"}, {{"name", "Tên"}});
  ASSERT_FALSE(absent.ok());
  EXPECT_TRUE(Contains(absent.status().message(), "names 'Tên' for name"))
      << absent.status().message();
  auto twice = MatchColumns(ColumnsOf(ImportKind::kSchools), {"a", "b"},
                            {{"name", "a"}, {"school_id", "a"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_TRUE(Contains(twice.status().message(), "would be both")) << twice.status().message();
}

TEST(ColumnNames, TwoColumnsForOneFieldNameBoth) {
  auto match = MatchColumns(
      ColumnsOf(ImportKind::kHouseholds),
      {"household_id", "category", "lat", "lon", "students_nodev", "HS không có thiết bị"});
  ASSERT_FALSE(match.ok());
  EXPECT_EQ(match.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = match.status().message();
  EXPECT_TRUE(Contains(m, "two columns match students_nodev")) << m;
  EXPECT_TRUE(Contains(m, "'students_nodev' (column 5)")) << m;
  EXPECT_TRUE(Contains(m, "'HS không có thiết bị' (column 6)")) << m;
  EXPECT_TRUE(Contains(m, "--columns")) << m;
  // A mapping settles it.
  auto settled = MatchColumns(
      ColumnsOf(ImportKind::kHouseholds),
      {"household_id", "category", "lat", "lon", "students_nodev", "HS không có thiết bị"},
      {{"students_nodev", "HS không có thiết bị"}});
  ASSERT_TRUE(settled.ok()) << settled.status().message();
  EXPECT_EQ(Used(*settled)["students_nodev"], "HS không có thiết bị");
}

TEST(ColumnNames, RankedTablesTakeTheEarlierSpelling) {
  // Boundaries: commune_vn comes before commune, district_id before code.
  auto match = MatchColumns(ColumnsOf(ImportKind::kCommunes),
                            {"commune", "commune_vn", "commune_id", "code", "district_vn"});
  ASSERT_TRUE(match.ok()) << match.status().message();
  EXPECT_EQ(Used(*match)["name"], "commune_vn");
  EXPECT_EQ(Used(*match)["code"], "commune_id");
  // The same best spelling twice is still ambiguous.
  auto twice = MatchColumns(ColumnsOf(ImportKind::kDistricts), {"Tên huyện", "ten_huyen"});
  ASSERT_FALSE(twice.ok());
  EXPECT_TRUE(Contains(twice.status().message(), "'Tên huyện' (column 1) and 'ten_huyen'"))
      << twice.status().message();
}

TEST(ColumnNames, AMissingFieldListsTheNamesItAccepts) {
  MatchOptions options;
  options.how_to_name = "Use --name-field.";
  auto match = MatchColumns(ColumnsOf(ImportKind::kSchools), {"school_id", "name", "level", "lon"},
                            {}, options);
  ASSERT_FALSE(match.ok());
  const std::string& m = match.status().message();
  EXPECT_TRUE(Contains(m, "missing required column(s): lat, students_nodev")) << m;
  EXPECT_TRUE(Contains(m, "the file has: school_id, name, level, lon")) << m;
  EXPECT_TRUE(Contains(m, "lat: lat, latitude, y, vĩ độ")) << m;
  EXPECT_TRUE(Contains(m, "students_nodev: students_nodev, stud_nodev, students_without_device"))
      << m;
  EXPECT_TRUE(Contains(m, "hs không có thiết bị")) << m;
  EXPECT_TRUE(m.ends_with("Use --name-field.")) << m;
  // Positions from a layer's geometry: lat and lon may be absent.
  options.may_be_absent = {"lat", "lon"};
  auto geometry = MatchColumns(ColumnsOf(ImportKind::kSchools),
                               {"school_id", "name", "level", "students_n"}, {}, options);
  ASSERT_TRUE(geometry.ok()) << geometry.status().message();
}

// docs/importing.md (and, for the drive-test logs, docs/ingestion.md) documents every spelling of
// every table.
TEST(ColumnNames, TheDocumentationListsEverySpelling) {
  // Run by hand outside ctest: this file is <source>/tests/importers/column_names_test.cpp.
  const char* root = std::getenv("COVGAP_SOURCE_DIR");
  const std::filesystem::path source =
      root != nullptr ? std::filesystem::path(root)
                      : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  auto read = [&](const char* name) {
    std::ifstream in(source / "docs" / name);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream text;
    text << in.rdbuf();
    std::string doc = text.str();
    for (char& c : doc) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return doc;
  };
  const std::string importing = read("importing.md"), ingestion = read("ingestion.md");
  for (ImportKind kind : kAllKinds) {
    const bool drive_test = kind == ImportKind::kGNetTrack || kind == ImportKind::kDriveTestCsv;
    const std::string& doc = drive_test ? ingestion : importing;
    for (const FieldSpellings& f : ColumnsOf(kind).fields) {
      for (const std::string& s : f.spellings) {
        std::string lower = s;
        for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        EXPECT_TRUE(Contains(doc, "`" + lower + "`"))
            << ToString(kind) << " " << f.field << ": `" << s << "` is not in the docs";
      }
    }
  }
}

}  // namespace
}  // namespace covgap::importers
