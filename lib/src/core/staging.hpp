#pragma once
// A new directory that appears whole or not at all: files are written into a hidden
// sibling of the target, which is renamed into place at the end. `task init` and
// `task connect` make their projects this way.
#include <filesystem>
#include <string>
#include <string_view>

#include "task/error.hpp"

namespace task {

// The target must be absent or an empty directory. `command` names the command in the
// hint ("task init never overwrites files; …").
Result<void> check_target_free(const std::filesystem::path& target, std::string_view command);

// Writes `content` to `path`, creating its parent directories, then sets `perms`.
Result<void> write_text_file(const std::filesystem::path& path, const std::string& content,
                             std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write |
                                                            std::filesystem::perms::group_read |
                                                            std::filesystem::perms::others_read);

class StagedDirectory {
 public:
  // Checks the target and makes the hidden sibling `.<name>.<purpose>-XXXXXX` next to it.
  static Result<StagedDirectory> begin(const std::filesystem::path& target,
                                       std::string_view command, std::string_view purpose);

  StagedDirectory(StagedDirectory&& other) noexcept;
  StagedDirectory& operator=(StagedDirectory&&) = delete;
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  ~StagedDirectory();  // removes the staging directory unless it was committed

  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }

  // Renames the staging directory onto the target. rename(2) replaces an empty directory
  // atomically and refuses a non-empty one, so a directory filled meanwhile is never
  // overwritten.
  Result<void> commit();

 private:
  StagedDirectory(std::filesystem::path target, std::filesystem::path staging)
      : target_(std::move(target)), staging_(std::move(staging)) {}
  std::filesystem::path target_;
  std::filesystem::path staging_;
};

}  // namespace task
