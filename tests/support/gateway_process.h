// A real lms-gateway process for integration tests of any plugin: it writes a complete
// configuration around the connections a test gives, starts the gateway on a free loopback port
// with a SQLite file in the test's directory, and offers what tests check afterwards (rows in
// the database, metrics, everything persisted as bytes).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/http.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"

namespace lmsgw::testing {

struct GatewaySetup {
  // Trusted by the gateway's HTTP client for the fake providers; empty: the system store only.
  std::string ca_file;
  // Plugins to load by name (from the build's plugin directory).
  std::vector<std::string> plugins;
  // The `districts:` entries, e.g. "  springfield: {}\n".
  std::string districts_yaml = "  springfield: {}\n";
  // The `connections:` entries, indented by two spaces. Secret references may name files the
  // test writes into the directory (file:NAME).
  std::string connections_yaml;
  // The `sync:` entries (roster-sync connections), indented by two spaces; empty: none.
  // Their plugins must be listed in `plugins`.
  std::string sync_yaml;
  // The `retention:` entries, indented by two spaces; empty: the defaults.
  std::string retention_yaml;
  // Allowed return URLs besides the gateway's own /healthz (the default).
  std::vector<std::string> extra_return_urls;
  // The loopback port to listen on; 0 picks a free one. Tests whose fake providers must know
  // the gateway's callback URLs before it starts choose it first.
  std::uint16_t port = 0;
};

class GatewayProcess {
 public:
  // Writes the configuration into `directory` and starts the gateway; waits for /healthz.
  GatewayProcess(std::filesystem::path directory, GatewaySetup setup);
  ~GatewayProcess();

  std::string url() const;
  // Where sign-ins return by default: the gateway's own /healthz, so no other server is needed.
  std::string return_url() const;
  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path config_file() const { return directory_ / "gateway.yaml"; }

  void start();
  // Stops with `signal` and returns the exit code.
  int stop(int signal = 15);

  int count_rows(std::string_view table) const;
  // The first column of the first row of `sql` as text; nullopt for no row or NULL.
  std::optional<std::string> query(std::string_view sql) const;
  // One sample of /metrics, e.g. `lmsgw_sign_ins_total{connection="x",outcome="success"}`;
  // -1 when absent.
  double metric(std::string_view sample);
  // The database, its WAL and shared-memory files and the gateway's logs, as bytes.
  std::string persisted_bytes() const;

  // Runs lmsgwctl against this gateway's configuration (e.g. {"sync", "run", "springfield"})
  // while the gateway keeps running; its output is appended to the persisted bytes.
  struct CtlResult {
    int exit_code = -1;
    std::string output;
  };
  CtlResult lmsgwctl(const std::vector<std::string>& arguments,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120));

 private:
  std::filesystem::path directory_;
  GatewaySetup setup_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
  int ctl_runs_ = 0;
};

// A sync metric sample name, e.g. sync_records_sample("users", "created").
std::string sync_records_sample(std::string_view kind, std::string_view outcome);

// A sign-in metric sample name.
std::string sign_in_sample(std::string_view connection, std::string_view outcome);

}  // namespace lmsgw::testing
