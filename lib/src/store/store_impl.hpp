#pragma once
// The store's connection and the helpers its source files share.
#include <filesystem>

#include <fmt/format.h>

#include "store/sqlite.hpp"
#include "task/store.hpp"

namespace task {

namespace store_detail {
extern const int latest_schema;
extern const char* const platform_schema;  // migration 2: environments, deployments, runs
extern const char* const observe_schema;   // migration 3: stats index, kept run records, notices
const char* migration(int version);        // takes the schema from `version` to version + 1
inline std::int64_t millis(Timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }
}  // namespace store_detail

namespace fs = std::filesystem;

struct Store::Impl {
  fs::path dir;
  sqlite::Connection db;
  int version = 0;

  fs::path build_log(std::int64_t id) const { return dir / "builds" / fmt::format("{}.log", id); }

  BuildRecord read_build(const sqlite::Statement& s) const;  // a row of build_columns

  Result<void> migrate();
  fs::path run_log(std::int64_t id) const { return dir / "runs" / fmt::format("{}.log", id); }
};


}  // namespace task
