// The dashboard's HTTP side (task/dashboard.hpp): who may ask, the embedded files, the
// JSON documents of dashboard_data.cpp, and two event streams, one of changes and one of
// a run's log, each on a workspace of its own woken by the platform's own word.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fmt/format.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "observe/assets.hpp"
#include "observe/listen.hpp"
#include "task/dashboard.hpp"
#include "task/duration.hpp"
#include "task/runs.hpp"

namespace task {

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::string random_token() {
  unsigned char bytes[16] = {};
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (::read(fd, bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes)) bytes[0] ^= 1;
    ::close(fd);
  }
  std::string out;
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

// Compares in time that does not depend on where they differ.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void error(http::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(Json{{"error", message}}.dump(), "application/json");
}

void reply(http::Response& res, const Result<std::string>& body) {
  if (!body) {
    error(res, body.error().code == Errc::not_found ? 404 : 500, body.error().message);
    return;
  }
  res.set_content(*body, "application/json");
}

std::string content_type(std::string_view name) {
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "text/html; charset=utf-8";
}

std::string sse(std::string_view event, const std::string& data) {
  return fmt::format("event: {}\ndata: {}\n\n", event, data);
}

}  // namespace

struct Dashboard::Impl {
  DashboardOptions options;
  ListenAddress address;
  std::string token, cookie;
  std::set<std::string> hosts;  // what a Host header may say
  std::unique_ptr<http::Server> server;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex mutex;  // the shared workspace: one request at a time
  std::optional<Workspace> workspace;

  Workspace& shared() {
    if (!workspace) workspace.emplace(options.workspace);
    return *workspace;
  }

  bool authorised(const http::Request& req) const {
    if (req.has_param("token") && same(req.param("token"), token)) return true;
    const auto auth = req.header("Authorization");
    if (auth.starts_with("Bearer ") && same(std::string_view(auth).substr(7), token)) return true;
    const auto cookies = req.header("Cookie");
    const auto at = cookies.find(cookie + "=");
    if (at != std::string::npos && (at == 0 || cookies[at - 1] == ' ' || cookies[at - 1] == ';')) {
      const auto from = at + cookie.size() + 1;
      return same(std::string_view(cookies).substr(from, cookies.find(';', from) - from), token);
    }
    return false;
  }

  // Answers (and returns true) what may not go further: a foreign Host, no token.
  bool refuse(const http::Request& req, http::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    if (!hosts.contains(req.header("Host"))) {
      error(res, 403, fmt::format("this dashboard answers to http://{}/ only (the Host header said \"{}\")",
                                  address.authority(), req.header("Host")));
      return true;
    }
    if (!authorised(req)) {
      error(res, 401, "no token or a wrong one: open the URL `task dashboard` printed");
      return true;
    }
    return false;
  }

  std::optional<std::chrono::milliseconds> window(const http::Request& req, http::Response& res) {
    const auto text = req.has_param("window") ? req.param("window") : std::string("7d");
    auto d = parse_duration(text);
    if (!d || *d > std::chrono::hours(24 * 90)) {
      error(res, 400, fmt::format("window {}: give a duration up to 90d, e.g. 1h, 24h, 7d, 30d", text));
      return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }

  void serve(const http::Request& req, http::Response& res) {
    if (refuse(req, res)) return;
    const auto& path = req.path;
    if (req.method == "POST") {
      if (path == "/api/run-now") return run_now(req, res);
      return error(res, 405, "only /api/run-now takes a POST");
    }
    if (path == "/") {
      if (req.has_param("token")) {
        // As Jupyter does: the token becomes a cookie of this port, and leaves the URL.
        res.set_header("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", cookie, token));
        return res.redirect("/");
      }
      return res.set_content(std::string(*task_asset("index.html")), content_type("index.html"));
    }
    if (path.starts_with("/assets/")) {
      const auto name = path.substr(8);
      auto asset = task_asset(name);
      if (!asset || name == "index.html") return error(res, 404, "no such file");
      res.set_header("Cache-Control", "private, max-age=3600");
      return res.set_content(std::string(*asset), content_type(name));
    }
    if (path == "/api/info") {
      // The token for a POST's header: only a page of this origin can read it.
      return res.set_content(Json{{"allow_run", options.allow_run}, {"token", options.allow_run ? token : ""}}.dump(),
                             "application/json");
    }
    if (path == "/api/overview" || path == "/api/deployment") {
      auto w = window(req, res);
      if (!w) return;
      std::lock_guard lock(mutex);
      if (path == "/api/overview") return reply(res, dashboard_overview(shared(), *w));
      return reply(res, dashboard_deployment(shared(), req.param("task"), req.param("env"), *w));
    }
    if (path == "/api/run") {
      std::lock_guard lock(mutex);
      return reply(res, dashboard_run(shared(), req.param("id")));
    }
    if (path == "/api/changes") return changes(res);
    if (path == "/api/log") return log(req, res);
    error(res, 404, "no such page");
  }

