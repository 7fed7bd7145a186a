#include "server/http/http_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <regex>
#include <thread>

#include "geo/base/log.h"
#include "geo/base/numbers.h"
#include "server/http/http_status.h"
#include "server/openssl_handles.h"

namespace covgap::server::http {

std::optional<std::string> HttpRequest::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

namespace {

// "host:port" (host may be "[::1]"); nullopt when malformed.
std::optional<std::pair<std::string, int>> SplitAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = geo::ParseInteger(address.substr(colon + 1), 0, 65535);
  if (!port) return std::nullopt;
  return std::make_pair(host, static_cast<int>(*port));
}

// What the library compresses by itself (httplib's can_compress_content_type, 0.11).
bool LibraryCompresses(const std::string& type) {
  const std::string base = type.substr(0, type.find(';'));
  return (base.rfind("text/", 0) == 0 && base != "text/event-stream") || base == "image/svg+xml" ||
         base == "application/javascript" || base == "application/json" ||
         base == "application/xml" || base == "application/xhtml+xml";
}

bool AcceptsGzip(const httplib::Request& req) {
  std::string accept = req.get_header_value("Accept-Encoding");
  std::transform(accept.begin(), accept.end(), accept.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return accept.find("gzip") != std::string::npos;
}

HttpRequest ToRequest(const httplib::Request& req, bool tls, const std::string& fallback_host) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.params.emplace(k, v);
  for (const auto& [k, v] : req.headers) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.headers.emplace(std::move(name), v);
  }
  for (std::size_t i = 1; i < req.matches.size(); ++i) r.path_params.push_back(req.matches[i]);
  std::string host = req.get_header_value("Host");
  if (host.empty() || host.find_first_of("/\\ \"<>") != std::string::npos) host = fallback_host;
  r.base_url = std::string(tls ? "https://" : "http://") + host;
  return r;
}

void Write(const HttpResponse& from, const httplib::Request& req, httplib::Response& res,
           std::size_t min_compress) {
  res.status = from.status;
  for (const auto& [k, v] : from.headers) res.set_header(k, v);
  if (from.gzip_body && AcceptsGzip(req) && !LibraryCompresses(from.content_type)) {
    res.set_header("Content-Encoding", "gzip");
    res.set_header("Vary", "Accept-Encoding");
    res.set_content(*from.gzip_body, from.content_type);
    return;
  }
  const std::string& body = from.shared_body ? *from.shared_body : from.body;
  if (!LibraryCompresses(from.content_type) && body.size() >= min_compress && AcceptsGzip(req)) {
    std::string packed = Gzip(body);
    if (!packed.empty()) {
      res.set_header("Content-Encoding", "gzip");
      res.set_header("Vary", "Accept-Encoding");
      res.set_content(packed, from.content_type);
      return;
    }
  }
  res.set_content(body, from.content_type);
}

std::string RouteRegex(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{') {
      const auto end = pattern.find('}', i);
      out += "([^/]+)";
      i = end;
    } else if (std::string_view(".+*?()[]^$|\\").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpOptions& options,
                                                        std::vector<Route> routes) {
  auto address = SplitAddress(options.address);
  if (!address) {
    return InvalidArgument("--http takes HOST:PORT (e.g. 127.0.0.1:8080), not '" + options.address +
                           "'");
  }
  std::unique_ptr<HttpServer> s(new HttpServer());
  if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
    BioPtr cert_bio(BIO_new_mem_buf(options.tls_cert_pem.data(),
                                    static_cast<int>(options.tls_cert_pem.size())));
    BioPtr key_bio(
        BIO_new_mem_buf(options.tls_key_pem.data(), static_cast<int>(options.tls_key_pem.size())));
    X509Ptr cert(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
    EvpPkeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                           : nullptr);
    if (!cert || !key) {
      return InvalidArgument(
          "the HTTPS certificate or key is not valid PEM (--tls-cert/--tls-key)");
    }
    // The server's SSL context takes its own references.
    auto ssl = std::make_unique<httplib::SSLServer>(cert.get(), key.get());
    if (!ssl->is_valid()) {
      return InvalidArgument("the HTTPS certificate and key do not match (--tls-cert/--tls-key)");
    }
    s->server_ = std::move(ssl);
    s->tls_ = true;
  } else {
    s->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *s->server_;
  const int threads = std::max(1, options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_request_bytes);
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(5);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds the
  // body until the client's delayed ACK (40 ms on Linux) for every response.
  server.set_tcp_nodelay(true);
  server.set_read_timeout(std::chrono::seconds(10));
  server.set_write_timeout(std::chrono::seconds(30));
  const std::size_t min_compress = options.min_compress_bytes;
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content(ErrorResponse(Status(StatusCode::kInvalidArgument,
                                           req.method + " is not allowed: this service is "
                                                        "read-only (GET, HEAD)"))
                          .body,
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    // No endpoint takes a body: refuse one outright (the library would not read a GET's body,
    // and its bytes would then be parsed as the next request on the connection).
    if (req.has_header("Transfer-Encoding")) {
      res.status = 411;
      res.set_header("Connection", "close");
      res.set_content(R"({"code":"LengthRequired","description":"no request bodies"})",
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (const std::string length = req.get_header_value("Content-Length");
        !length.empty() && length != "0") {
      res.status = 413;
      res.set_header("Connection", "close");
      res.set_content(R"({"code":"PayloadTooLarge","description":"no request bodies"})",
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LogError("http: " + req.method + " " + req.path + ": " + what);
        res.status = 500;
        res.set_content(ErrorResponse(Internal("internal error")).body, "application/json");
      });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const Status st = res.status == 404 ? NotFound("no such resource: " + req.path)
                      : res.status == 413
                          ? Status(StatusCode::kInvalidArgument, "the request is too large")
                          : Status(StatusCode::kInvalidArgument, "bad request");
    res.set_content(ErrorResponse(st).body, "application/json");
  });
  const std::string fallback_host = options.address;
  const bool tls = s->tls_;
  for (Route& route : routes) {
    server.Get(RouteRegex(route.pattern),
               [handler = std::move(route.handler), tls, fallback_host, min_compress](
                   const httplib::Request& req, httplib::Response& res) {
                 Write(handler(ToRequest(req, tls, fallback_host)), req, res, min_compress);
               });
  }
  const auto& [host, port] = *address;
  s->port_ =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (s->port_ <= 0) {
    return Unavailable("cannot listen on " + options.address +
                       " for HTTP (address in use or "
                       "not valid?)");
  }
  s->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // Wait until the accept loop runs (the library marks it running first thing): its stop() does
  // nothing before that, so a Stop() right after Start() would leave the thread in accept() and
  // the join hanging.
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return s;
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace covgap::server::http
