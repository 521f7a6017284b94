// The build ledger: every build of this machine, its image and its log (migration 1).
#include "task/builds.hpp"

#include <fmt/format.h>

#include "state/database.hpp"

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

constexpr const char* build_columns =
    "id, task, project_dir, commit_id, dirty, source_url, image_ref, image_id, pushed_ref, status, error, "
    "started_at, finished_at";

BuildRecord read_build(const fs::path& dir, const sqlite::Statement& s) {
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
  b.log_path = dir / "builds" / fmt::format("{}.log", b.id);
  return b;
}

}  // namespace

struct BuildLedger::Impl : state::Database {};

BuildLedger::BuildLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BuildLedger::BuildLedger(BuildLedger&&) noexcept = default;
BuildLedger& BuildLedger::operator=(BuildLedger&&) noexcept = default;
BuildLedger::~BuildLedger() = default;

Result<BuildLedger> BuildLedger::open(const fs::path& state_dir) {
  auto impl = state::open_as<Impl>(state_dir);
  if (!impl) return std::unexpected(impl.error());
  return BuildLedger(std::move(*impl));
}

Result<BuildRecord> BuildLedger::begin_build(const NewBuild& build) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("INSERT INTO builds (task, project_dir, commit_id, dirty, source_url, status, started_at)"
                                  " VALUES (?, ?, ?, ?, ?, 'running', ?) RETURNING {}",
                                  build_columns));
  s.bind(1, build.task).bind(2, build.project_dir).bind(3, build.commit).bind(4, std::int64_t{build.dirty})
      .bind(5, build.source_url).bind(6, static_cast<std::int64_t>(build.started_at.time_since_epoch().count()));
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  auto record = read_build(impl_->dir, s);
  if (auto done = s.step(); !done) return std::unexpected(done.error());
  return record;
}

Result<std::int64_t> BuildLedger::count_dirty_builds(const std::string& task, const std::string& commit) {
  sqlite::Statement s(impl_->db.get(), "SELECT count(*) FROM builds WHERE task = ? AND commit_id = ? AND dirty = 1");
  s.bind(1, task).bind(2, commit);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  return s.integer(0);
}

Result<void> BuildLedger::set_build_image_ref(std::int64_t id, const std::string& image_ref) {
  sqlite::Statement s(impl_->db.get(), "UPDATE builds SET image_ref = ? WHERE id = ?");
  return s.bind(1, image_ref).bind(2, id).run();
}

Result<void> BuildLedger::finish_build(std::int64_t id, BuildStatus status, const std::string& image_id,
                                 const std::string& error, Timestamp finished_at) {
  sqlite::Statement s(impl_->db.get(),
                      "UPDATE builds SET status = ?, image_id = ?, error = ?, finished_at = ? WHERE id = ?");
  return s.bind(1, to_string(status)).bind(2, image_id).bind(3, error)
      .bind(4, static_cast<std::int64_t>(finished_at.time_since_epoch().count())).bind(5, id).run();
}

Result<void> BuildLedger::set_build_pushed(std::int64_t id, const std::string& pushed_ref) {
  sqlite::Statement s(impl_->db.get(), "UPDATE builds SET pushed_ref = ? WHERE id = ?");
  return s.bind(1, pushed_ref).bind(2, id).run();
}

Result<std::vector<BuildRecord>> BuildLedger::list_builds(const std::string& task, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM builds WHERE (?1 = '' OR task = ?1) ORDER BY id DESC LIMIT ?2",
                                  build_columns));
  s.bind(1, task).bind(2, static_cast<std::int64_t>(limit));
  std::vector<BuildRecord> out;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_build(impl_->dir, s));
  }
  return out;
}

Result<BuildRecord> BuildLedger::get_build(std::int64_t id) {
  sqlite::Statement s(impl_->db.get(), fmt::format("SELECT {} FROM builds WHERE id = ?", build_columns));
  s.bind(1, id);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(Errc::not_found, fmt::format("no build {}", id), "`task builds` lists the builds");
  return read_build(impl_->dir, s);
}

Result<BuildRecord> BuildLedger::latest_build(const std::string& task, bool succeeded_only) {
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
  return read_build(impl_->dir, s);
}


Result<std::optional<BuildRecord>> BuildLedger::build_for_commit(const std::string& task, const std::string& commit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM builds WHERE task = ? AND commit_id = ? AND dirty = 0 AND status = "
                                  "'succeeded' ORDER BY id DESC LIMIT 1",
                                  build_columns));
  s.bind(1, task).bind(2, commit);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<BuildRecord>{};
  return std::optional<BuildRecord>{read_build(impl_->dir, s)};
}

}  // namespace task
