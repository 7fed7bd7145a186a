// Replays every seed (tests/fuzz/corpus/<target>/) and every saved crash
// (tests/fuzz/regressions/<target>/) through the fuzzers' own entry functions: each must return
// with the importers' invariants intact. Built by the normal build; in the sanitizer builds a
// crash that came back also shows as an ASan/UBSan report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_entry.h"

namespace covgap::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
  std::string_view dir;  // under corpus/ and regressions/
  std::string (*run)(std::string_view);
};
constexpr Target kTargets[] = {{"measurement_csv", &RunMeasurementInput},
                               {"importer", &RunImporterInput}};

fs::path FuzzDir() {
  if (const char* dir = std::getenv("COVGAP_SOURCE_DIR")) return fs::path(dir) / "tests" / "fuzz";
  // Run by hand outside ctest: this file is <source>/tests/fuzz/fuzz_regressions_test.cpp.
  return fs::path(__FILE__).parent_path();
}

// Regular files under `dir`, recursively, sorted; none when it does not exist.
std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void ReplayAll(const Target& target) {
  const std::vector<fs::path> seeds = FilesUnder(FuzzDir() / "corpus" / target.dir);
  ASSERT_FALSE(seeds.empty()) << "no seeds in " << (FuzzDir() / "corpus" / target.dir);
  std::vector<fs::path> files = seeds;
  const std::vector<fs::path> crashes = FilesUnder(FuzzDir() / "regressions" / target.dir);
  files.insert(files.end(), crashes.begin(), crashes.end());
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    EXPECT_EQ(target.run(ReadBytes(file)), "");
  }
}

TEST(FuzzRegressions, MeasurementInputsReturnWithInvariantsKept) { ReplayAll(kTargets[0]); }

TEST(FuzzRegressions, ImporterInputsReturnWithInvariantsKept) { ReplayAll(kTargets[1]); }

// A file in a folder no target replays would silently never run.
TEST(FuzzRegressions, EveryFolderBelongsToATarget) {
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path root = FuzzDir() / kind;
    if (!fs::is_directory(root)) continue;
    for (const fs::directory_entry& e : fs::directory_iterator(root)) {
      const std::string name = e.path().filename().string();
      const bool known = std::any_of(std::begin(kTargets), std::end(kTargets),
                                     [&](const Target& t) { return t.dir == name; });
      EXPECT_TRUE(known && e.is_directory()) << e.path() << " is not a target's folder";
    }
  }
}

// An importer seed named <what>.<ext> starts with the selector byte of <ext>, so it is read as
// the format it holds.
TEST(FuzzRegressions, ImporterSeedsSelectTheirOwnFormat) {
  for (const fs::path& seed : FilesUnder(FuzzDir() / "corpus" / "importer")) {
    const std::string bytes = ReadBytes(seed);
    ASSERT_FALSE(bytes.empty()) << seed;
    EXPECT_EQ("." + std::string(ImporterExtension(static_cast<unsigned char>(bytes[0]))),
              seed.extension().string())
        << seed;
  }
}

}  // namespace
}  // namespace covgap::fuzz
