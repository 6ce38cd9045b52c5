#include "fake_process.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>

#include "http/server.h"

namespace lmsgw::fakes {

bool ProcessArguments::take(const std::string& flag, const std::string& value) {
  if (flag == "--fixture") {
    fixture = value;
  } else if (flag == "--cert") {
    certificate = value;
  } else if (flag == "--key") {
    key = value;
  } else if (flag == "--host") {
    host = value;
  } else if (flag == "--port") {
    port = static_cast<std::uint16_t>(std::stoi(value));
  } else if (flag == "--browser-port") {
    browser_port = static_cast<std::uint16_t>(std::stoi(value));
  } else if (flag == "--ready-file") {
    ready_file = value;
  } else {
    return false;
  }
  return true;
}

void ProcessArguments::require() const {
  if (fixture.empty() || certificate.empty() || key.empty()) {
    throw std::runtime_error("required: --fixture --cert --key");
  }
}

void for_each_flag(int argc, char** argv,
                   const std::function<void(const std::string&, const std::string&)>& take) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
    take(flag, argv[++i]);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_secret_file(const std::string& path) {
  std::string secret = read_file(path);
  while (secret.ends_with('\n')) secret.pop_back();
  return secret;
}

boost::json::object read_fixture(const std::string& path) {
  return boost::json::parse(read_file(path)).as_object();
}

int serve(const ProcessArguments& args, const FakeServer& server) {
  http::Router api_router;
  server.add_browser_routes(api_router);
  server.add_api_routes(api_router);
  http::ServerOptions api_options;
  api_options.listen_host = args.host;
  api_options.listen_port = args.port;
  api_options.threads = 2;
  if (server.worker_threads != 0) api_options.worker_threads = server.worker_threads;
  if (server.max_body_bytes != 0) api_options.limits.max_body_bytes = server.max_body_bytes;
  api_options.tls = http::TlsFiles{args.certificate, args.key};
  api_options.drain_timeout = std::chrono::milliseconds(1000);
  http::HttpServer api(api_options, api_router);
  if (auto bound = api.bind(); !bound) {
    std::cerr << server.name << ": " << bound.error().detail << "\n";
    return 1;
  }

  http::Router browser_router;
  server.add_browser_routes(browser_router);
  std::unique_ptr<http::HttpServer> browser;
  if (args.browser_port) {
    http::ServerOptions browser_options = api_options;
    browser_options.tls.reset();
    browser_options.listen_port = *args.browser_port;
    browser = std::make_unique<http::HttpServer>(browser_options, browser_router);
    if (auto bound = browser->bind(); !bound) {
      std::cerr << server.name << ": " << bound.error().detail << "\n";
      return 1;
    }
  }

  const std::string api_base = "https://" + args.host + ":" + std::to_string(api.port());
  const std::string browser_base =
      browser ? "http://" + args.host + ":" + std::to_string(browser->port()) : api_base;
  std::cout << server.name << ": " << server.on_bound(api_base, browser_base) << std::endl;
  if (args.ready_file) {
    std::ofstream ready(*args.ready_file + ".tmp");
    ready << "https_port=" << api.port() << "\nbrowser_port=" << (browser ? browser->port() : 0)
          << "\n";
    ready.close();
    std::filesystem::rename(*args.ready_file + ".tmp", *args.ready_file);
  }

  std::thread browser_thread;
  if (browser) browser_thread = std::thread([&] { browser->run(true); });
  api.run(true);
  if (browser) {
    browser->stop();
    browser_thread.join();
  }
  return 0;
}

int run_fake_process(std::string_view name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 2;
  }
}

}  // namespace lmsgw::fakes
