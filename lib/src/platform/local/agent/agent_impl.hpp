#pragma once
// What the agent's source files share.
#include <sys/un.h>

#include <filesystem>

#include "task/local_platform.hpp"

namespace task::agent_detail {

std::filesystem::path lock_path(const std::filesystem::path& state_dir);
std::filesystem::path socket_path(const std::filesystem::path& state_dir);
// Holds the URL of the running agent's metrics, while it serves them.
std::filesystem::path metrics_url_path(const std::filesystem::path& state_dir);
bool fill_address(const std::filesystem::path& path, sockaddr_un& address);

}  // namespace task::agent_detail
