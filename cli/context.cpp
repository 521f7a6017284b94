#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include <unistd.h>

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

task::Result<void> Context::confirm(const std::string& question, const std::string& without_asking) {
  if (::isatty(0) != 1 || ::isatty(2) != 1) {
    return task::fail(task::Errc::usage, question.substr(0, question.find('?')) + ": not asked, as this is no terminal",
                      fmt::format("add {} to do it without asking", without_asking));
  }
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  const bool got = static_cast<bool>(std::getline(std::cin, answer));
  if (got && (answer == "y" || answer == "Y" || answer == "yes")) return {};
  if (!got) fmt::print(stderr, "\n");
  return task::fail(task::Errc::interrupted, "not confirmed; nothing was changed");
}

}  // namespace cli
