#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "command.hpp"

namespace cli {

task::Workspace& Context::workspace() {
  if (!workspace_) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    workspace_.emplace(task::WorkspaceOptions{paths.state, env, ec ? std::filesystem::path{} : self,
                                              [this] { return now_ms(); }});
  }
  return *workspace_;
}

int Context::finish_output() {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return 0;
  const int error = errno;  // 0 when an earlier write failed: its errno is gone
  if (error == EPIPE) return 141;
  out.error({task::Errc::io,
             error == 0 ? std::string("cannot write the output") : fmt::format("cannot write the output: {}", std::strerror(error)),
             "is the disk full? write the output somewhere with room"});
  return static_cast<int>(task::Errc::io);
}

}  // namespace cli
