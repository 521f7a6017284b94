#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/version.hpp"

namespace cli {

void add_version_commands(Commands& commands) {
  commands.push_back({
      .words = {"version"},
      .summary = "Print the version of task and of the libraries it uses",
      .examples = {{"task version", ""}, {"task version -o json | jq -r .version", "just the number"}},
      .run = [](Context& ctx) -> task::Result<void> {
        // The libraries' versions load them (cmake/lazy_libs.cmake): only when shown.
        const bool components = ctx.globals.verbose || ctx.globals.output != "table";
        auto info = task::version_info(components);
        nlohmann::json data{{"version", info.version}, {"components", nlohmann::json::object()}};
        for (const auto& c : info.components) data["components"][c.name] = c.version;
        ctx.out.essential(info.version).emit(data, [&](std::string& out) {
          out += fmt::format("task {}\n", info.version);
          if (ctx.globals.verbose) {
            for (const auto& c : info.components) out += fmt::format("  {:<11} {}\n", c.name, c.version);
          }
        });
        return {};
      },
  });
}

}  // namespace cli
