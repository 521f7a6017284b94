// The HTTP side of task/metrics.hpp: /metrics on an HTTP server of its own.
#include <fmt/format.h>

#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "core/staging.hpp"
#include "observe/listen.hpp"
#include "task/metrics.hpp"

namespace task {

struct MetricsServer::Impl {
  WorkspaceOptions workspace_options;
  MetricsOptions options;
  ListenAddress address;
  std::unique_ptr<http::Server> server;
  std::mutex mutex;  // one scrape at a time: the workspace is not for two threads
  std::optional<Workspace> workspace;
  std::optional<MetricsExporter> exporter;
  std::thread thread;

  void handle(const http::Request& request, http::Response& response) {
    if (request.path == "/") {
      response.set_content(fmt::format("task's metrics are at http://{}/metrics\n", address.authority()), "text/plain");
      return;
    }
    if (request.path != "/metrics" || request.method == "POST") {
      response.status = request.path == "/metrics" ? 405 : 404;
      response.set_content("the metrics are at GET /metrics\n", "text/plain");
      return;
    }
    // As Prometheus' own clients negotiate: OpenMetrics for who asks for it.
    const bool openmetrics = request.header("Accept").find("application/openmetrics-text") != std::string::npos;
    std::lock_guard lock(mutex);
    if (!workspace) {
      workspace.emplace(workspace_options);
      exporter.emplace(*workspace, options);
    }
    auto text = exporter->scrape(openmetrics ? MetricsFormat::openmetrics : MetricsFormat::text);
    if (!text) {
      response.status = 503;
      response.set_content(text.error().message + "\n", "text/plain; charset=utf-8");
      return;
    }
    response.set_content(*text, openmetrics ? openmetrics_content_type : text_metrics_content_type);
  }
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen, WorkspaceOptions workspace,
                                                            MetricsOptions options) {
  auto address = parse_listen_address(listen, "--metrics");
  if (!address) return std::unexpected(address.error());
  auto impl = std::make_unique<Impl>();
  impl->workspace_options = std::move(workspace);
  impl->workspace_options.executable.clear();  // never starts an agent
  impl->options = std::move(options);
  impl->address = *address;
  auto* raw = impl.get();
  // Two threads: a scrape never waits behind a slow client for long.
  auto server = http::make_server(2);
  if (!server) return std::unexpected(server.error());
  impl->server = std::move(*server);
  impl->server->handle([raw](const http::Request& q, http::Response& r) { raw->handle(q, r); });
  if (auto bound = bind_server(*impl->server, impl->address, "--metrics"); !bound) return std::unexpected(bound.error());
  impl->thread = std::thread([raw] { raw->server->run(); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::~MetricsServer() {
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MetricsServer::url() const { return fmt::format("http://{}/metrics", impl_->address.authority()); }

namespace {
std::filesystem::path setting_path(const std::filesystem::path& state_dir) { return state_dir / "agent-metrics"; }
}  // namespace

std::string agent_metrics_setting(const std::filesystem::path& state_dir) {
  std::ifstream in(setting_path(state_dir));
  std::string line;
  std::getline(in, line);
  return line;
}

Result<void> set_agent_metrics_setting(const std::filesystem::path& state_dir, const std::string& listen) {
  std::error_code ec;
  if (listen.empty()) {
    std::filesystem::remove(setting_path(state_dir), ec);
    return {};
  }
  if (auto address = parse_listen_address(listen, "--metrics"); !address) return std::unexpected(address.error());
  return write_text_file(setting_path(state_dir), listen + "\n");
}

}  // namespace task
