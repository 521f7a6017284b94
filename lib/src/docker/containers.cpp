// Containers: create, start, inspect, list, follow logs, wait, kill, remove.
#include <cctype>
#include <cstdio>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "docker/client_impl.hpp"
#include "task/schedule.hpp"

namespace task {
namespace {

using docker::HttpCall;
using Json = nlohmann::json;
constexpr long kRequestTimeoutMs = 120'000;

Result<std::string> container_path(const std::string& id) {
  if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                        std::string::npos) {
    return fail(Errc::invalid_input, "`" + id + "` is not a container id or name");
  }
  return id;
}

ContainerState read_state(const Json& j) {
  ContainerState c;
  c.id = j.value("Id", std::string{});
  if (auto state = j.find("State"); state != j.end()) {
    if (state->is_object()) {
      c.status = state->value("Status", std::string{});
      c.running = state->value("Running", false);
      c.exit_code = state->value("ExitCode", 0);
      c.started_at = state->value("StartedAt", std::string{});
      c.finished_at = state->value("FinishedAt", std::string{});
    } else if (state->is_string()) {  // the list's short form
      c.status = state->get<std::string>();
      c.running = c.status == "running";
    }
  }
  const Json* labels = nullptr;
  if (auto config = j.find("Config"); config != j.end() && config->is_object()) {
    if (auto l = config->find("Labels"); l != config->end()) labels = &*l;
  } else if (auto l = j.find("Labels"); l != j.end()) {
    labels = &*l;
  }
  if (labels != nullptr && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string()) c.labels[key] = value.get<std::string>();
    }
  }
  return c;
}

// "2026-11-28T12:00:00.123456789Z" + 1 ns as the engine's `since`: "1795867200.123456790"
// (with `after` false, the instant itself).
std::string since_after(const std::string& timestamp, bool after = true) {
  auto whole = parse_rfc3339(timestamp);
  if (!whole) return {};
  std::int64_t nanos = 0;
  if (auto dot = timestamp.find('.'); dot != std::string::npos) {
    std::size_t digits = 0;
    for (std::size_t i = dot + 1; i < timestamp.size() && digits < 9 && std::isdigit(static_cast<unsigned char>(timestamp[i]));
         ++i, ++digits) {
      nanos = nanos * 10 + (timestamp[i] - '0');
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  std::int64_t seconds = whole->time_since_epoch().count();
  if (after) nanos += 1;
  if (nanos >= 1'000'000'000) {
    nanos -= 1'000'000'000;
    ++seconds;
  }
  return fmt::format("{}.{:09}", seconds, nanos);
}

}  // namespace

Result<std::string> DockerClient::create_container(const ContainerSpec& spec) {
  Json env = Json::array();
  for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);
  Json body{{"Image", spec.image},
            {"Env", env},
            {"Labels", spec.labels},
            {"AttachStdout", false},
            {"AttachStderr", false},
            {"Tty", false},
            {"HostConfig", {{"NetworkMode", spec.network_mode}, {"AutoRemove", false}}}};
  if (!spec.command.empty()) body["Cmd"] = spec.command;
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/containers/create");
  if (!spec.name.empty()) call.target += "?name=" + docker::url_encode(spec.name);
  call.headers.push_back("Content-Type: application/json");
  call.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot create a container of " + spec.image,
                                          "no image `" + spec.image + "` in the Docker engine");
  if (!response) return std::unexpected(response.error());
  Json j = Json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("Id")) return fail(Errc::platform, "the engine did not say which container it made");
  return j["Id"].get<std::string>();
}

Result<void> DockerClient::start_container(const std::string& id) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/containers/" + *path + "/start");
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot start container " + id.substr(0, 12),
                                          "no container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<ContainerState> DockerClient::inspect_container(const std::string& id) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.target = impl_->versioned("/containers/" + *path + "/json");
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot inspect container " + id.substr(0, 12),
                                          "no container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  Json j = Json::parse(response->body, nullptr, false);
  if (!j.is_object()) return fail(Errc::platform, "the engine's answer about a container is not JSON");
  return read_state(j);
}

