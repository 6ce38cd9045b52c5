#include "tests/support/gateway_process.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <sstream>
#include <stdexcept>

namespace lmsgw::testing {
namespace {

constexpr std::string_view kPepper = "test-pepper-0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kIntrospectionSecret = "test-introspection-secret";

void write_private(const std::filesystem::path& path, std::string_view content) {
  write_file(path, content);
  ::chmod(path.c_str(), 0600);
}

}  // namespace

std::string sign_in_sample(std::string_view connection, std::string_view outcome) {
  return "lmsgw_sign_ins_total{connection=\"" + std::string(connection) + "\",outcome=\"" +
         std::string(outcome) + "\"}";
}

GatewayProcess::GatewayProcess(std::filesystem::path directory, GatewaySetup setup)
    : directory_(std::move(directory)),
      setup_(std::move(setup)),
      port_(setup_.port != 0 ? setup_.port : free_port()) {
  write_private(directory_ / "pepper", kPepper);
  write_private(directory_ / "introspection-secret", kIntrospectionSecret);
  start();
}

GatewayProcess::~GatewayProcess() = default;

std::string GatewayProcess::url() const { return "http://127.0.0.1:" + std::to_string(port_); }
std::string GatewayProcess::return_url() const { return url() + "/healthz"; }

void GatewayProcess::start() {
  std::ostringstream yaml;
  yaml << "server:\n  listen: 127.0.0.1:" << port_ << "\n  public_url: " << url()
       << "\n  threads: 2\n"
       << "logging:\n  level: debug\n  file: gateway.log\n"
       << "store:\n  sqlite:\n    path: lmsgw.db\n"
       << "secrets:\n  pepper: file:pepper\n";
  if (!setup_.ca_file.empty()) {
    yaml << "http_client:\n  ca_file: " << setup_.ca_file << "\n  use_system_trust_store: false\n";
  }
  yaml << "session:\n  cookie_secure: false\n  return_urls: [" << return_url();
  for (const std::string& extra : setup_.extra_return_urls) yaml << ", " << extra;
  yaml << "]\n  default_return_url: " << return_url() << "\n"
       << "tokens:\n  audience: test-platform\n  keys_directory: keys\n"
       << "  introspection_clients:\n    test-backend: file:introspection-secret\n"
       << "plugins:\n  directories: [" << LMSGW_PLUGIN_DIR << "]\n  load:\n";
  for (const std::string& plugin : setup_.plugins) yaml << "    - name: " << plugin << "\n";
  yaml << "districts:\n" << setup_.districts_yaml << "connections:\n" << setup_.connections_yaml;
  if (!setup_.sync_yaml.empty()) yaml << "sync:\n" << setup_.sync_yaml;
  if (!setup_.retention_yaml.empty()) yaml << "retention:\n" << setup_.retention_yaml;
  write_file(config_file(), yaml.str());

  process_ = std::make_unique<ChildProcess>(
      LMSGW_GATEWAY_BIN, std::vector<std::string>{"--config", config_file().string()},
      directory_ / "gateway.stderr");
  http::ClientOptions options;
  options.allow_plain_http_to_loopback = true;
  auto probe = std::move(*http::Client::create(options));
  sdk::HttpRequest health;
  health.url = url() + "/healthz";
  if (!eventually([&] {
        auto answer = probe->send(health);
        return answer.ok() && answer->status == 200;
      })) {
    throw std::runtime_error("gateway did not start: " + process_->output() +
                             read_file(directory_ / "gateway.log"));
  }
}

int GatewayProcess::stop(int signal) {
  const int code = process_->stop(signal);
  process_.reset();
  return code;
}

int GatewayProcess::count_rows(std::string_view table) const {
  sqlite3* db = nullptr;
  const std::string path = (directory_ / "lmsgw.db").string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open the gateway database");
  }
  sqlite3_stmt* statement = nullptr;
  const std::string sql = "SELECT COUNT(*) FROM " + std::string(table);
  int count = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    count = sqlite3_column_int(statement, 0);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

double GatewayProcess::metric(std::string_view sample) {
  http::ClientOptions options;
  options.allow_plain_http_to_loopback = true;
  auto client = std::move(*http::Client::create(options));
  sdk::HttpRequest request;
  request.url = url() + "/metrics";
  auto response = client->send(request);
  if (!response) return -1;
  const std::string prefix = std::string(sample) + " ";
  std::istringstream lines(response->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
  }
  return -1;
}

std::optional<std::string> GatewayProcess::query(std::string_view sql) const {
  sqlite3* db = nullptr;
  const std::string path = (directory_ / "lmsgw.db").string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open the gateway database");
  }
  sqlite3_busy_timeout(db, 5'000);
  sqlite3_stmt* statement = nullptr;
  std::optional<std::string> out;
  if (sqlite3_prepare_v2(db, std::string(sql).c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("query failed: " + message);
  }
  if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_type(statement, 0) != SQLITE_NULL) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

GatewayProcess::CtlResult GatewayProcess::lmsgwctl(const std::vector<std::string>& arguments,
                                                   std::chrono::milliseconds timeout) {
  std::vector<std::string> args{"--config", config_file().string()};
  args.insert(args.end(), arguments.begin(), arguments.end());
  const std::filesystem::path output =
      directory_ / ("lmsgwctl-" + std::to_string(++ctl_runs_) + ".out");
  ChildProcess ctl(LMSGW_CTL_BIN, args, output);
  CtlResult result;
  const std::optional<int> code = ctl.wait_for_exit(timeout);
  result.exit_code = code ? *code : ctl.stop(9);
  result.output = read_file(output);
  return result;
}

std::string sync_records_sample(std::string_view kind, std::string_view outcome) {
  return "lmsgw_sync_records_" + std::string(kind) + "_" + std::string(outcome);
}

std::string GatewayProcess::persisted_bytes() const {
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    bytes += read_file((directory_ / "lmsgw.db").string() + suffix);
  }
  bytes += read_file(directory_ / "gateway.log");
  bytes += read_file(directory_ / "gateway.stderr");
  for (int i = 1; i <= ctl_runs_; ++i) {
    bytes += read_file(directory_ / ("lmsgwctl-" + std::to_string(i) + ".out"));
  }
  return bytes;
}

}  // namespace lmsgw::testing
