// What the admin unit tests share: a migrated SQLite database in a scratch directory with the
// admin token store over it, and requests driven through a real http::Router.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "admin/admin_tokens.h"
#include "http/message.h"
#include "http/router.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "store/account_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::admin::testing {

inline constexpr auto kStart = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2};

class AdminDatabase {
 public:
  AdminDatabase() : path_((dir_.path() / "gateway.db").string()), clock_(kStart) {
    auto opened = store::open_sqlite_store({.path = path_});
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().detail);
    accounts_ = std::move(*opened);
    auto tokens = open_sqlite_admin_token_store(path_);
    EXPECT_TRUE(tokens.ok()) << (tokens ? "" : tokens.error().detail);
    token_store_ = std::move(*tokens);
    tokens_ = std::make_unique<AdminTokens>(*token_store_, clock_);
  }

  const std::string& path() const noexcept { return path_; }
  sdk::testing::FixedClock& clock() noexcept { return clock_; }
  store::AccountStore& accounts() noexcept { return *accounts_; }
  AdminTokens& tokens() noexcept { return *tokens_; }

  // A new token's secret; fails the test if it cannot be made.
  std::string make_token(AdminRole role, std::optional<std::string> district = std::nullopt) {
    auto created = tokens_->create(role, std::move(district), "test");
    EXPECT_TRUE(created.ok()) << (created ? "" : created.error().detail);
    return created ? created->secret : std::string();
  }

 private:
  lmsgw::testing::TempDir dir_;
  std::string path_;
  sdk::testing::FixedClock clock_;
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<AdminTokenStore> token_store_;
  std::unique_ptr<AdminTokens> tokens_;
};

// A request as the server would hand it to the router; owns the strings the views point at.
struct TestRequest {
  http::Method method = http::Method::get;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Matches it against `router` and runs the handler as the server would; 404 when nothing
  // matched (the server's own answer).
  http::Response send(const http::Router& router) const {
    http::Request request;
    request.method = method;
    request.path = path;
    request.target = path;
    request.query = query;
    request.body = body;
    for (const auto& [name, value] : headers) request.headers.push_back({name, value});
    const http::RouteMatch match = router.match(request);
    if (match.handler == nullptr) {
      return http::Response::text(match.method_mismatch ? 405 : 404, "");
    }
    return (*match.handler)(request);
  }
};

inline TestRequest anonymous(http::Method method, std::string path) {
  TestRequest request;
  request.method = method;
  request.path = std::move(path);
  return request;
}

inline TestRequest with_authorization(http::Method method, std::string path,
                                      std::string authorization) {
  TestRequest request = anonymous(method, std::move(path));
  request.headers.emplace_back("Authorization", std::move(authorization));
  return request;
}

inline TestRequest bearer(http::Method method, std::string path, std::string_view token) {
  return with_authorization(method, std::move(path), "Bearer " + std::string(token));
}

}  // namespace lmsgw::admin::testing
