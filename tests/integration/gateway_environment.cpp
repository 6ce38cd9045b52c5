#include "tests/integration/gateway_environment.h"

#include <sys/stat.h>

#include <sstream>
#include <stdexcept>

namespace lmsgw::testing {
namespace {

constexpr std::string_view kClientId = "it-client";
constexpr std::string_view kClientSecret = "it-client-secret-0123456789";

// Three Clever users: a student and a teacher of the connected district, and a student of a
// district that never connected. Every field the gateway must drop carries a canary.
constexpr std::string_view kFixture = R"({"users": [
 {"id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
  "email": "zz.canary.student@example.org",
  "name": {"first": "Ana", "middle": "Zzmiddlecanary", "last": "Zzfamilycanary"},
  "roles": {"student": {"dob": "2/29/2016", "grade": "4", "gender": "Zzgendercanary",
    "race": "Zzracecanary", "hispanic_ethnicity": "Zzethnicitycanary",
    "ell_status": "Zzellcanary", "iep_status": "Zziepcanary", "sis_id": "ZZSISCANARY",
    "state_id": "ZZSTATEIDCANARY", "student_number": "ZZSTUDENTNUMBERCANARY",
    "credentials": {"district_username": "zzusernamecanary"},
    "location": {"address": "Zzaddresscanary", "zip": "Zzzipcanary"},
    "school": "6620aa00000000000000c001"}}},
 {"id": "6620aa00000000000000b002", "district": "6620aa00000000000000d001",
  "email": "rosa.teacher@example.org",
  "name": {"first": "Rosa", "last": "Zzteacherfamilycanary"},
  "roles": {"teacher": {"sis_id": "ZZTEACHERSISCANARY", "title": "Ms."}}},
 {"id": "6620aa00000000000000b003", "district": "6620aa00000000000000d002",
  "email": "zz.other.district@example.org",
  "name": {"first": "Leo", "last": "Zzotherdistrictcanary"},
  "roles": {"student": {"dob": "11/30/2012"}}}
]})";

void write_private(const std::filesystem::path& path, std::string_view content) {
  write_file(path, content);
  ::chmod(path.c_str(), 0600);
}

std::filesystem::path program(const char* path) { return std::filesystem::path(path); }

}  // namespace

const std::vector<std::string>& student_canaries() {
  static const std::vector<std::string> canaries = {
      "Zzfamilycanary",    "Zzmiddlecanary",
      "zz.canary.student", "canary.student@example.org",
      "2/29/2016",         "2016-02-29",
      "Zzgendercanary",    "Zzracecanary",
      "Zzethnicitycanary", "Zzellcanary",
      "Zziepcanary",       "ZZSISCANARY",
      "ZZSTATEIDCANARY",   "ZZSTUDENTNUMBERCANARY",
      "zzusernamecanary",  "Zzaddresscanary",
      "Zzzipcanary"};
  return canaries;
}

GatewayEnvironment::GatewayEnvironment(std::vector<std::string> extra_return_urls)
    : extra_return_urls_(std::move(extra_return_urls)) {
  pki_ = make_test_pki(dir_.path() / "pki");
  write_file(dir_.path() / "fixture.json", kFixture);
  write_private(dir_.path() / "client-secret", kClientSecret);
  gateway_port_ = free_port();
  clever_port_ = free_port();

  const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port_);
  std::vector<std::string> args;
  auto flag = [&args](std::string name, std::string value) {
    args.push_back(std::move(name));
    args.push_back(std::move(value));
  };
  flag("--fixture", (dir_.path() / "fixture.json").string());
  flag("--cert", pki_.server_certificate_file);
  flag("--key", pki_.server_key_file);
  flag("--port", std::to_string(clever_port_));
  flag("--client-id", std::string(kClientId));
  flag("--client-secret-file", (dir_.path() / "client-secret").string());
  // The first is the primary redirect URI, where Instant Login lands.
  for (const char* connection : {"clever-portal", "clever", "clever-fixed"}) {
    flag("--redirect-uri", gateway + "/callback/" + connection);
  }
  flag("--ready-file", (dir_.path() / "clever-ready").string());
  clever_ = std::make_unique<ChildProcess>(program(LMSGW_FAKE_CLEVER_BIN), std::move(args),
                                           dir_.path() / "fake-clever.log");
  if (!eventually([&] { return std::filesystem::exists(dir_.path() / "clever-ready"); })) {
    throw std::runtime_error("fake Clever did not start: " + clever_->output());
  }
  control_ = std::make_unique<TestBrowser>(pki_.ca_certificate_file);
  start_gateway();
}

