#pragma once
// One .dockerignore pattern, with the meaning github.com/moby/patternmatcher gives it,
// matched by a small automaton over code points instead of a translated regexp.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "task/build_context.hpp"

namespace task::docker {

// Go's path.Clean on '/'-separated paths: no empty, "." or resolvable ".." segments, no
// trailing slash; "" becomes ".".
std::string clean_path(std::string_view path);

class GlobPattern {
 public:
  // `pattern` is already cleaned. On a malformed pattern, says what is wrong with it.
  static std::expected<GlobPattern, std::string> compile(std::string_view pattern);

  // Whether the whole of `path` matches.
  bool matches(std::string_view path) const;
  // Whether some path strictly below the directory `dir` could match.
  bool matches_below(std::string_view dir) const;

 private:
  enum class Op : std::uint8_t {
    literal,   // one code point
    one,       // `?`: any code point but '/'
    set,       // `[...]`
    star,      // `*`: any run without '/'
    any_dirs,  // `**/` and inner `**`: nothing, or any run ending in '/'
    any_tail,  // a trailing `**`: anything
  };
  struct Token {
    Op op = Op::literal;
    char32_t ch = 0;
    std::size_t set = 0;  // index into sets_
  };
  struct CharSet {
    bool negated = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;
    bool contains(char32_t c) const;
  };

  bool run(const std::u32string& input, bool partial) const;

  std::vector<Token> tokens_;
  std::vector<CharSet> sets_;
  // A leading `**` followed only by plain characters is, as in patternmatcher, a suffix
  // test: `**file` matches "myfile", `**/dir` matches "dir" and "a/dir".
  bool suffix_only_ = false;
  std::string suffix_;
};

}  // namespace task::docker

namespace task {

struct DockerIgnore::Pattern {
  std::string text;  // cleaned, without the '!'
  bool exception = false;
  docker::GlobPattern glob;
};

}  // namespace task

namespace task::docker {

// The library's access to DockerIgnore's patterns.
struct IgnoreRules {
  using Pattern = DockerIgnore::Pattern;

  static DockerIgnore make(std::vector<Pattern> patterns);

  // moby's MatchesUsingParentResults: whether `path` is excluded, given per pattern
  // whether it matched the parent directory (`parent`, nullptr at the top level).
  // `out` receives this path's per-pattern results, for its children.
  static bool match(const DockerIgnore& ignore, std::string_view path,
                    const std::vector<char>* parent, std::vector<char>& out);
};

}  // namespace task::docker
