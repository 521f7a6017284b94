#pragma once
// Templates under templates/<name>/ and `task init`, which renders one into a new,
// committed task project.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"
#include "task/git.hpp"

namespace task {

struct TemplateVariable {
  std::string name;
  std::string description;
  std::string default_value;
};

struct TemplateInfo {
  std::string name;
  std::string summary;
  std::vector<TemplateVariable> variables;  // besides `name`, which is always given
  std::vector<std::string> files;           // relative paths, in manifest order
  std::filesystem::path dir;
};

// Every directory under `templates_dir` holding a template.yaml, sorted by name.
Result<std::vector<TemplateInfo>> list_templates(const std::filesystem::path& templates_dir);
// One template's manifest (DIR/template.yaml), its files checked to be there.
Result<TemplateInfo> read_template_manifest(const std::filesystem::path& dir);

// One template; an unknown name is Errc::not_found listing the known ones.
Result<TemplateInfo> find_template(const std::filesystem::path& templates_dir, std::string_view name);

// Replaces `{{key}}` (spaces inside the braces allowed) for each key of `variables`;
// everything else, other braces included, is copied as it is.
std::string render_template_text(std::string_view text, const std::map<std::string, std::string>& variables);
// The same for a YAML file, whose templates put variables inside double-quoted scalars
// ("{{greeting}}"): each value is escaped for one, so a value with `"`, `\` or a line
// break reads back as itself instead of adding keys.
std::string render_yaml_template_text(std::string_view text, const std::map<std::string, std::string>& variables);

struct InitRequest {
  std::string name;
  std::string template_name = "shell";
  std::filesystem::path dir;                      // empty: ./<name>
  std::map<std::string, std::string> variables;   // overrides of the manifest's defaults
};

struct InitResult {
  std::string name;
  std::string template_name;
  std::filesystem::path dir;
  std::vector<std::string> files;
  CommitInfo commit;
};

// Renders the template into a hidden sibling of the target, commits it, then renames it
// into place: the target is either absent, or complete with its first commit.
Result<InitResult> init_project(const InitRequest& request, const std::filesystem::path& templates_dir);

}  // namespace task
