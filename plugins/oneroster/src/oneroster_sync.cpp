#include "oneroster_sync.h"

#include <array>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <utility>

namespace lmsgw::plugins::oneroster {
namespace {

constexpr std::string_view kCursorTag = "oneroster.v1";
constexpr std::size_t kMaxOrgs = 100000;
constexpr int kMaxOrgDepth = 32;
// Rows a resume scan keeps before dropping its scratch changes.
constexpr std::size_t kScanFlushRows = 1024;

constexpr std::array<std::string_view, 3> kStageFiles = {"users.csv", "classes.csv",
                                                         "enrollments.csv"};

sdk::Error malformed(std::string detail) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, std::move(detail)};
}

Stage next_stage(Stage stage) noexcept {
  return static_cast<Stage>(static_cast<std::uint8_t>(stage) + 1);
}

// A OneRoster user role, most restrictive reading first: a CSV row can make someone staff at
// most, never a district administrator of the gateway (that is granted by the gateway's own
// operators). Roles of 1.2 are accepted when a 1.2 users.csv still carries a role column.
std::optional<sdk::Role> user_role(std::string_view role) noexcept {
  if (role == "student") return sdk::Role::student;
  if (role == "teacher") return sdk::Role::teacher;
  if (role == "guardian" || role == "parent" || role == "relative") return sdk::Role::guardian;
  if (role == "administrator" || role == "aide" || role == "proctor" ||
      role == "districtAdministrator" || role == "siteAdministrator" ||
      role == "systemAdministrator" || role == "principal" || role == "counselor") {
    return sdk::Role::staff;
  }
  return std::nullopt;
}

std::optional<sdk::Role> enrollment_role(std::string_view role) noexcept {
  if (role == "student") return sdk::Role::student;
  if (role == "teacher") return sdk::Role::teacher;
  if (role == "administrator" || role == "proctor" || role == "aide") return sdk::Role::staff;
  if (role == "guardian" || role == "parent" || role == "relative") return sdk::Role::guardian;
  return std::nullopt;
}

bool is_org_type(std::string_view type) noexcept {
  return type == "department" || type == "school" || type == "district" || type == "local" ||
         type == "state" || type == "national";
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> required_columns(std::string_view file) {
  if (file == "orgs.csv") return {"sourcedId", "status", "dateLastModified", "name", "type"};
  if (file == "users.csv") {
    return {"sourcedId", "status", "dateLastModified", "enabledUser", "givenName", "familyName"};
  }
  if (file == "classes.csv") {
    return {"sourcedId", "status", "dateLastModified", "title", "schoolSourcedId"};
  }
  return {"sourcedId", "status",          "dateLastModified", "classSourcedId",
          "userSourcedId", "role"};
}

sdk::Result<OneRosterSync::Columns> read_columns(std::string_view file, const CsvRecord& header) {
  const std::string name(file);
  if (header.fault() != CsvFault::none) {
    return malformed(name + ": header: " + std::string(describe(header.fault())));
  }
  OneRosterSync::Columns columns;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string column(header.field(i));
    if (!columns.index.emplace(column, i).second) {
      return malformed(name + ": a column name appears twice in the header");
    }
    columns.names.push_back(std::move(column));
  }
  for (std::string_view required : required_columns(file)) {
    if (!columns.index.contains(std::string(required))) {
      return malformed(name + ": missing required column " + std::string(required));
    }
  }
  const auto at = [&](std::string_view column) { return columns.find(column); };
  columns.sourced_id = at("sourcedId"), columns.status = at("status");
  columns.enabled = at("enabledUser"), columns.role = at("role");
  columns.orgs = columns.index.contains("orgSourcedIds") ? at("orgSourcedIds")
                                                         : at("primaryOrgSourcedId");
  columns.class_id = at("classSourcedId"), columns.user_id = at("userSourcedId");
  columns.primary = at("primary"), columns.class_type = at("classType");
  columns.school = at("schoolSourcedId"), columns.type = at("type");
  columns.parent = at("parentSourcedId"), columns.given = at("givenName");
  columns.middle = at("middleName"), columns.family = at("familyName"), columns.email = at("email");
  columns.typed.assign(columns.names.size(), false);
  for (std::size_t typed : {columns.sourced_id, columns.role, columns.given, columns.middle,
                            columns.family, columns.email}) {
    if (typed < columns.typed.size()) columns.typed[typed] = true;
  }
  if (file == "users.csv" && !columns.index.contains("role")) {
    return malformed(
        "users.csv: missing column role (OneRoster 1.2 keeps roles in roles.csv, which this "
        "plugin does not read)");
  }
  return columns;
}

