#include "task/store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include "store/sqlite.hpp"
#include "store/store_impl.hpp"

namespace task {
namespace fs = std::filesystem;

std::string_view to_string(BuildStatus status) {
  switch (status) {
    case BuildStatus::running: return "running";
    case BuildStatus::succeeded: return "succeeded";
    case BuildStatus::failed: return "failed";
    case BuildStatus::cancelled: return "cancelled";
  }
  return "running";
}

namespace {

BuildStatus build_status_from(std::string_view text) {
  if (text == "succeeded") return BuildStatus::succeeded;
  if (text == "failed") return BuildStatus::failed;
  if (text == "cancelled") return BuildStatus::cancelled;
  return BuildStatus::running;
}

// Forward-only migrations: entry i takes the schema from version i to i + 1. Never edit
// a shipped entry; append a new one. Deployments, revisions, runs and events come as
// later entries, keyed by task name and environment like builds are by task name.
const char* const migrations[] = {
    R"sql(
CREATE TABLE builds (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task         TEXT NOT NULL,
  project_dir  TEXT NOT NULL,
  commit_id    TEXT NOT NULL,
  dirty        INTEGER NOT NULL DEFAULT 0,
  source_url   TEXT NOT NULL DEFAULT '',
  image_ref    TEXT NOT NULL DEFAULT '',
  image_id     TEXT NOT NULL DEFAULT '',
  pushed_ref   TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  error        TEXT NOT NULL DEFAULT '',
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE INDEX builds_by_task ON builds (task, id DESC);
)sql",
    store_detail::platform_schema,
    store_detail::observe_schema,
};
}  // namespace
const int store_detail::latest_schema = static_cast<int>(std::size(migrations));
namespace {

constexpr const char* build_columns =
    "id, task, project_dir, commit_id, dirty, source_url, image_ref, image_id, pushed_ref, status, error, "
    "started_at, finished_at";

}  // namespace

const char* store_detail::migration(int version) { return migrations[version]; }

BuildRecord Store::Impl::read_build(const sqlite::Statement& s) const {
  BuildRecord b;
  b.id = s.integer(0);
  b.task = s.text(1);
  b.project_dir = s.text(2);
  b.commit = s.text(3);
  b.dirty = s.integer(4) != 0;
  b.source_url = s.text(5);
  b.image_ref = s.text(6);
  b.image_id = s.text(7);
  b.pushed_ref = s.text(8);
  b.status = build_status_from(s.text(9));
  b.error = s.text(10);
  b.started_at = Timestamp(std::chrono::milliseconds(s.integer(11)));
  if (!s.is_null(12)) b.finished_at = Timestamp(std::chrono::milliseconds(s.integer(12)));
  b.log_path = build_log(b.id);
  return b;
}

Result<void> Store::Impl::migrate() {
  sqlite::Statement get(db.get(), "PRAGMA user_version");
  auto row = get.step();
  if (!row) return std::unexpected(row.error());
  version = static_cast<int>(get.integer(0));
  if (version > store_detail::latest_schema) {
    return fail(Errc::conflict,
                fmt::format("the state database in {} has schema version {}, newer than this task knows ({})",
                            dir.string(), version, store_detail::latest_schema),
                "upgrade task, or point TASK_HOME elsewhere");
  }
  while (version < store_detail::latest_schema) {
    sqlite::Transaction tx(db.get());
    if (auto b = tx.begun(); !b) return b;
    // Re-read inside the lock: another process may have migrated meanwhile.
    sqlite::Statement again(db.get(), "PRAGMA user_version");
    if (auto r = again.step(); !r) return std::unexpected(r.error());
    version = static_cast<int>(again.integer(0));
    if (version >= store_detail::latest_schema) break;
    if (auto r = sqlite::exec(db.get(), store_detail::migration(version)); !r) return r;
    if (auto r = sqlite::exec(db.get(), fmt::format("PRAGMA user_version = {}", version + 1).c_str()); !r) return r;
    if (auto r = tx.commit(); !r) return r;
    ++version;
  }
  return {};
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

int Store::schema_version() const { return impl_->version; }
const fs::path& Store::state_dir() const { return impl_->dir; }

Result<Store> Store::open(const fs::path& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir / "builds", ec);
  if (!ec) fs::create_directories(state_dir / "runs", ec);
  if (ec) {
    return fail(Errc::io, fmt::format("cannot create the state directory {}: {}", state_dir.string(), ec.message()),
                "set TASK_HOME to a writable directory");
  }
  // State holds secrets later on: only the owner may enter.
  ::chmod(state_dir.c_str(), 0700);
  auto impl = std::make_unique<Impl>();
  impl->dir = state_dir;
  sqlite3* raw = nullptr;
  auto path = state_dir / "task.db";
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite::error_of(raw, fmt::format("cannot open {}", path.string())));
  ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(raw, 10000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
                             // Statement journals (every write inside a transaction has one) and
                             // sorts stay in memory rather than in temporary files.
                             "PRAGMA temp_store = MEMORY"}) {
    if (auto r = sqlite::exec(raw, pragma); !r) return std::unexpected(r.error());
  }
  if (auto r = impl->migrate(); !r) return std::unexpected(r.error());
  return Store(std::move(impl));
}

