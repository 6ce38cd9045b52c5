#include "manifest.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace lmsgw::plugins::oneroster {
namespace {

using testing::TempFolder;

class ManifestTest : public ::testing::Test {
 protected:
  sdk::Result<Manifest> read(const std::string& manifest_text) {
    folder_.write("manifest.csv", manifest_text);
    auto files = FileSet::open(folder_.path().string());
    EXPECT_TRUE(files.ok());
    return read_manifest(**files);
  }

  TempFolder folder_;
};

TEST_F(ManifestTest, ReadsVersionAndModes) {
  folder_.write("users.csv", "x");
  folder_.write("enrollments.csv", "x");
  auto manifest = read(testing::manifest({{"users.csv", "bulk"}, {"enrollments.csv", "delta"}}));
  ASSERT_TRUE(manifest.ok()) << manifest.error().detail;
  EXPECT_EQ(manifest->oneroster_version, "1.1");
  EXPECT_EQ(manifest->mode("users.csv"), FileMode::bulk);
  EXPECT_EQ(manifest->mode("enrollments.csv"), FileMode::delta);
  EXPECT_EQ(manifest->mode("results.csv"), FileMode::absent);

  folder_.write("roles.csv", "x");
  auto v12 = read(testing::manifest(
      {{"users.csv", "bulk"}, {"enrollments.csv", "bulk"}, {"roles.csv", "bulk"}}, "1.2"));
  ASSERT_TRUE(v12.ok()) << v12.error().detail;
  EXPECT_EQ(v12->oneroster_version, "1.2");
}

TEST_F(ManifestTest, EveryProblemNamesTheKey) {
  const auto detail = [&](const std::string& text) {
    auto manifest = read(text);
    EXPECT_FALSE(manifest.ok());
    EXPECT_EQ(manifest.error().code, sdk::ErrorCode::upstream_malformed);
    return manifest.ok() ? std::string() : manifest.error().detail;
  };
  EXPECT_EQ(detail("propertyName,value\noneroster.version,1.1\n"),
            "manifest.csv: manifest.version: is required");
  EXPECT_EQ(detail("propertyName,value\nmanifest.version,2.0\noneroster.version,1.1\n"),
            "manifest.csv: manifest.version: must be 1.0");
  EXPECT_EQ(detail("propertyName,value\nmanifest.version,1.0\noneroster.version,1.0\n"),
            "manifest.csv: oneroster.version: must be 1.1 or 1.2");
  EXPECT_EQ(detail("propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
                   "file.users,full\n"),
            "manifest.csv: file.users: must be absent, bulk or delta");
  EXPECT_EQ(detail("propertyName,value\nmanifest.version,1.0\nmanifest.version,1.0\n"),
            "manifest.csv: manifest.version: given twice");
  EXPECT_EQ(detail("name,value\nmanifest.version,1.0\n"),
            "manifest.csv: the header must be propertyName,value");
  EXPECT_EQ(detail("propertyName,value\nmanifest.version,1.0,extra\n"),
            "manifest.csv: line 2: expected 2 columns");
  EXPECT_EQ(detail(testing::manifest({{"users.csv", "bulk"}})),
            "manifest.csv: file.users: is bulk but users.csv is not in the set");
  folder_.write("demographics.csv", "x");
  EXPECT_EQ(detail(testing::manifest({})),
            "manifest.csv: file.demographics: is absent but demographics.csv is in the set");
}

TEST_F(ManifestTest, ASetWithoutAManifestIsRefused) {
  auto files = FileSet::open(folder_.path().string());
  ASSERT_TRUE(files.ok());
  auto manifest = read_manifest(**files);
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.error().detail, "manifest.csv: the file set has no manifest.csv");
}

}  // namespace
}  // namespace lmsgw::plugins::oneroster
