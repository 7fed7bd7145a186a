#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {

std::vector<Route> OgcRoutes(OgcContext& ctx, const std::string& landing_path) {
  auto bind = [&ctx](HttpResponse (*f)(OgcContext&, const HttpRequest&)) {
    return [&ctx, f](const HttpRequest& r) { return f(ctx, r); };
  };
  return {
      {landing_path, bind(&Landing)},
      {"/conformance", bind(&Conformance)},
      {"/api", bind(&OpenApi)},
      {"/collections", bind(&Collections)},
      {"/collections/{collectionId}", bind(&Collection)},
      {"/collections/{collectionId}/queryables", bind(&Queryables)},
      {"/collections/{collectionId}/items", bind(&Items)},
      {"/collections/{collectionId}/items/{featureId}", bind(&Item)},
  };
}

}  // namespace covgap::server::http::ogc
