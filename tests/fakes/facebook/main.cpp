// fake_facebook: the fake Facebook (login dialog + Graph API) as a process, for integration
// tests and the demo.
//
//   fake_facebook --fixture users.json --cert server.pem --key server-key.pem
//                 --app-id ID (--app-secret S | --app-secret-file F)
//                 --redirect-uri URI [--redirect-uri URI...] [--graph-version v21.0]
//                 [--host 127.0.0.1] [--port 0] [--browser-port N] [--auto-login USER_ID]
//                 [--code-lifetime-seconds 60] [--ready-file FILE]
//
// Graph (oauth/access_token, /me) is served over HTTPS on --port, the login dialog there too
// and on --browser-port (common flags and serving: ../common/fake_process.h).
#include <stdexcept>
#include <string>

#include "fake_facebook.h"
#include "fake_process.h"

int main(int argc, char** argv) {
  using namespace lmsgw::fakes;
  return run_fake_process("fake_facebook", [&] {
    ProcessArguments args;
    FakeFacebookOptions options;
    for_each_flag(argc, argv, [&](const std::string& flag, const std::string& value) {
      if (args.take(flag, value)) return;
      if (flag == "--app-id") {
        options.app_id = value;
      } else if (flag == "--app-secret") {
        options.app_secret = value;
      } else if (flag == "--app-secret-file") {
        options.app_secret = read_secret_file(value);
      } else if (flag == "--redirect-uri") {
        options.redirect_uris.push_back(value);
      } else if (flag == "--graph-version") {
        options.graph_version = value;
      } else if (flag == "--auto-login") {
        options.auto_login_user = value;
      } else if (flag == "--code-lifetime-seconds") {
        options.code_lifetime = std::chrono::seconds(std::stoi(value));
      } else {
        throw std::runtime_error("unknown flag " + flag);
      }
    });
    args.require();
    if (options.app_id.empty() || options.app_secret.empty() || options.redirect_uris.empty()) {
      throw std::runtime_error("required: --app-id --app-secret(-file) --redirect-uri");
    }
    FakeFacebook facebook(options, read_fixture(args.fixture));
    return serve(args,
                 {.name = "fake_facebook",
                  .add_browser_routes = [&](auto& router) { facebook.add_browser_routes(router); },
                  .add_api_routes = [&](auto& router) { facebook.add_api_routes(router); },
                  .on_bound =
                      [&](const std::string& api, const std::string& browser) {
                        return api + " (Graph " + options.graph_version + "), login dialog on " +
                               browser;
                      }});
  });
}
