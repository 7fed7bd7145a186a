// The one mapping from covgap::Status to an HTTP response (the HTTP counterpart of
// server/status_mapping.h): the status code and an OGC API exception document
// {"code": ..., "description": ...}. UNAUTHENTICATED answers 401 with a Basic challenge, so that
// QGIS and browsers ask for the token (as the password).
#pragma once

#include "geo/base/status.h"
#include "server/http/http_types.h"

namespace covgap::server::http {

// 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404 NotFound, 409
// FailedPrecondition/Aborted, 429 ResourceExhausted, 503 Unavailable, 504 DeadlineExceeded, 500
// anything else.
int HttpStatusOf(StatusCode code);
HttpResponse ErrorResponse(const Status& status);

}  // namespace covgap::server::http
