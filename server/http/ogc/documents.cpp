#include "server/http/ogc/documents.h"

#include <cstdio>

namespace covgap::server::http::ogc {

void WriteLinks(geo::JsonWriter& json, const std::vector<Link>& links) {
  json.Key("links").BeginArray();
  for (const Link& l : links) {
    json.BeginObject().Key("href").String(l.href).Key("rel").String(l.rel);
    if (!l.type.empty()) json.Key("type").String(l.type);
    if (!l.title.empty()) json.Key("title").String(l.title);
    json.EndObject();
  }
  json.EndArray();
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Href(const HttpRequest& request, std::string_view path,
                 const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out = request.base_url + std::string(path);
  char sep = '?';
  for (const auto& [k, v] : query) {
    out += sep + UrlEncode(k) + "=" + UrlEncode(v);
    sep = '&';
  }
  if (auto token = request.Param("token")) out += sep + std::string("token=") + UrlEncode(*token);
  return out;
}

StatusOr<bool> WantsHtml(const HttpRequest& request) {
  if (auto f = request.Param("f")) {
    if (*f == "html") return true;
    if (*f == "json" || *f == "geojson") return false;
    return InvalidArgument("f must be json or html, not '" + *f + "'");
  }
  const std::string accept = request.Header("accept");
  const auto html = accept.find("text/html");
  if (html == std::string::npos) return false;
  const auto json = accept.find("json");
  return json == std::string::npos || html < json;
}

Status CheckParams(const HttpRequest& request, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : request.params) {
    if (name == "f" || name == "token") continue;
    bool known = false;
    for (std::string_view a : allowed) known = known || a == name;
    if (!known) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return InvalidArgument("unknown query parameter '" + name + "'" +
                             (list.empty() ? std::string(" (this resource takes none)")
                                           : " (this resource takes " + list + ")"));
    }
  }
  return Status::Ok();
}

HttpResponse Json(std::string body, std::string_view type) {
  HttpResponse r;
  r.content_type = std::string(type);
  r.body = std::move(body);
  return r;
}

HttpResponse Html(std::string_view title, std::string_view body_html, std::string_view json_href) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>" +
           HtmlEscape(title) +
           "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
           "collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head>"
           "<body><h1>" +
           HtmlEscape(title) + "</h1>" + std::string(body_html) + "<p><a href=\"" +
           HtmlEscape(json_href) + "\">JSON</a></p></body></html>\n";
  return r;
}

}  // namespace covgap::server::http::ogc
