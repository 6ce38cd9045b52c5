#include "identity/minimizer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/crypto.h"

namespace lmsgw::identity {
namespace {

using sdk::CivilDate;
using sdk::ExternalIdentity;
using sdk::Role;

constexpr std::string_view kPepper = "0123456789abcdef0123456789abcdef";
constexpr CivilDate kToday{2024, 9, 3};

Minimizer make_minimizer(std::string_view pepper = kPepper) {
  auto created = Minimizer::create(sdk::Secret(std::string(pepper)));
  EXPECT_TRUE(created.ok());
  return std::move(created).value();
}

ExternalIdentity person(Role role, std::string given = "Alexandra") {
  ExternalIdentity identity;
  identity.subject = "subject-1";
  identity.role = role;
  identity.given_name = std::move(given);
  return identity;
}

std::string date_text(const CivilDate& date) {
  return std::to_string(date.year) + "-" + std::to_string(date.month) + "-" +
         std::to_string(date.day);
}

// Every field of the result, written out one by one: what a store or a log could ever see.
std::string serialize(const Minimized& minimized) {
  const MinimalAccount& account = minimized.account;
  std::string out;
  out += "role=" + std::string(to_string(account.role)) + "\n";
  out += "district=" + account.district_id.value_or("<none>") + "\n";
  out += "display_name=" + account.display_name + "\n";
  if (account.age) {
    out += "age=" + std::to_string(account.age->years) + "@" + date_text(account.age->computed_on) +
           "\n";
  }
  if (account.email_hash) {
    out += "email_hash=" + std::string(crypto::as_view(*account.email_hash)) + "\n";
  }
  out += "email=" + account.email.value_or("<none>") + "\n";
  out += "key=" + std::string(crypto::as_view(minimized.key.subject_hash)) + "\n";
  return out;
}

// An identity with a canary in every field a provider can fill.
ExternalIdentity canary_identity(Role role) {
  ExternalIdentity identity;
  identity.subject = "Zzcanarysubject-8841";
  identity.role = role;
  identity.provider_district = "Zzcanaryproviderdistrict";
  identity.given_name = "Alexandra";
  identity.middle_name = "Zzcanarymiddle";
  identity.family_name = "Zzcanaryfamily";
  identity.full_name = "Alexandra Zzcanarymiddle Zzcanaryfamily";
  identity.email = "zzcanary.person@example.org";
  identity.email_verified = true;
  identity.birthdate = CivilDate{2011, 4, 17};
  identity.provider_sections = {"Zzcanarysection-1", "Zzcanarysection-2"};
  identity.extra = {{"gender", "Zzcanarygender"},
                    {"race", "Zzcanaryrace"},
                    {"sis_id", "Zzcanarysis"},
                    {"Zzcanarykey", "value"},
                    {"picture", "https://zzcanary.example.org/photo.jpg"}};
  return identity;
}

// ---------------------------------------------------------------------------------------
// Allowlist

TEST(MinimizerAllowlist, StudentKeepsOnlyFirstNameAndDerivedFields) {
  const Minimizer minimizer = make_minimizer();
  auto result = minimizer.minimize(canary_identity(Role::student), "clever",
                                   std::string("district-1"), NamePolicy{}, kToday);
  ASSERT_TRUE(result.ok()) << result.error().detail;

  const std::string text = serialize(*result);
  EXPECT_NE(text.find("display_name=Alexandra\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("anary"), std::string::npos) << text;
  EXPECT_EQ(text.find("2011"), std::string::npos) << text;
  EXPECT_EQ(text.find("example.org"), std::string::npos) << text;

  const MinimalAccount& account = result->account;
  EXPECT_EQ(account.role, AccountRole::student);
  EXPECT_EQ(account.district_id, "district-1");
  EXPECT_EQ(account.display_name, "Alexandra");
  EXPECT_EQ(account.age, (AgeRecord{13, kToday}));
  EXPECT_TRUE(account.email_hash.has_value());
  EXPECT_FALSE(account.email.has_value());
}

TEST(MinimizerAllowlist, TeacherKeepsOnlyAllowedFields) {
  const Minimizer minimizer = make_minimizer();
  auto result = minimizer.minimize(canary_identity(Role::teacher), "clever", std::nullopt,
                                   NamePolicy{}, kToday);
  ASSERT_TRUE(result.ok()) << result.error().detail;

  std::string text = serialize(*result);
  const std::string email_line = "email=zzcanary.person@example.org\n";
  const auto email_at = text.find(email_line);
  ASSERT_NE(email_at, std::string::npos) << text;
  text.erase(email_at, email_line.size());
  EXPECT_EQ(text.find("anary"), std::string::npos) << text;
  EXPECT_EQ(text.find("2011"), std::string::npos) << text;
  EXPECT_FALSE(result->account.age.has_value());
}

// ---------------------------------------------------------------------------------------
// Roles

struct RoleCase {
  Role provider_role;
  AccountRole account_role;
};

class MinimizerRoleMapping : public ::testing::TestWithParam<RoleCase> {};

TEST_P(MinimizerRoleMapping, MapsProviderRole) {
  const Minimizer minimizer = make_minimizer();
  auto result =
      minimizer.minimize(person(GetParam().provider_role), "clever", {}, NamePolicy{}, kToday);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->account.role, GetParam().account_role);
}

INSTANTIATE_TEST_SUITE_P(AllRoles, MinimizerRoleMapping,
                         ::testing::Values(RoleCase{Role::student, AccountRole::student},
                                           RoleCase{Role::teacher, AccountRole::teacher},
                                           RoleCase{Role::staff, AccountRole::teacher},
                                           RoleCase{Role::district_admin,
                                                    AccountRole::district_admin}));

TEST(MinimizerRoles, GuardianIsAnAdultWithAFirstNameAndOnlyAnEmailHash) {
  ExternalIdentity identity = person(Role::guardian);
  identity.email = "parent@example.org";
  identity.email_verified = true;
  identity.birthdate = sdk::CivilDate{2016, 5, 1};
  const Minimizer minimizer = make_minimizer();
  const NamePolicy full_names{StudentNameStyle::first_name, StaffNameStyle::full_name};
  auto result = minimizer.minimize(identity, "facebook", {}, full_names, kToday);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->account.role, AccountRole::guardian);
  EXPECT_EQ(result->account.display_name, display_first_name(identity));
  EXPECT_FALSE(result->account.age.has_value());
  EXPECT_FALSE(result->account.email.has_value());
  EXPECT_EQ(result->account.email_hash, minimizer.email_hash("parent@example.org"));
}

TEST(MinimizerRoles, UnknownRoleMayNotHoldAnAccount) {
  auto result = make_minimizer().minimize(person(Role::unknown), "clever", {}, {}, kToday);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::not_permitted);
}

TEST(MinimizerRoles, EmptySubjectIsInvalid) {
  ExternalIdentity identity = person(Role::student);
  identity.subject.clear();
  auto result = make_minimizer().minimize(identity, "clever", {}, {}, kToday);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::invalid_request);
}