  void run_now(const http::Request& req, http::Response& res) {
    if (!options.allow_run) return error(res, 403, "run now is off: start the dashboard with --allow-run");
    // A cookie alone does not do: another page could make the browser send it.
    if (!same(req.header("X-Task-Token"), token)) return error(res, 403, "run now needs X-Task-Token");
    std::lock_guard lock(mutex);
    auto run = request_run(shared(), {req.param("task"), req.param("env")}, false);
    if (!run) return error(res, run.error().code == Errc::not_found ? 404 : 409, run.error().message);
    res.set_content(Json{{"id", run->run.id}}.dump(), "application/json");
  }

  // A `change` event whenever a deployment or run may have changed, on the platform's own
  // word (inotify on the local platform), and a comment every 15 s to keep it open.
  void changes(http::Response& res) {
    auto ws = std::make_shared<Workspace>(options.workspace);
    (void)await_status_change(*ws, 0ms);  // watched from here on
    auto quiet = std::make_shared<int>(0);
    res.content_type = "text/event-stream";
    res.stream = [this, ws, quiet](http::Sink& sink) {
      if (stopping) return false;
      if (await_status_change(*ws, 1s)) {
        *quiet = 0;
        return sink.write("event: change\ndata: {}\n\n");
      }
      if (++*quiet < 15) return !stopping.load();
      *quiet = 0;
      return sink.write(": still here\n\n");
    };
  }

  // A run's log from line `from` on as it is written, a `line` event each, then `end`.
  void log(const http::Request& req, http::Response& res) {
    const auto id = req.param("id");
    const auto from = req.has_param("from") ? std::stoull("0" + req.param("from")) : 0;
    auto ws = std::make_shared<Workspace>(options.workspace);
    LogQuery q;
    q.run = id;
    q.each = [](const Run&, const RunLogLine&) {};
    auto found = read_run_log(*ws, q);
    if (!found || !found->run) return error(res, 404, found ? "no such run" : found.error().message);
    auto start = std::make_shared<RunLog>(std::move(*found));
    start->next = from;
    res.content_type = "text/event-stream";
    res.stream = [this, ws, start](http::Sink& sink) {
      bool open = true;
      LogObserver observer;
      observer.line = [&](const Run&, const RunLogLine& l) {
        const auto event = sse("line", Json{{"at", l.timestamp}, {"stream", l.stream}, {"text", l.text}}.dump());
        open = open && sink.write(event);
      };
      observer.finished = [&](const Run& r) {
        const auto event = sse("end", Json{{"outcome", std::string(to_string(r.outcome))}}.dump());
        open = open && sink.write(event);
      };
      observer.stop = [&] { return stopping.load() || !open || !sink.writable(); };
      (void)follow_run_log(*start, false, observer);
      sink.done();
      return true;
    };
  }
};

Dashboard::Dashboard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Dashboard>> Dashboard::start(DashboardOptions options) {
  auto address = parse_listen_address(options.listen, "--listen");
  if (!address) return std::unexpected(address.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->options.workspace.executable.clear();
  impl->address = *address;
  impl->token = impl->options.token.empty() ? random_token() : impl->options.token;
  // Each SSE stream holds a thread: a few pages with a log open each.
  auto server = http::make_server(16);
  if (!server) return std::unexpected(server.error());
  impl->server = std::move(*server);
  auto* raw = impl.get();
  impl->server->handle([raw](const http::Request& req, http::Response& res) { raw->serve(req, res); });
  if (auto bound = bind_server(*impl->server, impl->address, "--listen"); !bound) return std::unexpected(bound.error());
  const auto port = std::to_string(impl->address.port);
  impl->cookie = "task_dashboard_" + port;  // cookies do not tell ports apart
  impl->hosts = {impl->address.authority(), "127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port};
  impl->thread = std::thread([raw] { raw->server->run(); });
  return std::unique_ptr<Dashboard>(new Dashboard(std::move(impl)));
}

Dashboard::~Dashboard() {
  impl_->stopping = true;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string Dashboard::url() const {
  const auto host = impl_->address.host == "0.0.0.0" || impl_->address.host == "::"
                        ? fmt::format("127.0.0.1:{}", impl_->address.port)
                        : impl_->address.authority();
  return fmt::format("http://{}/?token={}", host, impl_->token);
}

}  // namespace task
