#include "platform/kubernetes/kubernetes_platform.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/records_json.hpp"
#include "core/secret_mask.hpp"
#include "docker/encoding.hpp"
#include "http/transport.hpp"
#include "platform/kubernetes/api.hpp"
#include "platform/kubernetes/jobs.hpp"
#include "platform/kubernetes/kubeconfig.hpp"
#include "platform/kubernetes/ledger.hpp"
#include "platform/kubernetes/manifests.hpp"
#include "platform/kubernetes/registry.hpp"

namespace task {

using kube::Json;
using kube::Ledger;
using kube::from_millis;
using kube::millis;
using kube::revision_json;

namespace {

constexpr std::int64_t kept_config_objects = 10;  // revisions whose ConfigMap and Secret stay

std::string selector(const std::string& task, const std::string& env) {
  std::string s = "app.kubernetes.io/managed-by=task";
  if (!task.empty()) s += ",task.name=" + task;
  if (!env.empty()) s += ",task.env=" + env;
  return "labelSelector=" + http::url_encode(s);
}

// A line of a Pod's log with timestamps=true: "2026-12-01T23:00:01.123456789Z text".
RunLogLine pod_log_line(std::string_view line, const SecretMask& mask) {
  RunLogLine out;
  out.stream = "out";
  if (auto sp = line.find(' '); sp != std::string_view::npos && sp > 0 && line[0] >= '0' && line[0] <= '9') {
    out.timestamp = std::string(line.substr(0, sp));
    out.text = mask(line.substr(sp + 1));
  } else {
    out.text = mask(line);
  }
  return out;
}

std::string job_name(const std::string& task, Timestamp at) {
  // Base 36 of the milliseconds: unique per deployment and short (a Job name is a label value).
  auto ms = static_cast<std::uint64_t>(millis(at));
  std::string digits;
  do {
    digits.insert(digits.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[ms % 36]);
    ms /= 36;
  } while (ms > 0);
  std::string name = task.substr(0, 63 - 3 - digits.size()) + "-m-" + digits;
  return name;
}

}  // namespace

struct KubernetesPlatform::Impl {
  KubernetesPlatformOptions options;
  std::optional<kube::Api> api_;
  std::optional<kube::ServerFeatures> features_;
  std::string ns;
  std::optional<DockerClient> docker_;
  std::map<std::pair<std::string, std::int64_t>, SecretMask> masks;

  Result<kube::Api*> api() {
    if (!api_) {
      const auto& b = options.env.cluster;
      auto access = kube::load_cluster_access(b.kubeconfig, b.context, options.process_env);
      if (!access) return std::unexpected(access.error());
      ns = !b.namespace_.empty() ? b.namespace_ : !access->namespace_.empty() ? access->namespace_ : "default";
      auto opened = kube::Api::open(std::move(*access), options.process_env);
      if (!opened) return std::unexpected(opened.error());
      api_.emplace(std::move(*opened));
    }
    return &*api_;
  }

  // What the server serves: its version, where CronJobs are, whether they have timeZone.
  Result<kube::ServerFeatures> features() {
    if (features_) return *features_;
    auto a = api();
    if (!a) return std::unexpected(a.error());
    kube::ServerFeatures f;
    auto version = (*a)->get("/version");
    if (!version) return std::unexpected(version.error());
    f.version = version->value("gitVersion", "");
    int minor = 0;
    const std::string m = version->value("minor", "");
    std::from_chars(m.data(), m.data() + m.size(), minor);  // "20", or "27+" on some clouds
    auto has_cronjobs = [&](const std::string& gv) -> Result<bool> {
      auto list = (*a)->find("/apis/" + gv);
      if (!list) return std::unexpected(list.error());
      if (!*list) return false;
      for (const auto& r : (**list).value("resources", Json::array())) {
        if (r.value("name", "") == "cronjobs") return true;
      }
      return false;
    };
    auto v1 = has_cronjobs("batch/v1");
    if (!v1) return std::unexpected(v1.error());
    if (*v1) {
      f.cronjobs = "batch/v1";
    } else {
      auto beta = has_cronjobs("batch/v1beta1");
      if (!beta) return std::unexpected(beta.error());
      if (!*beta) {
        return fail(Errc::platform, fmt::format("the API server {} serves no CronJobs (neither batch/v1 nor batch/v1beta1)",
                                                (*a)->access().server));
      }
      f.cronjobs = "batch/v1beta1";
    }
    f.time_zone = f.cronjobs == "batch/v1" && minor >= 25;
    features_ = f;
    return f;
  }

