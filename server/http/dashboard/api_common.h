// What the dashboard's JSON handlers share: their error answer and the status a gap shows.
#pragma once

#include <map>
#include <string>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "server/http/http_types.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server::http::dashboard {

// ErrorResponse(status) without the Basic challenge of a 401: the dashboard's fetches show their
// own sign-in message, where a challenge would make the browser open its password dialog.
HttpResponse ApiError(const Status& status);

// Whether `caller` may see `gap`: an operator its own and the common gaps, everyone else all.
bool Visible(const Caller& caller, const geo::Gap& gap);

// The status a gap shows on the dashboard: its life-cycle status, except "reopened" for an open
// gap whose latest event reopened it (a clearance the measurements did not confirm, or the
// authority's reopen). `last_event` maps gap ids to their latest event's type.
std::string ShownStatus(const geo::Gap& gap, const std::map<std::string, std::string>& last_event);

// The latest event type of every gap (event ids increase, so the last one read wins).
StatusOr<std::map<std::string, std::string>> LastEventTypes(store::LifecycleStore& lifecycle);

}  // namespace covgap::server::http::dashboard
