// fake_lti: the fake LMS platform (LTI 1.3) as a process, for integration tests and the demo.
//
//   fake_lti --fixture launch-users.json --cert server.pem --key server-key.pem
//            --issuer https://lms.fake.test --client-id ID
//            --redirect-uri URI [--redirect-uri URI...] --login-url URL
//            [--deployment-id dep-1] [--target-link-uri URL]
//            [--host 127.0.0.1] [--port 0] [--browser-port N] [--ready-file FILE]
//
// Everything is served over HTTPS on --port: the JWKS (/lti/jwks), the OIDC authorization
// endpoint (/lti/authorize), /__fake/launch?user=ID and the other /__fake/ controls. With
// --browser-port, the browser endpoints (/__fake/launch, /lti/authorize) are also served over
// plain HTTP on loopback, so that a browser in the demo need not trust the test CA. With
// --ready-file, the bound ports are written there ("https_port=N\nbrowser_port=M\n") once
// both listen.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>

#include "fake_lti.h"
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
  lmsgw::fakes::FakeLtiOptions options;
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
  args.options.issuer = "https://lms.fake.test";
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
    else if (flag == "--issuer")
      args.options.issuer = value;
    else if (flag == "--client-id")
      args.options.client_id = value;
    else if (flag == "--redirect-uri")
      args.options.redirect_uris.push_back(value);
    else if (flag == "--login-url")
      args.options.login_url = value;
    else if (flag == "--deployment-id")
      args.options.deployment_id = value;
    else if (flag == "--target-link-uri")
      args.options.target_link_uri = value;
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  if (args.fixture.empty() || args.certificate.empty() || args.key.empty() ||
      args.options.client_id.empty() || args.options.redirect_uris.empty() ||
      args.options.login_url.empty()) {
    throw std::runtime_error(
        "required: --fixture --cert --key --client-id --redirect-uri --login-url");
  }
  if (args.options.target_link_uri.empty()) {
    args.options.target_link_uri = args.options.redirect_uris.front();
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Arguments args = parse(argc, argv);
    boost::json::object fixture = boost::json::parse(read_file(args.fixture)).as_object();
    lmsgw::fakes::FakeLti platform(args.options, std::move(fixture));

    lmsgw::http::Router api_router;
    platform.add_browser_routes(api_router);
    platform.add_api_routes(api_router);
    lmsgw::http::ServerOptions api_options;
    api_options.listen_host = args.host;
    api_options.listen_port = args.port;
    api_options.threads = 2;
    api_options.tls = lmsgw::http::TlsFiles{args.certificate, args.key};
    api_options.drain_timeout = std::chrono::milliseconds(1000);
    lmsgw::http::HttpServer api(api_options, api_router);
    if (auto bound = api.bind(); !bound) {
      std::cerr << "fake_lti: " << bound.error().detail << "\n";
      return 1;
    }

    lmsgw::http::Router browser_router;
    platform.add_browser_routes(browser_router);
    std::unique_ptr<lmsgw::http::HttpServer> browser;
    if (args.browser_port) {
      lmsgw::http::ServerOptions browser_options = api_options;
      browser_options.tls.reset();
      browser_options.listen_port = *args.browser_port;
      browser = std::make_unique<lmsgw::http::HttpServer>(browser_options, browser_router);
      if (auto bound = browser->bind(); !bound) {
        std::cerr << "fake_lti: " << bound.error().detail << "\n";
        return 1;
      }
    }

    std::cout << "fake_lti: https://" << args.host << ":" << api.port();
    if (browser) {
      std::cout << " (browser endpoints also on http://" << args.host << ":" << browser->port()
                << ")";
    }
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
    std::cerr << "fake_lti: " << e.what() << "\n";
    return 2;
  }
}
