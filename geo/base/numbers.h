// Whole numbers from text a person typed (flags, command options): all of the text, in range.
#pragma once

#include <optional>
#include <string>

namespace covgap::geo {

// The integer `text` spells (decimal, optional sign), when it is all of the text and within
// [min, max]; nullopt for anything else ("", "12x", "lots", out of range).
std::optional<long long> ParseInteger(const std::string& text, long long min, long long max);

}  // namespace covgap::geo