  kube::Target target(const std::string& task) const { return {task, options.env.name, ns}; }

  std::string ledger_path(const std::string& task) const {
    return kube::secrets_path(ns) + "/" + kube::history_name(task);
  }

  Result<Ledger> read_ledger(const std::string& task) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    auto found = (*a)->find(ledger_path(task));
    if (!found) return std::unexpected(found.error());
    Ledger l;
    l.task = task;
    if (!*found) return l;
    const Json& secret = **found;
    l.resource_version = secret["metadata"].value("resourceVersion", "");
    if (auto env = secret["metadata"].value("labels", Json::object()).value("task.env", ""); env != options.env.name) {
      return fail(Errc::conflict,
                  fmt::format("namespace {} holds {} of environment {}, not {}", ns, task, env, options.env.name),
                  "give each environment its own namespace: `task env set ENV --namespace NS`");
    }
    const std::string data = secret.value("data", Json::object()).value("ledger", "");
    auto decoded = docker::base64_decode(data);
    auto doc = decoded ? Json::parse(*decoded, nullptr, false) : Json();
    if (!doc.is_object()) return fail(Errc::platform, fmt::format("the revision ledger {} in namespace {} is damaged", kube::history_name(task), ns));
    l.doc = std::move(doc);
    return l;
  }