GatewayEnvironment::~GatewayEnvironment() = default;

std::string GatewayEnvironment::gateway_url() const { return gateway_->url(); }
std::string GatewayEnvironment::clever_url() const {
  return "https://127.0.0.1:" + std::to_string(clever_port_);
}
std::string GatewayEnvironment::return_url() const { return gateway_->return_url(); }

void GatewayEnvironment::start_gateway(bool trust_test_ca) {
  const std::string clever_config = "    config:\n      client_id: " + std::string(kClientId) +
                                    "\n      client_secret: file:client-secret\n"
                                    "      authorize_url: " +
                                    clever_url() +
                                    "/oauth/authorize\n"
                                    "      token_url: " +
                                    clever_url() +
                                    "/oauth/tokens\n"
                                    "      api_base_url: " +
                                    clever_url() + "\n";
  const std::string mapped =
      "    provider_districts: {\"" + std::string(kConnectedDistrict) + "\": springfield}\n";
  GatewaySetup setup;
  setup.ca_file = trust_test_ca ? pki_.ca_certificate_file : std::string();
  setup.plugins = {"clever"};
  setup.extra_return_urls = extra_return_urls_;
  setup.port = gateway_port_;
  setup.connections_yaml =
      "  clever:\n    plugin: clever\n" + mapped + clever_config +
      "  clever-portal:\n    plugin: clever\n" + mapped + "    allow_provider_initiated: true\n" +
      clever_config +
      // One district for everyone: a Clever user still names a (then unmapped) district.
      "  clever-fixed:\n    plugin: clever\n    district: springfield\n" + clever_config +
      // Its callback is not registered at the fake Clever.
      "  clever-unregistered:\n    plugin: clever\n    district: springfield\n"
      "    allow_provider_initiated: true\n" +
      clever_config;
  gateway_.reset();
  gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
}

int GatewayEnvironment::stop_gateway(int signal) { return gateway_->stop(signal); }

sdk::HttpResponse GatewayEnvironment::sign_in(TestBrowser& browser, std::string_view connection,
                                              std::string_view user_id) {
  return browser.follow(gateway_url() + "/login/" + std::string(connection) +
                        "?login_hint=" + std::string(user_id));
}

std::string GatewayEnvironment::callback_of_started_sign_in(TestBrowser& browser,
                                                            std::string_view connection,
                                                            std::string_view user_id) {
  sdk::HttpResponse to_clever = browser.get(gateway_url() + "/login/" + std::string(connection) +
                                            "?login_hint=" + std::string(user_id));
  if (to_clever.status != 302) throw std::runtime_error("login did not redirect to Clever");
  sdk::HttpResponse back = browser.get(location_of(to_clever, gateway_url()));
  if (back.status != 302) throw std::runtime_error("Clever did not redirect back");
  return location_of(back, clever_url());
}

sdk::HttpResponse GatewayEnvironment::auth_check(TestBrowser& browser) {
  return browser.get(gateway_url() + "/auth/check");
}

std::string GatewayEnvironment::access_token(TestBrowser& browser) {
  sdk::HttpResponse response = browser.post_form(gateway_url() + "/auth/token", "");
  if (response.status != 200) return {};
  const std::string key = "\"access_token\":\"";
  const auto at = response.body.find(key);
  if (at == std::string::npos) return {};
  return response.body.substr(at + key.size(),
                              response.body.find('"', at + key.size()) - at - key.size());
}

int GatewayEnvironment::count_rows(std::string_view table) const {
  return gateway_->count_rows(table);
}

double GatewayEnvironment::metric(std::string_view sample) { return gateway_->metric(sample); }

void GatewayEnvironment::inject_fault(std::string_view query) {
  sdk::HttpResponse response =
      control_->post_form(clever_url() + "/__fake/faults?" + std::string(query), "");
  if (response.status != 200) throw std::runtime_error("fault injection refused: " + response.body);
}

int GatewayEnvironment::fake_counter(std::string_view name) {
  const std::string body = control_->get(clever_url() + "/__fake/stats").body;
  const std::string key = "\"" + std::string(name) + "\":";
  const auto at = body.find(key);
  return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size()));
}

std::string GatewayEnvironment::persisted_bytes() const { return gateway_->persisted_bytes(); }

}  // namespace lmsgw::testing
