// `task __complete KIND -- WORDS...`: what a shell offers for a value, from what exists
// now. WORDS are the command line before the cursor; --task, --env and -C in them say which
// task and environment the values belong to, as they would for the command itself. One
// candidate per line, a tab and a description after it; nothing (and exit 0) where there
// is nothing to offer or the platform cannot be asked.
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "app.hpp"
#include "command.hpp"
#include "platform.hpp"
#include "task/deploy.hpp"
#include "task/runs.hpp"
#include "task/scaffold.hpp"

namespace cli {

namespace {

struct CompleteOptions {
  std::string what;
  std::vector<std::string> words;
};

// The value of a flag in the words: "--env production" or "--env=production" (which bash
// hands over as three words, "=" being one of its word breaks).
std::string flag_value(const std::vector<std::string>& words, std::string_view name) {
  std::string found;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == name && i + 2 < words.size() && words[i + 1] == "=") {
      found = words[i + 2];
    } else if (words[i] == name && i + 1 < words.size()) {
      found = words[i + 1];
    }
    if (words[i].starts_with(std::string(name) + "=")) found = words[i].substr(name.size() + 1);
  }
  return found;
}

// One candidate a line, its description after a tab: neither may hold a line break or tab.
void offer(std::string value, std::string description) {
  for (auto* text : {&value, &description}) {
    for (char& c : *text) {
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    }
  }
  std::printf("%s\t%s\n", value.c_str(), description.c_str());
}

task::Result<void> complete(Context& ctx, const CompleteOptions& o) {
  if (o.what == "templates") {
    auto templates = task::list_templates(ctx.paths.templates);
    if (!templates) return std::unexpected(templates.error());
    for (const auto& t : *templates) offer(t.name, t.summary);
    return {};
  }
  if (auto dir = flag_value(o.words, "-C"); !dir.empty()) {
    std::error_code ec;
    std::filesystem::current_path(dir, ec);
  }
  if (auto named = flag_value(o.words, "--task"); !named.empty()) set_named_task(named);
  const std::string env = flag_value(o.words, "--env");
  auto& ws = ctx.workspace();
  if (o.what == "environments") {
    auto envs = ws.environments();
    if (!envs) return std::unexpected(envs.error());
    for (const auto& e : *envs) offer(e.name, e.platform);
    return {};
  }
  if (o.what == "tasks") {
    auto platforms = ws.platforms();
    if (!platforms) return std::unexpected(platforms.error());
    std::map<std::string, std::string> tasks;  // name -> its environments
    for (auto* platform : *platforms) {
      auto deployments = platform->deployments({});
      if (!deployments) continue;
      for (const auto& d : *deployments) tasks[d.task] += (tasks[d.task].empty() ? "" : ", ") + d.env;
    }
    for (const auto& [name, envs] : tasks) offer(name, envs);
    return {};
  }
  const std::string task_name = project_task();
  if (task_name.empty()) return {};
  if (o.what == "builds") {
    auto ledger = ws.builds();
    if (!ledger) return std::unexpected(ledger.error());
    auto builds = (*ledger)->list_builds(task_name, 30);
    if (!builds) return std::unexpected(builds.error());
    for (const auto& b : *builds) {
      offer(std::to_string(b.id), fmt::format("{} {}, {}", task::to_string(b.status), b.commit.substr(0, 12), age(b.started_at, ctx.now())));
    }
    return {};
  }
  if (o.what == "runs") {
    auto runs = task::list_runs(ws, {task_name, env, 30, {}, {}, {}});
    if (!runs) return std::unexpected(runs.error());
    for (const auto& r : *runs) {
      offer(r.id, fmt::format("{} {}, {}", r.env, task::to_string(r.outcome), age(r.scheduled_at, ctx.now())));
    }
    return {};
  }
  auto at = task::locate(ws, task_name, env);
  if (!at) return std::unexpected(at.error());
  if (o.what == "revisions") {
    auto revisions = at->platform->revisions(at->key);
    if (!revisions) return std::unexpected(revisions.error());
    for (const auto& r : *revisions) offer(std::to_string(r.number), fmt::format("{}, {}", r.schedule, r.image.ref));
    return {};
  }
  if (o.what == "config-keys") {
    auto current = at->platform->current(at->key);
    if (!current) return std::unexpected(current.error());
    for (const auto& [key, value] : current->config) offer(key, value.secret ? std::string("secret") : value.value.substr(0, 40));
  }
  return {};
}

}  // namespace

void add_complete_command(Commands& commands) {
  auto o = std::make_shared<CompleteOptions>();
  commands.push_back({
      .words = {"__complete"},
      .summary = "Print what a shell may offer for a value, one per line",
      .args = {{"KIND", "templates, tasks, environments, runs, builds, revisions or config-keys", &o->what},
               {"WORDS", "the command line before the cursor", &o->words, false}},
      .run = [o](Context& ctx) -> task::Result<void> {
        (void)complete(ctx, *o);  // a completion offers nothing rather than an error
        return {};
      },
      .hidden = true,
  });
}

}  // namespace cli
