#include "clever_api.h"

#include <algorithm>
#include <charconv>

#include "clever_sync_cursor.h"
#include "clever_user.h"
#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

constexpr std::size_t kMaxTokenListBytes = 4 * 1024 * 1024;
// Room per record of a page; a Clever record is well under this.
constexpr std::size_t kBytesPerRecord = 16 * 1024;
constexpr std::size_t kMaxTokenLength = 4096;
// When a 429 names no wait: Clever's window resets every minute.
constexpr std::chrono::seconds kDefaultRateLimitWait{60};
constexpr std::chrono::milliseconds kFirstBackoff{1000};

std::optional<std::int64_t> integer_header(const sdk::HttpHeaders& headers,
                                           std::string_view name) {
  std::string_view text = sdk::find_header(headers, name);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_retryable(int status) { return status == 500 || status == 502 || status == 503 || status == 504; }

// A bearer token goes into a header: refuse anything that could break out of it.
bool is_plausible_token(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return false;
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

sdk::Error malformed(std::string_view what) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, std::string(what)};
}

}  // namespace

CleverApi::CleverApi(const CleverSyncConfig& config, sdk::PluginContext& context, Sleeper sleep)
    : config_(config), context_(context), sleep_(std::move(sleep)) {}

std::chrono::milliseconds CleverApi::rate_limit_wait(const sdk::HttpResponse& response) const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  std::optional<milliseconds> wait;
  if (auto retry_after = integer_header(response.headers, "Retry-After"); retry_after) {
    wait = seconds(std::max<std::int64_t>(*retry_after, 0));
  }
  if (auto reset = integer_header(response.headers, "X-RateLimit-Reset"); reset) {
    const auto now = duration_cast<milliseconds>(context_.clock().now().time_since_epoch());
    const milliseconds until = milliseconds(*reset * 1000) - now;
    wait = std::max(wait.value_or(milliseconds(0)), until);
  }
  // Never retry at once: a reset already past still means "not before the next second".
  return std::max(wait.value_or(kDefaultRateLimitWait), milliseconds(1000));
}

sdk::Result<sdk::HttpResponse> CleverApi::send(sdk::HttpRequest request,
                                               std::string_view endpoint) {
  std::chrono::milliseconds backoff = kFirstBackoff;
  for (int attempt = 0;; ++attempt) {
    auto response = context_.http().send(request);
    const bool last = attempt >= config_.sync.max_retries;
    const std::string attempt_text = std::to_string(attempt + 1);
    std::chrono::milliseconds wait{0};
    if (!response) {
      if (response.error().code != sdk::ErrorCode::upstream_unavailable || last) {
        context_.logger().warn("Clever sync call failed",
                               {{"endpoint", endpoint},
                                {"error", to_string(response.error().code)},
                                {"attempt", attempt_text}});
        return response.error();
      }
      wait = backoff;
    } else if (response->status == 429) {
      wait = rate_limit_wait(*response);
      context_.logger().info("Clever rate limit reached",
                             {{"endpoint", endpoint},
                              {"status", "429"},
                              {"duration_ms", std::to_string(wait.count())},
                              {"attempt", attempt_text}});
      if (wait > config_.sync.max_wait) {
        return sdk::Error{sdk::ErrorCode::upstream_unavailable,
                          std::string(endpoint) +
                              ": Clever's rate limit asks to wait longer than sync.max_wait"};
      }
      if (last) {
        return sdk::Error{sdk::ErrorCode::upstream_unavailable,
                          std::string(endpoint) + ": still rate limited after retries"};
      }
    } else if (is_retryable(response->status)) {
      context_.logger().warn("Clever answered a server error",
                             {{"endpoint", endpoint},
                              {"status", std::to_string(response->status)},
                              {"attempt", attempt_text}});
      if (last) return common::unexpected_status(endpoint, response->status);
      wait = backoff;
    } else {
      return response;
    }
    if (wait > config_.sync.max_wait) wait = config_.sync.max_wait;
    sleep_(wait);
    backoff *= 2;
  }
}

