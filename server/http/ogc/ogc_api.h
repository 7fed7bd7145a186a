// OGC API - Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by reference)
// over the latest analysis run (docs/web.md "Feature API"). One handler per endpoint:
//   /                       landing page           (landing.cpp)
//   /conformance            conformance classes    (conformance.cpp)
//   /api                    the OpenAPI document   (openapi.cpp)
//   /collections            the collections        (collections.cpp)
//   /collections/{id}       one collection         (collections.cpp)
//   /collections/{id}/queryables                   (queryables.cpp)
//   /collections/{id}/items the features, paged    (items.cpp)
//   /collections/{id}/items/{featureId}            (items.cpp)
// Every request is authenticated with the gRPC tokens and roles (server/http/http_auth.h): gaps
// need ListGaps, schools ListSchools; an operator sees its own and the common gaps only. No
// household location is served: gaps and schools carry counts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/access_control.h"
#include "server/http/http_types.h"
#include "server/http/ogc/collection_id.h"
#include "server/http/ogc/feature_cache.h"
#include "server/store/store.h"

namespace covgap::server::http::ogc {

struct OgcContext {
  OgcContext(store::Store& s, const AccessControl& a) : store(s), access(a), features(s) {}
  store::Store& store;
  const AccessControl& access;
  FeatureCache features;
  std::string title = "covgap: mobile coverage gaps of Bắc Giang / Điểm lõm sóng Bắc Giang";
};

// Paging limits of /items.
inline constexpr std::uint64_t kDefaultLimit = 100;
inline constexpr std::uint64_t kMaxLimit = 10000;

// The collection a request names (its first path parameter) and its caller: NotFound for an
// unknown collection or operator, UNAUTHENTICATED/PERMISSION_DENIED for the token (ListGaps, or
// ListSchools for schools), PermissionDenied for another operator's gaps.
StatusOr<std::pair<CollectionId, Caller>> OpenCollection(OgcContext& ctx,
                                                         const HttpRequest& request);

HttpResponse Landing(OgcContext& ctx, const HttpRequest& request);
HttpResponse Conformance(OgcContext& ctx, const HttpRequest& request);
HttpResponse OpenApi(OgcContext& ctx, const HttpRequest& request);
HttpResponse Collections(OgcContext& ctx, const HttpRequest& request);
HttpResponse Collection(OgcContext& ctx, const HttpRequest& request);
HttpResponse Queryables(OgcContext& ctx, const HttpRequest& request);
HttpResponse Items(OgcContext& ctx, const HttpRequest& request);
HttpResponse Item(OgcContext& ctx, const HttpRequest& request);

// The routes above (the landing page at `landing_path`, "/" unless the dashboard takes it).
std::vector<Route> OgcRoutes(OgcContext& ctx, const std::string& landing_path = "/");

}  // namespace covgap::server::http::ogc
