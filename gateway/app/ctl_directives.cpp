// lmsgwctl directive set|show|history | legal-hold place|release|list | retention run |
// certificate get|verify (docs/directives.md)
#include <array>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "app/ctl_commands.h"
#include "app/gateway.h"
#include "common/time.h"
#include "directives/certificate.h"
#include "directives/directive_service.h"
#include "directives/retention_engine.h"
#include "http/client.h"
#include "session/access_tokens.h"
#include "session/key_directory.h"
#include "store/directive_store.h"

namespace lmsgw::app::ctl {

namespace {

const time::SystemClock kClock;

// Larger files are refused unread: a directive is at most 16 KiB, a certificate a few hundred
// bytes, a JWKS a few kilobytes.
constexpr std::size_t kMaxFileBytes = 64 * 1024;

sdk::Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return sdk::Error{sdk::ErrorCode::invalid_request, "cannot read " + path};
  std::string text;
  std::array<char, 4096> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, path + " is larger than 64 KiB"};
    }
  }
  return text;
}

// YAML scalars become JSON numbers when they are integers, null for ~/null, else strings; the
// directive's own validation then judges the result.
sdk::Result<boost::json::value> yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return boost::json::value(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() != "!" && !text.empty() &&
          text.find_first_not_of("-0123456789") == std::string::npos && text.size() < 19) {
        return boost::json::value(std::stoll(text));
      }
      return boost::json::value(text);
    }
    case YAML::NodeType::Sequence: {
      boost::json::array out;
      for (const auto& item : node) {
        auto value = yaml_to_json(item);
        if (!value) return value.error();
        out.push_back(std::move(*value));
      }
      return boost::json::value(std::move(out));
    }
    case YAML::NodeType::Map: {
      boost::json::object out;
      for (const auto& item : node) {
        auto value = yaml_to_json(item.second);
        if (!value) return value.error();
        out[item.first.as<std::string>()] = std::move(*value);
      }
      return boost::json::value(std::move(out));
    }
  }
  return boost::json::value(nullptr);
}

// A directive file: JSON as it is, YAML converted to the same JSON.
sdk::Result<std::string> directive_document(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  const auto first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{') return text;
  try {
    auto json = yaml_to_json(YAML::Load(*text));
    if (!json) return json.error();
    return boost::json::serialize(*json);
  } catch (const std::exception& e) {
    return sdk::Error{sdk::ErrorCode::invalid_request,
                      path + ": neither JSON nor YAML: " + std::string(e.what())};
  }
}

int usage_directive() {
  return refuse("usage: directive set DISTRICT FILE | directive show DISTRICT | "
                "directive history DISTRICT [--limit N]");
}

void print_version(const store::DirectiveVersion& version) {
  std::cout << "version " << version.version << " set " << time::to_rfc3339_utc(version.set_at)
            << " by " << version.set_by << "\n  " << version.document << "\n";
}

sdk::Result<std::unique_ptr<store::DirectiveStore>> open_directives(
    const config::GatewayConfig& config) {
  return store::open_sqlite_directive_store(config.store.sqlite_path);
}

// What directive and legal-hold commands work with, for one configured district.
struct DistrictSession {
  std::unique_ptr<StoreSession> stores;
  std::unique_ptr<store::DirectiveStore> directives;
  std::unique_ptr<directives::DirectiveService> service;
};

// nullopt after printing why (the exit code in `exit_code`).
std::optional<DistrictSession> open_district(const config::GatewayConfig& config,
                                             const std::string& district_id, int& exit_code) {
  if (!config.districts.contains(district_id)) {
    exit_code = refuse("no district '" + district_id + "' in the configuration");
    return std::nullopt;
  }
  DistrictSession out;
  auto stores = open_store_session(config);
  if (!stores) {
    exit_code = fail(stores.error());
    return std::nullopt;
  }
  out.stores = std::move(*stores);
  auto store = open_directives(config);
  if (!store) {
    exit_code = fail(store.error());
    return std::nullopt;
  }
  out.directives = std::move(*store);
  out.service = std::make_unique<directives::DirectiveService>(*out.directives,
                                                               *out.stores->audit, kClock);
  return out;
}

// A refusal for what the user gave, a failure for what went wrong inside.
int refuse_or_fail(const sdk::Error& error) {
  return error.code == sdk::ErrorCode::internal ? fail(error) : refuse(error.detail);
}

directives::RetentionDefaults retention_defaults(const config::GatewayConfig& config) {
  return directives::retention_settings(config.retention).defaults;
}

}  // namespace

