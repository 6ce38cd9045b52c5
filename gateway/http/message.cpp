#include "http/message.h"

#include <cstddef>

namespace lmsgw::http {
namespace {

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool form_decode(std::string_view encoded, std::string& out) {
  out.clear();
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (encoded.size() - i < 3) return false;
      const int high = hex_value(encoded[i + 1]);
      const int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(Method method) noexcept {
  switch (method) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::delete_:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      return "OTHER";
  }
  return "OTHER";
}

std::string_view Request::header(std::string_view name) const noexcept {
  for (const auto& field : headers) {
    if (iequals(field.name, name)) return field.value;
  }
  return {};
}

std::string_view Request::route_param(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < route_param_count && i < kMaxRouteParams; ++i) {
    if (route_params[i].first == name) return route_params[i].second;
  }
  return {};
}

std::string_view Request::cookie(std::string_view name) const noexcept {
  for (const auto& field : headers) {
    if (!iequals(field.name, "cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const std::size_t end = rest.find(';');
      const std::string_view pair = trim_ows(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
      const std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) continue;
      if (trim_ows(pair.substr(0, equals)) == name) return trim_ows(pair.substr(equals + 1));
    }
  }
  return {};
}

Response Response::text(int status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", {}, std::move(body), nullptr, {}};
}

Response Response::html(int status, std::string body) {
  return Response{status, "text/html; charset=utf-8", {}, std::move(body), nullptr, {}};
}

Response Response::json(int status, std::string body) {
  // RFC 8259: JSON is UTF-8 and application/json defines no charset parameter.
  return Response{status, "application/json", {}, std::move(body), nullptr, {}};
}

Response Response::redirect(std::string location, int status) {
  Response response{status, "text/plain; charset=utf-8", {}, "Redirecting.\n", nullptr, {}};
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

Response& Response::with_header(std::string name, std::string value) & {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Response&& Response::with_header(std::string name, std::string value) && {
  headers.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

bool parse_form(std::string_view encoded, std::vector<std::pair<std::string, std::string>>& out) {
  std::vector<std::pair<std::string, std::string>> decoded;
  while (!encoded.empty()) {
    const std::size_t end = encoded.find('&');
    const std::string_view pair = encoded.substr(0, end);
    encoded = end == std::string_view::npos ? std::string_view{} : encoded.substr(end + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    std::pair<std::string, std::string> item;
    if (!form_decode(pair.substr(0, equals), item.first)) return false;
    if (equals != std::string_view::npos && !form_decode(pair.substr(equals + 1), item.second)) {
      return false;
    }
    decoded.push_back(std::move(item));
  }
  for (auto& item : decoded) out.push_back(std::move(item));
  return true;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<PreparedHeaders> PreparedHeaders::make(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  static constexpr std::string_view kTokenSpecials = "!#$%&'*+-.^_`|~";
  std::string text;
  for (const auto& [name, value] : headers) {
    if (name.empty() || iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "connection")) {
      return std::nullopt;
    }
    for (char c : name) {
      const bool token = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || kTokenSpecials.find(c) != std::string_view::npos;
      if (!token) return std::nullopt;
    }
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7F) return std::nullopt;
    }
    text.append(name).append(": ").append(value).append("\r\n");
  }
  return PreparedHeaders(std::move(text));
}

}  // namespace lmsgw::http