TEST(MinimizerRoles, EmptyNamespaceIsInvalid) {
  auto result = make_minimizer().minimize(person(Role::student), "", {}, {}, kToday);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::invalid_request);
}

// ---------------------------------------------------------------------------------------
// District

TEST(MinimizerDistrict, DistrictIsTheArgumentNotTheProviderDistrict) {
  ExternalIdentity identity = person(Role::student);
  identity.provider_district = "provider-district-9";
  const Minimizer minimizer = make_minimizer();

  auto with = minimizer.minimize(identity, "clever", std::string("d-7"), {}, kToday);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->account.district_id, "d-7");

  auto without = minimizer.minimize(identity, "clever", std::nullopt, {}, kToday);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->account.district_id.has_value());
}

// ---------------------------------------------------------------------------------------
// Email

TEST(MinimizerEmail, StudentEmailIsNeverPlaintext) {
  ExternalIdentity identity = person(Role::student);
  identity.email = "kid@example.org";
  identity.email_verified = true;
  const Minimizer minimizer = make_minimizer();
  auto result = minimizer.minimize(identity, "google", {}, {}, kToday);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->account.email.has_value());
  ASSERT_TRUE(result->account.email_hash.has_value());
  EXPECT_EQ(*result->account.email_hash, minimizer.email_hash("kid@example.org"));
}

