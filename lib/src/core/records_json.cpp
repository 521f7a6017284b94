#include "core/records_json.hpp"

namespace task {

using Json = nlohmann::json;

Json to_json(const RunPolicy& p) {
  Json j{{"command", p.command},
         {"env", p.env},
         {"timeout", p.timeout.count()},
         {"retries", p.retries},
         {"concurrency", to_string(p.concurrency)},
         {"catch_up", to_string(p.catch_up)},
         {"keep_succeeded", p.keep_succeeded},
         {"keep_failed", p.keep_failed},
         {"failure_webhook", p.failure_webhook}};
  if (p.starting_deadline) j["starting_deadline"] = p.starting_deadline->count();
  return j;
}

RunPolicy policy_from_json(const Json& j) {
  RunPolicy p;
  if (!j.is_object()) return p;
  p.command = j.value("command", std::vector<std::string>{});
  p.env = j.value("env", std::map<std::string, std::string>{});
  p.timeout = std::chrono::seconds(j.value("timeout", std::int64_t{3600}));
  p.retries = j.value("retries", 0);
  auto c = j.value("concurrency", std::string("forbid"));
  p.concurrency = c == "allow" ? Concurrency::allow : c == "replace" ? Concurrency::replace : Concurrency::forbid;
  auto k = j.value("catch_up", std::string("latest"));
  p.catch_up = k == "none" ? CatchUp::none : k == "all" ? CatchUp::all : CatchUp::latest;
  if (auto d = j.find("starting_deadline"); d != j.end() && d->is_number_integer()) {
    p.starting_deadline = std::chrono::seconds(d->get<std::int64_t>());
  }
  p.keep_succeeded = j.value("keep_succeeded", 100);
  p.keep_failed = j.value("keep_failed", 100);
  p.failure_webhook = j.value("failure_webhook", std::string{});
  return p;
}

Json to_json(const Config& config) {
  Json j = Json::object();
  for (const auto& [key, v] : config) j[key] = {{"value", v.value}, {"secret", v.secret}};
  return j;
}

Config config_from_json(const Json& j) {
  Config out;
  if (!j.is_object()) return out;
  for (const auto& [key, v] : j.items()) {
    if (v.is_object()) out[key] = ConfigValue{v.value("value", std::string{}), v.value("secret", false)};
  }
  return out;
}

}  // namespace task
