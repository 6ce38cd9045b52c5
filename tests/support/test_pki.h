// A throwaway PKI for tests and the demo: a CA and a server certificate it signed, as PEM
// files. Never use it for anything but loopback tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lmsgw::testing {

struct TestPki {
  std::string ca_certificate_file;
  std::string server_certificate_file;
  std::string server_key_file;
};

// Generates EC P-256 keys, a CA certificate (CA:TRUE, keyCertSign) and a server certificate
// (serverAuth, subjectAltName from `dns_names` and `ip_addresses`), valid from an hour ago for
// 30 days, and writes ca.pem, server.pem and server-key.pem (mode 0600) into `dir`, which is
// created if needed. Throws std::runtime_error on failure.
TestPki make_test_pki(const std::filesystem::path& dir,
                      const std::vector<std::string>& dns_names = {"localhost"},
                      const std::vector<std::string>& ip_addresses = {"127.0.0.1", "::1"});

}  // namespace lmsgw::testing
