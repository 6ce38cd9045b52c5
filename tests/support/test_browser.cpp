#include "tests/support/test_browser.h"

#include <stdexcept>

namespace lmsgw::testing {

TestBrowser::TestBrowser(const std::string& ca_file) {
  http::ClientOptions options;
  options.extra_ca_file = ca_file;
  options.use_system_trust_store = false;
  options.allow_plain_http_to_loopback = true;
  options.default_timeout = std::chrono::seconds(10);
  auto client = http::Client::create(options);
  if (!client) throw std::runtime_error(client.error().detail);
  client_ = std::move(*client);
}

sdk::HttpResponse TestBrowser::send(sdk::HttpRequest request) {
  std::string cookie_header;
  for (const auto& [name, value] : cookies_) {
    if (!cookie_header.empty()) cookie_header += "; ";
    cookie_header += name + "=" + value;
  }
  if (!cookie_header.empty()) request.headers.emplace_back("Cookie", cookie_header);
  visited_.push_back(request.url);
  auto response = client_->send(request);
  if (!response)
    throw std::runtime_error("request to " + request.url + " failed: " + response.error().detail);
  for (const auto& [name, value] : response->headers) {
    transcript_ += name + ": " + value + "\n";
    if (name.size() != 10 || (name != "Set-Cookie" && name != "set-cookie")) continue;
    const auto equals = value.find('=');
    const auto end = value.find(';');
    if (equals == std::string::npos) continue;
    const std::string cookie_name = value.substr(0, equals);
    const std::string cookie_value =
        value.substr(equals + 1, end == std::string::npos ? std::string::npos : end - equals - 1);
    if (cookie_value.empty() || value.find("Max-Age=0") != std::string::npos) {
      cookies_.erase(cookie_name);
    } else {
      cookies_[cookie_name] = cookie_value;
    }
  }
  transcript_ += response->body + "\n";
  return std::move(*response);
}

sdk::HttpResponse TestBrowser::get(const std::string& url) {
  sdk::HttpRequest request;
  request.url = url;
  return send(std::move(request));
}

sdk::HttpResponse TestBrowser::post_form(const std::string& url, const std::string& form) {
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = form;
  return send(std::move(request));
}

sdk::HttpResponse TestBrowser::follow(const std::string& url) {
  std::string next = url;
  for (int hop = 0; hop < 10; ++hop) {
    sdk::HttpResponse response = get(next);
    if (response.status < 300 || response.status >= 400) return response;
    next = location_of(response, next);
  }
  throw std::runtime_error("too many redirects from " + url);
}

std::string TestBrowser::cookie(const std::string& name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? std::string() : it->second;
}

void TestBrowser::set_cookie(const std::string& name, const std::string& value) {
  cookies_[name] = value;
}

std::string location_of(const sdk::HttpResponse& response, const std::string& base) {
  std::string location(sdk::find_header(response.headers, "Location"));
  if (location.empty() || location.find("://") != std::string::npos) return location;
  const auto scheme_end = base.find("://");
  const auto path_start = base.find('/', scheme_end + 3);
  return base.substr(0, path_start) + location;
}

}  // namespace lmsgw::testing
