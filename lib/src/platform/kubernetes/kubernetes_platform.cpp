#include "platform/kubernetes/kubernetes_platform.hpp"

#include "platform/kubernetes/platform_impl.hpp"

namespace task {

KubernetesPlatform::KubernetesPlatform(KubernetesPlatformOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
KubernetesPlatform::~KubernetesPlatform() = default;

Result<Current> KubernetesPlatform::current(const DeploymentKey& key) {
  auto l = impl_->read_ledger(key.task);
  if (!l) return std::unexpected(l.error());
  return Current{l->deployment(key.env, false), l->config()};
}

Result<void> KubernetesPlatform::admits(const Revision& revision) {
  auto f = impl_->features();
  if (!f) return std::unexpected(f.error());
  auto s = kube::cron_schedule(revision.schedule, revision.timezone, *f);
  if (!s) return std::unexpected(s.error());
  return {};
}

Result<std::optional<Deployment>> KubernetesPlatform::apply(const DeploymentKey& key, const Planner& plan) {
  auto features = impl_->features();
  if (!features) return std::unexpected(features.error());
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  for (int attempt = 0;; ++attempt) {
    auto l = impl_->read_ledger(key.task);
    if (!l) return std::unexpected(l.error());
    const auto before = l->deployment(key.env, false);
    auto change = plan(Current{before, l->config()});
    if (!change) return std::unexpected(change.error());
    if (!*change) return std::optional<Deployment>{};
    const auto now = impl_->options.now();
    if ((*change)->config) l->doc["config"] = to_json(*(*change)->config);
    std::optional<Revision> applied;
    if ((*change)->revision) {
      Revision r = *(*change)->revision;
      r.created_at = now;
      // The revision's configuration first, under names of its own: until the CronJob is
      // switched to them, what runs is the previous revision, whole.
      const bool suspended = before && before->state == DeploymentState::suspended && !(*change)->resume;
      if (auto put = impl_->put_revision(key.task, r, suspended, *features); !put) {
        if (before) impl_->heal(key.task, *features);
        return std::unexpected(put.error());
      }
      if (l->doc.value("revisions", Json::array()).empty() || !before) l->doc["created_at"] = millis(now);
      Json& revisions = l->doc["revisions"];
      revisions.push_back(revision_json(r));
      if (revisions.size() > kept_revisions) {
        revisions.erase(revisions.begin(), revisions.begin() + static_cast<std::ptrdiff_t>(revisions.size() - kept_revisions));
      }
      l->doc["state"] = suspended ? "suspended" : "active";
      l->event(now, r.command == "promote" ? "promoted" : "deployed",
               fmt::format("revision {} deployed to {}{}{}", r.number, key.env, r.change.empty() ? "" : ": ", r.change));
      applied = r;
    }
    l->doc["updated_at"] = millis(now);
    auto w = impl_->write_ledger(*l);
    if (!w) {
      if (w.error().code == Errc::conflict && attempt < 4) continue;  // planned again from what is there now
      if (applied) impl_->heal(key.task, *features);  // the ledger refused: back to what it names
      return std::unexpected(w.error());
    }
    if (applied) {
      // Revisions long past keep no configuration objects (the ledger keeps their values).
      for (std::int64_t n = applied->number - kept_config_objects; n > 0 && n > applied->number - kept_config_objects - 3; --n) {
        (void)(*a)->remove(kube::config_maps_path(impl_->ns) + "/" + kube::config_name(key.task, n));
        (void)(*a)->remove(kube::secrets_path(impl_->ns) + "/" + kube::config_name(key.task, n));
      }
    }
    auto d = l->deployment(key.env, false);
    if (!applied && !d) return std::optional<Deployment>{};
    return d;
  }
}

Result<Deployment> KubernetesPlatform::set_state(const DeploymentKey& key, DeploymentState state) {
  auto features = impl_->features();
  if (!features) return std::unexpected(features.error());
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  std::optional<Deployment> result;
  auto l = impl_->update_ledger(key.task, [&](Ledger& ledger) -> Result<bool> {
    auto d = ledger.deployment(key.env, true);
    if (!d || d->state == DeploymentState::removed) {
      return fail(Errc::not_found, fmt::format("{} is not deployed to {}", key.task, key.env),
                  fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", key.env));
    }
    if (d->state == state) {
      return fail(Errc::conflict, fmt::format("{} in {} is {} already", key.task, key.env, to_string(state)));
    }
    const std::string cronjob = kube::cronjobs_path(*features, impl_->ns) + "/" + key.task;
    if (state == DeploymentState::removed) {
      // The CronJob goes, and with it its Jobs and Pods; the ledger stays.
      if (auto r = (*a)->remove(cronjob); !r) return std::unexpected(r.error());
      const auto q = selector(key.task, key.env);
      for (const auto& j : (*a)->get(kube::jobs_path(impl_->ns) + "?" + q).value_or(Json::object()).value("items", Json::array())) {
        (void)(*a)->remove(kube::jobs_path(impl_->ns) + "/" + j["metadata"].value("name", ""));
      }
      for (const auto& path : {kube::config_maps_path(impl_->ns), kube::secrets_path(impl_->ns)}) {
        for (const auto& o : (*a)->get(path + "?" + q).value_or(Json::object()).value("items", Json::array())) {
          if (o["metadata"].value("labels", Json::object()).value("task.kind", "") == "history") continue;
          (void)(*a)->remove(path + "/" + o["metadata"].value("name", ""));
        }
      }
    } else {
      auto patched = (*a)->merge_patch(cronjob, {{"spec", {{"suspend", state == DeploymentState::suspended}}}});
      if (!patched) return std::unexpected(patched.error());
    }
    const auto now = impl_->options.now();
    ledger.doc["state"] = std::string(to_string(state));
    ledger.doc["updated_at"] = millis(now);
    const char* kind = state == DeploymentState::removed ? "undeployed" : state == DeploymentState::suspended ? "suspended" : "resumed";
    ledger.event(now, kind, fmt::format("{} {} in {}", key.task, kind, key.env));
    return true;
  });
  if (!l) return std::unexpected(l.error());
  auto d = l->deployment(key.env, true);
  if (!d) return fail(Errc::not_found, fmt::format("{} is not deployed to {}", key.task, key.env));
  return *d;
}

Result<std::vector<Deployment>> KubernetesPlatform::deployments(const DeploymentFilter& filter) {
  if (!filter.env.empty() && filter.env != impl_->options.env.name) return std::vector<Deployment>{};
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  auto list = (*a)->get(kube::secrets_path(impl_->ns) + "?" + selector(filter.task, impl_->options.env.name) +
                        http::url_encode(",task.kind=history"));
  if (!list) return std::unexpected(list.error());
  std::vector<Deployment> out;
  for (const auto& s : (*list)["items"]) {
    const std::string task = s["metadata"].value("labels", Json::object()).value("task.name", "");
    auto l = impl_->read_ledger(task);
    if (!l) continue;
    if (auto d = l->deployment(impl_->options.env.name, filter.include_removed)) out.push_back(std::move(*d));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.task < y.task; });
  return out;
}

Result<std::vector<Revision>> KubernetesPlatform::revisions(const DeploymentKey& key) {
  auto l = impl_->read_ledger(key.task);
  if (!l) return std::unexpected(l.error());
  if (!l->deployment(key.env, true)) {
    return fail(Errc::not_found, fmt::format("{} was never deployed to {}", key.task, key.env),
                fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", key.env));
  }
  return l->revisions();
}

Result<Image> KubernetesPlatform::resolve_image(const std::string& ref) {
  if (auto at = ref.find("@sha256:"); at != std::string::npos) return Image{ref, ref.substr(at + 1), 0};
  auto docker = impl_->docker();
  if (!docker) return std::unexpected(docker.error());
  auto info = (*docker)->inspect_image(ref);
  if (!info) return std::unexpected(info.error());
  return Image{ref, info->id, 0};
}

Result<Image> KubernetesPlatform::publish(const std::string& task, const Image& image) {
  const auto& env = impl_->options.env;
  if (env.cluster.registry.empty()) {
    return fail(Errc::invalid_input, fmt::format("environment {} names no registry for its cluster to pull from", env.name),
                fmt::format("set one: `task env set {} --registry HOST[:PORT]/PREFIX`", env.name));
  }
  return kube::publish_image([this] { return impl_->docker(); }, env.cluster.registry, task, image, impl_->options.process_env);
}

Result<void> KubernetesPlatform::has_image(const Image& image) {
  if (kube::registry_serves(image.ref) == false) {
    return fail(Errc::not_found, fmt::format("its image {} is no longer in the registry {} (deleted, or collected?)", image.ref,
                                             image.ref.substr(0, image.ref.find('/'))));
  }
  return {};
}

Result<std::vector<Event>> KubernetesPlatform::events(const std::string& task, const std::string& env, std::size_t limit) {
  if (!env.empty() && env != impl_->options.env.name) return std::vector<Event>{};
  std::vector<std::string> tasks;
  if (!task.empty()) {
    tasks.push_back(task);
  } else {
    auto ds = deployments(DeploymentFilter{"", "", true});
    if (!ds) return std::unexpected(ds.error());
    for (const auto& d : *ds) tasks.push_back(d.task);
  }
  std::vector<Event> out;
  for (const auto& t : tasks) {
    auto l = impl_->read_ledger(t);
    if (!l) return std::unexpected(l.error());
    for (const auto& e : l->doc.value("events", Json::array())) {
      out.push_back(Event{std::to_string(e.value("id", std::int64_t{0})), t, impl_->options.env.name,
                          from_millis(e.value("at", std::int64_t{0})), e.value("kind", ""), e.value("message", "")});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Event& x, const Event& y) { return x.at < y.at; });
  if (out.size() > limit) out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(out.size() - limit));
  return out;
}

Result<void> KubernetesPlatform::add_event(const Event& event) {
  if (event.task.empty()) return {};
  auto l = impl_->update_ledger(event.task, [&](Ledger& ledger) -> Result<bool> {
    ledger.event(event.at, event.kind, event.message);
    return true;
  });
  if (!l) return std::unexpected(l.error());
  return {};
}

Result<StatsReport> KubernetesPlatform::stats(const StatsQuery& query) {
  StatsReport report;
  report.since = query.since;
  report.until = query.until;
  report.by = query.by;
  report.environments.push_back(impl_->options.env.name);
  if (!query.env.empty() && query.env != impl_->options.env.name) return report;
  auto ds = deployments(DeploymentFilter{query.task, impl_->options.env.name, query.include_removed});
  if (!ds) return std::unexpected(ds.error());
  for (const auto& d : *ds) {
    auto runs = impl_->list_runs(d.task);
    if (!runs) return std::unexpected(runs.error());
    report.deployments.push_back(stats_of_runs(d, *runs, query));
  }
  if (!ds->empty()) {
    report.notes.push_back(fmt::format(
        "{}: the cluster keeps only the newest Jobs of each deployment (task.yaml's history: limits), so older runs are not counted",
        impl_->options.env.name));
  }
  return report;
}

Result<RecentHealth> KubernetesPlatform::health(const DeploymentKey& key, Timestamp since, Timestamp until,
                                                std::size_t outcomes) {
  auto runs = impl_->list_runs(key.task);
  if (!runs) return std::unexpected(runs.error());
  return health_of_runs(*runs, since, until, outcomes);
}

RunnerStatus KubernetesPlatform::runner() {
  auto f = impl_->features();
  if (!f) return RunnerStatus{false, 0, fmt::format("warning: {}", f.error().message), "the cluster, unreachable"};
  return RunnerStatus{true, 0, {},
                      fmt::format("the CronJob controller of {} ({}), namespace {}", impl_->api_->access().server, f->version, impl_->ns)};
}

RunnerStatus KubernetesPlatform::notify_changed() { return runner(); }

Result<std::string> KubernetesPlatform::prepare(bool create_namespace) {
  auto f = impl_->features();
  if (!f) return std::unexpected(f.error());
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  const auto& access = (*a)->access();
  auto found = (*a)->find("/api/v1/namespaces/" + impl_->ns);
  if (!found && found.error().code == Errc::not_found) found = std::optional<Json>{};  // the namespace itself is what is missing
  bool made = false;
  if (!found && found.error().code == Errc::auth) {
    // Credentials limited to one namespace may not read namespaces: what they may do
    // there is for `task doctor` to say.
  } else if (!found) {
    return std::unexpected(found.error());
  } else if (!*found) {
    if (!create_namespace) {
      return fail(Errc::not_found, fmt::format("namespace {} does not exist on {}", impl_->ns, access.server),
                  "add --create-namespace to make it, or name another with --namespace");
    }
    auto created = (*a)->create("/api/v1/namespaces",
                                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", impl_->ns}}}});
    if (!created) return std::unexpected(created.error());
    made = true;
  }
  return fmt::format("Kubernetes {} at {} (context {}), namespace {}{}, CronJobs {}", f->version, access.server,
                     access.context, impl_->ns, made ? " (created)" : "", f->cronjobs);
}

std::vector<Check> KubernetesPlatform::checks() {
  std::vector<Check> out;
  const std::string env = impl_->options.env.name;
  auto a = impl_->api();
  if (!a) return {Check{env + ": kubeconfig", false, a.error().message, a.error().hint}};
  const std::string server = (*a)->access().server;
  auto f = impl_->features();
  if (!f) {
    out.push_back(Check{env + ": API server", false, f.error().message, f.error().hint});
    return out;
  }
  out.push_back(Check{env + ": API server", true, fmt::format("{} at {} (context {}, namespace {})", f->version, server, (*a)->access().context, impl_->ns), ""});
  out.push_back(Check{env + ": CronJobs", true, f->cronjobs + (f->time_zone ? ", with timeZone"
                                                                            : ", without timeZone: UTC schedules only, run in the controller-manager's own zone (UTC on almost every cluster)"), ""});
  struct Right {
    const char *verb, *group, *resource, *subresource;
  };
  // Server-side apply needs patch, and create for an object that is new.
  static constexpr Right rights[] = {
      {"get", "batch", "cronjobs", ""},   {"create", "batch", "cronjobs", ""}, {"patch", "batch", "cronjobs", ""},
      {"delete", "batch", "cronjobs", ""}, {"get", "batch", "jobs", ""},        {"list", "batch", "jobs", ""},
      {"create", "batch", "jobs", ""},    {"delete", "batch", "jobs", ""},     {"list", "", "configmaps", ""},
      {"create", "", "configmaps", ""},   {"patch", "", "configmaps", ""},     {"delete", "", "configmaps", ""},
      {"get", "", "secrets", ""},         {"list", "", "secrets", ""},         {"create", "", "secrets", ""},
      {"patch", "", "secrets", ""},       {"update", "", "secrets", ""},       {"delete", "", "secrets", ""},
      {"list", "", "pods", ""},           {"watch", "", "pods", ""},           {"get", "", "pods", "log"},
  };
  std::vector<std::string> refused;
  for (const auto& r : rights) {
    Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                   {"kind", "SelfSubjectAccessReview"},
                   {"spec", {{"resourceAttributes", {{"namespace", impl_->ns}, {"verb", r.verb}, {"group", r.group}, {"resource", r.resource}, {"subresource", r.subresource}}}}}};
    auto answer = (*a)->create("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review);
    if (!answer) {
      out.push_back(Check{env + ": credentials", false, answer.error().message, answer.error().hint});
      return out;
    }
    if (!(*answer)["status"].value("allowed", false)) {
      refused.push_back(fmt::format("{} {}{}{}", r.verb, r.resource, *r.subresource ? "/" : "", r.subresource));
    }
  }
  out.push_back(Check{env + ": credentials", true, "accepted", ""});
  if (refused.empty()) {
    out.push_back(Check{env + ": rights", true, fmt::format("every right task needs in namespace {}", impl_->ns), ""});
  } else {
    std::string list;
    for (const auto& r : refused) list += (list.empty() ? "" : ", ") + r;
    out.push_back(Check{env + ": rights", false, fmt::format("refused in namespace {}: {}", impl_->ns, list),
                        "ask the cluster's administrator for a Role with these verbs"});
  }
  out.push_back(kube::registry_check(env, impl_->options.env.cluster.registry));
  return out;
}

}  // namespace task
