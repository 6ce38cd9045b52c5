// The replay guard and deletion requests (signals/signal_store.h), and the identity operations
// signals apply through the account store, on a real SQLite file.
#include "signals/signal_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::signals {
namespace {

const TimePoint kNow{std::chrono::seconds(1'764'000'000)};

identity::Minimized guardian(std::string_view subject) {
  identity::Minimized out;
  out.key.subject_hash = crypto::sha256(subject);
  out.account.role = identity::AccountRole::guardian;
  out.account.display_name = "Sam";
  return out;
}

class SignalStoreTest : public ::testing::Test {
 protected:
  SignalStoreTest() {
    const std::string path = (dir_.path() / "lmsgw.db").string();
    accounts_ = std::move(*store::open_sqlite_store({.path = path}));
    signals_ = std::move(*open_sqlite_signal_store({.path = path}));
  }

  lmsgw::testing::TempDir dir_;
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<SignalStore> signals_;
};

TEST_F(SignalStoreTest, ASignalIsClaimedOncePerConnectionUntilReleased) {
  const crypto::Digest id = crypto::sha256("jti-1");
  EXPECT_TRUE(*signals_->claim_signal("google", id, kNow));
  EXPECT_FALSE(*signals_->claim_signal("google", id, kNow));
  EXPECT_TRUE(*signals_->claim_signal("google-staff", id, kNow));
  ASSERT_TRUE(signals_->release_signal("google", id).ok());
  EXPECT_TRUE(*signals_->claim_signal("google", id, kNow));
}

TEST_F(SignalStoreTest, DeletionRequestsAreFoundByCodeAndBySignal) {
  const crypto::Digest signal = crypto::sha256("signature");
  const crypto::Digest code = crypto::sha256("code-1");
  EXPECT_FALSE(*signals_->deletion_status_of_signal("facebook", signal));
  ASSERT_TRUE(
      signals_->add_deletion_request(code, "facebook", signal, DeletionStatus::received, kNow)
          .ok());
  EXPECT_EQ(*signals_->deletion_status(code), DeletionStatus::received);
  ASSERT_TRUE(signals_
                  ->add_deletion_request(crypto::sha256("code-2"), "facebook", signal,
                                         DeletionStatus::received, kNow)
                  .ok());
  ASSERT_TRUE(
      signals_->set_deletion_status("facebook", signal, DeletionStatus::completed, kNow).ok());
  EXPECT_EQ(*signals_->deletion_status(code), DeletionStatus::completed);
  EXPECT_EQ(*signals_->deletion_status(crypto::sha256("code-2")), DeletionStatus::completed);
  EXPECT_EQ(*signals_->deletion_status_of_signal("facebook", signal), DeletionStatus::completed);
  EXPECT_FALSE(*signals_->deletion_status(crypto::sha256("code-3")));
  EXPECT_FALSE(*signals_->deletion_status_of_signal("facebook-families", signal));
}

TEST_F(SignalStoreTest, ForgetRemovesOnlyWhatIsOlderThanItsLimit) {
  const auto day = std::chrono::hours(24);
  ASSERT_TRUE(signals_->claim_signal("google", crypto::sha256("old"), kNow - 40 * day).ok());
  ASSERT_TRUE(signals_->claim_signal("google", crypto::sha256("new"), kNow - day).ok());
  ASSERT_TRUE(signals_
                  ->add_deletion_request(crypto::sha256("c"), "facebook", crypto::sha256("s"),
                                         DeletionStatus::no_data, kNow - 40 * day)
                  .ok());
  auto forgotten = signals_->forget(kNow - 30 * day, kNow - 180 * day);
  ASSERT_TRUE(forgotten.ok()) << forgotten.error().detail;
  EXPECT_EQ(*forgotten, 1u);
  EXPECT_TRUE(*signals_->claim_signal("google", crypto::sha256("old"), kNow));
  EXPECT_FALSE(*signals_->claim_signal("google", crypto::sha256("new"), kNow));
  EXPECT_EQ(*signals_->deletion_status(crypto::sha256("c")), DeletionStatus::no_data);
}

TEST_F(SignalStoreTest, ADisabledIdentityCannotSignInUntilEnabled) {
  auto account = accounts_->upsert_from_sign_in(guardian("fb-1"), "facebook", kNow);
  ASSERT_TRUE(account.ok()) << account.error().detail;
  const crypto::Digest key = crypto::sha256("fb-1");
  EXPECT_EQ(**accounts_->find_identity(key), (store::IdentityLink{account->id, "facebook", false}));

  EXPECT_TRUE(*accounts_->set_identity_disabled(key, true, kNow));
  EXPECT_TRUE((*accounts_->find_identity(key))->disabled);
  auto refused = accounts_->upsert_from_sign_in(guardian("fb-1"), "facebook", kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::not_permitted);

  EXPECT_TRUE(*accounts_->set_identity_disabled(key, false, kNow));
  auto again = accounts_->upsert_from_sign_in(guardian("fb-1"), "facebook", kNow);
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(again->id, account->id);
  EXPECT_FALSE(*accounts_->set_identity_disabled(crypto::sha256("nobody"), true, kNow));
}

TEST_F(SignalStoreTest, AnUnlinkedIdentitySignsInToANewAccount) {
  auto account = accounts_->upsert_from_sign_in(guardian("fb-2"), "facebook", kNow);
  ASSERT_TRUE(account.ok()) << account.error().detail;
  const crypto::Digest key = crypto::sha256("fb-2");
  EXPECT_TRUE(*accounts_->unlink_identity(key));
  EXPECT_FALSE(*accounts_->find_identity(key));
  EXPECT_FALSE(*accounts_->unlink_identity(key));
  EXPECT_TRUE(*accounts_->find_account(account->id));
  auto fresh = accounts_->upsert_from_sign_in(guardian("fb-2"), "facebook", kNow);
  ASSERT_TRUE(fresh.ok()) << fresh.error().detail;
  EXPECT_NE(fresh->id, account->id);
}

}  // namespace
}  // namespace lmsgw::signals