int directive(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  if (args.size() < 2) return usage_directive();
  const std::string& district_id = args[1];
  int exit_code = kExitOk;
  auto opened = open_district(config, district_id, exit_code);
  if (!opened) return exit_code;
  directives::DirectiveService& service = *opened->service;
  if (args[0] == "set" && args.size() == 3) {
    auto document = directive_document(args[2]);
    if (!document) return refuse(document.error().detail);
    auto written = service.set(district_id, *document, kActor);
    if (!written) return refuse_or_fail(written.error());
    std::cout << "district " << district_id << ": directive ";
    print_version(*written);
    return kExitOk;
  }
  if (args[0] == "show" && args.size() == 2) {
    auto current = service.current(district_id);
    if (!current) return fail(current.error());
    std::optional<directives::Directive> parsed;
    if (*current) {
      std::cout << "district " << district_id << ": directive ";
      print_version(**current);
      auto stored = directives::parse_stored_directive((*current)->document);
      if (!stored) return fail(stored.error());
      parsed = std::move(*stored);
    } else {
      std::cout << "district " << district_id << ": no directive; the defaults apply\n";
    }
    std::cout << "in force (with the configured defaults):\n  "
              << directives::directive_json(
                     directives::effective_directive(parsed, retention_defaults(config)))
              << "\n";
    return kExitOk;
  }
  if (args[0] == "history" && (args.size() == 2 || (args.size() == 4 && args[2] == "--limit"))) {
    std::size_t limit = 20;
    if (args.size() == 4) {
      try {
        limit = std::stoul(args[3]);
      } catch (const std::exception&) {
        return refuse("--limit must be a number");
      }
    }
    auto history = service.history(district_id, limit);
    if (!history) return fail(history.error());
    for (const auto& version : *history) print_version(version);
    return kExitOk;
  }
  return usage_directive();
}

int legal_hold(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  const auto usage = [] {
    return refuse("usage: legal-hold place DISTRICT ACCOUNT --reason TEXT | "
                  "legal-hold release DISTRICT ACCOUNT | legal-hold list DISTRICT [--all]");
  };
  if (args.size() < 2) return usage();
  const std::string& district_id = args[1];
  int exit_code = kExitOk;
  auto opened = open_district(config, district_id, exit_code);
  if (!opened) return exit_code;
  directives::DirectiveService& service = *opened->service;
  if (args[0] == "place" && args.size() == 5 && args[3] == "--reason") {
    auto hold = service.place_hold(district_id, args[2], args[4], kActor);
    if (!hold) return refuse_or_fail(hold.error());
    std::cout << "account " << args[2] << " held (hold " << hold->id
              << "): no deletion touches it until released\n";
    return kExitOk;
  }
  if (args[0] == "release" && args.size() == 3) {
    auto released = service.release_hold(district_id, args[2], kActor);
    if (!released) return fail(released.error());
    std::cout << "account " << args[2]
              << (*released ? " released: its directive applies again at the next run\n"
                            : " had no legal hold in force in this district\n");
    return kExitOk;
  }
  if (args[0] == "list" && (args.size() == 2 || (args.size() == 3 && args[2] == "--all"))) {
    auto holds = service.holds(district_id, args.size() == 3, store::kMaxListRows);
    if (!holds) return fail(holds.error());
    for (const store::LegalHold& hold : *holds) {
      std::cout << hold.account_id << "  placed " << time::to_rfc3339_utc(hold.placed_at) << " by "
                << hold.placed_by;
      if (hold.released_at) {
        std::cout << "  released " << time::to_rfc3339_utc(*hold.released_at) << " by "
                  << hold.released_by.value_or("");
      }
      std::cout << "\n  reason: " << hold.reason << "\n";
    }
    return kExitOk;
  }
  return usage();
}

