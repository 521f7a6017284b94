#include "task/version.hpp"

#include <archive.h>
#include <curl/curlver.h>
#include <fmt/core.h>
#include <git2/common.h>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>

namespace task {

VersionInfo version_info(bool components) {
  if (!components) return VersionInfo{TASK_VERSION, {}};
  int major = 0, minor = 0, rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  return VersionInfo{
      TASK_VERSION,
      {
          {"libgit2", fmt::format("{}.{}.{}", major, minor, rev)},
          {"libcurl", LIBCURL_VERSION},
          {"sqlite", sqlite3_libversion()},
          {"libarchive", fmt::format("{}.{}.{}", archive_version_number() / 1000000,
                                     archive_version_number() / 1000 % 1000, archive_version_number() % 1000)},
          {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                              FMT_VERSION % 100)},
      }};
}

}  // namespace task
