#include "task/project.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "task/duration.hpp"
#include "task/name.hpp"
#include "task/schedule.hpp"
#include "task/text.hpp"

namespace task {

std::string_view to_string(Concurrency value) {
  switch (value) {
    case Concurrency::allow: return "allow";
    case Concurrency::forbid: return "forbid";
    case Concurrency::replace: return "replace";
  }
  return "forbid";
}

std::string_view to_string(CatchUp value) {
  switch (value) {
    case CatchUp::none: return "none";
    case CatchUp::latest: return "latest";
    case CatchUp::all: return "all";
  }
  return "latest";
}

bool is_env_name(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

// Walks the YAML tree and turns every problem into "file:line:column: message".
class Reader {
 public:
  explicit Reader(std::string_view filename) : filename_(filename) {}

  Error error_at(const YAML::Mark& mark, std::string message, std::string hint = {}) const {
    return Error{Errc::invalid_input,
                 fmt::format("{}:{}:{}: {}", filename_, mark.line + 1, mark.column + 1, message),
                 std::move(hint)};
  }

  // Checks that `node` is a mapping whose keys are all in `allowed`.
  Result<void> expect_map(const YAML::Node& node, std::string_view where,
                          const std::vector<std::string>& allowed) const {
    if (!node.IsMap()) {
      return std::unexpected(error_at(node.Mark(), fmt::format("`{}` must be a mapping", where)));
    }
    std::vector<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        return std::unexpected(error_at(it->first.Mark(), fmt::format("keys of `{}` must be plain words", where)));
      }
      auto key = it->first.Scalar();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return std::unexpected(error_at(it->first.Mark(), fmt::format("key `{}` appears twice in `{}`", key, where)));
      }
      seen.push_back(key);
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string hint = fmt::format("known keys of `{}`: {}", where, join(allowed, ", "));
      if (auto near = closest_match(key, allowed); !near.empty()) {
        hint = fmt::format("did you mean `{}`? ", near) + hint;
      }
      return std::unexpected(error_at(it->first.Mark(), fmt::format("unknown key `{}` in `{}`", key, where), hint));
    }
    return {};
  }

  Result<std::string> string(const YAML::Node& node, std::string_view where) const {
    if (!node.IsScalar()) {
      return std::unexpected(error_at(node.Mark(), fmt::format("`{}` must be a string", where)));
    }
    return node.Scalar();
  }

  Result<int> integer(const YAML::Node& node, std::string_view where, int low, int high) const {
    auto bad = [&] {
      return std::unexpected(error_at(node.Mark(), fmt::format("`{}` must be a whole number from {} to {}", where, low, high)));
    };
    if (!node.IsScalar()) return bad();
    const auto& text = node.Scalar();
    if (text.empty() || text.size() > 9) return bad();
    int value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return bad();
      value = value * 10 + (c - '0');
    }
    if (value < low || value > high) return bad();
    return value;
  }

  Result<std::chrono::seconds> duration(const YAML::Node& node, std::string_view where) const {
    auto text = string(node, where);
    if (!text) return std::unexpected(text.error());
    auto value = parse_duration(*text);
    if (!value) return std::unexpected(error_at(node.Mark(), fmt::format("`{}`: {}", where, value.error().message), value.error().hint));
    return *value;
  }

  Result<std::map<std::string, std::string>> string_map(const YAML::Node& node, std::string_view where,
                                                        bool env_names) const {
    if (!node.IsMap()) {
      return std::unexpected(error_at(node.Mark(), fmt::format("`{}` must be a mapping of names to values", where)));
    }
    std::map<std::string, std::string> out;
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto key = string(it->first, where);
      if (!key) return std::unexpected(key.error());
      if (env_names && !is_env_name(*key)) {
        return std::unexpected(error_at(it->first.Mark(), fmt::format("`{}` is not a valid environment variable name", *key),
                                        "use letters, digits and '_', not starting with a digit"));
      }
      auto value = string(it->second, fmt::format("{}.{}", where, *key));
      if (!value) return std::unexpected(value.error());
      out[*key] = *value;
    }
    return out;
  }

  template <class Enum>
  Result<Enum> choice(const YAML::Node& node, std::string_view where,
                      std::initializer_list<std::pair<std::string_view, Enum>> options) const {
    auto text = string(node, where);
    if (!text) return std::unexpected(text.error());
    std::vector<std::string> names;
    for (auto [name, value] : options) {
      if (name == *text) return value;
      names.emplace_back(name);
    }
    return std::unexpected(error_at(node.Mark(), fmt::format("`{}` must be one of {}, not `{}`", where, join(names, ", "), *text)));
  }

 private:
  std::string filename_;
};

