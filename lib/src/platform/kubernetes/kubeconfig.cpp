#include "platform/kubernetes/kubeconfig.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>

#include "docker/encoding.hpp"
#include "task/text.hpp"

namespace task::kube {

namespace fs = std::filesystem;

namespace {

// One file being read: every error names it with the line and column.
class Reader {
 public:
  explicit Reader(const KubeconfigText& file) : file_(file) {}

  Error at(const YAML::Mark& mark, const std::string& message) const {
    return Error{Errc::invalid_input, fmt::format("{}:{}:{}: {}", file_.path.string(), mark.line + 1, mark.column + 1, message),
                 "fix the kubeconfig, or name another with --kubeconfig"};
  }

  Result<YAML::Node> root() const {
    try {
      return YAML::Load(file_.text);
    } catch (const YAML::Exception& e) {
      return std::unexpected(at(e.mark, e.msg));
    }
  }

  Result<std::string> scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return std::unexpected(at(node.Mark(), fmt::format("`{}` must be a string", what)));
    return node.Scalar();
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& what) const {
    if (node.IsScalar()) {
      const auto& s = node.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    return std::unexpected(at(node.Mark(), fmt::format("`{}` must be true or false", what)));
  }

  // A path in the file, relative to the file's directory.
  fs::path path(const std::string& value) const {
    fs::path p(value);
    if (p.is_relative()) p = file_.path.parent_path() / p;
    return p;
  }

  Result<std::string> base64(const YAML::Node& node, const std::string& what) const {
    auto text = scalar(node, what);
    if (!text) return text;
    std::string compact;
    for (char c : *text) {
      if (c != '\n' && c != '\r' && c != ' ') compact += c;
    }
    auto decoded = docker::base64_decode(compact);
    if (!decoded) return std::unexpected(at(node.Mark(), fmt::format("`{}` is not base64", what)));
    return *decoded;
  }

  const KubeconfigText& file() const { return file_; }

 private:
  const KubeconfigText& file_;
};

// A named entry of `clusters`, `users` or `contexts`, with the file that defined it.
struct Named {
  YAML::Node body;  // may be undefined: an entry with only a name
  const KubeconfigText* file = nullptr;
  YAML::Mark mark;  // of the entry, for messages about it
};

struct Merged {
  std::map<std::string, Named> clusters, users, contexts;
  std::vector<std::string> context_order;
  std::string current_context;
};

Result<void> collect(const Reader& r, const YAML::Node& root, const char* list, const char* body_key,
                     std::map<std::string, Named>& into, std::vector<std::string>* order) {
  const YAML::Node entries = root[list];
  if (!entries || entries.IsNull()) return {};
  if (!entries.IsSequence()) return std::unexpected(r.at(entries.Mark(), fmt::format("`{}` must be a list", list)));
  for (const auto& entry : entries) {
    if (!entry.IsMap()) return std::unexpected(r.at(entry.Mark(), fmt::format("each of `{}` must be a mapping", list)));
    const YAML::Node name = entry["name"];
    if (!name) return std::unexpected(r.at(entry.Mark(), fmt::format("an entry of `{}` has no `name`", list)));
    auto n = r.scalar(name, "name");
    if (!n) return std::unexpected(n.error());
    const YAML::Node body = entry[body_key];
    if (body && !body.IsNull() && !body.IsMap()) {
      return std::unexpected(r.at(body.Mark(), fmt::format("`{}` of {} must be a mapping", body_key, *n)));
    }
    if (into.contains(*n)) continue;  // the first file to define a name wins
    into.emplace(*n, Named{body, &r.file(), entry.Mark()});
    if (order) order->push_back(*n);
  }
  return {};
}

Result<Merged> merge(const std::vector<KubeconfigText>& files) {
  Merged m;
  for (const auto& file : files) {
    Reader r(file);
    auto root = r.root();
    if (!root) return std::unexpected(root.error());
    if (!root->IsDefined() || root->IsNull()) continue;
    if (!root->IsMap()) return std::unexpected(r.at(root->Mark(), "a kubeconfig must be a mapping"));
    if (auto c = collect(r, *root, "clusters", "cluster", m.clusters, nullptr); !c) return std::unexpected(c.error());
    if (auto u = collect(r, *root, "users", "user", m.users, nullptr); !u) return std::unexpected(u.error());
    if (auto c = collect(r, *root, "contexts", "context", m.contexts, &m.context_order); !c) {
      return std::unexpected(c.error());
    }
    if (const auto cur = (*root)["current-context"]; cur && m.current_context.empty()) {
      auto name = r.scalar(cur, "current-context");
      if (!name) return std::unexpected(name.error());
      m.current_context = *name;
    }
  }
  return m;
}

// How a key's value is read into its field: as text, a path (relative to the file),
// base64 data, or true/false.
struct Base64 {
  std::string* out;
};
using Field = std::variant<std::string*, fs::path*, Base64, bool*>;
struct Key {
  const char* name;
  Field field;
};

Result<void> read_field(const Reader& r, const YAML::Node& v, const std::string& key, const Field& field) {
  if (auto* flag = std::get_if<bool*>(&field)) {
    auto b = r.boolean(v, key);
    if (!b) return std::unexpected(b.error());
    **flag = *b;
    return {};
  }
  const auto* data = std::get_if<Base64>(&field);
  auto s = data ? r.base64(v, key) : r.scalar(v, key);
  if (!s) return std::unexpected(s.error());
  if (data) {
    *data->out = *s;
  } else if (auto* path = std::get_if<fs::path*>(&field)) {
    **path = r.path(*s);
  } else {
    *std::get<std::string*>(field) = *s;
  }
  return {};
}

// The value of `key`, when it is one of `keys`, read into its field.
Result<void> read_known(const Reader& r, const YAML::Node& v, const std::string& key, std::initializer_list<Key> keys) {
  for (const auto& k : keys) {
    if (key == k.name) return read_field(r, v, key, k.field);
  }
  return {};
}

Result<void> read_cluster(const Named& entry, ClusterAccess& a) {
  Reader r(*entry.file);
  if (!entry.body || !entry.body.IsMap()) return std::unexpected(r.at(entry.mark, "the cluster has no `cluster` mapping"));
  for (const auto& kv : entry.body) {
    const std::string key = kv.first.as<std::string>("");
    if (key == "proxy-url") {
      return std::unexpected(r.at(kv.first.Mark(), "`proxy-url` is not supported: task connects to the API server directly"));
    }
    // Other keys (extensions, disable-compression) change nothing here.
    auto read = read_known(r, kv.second, key,
                           {{"server", &a.server},
                            {"certificate-authority", &a.ca_file},
                            {"certificate-authority-data", Base64{&a.ca_pem}},
                            {"insecure-skip-tls-verify", &a.insecure},
                            {"tls-server-name", &a.tls_server_name}});
    if (!read) return read;
  }
  if (a.server.empty()) return std::unexpected(r.at(entry.mark, "the cluster has no `server`"));
  return {};
}

Result<ExecPlugin> read_exec(const Reader& r, const YAML::Node& node) {
  if (!node.IsMap()) return std::unexpected(r.at(node.Mark(), "`exec` must be a mapping"));
  ExecPlugin exec;
  exec.dir = r.file().path.parent_path();
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    if (key == "command") {
      auto s = r.scalar(v, key);
      if (!s) return std::unexpected(s.error());
      exec.command = *s;
    } else if (key == "apiVersion") {
      auto s = r.scalar(v, key);
      if (!s) return std::unexpected(s.error());
      exec.api_version = *s;
    } else if (key == "args" && !v.IsNull()) {
      if (!v.IsSequence()) return std::unexpected(r.at(v.Mark(), "`args` must be a list"));
      for (const auto& a : v) {
        auto s = r.scalar(a, "args");
        if (!s) return std::unexpected(s.error());
        exec.args.push_back(*s);
      }
    } else if (key == "env" && !v.IsNull()) {
      if (!v.IsSequence()) return std::unexpected(r.at(v.Mark(), "`env` must be a list of name and value"));
      for (const auto& e : v) {
        if (!e.IsMap() || !e["name"]) return std::unexpected(r.at(e.Mark(), "each `env` entry needs `name` and `value`"));
        auto n = r.scalar(e["name"], "name");
        if (!n) return std::unexpected(n.error());
        std::string value;
        if (e["value"]) {
          auto s = r.scalar(e["value"], "value");
          if (!s) return std::unexpected(s.error());
          value = *s;
        }
        exec.env.emplace_back(*n, value);
      }
    }
  }
  if (exec.command.empty()) return std::unexpected(r.at(node.Mark(), "`exec` has no `command`"));
  return exec;
}

Result<void> read_user(const Named& entry, ClusterAccess& a) {
  Reader r(*entry.file);
  if (!entry.body || !entry.body.IsMap()) return {};
  for (const auto& kv : entry.body) {
    const std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    auto read = read_known(r, v, key,
                           {{"token", &a.token},
                            {"tokenFile", &a.token_file},
                            {"client-certificate", &a.cert_file},
                            {"client-key", &a.key_file},
                            {"client-certificate-data", Base64{&a.cert_pem}},
                            {"client-key-data", Base64{&a.key_pem}},
                            {"username", &a.username},
                            {"password", &a.password}});
    if (!read) return read;
    if (key == "exec" && !v.IsNull()) {
      auto e = read_exec(r, v);
      if (!e) return std::unexpected(e.error());
      a.exec = std::move(*e);
    } else if (key == "auth-provider" && !v.IsNull()) {
      return std::unexpected(Error{Errc::invalid_input,
                                   fmt::format("{}:{}:{}: `auth-provider` plugins are not supported", r.file().path.string(),
                                               kv.first.Mark().line + 1, kv.first.Mark().column + 1),
                                   "use the provider's `exec` credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin)"});
    }
  }
  const bool cert = !a.cert_file.empty() || !a.cert_pem.empty();
  const bool key = !a.key_file.empty() || !a.key_pem.empty();
  if (cert != key) {
    return std::unexpected(r.at(entry.body.Mark(), "a client certificate needs its key, and a key its certificate"));  // body is a map here
  }
  return {};
}

std::string names_of(const Merged& m) {
  if (m.context_order.empty()) return "there are none";
  return "there are: " + join(m.context_order, ", ");
}

}  // namespace

