// fake_google: the fake Google OpenID provider as a process, for integration tests and the demo.
//
//   fake_google --fixture users.json --cert server.pem --key server-key.pem
//               --client-id ID (--client-secret S | --client-secret-file F)
//               --redirect-uri URI [--redirect-uri URI...] [--issuer URL] [--host 127.0.0.1]
//               [--port 0] [--browser-port N] [--auto-login EMAIL_OR_SUB]
//               [--jwks-max-age SECONDS] [--ready-file FILE]
//
// Everything is served over HTTPS on --port; its discovery document is at
// https://HOST:PORT/.well-known/openid-configuration (the `discovery_url` of a `google`
// connection). --issuer defaults to https://accounts.google.com. With --browser-port, the
// authorization endpoint is also served over plain HTTP on loopback and published there in the
// discovery document (common flags and serving: ../common/fake_process.h).
#include <stdexcept>
#include <string>

#include "fake_google.h"
#include "fake_process.h"

int main(int argc, char** argv) {
  using namespace lmsgw::fakes;
  return run_fake_process("fake_google", [&] {
    ProcessArguments args;
    FakeGoogleOptions options;
    for_each_flag(argc, argv, [&](const std::string& flag, const std::string& value) {
      if (args.take(flag, value) || take_client_flag(flag, value, options)) return;
      if (flag == "--issuer") {
        options.issuer = value;
      } else if (flag == "--jwks-max-age") {
        options.jwks_max_age = std::chrono::seconds(std::stoi(value));
      } else {
        throw std::runtime_error("unknown flag " + flag);
      }
    });
    args.require();
    require_client(options);
    FakeGoogle google(options, read_fixture(args.fixture));
    return serve(args,
                 {.name = "fake_google",
                  .add_browser_routes = [&](auto& router) { google.add_browser_routes(router); },
                  .add_api_routes = [&](auto& router) { google.add_api_routes(router); },
                  .on_bound =
                      [&](const std::string& api, const std::string& browser) {
                        google.set_base_urls(api, browser);
                        return api +
                               "/.well-known/openid-configuration (authorization "
                               "endpoint on " +
                               browser + ")";
                      },
                  .worker_threads = 4});
  });
}
