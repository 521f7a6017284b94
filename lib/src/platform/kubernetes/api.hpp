#pragma once
// A Kubernetes API server, spoken to over the project's HTTP transport with a context's
// credentials. Every failure comes back as an Error that names the server and, for a
// refused request, the verb, resource and namespace; credentials never appear in one.
//
//   unreachable, TLS failure          Errc::platform (8)
//   401 Unauthorized                  Errc::auth (9)
//   403 Forbidden                     Errc::auth (9): "may not create cronjobs in namespace …"
//   404 of a namespace                Errc::not_found, with how to create it
//   409 Conflict                      Errc::conflict
//   422 Invalid                       Errc::invalid_input, naming the field
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "platform/kubernetes/kubeconfig.hpp"
#include "task/error.hpp"
#include "task/paths.hpp"

namespace task::kube {

using Json = nlohmann::json;

// An exec plugin's answer: a bearer token or a client certificate.
struct ExecCredential {
  std::string token;
  std::string cert_pem, key_pem;
};
// Runs the plugin as client-go does (KUBERNETES_EXEC_INFO set, stdin and stderr the
// user's) and reads its ExecCredential from stdout.
Result<ExecCredential> run_exec_plugin(const ExecPlugin& plugin, const Environment& env);

// Why a response is an error, from its Status body: what the server said, the field it
// named (422), the kind of object it was about.
struct StatusError {
  long code = 0;
  std::string reason, message, kind, field;
};
StatusError parse_status(long code, std::string_view body);

class Api {
 public:
  // Resolves the credentials (reading a token file, running an exec plugin) and opens a
  // connection; nothing is sent yet.
  static Result<Api> open(ClusterAccess access, const Environment& env);

  Api(Api&&) noexcept;
  Api& operator=(Api&&) noexcept;
  ~Api();

  const ClusterAccess& access() const;

  Result<Json> get(const std::string& path);
  // nullopt on 404.
  Result<std::optional<Json>> find(const std::string& path);
  Result<Json> create(const std::string& collection, const Json& object);
  // PUT: fails with Errc::conflict when the object changed since its resourceVersion.
  Result<Json> replace(const std::string& path, const Json& object);
  // Server-side apply (fieldManager=task, force).
  Result<Json> apply(const std::string& path, const Json& object);
  Result<Json> merge_patch(const std::string& path, const Json& patch);
  // DELETE with propagationPolicy=Background; a missing object is no error.
  Result<void> remove(const std::string& path);
  // A streamed GET (logs, watches): each piece of the body as it arrives; `on_data`
  // returning false, or `cancelled` true, ends it.
  Result<void> stream(const std::string& path, const std::function<bool(std::string_view)>& on_data,
                      const std::function<bool()>& cancelled = {});

 private:
  struct Impl;
  explicit Api(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace task::kube
