#include "platform/kubernetes/ledger.hpp"

#include "core/records_json.hpp"

namespace task::kube {

namespace {

constexpr std::size_t kept_events = 500;

Json image_json(const Image& i) { return {{"ref", i.ref}, {"digest", i.digest}, {"build", i.build}}; }

DeploymentState state_from(const std::string& s) {
  if (s == "suspended") return DeploymentState::suspended;
  if (s == "removed") return DeploymentState::removed;
  return DeploymentState::active;
}

}  // namespace

Json revision_json(const Revision& r) {
  return {{"number", r.number},         {"image", image_json(r.image)}, {"schedule", r.schedule},
          {"timezone", r.timezone},     {"policy", to_json(r.policy)},  {"config", to_json(r.config)},
          {"change", r.change},         {"command", r.command},         {"created_at", millis(r.created_at)}};
}

Revision revision_from(const Json& j) {
  Revision r;
  r.number = j.value("number", std::int64_t{0});
  if (auto i = j.find("image"); i != j.end() && i->is_object()) {
    r.image = Image{i->value("ref", ""), i->value("digest", ""), i->value("build", std::int64_t{0})};
  }
  r.schedule = j.value("schedule", "");
  r.timezone = j.value("timezone", "UTC");
  r.policy = policy_from_json(j.value("policy", Json::object()));
  r.config = config_from_json(j.value("config", Json::object()));
  r.change = j.value("change", "");
  r.command = j.value("command", "");
  r.created_at = from_millis(j.value("created_at", std::int64_t{0}));
  return r;
}

std::vector<Revision> Ledger::revisions() const {
  std::vector<Revision> out;
  for (const auto& r : doc.value("revisions", Json::array())) out.push_back(revision_from(r));
  return out;
}

std::optional<Deployment> Ledger::deployment(const std::string& env, bool include_removed) const {
  const auto& revs = doc.value("revisions", Json::array());
  if (revs.empty()) return std::nullopt;
  Deployment d;
  d.task = task;
  d.env = env;
  d.state = state_from(doc.value("state", "active"));
  if (d.state == DeploymentState::removed && !include_removed) return std::nullopt;
  d.created_at = from_millis(doc.value("created_at", std::int64_t{0}));
  d.updated_at = from_millis(doc.value("updated_at", std::int64_t{0}));
  d.revision = revision_from(revs.back());
  return d;
}

Config Ledger::config() const { return config_from_json(doc.value("config", Json::object())); }

void Ledger::event(Timestamp at, const std::string& kind, const std::string& message) {
  const auto id = doc.value("next_event", std::int64_t{1});
  doc["next_event"] = id + 1;
  Json& events = doc["events"];
  if (!events.is_array()) events = Json::array();
  events.push_back({{"id", id}, {"at", millis(at)}, {"kind", kind}, {"message", message}});
  if (events.size() > kept_events) events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(events.size() - kept_events));
}

}  // namespace task::kube
