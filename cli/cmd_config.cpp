// config set/unset/list.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

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

// A secret's value, kept out of the command line (shell history, `ps`): typed at a prompt
// that does not echo it, or read whole from a pipe (one trailing newline dropped).
task::Result<std::string> read_secret(Context& ctx, const std::string& key) {
  std::string value;
  if (::isatty(0) == 1) {
    termios saved{};
    const bool quiet = ::tcgetattr(0, &saved) == 0;
    if (quiet) {
      termios silent = saved;
      silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(0, TCSANOW, &silent);
    }
    fmt::print(stderr, "value of {} (not shown): ", key);
    std::fflush(stderr);
    const bool got = static_cast<bool>(std::getline(std::cin, value));
    if (quiet) ::tcsetattr(0, TCSANOW, &saved);
    fmt::print(stderr, "\n");
    if (!got || ctx.interrupted()) return task::fail(task::Errc::interrupted, "no value given; nothing was changed");
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (value.ends_with('\n')) value.pop_back();
    if (value.ends_with('\r')) value.pop_back();
  }
  if (value.empty()) return task::fail(task::Errc::invalid_input, fmt::format("no value for {} was given", key));
  return value;
}

// KEY=VALUE pairs, and with --secret: a KEY without a value is the secret, read from
// standard input; a single KEY=VALUE pair is the secret. --secret never applies to
// several pairs at once.
task::Result<task::Config> pairs_to_set(Context& ctx, const ConfigFlags& o) {
  std::vector<std::string> plain, bare;
  for (const auto& pair : o.pairs) (pair.find('=') == std::string::npos ? bare : plain).push_back(pair);
  if (!bare.empty() && !o.secret) {
    return task::fail(task::Errc::usage, fmt::format("`{}` has no value", bare.front()),
                      fmt::format("give {}=VALUE, or --secret to read a secret's value from standard input", bare.front()));
  }
  if (bare.size() > 1) {
    return task::fail(task::Errc::usage, "one secret from standard input at a time",
                      fmt::format("set {} first, then the others", bare.front()));
  }
  if (o.secret && bare.empty() && plain.size() > 1) {
    return task::fail(task::Errc::usage, "--secret with several KEY=VALUE pairs: which of them is the secret?",
                      "set the secret on its own (`task config set KEY --secret` reads it from standard input), "
                      "the other values without --secret");
  }
  std::vector<std::string> secret;
  if (!bare.empty()) {
    if (!task::is_env_name(bare.front())) return task::parse_config_pairs({bare.front() + "="}, true);  // its error
    auto value = read_secret(ctx, bare.front());
    if (!value) return std::unexpected(value.error());
    secret.push_back(bare.front() + "=" + *value);
  } else if (o.secret) {
    secret = std::move(plain);
    plain.clear();
  }
  auto out = task::parse_config_pairs(plain, false);
  if (!out) return out;
  auto secrets = task::parse_config_pairs(secret, true);
  if (!secrets) return secrets;
  out->insert(secrets->begin(), secrets->end());
  return out;
}

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
    auto parsed = pairs_to_set(ctx, o);
    if (!parsed) return std::unexpected(parsed.error());
    options.set = std::move(*parsed);
  }
  auto result = task::change_config(ctx.workspace(), options);
  if (!result) return std::unexpected(result.error());
  std::string names;
  for (const auto& [key, v] : options.set) names += (names.empty() ? "" : ", ") + key;
  for (const auto& key : options.unset) names += (names.empty() ? "" : ", ") + key;
  if (!result->deployment) {
    ctx.out.essential("").emit({{"task", *name}, {"env", result->env.name}, {"keys", Json(o.pairs.size())}}, [&](std::string& out) {
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
  std::string keys;
  for (const auto& [key, v] : values) keys += key + "\n";
  ctx.out.essential(keys).emit({{"task", *name}, {"env", at->env.name}, {"config", list}}, [&](std::string& out) {
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
      .description = "With --secret, the value is a secret: never printed, masked in run logs. Give the secret's KEY "
                     "without a value and it is read from standard input (a prompt that does not echo, on a "
                     "terminal), so it stays out of the shell's history and `ps`; other KEY=VALUE pairs on the "
                     "line stay plain.",
      .args = {{"KEY=VALUE", "one or more", &cs->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cs->env},
                {"--secret", "", "The KEY given without a value (or the one KEY=VALUE) is a secret", &cs->secret}},
      .examples = {{"task config set TARGET_URL=https://example.org/health", ""},
                   {"task config set GITHUB_TOKEN --secret --env production", "asks for the value, not echoed"},
                   {"printf %s \"$TOKEN\" | task config set API_TOKEN --secret", "from a pipe"}},
      .run = [cs](Context& ctx) { return run_config_change(ctx, *cs, false); },
  });
  auto cu = std::make_shared<ConfigFlags>();
  commands.push_back({
      .words = {"config", "unset"},
      .summary = "Remove configuration keys (a new revision of a deployment there)",
      .args = {{"KEY", "one or more", &cu->pairs, true, Complete::config_keys}},
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
