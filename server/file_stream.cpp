#include "server/file_stream.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>

#include "server/status_mapping.h"

namespace covgap::server {

ScratchFile::ScratchFile(const std::string& dir, const std::string& prefix,
                         const std::string& extension) {
  static std::atomic<std::uint64_t> counter{0};
  path_ = dir + "/" + prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
          extension;
}

ScratchFile::~ScratchFile() {
  if (!path_.empty()) std::remove(path_.c_str());
}

grpc::Status StreamFile(const std::string& path, const std::string& file_name,
                        grpc::ServerContext& context, grpc::ServerWriter<v1::FileChunk>& writer) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ToGrpcStatus(Internal("cannot read back the file " + file_name));
  std::string buffer(kFileChunkBytes, '\0');
  bool first = true;
  while (in && !context.IsCancelled()) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0 && !first) break;
    v1::FileChunk chunk;
    if (first) chunk.set_file_name(file_name);
    chunk.set_data(buffer.data(), n);
    first = false;
    if (!writer.Write(chunk)) break;
  }
  return grpc::Status::OK;
}

grpc::Status StreamBytes(std::string_view data, const std::string& file_name,
                         grpc::ServerContext& context, grpc::ServerWriter<v1::FileChunk>& writer) {
  std::size_t offset = 0;
  do {
    if (context.IsCancelled()) {
      return ToGrpcStatus(Status(StatusCode::kCancelled, "cancelled"));
    }
    v1::FileChunk chunk;
    if (offset == 0) chunk.set_file_name(file_name);
    const std::size_t n = std::min(kFileChunkBytes, data.size() - offset);
    chunk.set_data(data.data() + offset, n);
    offset += n;
    if (!writer.Write(chunk)) break;
  } while (offset < data.size());
  return grpc::Status::OK;
}

}  // namespace covgap::server
