// .dockerignore rules. Matching follows moby/patternmatcher's MatchesUsingParentResults,
// which is what the docker CLI's context walk uses: a pattern that matched a directory
// keeps matching everything below it, and each path is judged with its parents' results.
#include <fstream>
#include <sstream>
#include <system_error>

#include "docker/ignore_pattern.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// A path as a pattern that matches only itself.
std::string escape_glob(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Result<DockerIgnore> parse_named(std::string_view text, const std::string& name) {
  int number = 0;
  std::vector<docker::IgnoreRules::Pattern> parsed;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.starts_with('#')) continue;
    line = trim(line);
    if (line.empty()) continue;
    const bool exception = line.front() == '!';
    if (exception) line = trim(line.substr(1));
    std::string pattern;
    if (!line.empty()) {
      pattern = docker::clean_path(line);
      if (pattern.size() > 1 && pattern.front() == '/') pattern.erase(0, 1);
    }
    const std::string where = name + ":" + std::to_string(number);
    if (exception && pattern.empty()) {
      return fail(Errc::invalid_input, where + ": `!` needs a pattern after it",
                  "write `!path` to re-include a path, or remove the line");
    }
    auto glob = docker::GlobPattern::compile(pattern);
    if (!glob) {
      return fail(Errc::invalid_input,
                  where + ": bad pattern `" + std::string(line) + "`: " + glob.error(),
                  "escape special characters with `\\`; classes look like [a-z] or [^0-9]");
    }
    parsed.push_back({std::move(pattern), exception, std::move(*glob)});
  }
  return docker::IgnoreRules::make(std::move(parsed));
}

}  // namespace

DockerIgnore::DockerIgnore() = default;
DockerIgnore::DockerIgnore(const DockerIgnore&) = default;
DockerIgnore::DockerIgnore(DockerIgnore&&) noexcept = default;
DockerIgnore& DockerIgnore::operator=(const DockerIgnore&) = default;
DockerIgnore& DockerIgnore::operator=(DockerIgnore&&) noexcept = default;
DockerIgnore::~DockerIgnore() = default;

Result<DockerIgnore> DockerIgnore::parse(std::string_view text) {
  return parse_named(text, ".dockerignore");
}

Result<DockerIgnore> DockerIgnore::load(const fs::path& context_dir) {
  const fs::path file = context_dir / ".dockerignore";
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return DockerIgnore{};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return fail(Errc::io, "cannot read " + file.string(), "check the file's permissions");
  }
  return parse_named(text.str(), file.string());
}

bool DockerIgnore::excluded(std::string_view relative_path) const {
  std::string path = docker::clean_path(relative_path);
  if (path.starts_with('/')) path = docker::clean_path(path.substr(1));
  if (path == "." || patterns_.empty()) return false;
  std::vector<char> parent, current;
  bool matched = false;
  std::size_t end = 0;
  while (end != std::string::npos) {
    end = path.find('/', end + 1);
    const std::string_view prefix = std::string_view(path).substr(0, end);
    matched = docker::IgnoreRules::match(*this, prefix, parent.empty() ? nullptr : &parent, current);
    std::swap(parent, current);
  }
  return matched;
}

bool DockerIgnore::reaches_below(std::string_view relative_dir) const {
  if (!has_exceptions_) return false;
  const std::string dir = docker::clean_path(relative_dir);
  for (const Pattern& pattern : patterns_) {
    if (!pattern.exception) continue;
    if (dir == ".") return true;
    if (pattern.glob.matches_below(dir)) return true;
  }
  return false;
}

DockerIgnore DockerIgnore::keeping(std::string_view relative_path) const {
  DockerIgnore copy = *this;
  const std::string path = docker::clean_path(relative_path);
  if (!excluded(path)) return copy;
  std::string text = escape_glob(path);
  if (auto glob = docker::GlobPattern::compile(text)) {
    copy.patterns_.push_back({std::move(text), true, std::move(*glob)});
    copy.has_exceptions_ = true;
  }
  return copy;
}

std::vector<std::string> DockerIgnore::patterns() const {
  std::vector<std::string> out;
  out.reserve(patterns_.size());
  for (const Pattern& pattern : patterns_) out.push_back((pattern.exception ? "!" : "") + pattern.text);
  return out;
}

}  // namespace task

namespace task::docker {

DockerIgnore IgnoreRules::make(std::vector<Pattern> patterns) {
  DockerIgnore ignore;
  for (const Pattern& pattern : patterns) ignore.has_exceptions_ = ignore.has_exceptions_ || pattern.exception;
  ignore.patterns_ = std::move(patterns);
  return ignore;
}

bool IgnoreRules::match(const DockerIgnore& ignore, std::string_view path,
                        const std::vector<char>* parent, std::vector<char>& out) {
  const auto& patterns = ignore.patterns_;
  out.assign(patterns.size(), 0);
  bool matched = false;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    bool match = parent != nullptr && (*parent)[i] != 0;
    if (!match) {
      // Only a pattern that could change the verdict is tried: an exclusion while
      // nothing matched yet, or an exception after a match.
      if (patterns[i].exception != matched) continue;
      match = patterns[i].glob.matches(path);
    }
    out[i] = match ? 1 : 0;
    if (match) matched = !patterns[i].exception;
  }
  return matched;
}

}  // namespace task::docker
