// The import of an uploaded file as a use case, without gRPC (RegistryService.Import buffers the
// upload in an UploadBuffer, calls ImportUpload and converts the report): reads the main file with
// the importer of its kind, keeps schools and households inside the province and an operator's
// sites to its own, upserts the rows, records the audit entry. Messages name the file by the name
// the client uploaded it under, never the buffer's path.
#pragma once

#include <string>

#include "geo/base/status.h"
#include "geo/model/measurement_rules.h"
#include "importers/import_report.h"
#include "server/app/upload_buffer.h"
#include "server/audit_trail.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server {

using importers::ImportOrder;

// Errors: InvalidArgument (unknown kind, level, encoding, mapping, a main file not uploaded, an
// unreadable file), the store's.
StatusOr<importers::ImportReport> ImportUpload(store::Store& store, AuditTrail& audit,
                                               const geo::Region& region, const Caller& caller,
                                               const ImportOrder& order,
                                               const UploadBuffer& upload);

}  // namespace covgap::server
