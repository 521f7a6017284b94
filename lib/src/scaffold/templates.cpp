#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "task/scaffold.hpp"
#include "task/text.hpp"

namespace task {
namespace fs = std::filesystem;

Result<TemplateInfo> read_template_manifest(const fs::path& dir) {
  auto file = dir / "template.yaml";
  auto bad = [&](const YAML::Mark& mark, const std::string& what) {
    return fail(Errc::invalid_input,
                fmt::format("{}:{}:{}: {}", file.string(), mark.line + 1, mark.column + 1, what),
                "fix the template's manifest");
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    return fail(Errc::io, fmt::format("cannot read {}", file.string()));
  } catch (const YAML::ParserException& e) {
    return bad(e.mark, e.msg);
  }
  TemplateInfo info;
  info.name = dir.filename().string();
  info.dir = dir;
  if (!root.IsMap()) return bad(root.Mark(), "the manifest must be a mapping");
  for (auto it = root.begin(); it != root.end(); ++it) {
    auto key = it->first.as<std::string>("");
    if (key != "summary" && key != "variables" && key != "files") {
      return bad(it->first.Mark(), fmt::format("unknown key `{}` (known: summary, variables, files)", key));
    }
  }
  if (!root["summary"] || !root["summary"].IsScalar()) return bad(root.Mark(), "`summary` is missing");
  info.summary = root["summary"].Scalar();
  if (const auto& vars = root["variables"]) {
    if (!vars.IsSequence()) return bad(vars.Mark(), "`variables` must be a list");
    for (const auto& v : vars) {
      if (!v.IsMap() || !v["name"] || !v["name"].IsScalar()) return bad(v.Mark(), "each variable needs a `name`");
      if (v["name"].Scalar() == "name") return bad(v.Mark(), "`name` is always given and must not be declared");
      info.variables.push_back({v["name"].Scalar(), v["description"] ? v["description"].as<std::string>("") : "",
                                v["default"] ? v["default"].as<std::string>("") : ""});
    }
  }
  const auto& files = root["files"];
  if (!files || !files.IsSequence() || files.size() == 0) return bad(root.Mark(), "`files` must list the template's files");
  for (const auto& f : files) {
    if (!f.IsScalar()) return bad(f.Mark(), "each file is a relative path");
    fs::path rel = f.Scalar();
    auto normal = rel.lexically_normal();
    if (rel.is_absolute() || normal.empty() || *normal.begin() == "..") {
      return bad(f.Mark(), fmt::format("`{}` is outside the template", f.Scalar()));
    }
    std::error_code ec;
    if (!fs::is_regular_file(dir / rel, ec)) return bad(f.Mark(), fmt::format("`{}` does not exist", f.Scalar()));
    info.files.push_back(normal.generic_string());
  }
  return info;
}

Result<std::vector<TemplateInfo>> list_templates(const fs::path& templates_dir) {
  std::error_code ec;
  fs::directory_iterator it(templates_dir, ec);
  if (ec) {
    return fail(Errc::not_found, fmt::format("no templates at {}: {}", templates_dir.string(), ec.message()),
                "set TASK_TEMPLATES to the directory holding the templates, or reinstall task");
  }
  std::vector<TemplateInfo> out;
  for (const auto& entry : it) {
    if (!entry.is_directory(ec) || !fs::exists(entry.path() / "template.yaml", ec)) continue;
    auto info = read_template_manifest(entry.path());
    if (!info) return std::unexpected(info.error());
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<TemplateInfo> find_template(const fs::path& templates_dir, std::string_view name) {
  auto all = list_templates(templates_dir);
  if (!all) return std::unexpected(all.error());
  std::vector<std::string> names;
  for (auto& info : *all) {
    if (info.name == name) return std::move(info);
    names.push_back(info.name);
  }
  if (names.empty()) {
    return fail(Errc::not_found, fmt::format("unknown template `{}`: there are no templates in {}", name, templates_dir.string()),
                "set TASK_TEMPLATES to the directory holding the templates, or reinstall task");
  }
  std::string hint = fmt::format("known templates: {}; `task templates` describes them", join(names, ", "));
  if (auto near = closest_match(name, names); !near.empty()) hint = fmt::format("did you mean `{}`? ", near) + hint;
  return fail(Errc::not_found, fmt::format("unknown template `{}`", name), hint);
}

namespace {

std::string yaml_double_quoted(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string render(std::string_view text, const std::map<std::string, std::string>& variables,
                   std::string (*escape)(std::string_view)) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    auto inner = text.substr(open + 2, close - open - 2);
    auto first = inner.find_first_not_of(' ');
    auto last = inner.find_last_not_of(' ');
    auto key = first == std::string_view::npos ? std::string_view{} : inner.substr(first, last - first + 1);
    auto it = variables.find(std::string(key));
    out.append(text.substr(pos, open - pos));
    if (it != variables.end()) {
      out += escape ? escape(it->second) : it->second;
    } else {
      out.append(text.substr(open, close + 2 - open));
    }
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

std::string render_template_text(std::string_view text, const std::map<std::string, std::string>& variables) {
  return render(text, variables, nullptr);
}

std::string render_yaml_template_text(std::string_view text, const std::map<std::string, std::string>& variables) {
  return render(text, variables, &yaml_double_quoted);
}

}  // namespace task
