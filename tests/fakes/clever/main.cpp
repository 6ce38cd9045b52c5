// fake_clever: the fake Clever server as a process, for integration tests and the demo.
//
//   fake_clever --fixture clever.json --cert server.pem --key server-key.pem
//               --client-id ID (--client-secret S | --client-secret-file F)
//               --redirect-uri URI [--redirect-uri URI...] [--host 127.0.0.1] [--port 0]
//               [--browser-port N] [--auto-login USER_ID] [--ready-file FILE]
//
// The API (tokens, /v3.0) is served over HTTPS on --port. The browser endpoints (authorize,
// instant-login) are served there too and, with --browser-port, also over plain HTTP on
// loopback, so that a browser in the demo need not trust the test CA. With --ready-file, the
// bound ports are written there ("https_port=N\nbrowser_port=M\n") once both listen.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>

#include "fake_clever.h"
#include "http/server.h"

namespace {

struct Arguments {
  std::string fixture;
  std::string certificate;
  std::string key;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::optional<std::uint16_t> browser_port;
  std::optional<std::string> ready_file;
  lmsgw::fakes::FakeCleverOptions options;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--fixture")
      args.fixture = value;
    else if (flag == "--cert")
      args.certificate = value;
    else if (flag == "--key")
      args.key = value;
    else if (flag == "--host")
      args.host = value;
    else if (flag == "--port")
      args.port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--browser-port")
      args.browser_port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--ready-file")
      args.ready_file = value;
    else if (flag == "--client-id")
      args.options.client_id = value;
    else if (flag == "--client-secret")
      args.options.client_secret = value;
    else if (flag == "--client-secret-file") {
      args.options.client_secret = read_file(value);
      while (args.options.client_secret.ends_with('\n')) args.options.client_secret.pop_back();
    } else if (flag == "--redirect-uri")
      args.options.redirect_uris.push_back(value);
    else if (flag == "--auto-login")
      args.options.auto_login_user = value;
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  if (args.fixture.empty() || args.certificate.empty() || args.key.empty() ||
      args.options.client_id.empty() || args.options.client_secret.empty() ||
      args.options.redirect_uris.empty()) {
    throw std::runtime_error(
        "required: --fixture --cert --key --client-id --client-secret(-file) --redirect-uri");
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Arguments args = parse(argc, argv);
    boost::json::object fixture = boost::json::parse(read_file(args.fixture)).as_object();
    lmsgw::fakes::FakeClever clever(args.options, std::move(fixture));

    lmsgw::http::Router api_router;
    clever.add_browser_routes(api_router);
    clever.add_api_routes(api_router);
    lmsgw::http::ServerOptions api_options;
    api_options.listen_host = args.host;
    api_options.listen_port = args.port;
    api_options.threads = 2;
    api_options.tls = lmsgw::http::TlsFiles{args.certificate, args.key};
    api_options.drain_timeout = std::chrono::milliseconds(1000);
    // /__fake/records and /__fake/events take whole lists.
    api_options.limits.max_body_bytes = 16 * 1024 * 1024;
    lmsgw::http::HttpServer api(api_options, api_router);
    if (auto bound = api.bind(); !bound) {
      std::cerr << "fake_clever: " << bound.error().detail << "\n";
      return 1;
    }

    lmsgw::http::Router browser_router;
    clever.add_browser_routes(browser_router);
    std::unique_ptr<lmsgw::http::HttpServer> browser;
    if (args.browser_port) {
      lmsgw::http::ServerOptions browser_options = api_options;
      browser_options.tls.reset();
      browser_options.listen_port = *args.browser_port;
      browser = std::make_unique<lmsgw::http::HttpServer>(browser_options, browser_router);
      if (auto bound = browser->bind(); !bound) {
        std::cerr << "fake_clever: " << bound.error().detail << "\n";
        return 1;
      }
    }

    std::cout << "fake_clever: https://" << args.host << ":" << api.port();
    if (browser)
      std::cout << " (browser endpoints also on http://" << args.host << ":" << browser->port()
                << ")";
    std::cout << std::endl;
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
  } catch (const std::exception& e) {
    std::cerr << "fake_clever: " << e.what() << "\n";
    return 2;
  }
}
