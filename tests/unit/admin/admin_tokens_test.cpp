#include "admin/admin_tokens.h"

#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "tests/unit/admin/admin_test_support.h"

namespace lmsgw::admin {
namespace {

using testing::AdminDatabase;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AdminTokens, OperatorTokenAuthenticatesAsOperator) {
  AdminDatabase db;
  auto created = db.tokens().create(AdminRole::operator_, std::nullopt, "on-call");
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_TRUE(created->token.id.starts_with("adm_"));
  EXPECT_TRUE(created->secret.starts_with("lmsgw_adm_"));
  EXPECT_GE(created->secret.size(), 50u);

  auto principal = db.tokens().authenticate(created->secret);
  ASSERT_TRUE(principal.ok());
  ASSERT_TRUE(principal->has_value());
  EXPECT_TRUE((*principal)->is_operator());
  EXPECT_EQ((*principal)->token_id(), created->token.id);
  EXPECT_EQ((*principal)->actor(), "operator:" + created->token.id);
  EXPECT_TRUE((*principal)->may_access("springfield"));
  EXPECT_TRUE((*principal)->may_access("shelbyville"));
}

TEST(AdminTokens, DistrictTokenIsScopedToItsDistrict) {
  AdminDatabase db;
  auto created = db.tokens().create(AdminRole::district_admin, "springfield", "");
  ASSERT_TRUE(created.ok()) << created.error().detail;
  auto principal = db.tokens().authenticate(created->secret);
  ASSERT_TRUE(principal.ok() && principal->has_value());
  EXPECT_FALSE((*principal)->is_operator());
  EXPECT_EQ((*principal)->district(), "springfield");
  EXPECT_EQ((*principal)->actor(), "district-admin:" + created->token.id);
  EXPECT_TRUE((*principal)->may_access("springfield"));
  EXPECT_FALSE((*principal)->may_access("shelbyville"));
  EXPECT_FALSE((*principal)->may_access(""));
}

TEST(AdminTokens, UnknownTruncatedOrExtendedTokensAreRefused) {
  AdminDatabase db;
  const std::string secret = db.make_token(AdminRole::operator_);
  for (const std::string& presented :
       {std::string(), std::string("lmsgw_adm_nope"), secret.substr(0, secret.size() - 1),
        secret + "x", std::string(300, 'a')}) {
    auto principal = db.tokens().authenticate(presented);
    ASSERT_TRUE(principal.ok());
    EXPECT_FALSE(principal->has_value()) << presented.size();
  }
}

TEST(AdminTokens, RevokedTokenIsRefusedAtOnce) {
  AdminDatabase db;
  auto created = db.tokens().create(AdminRole::district_admin, "springfield", "x");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(db.tokens().authenticate(created->secret)->has_value());
  auto revoked = db.tokens().revoke(created->token.id);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  EXPECT_FALSE(db.tokens().authenticate(created->secret)->has_value());
  // Revoking again, or an unknown id, changes nothing.
  EXPECT_FALSE(*db.tokens().revoke(created->token.id));
  EXPECT_FALSE(*db.tokens().revoke("adm_unknown"));
}

TEST(AdminTokens, RevocationInAnotherConnectionIsSeenOnTheNextRequest) {
  AdminDatabase db;
  auto created = db.tokens().create(AdminRole::operator_, std::nullopt, "");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(db.tokens().authenticate(created->secret)->has_value());
  // As lmsgwctl would: its own connection to the same database.
  auto other_store = open_sqlite_admin_token_store(db.path());
  ASSERT_TRUE(other_store.ok());
  AdminTokens other(**other_store, db.clock());
  ASSERT_TRUE(*other.revoke(created->token.id));
  EXPECT_FALSE(db.tokens().authenticate(created->secret)->has_value());
}

TEST(AdminTokens, OnlyTheHashIsStored) {
  AdminDatabase db;
  const std::string secret = db.make_token(AdminRole::operator_);
  ASSERT_FALSE(secret.empty());
  ASSERT_TRUE(db.accounts().checkpoint().ok());
  const std::string random_part = secret.substr(std::string_view("lmsgw_adm_").size());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(file_bytes(db.path() + suffix).find(random_part), std::string::npos) << suffix;
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT token_hash FROM admin_tokens", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const crypto::Digest expected = crypto::sha256(secret);
  ASSERT_EQ(sqlite3_column_bytes(stmt, 0), 32);
  EXPECT_EQ(std::string(static_cast<const char*>(sqlite3_column_blob(stmt, 0)), 32),
            std::string(crypto::as_view(expected)));
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST(AdminTokens, ListShowsScopeLabelAndUseButNoSecret) {
  AdminDatabase db;
  auto first = db.tokens().create(AdminRole::operator_, std::nullopt, "on-call");
  db.clock().advance(std::chrono::minutes(1));
  auto second = db.tokens().create(AdminRole::district_admin, "springfield", "privacy office");
  ASSERT_TRUE(first.ok() && second.ok());
  db.clock().advance(std::chrono::minutes(1));
  ASSERT_TRUE(db.tokens().authenticate(second->secret)->has_value());

  auto listed = db.tokens().list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], first->token);
  EXPECT_EQ((*listed)[1].id, second->token.id);
  EXPECT_EQ((*listed)[1].role, AdminRole::district_admin);
  EXPECT_EQ((*listed)[1].district_id, "springfield");
  EXPECT_EQ((*listed)[1].label, "privacy office");
  EXPECT_EQ((*listed)[1].created_at, testing::kStart + std::chrono::minutes(1));
  EXPECT_EQ((*listed)[1].last_used_at, testing::kStart + std::chrono::minutes(2));
  EXPECT_FALSE((*listed)[1].revoked_at);
}

