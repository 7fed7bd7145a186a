#include "server/http/http_status.h"

#include "geo/base/json_writer.h"

namespace covgap::server::http {

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

namespace {

const char* CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return "InvalidParameterValue";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kUnavailable:
      return "Unavailable";
    default:
      return "ServerError";
  }
}

}  // namespace

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r;
  r.status = HttpStatusOf(status.code());
  geo::JsonWriter j;
  j.BeginObject()
      .Key("code")
      .String(CodeName(status.code()))
      .Key("description")
      .String(status.message())
      .EndObject();
  r.body = j.str();
  if (status.code() == StatusCode::kUnauthenticated) {
    r.Set("WWW-Authenticate", "Basic realm=\"covgap\", charset=\"UTF-8\"");
  }
  return r;
}

}  // namespace covgap::server::http
