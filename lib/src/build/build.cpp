#include "task/build.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <fstream>

#include "task/connect.hpp"
#include "task/git.hpp"
#include "task/project.hpp"

namespace task {
namespace fs = std::filesystem;

std::string image_tag(const std::string& commit, bool dirty, std::int64_t dirty_count) {
  std::string tag = commit.substr(0, 12);
  if (dirty) tag += fmt::format("-dirty.{}", dirty_count);
  return tag;
}

namespace {

// A path named in task.yaml must stay inside the directory it is relative to.
Result<fs::path> inside(const fs::path& base, const std::string& relative, std::string_view what) {
  auto resolved = fs::weakly_canonical(base / relative);
  auto root = fs::weakly_canonical(base);
  auto rel = resolved.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") {
    return fail(Errc::invalid_input, fmt::format("{} `{}` is outside {}", what, relative, root.string()),
                "builds only see files inside the project; fix task.yaml's `build` section");
  }
  return resolved;
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "task-build-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string event_line(const BuildEvent& e) {
  switch (e.kind) {
    case BuildEvent::Kind::stream: return e.text;
    case BuildEvent::Kind::status: return e.id.empty() ? e.text + "\n" : fmt::format("{}: {}\n", e.id, e.text);
    case BuildEvent::Kind::error: return "error: " + e.text + "\n";
    case BuildEvent::Kind::aux: return {};
  }
  return {};
}

}  // namespace

