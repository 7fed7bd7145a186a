// libFuzzer target: the bytes as a measurement file, through MeasurementCsvReader::FromString and
// OpenMeasurementFile (auto-detected native / G-NetTrack / generic CSV). See fuzz_entry.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = covgap::fuzz::RunMeasurementInput(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "measurement_csv_fuzzer: broken invariant: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
