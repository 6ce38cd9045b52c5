// make_test_pki DIR [--dns NAME]... [--ip ADDR]...
// Writes ca.pem, server.pem and server-key.pem into DIR and prints their paths. Without any
// --dns/--ip the server certificate names localhost, 127.0.0.1 and ::1.
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/test_pki.h"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string dir;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--dns" && has_value) {
      dns_names.emplace_back(args[++i]);
    } else if (args[i] == "--ip" && has_value) {
      ip_addresses.emplace_back(args[++i]);
    } else if (dir.empty() && !args[i].starts_with("--")) {
      dir = args[i];
    } else {
      dir.clear();
      break;
    }
  }
  if (dir.empty()) {
    std::cerr << "usage: make_test_pki DIR [--dns NAME]... [--ip ADDR]...\n";
    return 2;
  }
  if (dns_names.empty() && ip_addresses.empty()) {
    dns_names = {"localhost"};
    ip_addresses = {"127.0.0.1", "::1"};
  }
  try {
    const auto pki = lmsgw::testing::make_test_pki(dir, dns_names, ip_addresses);
    std::cout << pki.ca_certificate_file << '\n'
              << pki.server_certificate_file << '\n'
              << pki.server_key_file << '\n';
  } catch (const std::exception& e) {
    std::cerr << "make_test_pki: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
