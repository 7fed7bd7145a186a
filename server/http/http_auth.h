// Who is calling over HTTP: the same tokens and role table as gRPC (server/access_control.h).
//
// A token is accepted, in this order, as
//   Authorization: Bearer <token>                       (scripts, the dashboard's fetches)
//   Authorization: Basic base64(<any user>:<token>)     (QGIS 3.22's authentication "Basic")
//   ?token=<token>                                      (QGIS copies the landing page's query
//                                                        onto every request it makes)
// The query form puts the token in URLs, hence in browser history and proxy logs: docs/web.md
// "Tokens over HTTP" says when to prefer Basic. Nothing else is read: no cookies, no sessions.
#pragma once

#include <optional>
#include <string>

#include "geo/base/status.h"
#include "server/access_control.h"
#include "server/http/http_types.h"
#include "server/roles.h"

namespace covgap::server::http {

// The token text a request carries; nullopt when it carries none. InvalidArgument-free: a
// malformed Basic header yields its raw text, which the token check then refuses.
std::optional<std::string> TokenOf(const HttpRequest& request);

// AccessControl::CheckToken on TokenOf(request).
StatusOr<Caller> Authenticate(const AccessControl& access, const HttpRequest& request, Rpc rpc);

// Base64 (RFC 4648, with padding) decoding; nullopt for malformed input.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace covgap::server::http
