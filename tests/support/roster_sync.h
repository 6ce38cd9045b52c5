// What the roster sync integration tests share: the fake Clever as a process (Clever sync reads
// its data API; OneRoster tests sign rostered students in through it), the Clever settings a
// connection names it by, and reading the latest sync run out of the gateway's database.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {

struct FakeCleverSetup {
  std::string binary;  // tests/fakes/clever
  std::string fixture_json;
  std::string client_id;
  std::string client_secret;
  std::uint16_t port = 0;
  std::uint16_t gateway_port = 0;  // its redirect URI points back at the gateway
};

// Starts the fake Clever over TLS with `pki`'s server certificate, writing the fixture and the
// client secret (owner-only, as the gateway requires of a secret file) into `dir`.
inline void start_fake_clever(const std::filesystem::path& dir, const TestPki& pki,
                              const FakeCleverSetup& setup, std::unique_ptr<ChildProcess>& out) {
  write_file(dir / "fixture.json", setup.fixture_json);
  write_file(dir / "client-secret", setup.client_secret);
  std::filesystem::permissions(dir / "client-secret", std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_write);
  std::vector<std::string> args = {
      "--fixture",
      (dir / "fixture.json").string(),
      "--cert",
      pki.server_certificate_file,
      "--key",
      pki.server_key_file,
      "--port",
      std::to_string(setup.port),
      "--client-id",
      setup.client_id,
      "--client-secret-file",
      (dir / "client-secret").string(),
      "--redirect-uri",
      "http://127.0.0.1:" + std::to_string(setup.gateway_port) + "/callback/clever",
      "--ready-file",
      (dir / "clever-ready").string()};
  out = std::make_unique<ChildProcess>(setup.binary, std::move(args), dir / "fake-clever.log");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir / "clever-ready"); }))
      << out->output();
}

inline std::string fake_clever_url(std::uint16_t port) {
  return "https://127.0.0.1:" + std::to_string(port);
}

// A connection's `config:` entries naming the fake Clever (six spaces deep, as under
// `connections: <name>: config:` or `sync: <name>: config:`); the secret is the file
// start_fake_clever() wrote.
inline std::string fake_clever_settings_yaml(std::uint16_t port, std::string_view client_id) {
  const std::string clever = fake_clever_url(port);
  return "      client_id: " + std::string(client_id) +
         "\n      client_secret: file:client-secret\n"
         "      authorize_url: " +
         clever +
         "/oauth/authorize\n"
         "      token_url: " +
         clever +
         "/oauth/tokens\n"
         "      api_base_url: " +
         clever + "\n";
}

inline GatewayProcess::CtlResult sync_run(GatewayProcess& gateway, std::string_view district,
                                          bool full) {
  std::vector<std::string> args = {"sync", "run", std::string(district)};
  if (full) args.emplace_back("--full");
  return gateway.lmsgwctl(args);
}

// A count of the latest run, e.g. ("users", "created"); 0 when not recorded.
inline long latest_run_count(GatewayProcess& gateway, std::string_view kind,
                             std::string_view outcome) {
  auto value = gateway.query(
      "SELECT count FROM sync_run_counts WHERE run_id = (SELECT max(id) FROM sync_runs) "
      "AND kind = '" +
      std::string(kind) + "' AND outcome = '" + std::string(outcome) + "'");
  return value ? std::stol(*value) : 0;
}

inline std::string latest_run_column(GatewayProcess& gateway, std::string_view column) {
  return gateway.query("SELECT " + std::string(column) + " FROM sync_runs ORDER BY id DESC LIMIT 1")
      .value_or("");
}

}  // namespace lmsgw::testing
