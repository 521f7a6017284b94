// .dockerignore rules, checked against the cases of github.com/moby/patternmatcher and
// the docker CLI's documentation.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "docker/ignore_pattern.hpp"
#include "task/build_context.hpp"

using task::DockerIgnore;

namespace {

DockerIgnore rules(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  auto parsed = DockerIgnore::parse(text);
  REQUIRE_MESSAGE(parsed.has_value(), text);
  return *parsed;
}

struct Case {
  const char* pattern;
  const char* path;
  bool exact;   // the pattern matches the path itself
  bool listed;  // the path, or one of its parent directories, matches
};

// moby/patternmatcher's TestMatches table: `exact` is its MatchesExact column, `listed`
// the MatchesUsingParentResults one.
const std::vector<Case> kPatternCases = {
    {"**", "file", true, true},
    {"**", "file/", true, true},
    {"**/", "file", true, true},
    {"**/", "file/", true, true},
    {"**", "dir/file", true, true},
    {"**/", "dir/file", true, true},
    {"**", "dir/file/", true, true},
    {"**/", "dir/file/", true, true},
    {"**/**", "dir/file", true, true},
    {"**/**", "dir/file/", true, true},
    {"dir/**", "dir/file", true, true},
    {"dir/**", "dir/file/", true, true},
    {"dir/**", "dir/dir2/file", true, true},
    {"dir/**", "dir/dir2/file/", true, true},
    {"**/dir", "dir", true, true},
    {"**/dir", "dir/file", false, true},
    {"**/dir2/*", "dir/dir2/file", true, true},
    {"**/dir2/*", "dir/dir2/file/", false, true},
    {"**/dir2/**", "dir/dir2/dir3/file", true, true},
    {"**/dir2/**", "dir/dir2/dir3/file/", true, true},
    {"**file", "file", true, true},
    {"**file", "dir/file", true, true},
    {"**/file", "dir/file", true, true},
    {"**file", "dir/dir/file", true, true},
    {"**/file", "dir/dir/file", true, true},
    {"**/file*", "dir/dir/file", true, true},
    {"**/file*", "dir/dir/file.txt", true, true},
    {"**/file*txt", "dir/dir/file.txt", true, true},
    {"**/file*.txt", "dir/dir/file.txt", true, true},
    {"**/file*.txt*", "dir/dir/file.txt", true, true},
    {"**/**/*.txt", "dir/dir/file.txt", true, true},
    {"**/**/*.txt2", "dir/dir/file.txt", false, false},
    {"**/*.txt", "file.txt", true, true},
    {"**/**/*.txt", "file.txt", true, true},
    {"a**/*.txt", "a/file.txt", true, true},
    {"a**/*.txt", "a/dir/file.txt", true, true},
    {"a**/*.txt", "a/dir/dir/file.txt", true, true},
    {"a/*.txt", "a/dir/file.txt", false, false},
    {"a/*.txt", "a/file.txt", true, true},
    {"a/*.txt**", "a/file.txt", true, true},
    {"a[b-d]e", "ae", false, false},
    {"a[b-d]e", "ace", true, true},
    {"a[b-d]e", "aae", false, false},
    {"a[^b-d]e", "aze", true, true},
    {".*", ".foo", true, true},
    {".*", "foo", false, false},
    {"abc.def", "abcdef", false, false},
    {"abc.def", "abc.def", true, true},
    {"abc.def", "abcZdef", false, false},
    {"abc?def", "abcZdef", true, true},
    {"abc?def", "abcdef", false, false},
    {"**/foo/bar", "foo/bar", true, true},
    {"**/foo/bar", "dir/foo/bar", true, true},
    {"**/foo/bar", "dir/dir2/foo/bar", true, true},
    {"abc/**", "abc", false, false},
    {"abc/**", "abc/def", true, true},
    {"abc/**", "abc/def/ghi", true, true},
    {"**/.foo", ".foo", true, true},
    {"**/.foo", "bar.foo", false, false},
    {"a(b)c/def", "a(b)c/def", true, true},
    {"a(b)c/def", "a(b)c/xyz", false, false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true, true},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true, true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true, true},
    {"a\\\\", "a\\", true, true},
    {"a\\*b", "a*b", true, true},
    // Not in moby's table: `**` stands for whole segments only, `(.*/)?` in its regexp.
    {"**/file*", "dir/xfile", false, false},
    {"**/dir2/*", "dir/xdir2/file", false, false},
    {"a**b", "axb", false, false},
    {"a**b", "ab", true, true},
    {"a**b", "ax/y/b", true, true},
    // ... except in its suffix form, a plain string test.
    {"**file", "dir/myfile", true, true},
};

}  // namespace

