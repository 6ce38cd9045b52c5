// lmsgwctl: the operator's command line.
//
//   lmsgwctl --config FILE check     validate config, secrets, plugins and plugin configs
//   lmsgwctl --config FILE plugins   list the plugins that loaded and those refused, and why
//   lmsgwctl --config FILE migrate   bring the database schema up to date
//   lmsgwctl --config FILE sync run DISTRICT [--full] | sync runs [--district D] [--limit N]
//   lmsgwctl --config FILE district revoke|reinstate|status ID, audit export --district ID
// Command groups beyond the first few live in ctl_<group>.cpp (app/ctl_commands.h).
#include <sys/stat.h>

#include <charconv>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "app/ctl_commands.h"
#include "app/gateway.h"
#include "common/time.h"
#include "config/gateway_config.h"
#include "jose/algorithm.h"
#include "plugins/plugin_host.h"
#include "session/access_tokens.h"
#include "session/key_directory.h"
#include "store/roster_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "sync/run_report.h"

namespace {

constexpr std::string_view kUsage =
    "usage: lmsgwctl --config FILE COMMAND\n"
    "commands:\n"
    "  check     validate the configuration, secrets, plugins and each connection's config\n"
    "  plugins   list loaded plugins and refused ones with the reason\n"
    "  migrate   apply pending database migrations\n"
    "  keys list | keys rotate\n"
    "            list the token signing keys, or make a new signer (the old one stays\n"
    "            published until its tokens have expired; running gateways pick it up)\n"
    "  revoke account ID\n"
    "            refuse every session and token of the account; running gateways apply it\n"
    "            within a second\n"
    "  district revoke ID | district reinstate ID | district status ID\n"
    "            withdraw the district's access (no new sign-in, every session and token\n"
    "            refused, roster sync stopped; its directive then governs its data), give\n"
    "            it back, or show it\n"
    "  audit export --district ID | --platform [--since DATE]\n"
    "            the district's audit events (--platform: those of no district, e.g. the\n"
    "            platform's inactivity policy's disposals) as JSON lines (DATE: YYYY-MM-DD or\n"
    "            YYYY-MM-DDTHH:MM:SSZ); the export is itself recorded\n"
    "  admin-token create --district ID | --operator [--label TEXT]\n"
    "            make an admin API token for one district or for the operator; prints it\n"
    "            once (only its hash is kept)\n"
    "  admin-token list | admin-token revoke ID\n"
    "            list tokens (id, scope, created, last used, revoked, label; never the\n"
    "            token), or revoke one: refused from its next request on\n"
    "  directive set DISTRICT FILE | directive show DISTRICT | directive history DISTRICT\n"
    "            set the district's retention directive (JSON or YAML; docs/directives.md),\n"
    "            show the one in force, or list its versions\n"
    "  legal-hold place DISTRICT ACCOUNT --reason TEXT | legal-hold release DISTRICT ACCOUNT\n"
    "  legal-hold list DISTRICT [--all]\n"
    "            suspend every deletion of an account, lift it, or list the holds\n"
    "  retention run [--district D]\n"
    "            delete now what the directives say must be gone (for cron; without\n"
    "            --district also the accounts of no district the platform's inactivity\n"
    "            policy covers); resumes a job a killed process left and prints each\n"
    "            completed job's certificate id\n"
    "  certificate get ID [--out FILE] | certificate verify FILE [--jwks URL|FILE]\n"
    "            print or save a disposal certificate (a compact JWS), or verify one against\n"
    "            the gateway's keys (default) or a JWKS\n"
    "  sync run DISTRICT [--full]\n"
    "            run every sync connection of the district now, in this process, and print\n"
    "            each run record; --full asks the plugins for a full read (and starts an\n"
    "            unfinished read over); a running gateway ends removed users' sessions\n"
    "            within a second\n"
    "  sync runs [--district D] [--limit N]\n"
    "            list recent sync runs, newest first, with their counts (default 20)\n";

int list_plugins(const lmsgw::config::GatewayConfig& config) {
  const auto host = lmsgw::plugins::PluginHost::load(config.plugins);
  for (const auto& plugin : host.loaded()) {
    std::string capabilities;
    if (plugin.capabilities.sign_in) capabilities += "sign-in";
    if (plugin.capabilities.roster_sync) {
      capabilities += capabilities.empty() ? "roster-sync" : ",roster-sync";
    }
    std::cout << "loaded   " << plugin.name << " " << plugin.version << " [" << capabilities << "] "
              << plugin.file << "\n";
  }
  for (const auto& refused : host.refused()) {
    std::cout << "refused  " << refused.name << (refused.required ? " (required) " : " (optional) ")
              << refused.message() << "\n";
  }
  return host.required_refused() ? lmsgw::app::kExitPluginRefused : lmsgw::app::kExitOk;
}

int migrate(const lmsgw::config::GatewayConfig& config) {
  auto store = lmsgw::store::open_sqlite_store({.path = config.store.sqlite_path, .migrate = true});
  if (!store) {
    std::cerr << "lmsgwctl: " << store.error().detail << "\n";
    return lmsgw::app::kExitRuntimeFailure;
  }
  auto version = (*store)->schema_version();
  if (!version) {
    std::cerr << "lmsgwctl: " << version.error().detail << "\n";
    return lmsgw::app::kExitRuntimeFailure;
  }
  std::cout << "database " << config.store.sqlite_path << " is at schema version " << *version
            << "\n";
  return lmsgw::app::kExitOk;
}

int keys(const lmsgw::config::GatewayConfig& config, const std::vector<std::string>& args) {
  if (args.size() != 1 || (args[0] != "list" && args[0] != "rotate")) {
    std::cerr << kUsage;
    return lmsgw::app::kExitConfigInvalid;
  }
  if (!config.tokens) {
    std::cerr << "lmsgwctl: the configuration has no tokens section\n";
    return lmsgw::app::kExitConfigInvalid;
  }
  const auto now = std::chrono::system_clock::now();
  lmsgw::session::KeyDirectory directory(config.tokens->keys_directory);
  if (args[0] == "rotate") {
    auto made = directory.rotate(lmsgw::session::signing_algorithm(*config.tokens), now,
                                 config.tokens->lifetime);
    if (!made) {
      std::cerr << "lmsgwctl: " << made.error().detail << "\n";
      return lmsgw::app::kExitRuntimeFailure;
    }
    std::cout << "new signing key " << made->kid << " (" << lmsgw::jose::to_string(made->algorithm)
              << ")\n";
  }
  auto records = directory.read();
  if (!records) {
    std::cerr << "lmsgwctl: " << records.error().detail << "\n";
    return lmsgw::app::kExitRuntimeFailure;
  }
  const lmsgw::session::KeyRecord* signer = lmsgw::session::signer_of(*records);
  for (const auto& record : *records) {
    const char* status = &record == signer ? "signing"
                         : lmsgw::session::published_at(record, now, config.tokens->lifetime)
                             ? "retired, published"
                             : "retired, expired";
    std::cout << record.kid << "  " << lmsgw::jose::to_string(record.algorithm) << "  created "
              << lmsgw::time::to_unix_seconds(record.created) << "  " << status << "\n";
  }
  return lmsgw::app::kExitOk;
}

int sync_runs(const lmsgw::config::GatewayConfig& config, const std::vector<std::string>& args) {
  std::optional<std::string> district;
  std::size_t limit = 20;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--district" && i + 1 < args.size()) {
      district = args[++i];
    } else if (args[i] == "--limit" && i + 1 < args.size()) {
      const std::string& text = args[++i];
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > 10'000) {
        std::cerr << "lmsgwctl: --limit must be a number from 1 to 10000\n";
        return lmsgw::app::kExitConfigInvalid;
      }
    } else {
      std::cerr << kUsage;
      return lmsgw::app::kExitConfigInvalid;
    }
  }
  auto roster = lmsgw::store::open_sqlite_roster_store({.path = config.store.sqlite_path});
  if (!roster) {
    std::cerr << "lmsgwctl: " << roster.error().detail << "\n";
    return lmsgw::app::kExitRuntimeFailure;
  }
  auto runs = (*roster)->recent_runs(district, limit);
  if (!runs) {
    std::cerr << "lmsgwctl: " << runs.error().detail << "\n";
    return lmsgw::app::kExitRuntimeFailure;
  }
  std::cout << "run  connection  districts  started  outcome  mode  counts\n";
  for (const auto& run : *runs) std::cout << lmsgw::sync::summarize_run(run) << "\n";
  return lmsgw::app::kExitOk;
}

