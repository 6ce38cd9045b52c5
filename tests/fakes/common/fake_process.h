// What every fake provider process shares: the common flags (fixture, TLS files, host, ports,
// ready file), reading files, and serving the provider's routes over HTTPS on --port and, with
// --browser-port, its browser endpoints also over plain HTTP on loopback (so that a browser in
// the demo need not trust the test CA). With --ready-file, the bound ports are written there
// ("https_port=N\nbrowser_port=M\n") once both listen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "http/router.h"

namespace lmsgw::fakes {

struct ProcessArguments {
  std::string fixture;
  std::string certificate;
  std::string key;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::optional<std::uint16_t> browser_port;
  std::optional<std::string> ready_file;

  // Takes `flag` when it is one of the common flags; false otherwise.
  bool take(const std::string& flag, const std::string& value);
  // Throws naming the missing common flags (--fixture --cert --key).
  void require() const;
};

// The flags of a command line as (flag, value) pairs: every flag takes a value.
void for_each_flag(int argc, char** argv,
                   const std::function<void(const std::string&, const std::string&)>& take);

std::string read_file(const std::string& path);
// A secret file's content without its trailing newlines.
std::string read_secret_file(const std::string& path);
boost::json::object read_fixture(const std::string& path);

// The OAuth client flags the fake Clever and the fake Google share (--client-id,
// --client-secret, --client-secret-file, --redirect-uri, --auto-login), into any options with
// those members. take_client_flag() is false for any other flag; require_client() throws naming
// the missing required ones.
template <class Options>
bool take_client_flag(const std::string& flag, const std::string& value, Options& options) {
  if (flag == "--client-id") {
    options.client_id = value;
  } else if (flag == "--client-secret") {
    options.client_secret = value;
  } else if (flag == "--client-secret-file") {
    options.client_secret = read_secret_file(value);
  } else if (flag == "--redirect-uri") {
    options.redirect_uris.push_back(value);
  } else if (flag == "--auto-login") {
    options.auto_login_user = value;
  } else {
    return false;
  }
  return true;
}

template <class Options>
void require_client(const Options& options) {
  if (options.client_id.empty() || options.client_secret.empty() || options.redirect_uris.empty()) {
    throw std::runtime_error("required: --client-id --client-secret(-file) --redirect-uri");
  }
}

struct FakeServer {
  // The process name for messages ("fake_clever").
  std::string name;
  std::function<void(http::Router&)> add_browser_routes;
  std::function<void(http::Router&)> add_api_routes;
  // Told the bound base URLs (the browser one is the API one without --browser-port); returns
  // the line printed after "<name>: ".
  std::function<std::string(const std::string& api_base, const std::string& browser_base)> on_bound;
  // 0 keeps the server's defaults.
  unsigned worker_threads = 0;
  std::size_t max_body_bytes = 0;
};

// Binds, announces, serves until stopped; the process exit code.
int serve(const ProcessArguments& args, const FakeServer& server);

// Runs `body`, turning an exception into a message on stderr and exit code 2.
int run_fake_process(std::string_view name, const std::function<int()>& body);

}  // namespace lmsgw::fakes