TEST(AdminTokens, LastUsedIsWrittenAtMostOncePerResolution) {
  AdminDatabase db;
  auto created = db.tokens().create(AdminRole::operator_, std::nullopt, "");
  ASSERT_TRUE(created.ok());
  const auto last_used = [&] { return (*db.tokens().list())[0].last_used_at; };
  ASSERT_TRUE(db.tokens().authenticate(created->secret)->has_value());
  EXPECT_EQ(last_used(), testing::kStart);
  db.clock().advance(std::chrono::seconds(30));
  ASSERT_TRUE(db.tokens().authenticate(created->secret)->has_value());
  EXPECT_EQ(last_used(), testing::kStart);
  db.clock().advance(std::chrono::seconds(30));
  ASSERT_TRUE(db.tokens().authenticate(created->secret)->has_value());
  EXPECT_EQ(last_used(), testing::kStart + std::chrono::minutes(1));
}

TEST(AdminTokens, CreationValidatesScopeAndLabel) {
  AdminDatabase db;
  EXPECT_FALSE(db.tokens().create(AdminRole::district_admin, std::nullopt, "").ok());
  EXPECT_FALSE(db.tokens().create(AdminRole::district_admin, "", "").ok());
  EXPECT_FALSE(db.tokens().create(AdminRole::operator_, "springfield", "").ok());
  EXPECT_FALSE(db.tokens().create(AdminRole::operator_, std::nullopt, std::string(101, 'a')).ok());
  EXPECT_FALSE(db.tokens().create(AdminRole::operator_, std::nullopt, "tab\there").ok());
  EXPECT_TRUE(db.tokens().create(AdminRole::operator_, std::nullopt, std::string(100, 'a')).ok());
  EXPECT_EQ(db.tokens().list()->size(), 1u);
}

TEST(AdminTokens, EveryTokenIsDifferent) {
  AdminDatabase db;
  auto a = db.tokens().create(AdminRole::operator_, std::nullopt, "");
  auto b = db.tokens().create(AdminRole::operator_, std::nullopt, "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->secret, b->secret);
  EXPECT_NE(a->token.id, b->token.id);
}

}  // namespace
}  // namespace lmsgw::admin