TEST(MinimizerEmail, TeacherEmailIsPlaintextAndHashed) {
  ExternalIdentity identity = person(Role::teacher);
  identity.email = "  Ms.Lee@Example.org ";
  identity.email_verified = true;
  const Minimizer minimizer = make_minimizer();
  auto result = minimizer.minimize(identity, "google", {}, {}, kToday);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->account.email, "Ms.Lee@Example.org");
  EXPECT_EQ(result->account.email_hash, minimizer.email_hash("ms.lee@example.org"));
}

TEST(MinimizerEmail, AnUnverifiedEmailNeverBecomesAHash) {
  const Minimizer minimizer = make_minimizer();
  ExternalIdentity student = person(Role::student);
  student.email = "kid@example.org";
  student.email_verified = false;
  auto kid = minimizer.minimize(student, "google", {}, {}, kToday);
  ASSERT_TRUE(kid.ok());
  EXPECT_FALSE(kid->account.email_hash.has_value());
  EXPECT_FALSE(kid->account.email.has_value());

  ExternalIdentity teacher = person(Role::teacher);
  teacher.email = "ms.lee@example.org";
  teacher.email_verified = false;
  auto staff = minimizer.minimize(teacher, "google", {}, {}, kToday);
  ASSERT_TRUE(staff.ok());
  EXPECT_FALSE(staff->account.email_hash.has_value());
  EXPECT_EQ(staff->account.email, "ms.lee@example.org");
}

TEST(MinimizerEmail, NoEmailMeansNoHash) {
  const Minimizer minimizer = make_minimizer();
  ExternalIdentity identity = person(Role::teacher);
  auto absent = minimizer.minimize(identity, "google", {}, {}, kToday);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->account.email_hash.has_value());
  EXPECT_FALSE(absent->account.email.has_value());

  identity.email = " \t ";
  auto blank = minimizer.minimize(identity, "google", {}, {}, kToday);
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank->account.email_hash.has_value());
  EXPECT_FALSE(blank->account.email.has_value());
}

TEST(MinimizerEmail, HashIsKeyedByThePepper) {
  const Minimizer a = make_minimizer();
  const Minimizer b = make_minimizer("another pepper, also 32 bytes long!");
  EXPECT_NE(a.email_hash("kid@example.org"), b.email_hash("kid@example.org"));
  // Not a plain (unkeyed) hash either.
  EXPECT_NE(a.email_hash("kid@example.org"), crypto::sha256("kid@example.org"));
}

TEST(MinimizerEmail, HashIsOfTheNormalizedAddressWithADomainTag) {
  const Minimizer minimizer = make_minimizer();
  const crypto::Digest expected =
      crypto::hmac_sha256(kPepper, std::string("lmsgw.email.v1") + '\0' + "kid.lee@example.org");
  EXPECT_EQ(minimizer.email_hash("kid.lee@example.org"), expected);
  EXPECT_EQ(minimizer.email_hash("  Kid.LEE@Example.ORG\r\n"), expected);
  EXPECT_NE(minimizer.email_hash("kid.lee2@example.org"), expected);
}

// ---------------------------------------------------------------------------------------
// Identity key

TEST(MinimizerIdentityKey, IsKeyedAndNamespaced) {
  const Minimizer minimizer = make_minimizer();
  const IdentityKey clever = minimizer.identity_key("clever", "12345");
  EXPECT_EQ(clever.subject_hash,
            crypto::hmac_sha256(
                kPepper, std::string("lmsgw.subject.v1") + '\0' + "clever" + '\0' + "12345"));
  EXPECT_EQ(minimizer.identity_key("clever", "12345"), clever);
  EXPECT_NE(minimizer.identity_key("google", "12345"), clever);
  EXPECT_NE(minimizer.identity_key("clever", "12346"), clever);
  EXPECT_NE(make_minimizer("another pepper, also 32 bytes long!").identity_key("clever", "12345"),
            clever);
}

