// libFuzzer target: the first byte picks a file extension, the rest is a schools, households or
// boundaries file read from /vsimem/ by ReadSchools, ReadHouseholds and ReadAreas; then the text
// decoders on the same bytes. See fuzz_entry.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem =
      covgap::fuzz::RunImporterInput(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "importer_fuzzer: broken invariant: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
