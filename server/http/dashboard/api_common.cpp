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

bool Visible(const Caller& caller, const geo::Gap& gap) {
  return caller.role != Role::kOperator || gap.kind == geo::GapKind::kCommon ||
         gap.operator_id == caller.operator_id;
}

std::string ShownStatus(const geo::Gap& gap, const std::map<std::string, std::string>& last_event) {
  if (gap.status == "open") {
    auto it = last_event.find(gap.gap_id);
    if (it != last_event.end() && it->second == "reopened") return "reopened";
  }
  return gap.status;
}

StatusOr<std::map<std::string, std::string>> LastEventTypes(store::LifecycleStore& lifecycle) {
  auto events = lifecycle.ListGapEvents(0, UINT64_MAX >> 1);
  if (!events.ok()) return events.status();
  std::map<std::string, std::string> out;
  for (store::GapEvent& e : *events) out[e.gap_id] = std::move(e.type);
  return out;
}

}  // namespace covgap::server::http::dashboard
