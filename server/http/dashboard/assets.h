// The dashboard's static files, embedded into covgapd at build time (CMake runs
// cmake/embed_assets.cmake over server/http/dashboard/assets/ and the vendored Leaflet of
// node_modules/, generating dashboard_assets.cpp): covgapd needs no file at run time.
#pragma once

#include <span>
#include <string_view>

namespace covgap::server::http::dashboard {

struct EmbeddedAsset {
  std::string_view name;  // "app.js": served at /dashboard/app.js
  std::string_view content_type;
  std::string_view body;
};

std::span<const EmbeddedAsset> EmbeddedAssets();

// The asset named `name`; nullptr when there is none.
const EmbeddedAsset* FindAsset(std::string_view name);

}  // namespace covgap::server::http::dashboard
