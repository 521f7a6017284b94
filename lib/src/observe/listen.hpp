#pragma once
// Where the dashboard and the metrics listen: HOST:PORT as given to --listen or --metrics,
// bound on an HTTP server.
#include <string>
#include <string_view>

#include "observe/http.hpp"
#include "task/error.hpp"

namespace task {

struct ListenAddress {
  std::string host;  // 127.0.0.1, localhost, ::1, 0.0.0.0 …
  int port = 0;      // 0: any free port
  bool loopback() const;
  // As a URL's authority: "127.0.0.1:8080", "[::1]:8080".
  std::string authority() const;
};

// "127.0.0.1:8080", "localhost:0", "[::1]:9464", ":8080" (127.0.0.1), "8080" (127.0.0.1);
// Errc::invalid_input naming `flag` and the forms that work.
Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag);

// Binds `server`; the port chosen when it was 0 is written back. Errc::conflict saying
// what to do when the port is taken or the address is not this machine's.
Result<void> bind_server(http::Server& server, ListenAddress& address, std::string_view flag);

}  // namespace task
