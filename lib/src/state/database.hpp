#pragma once
// The state database under $TASK_HOME (DESIGN §6): opened (created with mode 0700 when
// needed) and migrated to the newest schema. A database newer than this task is refused,
// not damaged. Several task processes may use it at once: they wait on each other's
// locks, up to a busy timeout, rather than fail.
#include <filesystem>
#include <memory>

#include "state/sqlite.hpp"
#include "task/error.hpp"
#include "task/time.hpp"

namespace task::state {

struct Database {
  std::filesystem::path dir;
  sqlite::Connection db;
  int version = 0;
  sqlite::StatementCache statements;  // after `db`: finalized before it closes
};

Result<Database> open_database(const std::filesystem::path& state_dir);

// The state of an object kept in the database (its `Impl`, a Database with more), opened.
template <class Impl>
Result<std::unique_ptr<Impl>> open_as(const std::filesystem::path& state_dir) {
  auto database = open_database(state_dir);
  if (!database) return std::unexpected(database.error());
  auto impl = std::make_unique<Impl>();
  static_cast<Database&>(*impl) = std::move(*database);
  return impl;
}
int latest_schema_version();

inline std::int64_t millis(Timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

}  // namespace task::state
