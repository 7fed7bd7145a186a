#include "server/http/metrics_handler.h"

#include "server/http/http_auth.h"
#include "server/http/http_status.h"

namespace covgap::server::http {

Route MetricsRoute(Metrics& metrics, store::Store& store, const AccessControl& access) {
  return {
      "/metrics", [&metrics, &store, &access](const HttpRequest& request) {
        auto caller = Authenticate(access, request, Rpc::kGetStats);
        if (!caller.ok()) return ErrorResponse(caller.status());
        if (!request.params.empty() && !(request.params.size() == 1 && request.Param("token"))) {
          return ErrorResponse(InvalidArgument("/metrics takes no query parameters"));
        }
        auto text = metrics.Scrape(store);
        if (!text.ok()) return ErrorResponse(text.status());
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = std::move(text.value());
        return r;
      }};
}

}  // namespace covgap::server::http
