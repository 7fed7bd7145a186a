// What the dashboard's JSON handlers share: their error answer and the status a gap shows.
#pragma once

#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "server/http/http_types.h"

namespace covgap::server::http::dashboard {

// ErrorResponse(status) without the Basic challenge of a 401: the dashboard's fetches show their
// own sign-in message, where a challenge would make the browser open its password dialog.
HttpResponse ApiError(const Status& status);

// The status a gap shows on the dashboard: its life-cycle status, except "reopened" for an open
// gap whose latest event reopened it (a clearance the measurements did not confirm, or the
// authority's reopen). `last_event_type`: the type of the gap's latest event ("" for none).
std::string ShownStatus(const geo::Gap& gap, std::string_view last_event_type);

}  // namespace covgap::server::http::dashboard
