#include "manifest.h"

#include <utility>

#include "csv_reader.h"

namespace lmsgw::plugins::oneroster {
namespace {

constexpr std::size_t kMaxManifestRows = 200;

sdk::Error malformed(std::string detail) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, "manifest.csv: " + std::move(detail)};
}

}  // namespace

const std::vector<KnownFile>& known_files() {
  static const std::vector<KnownFile> files = {
      {"orgs.csv", "file.orgs", FileUse::applied, false},
      {"users.csv", "file.users", FileUse::applied, false},
      {"classes.csv", "file.classes", FileUse::applied, false},
      {"enrollments.csv", "file.enrollments", FileUse::applied, false},
      {"demographics.csv", "file.demographics", FileUse::personal, false},
      {"userProfiles.csv", "file.userProfiles", FileUse::personal, true},
      {"results.csv", "file.results", FileUse::achievement, false},
      {"lineItems.csv", "file.lineItems", FileUse::achievement, false},
      {"categories.csv", "file.categories", FileUse::achievement, false},
      {"scoreScales.csv", "file.scoreScales", FileUse::achievement, true},
      {"lineItemScoreScales.csv", "file.lineItemScoreScales", FileUse::achievement, true},
      {"resultScoreScales.csv", "file.resultScoreScales", FileUse::achievement, true},
      {"lineItemLearningObjectiveIds.csv", "file.lineItemLearningObjectiveIds",
       FileUse::achievement, true},
      {"resultLearningObjectiveIds.csv", "file.resultLearningObjectiveIds", FileUse::achievement,
       true},
      {"academicSessions.csv", "file.academicSessions", FileUse::unneeded, false},
      {"courses.csv", "file.courses", FileUse::unneeded, false},
      {"resources.csv", "file.resources", FileUse::unneeded, false},
      {"classResources.csv", "file.classResources", FileUse::unneeded, false},
      {"courseResources.csv", "file.courseResources", FileUse::unneeded, false},
      {"userResources.csv", "file.userResources", FileUse::unneeded, true},
      {"roles.csv", "file.roles", FileUse::unneeded, true},
  };
  return files;
}

const KnownFile* find_known_file(std::string_view name) noexcept {
  for (const KnownFile& file : known_files()) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

FileMode Manifest::mode(std::string_view file) const noexcept {
  auto it = modes.find(file);
  return it == modes.end() ? FileMode::absent : it->second;
}

sdk::Result<Manifest> read_manifest(FileSet& files) {
  if (!files.contains("manifest.csv")) return malformed("the file set has no manifest.csv");
  auto source = files.read("manifest.csv", 0);
  if (!source) return source.error();
  CsvReader reader(std::move(*source), CsvLimits{.max_field_bytes = 1024,
                                                 .max_record_bytes = 4096,
                                                 .max_fields = 8});
  CsvRecord record;
  auto header = reader.next(record);
  if (!header) return header.error();
  if (!*header || record.fault() != CsvFault::none || record.size() != 2 ||
      record.field(0) != "propertyName" || record.field(1) != "value") {
    return malformed("the header must be propertyName,value");
  }

  std::map<std::string, std::string, std::less<>> properties;
  for (std::size_t rows = 0;; ++rows) {
    auto more = reader.next(record);
    if (!more) return more.error();
    if (!*more) break;
    const std::string where = "line " + std::to_string(record.line());
    if (rows >= kMaxManifestRows) return malformed("more rows than a manifest has");
    if (record.fault() != CsvFault::none) {
      return malformed(where + ": " + std::string(describe(record.fault())));
    }
    if (record.size() != 2) return malformed(where + ": expected 2 columns");
    std::string key(record.field(0));
    const bool known_key = key == "manifest.version" || key == "oneroster.version" ||
                           key.starts_with("file.") || key.starts_with("source.");
    // An unknown key is named only when it looks like a property name, never echoed otherwise.
    if (!known_key) continue;
    if (!properties.emplace(key, std::string(record.field(1))).second) {
      return malformed(key + ": given twice");
    }
  }

  const auto value_of = [&](std::string_view key) -> const std::string* {
    auto it = properties.find(key);
    return it == properties.end() ? nullptr : &it->second;
  };
  const std::string* manifest_version = value_of("manifest.version");
  if (manifest_version == nullptr) return malformed("manifest.version: is required");
  if (*manifest_version != "1.0") return malformed("manifest.version: must be 1.0");
  const std::string* version = value_of("oneroster.version");
  if (version == nullptr) return malformed("oneroster.version: is required");
  if (*version != "1.1" && *version != "1.2") {
    return malformed("oneroster.version: must be 1.1 or 1.2");
  }

  Manifest manifest;
  manifest.oneroster_version = *version;
  for (const KnownFile& file : known_files()) {
    const std::string* value = value_of(file.key);
    FileMode mode = FileMode::absent;
    if (value != nullptr) {
      if (*value == "bulk") {
        mode = FileMode::bulk;
      } else if (*value == "delta") {
        mode = FileMode::delta;
      } else if (*value != "absent") {
        return malformed(std::string(file.key) + ": must be absent, bulk or delta");
      }
    }
    const bool present = files.contains(file.name);
    if (mode == FileMode::absent && present) {
      return malformed(std::string(file.key) + ": is absent but " + std::string(file.name) +
                       " is in the set");
    }
    if (mode != FileMode::absent && !present) {
      return malformed(std::string(file.key) + ": is " + (mode == FileMode::bulk ? "bulk" : "delta") +
                       " but " + std::string(file.name) + " is not in the set");
    }
    manifest.modes.emplace(std::string(file.name), mode);
  }
  return manifest;
}

}  // namespace lmsgw::plugins::oneroster