Result<BuildRecord> Store::begin_build(const NewBuild& build) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("INSERT INTO builds (task, project_dir, commit_id, dirty, source_url, status, started_at)"
                                  " VALUES (?, ?, ?, ?, ?, 'running', ?) RETURNING {}",
                                  build_columns));
  s.bind(1, build.task).bind(2, build.project_dir).bind(3, build.commit).bind(4, std::int64_t{build.dirty})
      .bind(5, build.source_url).bind(6, static_cast<std::int64_t>(build.started_at.time_since_epoch().count()));
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  auto record = impl_->read_build(s);
  if (auto done = s.step(); !done) return std::unexpected(done.error());
  return record;
}

Result<std::int64_t> Store::count_dirty_builds(const std::string& task, const std::string& commit) {
  sqlite::Statement s(impl_->db.get(), "SELECT count(*) FROM builds WHERE task = ? AND commit_id = ? AND dirty = 1");
  s.bind(1, task).bind(2, commit);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  return s.integer(0);
}

Result<void> Store::set_build_image_ref(std::int64_t id, const std::string& image_ref) {
  sqlite::Statement s(impl_->db.get(), "UPDATE builds SET image_ref = ? WHERE id = ?");
  return s.bind(1, image_ref).bind(2, id).run();
}

Result<void> Store::finish_build(std::int64_t id, BuildStatus status, const std::string& image_id,
                                 const std::string& error, Timestamp finished_at) {
  sqlite::Statement s(impl_->db.get(),
                      "UPDATE builds SET status = ?, image_id = ?, error = ?, finished_at = ? WHERE id = ?");
  return s.bind(1, to_string(status)).bind(2, image_id).bind(3, error)
      .bind(4, static_cast<std::int64_t>(finished_at.time_since_epoch().count())).bind(5, id).run();
}

Result<void> Store::set_build_pushed(std::int64_t id, const std::string& pushed_ref) {
  sqlite::Statement s(impl_->db.get(), "UPDATE builds SET pushed_ref = ? WHERE id = ?");
  return s.bind(1, pushed_ref).bind(2, id).run();
}

Result<std::vector<BuildRecord>> Store::list_builds(const std::string& task, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM builds WHERE (?1 = '' OR task = ?1) ORDER BY id DESC LIMIT ?2",
                                  build_columns));
  s.bind(1, task).bind(2, static_cast<std::int64_t>(limit));
  std::vector<BuildRecord> out;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(impl_->read_build(s));
  }
  return out;
}

Result<BuildRecord> Store::get_build(std::int64_t id) {
  sqlite::Statement s(impl_->db.get(), fmt::format("SELECT {} FROM builds WHERE id = ?", build_columns));
  s.bind(1, id);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(Errc::not_found, fmt::format("no build {}", id), "`task builds` lists the builds");
  return impl_->read_build(s);
}

Result<BuildRecord> Store::latest_build(const std::string& task, bool succeeded_only) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM builds WHERE task = ? AND (? = 0 OR status = 'succeeded') "
                                  "ORDER BY id DESC LIMIT 1",
                                  build_columns));
  s.bind(1, task).bind(2, std::int64_t{succeeded_only});
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return fail(Errc::not_found, fmt::format("{} has no {}build yet", task, succeeded_only ? "successful " : ""),
                "run `task build`");
  }
  return impl_->read_build(s);
}

}  // namespace task
