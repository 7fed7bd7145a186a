// A minimal streaming JSON writer (objects, arrays, strings, numbers, booleans) for
// machine-readable output: the CLI's --json documents and the run summaries covgapd stores. Strings
// are written as UTF-8 with the JSON escapes; numbers as the shortest text that reads back as the
// same double; non-finite numbers become null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace covgap::geo {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Number(double value);
  JsonWriter& Number(std::int64_t value);
  JsonWriter& Number(std::uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A value already serialised as JSON (e.g. a geometry from GDAL), written as is.
  JsonWriter& Raw(std::string_view json);
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

std::string JsonEscape(std::string_view s);

}  // namespace covgap::geo
