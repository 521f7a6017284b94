#include <filesystem>

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

}  // namespace cli
