// Loads the HTTP server module (http_httplib.cpp, task-http.so) on first use: beside the
// executable in a build tree, in <prefix>/<libdir>/task beside an installed one.
#include <dlfcn.h>

#include <fmt/format.h>

#include <filesystem>
#include <mutex>
#include <system_error>

#include "observe/http.hpp"

namespace task::http {

namespace {

namespace fs = std::filesystem;

struct Loaded {
  MakeServer make = nullptr;
  std::string error, looked;
};

Loaded load() {
  Loaded out;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "task-http.so");
    candidates.push_back((exe.parent_path() / TASK_HTTP_MODULE_FROM_BIN).lexically_normal());
  }
  candidates.emplace_back(TASK_INSTALLED_HTTP_MODULE);
  for (const auto& path : candidates) {
    out.looked += (out.looked.empty() ? "" : ", ") + path.string();
    if (!fs::exists(path, ec)) continue;
    // Kept loaded for the life of the process: its threads may outlive any one server.
    void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
      out.error = ::dlerror();
      return out;
    }
    out.make = reinterpret_cast<MakeServer>(::dlsym(module, make_server_symbol));
    if (out.make == nullptr) out.error = fmt::format("{} has no {}", path.string(), make_server_symbol);
    return out;
  }
  out.error = "task-http.so is not there";
  return out;
}

}  // namespace

Result<std::unique_ptr<Server>> make_server(int threads) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  if (loaded.make == nullptr) {
    return fail(Errc::failure, fmt::format("cannot load task's web server module: {} (looked in {})", loaded.error, loaded.looked),
                "reinstall task: the module is installed with it (cmake --install)");
  }
  return std::unique_ptr<Server>(loaded.make(threads));
}

}  // namespace task::http
