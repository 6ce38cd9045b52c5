#include "admin/admin_routes.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "tests/unit/admin/admin_test_support.h"

namespace lmsgw::admin {
namespace {

using http::Method;
using testing::AdminDatabase;
using testing::anonymous;
using testing::bearer;
using testing::with_authorization;

std::string header(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

boost::json::object body(const http::Response& response) {
  return boost::json::parse(response.body).as_object();
}

// A router with one route of each access kind; handlers echo who called.
class AdminRouterTest : public ::testing::Test {
 protected:
  AdminRouterTest() : admin_(db_.tokens(), {"springfield", "shelbyville"}) {
    const auto echo = [this](const http::Request& request, const AdminPrincipal& principal) {
      ++handled_;
      return json_response(200, boost::json::object{{"actor", principal.actor()},
                                                    {"district", request.route_param("district")}});
    };
    admin_.add({{Method::get}, "/admin/v1/districts/{district}", AdminAccess::district, echo});
    admin_.add({{Method::post, Method::delete_},
                "/admin/v1/districts/{district}/revocation",
                AdminAccess::operator_only,
                echo});
    admin_.add({{Method::get}, "/admin/v1/tokens", AdminAccess::operator_only, echo});
    admin_.add({{Method::get}, "/admin/v1/certificates/{id}", AdminAccess::any_admin, echo});
    admin_.install(router_);
    operator_ = db_.make_token(AdminRole::operator_);
    springfield_ = db_.make_token(AdminRole::district_admin, "springfield");
  }

  AdminDatabase db_;
  AdminRouter admin_;
  http::Router router_;
  std::string operator_;
  std::string springfield_;
  int handled_ = 0;
};

TEST_F(AdminRouterTest, NoAuthorizationIs401WithAChallenge) {
  const http::Response response =
      anonymous(Method::get, "/admin/v1/districts/springfield").send(router_);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(header(response, "WWW-Authenticate"), "Bearer realm=\"lms-gateway-admin\"");
  EXPECT_EQ(body(response).at("error"), "unauthorized");
  EXPECT_EQ(header(response, "Cache-Control"), "no-store");
  EXPECT_EQ(admin_.counters().missing.load(), 1u);
  EXPECT_EQ(handled_, 0);
}

TEST_F(AdminRouterTest, OtherSchemesAre401) {
  for (const std::string& authorization :
       {"Basic " + operator_, operator_, std::string("Bearer"), std::string("Bearer ")}) {
    const http::Response response =
        with_authorization(Method::get, "/admin/v1/districts/springfield", authorization)
            .send(router_);
    EXPECT_EQ(response.status, 401) << authorization;
    EXPECT_EQ(header(response, "WWW-Authenticate"),
              "Bearer realm=\"lms-gateway-admin\", error=\"invalid_request\"");
  }
  EXPECT_EQ(admin_.counters().malformed.load(), 4u);
  EXPECT_EQ(handled_, 0);
}

TEST_F(AdminRouterTest, WrongOrRevokedTokenIs401InvalidToken) {
  const http::Response wrong =
      bearer(Method::get, "/admin/v1/districts/springfield", operator_ + "x").send(router_);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(header(wrong, "WWW-Authenticate"),
            "Bearer realm=\"lms-gateway-admin\", error=\"invalid_token\"");

  const auto id = (*db_.tokens().list())[0].id;
  ASSERT_EQ(bearer(Method::get, "/admin/v1/districts/springfield", operator_).send(router_).status,
            200);
  ASSERT_TRUE(*db_.tokens().revoke(id));
  EXPECT_EQ(bearer(Method::get, "/admin/v1/districts/springfield", operator_).send(router_).status,
            401);
  EXPECT_EQ(admin_.counters().invalid.load(), 2u);
  EXPECT_EQ(handled_, 1);
}

TEST_F(AdminRouterTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(
      with_authorization(Method::get, "/admin/v1/districts/springfield", "bearer " + operator_)
          .send(router_)
          .status,
      200);
}

TEST_F(AdminRouterTest, OperatorReachesEveryDistrict) {
  for (const char* district : {"springfield", "shelbyville"}) {
    const http::Response response =
        bearer(Method::get, std::string("/admin/v1/districts/") + district, operator_)
            .send(router_);
    ASSERT_EQ(response.status, 200) << district;
    EXPECT_EQ(body(response).at("district"), district);
    EXPECT_TRUE(body(response).at("actor").as_string().starts_with("operator:adm_"));
  }
}

TEST_F(AdminRouterTest, DistrictAdminReachesItsOwnDistrict) {
  const http::Response response =
      bearer(Method::get, "/admin/v1/districts/springfield", springfield_).send(router_);
  ASSERT_EQ(response.status, 200);
  EXPECT_TRUE(body(response).at("actor").as_string().starts_with("district-admin:adm_"));
}

TEST_F(AdminRouterTest, AnotherDistrictLooksExactlyLikeAnUnknownOne) {
  const http::Response other =
      bearer(Method::get, "/admin/v1/districts/shelbyville", springfield_).send(router_);
  const http::Response unknown =
      bearer(Method::get, "/admin/v1/districts/ogdenville", springfield_).send(router_);
  const http::Response unknown_to_operator =
      bearer(Method::get, "/admin/v1/districts/ogdenville", operator_).send(router_);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body, unknown.body);
  EXPECT_EQ(other.body, unknown_to_operator.body);
  EXPECT_EQ(other.headers, unknown.headers);
  // Also on an operator-only route: 404 for another district, before the 403 of its own.
  EXPECT_EQ(bearer(Method::post, "/admin/v1/districts/shelbyville/revocation", springfield_)
                .send(router_)
                .status,
            404);
  EXPECT_EQ(handled_, 0);
  // Ogdenville is not the admin's either: three refusals.
  EXPECT_EQ(admin_.counters().out_of_scope.load(), 3u);
}

TEST_F(AdminRouterTest, OperatorOnlyRoutesRefuseDistrictAdmins) {
  EXPECT_EQ(bearer(Method::delete_, "/admin/v1/districts/springfield/revocation", springfield_)
                .send(router_)
                .status,
            403);
  EXPECT_EQ(bearer(Method::get, "/admin/v1/tokens", springfield_).send(router_).status, 403);
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(bearer(Method::delete_, "/admin/v1/districts/springfield/revocation", operator_)
                .send(router_)
                .status,
            200);
  EXPECT_EQ(bearer(Method::get, "/admin/v1/tokens", operator_).send(router_).status, 200);
}

TEST_F(AdminRouterTest, AnyAdminRoutesReachTheHandler) {
  EXPECT_EQ(bearer(Method::get, "/admin/v1/certificates/c1", springfield_).send(router_).status,
            200);
  EXPECT_EQ(handled_, 1);
}

TEST_F(AdminRouterTest, UnknownAdminPathsAuthenticateFirst) {
  for (const char* path : {"/admin", "/admin/", "/admin/v1", "/admin/v1/", "/admin/v1/nothing",
                           "/admin/v2/districts", "/admin/v1/districts/springfield/nothing"}) {
    EXPECT_EQ(anonymous(Method::get, path).send(router_).status, 401) << path;
    EXPECT_EQ(bearer(Method::get, path, "wrong").send(router_).status, 401) << path;
    const http::Response found = bearer(Method::get, path, operator_).send(router_);
    EXPECT_EQ(found.status, 404) << path;
    EXPECT_EQ(body(found).at("error"), "not_found");
  }
}

TEST_F(AdminRouterTest, WrongMethodAuthenticatesFirstThenIs405) {
  EXPECT_EQ(
      anonymous(Method::put, "/admin/v1/districts/springfield/revocation").send(router_).status,
      401);
  const http::Response response =
      bearer(Method::put, "/admin/v1/districts/springfield/revocation", operator_).send(router_);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(header(response, "Allow"), "POST, DELETE");
}

TEST(AdminRouter, RefusesMalformedRoutes) {
  AdminDatabase db;
  AdminRouter admin(db.tokens(), {"springfield"});
  const auto handler = [](const http::Request&, const AdminPrincipal&) {
    return json_response(200, boost::json::object{});
  };
  EXPECT_THROW(admin.add({{Method::get}, "/districts/{district}", AdminAccess::district, handler}),
               std::invalid_argument);
  EXPECT_THROW(admin.add({{Method::get}, "/admin/v1/tokens", AdminAccess::district, handler}),
               std::invalid_argument);
  EXPECT_THROW(admin.add({{Method::get}, "/admin/v1/x/{district", AdminAccess::any_admin, handler}),
               std::invalid_argument);
  EXPECT_THROW(admin.add({{Method::get}, "/admin/v1/tokens", AdminAccess::any_admin, {}}),
               std::invalid_argument);
}

sdk::Result<boost::json::object> read_body(std::string_view content_type, std::string_view text,
                                           std::size_t max_bytes = kMaxAdminBodyBytes) {
  http::Request request;
  request.method = Method::post;
  request.body = text;
  request.headers = {{"Content-Type", content_type}};
  return read_json_object(request, max_bytes);
}

TEST(ReadJsonObject, AcceptsAnObjectAndRefusesEverythingElse) {
  auto good = read_body("application/json; charset=utf-8", R"({"a":"b"})");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(string_member(*good, "a"), "b");
  EXPECT_EQ(string_member(*good, "missing"), std::nullopt);

  const auto code = [](const sdk::Result<boost::json::object>& result) {
    return result.ok() ? -1 : json_error(result.error()).status;
  };
  EXPECT_EQ(code(read_body("text/plain", "{}")), 415);
  EXPECT_EQ(code(read_body("application/json", "{")), 400);
  EXPECT_EQ(code(read_body("application/json", "[1]")), 400);
  const std::string big = R"({"a":")" + std::string(kMaxAdminBodyBytes, 'x') + R"("})";
  EXPECT_EQ(code(read_body("application/json", big)), 413);
  EXPECT_EQ(code(read_body("application/json", R"({"a":1})", 4)), 413);
}

TEST(JsonError, NamesTheErrorAndOmitsAnEmptyDetail) {
  EXPECT_EQ(json_error(404, "not_found").body, R"({"error":"not_found"})");
  EXPECT_EQ(json_error(400, "invalid_request", "bad").body,
            R"({"error":"invalid_request","detail":"bad"})");
  // An internal error's detail stays in the log.
  EXPECT_EQ(json_error(sdk::Error{sdk::ErrorCode::internal, "sqlite: secret path"}).body,
            R"({"error":"server_error"})");
}

}  // namespace
}  // namespace lmsgw::admin
