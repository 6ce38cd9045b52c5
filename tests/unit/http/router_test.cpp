#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace lmsgw::http {
namespace {

Handler answer(std::string body) {
  return [body = std::move(body)](const Request&) { return Response::text(200, body); };
}

Request request(Method method, std::string_view path) {
  Request r;
  r.method = method;
  r.path = path;
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add({Method::get}, "/", answer("root"));
    router_.add({Method::get}, "/healthz", answer("health"));
    router_.add({Method::get}, "/login/{connection}", answer("login"), Dispatch::worker);
    router_.add({Method::get, Method::post}, "/callback/{connection}", answer("callback"));
    router_.add({Method::post}, "/webhooks/{connection}", answer("webhook"));
    router_.add({Method::delete_}, "/admin/v1/districts/{district}/sections/{section}",
                answer("delete"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoutesWithIndexes) {
  Request r = request(Method::get, "/healthz");
  const RouteMatch match = router_.match(r);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.route_index, 2U);
  EXPECT_EQ(router_.route_names()[match.route_index], "/healthz");
  EXPECT_EQ(router_.route_names()[Router::kUnmatched], "unmatched");
  EXPECT_EQ((*match.handler)(r).body, "health");
  EXPECT_EQ(match.dispatch, Dispatch::inline_);
}

TEST_F(RouterTest, RootPathMatchesOnlyRoot) {
  Request root = request(Method::get, "/");
  EXPECT_EQ(router_.match(root).route_index, 1U);
  Request empty = request(Method::get, "");
  EXPECT_EQ(router_.match(empty).handler, nullptr);
}

TEST_F(RouterTest, CapturesParameters) {
  Request r = request(Method::delete_, "/admin/v1/districts/d-1/sections/s-9");
  const RouteMatch match = router_.match(r);
  ASSERT_NE(match.handler, nullptr);
  ASSERT_EQ(r.route_param_count, 2U);
  EXPECT_EQ(r.route_param("district"), "d-1");
  EXPECT_EQ(r.route_param("section"), "s-9");
}

TEST_F(RouterTest, ReportsDispatchOfTheRoute) {
  Request r = request(Method::get, "/login/clever");
  const RouteMatch match = router_.match(r);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.dispatch, Dispatch::worker);
  EXPECT_EQ(r.route_param("connection"), "clever");
}

TEST_F(RouterTest, ParameterNeedsOneNonEmptySegment) {
  for (const char* path : {"/login/", "/login", "/login/a/b", "/login//"}) {
    Request r = request(Method::get, path);
    const RouteMatch match = router_.match(r);
    EXPECT_EQ(match.handler, nullptr) << path;
    EXPECT_FALSE(match.method_mismatch) << path;
    EXPECT_EQ(match.route_index, Router::kUnmatched) << path;
  }
}

TEST_F(RouterTest, TrailingSlashIsADifferentPath) {
  Request r = request(Method::get, "/healthz/");
  EXPECT_EQ(router_.match(r).handler, nullptr);
}

TEST(RouterTrailingSlashTest, APatternWithATrailingSlashServesOnlyThatPath) {
  Router router;
  router.add({Method::get}, "/a", answer("bare"));
  router.add({Method::get}, "/a/", answer("slash"));
  router.add({Method::get}, "/a/{rest...}", answer("rest"));
  const auto served_by = [&](std::string_view path) {
    Request r = request(Method::get, path);
    const RouteMatch match = router.match(r);
    return match.handler ? (*match.handler)(r).body : std::string("none");
  };
  EXPECT_EQ(served_by("/a"), "bare");
  EXPECT_EQ(served_by("/a/"), "slash");
  EXPECT_EQ(served_by("/a/b"), "rest");
  EXPECT_EQ(served_by("/a/b/"), "rest");
  EXPECT_EQ(served_by("/a//"), "rest");
}

TEST_F(RouterTest, WrongMethodIsAMismatchNotAMiss) {
  Request r = request(Method::put, "/callback/google");
  const RouteMatch match = router_.match(r);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.method_mismatch);
  EXPECT_EQ(match.route_index, Router::kUnmatched);
  EXPECT_EQ(router_.allowed_methods("/callback/google"), "GET, HEAD, POST");
  EXPECT_EQ(router_.allowed_methods("/webhooks/x"), "POST");
  EXPECT_EQ(router_.allowed_methods("/nothing"), "");
}

TEST_F(RouterTest, HeadIsServedByGetRoutes) {
  Request head = request(Method::head, "/healthz");
  EXPECT_NE(router_.match(head).handler, nullptr);
  Request head_post_only = request(Method::head, "/webhooks/x");
  EXPECT_TRUE(router_.match(head_post_only).method_mismatch);
}

TEST_F(RouterTest, MethodOtherNeverMatches) {
  Request r = request(Method::other, "/healthz");
  EXPECT_TRUE(router_.match(r).method_mismatch);
}

TEST(RouterPatternTest, RejectsMalformedPatterns) {
  Router router;
  const auto bad = [&](const std::string& pattern) {
    EXPECT_THROW(router.add({Method::get}, pattern, answer("x")), std::invalid_argument) << pattern;
  };
  bad("");
  bad("no-slash");
  bad("/a//b");
  bad("/a//");
  bad("/{}");
  bad("/{a");
  bad("/a}");
  bad("/x{a}");
  bad("/{a}/{b}/{c}/{d}/{e}");
  EXPECT_THROW(router.add({}, "/ok", answer("x")), std::invalid_argument);
  EXPECT_THROW(router.add({Method::get}, "/ok", Handler{}), std::invalid_argument);
  EXPECT_EQ(router.route_names().size(), 1U);
  EXPECT_NO_THROW(router.add({Method::get}, "/{a}/{b}/{c}/{d}", answer("x")));
}

TEST(RouterPatternTest, FirstMatchingRouteWins) {
  Router router;
  router.add({Method::get}, "/items/new", answer("literal"));
  router.add({Method::get}, "/items/{id}", answer("param"));
  Request literal = request(Method::get, "/items/new");
  Request param = request(Method::get, "/items/42");
  EXPECT_EQ((*router.match(literal).handler)(literal).body, "literal");
  EXPECT_EQ((*router.match(param).handler)(param).body, "param");
  EXPECT_EQ(param.route_param("id"), "42");
}

TEST(RouterRestParameterTest, TakesTheRemainingSegments) {
  Router router;
  router.add({Method::get}, "/auth/check/{rest...}", [](const Request& r) {
    return Response::text(200, std::string(r.route_param("rest")));
  });
  Request deep = request(Method::get, "/auth/check/lessons/3/quiz");
  ASSERT_NE(router.match(deep).handler, nullptr);
  EXPECT_EQ(deep.route_param("rest"), "lessons/3/quiz");
  Request one = request(Method::get, "/auth/check/x");
  ASSERT_NE(router.match(one).handler, nullptr);
  EXPECT_EQ(one.route_param("rest"), "x");
  Request none = request(Method::get, "/auth/check");
  EXPECT_EQ(router.match(none).handler, nullptr);
  Request empty = request(Method::get, "/auth/check/");
  EXPECT_EQ(router.match(empty).handler, nullptr);
  EXPECT_THROW(
      router.add({Method::get}, "/a/{rest...}/b", [](const Request&) { return Response{}; }),
      std::invalid_argument);
}

}  // namespace
}  // namespace lmsgw::http
