// RAII owners for OpenSSL objects (header-only; include it in .cpp files that use OpenSSL).
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace covgap::server {

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
// A message-digest context (EVP_MD_CTX_new).
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;

}  // namespace covgap::server
