#pragma once
// The JSON form of what a revision carries (its run policy and configuration), shared by
// every platform that stores revisions: the local state database and a cluster's ledger.
#include <nlohmann/json.hpp>

#include "task/deployment.hpp"

namespace task {

nlohmann::json to_json(const RunPolicy& policy);
// Missing or malformed members take their defaults.
RunPolicy policy_from_json(const nlohmann::json& j);

nlohmann::json to_json(const Config& config);
Config config_from_json(const nlohmann::json& j);

}  // namespace task
