// fake_clever: the fake Clever server as a process, for integration tests and the demo.
//
//   fake_clever --fixture clever.json --cert server.pem --key server-key.pem
//               --client-id ID (--client-secret S | --client-secret-file F)
//               --redirect-uri URI [--redirect-uri URI...] [--host 127.0.0.1] [--port 0]
//               [--browser-port N] [--auto-login USER_ID] [--ready-file FILE]
//
// The API (tokens, /v3.0) is served over HTTPS on --port, the browser endpoints (authorize,
// instant-login) there too and on --browser-port (common flags and serving:
// ../common/fake_process.h).
#include <stdexcept>
#include <string>

#include "fake_clever.h"
#include "fake_process.h"

int main(int argc, char** argv) {
  using namespace lmsgw::fakes;
  return run_fake_process("fake_clever", [&] {
    ProcessArguments args;
    FakeCleverOptions options;
    for_each_flag(argc, argv, [&](const std::string& flag, const std::string& value) {
      if (!args.take(flag, value) && !take_client_flag(flag, value, options)) {
        throw std::runtime_error("unknown flag " + flag);
      }
    });
    args.require();
    require_client(options);
    FakeClever clever(options, read_fixture(args.fixture));
    return serve(args,
                 {.name = "fake_clever",
                  .add_browser_routes = [&](auto& router) { clever.add_browser_routes(router); },
                  .add_api_routes = [&](auto& router) { clever.add_api_routes(router); },
                  .on_bound =
                      [](const std::string& api, const std::string& browser) {
                        return api + " (browser endpoints on " + browser + ")";
                      },
                  // /__fake/records and /__fake/events take whole lists.
                  .max_body_bytes = 16 * 1024 * 1024});
  });
}
