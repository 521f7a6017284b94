#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/doctor.hpp"

namespace cli {

void add_doctor_commands(Commands& commands) {
  commands.push_back({
      .words = {"doctor"},
      .summary = "Check the Docker engine, Git, the state directory, the templates and each platform",
      .description = "Says what is wrong and how to fix it; exits 1 when any check fails. Each platform the "
                     "environments are bound to adds its own checks (the local platform: its agent).",
      .examples = {{"task doctor", ""}, {"task doctor -o json | jq '.checks[] | select(.ok | not)'", ""}},
      .run = [](Context& ctx) -> task::Result<void> {
        auto checks = task::run_checks(ctx.paths, ctx.env);
        if (auto platforms = ctx.workspace().platforms()) {
          for (auto* platform : *platforms) {
            for (auto& c : platform->checks()) checks.push_back(std::move(c));
          }
        }
        nlohmann::json list = nlohmann::json::array();
        bool all_ok = true;
        for (const auto& c : checks) {
          list.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}, {"fix", c.fix}});
          all_ok = all_ok && c.ok;
        }
        ctx.out.emit({{"ok", all_ok}, {"checks", list}}, [&](std::string& out) {
          for (const auto& c : checks) {
            out += fmt::format("{} {:<10} {}\n", c.ok ? ctx.out.paint(Style::success, "ok ") : ctx.out.paint(Style::failure, "bad"),
                               c.name, c.detail);
            if (!c.fix.empty()) out += fmt::format("    {} {}\n", ctx.out.paint(Style::muted, "fix:"), c.fix);
          }
        });
        if (!all_ok) return task::fail(task::Errc::failure, "some checks failed", "see the fixes above");
        return {};
      },
  });
}

}  // namespace cli
