#include "test_files.h"

#include <zip.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "manifest.h"

namespace lmsgw::plugins::oneroster::testing {

TempFolder::TempFolder() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("oneroster-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempFolder::write(const std::string& name, const std::string& content) const {
  std::ofstream out(path_ / name, std::ios::binary | std::ios::trunc);
  out << content;
}

void TempFolder::remove(const std::string& name) const { std::filesystem::remove(path_ / name); }

void TempFolder::zip_to(const std::filesystem::path& zip_path) const {
  int error = 0;
  zip_t* archive = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) throw std::runtime_error("zip_open failed");
  for (const auto& entry : std::filesystem::directory_iterator(path_)) {
    zip_source_t* source = zip_source_file(archive, entry.path().c_str(), 0, -1);
    if (source == nullptr ||
        zip_file_add(archive, entry.path().filename().c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      throw std::runtime_error("zip_file_add failed");
    }
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
}

std::string manifest(const std::map<std::string, std::string>& modes, const std::string& version) {
  std::string out = "propertyName,value\nmanifest.version,1.0\noneroster.version," + version + "\n";
  for (const KnownFile& file : known_files()) {
    if (file.since_1_2 && version == "1.1") continue;
    auto it = modes.find(std::string(file.name));
    out += std::string(file.key) + "," + (it == modes.end() ? "absent" : it->second) + "\n";
  }
  return out;
}

}  // namespace lmsgw::plugins::oneroster::testing
