#include "tests/integration/lti13/lti_environment.h"

#include <stdexcept>

#include "auto_post_form.h"

namespace lmsgw::testing {
namespace {

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("config has no " + std::string(from));
  return text.replace(at, from.size(), to);
}

std::string query_value(const std::string& url, std::string_view name) {
  const std::string key = "?" + std::string(name) + "=";
  auto at = url.find(key);
  if (at == std::string::npos) at = url.find("&" + std::string(name) + "=");
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return url.substr(start, url.find('&', start) - start);
}

}  // namespace

const std::vector<std::string>& learner_canaries() {
  static const std::vector<std::string> canaries = {
      "Zzltifamilycanary",  "Zzltimiddlecanary",    "zz.lti.canary",
      "zzltipicturecanary", "ZZLTISOURCEDIDCANARY", "ZZLTISECTIONCANARY",
      "ZZLTICUSTOMCANARY",  "2015-03-04",           "Zzltigendercanary"};
  return canaries;
}

LtiEnvironment::LtiEnvironment() {
  pki_ = make_test_pki(dir_.path() / "pki");
  gateway_port_ = free_port();
  platform_port_ = free_port();
  const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port_);
  std::vector<std::string> args = {"--fixture",
                                   LMSGW_FAKE_LTI_FIXTURE,
                                   "--cert",
                                   pki_.server_certificate_file,
                                   "--key",
                                   pki_.server_key_file,
                                   "--port",
                                   std::to_string(platform_port_),
                                   "--issuer",
                                   std::string(kIssuer),
                                   "--client-id",
                                   std::string(kClientId),
                                   "--redirect-uri",
                                   gateway + "/callback/lti",
                                   "--login-url",
                                   gateway + "/login/lti",
                                   "--deployment-id",
                                   "dep-1",
                                   "--target-link-uri",
                                   allowed_target(),
                                   "--ready-file",
                                   (dir_.path() / "lti-ready").string()};
  platform_ = std::make_unique<ChildProcess>(LMSGW_FAKE_LTI_BIN, std::move(args),
                                             dir_.path() / "fake-lti.log");
  if (!eventually([&] { return std::filesystem::exists(dir_.path() / "lti-ready"); })) {
    throw std::runtime_error("fake LTI platform did not start: " + platform_->output());
  }
  control_ = std::make_unique<TestBrowser>(pki_.ca_certificate_file);

  const std::string registration = "    config:\n      issuer: " + std::string(kIssuer) +
                                   "\n      client_id: " + std::string(kClientId) +
                                   "\n      auth_endpoint: " + platform_url() +
                                   "/lti/authorize\n      jwks_url: " + platform_url() +
                                   "/lti/jwks\n      deployment_ids: [dep-1, dep-2]\n";
  GatewaySetup setup;
  setup.ca_file = pki_.ca_certificate_file;
  setup.plugins = {"lti13"};
  setup.extra_return_urls = {platform_url() + "/tool/"};
  setup.port = gateway_port_;
  setup.connections_yaml = "  lti:\n    plugin: lti13\n    district: springfield\n" + registration;
  gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
}

LtiEnvironment::~LtiEnvironment() = default;

std::string LtiEnvironment::gateway_url() const { return gateway_->url(); }
std::string LtiEnvironment::platform_url() const {
  return "https://127.0.0.1:" + std::to_string(platform_port_);
}
std::string LtiEnvironment::allowed_target() const { return platform_url() + "/tool/landing"; }
std::string LtiEnvironment::foreign_target() const { return platform_url() + "/elsewhere"; }

Launch LtiEnvironment::launch(TestBrowser& browser, std::string_view user, std::string_view query) {
  Launch launch;
  sdk::HttpResponse start =
      browser.get(platform_url() + "/__fake/launch?user=" + std::string(user) + std::string(query));
  if (start.status == 302) {
    launch.login = browser.get(location_of(start, platform_url()));
  } else if (auto form = fakes::parse_auto_post_form(start.body)) {
    launch.login = browser.post_form(form->action, form->body());
  } else {
    throw std::runtime_error("the platform did not start the launch: " + start.body);
  }
  if (launch.login.status != 302) return launch;
  const std::string authorize = location_of(launch.login, gateway_url());
  if (!authorize.starts_with(platform_url())) return launch;
  launch.state = query_value(authorize, "state");
  launch.platform = browser.get(authorize);
  auto answer = fakes::parse_auto_post_form(launch.platform.body);
  if (!answer) return launch;
  launch.callback = browser.post_form(answer->action, answer->body());
  return launch;
}

sdk::HttpResponse LtiEnvironment::auth_check(TestBrowser& browser) {
  return browser.get(gateway_url() + "/auth/check");
}

void LtiEnvironment::restart_gateway(bool cookie_secure) {
  reconfigured_.reset();
  gateway_->stop();
  std::string config = read_file(gateway_->config_file());
  if (cookie_secure) config = replace_once(config, "cookie_secure: false", "cookie_secure: true");
  const std::filesystem::path file = dir_.path() / "gateway-reconfigured.yaml";
  write_file(file, config);
  reconfigured_ = std::make_unique<ChildProcess>(
      LMSGW_GATEWAY_BIN, std::vector<std::string>{"--config", file.string()},
      dir_.path() / "gateway-reconfigured.stderr");
  session_cookie_ = cookie_secure ? "__Host-lmsgw_session" : "lmsgw_session";
  TestBrowser probe(pki_.ca_certificate_file);
  if (!eventually([&] {
        try {
          return probe.get(gateway_url() + "/healthz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      })) {
    throw std::runtime_error("reconfigured gateway did not start: " + reconfigured_->output());
  }
}

int LtiEnvironment::count_rows(std::string_view table) const { return gateway_->count_rows(table); }
double LtiEnvironment::metric(std::string_view sample) { return gateway_->metric(sample); }

std::string LtiEnvironment::persisted_bytes() const {
  return gateway_->persisted_bytes() + read_file(dir_.path() / "gateway-reconfigured.stderr");
}

void LtiEnvironment::inject_fault(std::string_view query) {
  sdk::HttpResponse response =
      control_->post_form(platform_url() + "/__fake/faults?" + std::string(query), "");
  if (response.status != 200) throw std::runtime_error("fault injection refused: " + response.body);
}

void LtiEnvironment::platform_control(std::string_view path) {
  sdk::HttpResponse response = control_->post_form(platform_url() + std::string(path), "");
  if (response.status != 200) throw std::runtime_error("control refused: " + response.body);
}

int LtiEnvironment::platform_counter(std::string_view name) {
  const std::string body = control_->get(platform_url() + "/__fake/stats").body;
  const std::string key = "\"" + std::string(name) + "\":";
  const auto at = body.find(key);
  return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size()));
}

}  // namespace lmsgw::testing