sdk::Result<OneRosterSync::Columns> read_header(FileSet& files, std::string_view file,
                                                const CsvLimits& limits,
                                                std::unique_ptr<CsvReader>* keep) {
  auto source = files.read(file, 0);
  if (!source) return source.error();
  auto reader = std::make_unique<CsvReader>(std::move(*source), limits);
  CsvRecord header;
  auto got = reader->next(header);
  if (!got) return got.error();
  if (!*got) return malformed(std::string(file) + ": the file has no header");
  auto columns = read_columns(file, header);
  if (columns && keep != nullptr) *keep = std::move(reader);
  return columns;
}

// Checks every row shares: readable, the header's width, a unique non-empty sourcedId, a valid
// status. The reason never quotes the row.
std::optional<std::string> row_problem(const CsvRecord& record,
                                       const OneRosterSync::Columns& columns, DigestSet& seen,
                                       FileMode mode) {
  if (record.fault() != CsvFault::none) return std::string(describe(record.fault()));
  if (record.size() != columns.names.size()) {
    return "expected " + std::to_string(columns.names.size()) + " fields, found " +
           std::to_string(record.size());
  }
  const std::string_view id = record.field(columns.sourced_id);
  if (id.empty()) return "sourcedId is empty";
  if (!seen.insert(digest128(id))) return "duplicate sourcedId in this file";
  const std::string_view status = record.field(columns.status);
  if (status.empty()) {
    if (mode == FileMode::delta) return "status is required in a delta file";
  } else if (status != "active" && status != "tobedeleted") {
    return "status is not active or tobedeleted";
  }
  return std::nullopt;
}

}  // namespace

std::size_t OneRosterSync::Columns::find(std::string_view name) const noexcept {
  auto it = index.find(std::string(name));
  return it == index.end() ? names.size() : it->second;
}

std::string Cursor::encode() const {
  return std::string(kCursorTag) + ";" + fingerprint + ";" +
         std::to_string(static_cast<unsigned>(stage)) + ";" + std::to_string(offset) + ";" +
         std::to_string(line);
}

std::optional<Cursor> Cursor::decode(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t semicolon = text.find(';');
    parts.push_back(text.substr(0, semicolon));
    if (semicolon == std::string_view::npos) break;
    text.remove_prefix(semicolon + 1);
  }
  if (parts.size() != 5 || parts[0] != kCursorTag || parts[1].size() != 32) return std::nullopt;
  const auto number = [](std::string_view part, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc{} && end == part.data() + part.size() && !part.empty();
  };
  Cursor cursor;
  std::uint64_t stage = 0;
  if (!number(parts[2], stage) || !number(parts[3], cursor.offset) ||
      !number(parts[4], cursor.line) || stage > static_cast<unsigned>(Stage::done) ||
      cursor.line == 0) {
    return std::nullopt;
  }
  cursor.fingerprint = std::string(parts[1]);
  cursor.stage = static_cast<Stage>(stage);
  return cursor;
}

OneRosterSync::OneRosterSync(OneRosterConfig config) : config_(std::move(config)) {}

sdk::Result<sdk::SyncBatch> OneRosterSync::next_batch(const sdk::SyncRequest& request) noexcept {
  auto batch = sdk::guarded([&] { return read_batch(request); });
  if (!batch) {
    // Whatever was open is suspect: the next call starts over from the persisted cursor.
    reader_.reset();
    files_.reset();
    last_cursor_.clear();
  }
  return batch;
}

std::string_view OneRosterSync::stage_file() const noexcept {
  return kStageFiles[static_cast<std::size_t>(position_.stage)];
}

bool OneRosterSync::snapshot() const noexcept {
  return manifest_.mode("users.csv") == FileMode::bulk &&
         manifest_.mode("classes.csv") == FileMode::bulk &&
         manifest_.mode("enrollments.csv") == FileMode::bulk;
}

