// fake_lti: the fake LMS platform (LTI 1.3) as a process, for integration tests and the demo.
//
//   fake_lti --fixture launch-users.json --cert server.pem --key server-key.pem
//            --issuer https://lms.fake.test --client-id ID
//            --redirect-uri URI [--redirect-uri URI...] --login-url URL
//            [--deployment-id dep-1] [--target-link-uri URL]
//            [--host 127.0.0.1] [--port 0] [--browser-port N] [--ready-file FILE]
//
// Everything is served over HTTPS on --port: the JWKS (/lti/jwks), the OIDC authorization
// endpoint (/lti/authorize), /__fake/launch?user=ID and the other /__fake/ controls. With
// --browser-port, the browser endpoints (/__fake/launch, /lti/authorize) are also served over
// plain HTTP on loopback (common flags and serving: ../common/fake_process.h).
#include <stdexcept>
#include <string>

#include "fake_lti.h"
#include "fake_process.h"

int main(int argc, char** argv) {
  using namespace lmsgw::fakes;
  return run_fake_process("fake_lti", [&] {
    ProcessArguments args;
    FakeLtiOptions options;
    options.issuer = "https://lms.fake.test";
    for_each_flag(argc, argv, [&](const std::string& flag, const std::string& value) {
      if (args.take(flag, value)) return;
      if (flag == "--issuer") {
        options.issuer = value;
      } else if (flag == "--client-id") {
        options.client_id = value;
      } else if (flag == "--redirect-uri") {
        options.redirect_uris.push_back(value);
      } else if (flag == "--login-url") {
        options.login_url = value;
      } else if (flag == "--deployment-id") {
        options.deployment_id = value;
      } else if (flag == "--target-link-uri") {
        options.target_link_uri = value;
      } else {
        throw std::runtime_error("unknown flag " + flag);
      }
    });
    args.require();
    if (options.client_id.empty() || options.redirect_uris.empty() || options.login_url.empty()) {
      throw std::runtime_error("required: --client-id --redirect-uri --login-url");
    }
    if (options.target_link_uri.empty()) options.target_link_uri = options.redirect_uris.front();
    FakeLti platform(options, read_fixture(args.fixture));
    return serve(args,
                 {.name = "fake_lti",
                  .add_browser_routes = [&](auto& router) { platform.add_browser_routes(router); },
                  .add_api_routes = [&](auto& router) { platform.add_api_routes(router); },
                  .on_bound =
                      [](const std::string& api, const std::string& browser) {
                        return api + " (browser endpoints on " + browser + ")";
                      }});
  });
}
