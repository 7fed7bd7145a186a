// Streams a file written in the scratch directory (or bytes rendered in memory) to a gRPC client
// as FileChunks of 1 MiB (the file name in the first); ScratchFile removes the file afterwards.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <string>
#include <string_view>

#include "covgap/v1/gaps.pb.h"

namespace covgap::server {

// Owns a path in the scratch directory: removes the file when it goes out of scope.
class ScratchFile {
 public:
  // "<dir>/<prefix>-<pid>-<n><extension>", unique within the process.
  ScratchFile(const std::string& dir, const std::string& prefix, const std::string& extension);
  explicit ScratchFile(std::string path) : path_(std::move(path)) {}
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr std::size_t kFileChunkBytes = 1 << 20;

// Sends the file at `path`; stops early when the client cancels.
grpc::Status StreamFile(const std::string& path, const std::string& file_name,
                        grpc::ServerContext& context, grpc::ServerWriter<v1::FileChunk>& writer);

// Sends `data` (a rendered report) the same way: chunks of kFileChunkBytes, the name in the first;
// CANCELLED when the client cancels.
grpc::Status StreamBytes(std::string_view data, const std::string& file_name,
                         grpc::ServerContext& context, grpc::ServerWriter<v1::FileChunk>& writer);

}  // namespace covgap::server
