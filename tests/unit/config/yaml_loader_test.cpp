#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/gateway_config.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::config {
namespace {

using lmsgw::testing::TempDir;
using sdk::ConfigNode;

class YamlLoaderTest : public ::testing::Test {
 protected:
  sdk::Result<ConfigNode> load(std::string_view yaml) {
    file_ = dir_.write("input.yaml", yaml);
    return load_yaml(file_);
  }

  std::string error_of(std::string_view yaml) {
    auto root = load(yaml);
    EXPECT_FALSE(root.ok());
    return root.ok() ? std::string() : root.error().detail;
  }

  TempDir dir_;
  std::string file_ = (dir_.path() / "input.yaml").string();
};

TEST_F(YamlLoaderTest, EveryNodeHasItsPathAndLine) {
  auto root = load(R"(# a comment
connections:
  clever:
    config:
      client_id: abc
plugins:
  load:
    - name: clever
      required: false
    - {name: google}
empty:
quoted: "null"
)");
  ASSERT_TRUE(root.ok()) << root.error().detail;
  EXPECT_TRUE(root->is_mapping());
  EXPECT_EQ(root->path(), "");
  EXPECT_EQ(root->location().file, file_);

  const ConfigNode* connections = root->find("connections");
  ASSERT_NE(connections, nullptr);
  EXPECT_EQ(connections->location().line, 2);
  const ConfigNode* client_id = connections->find("clever")->find("config")->find("client_id");
  ASSERT_NE(client_id, nullptr);
  EXPECT_TRUE(client_id->is_scalar());
  EXPECT_EQ(client_id->text(), "abc");
  EXPECT_EQ(client_id->path(), "connections.clever.config.client_id");
  EXPECT_EQ(client_id->location().line, 5);
  EXPECT_EQ(client_id->error("too short").detail,
            file_ + ":5: connections.clever.config.client_id: too short");

  const ConfigNode* load_list = root->find("plugins")->find("load");
  ASSERT_TRUE(load_list->is_sequence());
  ASSERT_EQ(load_list->items().size(), 2u);
  const ConfigNode& first = load_list->items()[0];
  EXPECT_EQ(first.path(), "plugins.load[0]");
  EXPECT_EQ(first.location().line, 8);
  EXPECT_EQ(first.find("required")->path(), "plugins.load[0].required");
  EXPECT_EQ(first.find("required")->location().line, 9);
  EXPECT_EQ(load_list->items()[1].find("name")->path(), "plugins.load[1].name");
  EXPECT_EQ(load_list->items()[1].find("name")->location().line, 10);

  EXPECT_TRUE(root->find("empty")->is_null());
  EXPECT_EQ(root->find("empty")->location().line, 11);
  // A quoted "null" is a string, not a null.
  EXPECT_TRUE(root->find("quoted")->is_scalar());
  EXPECT_EQ(root->find("quoted")->text(), "null");
}

TEST_F(YamlLoaderTest, EntriesKeepFileOrder) {
  auto root = load("b: 1\na: 2\nc: 3\n");
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->entries().size(), 3u);
  EXPECT_EQ(root->entries()[0].first, "b");
  EXPECT_EQ(root->entries()[1].first, "a");
  EXPECT_EQ(root->entries()[2].first, "c");
}

TEST_F(YamlLoaderTest, DuplicateKeyIsAnErrorAtTheSecondOne) {
  EXPECT_EQ(error_of("server:\n  listen: a\n  threads: 1\n  listen: b\n"),
            file_ + ":4: server.listen: duplicate key");
  EXPECT_EQ(error_of("a: {x: 1, x: 2}\n"), file_ + ":1: a.x: duplicate key");
}

TEST_F(YamlLoaderTest, NonStringKeysAreRefused) {
  EXPECT_EQ(error_of("server:\n  [a, b]: 1\n"), file_ + ":2: server: mapping keys must be strings");
  EXPECT_EQ(error_of("server:\n  {a: 1}: 1\n"), file_ + ":2: server: mapping keys must be strings");
  EXPECT_EQ(error_of("server:\n  ? \n  : 1\n"), file_ + ":3: server: mapping keys must be strings");
}

TEST_F(YamlLoaderTest, AnchorsAndAliasesAreRefused) {
  EXPECT_EQ(error_of("base: &b {x: 1}\nother: *b\n"),
            file_ + ":1: base: YAML anchors and aliases are not supported");
  EXPECT_EQ(error_of("a: 1\nb:\n  c: &x 1\n"),
            file_ + ":3: b.c: YAML anchors and aliases are not supported");
}

TEST_F(YamlLoaderTest, ExplicitTagsAreRefused) {
  EXPECT_EQ(error_of("a:\n  b: !!binary aGVsbG8=\n"),
            file_ + ":2: a.b: YAML tags are not supported");
}

TEST_F(YamlLoaderTest, OnlyOneDocumentIsAccepted) {
  EXPECT_EQ(error_of("a: 1\n---\nb: 2\n"), file_ + ":2: expected a single YAML document");
}

TEST_F(YamlLoaderTest, SyntaxErrorsCarryFileAndLine) {
  EXPECT_EQ(error_of("a: 1\nb: [1, 2\n"), file_ + ":3: end of sequence flow not found");
  EXPECT_EQ(error_of("a: 1\n b: 2\n"), file_ + ":2: illegal map value");
}

TEST_F(YamlLoaderTest, DirectoryIsNotAFile) {
  auto root = load_yaml(dir_.path().string());
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().detail, dir_.path().string() + ": is a directory, not a file");
}

TEST_F(YamlLoaderTest, EmptyFileIsANullRoot) {
  auto root = load("# nothing here\n");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->is_null());
  EXPECT_EQ(root->location().line, 1);
}

}  // namespace
}  // namespace lmsgw::config