  // Writes the ledger; Errc::conflict when it changed since it was read.
  Result<void> write_ledger(Ledger& l) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    Json labels = {{"app.kubernetes.io/managed-by", "task"}, {"task.name", l.task}, {"task.env", options.env.name},
                   {"task.kind", "history"}};
    Json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"type", "Opaque"},
                   {"metadata", {{"name", kube::history_name(l.task)}, {"namespace", ns}, {"labels", labels}}},
                   {"data", {{"ledger", docker::base64_encode(l.doc.dump(-1, ' ', false, Json::error_handler_t::replace))}}}};
    Result<Json> written = std::unexpected(Error{});
    if (l.resource_version.empty()) {
      written = (*a)->create(kube::secrets_path(ns), secret);
      if (!written && written.error().code == Errc::conflict) return fail(Errc::conflict, "the ledger was made meanwhile");
    } else {
      secret["metadata"]["resourceVersion"] = l.resource_version;
      written = (*a)->replace(ledger_path(l.task), secret);
    }
    if (!written) return std::unexpected(written.error());
    l.resource_version = (*written)["metadata"].value("resourceVersion", "");
    return {};
  }

  // Changes the ledger as `edit` says, read again and retried when someone else wrote it
  // in between.
  Result<Ledger> update_ledger(const std::string& task, const std::function<Result<bool>(Ledger&)>& edit) {
    for (int attempt = 0;; ++attempt) {
      auto l = read_ledger(task);
      if (!l) return l;
      auto changed = edit(*l);
      if (!changed) return std::unexpected(changed.error());
      if (!*changed) return l;
      auto w = write_ledger(*l);
      if (w) return l;
      if (w.error().code != Errc::conflict || attempt >= 4) return std::unexpected(w.error());
    }
  }

  // The Jobs and Pods of a task (or every task) in the environment, as runs, newest first.
  Result<std::vector<Run>> list_runs(const std::string& task) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    const auto query = selector(task, options.env.name);
    auto jobs = (*a)->get(kube::jobs_path(ns) + "?" + query);
    if (!jobs) return std::unexpected(jobs.error());
    auto pods = (*a)->get(kube::pods_path(ns) + "?" + query);
    if (!pods) return std::unexpected(pods.error());
    std::map<std::string, std::vector<const Json*>> by_job;
    for (const auto& p : (*pods)["items"]) {
      by_job[p["metadata"].value("labels", Json::object()).value("job-name", "")].push_back(&p);
    }
    std::vector<Run> out;
    for (const auto& j : (*jobs)["items"]) {
      const std::string name = j["metadata"].value("name", "");
      out.push_back(kube::run_of(j, by_job[name]));
    }
    std::sort(out.begin(), out.end(), [](const Run& x, const Run& y) {
      if (x.scheduled_at != y.scheduled_at) return x.scheduled_at > y.scheduled_at;
      return x.id > y.id;
    });
    return out;
  }

  Result<DockerClient*> docker() {
    if (!docker_) {
      auto endpoint = resolve_docker_endpoint(options.process_env);
      if (!endpoint) return std::unexpected(endpoint.error());
      auto client = DockerClient::connect(*endpoint);
      if (!client) return std::unexpected(client.error());
      docker_.emplace(std::move(*client));
    }
    return &*docker_;
  }

  // The newest Pod of a Job, or none.
  Result<std::optional<Json>> newest_pod_of(const std::string& job) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    auto pods = (*a)->get(kube::pods_path(ns) + "?labelSelector=" + http::url_encode("job-name=" + job));
    if (!pods) return std::unexpected(pods.error());
    std::vector<const Json*> mine;
    for (const auto& p : (*pods)["items"]) mine.push_back(&p);
    const Json* pod = kube::newest_pod(mine);
    if (!pod) return std::optional<Json>{};
    return std::optional<Json>{*pod};
  }

  const SecretMask& mask(const std::string& task, std::int64_t revision) {
    auto key = std::make_pair(task, revision);
    if (auto it = masks.find(key); it != masks.end()) return it->second;
    Config config;
    if (auto l = read_ledger(task)) {
      for (const auto& r : l->revisions()) {
        if (r.number == revision) config = r.config;
      }
    }
    return masks.emplace(key, SecretMask(config)).first->second;
  }
};

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
      auto schedule = kube::cron_schedule(r.schedule, r.timezone, *features);
      if (!schedule) return std::unexpected(schedule.error());
      const auto at = impl_->target(key.task);
      // The revision's configuration first, under names of its own: until the CronJob is
      // switched to them, what runs is the previous revision, whole.
      if (auto c = (*a)->apply(kube::config_maps_path(impl_->ns) + "/" + kube::config_name(key.task, r.number),
                               kube::config_map_manifest(at, r));
          !c) {
        return std::unexpected(c.error());
      }
      if (auto s = (*a)->apply(kube::secrets_path(impl_->ns) + "/" + kube::config_name(key.task, r.number),
                               kube::secret_manifest(at, r));
          !s) {
        return std::unexpected(s.error());
      }
      if (auto c = (*a)->apply(kube::cronjobs_path(*features, impl_->ns) + "/" + key.task,
                               kube::cronjob_manifest(at, r, *schedule, false, *features));
          !c) {
        return std::unexpected(c.error());
      }
      if (l->doc.value("revisions", Json::array()).empty() || !before) l->doc["created_at"] = millis(now);
      l->doc["revisions"].push_back(revision_json(r));
      l->doc["state"] = "active";
      l->event(now, r.command == "promote" ? "promoted" : "deployed",
               fmt::format("revision {} deployed to {}{}{}", r.number, key.env, r.change.empty() ? "" : ": ", r.change));
      applied = r;
    }
    l->doc["updated_at"] = millis(now);
    auto w = impl_->write_ledger(*l);
    if (!w) {
      if (w.error().code == Errc::conflict && attempt < 4) continue;  // planned again from what is there now
      if (applied && before) {
        // The ledger refused: what runs goes back to the revision it names.
        auto schedule = kube::cron_schedule(before->revision.schedule, before->revision.timezone, *features);
        if (schedule) {
          (void)(*a)->apply(kube::cronjobs_path(*features, impl_->ns) + "/" + key.task,
                            kube::cronjob_manifest(impl_->target(key.task), before->revision, *schedule,
                                                   before->state == DeploymentState::suspended, *features));
        }
      }
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
  if (image.ref.starts_with(env.cluster.registry + "/" + task + "@sha256:")) return image;  // there already, by digest
  auto docker = impl_->docker();
  if (!docker) return std::unexpected(docker.error());
  return kube::publish_image(**docker, env.cluster.registry, task, image, impl_->options.process_env);
}

