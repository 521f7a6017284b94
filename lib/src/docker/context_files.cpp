// The walk of a build context: which entries are sent, in which order.
#include <algorithm>
#include <system_error>

#include "docker/ignore_pattern.hpp"
#include "task/build_context.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

class ContextWalker {
 public:
  ContextWalker(const fs::path& root, const DockerIgnore& ignore) : root_(root), ignore_(ignore) {}

  Result<void> walk(const std::string& relative_dir, const std::vector<char>* parent_results) {
    const fs::path dir = relative_dir.empty() ? root_ : root_ / relative_dir;
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) {
      return fail(Errc::io, "cannot read " + dir.string() + ": " + ec.message(),
                  "fix its permissions, or exclude it in .dockerignore");
    }
    std::sort(names.begin(), names.end());
    std::vector<char> results;
    for (const std::string& name : names) {
      const std::string path = relative_dir.empty() ? name : relative_dir + "/" + name;
      const fs::file_status status = fs::symlink_status(root_ / path, ec);
      if (ec) {
        return fail(Errc::io, "cannot stat " + (root_ / path).string() + ": " + ec.message());
      }
      const fs::file_type type = status.type();
      if (type != fs::file_type::regular && type != fs::file_type::directory &&
          type != fs::file_type::symlink) {
        continue;  // sockets, pipes and devices have no place in an image build
      }
      const bool excluded = docker::IgnoreRules::match(ignore_, path, parent_results, results);
      if (type != fs::file_type::directory) {
        if (!excluded) files_.push_back(path);
        continue;
      }
      // An excluded directory is still entered when an exception may bring back
      // something inside it; its own entry stays out, as with the docker CLI.
      if (excluded && !ignore_.reaches_below(path)) continue;
      if (!excluded) files_.push_back(path);
      if (auto walked = walk(path, &results); !walked) return walked;
    }
    return {};
  }

  std::vector<std::string> take() { return std::move(files_); }

 private:
  fs::path root_;
  const DockerIgnore& ignore_;
  std::vector<std::string> files_;
};

}  // namespace

Result<std::vector<std::string>> list_context_files(const fs::path& context_dir,
                                                    const DockerIgnore& ignore,
                                                    std::string_view dockerfile) {
  std::error_code ec;
  if (!fs::is_directory(context_dir, ec)) {
    return fail(Errc::not_found, "build context " + context_dir.string() + " is not a directory",
                "check build.context in task.yaml");
  }
  const DockerIgnore rules = ignore.keeping(".dockerignore").keeping(dockerfile);
  ContextWalker walker(context_dir, rules);
  if (auto walked = walker.walk("", nullptr); !walked) return std::unexpected(walked.error());
  return walker.take();
}

}  // namespace task
