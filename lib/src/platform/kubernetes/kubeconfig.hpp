#pragma once
// The user's kubeconfig, read as kubectl reads it: the files of $KUBECONFIG (colon
// separated; the first file to name a cluster, user or context wins, and the first
// current-context set wins) or ~/.kube/config, or one file given by the environment's
// binding. What a context resolves to is everything needed to reach its API server.
//
// Credentials stay in memory: nothing here writes them anywhere, and no error message
// quotes a token, key or certificate.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "task/error.hpp"
#include "task/paths.hpp"

namespace task::kube {

// A client-go exec credential plugin (users[].user.exec).
struct ExecPlugin {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;  // client.authentication.k8s.io/v1beta1 or v1
  std::filesystem::path dir;  // the kubeconfig's directory: a relative command is resolved there
};

// One context, resolved: the cluster, the user's credentials, the namespace.
struct ClusterAccess {
  std::string context;
  std::string server;      // https://127.0.0.1:6443
  std::string namespace_;  // the context's namespace; "" when it names none
  std::string origin;      // the file the context came from, for messages
  // The cluster's authority: a PEM file or PEM bytes; none: the system's.
  std::filesystem::path ca_file;
  std::string ca_pem;
  bool insecure = false;        // insecure-skip-tls-verify
  std::string tls_server_name;  // the name the server's certificate is checked against
  // The user.
  std::string token;
  std::filesystem::path token_file;
  std::filesystem::path cert_file, key_file;
  std::string cert_pem, key_pem;
  std::optional<ExecPlugin> exec;
  std::string username, password;  // basic auth, as old kubeconfigs have
};

// A kubeconfig's text and where it came from (relative paths in it are resolved against
// that file's directory).
struct KubeconfigText {
  std::filesystem::path path;
  std::string text;
};

// The files to read: `file` when given, else $KUBECONFIG's, else ~/.kube/config.
std::vector<std::filesystem::path> kubeconfig_files(const std::string& file, const Environment& env);

// Resolves `context` ("" : the current-context) from the texts, in precedence order.
// Malformed files are Errc::invalid_input with file:line:column; a missing context lists
// the contexts there are.
Result<ClusterAccess> resolve_context(const std::vector<KubeconfigText>& files, const std::string& context);

// Reads the files (missing ones in a $KUBECONFIG list are skipped, as kubectl does) and
// resolves the context.
Result<ClusterAccess> load_cluster_access(const std::string& file, const std::string& context, const Environment& env);

// The context names of the files, for completion and messages.
Result<std::vector<std::string>> list_contexts(const std::string& file, const Environment& env);

}  // namespace task::kube