Result<std::vector<ContainerState>> DockerClient::list_containers(const std::string& key, const std::string& value) {
  Json filters{{"label", Json::array({value.empty() ? key : key + "=" + value})}};
  HttpCall call;
  call.target = impl_->versioned("/containers/json?all=1&filters=" + docker::url_encode(filters.dump()));
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot list containers");
  if (!response) return std::unexpected(response.error());
  Json j = Json::parse(response->body, nullptr, false);
  if (!j.is_array()) return fail(Errc::platform, "the engine's container list is not a JSON array");
  std::vector<ContainerState> out;
  for (const Json& item : j) {
    if (item.is_object()) out.push_back(read_state(item));
  }
  return out;
}

Result<void> DockerClient::container_logs(const std::string& id, bool follow, const std::string& since,
                                          const std::function<void(const LogLine&)>& on_line,
                                          const CancelCheck& cancelled) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.target = impl_->versioned("/containers/" + *path + "/logs?stdout=1&stderr=1&timestamps=1");
  if (follow) call.target += "&follow=1";
  if (!since.empty()) {
    if (auto after = since_after(since); !after.empty()) call.target += "&since=" + after;
  }
  if (!follow) call.timeout_ms = kRequestTimeoutMs;
  call.cancelled = cancelled;
  // The multiplexed stream: frames of [stream, 0, 0, 0, size (4 bytes, big-endian)] and
  // `size` bytes of output; each stream's text is cut into lines here.
  std::string frames;
  std::string partial[2];
  std::string last_stamp;      // of the last frame received
  std::size_t stamp_bytes = 0;  // output received with that stamp
  std::string skip_stamp;
  std::size_t skip = 0;
  std::function<void(int, std::string_view, bool)> emit = [&](int stream, std::string_view text, bool final) {
    std::string& buffer = partial[stream];
    buffer.append(text);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(buffer.data() + start, nl - start);
      LogLine out;
      out.stderr_stream = stream == 1;
      if (auto sp = line.find(' '); sp != std::string_view::npos && sp >= 20 && line[4] == '-') {
        out.timestamp = std::string(line.substr(0, sp));
        line.remove_prefix(sp + 1);
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out.text = std::string(line);
      on_line(out);
      start = nl + 1;
    }
    buffer.erase(0, start);
    if (final && !buffer.empty()) {
      buffer.push_back('\n');
      emit(stream, {}, false);
    }
  };
  call.on_data = [&](std::string_view data) {
    frames.append(data);
    std::size_t at = 0;
    while (frames.size() - at >= 8) {
      const auto* h = reinterpret_cast<const unsigned char*>(frames.data() + at);
      const std::size_t size = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) | (std::size_t{h[6]} << 8) | h[7];
      if (frames.size() - at < 8 + size) break;
      const int stream = h[0] == 2 ? 1 : 0;
      // A line longer than the engine's buffer comes in several frames, each stamped:
      // keep the first stamp only.
      std::string_view payload(frames.data() + at + 8, size);
      at += 8 + size;
      std::string_view stamp, body = payload;
      if (auto sp = payload.find(' '); sp != std::string_view::npos && sp >= 20 && payload[4] == '-') {
        stamp = payload.substr(0, sp);
        body = payload.substr(sp + 1);
      }
      bool skipped = false;
      if (!stamp.empty()) {
        if (stamp != last_stamp) {
          last_stamp = std::string(stamp);
          stamp_bytes = 0;
        }
        // Asked again from the last stamp: what came with it already is skipped.
        if (skip > 0 && stamp == skip_stamp) {
          const std::size_t n = std::min(skip, body.size());
          skip -= n;
          body.remove_prefix(n);
          skipped = true;
          if (body.empty()) continue;
        }
        stamp_bytes += body.size();
      }
      // A line's first piece keeps its stamp; a continuation's goes.
      if (!partial[stream].empty()) {
        emit(stream, body, false);
      } else if (skipped) {
        emit(stream, std::string(stamp) + " " + std::string(body), false);
      } else {
        emit(stream, payload, false);
      }
    }
    frames.erase(0, at);
    return true;
  };
  auto response = impl_->http.perform(call);
  if (!response) return std::unexpected(response.error());
  if (response->status == 404) return fail(Errc::not_found, "no container " + id.substr(0, 12));
  if (response->status < 200 || response->status >= 300) {
    return fail(Errc::platform, "cannot read the logs of container " + id.substr(0, 12) + ": " +
                                  docker::engine_message(*response));
  }
  if (follow) {  // (a cancelled follow ended above, as interrupted)
    // The engine may end a follow as the container exits before it has sent the last
    // output (a last line without a newline, notably): ask once more for what came after
    // the last frame, so that nothing it printed is missing.
    // The engine stamps every piece of a long line with the line's first instant: ask
    // from that instant itself and skip the bytes already received with it.
    call.target = impl_->versioned("/containers/" + *path + "/logs?stdout=1&stderr=1&timestamps=1");
    if (!last_stamp.empty()) {
      call.target += "&since=" + since_after(last_stamp, false);
      skip_stamp = last_stamp;
      skip = stamp_bytes;
    } else if (auto after = since_after(since); !since.empty() && !after.empty()) {
      call.target += "&since=" + after;
    }
    call.timeout_ms = kRequestTimeoutMs;
    frames.clear();
    if (auto more = impl_->http.perform(call); more && more->status >= 200 && more->status < 300) {}
  }
  emit(0, {}, true);
  emit(1, {}, true);
  return {};
}

