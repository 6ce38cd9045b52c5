// The embedded default backend: one SQLite file in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "lmsgw/sdk/result.h"
#include "store/account_store.h"

namespace lmsgw::store {

struct SqliteOptions {
  std::string path;
  // Applies pending migrations on open; lmsgwctl can also run them alone.
  bool migrate = true;
  int busy_timeout_ms = 5'000;
  // SQLite's own mutex around every call; a caller that serialises its use of the connection
  // itself (the roster store) saves a lock per call.
  bool serialized = true;
};

// The schema version this build writes and reads.
int sqlite_latest_schema_version() noexcept;

// Opens the database, sets WAL, foreign keys and secure_delete, and migrates. Refuses a
// database whose schema is newer than this build knows. With `migrate` false it neither
// creates a missing file nor migrates: a database that needs migration is refused
// ("run lmsgwctl migrate").
sdk::Result<std::unique_ptr<AccountStore>> open_sqlite_store(const SqliteOptions& options);

}  // namespace lmsgw::store
