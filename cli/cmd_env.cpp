// env list/add/set/remove.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "command.hpp"
#include "platform.hpp"
#include "task/name.hpp"
#include "task/workspace.hpp"
namespace cli {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

struct EnvFlags {
  std::string name, after, platform, network;
  std::string kubeconfig, context, namespace_, registry;
  bool allow_direct = false, create_namespace = false;
};

Json env_json(const task::EnvironmentRecord& e) {
  Json j{{"name", e.name},
         {"position", e.position},
         {"platform", e.platform},
         {"allow_direct_deploy", e.allow_direct_deploy},
         {"network", e.network}};
  auto value = [](const std::string& v) { return v.empty() ? Json() : Json(v); };
  const auto& c = e.cluster;
  if (e.platform == "kubernetes") {
    j.update({{"kubeconfig", value(c.kubeconfig)}, {"context", value(c.context)}, {"namespace", value(c.namespace_)},
              {"registry", value(c.registry)}});
  }
  return j;
}

std::string where(const task::EnvironmentRecord& e) {
  if (e.platform != "kubernetes") return "network " + e.network;
  const auto& c = e.cluster;
  return fmt::format("context {}, namespace {}, registry {}", c.context.empty() ? "(current)" : c.context,
                     c.namespace_.empty() ? "(the context's)" : c.namespace_, c.registry.empty() ? "(none)" : c.registry);
}

task::Result<void> run_env_list(Context& ctx) {
  auto envs = ctx.workspace().environments();
  if (!envs) return std::unexpected(envs.error());
  Json list = Json::array();
  for (const auto& e : *envs) list.push_back(env_json(e));
  std::string names;
  for (const auto& e : *envs) names += e.name + "\n";
  ctx.out.essential(names).emit({{"environments", list}}, [&](std::string& out) {
    Table table({"NAME", "ORDER", "PLATFORM", "DIRECT DEPLOY", "WHERE"});
    for (const auto& e : *envs) {
      table.add({e.name, std::to_string(e.position + 1), e.platform, e.allow_direct_deploy ? "yes" : "no (promotions only)",
                 where(e)});
    }
    table.render(out, ctx.out);
  });
  return {};
}

// The flags given, applied to `env`; checked.
task::Result<void> apply_flags(task::EnvironmentRecord& env, const EnvFlags& o) {
  if (!o.platform.empty()) env.platform = o.platform;
  if (env.platform != "local" && env.platform != "kubernetes") {
    return task::fail(task::Errc::invalid_input, fmt::format("unknown platform `{}`", env.platform), "the platforms are local and kubernetes");
  }
  if (!o.network.empty()) env.network = o.network;
  if (env.network != "host" && env.network != "none") {
    return task::fail(task::Errc::invalid_input, fmt::format("network `{}` is not host or none", env.network));
  }
  auto& c = env.cluster;
  if (!o.kubeconfig.empty()) c.kubeconfig = fs::absolute(o.kubeconfig).lexically_normal().string();
  if (!o.context.empty()) c.context = o.context;
  if (!o.namespace_.empty()) {
    if (auto valid = task::validate_name(o.namespace_, "namespace"); !valid) return valid;
    c.namespace_ = o.namespace_;
  }
  if (!o.registry.empty()) {
    if (o.registry.find("://") != std::string::npos || o.registry.find('@') != std::string::npos) {
      return task::fail(task::Errc::invalid_input, fmt::format("registry `{}` is not HOST[:PORT]/PREFIX", o.registry),
                        "e.g. --registry registry.example.com/team or --registry 127.0.0.1:5000/acme");
    }
    c.registry = o.registry.substr(0, o.registry.find_last_not_of('/') + 1);
  }
  if (env.platform != "kubernetes" && (!o.kubeconfig.empty() || !o.context.empty() || !o.namespace_.empty() ||
                                      !o.registry.empty() || o.create_namespace)) {
    return task::fail(task::Errc::usage, "--kubeconfig, --context, --namespace, --registry and --create-namespace are for --platform kubernetes");
  }
  return {};
}

// Reaches the environment's platform, so that a typo is found before it is written.
task::Result<std::string> prepared(Context& ctx, const task::EnvironmentRecord& env, bool create_namespace) {
  auto platform = ctx.workspace().platform(env);
  if (!platform) return std::unexpected(platform.error());
  return (*platform)->prepare(create_namespace);
}

task::Result<void> run_env_add(Context& ctx, const EnvFlags& o) {
  if (auto valid = task::validate_name(o.name, "environment name"); !valid) return valid;
  task::EnvironmentRecord env{o.name, 0, "local", o.allow_direct, "host", {}};
  if (auto r = apply_flags(env, o); !r) return r;
  auto found = prepared(ctx, env, o.create_namespace);  // before anything is written
  if (!found) return std::unexpected(found.error());
  auto added = ctx.workspace().add_environment(env, o.after);
  if (!added) return std::unexpected(added.error());
  ctx.out.essential("").emit(env_json(*added), [&](std::string& out) {
    out += fmt::format("{} environment {} (number {} in promotion order)\n", ctx.out.paint(Style::success, "Added"),
                       added->name, added->position + 1);
    if (!found->empty()) out += fmt::format("  on {}\n", *found);
  });
  return {};
}

task::Result<void> run_env_set(Context& ctx, const EnvFlags& o) {
  auto env = ctx.workspace().environment(o.name);
  if (!env) return std::unexpected(env.error());
  if (auto r = apply_flags(*env, o); !r) return r;
  if (o.allow_direct) env->allow_direct_deploy = true;
  auto found = prepared(ctx, *env, o.create_namespace);
  if (!found) return std::unexpected(found.error());
  auto updated = ctx.workspace().update_environment(*env);
  if (!updated) return std::unexpected(updated.error());
  ctx.out.essential("").emit(env_json(*updated), [&](std::string& out) {
    out += fmt::format("{} environment {}: platform {}, {}\n", ctx.out.paint(Style::success, "Changed"), updated->name,
                       updated->platform, where(*updated));
    if (!found->empty()) out += fmt::format("  on {}\n", *found);
  });
  return {};
}

task::Result<void> run_env_remove(Context& ctx, const EnvFlags& o) {
  if (auto r = ctx.workspace().remove_environment(o.name); !r) return r;
  ctx.out.essential("").emit({{"removed", o.name}}, [&](std::string& out) { out += fmt::format("{} environment {}\n", ctx.out.paint(Style::success, "Removed"), o.name); });
  return {};
}

std::vector<Flag> cluster_flags(EnvFlags& o) {
  return {{"--platform", "PLATFORM", "Where it runs: local or kubernetes", &o.platform, {"local", "kubernetes"}, Complete::choices},
          {"--kubeconfig", "FILE", "kubernetes: the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)", &o.kubeconfig, {}, Complete::file},
          {"--context", "CTX", "kubernetes: the kubeconfig context (default: its current-context)", &o.context},
          {"--namespace", "NS", "kubernetes: the namespace (default: the context's, else default)", &o.namespace_},
          {"--registry", "HOST[:PORT]/PREFIX", "kubernetes: where images are pushed and the cluster pulls them", &o.registry},
          {"--create-namespace", "", "kubernetes: make the namespace when it does not exist", &o.create_namespace},
          {"--network", "MODE", "local: the containers' network, host or none", &o.network, {"host", "none"}, Complete::choices}};
}

}  // namespace
void add_env_commands(Commands& commands) {
  commands.push_back({.words = {"env"}, .summary = "Environments: where deployments run, in promotion order"});
  commands.push_back({
      .words = {"env", "list"},
      .summary = "List the environments in promotion order",
      .examples = {{"task env list", ""}, {"task env list -o json | jq -r '.environments[].name'", ""}},
      .run = [](Context& ctx) { return run_env_list(ctx); },
  });
  auto ea = std::make_shared<EnvFlags>();
  auto add_flags = cluster_flags(*ea);
  add_flags.insert(add_flags.begin(), Flag{"--after", "ENV", "Its place in promotion order (default: last)", &ea->after});
  add_flags.push_back({"--allow-direct-deploy", "", "Take `task deploy` too, not only promotions", &ea->allow_direct});
  commands.push_back({
      .words = {"env", "add"},
      .summary = "Add an environment, in promotion order",
      .description = "Adds an environment on the local platform (this machine's Docker engine and agent) or on a "
                     "Kubernetes cluster, reached with the user's kubeconfig; task keeps the names of the file, context "
                     "and namespace, never the credentials. The cluster is reached before anything is written.",
      .args = {{"NAME", "a DNS-1123 label", &ea->name}},
      .flags = add_flags,
      .examples = {{"task env add staging --after development --allow-direct-deploy", ""},
                   {"task env add production-eu --platform kubernetes --context prod-eu --namespace tasks "
                    "--registry registry.example.com/team",
                    "on a cluster"}},
      .run = [ea](Context& ctx) { return run_env_add(ctx, *ea); },
  });
  auto es = std::make_shared<EnvFlags>();
  auto set_flags = cluster_flags(*es);
  set_flags.push_back({"--allow-direct-deploy", "", "Take `task deploy` too, not only promotions", &es->allow_direct});
  commands.push_back({
      .words = {"env", "set"},
      .summary = "Change an environment's platform or where it is",
      .description = "Changes what is given and keeps the rest. Moving an environment to another platform is refused "
                     "while it has deployments.",
      .args = {{"NAME", "the environment", &es->name, true, Complete::environments}},
      .flags = set_flags,
      .examples = {{"task env set development --platform kubernetes --context dev --registry 127.0.0.1:5000/acme", ""}},
      .run = [es](Context& ctx) { return run_env_set(ctx, *es); },
  });
  auto er = std::make_shared<EnvFlags>();
  commands.push_back({
      .words = {"env", "remove"},
      .summary = "Remove an environment that has no deployments",
      .args = {{"NAME", "the environment", &er->name, true, Complete::environments}},
      .examples = {{"task env remove staging", ""}},
      .run = [er](Context& ctx) { return run_env_remove(ctx, *er); },
  });
}

}  // namespace cli