sdk::Result<sdk::SyncBatch> OneRosterSync::read_batch(const sdk::SyncRequest& request) {
  sdk::SyncBatch batch;
  const bool continuing = files_ != nullptr && !request.full && !last_cursor_.empty() &&
                          request.cursor == last_cursor_;
  if (!continuing) {
    reader_.reset();
    auto files = FileSet::open(config_.path);
    if (!files) return files.error();
    files_ = std::move(*files);
    const std::optional<Cursor> cursor =
        request.full ? std::nullopt : Cursor::decode(request.cursor);
    if (cursor && cursor->fingerprint == files_->fingerprint()) {
      if (cursor->stage == Stage::done) {
        // The set has not changed since a run read all of it: nothing to report.
        files_.reset();
        batch.finished = true;
        batch.next_cursor = request.cursor;
        return batch;
      }
      if (auto resumed = resume(*cursor); !resumed) return resumed.error();
    } else if (auto started = start(batch); !started) {
      return started.error();
    }
  }
  batch.snapshot = snapshot();
  batch.changes.reserve(config_.batch_size);

  CsvRecord record;
  std::size_t rows = 0;
  while (rows < config_.batch_size && position_.stage != Stage::done) {
    if (reader_ == nullptr) {
      if (manifest_.mode(stage_file()) == FileMode::absent) {
        position_ = Cursor{position_.fingerprint, next_stage(position_.stage), 0, 1};
        continue;
      }
      if (auto opened = open_stage(position_.offset, position_.line); !opened) {
        return opened.error();
      }
    }
    auto more = reader_->next(record);
    if (!more) return more.error();
    if (!*more) {
      reader_.reset();
      seen_ids_.clear();
      position_ = Cursor{position_.fingerprint, next_stage(position_.stage), 0, 1};
      continue;
    }
    apply(record, batch);
    ++rows;
    position_.offset = reader_->offset();
    position_.line = reader_->line();
  }

  batch.next_cursor = position_.encode();
  batch.finished = position_.stage == Stage::done;
  if (batch.finished) {
    files_.reset();
    seen_ids_.clear();
    removed_users_.clear();
    last_cursor_.clear();
  } else {
    last_cursor_ = batch.next_cursor;
  }
  return batch;
}

sdk::Result<void> OneRosterSync::start(sdk::SyncBatch& batch) {
  auto manifest = read_manifest(*files_);
  if (!manifest) return manifest.error();
  manifest_ = std::move(*manifest);
  if (config_.version && *config_.version != manifest_.oneroster_version) {
    return malformed("manifest.csv: oneroster.version: is not the version this connection expects");
  }
  // Every applied file's header is checked before the first row is applied, so a file refused
  // for a missing column fails the run before anything of it is half applied.
  for (std::string_view file : {"orgs.csv", "users.csv", "classes.csv", "enrollments.csv"}) {
    if (manifest_.mode(file) == FileMode::absent) continue;
    if (auto columns = read_header(*files_, file, limits_, nullptr); !columns) {
      return columns.error();
    }
  }
  if (auto loaded = load_orgs(&batch.rejected); !loaded) return loaded.error();

  // Files not applied are counted, by name for those OneRoster defines and together for the
  // rest (an unknown name is text from the district, so it is not echoed).
  for (const std::string& name : files_->names()) {
    if (name == "manifest.csv") continue;
    const KnownFile* known = find_known_file(name);
    if (known == nullptr) {
      ++batch.discarded["other files"];
    } else if (known->use != FileUse::applied) {
      batch.discarded[name] = 1;
    }
  }
  seen_ids_.clear();
  removed_users_.clear();
  position_ = Cursor{files_->fingerprint(), Stage::users, 0, 1};
  return {};
}

sdk::Result<void> OneRosterSync::resume(const Cursor& cursor) {
  auto manifest = read_manifest(*files_);
  if (!manifest) return manifest.error();
  manifest_ = std::move(*manifest);
  if (auto loaded = load_orgs(nullptr); !loaded) return loaded.error();
  seen_ids_.clear();
  removed_users_.clear();
  position_ = cursor;
  if (cursor.stage != Stage::users && manifest_.mode("users.csv") != FileMode::absent) {
    if (auto scanned = scan_removed_users(); !scanned) return scanned.error();
  }
  if (cursor.offset > 0) {
    if (auto rebuilt = rebuild_seen(cursor.offset); !rebuilt) return rebuilt.error();
  }
  return {};
}

// Reads the users a finished users stage removed again, so that a run resumed after a restart
// refuses the same enrollments an uninterrupted one would.
sdk::Result<void> OneRosterSync::scan_removed_users() {
  const Cursor saved = position_;
  position_ = Cursor{saved.fingerprint, Stage::users, 0, 1};
  auto scanned = rebuild_seen(std::numeric_limits<std::uint64_t>::max());
  seen_ids_.clear();
  position_ = saved;
  return scanned;
}