Result<BuildRecord> build_project(BuildLedger& store, DockerClient& docker, const BuildOptions& options,
                                  const Environment& env, const BuildObserver& observer) {
  auto config = load_project(options.project_dir);
  if (!config) return std::unexpected(config.error());

  ScratchDir scratch;
  Result<SourceRevision> source = [&] {
    if (config->source.git.empty()) return resolve_local_source(options.project_dir, options.commit, scratch.path() / "tree");
    FetchObserver fetch{observer.fetching, observer.cancelled};
    return resolve_remote_source(config->source, options.commit, GitAccess{options.cache_dir, env},
                                 scratch.path() / "tree", fetch);
  }();
  if (!source) return std::unexpected(source.error());
  // What the record, the log and the labels say: a hand-written URL may hold a user name
  // that is really a token.
  const std::string source_url = redact_credentials(config->source.git);
  auto context = inside(source->tree, config->build.context, "build context");
  if (!context) return std::unexpected(context.error());
  auto dockerfile = inside(*context, config->build.dockerfile, "Dockerfile");
  if (!dockerfile) return std::unexpected(dockerfile.error());
  if (!fs::is_regular_file(*dockerfile)) {
    const bool connected = !config->source.git.empty();
    const std::string shown = connected ? fmt::format("{} in {} at {:.12}", dockerfile->lexically_relative(scratch.path() / "tree").generic_string(),
                                                      source_url, source->commit.id)
                                        : dockerfile->string();
    return fail(Errc::not_found, fmt::format("no Dockerfile at {}", shown),
                "add one, or set `build.dockerfile` in task.yaml");
  }

  std::int64_t dirty_count = 0;
  if (source->dirty) {
    auto count = store.count_dirty_builds(config->name, source->commit.id);
    if (!count) return std::unexpected(count.error());
    dirty_count = *count + 1;
  }
  auto record = store.begin_build({config->name, fs::absolute(options.project_dir).lexically_normal().string(),
                                   source->commit.id, source->dirty, source_url, observer.now()});
  if (!record) return std::unexpected(record.error());
  const std::string repo = "task/" + config->name;
  record->image_ref = repo + ":" + image_tag(source->commit.id, source->dirty, dirty_count);
  if (auto r = store.set_build_image_ref(record->id, record->image_ref); !r) return std::unexpected(r.error());
  observer.started(*record);

  std::ofstream log(record->log_path, std::ios::binary | std::ios::trunc);
  {
    // A build log can hold build arguments and a connected repository's output: the
    // owner's alone, like the rest of $TASK_HOME.
    std::error_code ec;
    fs::permissions(record->log_path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
  }
  auto log_line = [&](std::string_view text) {
    log << text;
    log.flush();
  };
  log_line(fmt::format("build {} of {} at {}{}\n", record->id, config->name, source->commit.id,
                       source->dirty ? " (dirty work tree)" : ""));
  if (!config->source.git.empty()) {
    log_line(fmt::format("source {} branch {}{}: {} ({})\n", source_url, config->source.branch,
                         config->source.path.empty() ? "" : ", directory " + config->source.path,
                         source->commit.summary, source->commit.author));
  }

  BuildRequest request;
  request.context_dir = *context;
  request.dockerfile = dockerfile->lexically_relative(*context).generic_string();
  request.tag = record->image_ref;
  request.build_args = config->build.args;
  for (const auto& [k, v] : options.build_args) request.build_args[k] = v;
  // task.build names the build that made the image. A rebuild of a commit (clean, or
  // dirty again) whose earlier image still exists labels with that build's id: when every
  // step comes from the cache, the image is the very same one (with the classic builder
  // the label step is a container commit, seconds on some storage drivers, and comes from
  // the cache too). Should the image differ after all, it is labelled again with this
  // build's id.
  std::string label_build = std::to_string(record->id);
  std::string earlier_image;
  if (!options.no_cache) {
    std::optional<BuildRecord> earlier;
    if (!source->dirty) {
      if (auto e = store.build_for_commit(config->name, source->commit.id); e && *e) earlier = **e;
    } else if (auto e = store.latest_build(config->name, true); e && e->dirty && e->commit == source->commit.id) {
      earlier = *e;
    }
    if (earlier) {
      if (auto info = docker.inspect_image(earlier->image_id); info && info->labels.count("task.build")) {
        label_build = info->labels.at("task.build");
        earlier_image = info->id;
      }
    }
  }
  request.labels = {{"task.name", config->name},
                    {"task.commit", source->commit.id},
                    {"task.dirty", source->dirty ? "true" : "false"},
                    {"task.source", source_url.empty() ? record->project_dir : source_url},
                    {"task.build", label_build}};
  request.no_cache = options.no_cache;
  request.platform = options.platform;
  request.builder = options.builder;
  const Builder builder = options.builder == Builder::automatic ? docker.preferred_builder() : options.builder;
  log_line(fmt::format("builder: {}{}\n", builder == Builder::buildkit ? "BuildKit" : "classic",
                       options.builder == Builder::automatic ? " (auto)" : ""));

  const auto on_event = [&](const BuildEvent& e) {
    log_line(event_line(e));
    observer.event(e);
  };
  auto image = docker.build(request, on_event, observer.cancelled);
  if (image && !earlier_image.empty()) {
    if (*image == earlier_image) {
      log_line(fmt::format("every step was cached: the image is build {}'s, and its labels say so\n", label_build));
    } else {
      // Again with this build's id: every step but the label comes from the cache, and the
      // next rebuild finds this label step in it.
      log_line(fmt::format("the image differs from build {}'s: labelling it as build {}\n", label_build, record->id));
      request.labels["task.build"] = std::to_string(record->id);
      image = docker.build(request, on_event, observer.cancelled);
    }
  }

  auto finish = [&](BuildStatus status, const std::string& image_id, const std::string& error) -> Result<void> {
    if (!error.empty()) log_line(fmt::format("build {}: {}\n", to_string(status), error));
    record->status = status;
    record->image_id = image_id;
    record->error = error;
    record->finished_at = observer.now();
    return store.finish_build(record->id, status, image_id, error, *record->finished_at);
  };

  if (!image) {
    auto status = image.error().code == Errc::interrupted ? BuildStatus::cancelled : BuildStatus::failed;
    if (auto r = finish(status, "", image.error().message); !r) return std::unexpected(r.error());
    auto err = image.error();
    err.message = fmt::format("build {} {}: {}", record->id, to_string(status), err.message);
    err.hint = fmt::format("`task logs --build {}` shows the whole log", record->id);
    return std::unexpected(err);
  }
  if (auto r = finish(BuildStatus::succeeded, *image, ""); !r) return std::unexpected(r.error());

  if (options.push) {
    if (config->registry.empty()) {
      return fail(Errc::invalid_input, fmt::format("build {} succeeded, but there is no registry to push to", record->id),
                  "add `registry: HOST[:PORT]/NAMESPACE` to task.yaml");
    }
    auto registry_host = config->registry.substr(0, config->registry.find('/'));
    const std::string target = config->registry + "/" + config->name;
    const std::string tag = record->image_ref.substr(record->image_ref.find(':') + 1);
    if (auto r = docker.tag_image(*image, target, tag); !r) return std::unexpected(r.error());
    auto auth = registry_auth_for(registry_host, env);
    if (!auth) return std::unexpected(auth.error());
    log_line(fmt::format("pushing {}:{}\n", target, tag));
    auto digest = docker.push_image(target, tag, *auth, [&](const BuildEvent& e) {
      log_line(event_line(e));
      observer.event(e);
    });
    if (!digest) {
      log_line(fmt::format("push failed: {}\n", digest.error().message));
      auto err = digest.error();
      err.message = fmt::format("build {} succeeded but its push to {} failed: {}", record->id, config->registry, err.message);
      return std::unexpected(err);
    }
    record->pushed_ref = target + "@" + *digest;
    if (auto r = store.set_build_pushed(record->id, record->pushed_ref); !r) return std::unexpected(r.error());
    log_line(fmt::format("pushed {}\n", record->pushed_ref));
  }
  return *record;
}

Result<BuildRecord> build_project(BuildLedger& builds, const BuildOptions& options, const Environment& env,
                                  const BuildObserver& observer) {
  auto endpoint = resolve_docker_endpoint(env);
  if (!endpoint) return std::unexpected(endpoint.error());
  auto docker = DockerClient::connect(*endpoint);
  if (!docker) return std::unexpected(docker.error());
  return build_project(builds, *docker, options, env, observer);
}

}  // namespace task
