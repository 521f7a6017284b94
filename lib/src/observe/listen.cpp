#include "observe/listen.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace task {

bool ListenAddress::loopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string ListenAddress::authority() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::usage, fmt::format("{} {}: {}", flag, text, why),
                "give HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)");
  };
  ListenAddress out{"127.0.0.1", 0};
  std::string_view port = text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad("no port after ]");
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return bad("an IPv6 address goes in brackets, [::1]:PORT");
    if (colon > 0) out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  out.port = value;
  return out;
}

Result<void> bind_server(http::Server& server, ListenAddress& address, std::string_view flag) {
  errno = 0;
  const int port = server.bind(address.host, address.port);
  if (port <= 0) {
    const int err = errno;
    return fail(Errc::conflict,
                fmt::format("cannot listen on {}: {}", address.authority(), err ? std::strerror(err) : "refused"),
                fmt::format("choose another port with {} HOST:PORT, or port 0 for any free one", flag));
  }
  address.port = port;
  return {};
}

}  // namespace task