std::vector<fs::path> kubeconfig_files(const std::string& file, const Environment& env) {
  if (!file.empty()) return {fs::path(file)};
  std::vector<fs::path> out;
  if (auto it = env.find("KUBECONFIG"); it != env.end() && !it->second.empty()) {
    std::set<std::string> seen;
    std::stringstream list(it->second);
    for (std::string item; std::getline(list, item, ':');) {
      if (!item.empty() && seen.insert(item).second) out.emplace_back(item);
    }
    if (!out.empty()) return out;
  }
  if (auto home = env.find("HOME"); home != env.end() && !home->second.empty()) {
    out.push_back(fs::path(home->second) / ".kube" / "config");
  }
  return out;
}

Result<ClusterAccess> resolve_context(const std::vector<KubeconfigText>& files, const std::string& context) {
  auto merged = merge(files);
  if (!merged) return std::unexpected(merged.error());
  const std::string name = context.empty() ? merged->current_context : context;
  if (name.empty()) {
    return fail(Errc::invalid_input, "the kubeconfig sets no current-context and no context was given",
                fmt::format("give one with --context ({})", names_of(*merged)));
  }
  auto ctx = merged->contexts.find(name);
  if (ctx == merged->contexts.end()) {
    return fail(Errc::not_found, fmt::format("the kubeconfig has no context `{}`", name),
                fmt::format("{}; choose one with --context", names_of(*merged)));
  }
  ClusterAccess access;
  access.context = name;
  access.origin = ctx->second.file->path.string();
  Reader r(*ctx->second.file);
  const YAML::Node body = ctx->second.body;
  if (!body || !body.IsMap()) return std::unexpected(r.at(ctx->second.mark, fmt::format("context `{}` is empty", name)));
  std::string cluster, user;
  if (body["cluster"]) {
    auto s = r.scalar(body["cluster"], "cluster");
    if (!s) return std::unexpected(s.error());
    cluster = *s;
  }
  if (body["user"]) {
    auto s = r.scalar(body["user"], "user");
    if (!s) return std::unexpected(s.error());
    user = *s;
  }
  if (body["namespace"]) {
    auto s = r.scalar(body["namespace"], "namespace");
    if (!s) return std::unexpected(s.error());
    access.namespace_ = *s;
  }
  auto c = merged->clusters.find(cluster);
  if (c == merged->clusters.end()) {
    return std::unexpected(r.at(body.Mark(), fmt::format("context `{}` names cluster `{}`, which no kubeconfig file defines", name, cluster)));
  }
  if (auto rc = read_cluster(c->second, access); !rc) return std::unexpected(rc.error());
  if (!user.empty()) {
    auto u = merged->users.find(user);
    if (u == merged->users.end()) {
      return std::unexpected(r.at(body.Mark(), fmt::format("context `{}` names user `{}`, which no kubeconfig file defines", name, user)));
    }
    if (auto ru = read_user(u->second, access); !ru) return std::unexpected(ru.error());
  }
  return access;
}

