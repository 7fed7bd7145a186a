#include "server/http/http_auth.h"

#include <array>
#include <cctype>

namespace covgap::server::http {

std::optional<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::array<int, 256> kValue = [] {
    std::array<int, 256> v{};
    v.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = i;
    return v;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = kValue[static_cast<unsigned char>(c)];
      if (v[k] < 0) return std::nullopt;
    }
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                       (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

namespace {

bool StartsWithWord(std::string_view value, std::string_view scheme) {
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> TokenOf(const HttpRequest& request) {
  const std::string authorization = request.Header("authorization");
  std::string_view value = authorization;
  if (StartsWithWord(value, "bearer")) return std::string(value.substr(7));
  if (StartsWithWord(value, "basic")) {
    auto decoded = DecodeBase64(value.substr(6));
    if (!decoded) return std::string(value.substr(6));  // refused by the token check
    const auto colon = decoded->find(':');
    return colon == std::string::npos ? *decoded : decoded->substr(colon + 1);
  }
  if (!authorization.empty()) return authorization;  // an unknown scheme: refused as malformed
  return request.Param("token");
}

StatusOr<Caller> Authenticate(const AccessControl& access, const HttpRequest& request, Rpc rpc) {
  auto token = TokenOf(request);
  if (!token && access.enabled()) {
    return Status(StatusCode::kUnauthenticated,
                  "no token: send 'Authorization: Bearer <token>', HTTP Basic with the token as "
                  "the password, or ?token=<token> (docs/web.md)");
  }
  if (!token) return access.CheckToken(std::nullopt, rpc);
  return access.CheckToken(*token, rpc);
}

}  // namespace covgap::server::http
