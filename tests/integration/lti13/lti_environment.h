// A running gateway with an lti13 connection and the fake LMS platform in front of it: real
// processes, real HTTPS with a test CA, a real SQLite file, loopback only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/http.h"
#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {

// Fixture users (tests/fakes/lti/launch-users.json).
inline constexpr std::string_view kLearner = "lti-learner-0001";
inline constexpr std::string_view kInstructor = "lti-instructor-0002";
inline constexpr std::string_view kGuest = "lti-guest-0003";
inline constexpr std::string_view kIssuer = "https://lms.fake.test";
inline constexpr std::string_view kClientId = "tool-client-1";

// What the learner's launch carries that must never be persisted or reach the platform.
const std::vector<std::string>& learner_canaries();

// Every hop of one launch, as the browser saw it.
struct Launch {
  sdk::HttpResponse login;     // the gateway's answer to the login initiation
  sdk::HttpResponse platform;  // the platform's answer to the authorization request
  sdk::HttpResponse callback;  // the gateway's answer to the id_token form POST
  std::string state;           // the state the gateway sent to the platform
};

class LtiEnvironment {
 public:
  LtiEnvironment();
  ~LtiEnvironment();

  std::string gateway_url() const;
  std::string platform_url() const;
  const std::string& ca_file() const noexcept { return pki_.ca_certificate_file; }
  // A target under the allowed return URLs, and one outside them.
  std::string allowed_target() const;
  std::string foreign_target() const;

  // Starts a launch at the fake platform (`query` after user=..., e.g. "&method=post") and
  // follows it, hop by hop, as far as it goes: login initiation (GET redirect or form POST),
  // authorization redirect, id_token form POST.
  Launch launch(TestBrowser& browser, std::string_view user, std::string_view query = "");
  sdk::HttpResponse auth_check(TestBrowser& browser);

  // Restarts the gateway with session.cookie_secure set as given.
  void restart_gateway(bool cookie_secure);
  // The name the session cookie has with the current setting.
  const std::string& session_cookie() const noexcept { return session_cookie_; }

  int count_rows(std::string_view table) const;
  double metric(std::string_view sample);
  std::string persisted_bytes() const;
  void inject_fault(std::string_view query);
  // POSTs to a /__fake/ control path of the platform, e.g. "/__fake/keys/rotate".
  void platform_control(std::string_view path);
  int platform_counter(std::string_view name);

 private:
  TempDir dir_;
  TestPki pki_;
  std::uint16_t gateway_port_ = 0;
  std::uint16_t platform_port_ = 0;
  std::string session_cookie_ = "lmsgw_session";
  std::unique_ptr<ChildProcess> platform_;
  std::unique_ptr<GatewayProcess> gateway_;
  // The gateway when restarted with a configuration GatewayProcess does not write.
  std::unique_ptr<ChildProcess> reconfigured_;
  std::unique_ptr<TestBrowser> control_;
};

}  // namespace lmsgw::testing