sdk::Result<std::map<std::string, sdk::Secret>> CleverApi::district_tokens() {
  sdk::HttpRequest request;
  request.url = common::with_query(config_.api.token_url, {{"owner_type", "district"}});
  request.timeout = config_.sync.timeout;
  request.max_response_bytes = kMaxTokenListBytes;
  request.headers = {
      {"Authorization",
       common::basic_authorization(config_.api.client_id, config_.api.client_secret.reveal())},
      {"Accept", "application/json"}};
  auto response = send(std::move(request), "district tokens");
  if (!response) return response.error();
  if (response->status != 200) {
    // Our own client credentials were refused: an application problem, not a district's.
    context_.logger().warn("Clever refused the district token list",
                           {{"endpoint", "district tokens"},
                            {"status", std::to_string(response->status)}});
    return common::unexpected_status("district token list", response->status);
  }
  auto body = common::parse_json_object(response->body, "district token list");
  if (!body) return body.error();
  const boost::json::value* data = body->if_contains("data");
  if (data == nullptr || !data->is_array()) return malformed("district token list has no data");
  std::map<std::string, sdk::Secret> tokens;
  for (const boost::json::value& entry : data->get_array()) {
    const boost::json::object* token = entry.if_object();
    const boost::json::object* owner =
        token != nullptr ? common::object_member(*token, "owner") : nullptr;
    if (owner == nullptr) return malformed("district token entry has no owner");
    const boost::json::string* type = common::string_member(*owner, "type");
    if (type == nullptr || *type != "district") continue;
    const boost::json::string* id = common::string_member(*owner, "id");
    const boost::json::string* access = common::string_member(*token, "access_token");
    if (id == nullptr || !is_safe_id(*id) || access == nullptr ||
        !is_plausible_token(*access)) {
      return malformed("district token entry has no valid district id or token");
    }
    tokens.emplace(std::string(*id), sdk::Secret(std::string(*access)));
    if (tokens.size() > kMaxDistricts) return malformed("district token list is too long");
  }
  return tokens;
}

sdk::Result<ListPage> CleverApi::list(std::string_view resource, const sdk::Secret& token,
                                      std::string_view starting_after) {
  sdk::HttpRequest request;
  request.url = common::with_query(
      config_.api.api_base_url + "/v3.0/" + std::string(resource),
      {{"limit", std::to_string(config_.sync.page_limit)}, {"starting_after", starting_after}});
  request.timeout = config_.sync.timeout;
  request.max_response_bytes =
      static_cast<std::size_t>(config_.sync.page_limit) * kBytesPerRecord + 64 * 1024;
  request.headers = {{"Authorization", "Bearer " + token.reveal()}, {"Accept", "application/json"}};
  auto response = send(std::move(request), resource);
  if (!response) return response.error();
  ListPage page;
  page.status = response->status;
  if (page.status == 401 || page.status == 404) return page;
  if (page.status != 200) {
    context_.logger().warn("Clever refused a sync request",
                           {{"endpoint", resource}, {"status", std::to_string(page.status)}});
    return common::unexpected_status(resource, page.status);
  }
  const std::string what = std::string(resource) + " page";
  auto body = common::parse_json_object(response->body, what);
  if (!body) return body.error();
  const boost::json::value* data = body->if_contains("data");
  if (data == nullptr || !data->is_array()) return malformed(what + " has no data array");
  page.items.reserve(data->get_array().size());
  for (const boost::json::value& element : data->get_array()) {
    const boost::json::object* wrapper = element.if_object();
    const boost::json::object* record =
        wrapper != nullptr ? common::object_member(*wrapper, "data") : nullptr;
    if (record == nullptr) return malformed(what + " has an element without a data object");
    page.items.push_back(*record);
  }
  if (const boost::json::value* links = body->if_contains("links")) {
    if (!links->is_array()) return malformed(what + " has links that are not a list");
    for (const boost::json::value& link : links->get_array()) {
      const boost::json::object* object = link.if_object();
      const boost::json::string* rel =
          object != nullptr ? common::string_member(*object, "rel") : nullptr;
      page.has_next = page.has_next || (rel != nullptr && *rel == "next");
    }
  }
  return page;
}

}  // namespace lmsgw::plugins::clever
