// The calls Secure Sync makes to Clever (PROTOCOLS.md 1.3-1.8): the district-app token list
// and one page of a data API list, each with bounded retries: a 5xx or a transport failure is
// retried after an exponential back-off, a 429 after the wait Clever names (Retry-After,
// X-RateLimit-Reset); a wait longer than `max_wait` fails the call instead of holding the run.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "clever_sync_config.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/http.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::clever {

// Blocks the calling thread; the module passes a real sleep, tests a fake that moves a clock.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

// One page of a list endpoint.
struct ListPage {
  // 200 with a well-formed page; or 401/404: the district token no longer opens the list.
  int status = 200;
  // The records (the `data` object of each element), in Clever's order (ascending id).
  std::vector<boost::json::object> items;
  // A `rel: next` link was present.
  bool has_next = false;
};

class CleverApi {
 public:
  CleverApi(const CleverSyncConfig& config, sdk::PluginContext& context, Sleeper sleep);

  // GET {token_url}?owner_type=district with the client's Basic credentials: the district-app
  // token of every connected district, by Clever district id.
  sdk::Result<std::map<std::string, sdk::Secret>> district_tokens();

  // GET {api_base_url}/v3.0/{resource}?limit=..[&starting_after=..] with a district token.
  // `resource` is "users", "sections" or "events".
  sdk::Result<ListPage> list(std::string_view resource, const sdk::Secret& token,
                             std::string_view starting_after);

 private:
  sdk::Result<sdk::HttpResponse> send(sdk::HttpRequest request, std::string_view endpoint);
  // How long a 429 asks us to wait.
  std::chrono::milliseconds rate_limit_wait(const sdk::HttpResponse& response) const;

  const CleverSyncConfig& config_;
  sdk::PluginContext& context_;
  Sleeper sleep_;
};

}  // namespace lmsgw::plugins::clever
