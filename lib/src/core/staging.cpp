#include "core/staging.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "task/text.hpp"

namespace task {
namespace fs = std::filesystem;

Result<void> check_target_free(const fs::path& target, std::string_view command) {
  std::error_code ec;
  auto status = fs::status(target, ec);
  if (!fs::exists(status)) return {};
  if (!fs::is_directory(status)) {
    return fail(Errc::conflict, fmt::format("{} exists and is not a directory", target.string()),
                "choose another place with --dir");
  }
  std::vector<std::string> in_the_way;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    in_the_way.push_back(entry.path().filename().string());
  }
  if (ec) return fail(Errc::io, fmt::format("cannot read {}: {}", target.string(), ec.message()));
  if (in_the_way.empty()) return {};
  std::sort(in_the_way.begin(), in_the_way.end());
  std::size_t shown = std::min<std::size_t>(in_the_way.size(), 8);
  std::vector<std::string> listed(in_the_way.begin(),
                                  in_the_way.begin() + static_cast<long>(shown));
  if (shown < in_the_way.size())
    listed.push_back(fmt::format("and {} more", in_the_way.size() - shown));
  return fail(Errc::conflict,
              fmt::format("{} is not empty: {} in the way", target.string(), join(listed, ", ")),
              fmt::format("{} never overwrites files; choose an empty or new directory with --dir",
                          command));
}

Result<void> write_text_file(const fs::path& path, const std::string& content, fs::perms perms) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (ec || !out)
    return fail(Errc::io, fmt::format("cannot write {}", path.string()), "is the disk full?");
  fs::permissions(path, perms, ec);
  return {};
}

Result<StagedDirectory> StagedDirectory::begin(const fs::path& target, std::string_view command,
                                               std::string_view purpose) {
  if (auto clear = check_target_free(target, command); !clear)
    return std::unexpected(clear.error());
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  auto pattern =
      (target.parent_path() / fmt::format(".{}.{}-XXXXXX", target.filename().string(), purpose))
          .string();
  if (!mkdtemp(pattern.data())) {
    return fail(Errc::io,
                fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)),
                fmt::format("check that {} exists and is writable", target.parent_path().string()));
  }
  // mkdtemp makes it 0700; a project directory is an ordinary one.
  fs::permissions(pattern,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  return StagedDirectory(target, pattern);
}

StagedDirectory::StagedDirectory(StagedDirectory&& other) noexcept
    : target_(std::move(other.target_)), staging_(std::move(other.staging_)) {
  other.staging_.clear();
}

StagedDirectory::~StagedDirectory() {
  if (staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

Result<void> StagedDirectory::commit() {
  std::error_code ec;
  fs::rename(staging_, target_, ec);
  if (ec) {
    return fail(
        Errc::conflict,
        fmt::format("cannot move the new project to {}: {}", target_.string(), ec.message()),
        "is the directory in use or no longer empty?");
  }
  staging_.clear();
  return {};
}

}  // namespace task