int retention(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  std::string district_id;
  if (args.empty() || args[0] != "run" || (args.size() != 1 && args.size() != 3) ||
      (args.size() == 3 && args[1] != "--district")) {
    return refuse("usage: retention run [--district D]");
  }
  if (args.size() == 3) {
    district_id = args[2];
    if (!config.districts.contains(district_id)) {
      return refuse("no district '" + district_id + "' in the configuration");
    }
  }
  if (!config.tokens) {
    return refuse("retention run needs the tokens section: disposal certificates are signed "
                  "with the gateway's token signing key (tokens.keys_directory)");
  }
  auto session = open_store_session(config);
  if (!session) return fail(session.error());
  auto store = open_directives(config);
  if (!store) return fail(store.error());
  auto keys = session::KeyRing::open(session::KeyDirectory(config.tokens->keys_directory),
                                     session::signing_algorithm(*config.tokens),
                                     config.tokens->lifetime, kClock.now());
  if (!keys) return fail(keys.error());
  directives::KeyRingSigner signer(**keys);
  directives::RetentionEngine engine(**store, *(*session)->accounts, *(*session)->revocations,
                                     *(*session)->audit, signer,
                                     directives::retention_settings(config.retention), kClock);
  auto report = engine.run(kClock.now(), district_id);
  if (!report) return fail(report.error());
  for (const store::DisposalJob& job : report->completed) {
    std::cout << "job " << job.id << " " << directives::disposal_scope_name(job.scope) << " rule "
              << store::to_string(job.scope.rule) << " completed: certificate "
              << job.certificate_id.value_or("") << "\n ";
    for (const auto& [kind, count] : job.counts) std::cout << " " << kind << "=" << count;
    std::cout << " held_accounts=" << job.held_accounts << "\n";
  }
  if (report->completed.empty()) std::cout << "nothing to dispose of\n";
  return kExitOk;
}

int certificate(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  const auto usage = [] {
    return refuse("usage: certificate get ID [--out FILE] | "
                  "certificate verify FILE [--jwks URL|FILE]");
  };
  if (args.size() < 2) return usage();
  if (args[0] == "get" && (args.size() == 2 || (args.size() == 4 && args[2] == "--out"))) {
    auto store = open_directives(config);
    if (!store) return fail(store.error());
    auto stored = (*store)->certificate(args[1]);
    if (!stored) return fail(stored.error());
    if (!*stored) return refuse("no certificate " + args[1]);
    if (args.size() == 4) {
      std::ofstream out(args[3], std::ios::binary | std::ios::trunc);
      out << (*stored)->jws << "\n";
      if (!out) return fail(sdk::Error{sdk::ErrorCode::internal, "cannot write " + args[3]});
      std::cout << "certificate " << args[1] << " written to " << args[3] << "\n";
    } else {
      std::cout << (*stored)->jws << "\n";
    }
    return kExitOk;
  }
  if (args[0] != "verify" || !(args.size() == 2 || (args.size() == 4 && args[2] == "--jwks"))) {
    return usage();
  }
  auto text = read_file(args[1]);
  if (!text) return refuse(text.error().detail);
  const std::string compact(
      *text, 0, text->find_last_not_of(" \t\r\n") == std::string::npos
                    ? 0
                    : text->find_last_not_of(" \t\r\n") + 1);
  jose::KeySet keys;
  std::string source;
  if (args.size() == 4) {
    std::string jwks;
    source = args[3];
    if (source.starts_with("https://") || source.starts_with("http://")) {
      auto client = http::Client::create(config.http_client);
      if (!client) return fail(client.error());
      sdk::HttpRequest request;
      request.url = source;
      request.max_response_bytes = kMaxFileBytes;
      auto response = (*client)->send(request);
      if (!response) return fail(response.error());
      if (response->status != 200) {
        return fail(sdk::Error{sdk::ErrorCode::upstream_rejected,
                               "JWKS answered HTTP " + std::to_string(response->status)});
      }
      jwks = std::move(response->body);
    } else {
      auto file = read_file(source);
      if (!file) return refuse(file.error().detail);
      jwks = std::move(*file);
    }
    auto loaded = jose::KeySet::from_jwks_text(jwks);
    if (!loaded) return refuse("JWKS: " + loaded.error().detail);
    keys = std::move(loaded->keys);
  } else {
    if (!config.tokens) {
      return refuse("the configuration has no tokens section: pass --jwks URL|FILE");
    }
    source = config.tokens->keys_directory;
    auto ring = session::KeyRing::open(session::KeyDirectory(config.tokens->keys_directory),
                                       session::signing_algorithm(*config.tokens),
                                       config.tokens->lifetime, kClock.now());
    if (!ring) return fail(ring.error());
    keys = (*ring)->snapshot()->published;
  }
  auto verified = directives::verify_certificate(compact, keys);
  if (!verified) {
    std::cerr << "lmsgwctl: certificate NOT valid against " << source << ": "
              << verified.error().detail << "\n";
    return kExitRuntimeFailure;
  }
  std::cout << "certificate valid: signed by key " << verified->kid << " ("
            << jose::to_string(verified->algorithm) << ")\n"
            << boost::json::serialize(verified->document) << "\n";
  return kExitOk;
}

}  // namespace lmsgw::app::ctl