namespace {

Result<std::vector<KubeconfigText>> read_files(const std::string& file, const Environment& env) {
  std::vector<KubeconfigText> texts;
  const auto paths = kubeconfig_files(file, env);
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      if (!file.empty()) {
        return fail(Errc::not_found, fmt::format("cannot read kubeconfig {}", p.string()), "check the path given with --kubeconfig");
      }
      continue;  // kubectl skips missing files of a KUBECONFIG list
    }
    std::ostringstream text;
    text << in.rdbuf();
    texts.push_back({p, text.str()});
  }
  if (texts.empty()) {
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(p.string());
    return fail(Errc::not_found,
                names.empty() ? std::string("no kubeconfig: neither KUBECONFIG nor HOME is set")
                              : fmt::format("no kubeconfig: {} does not exist", join(names, ", ")),
                "give one with --kubeconfig FILE, or set KUBECONFIG");
  }
  return texts;
}

}  // namespace

Result<ClusterAccess> load_cluster_access(const std::string& file, const std::string& context, const Environment& env) {
  auto texts = read_files(file, env);
  if (!texts) return std::unexpected(texts.error());
  return resolve_context(*texts, context);
}

Result<std::vector<std::string>> list_contexts(const std::string& file, const Environment& env) {
  auto texts = read_files(file, env);
  if (!texts) return std::unexpected(texts.error());
  auto merged = merge(*texts);
  if (!merged) return std::unexpected(merged.error());
  return merged->context_order;
}

}  // namespace task::kube
