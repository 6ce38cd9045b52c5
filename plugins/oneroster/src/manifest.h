// manifest.csv: which files a OneRoster set holds and how (PROTOCOLS.md 5.1). It is read and
// checked before any other file, and a bad manifest fails the whole run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "file_set.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::oneroster {

enum class FileMode : std::uint8_t { absent, bulk, delta };

// What the gateway does with each file a set may hold.
enum class FileUse : std::uint8_t {
  applied,     // read: orgs, users, classes, enrollments
  personal,    // discarded whole, never opened: demographics, userProfiles (1.2)
  achievement, // refused, never opened: results, lineItems, categories, score scales...
  unneeded,    // not needed by the gateway, never opened: courses, academicSessions, resources...
};

struct KnownFile {
  std::string_view name;  // e.g. "users.csv"
  std::string_view key;   // e.g. "file.users"
  FileUse use;
  bool since_1_2;
};

// Every file OneRoster 1.1 and 1.2 name in a manifest.
const std::vector<KnownFile>& known_files();
const KnownFile* find_known_file(std::string_view name) noexcept;

struct Manifest {
  std::string oneroster_version;  // "1.1" or "1.2"
  std::map<std::string, FileMode, std::less<>> modes;  // by file name ("users.csv")

  FileMode mode(std::string_view file) const noexcept;
};

// Reads manifest.csv from `files` and checks it against the set: versions, every file.* value,
// absent files not present, bulk and delta files present. Errors are upstream_malformed and
// name the manifest key (or the file) at fault, never a value from the file.
sdk::Result<Manifest> read_manifest(FileSet& files);

}  // namespace lmsgw::plugins::oneroster
