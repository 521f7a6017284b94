#pragma once
// `task dashboard`: a local web view of every deployment of a workspace (DESIGN §9),
// served by cpp-httplib with every file embedded (uPlot among them), read through the
// platform interface.
//
// Safe by default: it listens on 127.0.0.1 unless told otherwise; every request carries
// the random token of its URL (as ?token=, then a cookie of its own, or an
// `Authorization: Bearer` header), so other users of the machine and other pages of the
// browser cannot read it; a Host header naming anything but the address it listens on is
// refused (DNS rebinding); it only reads, except "run now" (a POST carrying the token in
// X-Task-Token) where allowed. Secrets never appear: configuration values are not served.
#include <functional>
#include <memory>
#include <string>

#include "task/error.hpp"
#include "task/time.hpp"
#include "task/workspace.hpp"

namespace task {

struct DashboardOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0: any free one
  WorkspaceOptions workspace;
  std::string token;                   // "": a random one
  bool allow_run = false;              // the "run now" button
};

class Dashboard {
 public:
  // Listens and serves on threads of its own until destroyed. Errc::usage for a malformed
  // address, Errc::conflict when it cannot listen there.
  static Result<std::unique_ptr<Dashboard>> start(DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT/?token=…

  struct Impl;

 private:
  explicit Dashboard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The JSON documents the dashboard serves (and benchmarks measure): every deployment,
// worst first, over the window before `now`; one deployment with its runs, revisions and
// recent failures; one run with the start of its log.
Result<std::string> dashboard_overview(Workspace& workspace, std::chrono::milliseconds window);
Result<std::string> dashboard_deployment(Workspace& workspace, const std::string& task, const std::string& env,
                                         std::chrono::milliseconds window);
Result<std::string> dashboard_run(Workspace& workspace, const std::string& id);

}  // namespace task
