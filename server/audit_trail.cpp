#include "server/audit_trail.h"

#include "geo/base/log.h"
#include "geo/base/time_format.h"

namespace covgap::server {

void AuditTrail::Record(const Caller& caller, std::string_view action, std::string_view target,
                        std::string details_json) {
  store::AuditEntry e;
  e.time_ms = geo::NowUnixMs();
  e.actor = caller.Describe();
  e.action = std::string(action);
  e.target = std::string(target);
  e.details = std::move(details_json);
  if (Status s = store_.AppendAudit(e); !s.ok()) {
    LogError("cannot write the audit trail (" + e.action + " by " + e.actor + "): " + s.message());
  } else {
    LogInfo("audit: " + e.actor + " " + e.action + " " + e.target);
  }
}

}  // namespace covgap::server