#define TASK_TRY(var, expr)                          \
  auto var##_result = (expr);                        \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  auto var = std::move(*var##_result)

#define TASK_CHECK(expr)                             \
  do {                                               \
    auto check_result_ = (expr);                     \
    if (!check_result_) return std::unexpected(check_result_.error()); \
  } while (0)

Result<void> read_source(const Reader& r, const YAML::Node& node, SourceSpec& out) {
  TASK_CHECK(r.expect_map(node, "source", {"git", "branch", "path"}));
  if (node["git"]) { TASK_TRY(v, r.string(node["git"], "source.git")); out.git = v; }
  if (node["branch"]) { TASK_TRY(v, r.string(node["branch"], "source.branch")); out.branch = v; }
  if (node["path"]) { TASK_TRY(v, r.string(node["path"], "source.path")); out.path = v; }
  if (out.git.empty() && (!out.branch.empty() || !out.path.empty())) {
    return std::unexpected(r.error_at(node.Mark(), "`source.branch` and `source.path` need `source.git`",
                                      "add the repository URL as `git:`, or remove `source` to build this directory"));
  }
  return {};
}

Result<void> read_build(const Reader& r, const YAML::Node& node, BuildSpec& out) {
  TASK_CHECK(r.expect_map(node, "build", {"dockerfile", "context", "args"}));
  if (node["dockerfile"]) { TASK_TRY(v, r.string(node["dockerfile"], "build.dockerfile")); out.dockerfile = v; }
  if (node["context"]) { TASK_TRY(v, r.string(node["context"], "build.context")); out.context = v; }
  if (node["args"]) { TASK_TRY(v, r.string_map(node["args"], "build.args", false)); out.args = v; }
  return {};
}

Result<void> read_run(const Reader& r, const YAML::Node& node, RunPolicy& out) {
  TASK_CHECK(r.expect_map(node, "run", {"command", "env", "timeout", "retries", "concurrency", "catch_up",
                                        "starting_deadline", "history", "on_failure"}));
  if (auto command = node["command"]) {
    if (!command.IsSequence() || command.size() == 0) {
      return std::unexpected(r.error_at(command.Mark(), "`run.command` must be a non-empty list of strings",
                                        "e.g. command: [\"/app/check\", \"--verbose\"]"));
    }
    for (const auto& part : command) {
      TASK_TRY(v, r.string(part, "run.command[]"));
      out.command.push_back(v);
    }
  }
  if (node["env"]) { TASK_TRY(v, r.string_map(node["env"], "run.env", true)); out.env = v; }
  if (node["timeout"]) { TASK_TRY(v, r.duration(node["timeout"], "run.timeout")); out.timeout = v; }
  if (node["retries"]) { TASK_TRY(v, r.integer(node["retries"], "run.retries", 0, 100)); out.retries = v; }
  if (node["concurrency"]) {
    TASK_TRY(v, r.choice<Concurrency>(node["concurrency"], "run.concurrency",
                                      {{"allow", Concurrency::allow}, {"forbid", Concurrency::forbid},
                                       {"replace", Concurrency::replace}}));
    out.concurrency = v;
  }
  if (node["catch_up"]) {
    TASK_TRY(v, r.choice<CatchUp>(node["catch_up"], "run.catch_up",
                                  {{"none", CatchUp::none}, {"latest", CatchUp::latest}, {"all", CatchUp::all}}));
    out.catch_up = v;
  }
  if (node["starting_deadline"]) {
    TASK_TRY(v, r.duration(node["starting_deadline"], "run.starting_deadline"));
    out.starting_deadline = v;
  }
  if (auto history = node["history"]) {
    TASK_CHECK(r.expect_map(history, "run.history", {"succeeded", "failed"}));
    if (history["succeeded"]) { TASK_TRY(v, r.integer(history["succeeded"], "run.history.succeeded", 0, 1000000)); out.keep_succeeded = v; }
    if (history["failed"]) { TASK_TRY(v, r.integer(history["failed"], "run.history.failed", 0, 1000000)); out.keep_failed = v; }
  }
  if (auto on_failure = node["on_failure"]) {
    TASK_CHECK(r.expect_map(on_failure, "run.on_failure", {"webhook"}));
    if (auto hook = on_failure["webhook"]) {
      TASK_TRY(v, r.string(hook, "run.on_failure.webhook"));
      const bool named = v.starts_with("${") && v.ends_with("}") && is_env_name(v.substr(2, v.size() - 3));
      if (!named && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
        return std::unexpected(r.error_at(hook.Mark(), "`run.on_failure.webhook` must be an http:// or https:// URL, or "
                                                       "${NAME}: a key of the environment's configuration",
                                          "e.g. webhook: ${FAILURE_WEBHOOK}, then `task config set FAILURE_WEBHOOK --secret`"));
      }
      out.failure_webhook = v;
    }
  }
  return {};
}