Result<Run> KubernetesPlatform::request_run(const DeploymentKey& key, bool forced) {
  auto features = impl_->features();
  if (!features) return std::unexpected(features.error());
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  auto cronjob = (*a)->find(kube::cronjobs_path(*features, impl_->ns) + "/" + key.task);
  if (!cronjob) return std::unexpected(cronjob.error());
  if (!*cronjob) {
    return fail(Errc::not_found, fmt::format("{} is not deployed to {}", key.task, key.env),
                fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", key.env));
  }
  const std::string policy = (**cronjob)["spec"].value("concurrencyPolicy", "Allow");
  if (!forced && policy != "Allow") {
    auto runs = impl_->list_runs(key.task);
    if (!runs) return std::unexpected(runs.error());
    for (const auto& r : *runs) {
      if (is_finished(r.outcome)) continue;
      if (policy == "Forbid") {
        return fail(Errc::conflict, fmt::format("run {} of {} is still going and the concurrency policy forbids another", r.id, key.task),
                    "wait for it (`task logs -f`), or run anyway with --force");
      }
      (void)(*a)->remove(kube::jobs_path(impl_->ns) + "/" + r.id);  // Replace
    }
  }
  const auto now = impl_->options.now();
  auto job = (*a)->create(kube::jobs_path(impl_->ns), kube::manual_job_manifest(**cronjob, job_name(key.task, now), now, forced));
  if (!job) return std::unexpected(job.error());
  return kube::run_of(*job, {});
}

Result<Run> KubernetesPlatform::run(const std::string& id) {
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  auto job = (*a)->find(kube::jobs_path(impl_->ns) + "/" + id);
  if (!job) return std::unexpected(job.error());
  if (!*job) return fail(Errc::not_found, fmt::format("no run `{}` in {}", id, impl_->options.env.name), "`task runs` lists the runs the cluster keeps");
  auto pods = (*a)->get(kube::pods_path(impl_->ns) + "?labelSelector=" + http::url_encode("job-name=" + id));
  if (!pods) return std::unexpected(pods.error());
  std::vector<const Json*> mine;
  for (const auto& p : (*pods)["items"]) mine.push_back(&p);
  return kube::run_of(**job, mine);
}

Result<std::vector<Run>> KubernetesPlatform::runs(const RunFilter& filter) {
  if (!filter.env.empty() && filter.env != impl_->options.env.name) return std::vector<Run>{};
  auto all = impl_->list_runs(filter.task);
  if (!all) return all;
  if (all->size() > filter.limit) all->resize(filter.limit);
  return all;
}

Result<std::vector<Run>> KubernetesPlatform::finished_runs(const DeploymentKey& key, std::size_t limit) {
  auto all = impl_->list_runs(key.task);
  if (!all) return all;
  std::vector<Run> out;
  for (auto& r : *all) {
    if (is_finished(r.outcome) && out.size() < limit) out.push_back(std::move(r));
  }
  return out;
}

std::chrono::milliseconds KubernetesPlatform::poll_interval() const { return std::chrono::milliseconds(250); }

Result<LogChunk> KubernetesPlatform::read_log(const Run& run, std::uint64_t from) {
  auto a = impl_->api();
  if (!a) return std::unexpected(a.error());
  LogChunk chunk;
  chunk.next = from;
  auto pod = impl_->newest_pod_of(run.id);
  if (!pod) return std::unexpected(pod.error());
  if (!*pod) {
    chunk.exists = !is_finished(run.outcome);
    return chunk;
  }
  std::string text;
  auto r = (*a)->stream(kube::pods_path(impl_->ns) + "/" + (**pod)["metadata"].value("name", "") + "/log?container=task&timestamps=true",
                        [&](std::string_view data) {
                          text.append(data);
                          return true;
                        });
  if (!r) {
    // A container that has not started yet has no log: nothing to show so far.
    if (r.error().code == Errc::invalid_input || r.error().code == Errc::not_found) return chunk;
    return std::unexpected(r.error());
  }
  if (from > text.size()) return chunk;
  const SecretMask& mask = impl_->mask(run.task, run.revision);
  std::size_t at = from;
  for (;;) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    chunk.lines.push_back(pod_log_line(std::string_view(text.data() + at, nl - at), mask));
    at = nl + 1;
  }
  chunk.next = at;
  return chunk;
}

