// The module behind observe/http.hpp: task's Server on cpp-httplib. Built on its own
// (task-http.so) and loaded by http_module.cpp; it uses nothing of task but that header.
#include <httplib.h>

#include <memory>

#include "observe/http.hpp"

namespace {

using namespace task;

class SinkOf final : public http::Sink {
 public:
  explicit SinkOf(httplib::DataSink& sink) : sink_(sink) {}
  bool write(std::string_view data) override { return sink_.write(data.data(), data.size()); }
  bool writable() override { return sink_.is_writable(); }
  void done() override { sink_.done(); }

 private:
  httplib::DataSink& sink_;
};

// cpp-httplib compresses a response by the Accept-Encoding it was asked with, brotli first
// and at brotli's highest quality: 1.4 s for the overview of a thousand deployments, a
// tenth of a second to send it as it is (gzip: 16 ms). So brotli is never offered to it;
// gzip stays for a dashboard looked at over a network.
void without_brotli(const httplib::Request& req) {
  // The request is the server's own object, not a constant one: its handlers get it const.
  auto& headers = const_cast<httplib::Request&>(req).headers;
  const auto it = headers.find("Accept-Encoding");
  if (it == headers.end() || it->second.find("br") == std::string::npos) return;
  const bool gzip = it->second.find("gzip") != std::string::npos;
  headers.erase(it);
  if (gzip) headers.emplace("Accept-Encoding", "gzip");
}

http::Request request_of(const httplib::Request& from) {
  http::Request to;
  to.method = from.method;
  to.path = from.path;
  to.params.insert(from.params.begin(), from.params.end());
  to.headers.assign(from.headers.begin(), from.headers.end());
  return to;
}

void respond(http::Response&& from, httplib::Response& to) {
  to.status = from.status;
  for (auto& [name, value] : from.headers) to.set_header(name, value);
  if (!from.stream) {
    to.set_content(std::move(from.body), from.content_type);
    return;
  }
  to.set_chunked_content_provider(from.content_type, [stream = std::move(from.stream)](std::size_t, httplib::DataSink& sink) {
    SinkOf of(sink);
    return stream(of);
  });
}

class HttplibServer final : public http::Server {
 public:
  explicit HttplibServer(int threads) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  }

  void handle(http::Handler handler) override {
    auto shared = std::make_shared<http::Handler>(std::move(handler));
    auto serve = [shared](const httplib::Request& req, httplib::Response& res) {
      without_brotli(req);
      http::Response out;
      (*shared)(request_of(req), out);
      respond(std::move(out), res);
    };
    server_.Get(".*", serve);
    server_.Post(".*", serve);
  }

  int bind(const std::string& host, int port) override {
    if (port == 0) return server_.bind_to_any_port(host);
    return server_.bind_to_port(host, port) ? port : -1;
  }

  void run() override { server_.listen_after_bind(); }
  void stop() override { server_.stop(); }

 private:
  httplib::Server server_;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) task::http::Server* task_http_make_server(int threads) {
  return new HttplibServer(threads);
}
