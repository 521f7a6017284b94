#pragma once
// The build ledger: every build of this machine (DESIGN §1), whichever platform its image
// is deployed to. Immutable once finished, apart from where the image was pushed.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"
#include "task/time.hpp"

namespace task {

enum class BuildStatus { running, succeeded, failed, cancelled };
std::string_view to_string(BuildStatus);

struct BuildRecord {
  std::int64_t id = 0;
  std::string task;          // the task's name
  std::string project_dir;   // absolute path of the project built
  std::string commit;        // full commit id of the source
  bool dirty = false;        // the work tree had uncommitted changes
  std::string source_url;    // remote URL for a connected repository; "" for a local tree
  std::string image_ref;     // task/<name>:<commit12>[-dirty.N]
  std::string image_id;      // sha256:… once built
  std::string pushed_ref;    // registry reference once pushed, with its digest
  BuildStatus status = BuildStatus::running;
  std::string error;         // why it failed, for failed and cancelled builds
  Timestamp started_at{};
  std::optional<Timestamp> finished_at;
  std::filesystem::path log_path;  // the full build log
};

struct NewBuild {
  std::string task;
  std::string project_dir;
  std::string commit;
  bool dirty = false;
  std::string source_url;
  Timestamp started_at{};
};

class BuildLedger {
 public:
  // Opens the state database under `state_dir` (DESIGN §6), creating and migrating it.
  static Result<BuildLedger> open(const std::filesystem::path& state_dir);

  BuildLedger(BuildLedger&&) noexcept;
  BuildLedger& operator=(BuildLedger&&) noexcept;
  ~BuildLedger();

  // A running build with its id and log path; the caller writes the log file.
  Result<BuildRecord> begin_build(const NewBuild& build);
  // How many builds of `task` for `commit` (dirty ones) exist: numbers dirty image tags.
  Result<std::int64_t> count_dirty_builds(const std::string& task, const std::string& commit);
  Result<void> set_build_image_ref(std::int64_t id, const std::string& image_ref);
  Result<void> finish_build(std::int64_t id, BuildStatus status, const std::string& image_id,
                            const std::string& error, Timestamp finished_at);
  Result<void> set_build_pushed(std::int64_t id, const std::string& pushed_ref);
  // Newest first; `task` "" means every task.
  Result<std::vector<BuildRecord>> list_builds(const std::string& task, std::size_t limit);
  Result<BuildRecord> get_build(std::int64_t id);
  // The newest build of `task`, optionally only successful ones.
  Result<BuildRecord> latest_build(const std::string& task, bool succeeded_only);
  // The newest successful build of `task` made from `commit` with a clean tree.
  Result<std::optional<BuildRecord>> build_for_commit(const std::string& task, const std::string& commit);

 private:
  struct Impl;
  explicit BuildLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace task