std::optional<Result<std::uint64_t>> KubernetesPlatform::stream_log(const Run& run, std::uint64_t from,
                                                                  const std::function<void(const RunLogLine&)>& line,
                                                                  const std::function<bool()>& stop) {
  auto a = impl_->api();
  if (!a) return Result<std::uint64_t>(std::unexpected(a.error()));
  auto pod = impl_->newest_pod_of(run.id);
  if (!pod) return Result<std::uint64_t>(std::unexpected(pod.error()));
  if (!*pod) return std::nullopt;
  const Json& status = (**pod)["status"];
  const std::string phase = status.value("phase", "");
  if (phase != "Running" && phase != "Succeeded" && phase != "Failed") return std::nullopt;  // no output yet
  const SecretMask& mask = impl_->mask(run.task, run.revision);
  // The whole log again, followed: the bytes before `from` were handed over already.
  std::uint64_t seen = 0, at = from;
  std::string partial;
  auto r = (*a)->stream(
      kube::pods_path(impl_->ns) + "/" + (**pod)["metadata"].value("name", "") + "/log?container=task&timestamps=true&follow=true",
      [&](std::string_view data) {
        const std::uint64_t start = seen;
        seen += data.size();
        if (seen <= from) return !(stop && stop());
        if (start < from) data.remove_prefix(static_cast<std::size_t>(from - start));
        partial.append(data);
        std::size_t begin = 0;
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', begin)) {
          line(pod_log_line(std::string_view(partial).substr(begin, nl - begin), mask));
          at += nl + 1 - begin;
          begin = nl + 1;
        }
        partial.erase(0, begin);
        return !(stop && stop());
      },
      stop);
  if (!r) {
    if (r.error().code == Errc::interrupted) return Result<std::uint64_t>(at);
    if (r.error().code == Errc::invalid_input || r.error().code == Errc::not_found) return std::nullopt;  // not started, or gone
    return Result<std::uint64_t>(std::unexpected(r.error()));
  }
  return Result<std::uint64_t>(at);
}

void KubernetesPlatform::await_change(const DeploymentKey& key, std::chrono::milliseconds at_most) {
  // A watch of the deployment's Pods from now: it answers with the first change.
  auto a = impl_->api();
  const auto seconds = std::max<long>(1, static_cast<long>(std::chrono::ceil<std::chrono::seconds>(at_most).count()));
  const std::string query = selector(key.task, key.env);
  auto list = a ? (*a)->get(kube::pods_path(impl_->ns) + "?" + query + "&limit=1") : Result<Json>(std::unexpected(a.error()));
  if (!list) {
    Platform::await_change(key, at_most);
    return;
  }
  const std::string version = (*list)["metadata"].value("resourceVersion", "");
  bool changed = false;
  auto r = (*a)->stream(kube::pods_path(impl_->ns) + "?" + query + "&watch=true&allowWatchBookmarks=false&timeoutSeconds=" +
                            std::to_string(seconds) + "&resourceVersion=" + version,
                        [&](std::string_view) {
                          changed = true;
                          return false;
                        });
  if (!r && !changed) Platform::await_change(key, at_most);
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
  out.push_back(Check{env + ": CronJobs", true, f->cronjobs + (f->time_zone ? ", with timeZone" : ", without timeZone (UTC schedules only)"), ""});
  struct Right {
    const char *verb, *group, *resource, *subresource;
  };
  static constexpr Right rights[] = {
      {"create", "batch", "cronjobs", ""}, {"patch", "batch", "cronjobs", ""},  {"delete", "batch", "cronjobs", ""},
      {"create", "batch", "jobs", ""},     {"list", "batch", "jobs", ""},       {"delete", "batch", "jobs", ""},
      {"create", "", "configmaps", ""},    {"patch", "", "configmaps", ""},     {"create", "", "secrets", ""},
      {"update", "", "secrets", ""},       {"list", "", "secrets", ""},         {"list", "", "pods", ""},
      {"get", "", "pods", "log"},
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
