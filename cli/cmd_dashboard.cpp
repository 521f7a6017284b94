// dashboard: a live local web view of every deployment.
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "interrupt.hpp"
#include "task/dashboard.hpp"

extern char** environ;

namespace cli {

namespace {

struct DashboardFlags {
  std::string listen = "127.0.0.1:0";
  bool open = false;
  bool allow_run = false;
};

// The user's browser, by xdg-open, never through a shell.
void open_browser(Context& ctx, const std::string& url) {
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    ctx.out.note("cannot start xdg-open to open a browser: open the URL above yourself");
  }
}

task::Result<void> run_dashboard(Context& ctx, const DashboardFlags& o) {
  const auto signals = watch_stop_signals();
  task::DashboardOptions options;
  options.listen = o.listen;
  options.workspace = task::WorkspaceOptions{ctx.paths.state, ctx.env, {}, [&ctx] { return ctx.now_ms(); }};
  options.allow_run = o.allow_run;
  auto dashboard = task::Dashboard::start(options);
  if (!dashboard) return std::unexpected(dashboard.error());
  const auto url = (*dashboard)->url();
  ctx.out.essential(url).emit(nlohmann::json{{"url", url}}, [&](std::string& out) {
    out += fmt::format("{} at {}\n", ctx.out.paint(Style::success, "Dashboard"), url);
    out += "the token in the URL lets only you in; Ctrl-C stops it\n";
  });
  std::fflush(stdout);
  if (o.open) open_browser(ctx, url);
  while (!signals.stopped()) {
    pollfd fd{signals.fd, POLLIN, 0};
    ::poll(&fd, 1, 1000);
    int status = 0;
    while (::waitpid(-1, &status, WNOHANG) > 0) {
    }
  }
  return {};
}

}  // namespace

void add_dashboard_commands(Commands& commands) {
  auto o = std::make_shared<DashboardFlags>();
  commands.push_back({
      .words = {"dashboard"},
      .summary = "A live local web view of every deployment: charts, runs, logs",
      .description =
          "Serves a web page of every deployment in every environment, worst first (lowest success rate, then the "
          "most recent failure); a page per deployment with its runs by outcome, durations and start lateness as "
          "interactive charts (hover for values, drag to zoom, 1h/24h/7d/30d), its revisions and recent failures; "
          "and a page per run with its log, followed while it runs. A finished run appears without a reload.\n\n"
          "It listens on 127.0.0.1 unless --listen says otherwise, and every request must carry the random token of "
          "the URL it prints (the page keeps it as a cookie of its own), so other users of this machine and other "
          "pages of the browser cannot read it. A Host header naming another address is refused. It only reads, "
          "except the \"Run now\" button with --allow-run. Configuration values and secrets are never served. "
          "Every file it serves is in task itself: no request leaves the machine. SIGTERM or Ctrl-C stops it.",
      .flags = {{"--listen", "HOST:PORT", "Where to listen (default 127.0.0.1:0: a free port of this machine's loopback)",
                 &o->listen},
                {"--open", "", "Open it in the browser (xdg-open)", &o->open},
                {"--allow-run", "", "Offer \"Run now\" on each deployment's page (a POST carrying the token)",
                 &o->allow_run}},
      .examples = {{"task dashboard", "Serve it and print its URL"},
                   {"task dashboard --listen 127.0.0.1:8080 --open", "On a port of your choosing, opened in the browser"},
                   {"task dashboard --allow-run", "With a \"Run now\" button on each deployment's page"}},
      .run = [o](Context& ctx) { return run_dashboard(ctx, *o); },
  });
}

}  // namespace cli