int sync(lmsgw::config::GatewayConfig config, const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "runs") return sync_runs(config, args);
  if (args.size() < 2 || args.size() > 3 || args[0] != "run" || args[1].starts_with("-") ||
      (args.size() == 3 && args[2] != "--full")) {
    std::cerr << kUsage;
    return lmsgw::app::kExitConfigInvalid;
  }
  if (!config.districts.contains(args[1])) {
    std::cerr << "lmsgwctl: no district '" << args[1] << "' in the configuration\n";
    return lmsgw::app::kExitConfigInvalid;
  }
  return lmsgw::app::Gateway::run_sync(std::move(config), args[1], args.size() == 3, std::cout,
                                       std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  // Everything this process creates (database, WAL, log file) holds account data: owner only.
  ::umask(077);
  std::string config_path;
  std::string command;
  std::vector<std::string> command_args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (command.empty() && argv[i][0] != '-') {
      command = argv[i];
    } else if (!command.empty()) {
      command_args.emplace_back(argv[i]);
    } else {
      std::cerr << kUsage;
      return lmsgw::app::kExitConfigInvalid;
    }
  }
  if (config_path.empty() || command.empty()) {
    std::cerr << kUsage;
    return lmsgw::app::kExitConfigInvalid;
  }
  auto config = lmsgw::config::load_gateway_config(config_path);
  if (!config) {
    std::cerr << "lmsgwctl: configuration error: " << config.error().detail << "\n";
    return lmsgw::app::kExitConfigInvalid;
  }
  spdlog::set_pattern("lmsgwctl: %l: %v");

  if (command == "revoke") return lmsgw::app::ctl::revoke(*config, command_args);
  if (command == "district") return lmsgw::app::ctl::district(*config, command_args);
  if (command == "audit") return lmsgw::app::ctl::audit(*config, command_args);
  if (command == "admin-token") return lmsgw::app::ctl::admin_token(*config, command_args);
  if (command == "directive") return lmsgw::app::ctl::directive(*config, command_args);
  if (command == "legal-hold") return lmsgw::app::ctl::legal_hold(*config, command_args);
  if (command == "retention") return lmsgw::app::ctl::retention(*config, command_args);
  if (command == "certificate") return lmsgw::app::ctl::certificate(*config, command_args);
  if (command == "keys") return keys(*config, command_args);
  if (command == "sync") return sync(std::move(*config), command_args);
  if (!command_args.empty()) {
    std::cerr << kUsage;
    return lmsgw::app::kExitConfigInvalid;
  }
  if (command == "plugins") return list_plugins(*config);
  if (command == "migrate") return migrate(*config);
  if (command == "check") {
    if (auto failure = lmsgw::app::Gateway::validate(std::move(*config))) {
      std::cerr << "lmsgwctl: " << failure->message << "\n";
      return failure->exit_code;
    }
    std::cout << "configuration OK\n";
    return lmsgw::app::kExitOk;
  }
  std::cerr << kUsage;
  return lmsgw::app::kExitConfigInvalid;
}