// A schedule is checked where it is written: an error names its line and column.
Result<void> read_schedule(const Reader& r, const YAML::Node& node, ScheduleSpec& out) {
  auto check = [&](const YAML::Node& value, std::string_view where) -> Result<std::string> {
    auto text = r.string(value, where);
    if (!text) return text;
    if (auto parsed = parse_schedule(*text, out.timezone.empty() ? "UTC" : out.timezone); !parsed) {
      return std::unexpected(r.error_at(value.Mark(), fmt::format("`{}`: {}", where, parsed.error().message),
                                        parsed.error().hint));
    }
    return text;
  };
  if (node.IsScalar()) {
    auto text = check(node, "schedule");
    if (!text) return std::unexpected(text.error());
    out.all = *text;
    return {};
  }
  if (!node.IsMap()) {
    return std::unexpected(r.error_at(node.Mark(), "`schedule` must be a schedule, or one per environment",
                                      "e.g. schedule: \"*/5 * * * *\", or schedule: {development: \"@every 1m\", "
                                      "production: \"0 * * * *\"}"));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) return std::unexpected(r.error_at(it->first.Mark(), "keys of `schedule` are environments"));
    const std::string env = it->first.Scalar();
    auto text = check(it->second, "schedule." + env);
    if (!text) return std::unexpected(text.error());
    if (env == "default") {
      out.all = *text;
    } else if (!out.by_env.emplace(env, *text).second) {
      return std::unexpected(r.error_at(it->first.Mark(), fmt::format("`schedule.{}` appears twice", env)));
    }
  }
  return {};
}

}  // namespace

Result<ProjectConfig> parse_project(std::string_view text, std::string_view filename) {
  Reader r(filename);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return std::unexpected(r.error_at(e.mark, e.msg));
  }
  if (!root || root.IsNull()) {
    return fail(Errc::invalid_input, fmt::format("{}: the file is empty", filename), "it needs at least `name: <task-name>`");
  }
  TASK_CHECK(r.expect_map(root, "task.yaml", {"name", "registry", "source", "build", "run", "schedule", "timezone"}));
  ProjectConfig config;
  if (!root["name"]) {
    return std::unexpected(r.error_at(root.Mark(), "`name` is missing", "add `name: <task-name>` at the top"));
  }
  {
    TASK_TRY(v, r.string(root["name"], "name"));
    if (auto valid = validate_name(v); !valid) {
      return std::unexpected(r.error_at(root["name"].Mark(), valid.error().message, valid.error().hint));
    }
    config.name = v;
  }
  if (root["registry"]) { TASK_TRY(v, r.string(root["registry"], "registry")); config.registry = v; }
  if (root["source"]) TASK_CHECK(read_source(r, root["source"], config.source));
  if (root["build"]) TASK_CHECK(read_build(r, root["build"], config.build));
  if (root["run"]) TASK_CHECK(read_run(r, root["run"], config.run));
  if (root["timezone"]) { TASK_TRY(v, r.string(root["timezone"], "timezone")); config.schedule.timezone = v; }
  if (root["schedule"]) TASK_CHECK(read_schedule(r, root["schedule"], config.schedule));
  return config;
}

Result<ProjectConfig> load_project(const std::filesystem::path& dir) {
  auto file = dir / project_file_name;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      return fail(Errc::not_found, fmt::format("no {} in {}", project_file_name, dir.string()),
                  "run this in a task project, pass -C DIR, or create one with `task init NAME`");
    }
    return fail(Errc::io, fmt::format("cannot read {}", file.string()), "check the file's permissions");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_project(buffer.str(), file.string());
}

}  // namespace task
