#pragma once
// What goes into a Docker build context: .dockerignore with the docker CLI's rules
// (github.com/moby/patternmatcher), and the walk of the context directory.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"

namespace task {
namespace docker {
struct IgnoreRules;
}

// The patterns of a .dockerignore file. Each line is one pattern, cleaned like a path
// (`a//b/../c/` is `a/c`, a leading `/` is dropped); `#` lines and blank lines are
// ignored. `*` and `?` match within one path segment, `[a-z]` and `[^a-z]` are classes,
// `\` escapes, `**` matches any number of segments. A pattern matching a directory
// excludes everything below it. `!pattern` re-includes; the last matching line wins.
class DockerIgnore {
 public:
  DockerIgnore();
  DockerIgnore(const DockerIgnore&);
  DockerIgnore(DockerIgnore&&) noexcept;
  DockerIgnore& operator=(const DockerIgnore&);
  DockerIgnore& operator=(DockerIgnore&&) noexcept;
  ~DockerIgnore();

  // context_dir/.dockerignore; no file means nothing is excluded. A malformed pattern
  // (`[a-`, a lone `!`) is Errc::invalid_input naming the file and line.
  static Result<DockerIgnore> load(const std::filesystem::path& context_dir);
  static Result<DockerIgnore> parse(std::string_view text);

  // Whether the entry at `relative_path` ('/'-separated, relative to the context) is
  // left out. A directory's answer is about its own entry: see reaches_below().
  bool excluded(std::string_view relative_path) const;

  // Whether an exception (`!pattern`) could re-include something below the directory
  // `relative_dir`. When it cannot, an excluded directory is skipped without a look
  // inside. Broader than the docker CLI's literal-prefix test: `!**/keep.txt` reaches
  // into every directory.
  bool reaches_below(std::string_view relative_dir) const;

  // The same rules, plus an exception for `relative_path` if it would be excluded: how
  // the docker CLI makes sure the Dockerfile and .dockerignore are always sent.
  DockerIgnore keeping(std::string_view relative_path) const;

  // The patterns as cleaned, exceptions prefixed with '!'.
  std::vector<std::string> patterns() const;

 private:
  struct Pattern;
  friend struct docker::IgnoreRules;
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// Every entry of the context that is sent, in the order it is sent (depth first, names
// in byte order, a directory before its contents): '/'-separated paths relative to
// context_dir, directories and symlinks included (symlinks are not followed). Excluded
// directories are not entered unless an exception could reach inside. `dockerfile` (a
// path relative to context_dir) and .dockerignore are never excluded. Sockets and
// device files are left out.
Result<std::vector<std::string>> list_context_files(const std::filesystem::path& context_dir,
                                                    const DockerIgnore& ignore,
                                                    std::string_view dockerfile = "Dockerfile");

}  // namespace task
