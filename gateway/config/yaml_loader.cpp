// load_yaml: yaml-cpp's event parser turned into a ConfigNode tree.
//
// The event interface (rather than YAML::Node) is used because it reports every node with its
// mark and exposes mapping keys one by one, which is what duplicate-key detection and exact
// error lines need; YAML::Node silently keeps the first of two equal keys.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "config/gateway_config.h"

namespace lmsgw::config {
namespace {

using sdk::ConfigNode;

// Thrown inside the builder only, and caught in load_yaml: the event handler's callbacks
// cannot return errors.
struct LoadError {
  sdk::Error error;
};

class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::string file) : file_(std::move(file)) {}

  std::optional<ConfigNode> take_root() { return std::move(root_); }

  // YAML::EventHandler
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0) fail(mark, "", "expected a single YAML document");
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    check_anchor(mark, anchor);
    Slot slot = open_slot(mark);
    finish(ConfigNode::null(std::move(slot.path), slot.where));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(mark, current_path(), "YAML anchors and aliases are not supported");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    if (expecting_key()) {
      accept_key(mark, value);
      return;
    }
    Slot slot = open_slot(mark);
    finish(ConfigNode::scalar(std::move(slot.path), slot.where, value));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    Slot slot = open_slot(mark);
    stack_.push_back(Frame{false, std::move(slot.path), slot.where, {}, {}, {}, {}});
  }

  void OnSequenceEnd() override { close_frame(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_anchor(mark, anchor);
    check_tag(mark, tag);
    Slot slot = open_slot(mark);
    stack_.push_back(Frame{true, std::move(slot.path), slot.where, {}, {}, {}, {}});
  }

  void OnMapEnd() override { close_frame(); }

 private:
  struct Frame {
    bool is_mapping = false;
    std::string path;
    ConfigNode::Location where;
    std::vector<ConfigNode> items;
    ConfigNode::Entries entries;
    // A mapping between a key and its value.
    std::optional<std::string> key;
    ConfigNode::Location key_where;
  };

  struct Slot {
    std::string path;
    ConfigNode::Location where;
  };

  ConfigNode::Location at(const YAML::Mark& mark) const {
    return ConfigNode::Location{file_, mark.line + 1};
  }

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& reason) const {
    std::string message = file_ + ":" + std::to_string(mark.line + 1) + ": ";
    if (!path.empty()) message += path + ": ";
    throw LoadError{sdk::Error{sdk::ErrorCode::config_invalid, message + reason}};
  }

  std::string current_path() const {
    if (stack_.empty()) return {};
    const Frame& top = stack_.back();
    if (top.is_mapping && top.key) return join(top.path, *top.key);
    return top.path;
  }

  static std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) const {
    if (anchor != YAML::NullAnchor) {
      fail(mark, current_path(), "YAML anchors and aliases are not supported");
    }
  }

  // "?" marks an untagged plain scalar, "!" an untagged quoted one; an explicit tag would
  // change a value's meaning in ways this configuration never needs.
  void check_tag(const YAML::Mark& mark, const std::string& tag) const {
    if (!tag.empty() && tag != "?" && tag != "!") {
      fail(mark, current_path(), "YAML tags are not supported");
    }
  }

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().is_mapping && !stack_.back().key;
  }

  void accept_key(const YAML::Mark& mark, const std::string& key) {
    Frame& top = stack_.back();
    for (const auto& entry : top.entries) {
      if (entry.first == key) fail(mark, join(top.path, key), "duplicate key");
    }
    top.key = key;
    top.key_where = at(mark);
  }

  // Where the node that starts now goes, and its path. A mapping value is located at its key,
  // so that an error about `server:` points at the line that says `server:`.
  Slot open_slot(const YAML::Mark& mark) {
    if (stack_.empty()) return Slot{"", at(mark)};
    Frame& top = stack_.back();
    if (top.is_mapping) {
      if (!top.key) fail(mark, top.path, "mapping keys must be strings");
      return Slot{join(top.path, *top.key), top.key_where};
    }
    return Slot{top.path + "[" + std::to_string(top.items.size()) + "]", at(mark)};
  }

  void finish(ConfigNode node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& top = stack_.back();
    if (top.is_mapping) {
      top.entries.emplace_back(std::move(*top.key), std::move(node));
      top.key.reset();
    } else {
      top.items.push_back(std::move(node));
    }
  }

  void close_frame() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.is_mapping) {
      finish(ConfigNode::mapping(std::move(frame.path), frame.where, std::move(frame.entries)));
    } else {
      finish(ConfigNode::sequence(std::move(frame.path), frame.where, std::move(frame.items)));
    }
  }

  std::string file_;
  int documents_ = 0;
  std::vector<Frame> stack_;
  std::optional<ConfigNode> root_;
};

}  // namespace

sdk::Result<sdk::ConfigNode> load_yaml(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return sdk::Error{sdk::ErrorCode::config_invalid, path + ": is a directory, not a file"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return sdk::Error{sdk::ErrorCode::config_invalid,
                      path + ": cannot open the file (" + std::strerror(errno) + ")"};
  }
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(path);
    while (parser.HandleNextDocument(builder)) {
    }
    if (std::optional<ConfigNode> root = builder.take_root()) return std::move(*root);
    return ConfigNode::null("", ConfigNode::Location{path, 1});
  } catch (const LoadError& e) {
    return e.error;
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    return sdk::Error{sdk::ErrorCode::config_invalid,
                      path + ":" + std::to_string(line) + ": " + e.msg};
  } catch (const std::exception& e) {
    return sdk::Error{sdk::ErrorCode::config_invalid,
                      path + ": cannot read the file (" + std::string(e.what()) + ")"};
  }
}

}  // namespace lmsgw::config