Result<int> DockerClient::wait_container(const std::string& id, const CancelCheck& cancelled) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/containers/" + *path + "/wait");
  call.cancelled = cancelled;
  auto response = impl_->expect_success(call, "cannot wait for container " + id.substr(0, 12),
                                          "no container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  Json j = Json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("StatusCode")) return fail(Errc::platform, "the engine did not give an exit code");
  if (auto error = j.find("Error"); error != j.end() && error->is_object() && error->contains("Message")) {
    auto message = (*error)["Message"].get<std::string>();
    if (!message.empty()) return fail(Errc::platform, "container " + id.substr(0, 12) + ": " + message);
  }
  return j["StatusCode"].get<int>();
}

Result<void> DockerClient::kill_container(const std::string& id, const std::string& signal) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/containers/" + *path + "/kill?signal=" + docker::url_encode(signal));
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot stop container " + id.substr(0, 12),
                                          "no container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::vector<std::string>> DockerClient::kill_signals(const std::string& id, std::int64_t since, std::int64_t until) {
  // The engine's events of the container between the two instants (seconds since the
  // epoch), as it still has them: each `kill` names its signal.
  const Json filters = {{"container", {id}}, {"event", {"kill"}}};
  HttpCall call;
  call.method = "GET";
  call.target = impl_->versioned(fmt::format("/events?since={}&until={}&filters={}", since, until, docker::url_encode(filters.dump())));
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot read the engine's events of container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  std::vector<std::string> signals;
  std::size_t at = 0;
  const std::string& body = response->body;
  while (at < body.size()) {
    auto end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    auto event = Json::parse(body.substr(at, end - at), nullptr, false);
    if (event.is_object() && event.value("Action", "") == "kill") {
      signals.push_back(event.value("Actor", Json::object()).value("Attributes", Json::object()).value("signal", ""));
    }
    at = end + 1;
  }
  return signals;
}

Result<void> DockerClient::remove_container(const std::string& id, bool force) {
  auto path = container_path(id);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.method = "DELETE";
  call.target = impl_->versioned("/containers/" + *path + (force ? "?force=1&v=1" : "?v=1"));
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot remove container " + id.substr(0, 12),
                                          "no container " + id.substr(0, 12));
  if (!response) return std::unexpected(response.error());
  return {};
}

}  // namespace task
