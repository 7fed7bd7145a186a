// The files of a chunked upload (RegistryService.Import), buffered in GDAL's /vsimem/ so that the
// importers read them as files; removed with the buffer. No gRPC here: the handler feeds it parts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"

namespace covgap::server {

class UploadBuffer {
 public:
  explicit UploadBuffer(std::uint64_t max_bytes);
  ~UploadBuffer();
  UploadBuffer(const UploadBuffer&) = delete;
  UploadBuffer& operator=(const UploadBuffer&) = delete;

  // Appends a part of `file_name`; the parts of one file come one after the other. Errors:
  // InvalidArgument (not a plain file name, parts of a file interleaved with another's),
  // ResourceExhausted (over max_bytes, out of memory), Internal (cannot buffer).
  Status Add(const std::string& file_name, std::string_view data);
  // Closes the file being written; call once the last part has arrived.
  void Finish();

  // The files in the order their first part arrived.
  const std::vector<std::string>& files() const { return files_; }
  std::uint64_t bytes() const { return total_; }
  // Where the importers read `file_name` (a /vsimem/ path).
  std::string PathOf(const std::string& file_name) const { return dir_ + "/" + file_name; }

 private:
  struct OpenFile;
  std::uint64_t max_bytes_;
  std::string dir_;
  std::unique_ptr<OpenFile> current_;
  std::vector<std::string> files_;
  std::uint64_t total_ = 0;
};

// A plain file name: no directories, no "..", not empty.
bool IsPlainFileName(const std::string& name);

}  // namespace covgap::server
