// The HTTP vocabulary of server/http/ without the HTTP library: a request as the handlers see it
// and the response they build. Only http_server.cpp speaks cpp-httplib; handlers are plain
// functions of these types (one per endpoint), testable without a socket.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace covgap::server::http {

struct HttpRequest {
  std::string method;                              // GET or HEAD (nothing else reaches a handler)
  std::string path;                                // decoded, without the query
  std::multimap<std::string, std::string> params;  // the query, decoded
  std::map<std::string, std::string> headers;      // names lower-case
  std::vector<std::string> path_params;            // the {placeholders} of the route, in order
  std::string base_url;  // "http://127.0.0.1:8080": links in documents are absolute

  // The first value of a query parameter; nullopt when absent.
  std::optional<std::string> Param(std::string_view name) const;
  // A header's value ("" when absent); `name` lower-case.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  // Cached pages: the body shared rather than copied (used when set, instead of `body`), and the
  // same body gzip-compressed, sent to clients that accept gzip instead of compressing again.
  std::shared_ptr<const std::string> shared_body;
  std::shared_ptr<const std::string> gzip_body;

  HttpResponse& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A route: a path pattern with {name} placeholders (one path segment each), e.g.
// "/collections/{collectionId}/items/{featureId}", and its handler. GET and HEAD only.
struct Route {
  std::string pattern;
  HttpHandler handler;
};

}  // namespace covgap::server::http