TEST(MinimizerIdentityKey, MinimizeUsesTheNamespacedSubjectOnly) {
  const Minimizer minimizer = make_minimizer();
  ExternalIdentity identity = person(Role::student);
  auto first = minimizer.minimize(identity, "clever", {}, {}, kToday);
  identity.given_name = "Other";
  identity.email = "x@example.org";
  auto second = minimizer.minimize(identity, "clever", {}, {}, kToday);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->key, second->key);
  EXPECT_EQ(first->key, minimizer.identity_key("clever", "subject-1"));
}

// ---------------------------------------------------------------------------------------
// Display name

std::string student_name(ExternalIdentity identity, NamePolicy policy = {}) {
  identity.role = Role::student;
  auto result = make_minimizer().minimize(identity, "clever", {}, policy, kToday);
  EXPECT_TRUE(result.ok());
  return result.ok() ? result->account.display_name : "<error>";
}

std::string staff_name(ExternalIdentity identity, NamePolicy policy = {}) {
  identity.role = Role::teacher;
  auto result = make_minimizer().minimize(identity, "clever", {}, policy, kToday);
  EXPECT_TRUE(result.ok());
  return result.ok() ? result->account.display_name : "<error>";
}

ExternalIdentity named(std::optional<std::string> given, std::optional<std::string> family,
                       std::optional<std::string> full) {
  ExternalIdentity identity;
  identity.subject = "s";
  identity.given_name = std::move(given);
  identity.family_name = std::move(family);
  identity.full_name = std::move(full);
  return identity;
}

TEST(MinimizerDisplayName, StudentGetsGivenName) {
  EXPECT_EQ(student_name(named("Maya", "Lee", "Maya Q. Lee")), "Maya");
}

TEST(MinimizerDisplayName, StudentFallsBackToFirstWordOfFullName) {
  EXPECT_EQ(student_name(named(std::nullopt, "Lee", "Maya Q. Lee")), "Maya");
  EXPECT_EQ(student_name(named("  ", std::nullopt, "  Maya Lee")), "Maya");
  // A tab or a non-breaking space separates words too: stripping it must not glue names.
  EXPECT_EQ(student_name(named(std::nullopt, std::nullopt, "Maya\tLee")), "Maya");
  EXPECT_EQ(student_name(named(std::nullopt, std::nullopt, "Maya\u00A0Lee")), "Maya");
  EXPECT_EQ(student_name(named(std::nullopt, std::nullopt, "Maya\r\nLee")), "Maya");
}

TEST(MinimizerDisplayName, EmptyWhenNoNameAtAll) {
  EXPECT_EQ(student_name(named(std::nullopt, "Lee", std::nullopt)), "");
  EXPECT_EQ(student_name(named(std::nullopt, "Lee", std::nullopt),
                         {StudentNameStyle::initial, StaffNameStyle::first_name}),
            "");
}

TEST(MinimizerDisplayName, StudentInitialOnly) {
  EXPECT_EQ(student_name(named("Maya", "Lee", std::nullopt),
                         {StudentNameStyle::initial, StaffNameStyle::first_name}),
            "M.");
}

TEST(MinimizerDisplayName, StudentInitialIsAWholeUtf8CodePoint) {
  const NamePolicy initial{StudentNameStyle::initial, StaffNameStyle::first_name};
  EXPECT_EQ(student_name(named("\u00C9mile", std::nullopt, std::nullopt), initial), "\u00C9.");
  EXPECT_EQ(student_name(named("\u5C0F\u660E", std::nullopt, std::nullopt), initial), "\u5C0F.");
  EXPECT_EQ(student_name(named("\U0001F600x", std::nullopt, std::nullopt), initial), "\U0001F600.");
}

