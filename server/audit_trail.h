// The audit trail: who did what and when, appended to the store. Token changes, imports,
// analyses and gap status changes are recorded; `covgap audit` reads them (authority only).
// A failure to write the trail is logged, never hidden.
#pragma once

#include <string>
#include <string_view>

#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server {

class AuditTrail {
 public:
  explicit AuditTrail(store::AccessStore& store) : store_(store) {}
  void Record(const Caller& caller, std::string_view action, std::string_view target,
              std::string details_json = "{}");

 private:
  store::AccessStore& store_;
};

}  // namespace covgap::server
