// The OneRoster CSV roster source (PROTOCOLS.md 5): manifest first, then users, classes and
// enrollments streamed in batches; demographics and every academic-achievement file are
// never opened.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "csv_reader.h"
#include "digest.h"
#include "file_set.h"
#include "lmsgw/sdk/sync_plugin.h"
#include "manifest.h"
#include "oneroster_config.h"

namespace lmsgw::plugins::oneroster {

// The files applied, in the order they are read: people and sections before memberships.
enum class Stage : std::uint8_t { users = 0, classes = 1, enrollments = 2, done = 3 };

// Where a run stands: `stage`, and the byte offset and line of the next record of its file.
// `fingerprint` ties it to one file set, so a changed set is read from the start.
struct Cursor {
  std::string fingerprint;
  Stage stage = Stage::users;
  std::uint64_t offset = 0;
  std::uint64_t line = 1;

  std::string encode() const;
  static std::optional<Cursor> decode(std::string_view text);
};

class OneRosterSync final : public sdk::SyncPlugin {
 public:
  explicit OneRosterSync(OneRosterConfig config);

  sdk::Result<sdk::SyncBatch> next_batch(const sdk::SyncRequest& request) noexcept override;

  // Column positions of the file being read, by header name; the ones the rows are read by
  // are looked up once per file (a column the file lacks is at `names.size()`).
  struct Columns {
    std::vector<std::string> names;
    std::unordered_map<std::string, std::size_t> index;
    std::vector<bool> typed;  // columns mapped to typed identity fields, not to `extra`
    std::size_t sourced_id = 0, status = 0, enabled = 0, role = 0, orgs = 0, class_id = 0,
                user_id = 0, primary = 0, class_type = 0, school = 0, type = 0, parent = 0,
                given = 0, middle = 0, family = 0, email = 0;
    std::size_t find(std::string_view name) const noexcept;
  };

 private:
  struct Org {
    std::string type;
    std::string parent;
  };

  sdk::Result<sdk::SyncBatch> read_batch(const sdk::SyncRequest& request);
  sdk::Result<void> start(sdk::SyncBatch& batch);
  sdk::Result<void> resume(const Cursor& cursor);
  sdk::Result<void> load_orgs(std::vector<sdk::RejectedRecord>* rejected);
  sdk::Result<void> open_stage(std::uint64_t offset, std::uint64_t line);
  sdk::Result<void> scan_removed_users();
  sdk::Result<void> rebuild_seen(std::uint64_t up_to);
  void apply(const CsvRecord& record, sdk::SyncBatch& batch);
  void apply_user(const CsvRecord& record, std::string_view id, sdk::SyncBatch& batch);
  void apply_class(const CsvRecord& record, std::string_view id, sdk::SyncBatch& batch);
  void apply_enrollment(const CsvRecord& record, std::string_view id, sdk::SyncBatch& batch);
  std::optional<std::string> district_of(std::string_view org_ids) const;
  std::string_view stage_file() const noexcept;
  bool snapshot() const noexcept;

  OneRosterConfig config_;
  CsvLimits limits_;

  // The run in progress; rebuilt from the file set whenever the cursor is not the one this
  // instance handed out last (a new run, or a resumed one after a restart).
  std::unique_ptr<FileSet> files_;
  Manifest manifest_;
  std::unordered_map<std::string, Org> orgs_;
  std::unordered_map<std::string, std::string> districts_;  // org -> its district's sourcedId
  Cursor position_;
  std::unique_ptr<CsvReader> reader_;
  Columns columns_;
  DigestSet seen_ids_;       // sourcedIds of the current file so far
  DigestSet removed_users_;  // users this set removes, whose enrollments are refused
  std::string last_cursor_;
};

}  // namespace lmsgw::plugins::oneroster
