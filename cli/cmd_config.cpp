// config set/unset/list.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "task/name.hpp"
#include "task/project.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

struct ConfigFlags {
  std::string env;
  bool secret = false;
  bool reveal = false;
  std::vector<std::string> pairs;
};

task::Result<void> run_config_change(Context& ctx, const ConfigFlags& o, bool unset) {
  if (o.pairs.empty()) {
    return task::fail(task::Errc::usage, unset ? "give the keys to unset" : "give KEY=VALUE pairs",
                      unset ? "e.g. task config unset TARGET_URL" : "e.g. task config set TARGET_URL=https://example.org");
  }
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  task::ConfigOptions options{*name, o.env, {}, {}};
  if (unset) {
    for (const auto& key : o.pairs) {
      if (!task::is_env_name(key)) {
        return task::fail(task::Errc::invalid_input, fmt::format("`{}` is not a valid environment variable name", key));
      }
      options.unset.push_back(key);
    }
  } else {
    auto parsed = task::parse_config_pairs(o.pairs, o.secret);
    if (!parsed) return std::unexpected(parsed.error());
    options.set = std::move(*parsed);
  }
  auto result = task::change_config(ctx.workspace(), options);
  if (!result) return std::unexpected(result.error());
  std::string names;
  for (const auto& [key, v] : options.set) names += (names.empty() ? "" : ", ") + key;
  for (const auto& key : options.unset) names += (names.empty() ? "" : ", ") + key;
  if (!result->deployment) {
    ctx.out.emit({{"task", *name}, {"env", result->env.name}, {"keys", Json(o.pairs.size())}}, [&](std::string& out) {
      out += fmt::format("{} {} for {} in {}; it applies from its first deploy there\n",
                         ctx.out.paint(Style::success, unset ? "Unset" : "Set"), names, *name, result->env.name);
    });
    return {};
  }
  if (!result->deployment->changed) {
    ctx.out.note("the configuration is unchanged");
    return {};
  }
  return print_revision(ctx, *result->deployment, "Configured");
}

task::Result<void> run_config_list(Context& ctx, const ConfigFlags& o) {
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  auto at = task::locate(ctx.workspace(), *name, o.env);
  if (!at) return std::unexpected(at.error());
  auto current = at->platform->current(at->key);
  if (!current) return std::unexpected(current.error());
  const auto& values = current->config;
  auto shown = [&](const task::ConfigValue& v) { return v.secret && !o.reveal ? std::string("****") : v.value; };
  Json list = Json::array();
  for (const auto& [key, v] : values) list.push_back({{"key", key}, {"value", shown(v)}, {"secret", v.secret}});
  ctx.out.emit({{"task", *name}, {"env", at->env.name}, {"config", list}}, [&](std::string& out) {
    if (values.empty()) {
      out += fmt::format("no configuration for {} in {}: `task config set KEY=VALUE --env {}`\n", *name, at->env.name,
                         at->env.name);
      return;
    }
    Table table({"KEY", "VALUE", "SECRET"});
    for (const auto& [key, v] : values) table.add({key, shown(v), v.secret ? "yes" : ""});
    table.render(out, ctx.out);
  });
  return {};
}

}  // namespace

void add_config_commands(Commands& commands) {
  commands.push_back({.words = {"config"}, .summary = "Per-environment configuration and secrets, given to runs as environment variables"});
  auto cs = std::make_shared<ConfigFlags>();
  commands.push_back({
      .words = {"config", "set"},
      .summary = "Set configuration values (a new revision of a deployment there)",
      .args = {{"KEY=VALUE", "one or more", &cs->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cs->env},
                {"--secret", "", "Secret values: never printed, masked in run logs", &cs->secret}},
      .examples = {{"task config set TARGET_URL=https://example.org/health", ""},
                   {"task config set GITHUB_TOKEN=ghp_… --secret --env production", ""}},
      .run = [cs](Context& ctx) { return run_config_change(ctx, *cs, false); },
  });
  auto cu = std::make_shared<ConfigFlags>();
  commands.push_back({
      .words = {"config", "unset"},
      .summary = "Remove configuration keys (a new revision of a deployment there)",
      .args = {{"KEY", "one or more", &cu->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cu->env}},
      .examples = {{"task config unset TARGET_URL", ""}},
      .run = [cu](Context& ctx) { return run_config_change(ctx, *cu, true); },
  });
  auto cl = std::make_shared<ConfigFlags>();
  commands.push_back({
      .words = {"config", "list"},
      .summary = "The configuration of an environment; secrets as ****",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cl->env},
                {"--reveal", "", "Show secret values too", &cl->reveal}},
      .examples = {{"task config list --env production", ""}},
      .run = [cl](Context& ctx) { return run_config_list(ctx, *cl); },
  });
}

}  // namespace cli
