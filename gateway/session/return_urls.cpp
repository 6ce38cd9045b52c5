#include "session/return_urls.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace lmsgw::session {
namespace {

struct Parts {
  std::string origin;
  std::string path;
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<Parts> split(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7F || c == '\\') return std::nullopt;
  }
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& url = *parsed;
  const std::string scheme = lowercase(url.scheme());
  if (scheme != "http" && scheme != "https") return std::nullopt;
  if (!url.has_authority() || url.has_userinfo() || url.host().empty()) return std::nullopt;
  // A path after an authority starts with '/': anything else is a host Boost.URL misread
  // ("http://127.0.0.1.evil.example/" as host 127.0.0.1, path ".evil.example/").
  if (!url.encoded_path().empty() && url.encoded_path().front() != '/') return std::nullopt;
  for (auto segment : url.segments()) {
    if (segment == "." || segment == "..") return std::nullopt;
  }
  std::string origin = scheme + "://" + lowercase(url.encoded_host());
  if (url.has_port()) {
    const bool default_port =
        (scheme == "http" && url.port() == "80") || (scheme == "https" && url.port() == "443");
    if (!default_port) origin += ":" + std::string(url.port());
  }
  std::string path(url.encoded_path());
  if (path.empty()) path = "/";
  return Parts{std::move(origin), std::move(path)};
}

}  // namespace

ReturnUrlPolicy::ReturnUrlPolicy(std::vector<std::string> prefixes, std::string default_url)
    : default_url_(std::move(default_url)) {
  for (const std::string& prefix : prefixes) {
    if (auto parts = split(prefix)) prefixes_.push_back(Prefix{parts->origin, parts->path});
  }
}

bool ReturnUrlPolicy::allows(std::string_view url) const {
  auto parts = split(url);
  if (!parts || url.find('#') != std::string_view::npos) return false;
  return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const Prefix& prefix) {
    if (parts->origin != prefix.origin) return false;
    if (!parts->path.starts_with(prefix.path)) return false;
    return prefix.path.ends_with('/') || parts->path.size() == prefix.path.size() ||
           parts->path[prefix.path.size()] == '/';
  });
}

std::optional<std::string> ReturnUrlPolicy::resolve(std::string_view requested) const {
  if (requested.empty()) return default_url_;
  if (!allows(requested)) return std::nullopt;
  return std::string(requested);
}

}  // namespace lmsgw::session
