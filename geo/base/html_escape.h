// Escaping text for HTML and SVG (the report, the feature API's HTML views): & < > " ' become
// entities, everything else (UTF-8 included) is kept.
#pragma once

#include <string>
#include <string_view>

namespace covgap::geo {

std::string HtmlEscape(std::string_view text);

}  // namespace covgap::geo
