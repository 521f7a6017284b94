#pragma once
// What the kubernetes platform's files share (kubernetes_platform.cpp: deployments,
// revisions, images, events, figures, doctor; kubernetes_runs.cpp: runs and their logs):
// the connection, what the server serves, the ledger, Jobs and Pods.
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
#include "platform/kubernetes/kubernetes_platform.hpp"
#include "platform/kubernetes/ledger.hpp"
#include "platform/kubernetes/manifests.hpp"
#include "platform/kubernetes/registry.hpp"

namespace task {

using kube::Json;
using kube::Ledger;
using kube::from_millis;
using kube::millis;
using kube::revision_json;

namespace kube_internal {

inline constexpr std::int64_t kept_config_objects = 10;  // revisions whose ConfigMap and Secret stay
inline constexpr std::size_t kept_revisions = 200;       // in the ledger (a Secret holds at most 1 MiB)

inline std::string selector(const std::string& task, const std::string& env) {
  std::string s = "app.kubernetes.io/managed-by=task";
  if (!task.empty()) s += ",task.name=" + task;
  if (!env.empty()) s += ",task.env=" + env;
  return "labelSelector=" + http::url_encode(s);
}

// A line of a Pod's log with timestamps=true: "2026-12-01T23:00:01.123456789Z text".
inline RunLogLine pod_log_line(std::string_view line, const SecretMask& mask) {
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

inline std::string job_name(const std::string& task, Timestamp at) {
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

}  // namespace kube_internal

using namespace kube_internal;

struct KubernetesPlatform::Impl {
  KubernetesPlatformOptions options;
  std::optional<kube::Api> api_;
  std::optional<kube::ServerFeatures> features_;
  std::string ns;
  std::optional<DockerClient> docker_;
  std::map<std::string, SecretMask> masks;  // by task
  bool namespace_seen = false;

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
    if (!*found) {
      // A namespace that does not exist answers 404 for everything in it: say so once.
      if (!namespace_seen) {
        auto space = (*a)->find("/api/v1/namespaces/" + ns);
        if (space && !*space) {
          return fail(Errc::not_found, fmt::format("namespace {} does not exist on {}", ns, (*a)->access().server),
                      fmt::format("create it with `task env set {} --create-namespace`, or name another with --namespace", options.env.name));
        }
        namespace_seen = true;  // there, or not ours to read (403): what may be done there is the doctor's to say
      }
      return l;
    }
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

  // A Job's Pods, oldest first.
  Result<std::vector<Json>> pods_of(const std::string& job) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    auto pods = (*a)->get(kube::pods_path(ns) + "?labelSelector=" + http::url_encode("job-name=" + job));
    if (!pods) return std::unexpected(pods.error());
    std::vector<Json> out;
    for (const auto& p : (*pods)["items"]) out.push_back(p);
    std::sort(out.begin(), out.end(), kube::created_before);
    return out;
  }

  // A Pod's log so far ("" while its container has not started); ended with a line break
  // once the Pod has ended.
  Result<std::string> pod_log(const Json& pod) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    std::string text;
    auto r = (*a)->stream(kube::pods_path(ns) + "/" + pod["metadata"].value("name", "") + "/log?container=task&timestamps=true",
                          [&](std::string_view data) {
                            text.append(data);
                            return true;
                          });
    if (!r) {
      if (r.error().code == Errc::invalid_input || r.error().code == Errc::not_found) return std::string();
      return std::unexpected(r.error());
    }
    const std::string phase = pod["status"].value("phase", "");
    if (!text.empty() && text.back() != '\n' && (phase == "Succeeded" || phase == "Failed")) text += '\n';
    return text;
  }

  // Every secret the deployment ever had, so that a line is masked whatever revision it
  // came from; the ledger unreadable is an error, never a log shown unmasked.
  Result<const SecretMask*> mask(const std::string& task) {
    if (auto it = masks.find(task); it != masks.end()) return &it->second;
    auto l = read_ledger(task);
    if (!l) return std::unexpected(l.error());
    Config secrets;
    auto add = [&](const Config& config) {
      for (const auto& [key, v] : config) {
        if (v.secret) secrets.emplace(fmt::format("{}#{}", key, secrets.size()), v);
      }
    };
    for (const auto& r : l->revisions()) add(r.config);
    add(l->config());
    return &masks.emplace(task, SecretMask(secrets)).first->second;
  }

  // Applies a revision's ConfigMap and Secret, then switches the CronJob to them.
  Result<void> put_revision(const std::string& task, const Revision& r, bool suspended, const kube::ServerFeatures& f) {
    auto a = api();
    if (!a) return std::unexpected(a.error());
    auto schedule = kube::cron_schedule(r.schedule, r.timezone, f);
    if (!schedule) return std::unexpected(schedule.error());
    const auto at = target(task);
    const auto name = kube::config_name(task, r.number);
    if (auto c = (*a)->apply(kube::config_maps_path(ns) + "/" + name, kube::config_map_manifest(at, r)); !c) {
      return std::unexpected(c.error());
    }
    if (auto c = (*a)->apply(kube::secrets_path(ns) + "/" + name, kube::secret_manifest(at, r)); !c) {
      return std::unexpected(c.error());
    }
    if (auto c = (*a)->apply(kube::cronjobs_path(f, ns) + "/" + task, kube::cronjob_manifest(at, r, *schedule, suspended, f)); !c) {
      return std::unexpected(c.error());
    }
    return {};
  }

  // After a change that could not be recorded: what runs is made what the ledger names
  // again (its configuration objects too, which a concurrent change may have rewritten).
  void heal(const std::string& task, const kube::ServerFeatures& f) {
    auto l = read_ledger(task);
    if (!l) return;
    auto d = l->deployment(options.env.name, false);
    if (d) (void)put_revision(task, d->revision, d->state == DeploymentState::suspended, f);
  }
};

}  // namespace task
