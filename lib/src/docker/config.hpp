#pragma once
// The docker CLI's own files: $DOCKER_CONFIG (default ~/.docker)/config.json and the
// contexts stored beside it.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "task/error.hpp"
#include "task/paths.hpp"

namespace task::docker {

// DOCKER_CONFIG, else $HOME/.docker; empty when neither is set.
std::filesystem::path docker_config_dir(const Environment& env);

// The parsed config.json: an empty object when there is none; Errc::invalid_input,
// naming the file, when it is not a JSON object.
Result<nlohmann::json> read_json_file(const std::filesystem::path& file);
Result<nlohmann::json> read_docker_config(const Environment& env);

}  // namespace task::docker
