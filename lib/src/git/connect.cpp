// `task connect`: fetch a repository into the cache, check what the project will build
// from, and write the project directory holding task.yaml.
#include "task/connect.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/staging.hpp"
#include "git/commit.hpp"
#include "git/fetch.hpp"
#include "task/name.hpp"
#include "task/text.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

std::string join_path(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) {
    if (!part.empty()) out += (out.empty() ? "" : "/") + std::string(part);
  }
  return out;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

// The entry at `path` ("" is the root tree itself, returned as null).
git::TreeEntry entry_at(const git_tree* root, const std::string& path) {
  git_tree_entry* raw = nullptr;
  if (path.empty() || git_tree_entry_bypath(&raw, root, path.c_str()) != 0) return nullptr;
  return git::TreeEntry(raw);
}

git::Tree tree_at(git_repository* repo, const git_tree* root, const std::string& path) {
  git_tree* raw = nullptr;
  if (path.empty()) {
    git_tree_dup(&raw, const_cast<git_tree*>(root));
    return git::Tree(raw);
  }
  auto entry = entry_at(root, path);
  if (!entry || git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return nullptr;
  if (git_tree_lookup(&raw, repo, git_tree_entry_id(entry.get())) != 0) return nullptr;
  return git::Tree(raw);
}

// "what `dir` holds": its entries, directories with a trailing '/', for error messages.
std::vector<std::string> listing(const git_tree* tree) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < git_tree_entrycount(tree); ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    names.push_back(std::string(git_tree_entry_name(e)) +
                    (git_tree_entry_type(e) == GIT_OBJECT_TREE ? "/" : ""));
  }
  return names;
}

std::string describe_listing(const std::vector<std::string>& names) {
  if (names.empty()) return "nothing";
  std::size_t shown = std::min<std::size_t>(names.size(), 12);
  std::vector<std::string> listed(names.begin(), names.begin() + static_cast<long>(shown));
  if (shown < names.size()) listed.push_back(fmt::format("and {} more", names.size() - shown));
  return join(listed, ", ");
}

std::string dir_label(const std::string& dir) {
  return dir.empty() ? "the repository's root" : "`" + dir + "/`";
}

// The deepest existing directory on the way to `path`, and what it holds.
std::string nearest_listing(git_repository* repo, const git_tree* root, std::string path) {
  for (;;) {
    path = parent_of(path);
    if (auto tree = tree_at(repo, root, path)) {
      return fmt::format("{} holds: {}", dir_label(path), describe_listing(listing(tree.get())));
    }
    if (path.empty()) return {};
  }
}

bool looks_like_dockerfile(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("dockerfile") != std::string::npos ||
         lower.find("containerfile") != std::string::npos;
}

Result<std::string> read_blob(git_repository* repo, const git_tree_entry* entry) {
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo, git_tree_entry_id(entry)) != 0)
    return std::unexpected(git::last_error("cannot read a file of the repository"));
  git::Blob blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

// task.yaml for the connected project: the repository's own settings when it has a
// task.yaml at the path, with `source` (and --name, --dockerfile) set by connect.
Result<std::string> render_project_yaml(const std::string& name, const SourceSpec& source,
                                        const std::string* repo_yaml,
                                        const std::string& dockerfile_override) {
  YAML::Node out(YAML::NodeType::Map);
  out["name"] = name;
  YAML::Node src(YAML::NodeType::Map);
  src["git"] = source.git;
  src["branch"] = source.branch;
  if (!source.path.empty()) src["path"] = source.path;
  out["source"] = src;
  if (repo_yaml) {
    YAML::Node original = YAML::Load(*repo_yaml);
    for (auto it = original.begin(); it != original.end(); ++it) {
      auto key = it->first.Scalar();
      if (key != "name" && key != "source") out[key] = it->second;
    }
  }
  if (!dockerfile_override.empty() || !repo_yaml) {
    if (!out["build"]) out["build"] = YAML::Node(YAML::NodeType::Map);
    out["build"]["dockerfile"] =
        dockerfile_override.empty() ? std::string("Dockerfile") : dockerfile_override;
  }
  YAML::Emitter emitter;
  emitter << out;
  if (!emitter.good())
    return fail(Errc::failure, fmt::format("cannot write task.yaml: {}", emitter.GetLastError()));
  std::string header = fmt::format(
      "# Made by `task connect`: builds fetch branch {} of {}{}\n# and build its Dockerfile "
      "there.\n",
      source.branch, source.git,
      source.path.empty() ? "" : fmt::format(" (directory {})", source.path));
  return header + emitter.c_str() + "\n";
}

fs::path target_dir(const ConnectRequest& request, const std::string& name) {
  fs::path target =
      fs::absolute(request.dir.empty() ? fs::path(name) : request.dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  return target;
}

}  // namespace

