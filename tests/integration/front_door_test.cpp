// The gateway as the platform's front door behind a real nginx with auth_request: the
// configuration docs/front-door.md documents, run for real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/gateway_environment.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// nginx in front of the platform (front_port) and a tiny upstream (upstream_port) that
// answers with the identity headers it received.
std::string nginx_config(const std::filesystem::path& dir, std::uint16_t front_port,
                         std::uint16_t upstream_port, const std::string& gateway) {
  const std::string d = dir.string();
  return "worker_processes 1;\n"
         "daemon off;\n"
         "pid " +
         d +
         "/nginx.pid;\n"
         "error_log " +
         d +
         "/nginx-error.log warn;\n"
         "events { worker_connections 256; }\n"
         "http {\n"
         "  access_log off;\n"
         "  client_body_temp_path " +
         d +
         "/body;\n"
         "  proxy_temp_path " +
         d +
         "/proxy;\n"
         "  fastcgi_temp_path " +
         d +
         "/fastcgi;\n"
         "  uwsgi_temp_path " +
         d +
         "/uwsgi;\n"
         "  scgi_temp_path " +
         d +
         "/scgi;\n"
         "  upstream lms_gateway { server " +
         gateway.substr(7) +
         "; keepalive 16; }\n"
         "  server {\n"
         "    listen 127.0.0.1:" +
         std::to_string(front_port) +
         ";\n"
         "    location = /_lmsgw_auth {\n"
         "      internal;\n"
         "      proxy_pass http://lms_gateway/auth/check;\n"
         "      proxy_http_version 1.1;\n"
         "      proxy_set_header Connection \"\";\n"
         "      proxy_pass_request_body off;\n"
         "      proxy_set_header Content-Length \"\";\n"
         "      proxy_set_header X-Original-URI $request_uri;\n"
         "    }\n"
         "    location / {\n"
         "      auth_request /_lmsgw_auth;\n"
         "      auth_request_set $lmsgw_account $upstream_http_x_account_id;\n"
         "      auth_request_set $lmsgw_role $upstream_http_x_account_role;\n"
         "      auth_request_set $lmsgw_district $upstream_http_x_district_id;\n"
         "      auth_request_set $lmsgw_age_band $upstream_http_x_age_band;\n"
         "      auth_request_set $lmsgw_name $upstream_http_x_display_name;\n"
         "      proxy_set_header X-Account-Id $lmsgw_account;\n"
         "      proxy_set_header X-Account-Role $lmsgw_role;\n"
         "      proxy_set_header X-District-Id $lmsgw_district;\n"
         "      proxy_set_header X-Age-Band $lmsgw_age_band;\n"
         "      proxy_set_header X-Display-Name $lmsgw_name;\n"
         "      error_page 401 = @lmsgw_sign_in;\n"
         "      proxy_pass http://127.0.0.1:" +
         std::to_string(upstream_port) +
         ";\n"
         "    }\n"
         "    location @lmsgw_sign_in {\n"
         "      return 302 " +
         gateway +
         "/login/clever;\n"
         "    }\n"
         "  }\n"
         "  server {\n"
         "    listen 127.0.0.1:" +
         std::to_string(upstream_port) +
         ";\n"
         "    location / {\n"
         "      default_type text/plain;\n"
         "      return 200 \"account=$http_x_account_id role=$http_x_account_role "
         "district=$http_x_district_id band=$http_x_age_band name=$http_x_display_name\\n\";\n"
         "    }\n"
         "  }\n"
         "}\n";
}

class FrontDoorTest : public ::testing::Test {
 protected:
  FrontDoorTest()
      : front_port_(free_port()),
        env_({"http://127.0.0.1:" + std::to_string(front_port_) + "/"}),
        browser_(env_.pki().ca_certificate_file) {
    const auto dir = env_.directory() / "nginx";
    std::filesystem::create_directories(dir);
    write_file(dir / "nginx.conf", nginx_config(dir, front_port_, free_port(), env_.gateway_url()));
    nginx_ = std::make_unique<ChildProcess>(
        LMSGW_NGINX_BIN, std::vector<std::string>{"-c", (dir / "nginx.conf").string()},
        dir / "nginx.out");
    const bool up = eventually([&] {
      try {
        browser_.get(front());
        return true;
      } catch (const std::exception&) {
        return false;
      }
    });
    if (!up) throw std::runtime_error("nginx did not start: " + nginx_->output());
  }

  std::string front() const { return "http://127.0.0.1:" + std::to_string(front_port_) + "/"; }

  std::uint16_t front_port_;
  GatewayEnvironment env_;
  TestBrowser browser_;
  std::unique_ptr<ChildProcess> nginx_;
};

TEST_F(FrontDoorTest, WithoutASessionTheBrowserIsSentToSignIn) {
  sdk::HttpResponse page = browser_.get(front() + "lessons/3");
  EXPECT_EQ(page.status, 302);
  EXPECT_EQ(sdk::find_header(page.headers, "Location"), env_.gateway_url() + "/login/clever");
}

TEST_F(FrontDoorTest, WithASessionTheUpstreamSeesTheIdentityHeaders) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  sdk::HttpResponse page = browser_.get(front());
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_THAT(page.body, StartsWith("account=acct_"));
  EXPECT_THAT(page.body, HasSubstr(" role=student district=springfield band=under13 name=Ana\n"));
}

TEST_F(FrontDoorTest, IdentityHeadersAClientSendsNeverReachTheUpstream) {
  sdk::HttpRequest forged;
  forged.url = front();
  forged.headers = {{"X-Account-Id", "acct_forged"}, {"X-Account-Role", "district_admin"}};
  http::ClientOptions options;
  options.extra_ca_file = env_.pki().ca_certificate_file;
  options.allow_plain_http_to_loopback = true;
  auto client = http::Client::create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->send(forged)->status, 302);

  ASSERT_EQ(env_.sign_in(browser_, "clever", kTeacherId).status, 200);
  forged.headers.emplace_back("Cookie", "lmsgw_session=" + browser_.cookie("lmsgw_session"));
  sdk::HttpResponse page = *(*client)->send(forged);
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, ::testing::Not(HasSubstr("acct_forged")));
  EXPECT_THAT(page.body, HasSubstr("role=teacher"));
}

TEST_F(FrontDoorTest, ABearerTokenPassesTheFrontDoorToo) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  const std::string token = env_.access_token(browser_);
  ASSERT_FALSE(token.empty());
  http::ClientOptions options;
  options.allow_plain_http_to_loopback = true;
  auto client = std::move(*http::Client::create(options));
  sdk::HttpRequest request;
  request.url = front();
  request.headers = {{"Authorization", "Bearer " + token}};
  sdk::HttpResponse page = *client->send(request);
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr(" role=student district=springfield band=under13 name=Ana\n"));
}

TEST_F(FrontDoorTest, AfterLogoutTheNextRequestIsRefusedAtOnce) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  ASSERT_EQ(browser_.get(front()).status, 200);
  const std::string session = browser_.cookie("lmsgw_session");
  browser_.post_form(env_.gateway_url() + "/logout", "");
  TestBrowser stolen(env_.pki().ca_certificate_file);
  stolen.set_cookie("lmsgw_session", session);
  EXPECT_EQ(stolen.get(front()).status, 302);
}

}  // namespace
}  // namespace lmsgw::testing
