// The kubernetes platform's runs and their logs: Jobs of the CronJob, and their Pods.
#include "platform/kubernetes/kubernetes_platform.hpp"

#include "platform/kubernetes/platform_impl.hpp"

namespace task {

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

// A run's log is its Pods' logs one after another, oldest first (its attempts): offsets
// count bytes of that whole. A Pod that has ended has its last line ended too.
Result<LogChunk> KubernetesPlatform::read_log(const Run& run, std::uint64_t from) {
  LogChunk chunk;
  chunk.next = from;
  auto pods = impl_->pods_of(run.id);
  if (!pods) return std::unexpected(pods.error());
  if (pods->empty()) {
    chunk.exists = !is_finished(run.outcome);
    return chunk;
  }
  auto mask = impl_->mask(run.task);
  if (!mask) return std::unexpected(mask.error());
  std::string text;
  for (const auto& pod : *pods) {
    auto log = impl_->pod_log(pod);
    if (!log) return std::unexpected(log.error());
    text += *log;
  }
  if (from > text.size()) return chunk;
  std::size_t at = from;
  for (auto nl = text.find('\n', at); nl != std::string::npos; nl = text.find('\n', at)) {
    chunk.lines.push_back(pod_log_line(std::string_view(text.data() + at, nl - at), **mask));
    at = nl + 1;
  }
  chunk.next = at;
  return chunk;
}

std::optional<Result<std::uint64_t>> KubernetesPlatform::stream_log(const Run& run, std::uint64_t from,
                                                                  const std::function<void(const RunLogLine&)>& line,
                                                                  const std::function<bool()>& stop) {
  using Streamed = Result<std::uint64_t>;
  auto a = impl_->api();
  if (!a) return Streamed(std::unexpected(a.error()));
  auto pods = impl_->pods_of(run.id);
  if (!pods) return Streamed(std::unexpected(pods.error()));
  if (pods->empty()) return std::nullopt;
  const Json& pod = pods->back();
  if (pod["status"].value("phase", "") != "Running") return std::nullopt;  // not started, or ended: read_log has it all
  // Where the newest Pod's log starts in the run's log: after its earlier attempts.
  std::uint64_t base = 0;
  for (std::size_t i = 0; i + 1 < pods->size(); ++i) {
    auto log = impl_->pod_log((*pods)[i]);
    if (!log) return Streamed(std::unexpected(log.error()));
    base += log->size();
  }
  if (from < base) return std::nullopt;  // the earlier attempts first
  auto mask = impl_->mask(run.task);
  if (!mask) return Streamed(std::unexpected(mask.error()));
  // The Pod's whole log, followed: the bytes before `from` were handed over already.
  std::uint64_t seen = base, at = from;
  std::string partial;
  auto r = (*a)->stream(
      kube::pods_path(impl_->ns) + "/" + pod["metadata"].value("name", "") + "/log?container=task&timestamps=true&follow=true",
      [&](std::string_view data) {
        const std::uint64_t start = seen;
        seen += data.size();
        if (seen <= from) return !(stop && stop());
        if (start < from) data.remove_prefix(static_cast<std::size_t>(from - start));
        partial.append(data);
        std::size_t begin = 0;
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', begin)) {
          line(pod_log_line(std::string_view(partial).substr(begin, nl - begin), **mask));
          at += nl + 1 - begin;
          begin = nl + 1;
        }
        partial.erase(0, begin);
        return !(stop && stop());
      },
      stop);
  if (!r) {
    if (r.error().code == Errc::interrupted) return Streamed(at);
    if (r.error().code == Errc::invalid_input || r.error().code == Errc::not_found) return std::nullopt;  // not started, or gone
    return Streamed(std::unexpected(r.error()));
  }
  return Streamed(at);  // a last line without its end is read_log's, once the Pod has ended
}

bool KubernetesPlatform::await_change(const DeploymentKey& key, std::chrono::milliseconds at_most) {
  // A watch of the deployment's Pods from now: it answers with the first change.
  auto a = impl_->api();
  const auto seconds = std::max<long>(1, static_cast<long>(std::chrono::ceil<std::chrono::seconds>(at_most).count()));
  const std::string query = selector(key.task, key.env);
  auto list = a ? (*a)->get(kube::pods_path(impl_->ns) + "?" + query + "&limit=1") : Result<Json>(std::unexpected(a.error()));
  if (!list) return Platform::await_change(key, at_most);
  const std::string version = (*list)["metadata"].value("resourceVersion", "");
  bool changed = false;
  auto r = (*a)->stream(kube::pods_path(impl_->ns) + "?" + query + "&watch=true&allowWatchBookmarks=false&timeoutSeconds=" +
                            std::to_string(seconds) + "&resourceVersion=" + version,
                        [&](std::string_view) {
                          changed = true;
                          return false;
                        });
  if (!r && !changed) return Platform::await_change(key, at_most);
  return changed;
}

}  // namespace task