TEST(MinimizerDisplayName, ControlCharactersAreStripped) {
  EXPECT_EQ(student_name(named("Ma\r\nya", std::nullopt, std::nullopt)), "Maya");
  EXPECT_EQ(student_name(named("\tMa\x7Fya\x01", std::nullopt, std::nullopt)), "Maya");
  EXPECT_EQ(student_name(named("Ma\u0085ya\u009F", std::nullopt, std::nullopt)), "Maya");
  EXPECT_EQ(student_name(named(std::string("Ma\0ya", 5), std::nullopt, std::nullopt)), "Maya");
  const std::string header_injection =
      student_name(named("Maya\r\nSet-Cookie: x=1", std::nullopt, std::nullopt));
  EXPECT_EQ(header_injection.find_first_of("\r\n"), std::string::npos);
}

TEST(MinimizerDisplayName, InvalidUtf8IsDropped) {
  EXPECT_EQ(student_name(named("Ma\xFFya\xC3", std::nullopt, std::nullopt)), "Maya");
  // An overlong encoding of '\n' must not survive as anything.
  EXPECT_EQ(student_name(named("Ma\xC0\x8Aya", std::nullopt, std::nullopt)), "Maya");
}

TEST(MinimizerDisplayName, IsTrimmed) {
  EXPECT_EQ(student_name(named("  Maya Ann \u3000", std::nullopt, std::nullopt)), "Maya Ann");
}

TEST(MinimizerDisplayName, CappedAt64BytesOnAUtf8Boundary) {
  const std::string ascii(70, 'a');
  EXPECT_EQ(student_name(named(ascii, std::nullopt, std::nullopt)), std::string(64, 'a'));

  // 63 ASCII bytes then a 2-byte code point: the code point would end at byte 65.
  const std::string split = std::string(63, 'b') + "\u00E9" + "cc";
  EXPECT_EQ(student_name(named(split, std::nullopt, std::nullopt)), std::string(63, 'b'));

  const std::string fits = std::string(62, 'b') + "\u00E9" + "cc";
  EXPECT_EQ(student_name(named(fits, std::nullopt, std::nullopt)), std::string(62, 'b') + "\u00E9");
}

TEST(MinimizerDisplayName, StaffGetFirstNameByDefault) {
  EXPECT_EQ(staff_name(named("Dana", "Okafor", "Dana Okafor")), "Dana");
  EXPECT_EQ(staff_name(named(std::nullopt, std::nullopt, "Dana Okafor")), "Dana");
}

TEST(MinimizerDisplayName, StaffFullNameWhenTheDistrictEnablesIt) {
  const NamePolicy full{StudentNameStyle::first_name, StaffNameStyle::full_name};
  EXPECT_EQ(staff_name(named("Dana", "Okafor", "ignored"), full), "Dana Okafor");
  EXPECT_EQ(staff_name(named(std::nullopt, std::nullopt, " Dana  Okafor "), full), "Dana  Okafor");
  EXPECT_EQ(staff_name(named("Dana", std::nullopt, std::nullopt), full), "Dana");
  ExternalIdentity with_middle = named("Dana", "Okafor", std::nullopt);
  with_middle.middle_name = "Zzmiddle";
  EXPECT_EQ(staff_name(with_middle, full), "Dana Okafor");
}

TEST(MinimizerDisplayName, StaffFullNameOptionNeverAppliesToStudents) {
  const NamePolicy full{StudentNameStyle::first_name, StaffNameStyle::full_name};
  EXPECT_EQ(student_name(named("Maya", "Lee", "Maya Lee"), full), "Maya");
}

// ---------------------------------------------------------------------------------------
// Age

std::optional<AgeRecord> student_age(std::optional<CivilDate> birthdate, CivilDate today) {
  ExternalIdentity identity = person(Role::student);
  identity.birthdate = birthdate;
  auto result = make_minimizer().minimize(identity, "clever", {}, {}, today);
  EXPECT_TRUE(result.ok());
  return result.ok() ? result->account.age : std::nullopt;
}

