#pragma once
// A deployment's revision ledger and event log on a cluster: the Secret <task>-history
// beside its CronJob (a Secret, because revisions carry the configuration's secrets),
// read with its resourceVersion so that a write made from a stale read is refused.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "task/deployment.hpp"

namespace task::kube {

using Json = nlohmann::json;

inline std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

Json revision_json(const Revision& r);
Revision revision_from(const Json& j);

struct Ledger {
  std::string task;
  std::string resource_version;  // "" : it does not exist yet
  Json doc = Json::object();

  std::vector<Revision> revisions() const;
  // The deployment it records in `env`; none before the first revision, or once removed
  // unless `include_removed`.
  std::optional<Deployment> deployment(const std::string& env, bool include_removed) const;
  Config config() const;
  // Appends an event, keeping the newest 500.
  void event(Timestamp at, const std::string& kind, const std::string& message);
};

}  // namespace task::kube
