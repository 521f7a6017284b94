// libFuzzer target for the task.yaml reader (lib/src/project/project.cpp): the file a
// user edits by hand. Besides crashes, hangs (deep nesting, aliases) and sanitizer
// reports, it traps when a promise is broken: every failure names task.yaml with a line
// and column and has a message; what is accepted has a valid name and a command.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "task/project.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto project = task::parse_project(text, "task.yaml");
  if (!project) {
    require(!project.error().message.empty());
    require(project.error().message.starts_with("task.yaml"));
    return 0;
  }
  require(!project->name.empty());
  return 0;
}
