/// @file
/// @brief GoogleMock mocks and simple fakes of the services a `PluginContext` lends, so a
/// plugin's logic can be tested without a gateway.
///
/// Typical use: a `testing::StrictMock<MockHttpClient>` scripted with the provider's answers,
/// a `FixedClock`, a `RecordingLogger` to assert that nothing sensitive was logged, and a
/// `TestContext` tying them to a config tree.
#pragma once

#include <gmock/gmock.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/http.h"

namespace lmsgw::sdk::testing {

class MockHttpClient : public HttpClient {
 public:
  MOCK_METHOD(Result<HttpResponse>, send, (const HttpRequest& request), (noexcept, override));
};

class MockLogger : public Logger {
 public:
  MOCK_METHOD(void, log,
              (LogLevel level, std::string_view message, std::initializer_list<LogField> fields),
              (noexcept, override));
};

class MockClock : public Clock {
 public:
  MOCK_METHOD(std::chrono::system_clock::time_point, now, (), (const, noexcept, override));
};

class MockSecrets : public Secrets {
 public:
  MOCK_METHOD(Result<Secret>, resolve, (const ConfigNode& node), (noexcept, override));
};

class MockTokenVerifier : public TokenVerifier {
 public:
  MOCK_METHOD(Result<VerifiedJwt>, verify, (std::string_view compact, const JwtCheck& check),
              (noexcept, override));
};

class MockCrypto : public Crypto {
 public:
  MOCK_METHOD(std::string, hmac_sha256, (std::string_view key, std::string_view data),
              (const, noexcept, override));
  MOCK_METHOD(bool, constant_time_equal, (std::string_view a, std::string_view b),
              (const, noexcept, override));
};

/// A clock that only moves when the test moves it.
class FixedClock : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point now = {}) : now_(now) {}
  std::chrono::system_clock::time_point now() const noexcept override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void set(std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mutex_);
    now_ = now;
  }
  void advance(std::chrono::system_clock::duration by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_;
};

/// Keeps every line, fields rendered as `key=value`, so a test can assert on what a plugin
/// logged (and that no canary value was among it).
class RecordingLogger : public Logger {
 public:
  void log(LogLevel, std::string_view message,
           std::initializer_list<LogField> fields) noexcept override {
    std::string line(message);
    for (const LogField& field : fields) {
      line.append(" ").append(field.key).append("=").append(field.value);
    }
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// Resolves `env:NAME` / `file:PATH` references from a map the test fills, keyed by the whole
/// reference text; anything else is refused like the gateway refuses inline secrets.
class MapSecrets : public Secrets {
 public:
  explicit MapSecrets(std::map<std::string, std::string> values = {})
      : values_(std::move(values)) {}
  Result<Secret> resolve(const ConfigNode& node) noexcept override {
    if (!node.is_scalar()) return node.error("expected a secret reference");
    auto it = values_.find(node.text());
    if (it == values_.end()) return node.error("unknown secret reference");
    return Secret(it->second);
  }

 private:
  std::map<std::string, std::string> values_;
};

/// A PluginContext over test doubles the test owns. Token verification and crypto default to
/// strict mocks that fail the test if used; give your own with use_tokens() / use_crypto().
class TestContext : public PluginContext {
 public:
  TestContext(ConfigNode config, HttpClient& http, const Clock& clock, Logger& logger,
              Secrets& secrets, std::string connection_id = "test")
      : config_(std::move(config)),
        http_(http),
        clock_(clock),
        logger_(logger),
        secrets_(secrets),
        connection_id_(std::move(connection_id)) {}

  void use_tokens(TokenVerifier& tokens) { tokens_ = &tokens; }
  void use_crypto(const Crypto& crypto) { crypto_ = &crypto; }

  std::string_view connection_id() const noexcept override { return connection_id_; }
  const ConfigNode& config() const noexcept override { return config_; }
  HttpClient& http() noexcept override { return http_; }
  const Clock& clock() const noexcept override { return clock_; }
  Logger& logger() noexcept override { return logger_; }
  Secrets& secrets() noexcept override { return secrets_; }
  TokenVerifier& tokens() noexcept override { return *tokens_; }
  const Crypto& crypto() const noexcept override { return *crypto_; }

 private:
  ConfigNode config_;
  HttpClient& http_;
  const Clock& clock_;
  Logger& logger_;
  Secrets& secrets_;
  std::string connection_id_;
  ::testing::StrictMock<MockTokenVerifier> unused_tokens_;
  ::testing::StrictMock<MockCrypto> unused_crypto_;
  TokenVerifier* tokens_ = &unused_tokens_;
  const Crypto* crypto_ = &unused_crypto_;
};

/// Builds a flat mapping ConfigNode from key/value pairs (values are scalars), for tests.
inline ConfigNode config_from(std::initializer_list<std::pair<std::string, std::string>> pairs,
                              std::string path = "connections.test.config") {
  ConfigNode::Entries entries;
  int line = 1;
  for (const auto& [key, value] : pairs) {
    entries.emplace_back(key, ConfigNode::scalar(path + "." + key, {"test.yaml", ++line}, value));
  }
  return ConfigNode::mapping(std::move(path), {"test.yaml", 1}, std::move(entries));
}

}  // namespace lmsgw::sdk::testing
