// A running gateway with a fake Clever in front of it, for integration tests: real processes,
// real HTTPS with a test CA, a real SQLite file, loopback only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lmsgw/sdk/http.h"
#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {

// Fixture users (Clever v3 shape) whose every dropped field holds a recognisable canary.
inline constexpr std::string_view kStudentId = "6620aa00000000000000b001";
inline constexpr std::string_view kTeacherId = "6620aa00000000000000b002";
inline constexpr std::string_view kOtherDistrictStudentId = "6620aa00000000000000b003";
inline constexpr std::string_view kConnectedDistrict = "6620aa00000000000000d001";
// The gateway's tokens: their audience, and the backend allowed to introspect them.
inline constexpr std::string_view kTokenAudience = "test-platform";
inline constexpr std::string_view kIntrospectionClient = "test-backend:test-introspection-secret";

// Personal data of the student that must never be persisted or passed to the platform. (Her
// raw Clever id must not be persisted either, but the browser legitimately carries it to
// Clever as a login hint, so tests check it separately.)
const std::vector<std::string>& student_canaries();

class GatewayEnvironment {
 public:
  // `extra_return_urls` are allowed as return URLs besides the gateway's own page.
  explicit GatewayEnvironment(std::vector<std::string> extra_return_urls = {});
  ~GatewayEnvironment();

  // Writes the config and starts the gateway; waits for /healthz. Without `trust_test_ca` the
  // gateway trusts only the system store, so the fake Clever's certificate is refused.
  void start_gateway(bool trust_test_ca = true);
  // Stops the gateway with `signal`; returns its exit code.
  int stop_gateway(int signal = 15);

  std::string gateway_url() const;
  std::string clever_url() const;
  // Where sign-ins return to (an allowlisted gateway page, so no other server is needed).
  std::string return_url() const;
  const std::filesystem::path& directory() const { return dir_.path(); }
  const TestPki& pki() const { return pki_; }

  // /login/{connection} with login_hint, followed through the fake Clever and back.
  sdk::HttpResponse sign_in(TestBrowser& browser, std::string_view connection,
                            std::string_view user_id);
  // Starts a sign-in and follows it through the fake Clever, stopping before the callback:
  // returns the callback URL (with code and state) the browser was sent to.
  std::string callback_of_started_sign_in(TestBrowser& browser, std::string_view connection,
                                          std::string_view user_id);
  sdk::HttpResponse auth_check(TestBrowser& browser);
  // POST /auth/token with the browser's session: the access token, or "" when refused.
  std::string access_token(TestBrowser& browser);

  // Rows in a table of the gateway's database, read through SQLite.
  int count_rows(std::string_view table) const;
  // The value of one sample of /metrics, e.g. `lmsgw_sign_ins_total{connection="clever",...}`;
  // -1 when absent.
  double metric(std::string_view sample);
  // Calls the fake Clever's control endpoint: inject a fault or read counters.
  void inject_fault(std::string_view query);
  int fake_counter(std::string_view name);

  // The database file, its WAL and shared-memory file, and the gateway's log, as bytes.
  std::string persisted_bytes() const;

 private:
  TempDir dir_;
  TestPki pki_;
  std::vector<std::string> extra_return_urls_;
  std::uint16_t gateway_port_ = 0;
  std::uint16_t clever_port_ = 0;
  std::unique_ptr<ChildProcess> clever_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<TestBrowser> control_;
};

}  // namespace lmsgw::testing
