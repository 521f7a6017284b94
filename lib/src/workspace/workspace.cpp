#include "task/workspace.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "platform/kubernetes/kubernetes_platform.hpp"
#include "platform/local/local_platform.hpp"
#include "platform/local/store.hpp"

namespace task {

struct Workspace::Impl {
  WorkspaceOptions options;
  std::optional<Store> store;
  std::optional<BuildLedger> builds;
  std::unique_ptr<LocalPlatform> local;
  std::map<std::string, std::unique_ptr<KubernetesPlatform>> clusters;  // one per environment

  Result<Store*> open_store() {
    if (!store) {
      auto opened = Store::open(options.state_dir);
      if (!opened) return std::unexpected(opened.error());
      store.emplace(std::move(*opened));
    }
    return &*store;
  }
};

Workspace::Workspace(WorkspaceOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;
Workspace::~Workspace() = default;

Timestamp Workspace::now() const { return impl_->options.now(); }
const std::filesystem::path& Workspace::state_dir() const { return impl_->options.state_dir; }

Result<std::vector<EnvironmentRecord>> Workspace::environments() {
  auto store = impl_->open_store();
  if (!store) return std::unexpected(store.error());
  return (*store)->list_environments();
}

Result<EnvironmentRecord> Workspace::environment(const std::string& name) {
  auto store = impl_->open_store();
  if (!store) return std::unexpected(store.error());
  if (!name.empty()) return (*store)->get_environment(name);
  auto all = (*store)->list_environments();
  if (!all) return std::unexpected(all.error());
  if (all->empty()) return fail(Errc::not_found, "there are no environments", "`task env list` shows them");
  return all->front();
}

Result<EnvironmentRecord> Workspace::add_environment(const EnvironmentRecord& env, const std::string& after) {
  auto store = impl_->open_store();
  if (!store) return std::unexpected(store.error());
  return (*store)->add_environment(env, after);
}

Result<void> Workspace::remove_environment(const std::string& name) {
  auto store = impl_->open_store();
  if (!store) return std::unexpected(store.error());
  return (*store)->remove_environment(name);
}

Result<EnvironmentRecord> Workspace::update_environment(const EnvironmentRecord& env) {
  auto store = impl_->open_store();
  if (!store) return std::unexpected(store.error());
  auto existing = (*store)->get_environment(env.name);
  if (!existing) return existing;
  // Deployments on a cluster are the cluster's: moving the environment away from them
  // would leave their CronJobs running where no command finds them.
  if (existing->platform == "kubernetes" && (env.platform != existing->platform || !(env.cluster == existing->cluster))) {
    auto platform = this->platform(*existing);
    if (!platform) return std::unexpected(platform.error());
    auto deployed = (*platform)->deployments(DeploymentFilter{"", env.name, false});
    if (!deployed) return std::unexpected(deployed.error());
    if (!deployed->empty()) {
      std::string tasks;
      for (const auto& d : *deployed) tasks += (tasks.empty() ? "" : ", ") + d.task;
      return fail(Errc::conflict, fmt::format("{} has deployments on its cluster: {}", env.name, tasks),
                  fmt::format("undeploy them first (`task undeploy --env {}`)", env.name));
    }
  }
  impl_->clusters.erase(env.name);
  return (*store)->update_environment(env);
}

Result<Platform*> Workspace::platform(const EnvironmentRecord& env) {
  if (env.platform == "kubernetes") {
    auto& p = impl_->clusters[env.name];
    if (!p) {
      const auto& o = impl_->options;
      p = std::make_unique<KubernetesPlatform>(KubernetesPlatformOptions{env, o.env, o.now});
    }
    return p.get();
  }
  if (env.platform != "local") {
    return fail(Errc::invalid_input, fmt::format("environment {} is on platform `{}`, which this task does not know", env.name,
                                                 env.platform),
                "upgrade task, or remove the environment with `task env remove`");
  }
  if (!impl_->local) {
    auto store = impl_->open_store();
    if (!store) return std::unexpected(store.error());
    const auto& o = impl_->options;
    impl_->local = std::make_unique<LocalPlatform>(**store, LocalPlatformOptions{o.state_dir, o.env, o.executable, o.now});
  }
  return impl_->local.get();
}

Result<std::vector<Platform*>> Workspace::platforms() {
  auto envs = environments();
  if (!envs) return std::unexpected(envs.error());
  std::vector<Platform*> out;
  for (const auto& e : *envs) {
    auto p = platform(e);
    if (!p) return std::unexpected(p.error());
    if (std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
  }
  return out;
}

Result<BuildLedger*> Workspace::builds() {
  if (!impl_->builds) {
    auto opened = BuildLedger::open(impl_->options.state_dir);
    if (!opened) return std::unexpected(opened.error());
    impl_->builds.emplace(std::move(*opened));
  }
  return &*impl_->builds;
}

}  // namespace task
