#include "server/http/dashboard/api_common.h"

#include <algorithm>
#include <cstdint>

#include "server/http/http_status.h"

namespace covgap::server::http::dashboard {

HttpResponse ApiError(const Status& status) {
  HttpResponse r = ErrorResponse(status);
  std::erase_if(r.headers, [](const auto& h) { return h.first == "WWW-Authenticate"; });
  return r;
}

std::string ShownStatus(const geo::Gap& gap, std::string_view last_event_type) {
  if (gap.status == "open" && last_event_type == "reopened") return "reopened";
  return gap.status;
}

}  // namespace covgap::server::http::dashboard
