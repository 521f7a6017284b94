#pragma once
// The HTTP server under the dashboard and the metrics, as a seam: plain requests and
// responses here, cpp-httplib behind it in a module of its own (http_module.cpp), loaded
// with dlopen() by the first server a process starts. So every other `task` command
// starts without loading cpp-httplib and the TLS, zlib and brotli libraries it pulls in.
//
// Header-only on purpose: the module and task each get their own copy of these inline
// classes, and the module needs no symbol of task's.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "task/error.hpp"

namespace task::http {

struct Request {
  std::string method;  // GET, POST, …
  std::string path;    // without the query
  std::multimap<std::string, std::string> params;   // query and form parameters
  std::vector<std::pair<std::string, std::string>> headers;

  bool has_param(const std::string& name) const { return params.contains(name); }
  std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
  // A header's first value by its name in any case; "" when absent.
  std::string header(std::string_view name) const {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    for (const auto& [key, value] : headers) {
      if (std::ranges::equal(key, name, {}, lower, lower)) return value;
    }
    return {};
  }
};

// Where a streamed response goes, a piece at a time.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual bool write(std::string_view data) = 0;  // false: the client is gone
  virtual bool writable() = 0;
  virtual void done() = 0;  // the stream ends after this call
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  // When set, the body is streamed instead: called again and again on the server's thread
  // until it returns false or calls Sink::done().
  std::function<bool(Sink&)> stream;

  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
  void set_content(std::string text, std::string type) {
    body = std::move(text);
    content_type = std::move(type);
  }
  void redirect(std::string location) {
    status = 302;
    set_header("Location", std::move(location));
  }
};

using Handler = std::function<void(const Request&, Response&)>;

class Server {
 public:
  virtual ~Server() = default;
  // Every GET and POST goes to `handler`, on one of the server's threads.
  virtual void handle(Handler handler) = 0;
  // Binds to host:port (0: any free port): the port bound, or -1 with errno set.
  virtual int bind(const std::string& host, int port) = 0;
  // Serves until stop(); blocks.
  virtual void run() = 0;
  virtual void stop() = 0;
};

// A server with `threads` threads: each streamed response holds one for as long as it
// streams. Errc::failure when the module cannot be loaded, saying where it looked.
Result<std::unique_ptr<Server>> make_server(int threads);

// The module's one entry point, looked up by this name.
using MakeServer = Server* (*)(int threads);
inline constexpr const char* make_server_symbol = "task_http_make_server";

}  // namespace task::http
