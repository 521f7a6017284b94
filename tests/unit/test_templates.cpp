#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "task/project.hpp"
#include "task/scaffold.hpp"

namespace fs = std::filesystem;

TEST_CASE("rendering substitutes declared variables and nothing else") {
  std::map<std::string, std::string> vars{{"name", "probe"}, {"target_url", "http://x"}};
  CHECK(task::render_template_text("name: {{name}}\n", vars) == "name: probe\n");
  CHECK(task::render_template_text("{{ name }}-{{target_url}}", vars) == "probe-http://x");
  CHECK(task::render_template_text("${{ github.token }} {{other}} {{", vars) == "${{ github.token }} {{other}} {{");
  CHECK(task::render_template_text("", vars) == "");
  CHECK(task::render_template_text("{{name}}{{name}}", vars) == "probeprobe");
  // In YAML, a value goes into a double-quoted scalar escaped, and reads back as itself.
  const std::map<std::string, std::string> hostile{{"greeting", "x\"\nevil: 1\\\t\x01"}};
  const auto yaml = task::render_yaml_template_text("env:\n  GREETING: \"{{greeting}}\"\n", hostile);
  CHECK(yaml == "env:\n  GREETING: \"x\\\"\\nevil: 1\\\\\\t\\x01\"\n");
  CHECK(YAML::Load(yaml)["env"]["GREETING"].as<std::string>() == hostile.at("greeting"));
  CHECK_FALSE(YAML::Load(yaml)["evil"]);
}

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "task-unit-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}
}  // namespace

TEST_CASE("the shipped templates all load and scaffold a valid task.yaml") {
  auto templates = task::list_templates(fs::path(TASK_SOURCE_DIR) / "templates");
  REQUIRE(templates.has_value());
  std::vector<std::string> names;
  for (const auto& t : *templates) names.push_back(t.name);
  for (auto expected : {"shell", "http-health-check", "session-timeout-log", "github-issues-summary", "python", "node"}) {
    CHECK_MESSAGE(std::find(names.begin(), names.end(), std::string(expected)) != names.end(), std::string(expected));
  }
  TempDir tmp;
  for (const auto& t : *templates) {
    CHECK_FALSE(t.summary.empty());
    auto result = task::init_project({"demo-task", t.name, tmp.path / t.name, {}}, fs::path(TASK_SOURCE_DIR) / "templates");
    REQUIRE_MESSAGE(result.has_value(), t.name << ": " << result.error().message);
    CHECK(result->commit.id.size() == 40);
    auto config = task::load_project(tmp.path / t.name);
    REQUIRE(config.has_value());
    CHECK(config->name == "demo-task");
    CHECK(fs::exists(tmp.path / t.name / ".git"));
    CHECK(fs::exists(tmp.path / t.name / "Dockerfile"));
    CHECK(fs::exists(tmp.path / t.name / ".dockerignore"));
  }
}

TEST_CASE("init refuses bad input and leaves nothing behind") {
  TempDir tmp;
  auto templates = tmp.path / "templates";
  write(templates / "mini" / "template.yaml", "summary: Minimal\nvariables:\n  - name: greeting\n    default: hi\nfiles: [task.yaml, run.sh]\n");
  write(templates / "mini" / "task.yaml", "name: {{name}}\nrun:\n  env: {GREETING: \"{{greeting}}\"}\n");
  write(templates / "mini" / "run.sh", "echo {{greeting}} {{unknown}}\n");

  SUBCASE("an invalid name") {
    auto r = task::init_project({"Bad", "mini", tmp.path / "x", {}}, templates);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == task::Errc::invalid_input);
    CHECK_FALSE(fs::exists(tmp.path / "x"));
  }
  SUBCASE("an unknown template lists the known ones") {
    auto r = task::init_project({"ok", "mni", tmp.path / "x", {}}, templates);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == task::Errc::not_found);
    CHECK(r.error().message == "unknown template `mni`");
    CHECK(r.error().hint == "did you mean `mini`? known templates: mini; `task templates` describes them");
  }
  SUBCASE("a non-empty directory is never touched") {
    write(tmp.path / "busy" / "keep.txt", "mine");
    write(tmp.path / "busy" / "a.txt", "mine");
    auto r = task::init_project({"ok", "mini", tmp.path / "busy", {}}, templates);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == task::Errc::conflict);
    CHECK(r.error().message == (tmp.path / "busy").string() + " is not empty: a.txt, keep.txt in the way");
    CHECK_FALSE(fs::exists(tmp.path / "busy" / "task.yaml"));
  }
  SUBCASE("an unknown variable") {
    auto r = task::init_project({"ok", "mini", tmp.path / "x", {{"colour", "red"}}}, templates);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message == "template `mini` has no variable `colour`");
    CHECK(r.error().hint == "its variables: greeting");
  }
  SUBCASE("an unwritable parent") {
    fs::create_directories(tmp.path / "ro");
    fs::permissions(tmp.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    auto r = task::init_project({"ok", "mini", tmp.path / "ro" / "x", {}}, templates);
    if (geteuid() != 0) {  // root writes anywhere
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == task::Errc::io);
    }
    fs::permissions(tmp.path / "ro", fs::perms::owner_all);
  }
  SUBCASE("variables render, unknown braces stay, and an empty directory is filled") {
    fs::create_directories(tmp.path / "empty");
    auto r = task::init_project({"ok", "mini", tmp.path / "empty", {{"greeting", "hello"}}}, templates);
    REQUIRE(r.has_value());
    std::ifstream in(tmp.path / "empty" / "run.sh");
    std::string line;
    std::getline(in, line);
    CHECK(line == "echo hello {{unknown}}");
    CHECK(r->files == std::vector<std::string>{"task.yaml", "run.sh"});
  }
  // No staging directory is ever left behind.
  for (const auto& entry : fs::directory_iterator(tmp.path)) {
    CHECK(entry.path().filename().string().find(".init-") == std::string::npos);
  }
}
