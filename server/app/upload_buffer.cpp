#include "server/app/upload_buffer.h"

#include <algorithm>
#include <atomic>

#include "geo/spatial/gdal_handles.h"

namespace covgap::server {

struct UploadBuffer::OpenFile {
  std::string name;
  geo::VsiFile file;
};

UploadBuffer::UploadBuffer(std::uint64_t max_bytes) : max_bytes_(max_bytes) {
  static std::atomic<std::uint64_t> counter{0};
  dir_ = "/vsimem/covgap-import-" + std::to_string(++counter);
  VSIMkdir(dir_.c_str(), 0755);
}

UploadBuffer::~UploadBuffer() {
  current_.reset();
  VSIRmdirRecursive(dir_.c_str());
}

void UploadBuffer::Finish() { current_.reset(); }

Status UploadBuffer::Add(const std::string& file_name, std::string_view data) {
  if (!IsPlainFileName(file_name)) {
    Finish();
    return InvalidArgument("'" + file_name + "' is not a plain file name");
  }
  total_ += data.size();
  if (total_ > max_bytes_) {
    Finish();
    const std::string limit = max_bytes_ % (1 << 20) == 0
                                  ? std::to_string(max_bytes_ >> 20) + " MiB"
                                  : std::to_string(max_bytes_) + " bytes";
    return ResourceExhausted("the upload is larger than the server's limit of " + limit +
                             " (covgapd --max-upload-mb)");
  }
  if (current_ == nullptr || current_->name != file_name) {
    Finish();
    if (std::find(files_.begin(), files_.end(), file_name) != files_.end()) {
      return InvalidArgument("the parts of '" + file_name + "' must be sent one after the other");
    }
    files_.push_back(file_name);
    geo::VsiFile file(VSIFOpenL(PathOf(file_name).c_str(), "wb"));
    if (file == nullptr) return Internal("cannot buffer the upload");
    current_ = std::make_unique<OpenFile>(OpenFile{file_name, std::move(file)});
  }
  if (VSIFWriteL(data.data(), 1, data.size(), current_->file.get()) != data.size()) {
    Finish();
    return ResourceExhausted("out of memory buffering the upload");
  }
  return Status::Ok();
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name != "." && name != "..";
}

}  // namespace covgap::server