Result<ConnectResult> connect_repository(const ConnectRequest& request, const GitAccess& access,
                                         const FetchObserver& observer) {
  auto url = parse_git_url(request.url, fs::current_path());
  if (!url) return std::unexpected(url.error());
  auto path = normalize_repo_path(request.path, "--path");
  if (!path) return std::unexpected(path.error());
  if (!request.name.empty()) {
    if (auto valid = validate_name(request.name); !valid) return std::unexpected(valid.error());
  }
  // Say so before a long clone when the target is known already.
  if (!request.dir.empty() || !request.name.empty()) {
    if (auto free = check_target_free(target_dir(request, request.name), "task connect"); !free) {
      return std::unexpected(free.error());
    }
  }

  git::Library library;
  auto cached = git::fetch_branch(*url, request.branch, access, observer);
  if (!cached) return std::unexpected(cached.error());
  git_repository* repo = cached->repo.get();
  const std::string& branch = cached->fetched.branch;
  const std::string where = fmt::format("{} (branch {})", url->text, branch);

  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo, &cached->fetched.head) != 0) {
    return std::unexpected(
        git::last_error(fmt::format("the head of branch {} is not a commit", branch)));
  }
  git::Commit commit(raw_commit);
  git_tree* raw_root = nullptr;
  if (git_commit_tree(&raw_root, commit.get()) != 0)
    return std::unexpected(git::last_error("cannot read the commit's tree"));
  git::Tree root(raw_root);

  git::Tree base = tree_at(repo, root.get(), *path);
  if (!base) {
    auto entry = entry_at(root.get(), *path);
    if (entry)
      return fail(Errc::invalid_input,
                  fmt::format("`{}` in {} is a file, not a directory", *path, where),
                  "give a directory with --path");
    return fail(Errc::not_found, fmt::format("there is no `{}` in {}", *path, where),
                nearest_listing(repo, root.get(), *path));
  }

  // The repository's own task.yaml, if it has one at the path.
  ProjectConfig config;
  std::string repo_yaml;
  bool has_repo_yaml = false;
  const std::string yaml_path = join_path({*path, project_file_name});
  if (auto entry = entry_at(root.get(), yaml_path);
      entry && git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB) {
    auto text = read_blob(repo, entry.get());
    if (!text) return std::unexpected(text.error());
    auto parsed = parse_project(*text, yaml_path);
    if (!parsed) {
      auto err = parsed.error();
      err.message =
          fmt::format("the repository's task.yaml is invalid: {} ({})", err.message, where);
      if (err.hint.empty()) err.hint = "fix it in the repository, or connect another path";
      return std::unexpected(err);
    }
    config = *parsed;
    repo_yaml = *text;
    has_repo_yaml = true;
  }

  auto context = normalize_repo_path(config.build.context, "build.context");
  if (!context) return std::unexpected(context.error());
  auto dockerfile =
      normalize_repo_path(request.dockerfile.empty() ? config.build.dockerfile : request.dockerfile,
                          request.dockerfile.empty() ? "build.dockerfile" : "--dockerfile");
  if (!dockerfile) return std::unexpected(dockerfile.error());
  const std::string dockerfile_path = join_path({*path, *context, *dockerfile});
  auto found = entry_at(root.get(), dockerfile_path);
  if (!found || git_tree_entry_type(found.get()) == GIT_OBJECT_TREE) {
    const std::string dir = parent_of(dockerfile_path);
    std::string hint = "add one there, or name yours with --dockerfile FILE (relative to --path)";
    std::string holds;
    if (auto tree = tree_at(repo, root.get(), dir)) {
      auto names = listing(tree.get());
      holds = fmt::format("; {} holds: {}", dir_label(dir), describe_listing(names));
      for (const auto& n : names) {
        if (looks_like_dockerfile(n) && n.back() != '/') {
          hint =
              fmt::format("name it with --dockerfile {}", join_path({parent_of(*dockerfile), n}));
          break;
        }
      }
    }
    return fail(Errc::not_found,
                fmt::format("there is no Dockerfile `{}` in {}{}", dockerfile_path, where, holds),
                hint);
  }

  std::string name = request.name;
  if (name.empty()) name = has_repo_yaml ? config.name : derive_task_name(*url, *path);
  if (name.empty()) {
    return fail(
        Errc::invalid_input,
        fmt::format("cannot make a task name out of `{}`", path->empty() ? url->text : *path),
        "give one with --name");
  }
  if (auto valid = validate_name(name); !valid) return std::unexpected(valid.error());

  ConnectResult result;
  result.name = name;
  result.dir = target_dir(request, name);
  result.source = SourceSpec{url->text, branch, *path};
  result.dockerfile = dockerfile_path;
  result.commit = git::describe_commit(commit.get());
  result.repository_config = has_repo_yaml;
  result.cached = cached->cached;

  auto text = render_project_yaml(name, result.source, has_repo_yaml ? &repo_yaml : nullptr,
                                  request.dockerfile.empty() ? std::string{} : *dockerfile);
  if (!text) return std::unexpected(text.error());
  if (auto check = parse_project(*text, project_file_name); !check) {
    return fail(Errc::failure, fmt::format("task connect wrote a task.yaml it cannot read: {}",
                                           check.error().message));
  }
  auto staging = StagedDirectory::begin(result.dir, "task connect", "connect");
  if (!staging) return std::unexpected(staging.error());
  if (auto written = write_text_file(staging->path() / project_file_name, *text); !written) {
    return std::unexpected(written.error());
  }
  if (observer.cancelled())
    return fail(Errc::interrupted, "interrupted: nothing was written", "run the command again");
  if (auto moved = staging->commit(); !moved) return std::unexpected(moved.error());
  return result;
}

}  // namespace task