TEST(MinimizerAge, BirthdayToday) {
  EXPECT_EQ(student_age(CivilDate{2014, 9, 3}, {2024, 9, 3}), (AgeRecord{10, {2024, 9, 3}}));
}

TEST(MinimizerAge, DayBeforeBirthday) {
  EXPECT_EQ(student_age(CivilDate{2014, 9, 4}, {2024, 9, 3}), (AgeRecord{9, {2024, 9, 3}}));
  EXPECT_EQ(student_age(CivilDate{2014, 10, 1}, {2024, 9, 30}), (AgeRecord{9, {2024, 9, 30}}));
}

TEST(MinimizerAge, BornToday) {
  EXPECT_EQ(student_age(CivilDate{2024, 9, 3}, {2024, 9, 3}), (AgeRecord{0, {2024, 9, 3}}));
}

TEST(MinimizerAge, LeapDayBirthdayInCommonYearCountsOnFirstOfMarch) {
  EXPECT_EQ(age_in_years({2012, 2, 29}, {2023, 2, 28}), 10);
  EXPECT_EQ(age_in_years({2012, 2, 29}, {2023, 3, 1}), 11);
}

TEST(MinimizerAge, LeapDayBirthdayInLeapYearCountsOnTheDay) {
  EXPECT_EQ(age_in_years({2012, 2, 29}, {2024, 2, 28}), 11);
  EXPECT_EQ(age_in_years({2012, 2, 29}, {2024, 2, 29}), 12);
}

TEST(MinimizerAge, FutureBirthdateIsUnknown) {
  EXPECT_EQ(student_age(CivilDate{2024, 9, 4}, {2024, 9, 3}), std::nullopt);
  EXPECT_EQ(student_age(CivilDate{2030, 1, 1}, {2024, 9, 3}), std::nullopt);
}

TEST(MinimizerAge, MissingBirthdateIsUnknown) {
  EXPECT_EQ(student_age(std::nullopt, {2024, 9, 3}), std::nullopt);
}

TEST(MinimizerAge, InvalidBirthdateIsUnknown) {
  EXPECT_EQ(age_in_years({2012, 2, 30}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({2011, 2, 29}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({2012, 13, 1}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({2012, 0, 1}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({2012, 4, 31}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({2012, 4, 0}, kToday), std::nullopt);
  EXPECT_EQ(age_in_years({0, 0, 0}, kToday), std::nullopt);
  EXPECT_EQ(student_age(CivilDate{2012, 2, 30}, kToday), std::nullopt);
}

TEST(MinimizerAge, ImplausiblyOldIsUnknown) {
  EXPECT_EQ(age_in_years({1894, 9, 3}, {2024, 9, 3}), 130);
  EXPECT_EQ(age_in_years({1893, 9, 3}, {2024, 9, 3}), std::nullopt);
  EXPECT_EQ(student_age(CivilDate{1800, 1, 1}, kToday), std::nullopt);
}

TEST(MinimizerAge, StaffHaveNoAge) {
  ExternalIdentity identity = person(Role::teacher);
  identity.birthdate = CivilDate{1980, 1, 1};
  auto result = make_minimizer().minimize(identity, "clever", {}, {}, kToday);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->account.age.has_value());
}

// ---------------------------------------------------------------------------------------
// Pepper

TEST(MinimizerPepper, ShorterThan32BytesIsRefused) {
  auto short_pepper = Minimizer::create(sdk::Secret(std::string(31, 'k')));
  ASSERT_FALSE(short_pepper.ok());
  EXPECT_EQ(short_pepper.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(short_pepper.error().detail.find(std::string(31, 'k')), std::string::npos);

  EXPECT_FALSE(Minimizer::create(sdk::Secret()).ok());
  EXPECT_TRUE(Minimizer::create(sdk::Secret(std::string(32, 'k'))).ok());
}

}  // namespace
}  // namespace lmsgw::identity
