// Streams a file written in the scratch directory to a gRPC client as FileChunks of 1 MiB (the
// file name in the first), and removes it afterwards (ScratchFile).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <string>

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

}  // namespace covgap::server
