// covgapd's HTTP listener (`covgapd --http HOST:PORT`, docs/web.md), on cpp-httplib (Debian's
// libcpp-httplib-dev 0.11; docs/web.md "Why cpp-httplib" has the choice and its security
// record). Serves the routes it is given and nothing else, with these rules for every request:
//   - GET and HEAD only: anything else is 405 with `Allow: GET, HEAD`;
//   - no request bodies: any Content-Length but 0 is 413, any Transfer-Encoding 411, and the
//     connection is closed (the chunked decoder is the library's weakest part, no endpoint takes
//     a body, and an unread body would be parsed as the next request); URIs and headers are
//     capped by the library at 8 KiB (414, 431);
//   - responses of at least `min_compress_bytes` are gzip-compressed when the client accepts it
//     (GeoJSON and OpenAPI documents included, which the library would not compress);
//   - a handler's exception is a 500 with an OGC exception document, logged.
// With a certificate and key (PEM) it serves HTTPS only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "geo/base/status.h"
#include "server/http/http_types.h"

namespace httplib {
class Server;
}

namespace covgap::server::http {

struct HttpOptions {
  std::string address;  // "host:port"; port 0 picks a free one
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::size_t max_request_bytes = 16 << 10;
  std::size_t min_compress_bytes = 1024;
  // Connections served at once (a keep-alive connection holds its thread between requests);
  // more wait in the accept queue.
  int threads = 64;
};

class HttpServer {
 public:
  // Binds and starts serving `routes` on a thread of its own. Unavailable when the address
  // cannot be bound, InvalidArgument for a malformed address or certificate.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpOptions& options,
                                                     std::vector<Route> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // Stops accepting and waits for the listener thread. Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

// gzip (RFC 1952) of `data`; used for responses, exposed for tests.
std::string Gzip(std::string_view data);

}  // namespace covgap::server::http
