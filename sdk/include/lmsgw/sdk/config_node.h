/// @file
/// @brief `ConfigNode`: a plugin's configuration subtree, with the file and line of every value.
///
/// The core parses the YAML file and hands each plugin its subtree as a `ConfigNode`. The
/// typed getters return errors in the form `file:line: key.path: reason`, so a plugin that
/// validates its config with them reports problems exactly like the core does. A plugin must
/// reject keys it does not know (`check_keys`): a misspelt option must stop start-up, not be
/// silently ignored.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lmsgw/sdk/result.h"

namespace lmsgw::sdk {

class ConfigNode {
 public:
  enum class Kind : std::uint8_t { null, scalar, sequence, mapping };

  struct Location {
    std::string file;
    int line = 0;
  };

  using Entries = std::vector<std::pair<std::string, ConfigNode>>;

  ConfigNode() : data_(std::make_shared<Data>()) {}

  /// Builders, used by the core's YAML loader and by tests.
  static ConfigNode null(std::string path, Location where) {
    return ConfigNode(Kind::null, std::move(path), std::move(where), {}, {}, {});
  }
  static ConfigNode scalar(std::string path, Location where, std::string value) {
    return ConfigNode(Kind::scalar, std::move(path), std::move(where), std::move(value), {}, {});
  }
  static ConfigNode sequence(std::string path, Location where, std::vector<ConfigNode> items) {
    return ConfigNode(Kind::sequence, std::move(path), std::move(where), {}, std::move(items), {});
  }
  static ConfigNode mapping(std::string path, Location where, Entries entries) {
    return ConfigNode(Kind::mapping, std::move(path), std::move(where), {}, {}, std::move(entries));
  }

  Kind kind() const noexcept { return data_->kind; }
  bool is_null() const noexcept { return data_->kind == Kind::null; }
  bool is_scalar() const noexcept { return data_->kind == Kind::scalar; }
  bool is_sequence() const noexcept { return data_->kind == Kind::sequence; }
  bool is_mapping() const noexcept { return data_->kind == Kind::mapping; }

  /// Dotted path from the file's root, e.g. `connections.clever.config.client_id`.
  const std::string& path() const noexcept { return data_->path; }
  const Location& location() const noexcept { return data_->where; }

  /// The raw text of a scalar (empty for other kinds).
  const std::string& text() const noexcept { return data_->text; }
  const std::vector<ConfigNode>& items() const noexcept { return data_->items; }
  const Entries& entries() const noexcept { return data_->entries; }

  /// The child under `key` of a mapping, or nullptr.
  const ConfigNode* find(std::string_view key) const noexcept {
    for (const auto& [name, child] : data_->entries) {
      if (name == key) return &child;
    }
    return nullptr;
  }

  /// An error pointing at this node: `file:line: path: reason`.
  Error error(std::string_view reason) const {
    return Error{ErrorCode::config_invalid, data_->where.file + ":" +
                                                std::to_string(data_->where.line) + ": " +
                                                data_->path + ": " + std::string(reason)};
  }

  /// An error about a key of this mapping that is absent.
  Error missing(std::string_view key) const { return error_for_child(key, "is required"); }

  /// Fails on the first key of this mapping that is not in `allowed`.
  Result<void> check_keys(std::initializer_list<std::string_view> allowed) const {
    if (!is_mapping()) return error("expected a mapping");
    for (const auto& [name, child] : data_->entries) {
      bool known = false;
      for (auto candidate : allowed) known = known || candidate == name;
      if (!known) return child.error("unknown key");
    }
    return {};
  }

  /// A required string.
  Result<std::string> get_string(std::string_view key) const {
    const ConfigNode* child = find(key);
    if (child == nullptr || child->is_null()) return missing(key);
    if (!child->is_scalar()) return child->error("expected a string");
    return child->text();
  }

  /// An optional string: nullopt when the key is absent.
  Result<std::optional<std::string>> get_optional_string(std::string_view key) const {
    const ConfigNode* child = find(key);
    if (child == nullptr || child->is_null()) return std::optional<std::string>{};
    if (!child->is_scalar()) return child->error("expected a string");
    return std::optional<std::string>{child->text()};
  }

  Result<bool> get_bool(std::string_view key, bool fallback) const {
    const ConfigNode* child = find(key);
    if (child == nullptr || child->is_null()) return fallback;
    if (child->is_scalar()) {
      if (child->text() == "true") return true;
      if (child->text() == "false") return false;
    }
    return child->error("expected true or false");
  }

  /// An integer in [min, max]; `fallback` when absent.
  Result<std::int64_t> get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) const {
    const ConfigNode* child = find(key);
    if (child == nullptr || child->is_null()) return fallback;
    std::int64_t value = 0;
    if (child->is_scalar()) {
      const std::string& text = child->text();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) {
        if (value < min || value > max) {
          return child->error("must be between " + std::to_string(min) + " and " +
                              std::to_string(max));
        }
        return value;
      }
    }
    return child->error("expected an integer");
  }

  /// A list of strings; empty when absent.
  Result<std::vector<std::string>> get_string_list(std::string_view key) const {
    std::vector<std::string> values;
    const ConfigNode* child = find(key);
    if (child == nullptr || child->is_null()) return values;
    if (!child->is_sequence()) return child->error("expected a list of strings");
    for (const ConfigNode& item : child->items()) {
      if (!item.is_scalar()) return item.error("expected a string");
      values.push_back(item.text());
    }
    return values;
  }

 private:
  struct Data {
    Kind kind = Kind::null;
    std::string path;
    Location where;
    std::string text;
    std::vector<ConfigNode> items;
    Entries entries;
  };

  ConfigNode(Kind kind, std::string path, Location where, std::string text,
             std::vector<ConfigNode> items, Entries entries)
      : data_(std::make_shared<Data>(Data{kind, std::move(path), std::move(where), std::move(text),
                                          std::move(items), std::move(entries)})) {}

  Error error_for_child(std::string_view key, std::string_view reason) const {
    std::string child_path =
        data_->path.empty() ? std::string(key) : data_->path + "." + std::string(key);
    return Error{ErrorCode::config_invalid, data_->where.file + ":" +
                                                std::to_string(data_->where.line) + ": " +
                                                child_path + ": " + std::string(reason)};
  }

  // Shared and immutable after construction, so copies are cheap and thread-safe to read.
  std::shared_ptr<const Data> data_;
};

}  // namespace lmsgw::sdk