// Re-reads the current stage's file from its start up to `up_to`, as the run did before it
// stopped, to restore the sourcedIds seen (and users removed) without reporting anything.
sdk::Result<void> OneRosterSync::rebuild_seen(std::uint64_t up_to) {
  const Cursor saved = position_;
  if (auto opened = open_stage(0, 1); !opened) return opened.error();
  CsvRecord record;
  sdk::SyncBatch scratch;
  std::size_t rows = 0;
  while (reader_->offset() < up_to) {
    auto more = reader_->next(record);
    if (!more) return more.error();
    if (!*more) break;
    apply(record, scratch);
    if (++rows % kScanFlushRows == 0) scratch = sdk::SyncBatch{};
  }
  reader_.reset();
  position_ = saved;
  return {};
}

sdk::Result<void> OneRosterSync::open_stage(std::uint64_t offset, std::uint64_t line) {
  std::unique_ptr<CsvReader> from_start;
  auto columns = read_header(*files_, stage_file(), limits_, &from_start);
  if (!columns) return columns.error();
  columns_ = std::move(*columns);
  if (offset == 0) {
    reader_ = std::move(from_start);
    return {};
  }
  auto source = files_->read(stage_file(), offset);
  if (!source) return source.error();
  reader_ = std::make_unique<CsvReader>(std::move(*source), limits_, offset, line);
  return {};
}

sdk::Result<void> OneRosterSync::load_orgs(std::vector<sdk::RejectedRecord>* rejected) {
  orgs_.clear();
  districts_.clear();
  const FileMode mode = manifest_.mode("orgs.csv");
  if (mode == FileMode::absent) return {};
  std::unique_ptr<CsvReader> reader;
  auto columns = read_header(*files_, "orgs.csv", limits_, &reader);
  if (!columns) return columns.error();
  const std::size_t type_column = columns->type;
  const std::size_t parent_column = columns->parent;
  DigestSet seen;
  CsvRecord record;
  for (;;) {
    auto more = reader->next(record);
    if (!more) return more.error();
    if (!*more) break;
    std::optional<std::string> problem = row_problem(record, *columns, seen, mode);
    if (!problem && !is_org_type(record.field(type_column))) {
      problem = "type is not a OneRoster org type";
    }
    if (problem) {
      if (rejected != nullptr) {
        rejected->push_back({"orgs.csv:" + std::to_string(record.line()), std::move(*problem)});
      }
      continue;
    }
    if (record.field(columns->status) == "tobedeleted") continue;
    if (orgs_.size() >= kMaxOrgs) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "orgs.csv: more organisations than the limit"};
    }
    const std::string_view parent =
        parent_column < record.size() ? record.field(parent_column) : std::string_view{};
    orgs_.emplace(std::string(record.field(columns->sourced_id)),
                  Org{std::string(record.field(type_column)), std::string(parent)});
  }
  for (const auto& [id, org] : orgs_) {
    std::string current = id;
    for (int depth = 0; depth < kMaxOrgDepth; ++depth) {
      auto it = orgs_.find(current);
      if (it == orgs_.end()) break;
      if (it->second.type == "district") {
        districts_.emplace(id, current);
        break;
      }
      if (it->second.parent.empty()) break;
      current = it->second.parent;
    }
  }
  return {};
}