TEST_CASE("patternmatcher's table: a pattern against the path itself") {
  for (const Case& c : kPatternCases) {
    CAPTURE(c.pattern);
    CAPTURE(c.path);
    auto glob = task::docker::GlobPattern::compile(task::docker::clean_path(c.pattern));
    REQUIRE(glob.has_value());
    CHECK(glob->matches(c.path) == c.exact);
  }
}

TEST_CASE("patternmatcher's table: a pattern against a path and its parents") {
  for (const Case& c : kPatternCases) {
    CAPTURE(c.pattern);
    CAPTURE(c.path);
    CHECK(rules({c.pattern}).excluded(c.path) == c.listed);
  }
}

TEST_CASE("patternmatcher's multi-pattern cases: the last matching pattern wins") {
  CHECK_FALSE(rules({"**", "!util/docker/web"}).excluded("util/docker/web/foo"));
  CHECK(rules({"**", "!util/docker/web", "util/docker/web/foo"}).excluded("util/docker/web/foo"));
  CHECK_FALSE(rules({"**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"})
                  .excluded("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
  CHECK_FALSE(rules({"**", "!dist/*.whl"}).excluded("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
  CHECK(rules({"*.go"}).excluded("fileutils.go"));
  CHECK(rules({"*"}).excluded("fileutils.go"));
  CHECK(rules({"!fileutils.go", "*.go"}).excluded("fileutils.go"));
  CHECK_FALSE(rules({"*.go", "!fileutils.go"}).excluded("fileutils.go"));
  CHECK_FALSE(rules({"docs", "!docs/README.md"}).excluded("docs/README.md"));
  CHECK_FALSE(rules({"docs/", "!docs/README.md"}).excluded("docs/README.md"));
  CHECK_FALSE(rules({"docs/*", "!docs/README.md"}).excluded("docs/README.md"));
  CHECK_FALSE(rules({"*.go"}).excluded("."));
  CHECK_FALSE(rules({}).excluded("/any/path/there"));
}

TEST_CASE("Go's filepath.Match cases") {
  struct Match {
    const char* pattern;
    const char* path;
    bool matches;
  };
  const std::vector<Match> cases = {
      {"abc", "abc", true},          {"*", "abc", true},
      {"*c", "abc", true},           {"a*", "a", true},
      {"a*", "abc", true},           {"a*", "ab/c", true},
      {"a*/b", "abc/b", true},       {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},        {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},     {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},    {"ab[^e-g]", "abc", true},
      {"a\\*b", "a*b", true},        {"a\\*b", "ab", false},
      {"a?b", "a\u263Ab", true},     {"a[^a]b", "a\u263Ab", true},
      {"a???b", "a\u263Ab", false},  {"a[^a][^a][^a]b", "a\u263Ab", false},
      {"[a-\u03B6]*", "\u03B1", true}, {"*[a-\u03B6]", "A", false},
      {"a?b", "a/b", false},         {"a*b", "a/b", false},
      {"[\\]a]", "]", true},         {"[\\-]", "-", true},
      {"[x\\-]", "x", true},         {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},        {"[\\-x]", "x", true},
      {"[\\-x]", "-", true},         {"[\\-x]", "a", false},
      {"*x", "xxx", true},
  };
  for (const Match& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.path);
    CHECK(rules({c.pattern}).excluded(c.path) == c.matches);
  }
}

TEST_CASE("malformed patterns are errors naming the line") {
  for (const char* bad : {"[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "[z-a]"}) {
    CAPTURE(bad);
    auto parsed = DockerIgnore::parse(std::string("ok\n") + bad + "\n");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == task::Errc::invalid_input);
    CHECK(parsed.error().message.find(".dockerignore:2:") == 0);
  }
  for (const char* lone : {"!", "! ", "!  \t"}) {
    auto parsed = DockerIgnore::parse(lone);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message.find("`!`") != std::string::npos);
  }
}

TEST_CASE("lines are read like the docker CLI's ignorefile.ReadAll") {
  auto parsed = DockerIgnore::parse(
      "\xEF\xBB\xBFtest1\n/test2\r\n/a/file/here\n\nlastfile\n# this is a comment\n"
      "! /inverted/abs/path\n  spaced  \n #not-a-comment\n./dot/../cleaned//path/\n"
      "../outside\n/\n");
  REQUIRE(parsed.has_value());
  const std::vector<std::string> expected = {"test1",       "test2",     "a/file/here",
                                             "lastfile",    "!inverted/abs/path",
                                             "spaced",      "#not-a-comment",
                                             "cleaned/path", "../outside", "/"};
  CHECK(parsed->patterns() == expected);
}

TEST_CASE("the docker documentation's examples") {
  const DockerIgnore docs = rules({"# comment", "*/temp*", "*/*/temp*", "temp?"});
  CHECK(docs.excluded("somedir/temporary.txt"));
  CHECK(docs.excluded("somedir/temp"));
  CHECK(docs.excluded("somedir/subdir/temporary.txt"));
  CHECK(docs.excluded("tempa"));
  CHECK(docs.excluded("tempb"));
  CHECK_FALSE(docs.excluded("temporary.txt"));
  CHECK_FALSE(docs.excluded("tempab"));
  CHECK_FALSE(docs.excluded("a/b/c/temp"));

  const DockerIgnore secret_last = rules({"*.md", "!README*.md", "README-secret.md"});
  CHECK(secret_last.excluded("CHANGES.md"));
  CHECK_FALSE(secret_last.excluded("README.md"));
  CHECK(secret_last.excluded("README-secret.md"));

  const DockerIgnore secret_first = rules({"*.md", "README-secret.md", "!README*.md"});
  CHECK_FALSE(secret_first.excluded("README-secret.md"));
  CHECK_FALSE(secret_first.excluded("README.md"));
  CHECK(secret_first.excluded("CHANGES.md"));
}

TEST_CASE("common .dockerignore shapes") {
  const DockerIgnore go = rules({"**/*.go", "!cmd/main.go"});
  CHECK(go.excluded("a.go"));
  CHECK(go.excluded("pkg/x/y.go"));
  CHECK_FALSE(go.excluded("cmd/main.go"));
  CHECK_FALSE(go.excluded("a.gox"));
  CHECK_FALSE(go.excluded("go.mod"));

  const DockerIgnore md = rules({"*.md", "!important.md"});
  CHECK(md.excluded("README.md"));
  CHECK_FALSE(md.excluded("important.md"));
  CHECK_FALSE(md.excluded("docs/README.md"));  // `*` stays within the top directory

  const DockerIgnore dir = rules({"dir/"});
  CHECK(dir.excluded("dir"));
  CHECK(dir.excluded("dir/file"));
  CHECK(dir.excluded("dir/sub/deep/file"));
  CHECK_FALSE(dir.excluded("dirt"));
  CHECK_FALSE(dir.excluded("other/dir"));

  const DockerIgnore absolute = rules({"/abs", "/nested/path"});
  CHECK(absolute.excluded("abs"));
  CHECK(absolute.excluded("abs/inner"));
  CHECK(absolute.excluded("nested/path/file"));
  CHECK_FALSE(absolute.excluded("x/abs"));

  const DockerIgnore order = rules({"!keep", "keep"});
  CHECK(order.excluded("keep"));

  // An exception that names a directory brings back all of it.
  const DockerIgnore reinclude_dir = rules({"docs", "!docs/api"});
  CHECK(reinclude_dir.excluded("docs/guide.md"));
  CHECK_FALSE(reinclude_dir.excluded("docs/api"));
  CHECK_FALSE(reinclude_dir.excluded("docs/api/index.md"));

  // An exception for a parent does not undo a later, deeper exclusion.
  const DockerIgnore deeper = rules({"docs/sub", "!docs"});
  CHECK(deeper.excluded("docs/sub"));
  CHECK(deeper.excluded("docs/sub/file"));
  CHECK_FALSE(deeper.excluded("docs/other"));

  // Paths are cleaned before matching.
  CHECK(rules({"a/b"}).excluded("./a//b/"));
}

TEST_CASE("exceptions under excluded directories") {
  const DockerIgnore literal = rules({"node_modules", "!node_modules/keep/package.json"});
  CHECK(literal.excluded("node_modules"));
  CHECK(literal.excluded("node_modules/keep"));
  CHECK_FALSE(literal.excluded("node_modules/keep/package.json"));
  CHECK(literal.excluded("node_modules/keep/index.js"));
  CHECK(literal.reaches_below("node_modules"));
  CHECK(literal.reaches_below("node_modules/keep"));
  CHECK_FALSE(literal.reaches_below("node_modules/other"));
  CHECK_FALSE(literal.reaches_below("src"));

  const DockerIgnore wildcard = rules({"build", "!**/keep.txt"});
  CHECK(wildcard.excluded("build/out.o"));
  CHECK_FALSE(wildcard.excluded("build/a/b/keep.txt"));
  CHECK(wildcard.reaches_below("build"));
  CHECK(wildcard.reaches_below("build/a/b"));

  const DockerIgnore in_segment = rules({"logs", "!logs/*.keep"});
  CHECK(in_segment.reaches_below("logs"));
  CHECK_FALSE(in_segment.reaches_below("logs/old"));  // `*` does not cross '/'
  CHECK_FALSE(in_segment.excluded("logs/a.keep"));
  CHECK(in_segment.excluded("logs/old/a.keep"));

  CHECK_FALSE(rules({"build"}).reaches_below("build"));  // no exceptions at all
}

TEST_CASE("keeping() re-includes one path, as the CLI does for the Dockerfile") {
  const DockerIgnore all = rules({"*"});
  CHECK(all.excluded("Dockerfile"));
  const DockerIgnore kept = all.keeping("Dockerfile").keeping(".dockerignore");
  CHECK_FALSE(kept.excluded("Dockerfile"));
  CHECK_FALSE(kept.excluded(".dockerignore"));
  CHECK(kept.excluded("other"));

  // Glob characters in the kept name are taken literally.
  const DockerIgnore odd = rules({"*"}).keeping("Docker[file]");
  CHECK_FALSE(odd.excluded("Docker[file]"));
  CHECK(odd.excluded("Dockerf"));

  const DockerIgnore nested = rules({"build"}).keeping("build/Dockerfile");
  CHECK(nested.reaches_below("build"));
  CHECK_FALSE(nested.excluded("build/Dockerfile"));
  CHECK(nested.excluded("build/other"));

  // Nothing is added when the path is not excluded.
  CHECK(rules({"x"}).keeping("Dockerfile").patterns() == std::vector<std::string>{"x"});
}

TEST_CASE("clean_path follows Go's path.Clean") {
  using task::docker::clean_path;
  CHECK(clean_path("") == ".");
  CHECK(clean_path("abc") == "abc");
  CHECK(clean_path("abc/def/") == "abc/def");
  CHECK(clean_path("a//b") == "a/b");
  CHECK(clean_path("./a/./b/.") == "a/b");
  CHECK(clean_path("a/b/../c") == "a/c");
  CHECK(clean_path("a/../..") == "..");
  CHECK(clean_path("../../a") == "../../a");
  CHECK(clean_path("/../a") == "/a");
  CHECK(clean_path("/") == "/");
  CHECK(clean_path("//") == "/");
}