std::optional<std::string> OneRosterSync::district_of(std::string_view org_ids) const {
  while (!org_ids.empty()) {
    const std::size_t comma = org_ids.find(',');
    const std::string_view org = trim(org_ids.substr(0, comma));
    if (auto it = districts_.find(std::string(org)); it != districts_.end()) return it->second;
    if (comma == std::string_view::npos) break;
    org_ids.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

void OneRosterSync::apply(const CsvRecord& record, sdk::SyncBatch& batch) {
  const FileMode mode = manifest_.mode(stage_file());
  if (std::optional<std::string> problem = row_problem(record, columns_, seen_ids_, mode)) {
    batch.rejected.push_back(
        {std::string(stage_file()) + ":" + std::to_string(record.line()), std::move(*problem)});
    return;
  }
  const std::string_view id = record.field(columns_.sourced_id);
  switch (position_.stage) {
    case Stage::users:
      apply_user(record, id, batch);
      break;
    case Stage::classes:
      apply_class(record, id, batch);
      break;
    case Stage::enrollments:
      apply_enrollment(record, id, batch);
      break;
    case Stage::done:
      break;
  }
}

void OneRosterSync::apply_user(const CsvRecord& record, std::string_view id,
                               sdk::SyncBatch& batch) {
  const auto reject = [&](std::string reason) {
    batch.rejected.push_back({"users.csv:" + std::to_string(record.line()), std::move(reason)});
  };
  const auto remove = [&] {
    removed_users_.insert(digest128(id));
    batch.changes.emplace_back(sdk::RosterRemoval{sdk::RosterRecordKind::user, std::string(id)});
  };
  if (record.field(columns_.status) == "tobedeleted") return remove();
  const std::string_view enabled = record.field(columns_.enabled);
  if (!enabled.empty() && enabled != "true" && enabled != "false") {
    return reject("enabledUser is not true or false");
  }
  // A disabled user may not use any system: they leave the roster and their sessions end.
  if (enabled == "false") return remove();
  const std::optional<sdk::Role> role = user_role(record.field(columns_.role));
  if (!role) return reject("role is not a OneRoster user role");

  sdk::ExternalIdentity identity;
  identity.subject = std::string(id);
  identity.role = *role;
  if (columns_.orgs < record.size()) {
    identity.provider_district = district_of(record.field(columns_.orgs));
  }
  const auto typed = [&](std::size_t index, std::optional<std::string>& out) {
    if (index < record.size() && !record.field(index).empty()) {
      out = std::string(record.field(index));
    }
  };
  typed(columns_.given, identity.given_name);
  typed(columns_.middle, identity.middle_name);
  typed(columns_.family, identity.family_name);
  typed(columns_.email, identity.email);
  // Everything else the row carries (username, userIds, identifier, sms, phone, grades,
  // password, agentSourcedIds, 1.2's preferred names and metadata.*) is reported for the
  // core's minimizer to drop.
  for (std::size_t i = 0; i < record.size(); ++i) {
    if (columns_.typed[i] || record.field(i).empty()) continue;
    identity.extra.emplace_hint(identity.extra.end(), columns_.names[i],
                                std::string(record.field(i)));
  }
  batch.changes.emplace_back(sdk::RosterUserUpsert{std::move(identity)});
}

void OneRosterSync::apply_class(const CsvRecord& record, std::string_view id,
                                sdk::SyncBatch& batch) {
  if (record.field(columns_.status) == "tobedeleted") {
    batch.changes.emplace_back(
        sdk::RosterRemoval{sdk::RosterRecordKind::section, std::string(id)});
    return;
  }
  const std::size_t type_column = columns_.class_type;
  if (type_column < record.size()) {
    const std::string_view type = record.field(type_column);
    if (!type.empty() && type != "homeroom" && type != "scheduled") {
      batch.rejected.push_back({"classes.csv:" + std::to_string(record.line()),
                                "classType is not homeroom or scheduled"});
      return;
    }
  }
  batch.changes.emplace_back(sdk::RosterSectionUpsert{
      std::string(id), district_of(record.field(columns_.school))});
}

void OneRosterSync::apply_enrollment(const CsvRecord& record, std::string_view,
                                     sdk::SyncBatch& batch) {
  const auto reject = [&](std::string reason) {
    batch.rejected.push_back(
        {"enrollments.csv:" + std::to_string(record.line()), std::move(reason)});
  };
  const std::string_view section = record.field(columns_.class_id);
  const std::string_view user = record.field(columns_.user_id);
  if (section.empty()) return reject("classSourcedId is empty");
  if (user.empty()) return reject("userSourcedId is empty");
  if (record.field(columns_.status) == "tobedeleted") {
    batch.changes.emplace_back(sdk::RosterRemoval{
        sdk::RosterRecordKind::enrollment, std::string(section) + "/" + std::string(user)});
    return;
  }
  const std::optional<sdk::Role> role = enrollment_role(record.field(columns_.role));
  if (!role) return reject("role is not a OneRoster enrollment role");
  const std::size_t primary_column = columns_.primary;
  if (primary_column < record.size()) {
    const std::string_view primary = record.field(primary_column);
    if (!primary.empty() && primary != "true" && primary != "false") {
      return reject("primary is not true or false");
    }
  }
  if (removed_users_.contains(digest128(user))) {
    return reject("the user is disabled or deleted in this file set");
  }
  batch.changes.emplace_back(
      sdk::RosterEnrollmentUpsert{std::string(section), std::string(user), *role});
}

}  // namespace lmsgw::plugins::oneroster
