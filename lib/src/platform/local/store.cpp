// The local platform's records: environments, deployments and their revisions, runs and
// the event log (schema migration 2).
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/records_json.hpp"

#include "platform/local/store_impl.hpp"

namespace task {

namespace {

using store_detail::from_millis;
using store_detail::millis;
using Json = nlohmann::json;

constexpr const char* deployment_columns =
    "d.id, d.task, d.env, d.project_dir, d.state, d.created_at, d.updated_at, d.scheduled_through, "
    "r.deployment_id, r.number, r.image_id, r.image_ref, r.build_id, r.schedule, r.timezone, r.policy, r.change, "
    "r.command, r.created_at, r.config";
constexpr const char* deployment_from =
    "deployments d JOIN revisions r ON r.deployment_id = d.id AND r.number = d.current_revision";
constexpr const char* revision_columns =
    "deployment_id, number, image_id, image_ref, build_id, schedule, timezone, policy, change, command, created_at, config";
constexpr const char* run_columns =
    "x.id, x.deployment_id, d.task, d.env, x.revision, x.scheduled_at, x.started_at, x.finished_at, x.outcome, "
    "x.exit_code, x.trigger, x.attempt, x.container_id, x.error, x.forced, x.log_pruned";

DeploymentState state_from(std::string_view text) {
  if (text == "suspended") return DeploymentState::suspended;
  if (text == "removed") return DeploymentState::removed;
  return DeploymentState::active;
}

// By the letters that tell the outcomes apart: `task stats` reads a million of them.
RunOutcome outcome_from(std::string_view text) {
  if (text.size() < 2) return RunOutcome::lost;
  switch (text[0]) {
    case 'p': return RunOutcome::pending;
    case 'r': return RunOutcome::running;
    case 'f': return RunOutcome::failed;
    case 't': return RunOutcome::timed_out;
    case 'l': return RunOutcome::lost;
    case 'c': return RunOutcome::cancelled;
    case 'e': return RunOutcome::error;
    case 's': return text[1] == 'u' ? RunOutcome::succeeded : text[1] == 'k' ? RunOutcome::skipped : RunOutcome::starting;
    default: return RunOutcome::lost;
  }
}

RunTrigger trigger_from(std::string_view text) {
  if (text.empty()) return RunTrigger::schedule;
  switch (text[0]) {
    case 'm': return RunTrigger::manual;
    case 'r': return RunTrigger::retry;
    case 'c': return RunTrigger::catch_up;
    default: return RunTrigger::schedule;
  }
}

std::string policy_json(const RunPolicy& p) { return to_json(p).dump(-1, ' ', false, Json::error_handler_t::replace); }

RunPolicy policy_from(const std::string& text) { return policy_from_json(Json::parse(text, nullptr, false)); }

std::string config_json(const Config& config) {
  return to_json(config).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Config config_from(const std::string& text) { return config_from_json(Json::parse(text, nullptr, false)); }

Revision read_revision(const sqlite::Statement& s, int at) {
  Revision r;
  r.number = s.integer(at + 1);
  r.image.digest = s.text(at + 2);
  r.image.ref = s.text(at + 3);
  r.image.build = s.integer(at + 4);
  r.schedule = s.text(at + 5);
  r.timezone = s.text(at + 6);
  r.policy = policy_from(s.text(at + 7));
  r.change = s.text(at + 8);
  r.command = s.text(at + 9);
  r.created_at = from_millis(s.integer(at + 10));
  r.config = config_from(s.text(at + 11));
  return r;
}

DeploymentRecord read_deployment(const sqlite::Statement& s) {
  DeploymentRecord d;
  d.id = s.integer(0);
  d.task = s.text(1);
  d.env = s.text(2);
  d.project_dir = s.text(3);
  d.state = state_from(s.text(4));
  d.created_at = from_millis(s.integer(5));
  d.updated_at = from_millis(s.integer(6));
  if (!s.is_null(7)) d.scheduled_through = from_millis(s.integer(7));
  d.revision = read_revision(s, 8);
  return d;
}

template <class T, class Read>
Result<std::vector<T>> collect(sqlite::Statement& s, Read read) {
  std::vector<T> out;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(s));
  }
}

Result<void> insert_event(sqlite3* db, const std::string& task, const std::string& env, const std::string& kind,
                          const std::string& message, Timestamp at) {
  sqlite::Statement s(db, "INSERT INTO events (task, env, at, kind, message) VALUES (?, ?, ?, ?, ?)");
  return s.bind(1, task).bind(2, env).bind(3, millis(at)).bind(4, kind).bind(5, message).run();
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

int Store::schema_version() const { return impl_->version; }
const fs::path& Store::state_dir() const { return impl_->dir; }

Result<Store> Store::open(const fs::path& state_dir) {
  auto impl = state::open_as<Impl>(state_dir);
  if (!impl) return std::unexpected(impl.error());
  return Store(std::move(*impl));
}

Run to_run(const RunRecord& r) {
  return Run{.id = std::to_string(r.id),
             .task = r.task,
             .env = r.env,
             .revision = r.revision,
             .scheduled_at = r.scheduled_at,
             .started_at = r.started_at,
             .finished_at = r.finished_at,
             .outcome = r.outcome,
             .exit_code = r.exit_code,
             .trigger = r.trigger,
             .attempt = r.attempt,
             .error = r.error,
             .forced = r.forced,
             .log_pruned = r.log_pruned};
}

namespace {

std::string cluster_json(const ClusterBinding& c) {
  Json j = Json::object();
  if (!c.kubeconfig.empty()) j["kubeconfig"] = c.kubeconfig;
  if (!c.context.empty()) j["context"] = c.context;
  if (!c.namespace_.empty()) j["namespace"] = c.namespace_;
  if (!c.registry.empty()) j["registry"] = c.registry;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

ClusterBinding cluster_from(const std::string& text) {
  ClusterBinding c;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return c;
  c.kubeconfig = j.value("kubeconfig", "");
  c.context = j.value("context", "");
  c.namespace_ = j.value("namespace", "");
  c.registry = j.value("registry", "");
  return c;
}

}  // namespace

Result<std::vector<EnvironmentRecord>> Store::list_environments() {
  sqlite::Statement s(impl_->db.get(),
                      "SELECT name, position, platform, allow_direct_deploy, network, cluster FROM environments ORDER BY position");
  return collect<EnvironmentRecord>(s, [](const sqlite::Statement& r) {
    return EnvironmentRecord{r.text(0), static_cast<int>(r.integer(1)), r.text(2), r.integer(3) != 0, r.text(4), cluster_from(r.text(5))};
  });
}

Result<EnvironmentRecord> Store::update_environment(const EnvironmentRecord& env) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto existing = get_environment(env.name);
  if (!existing) return existing;
  if (existing->platform != env.platform) {
    sqlite::Statement count(db, "SELECT group_concat(task, ', ') FROM deployments WHERE env = ? AND state != 'removed'");
    count.bind(1, env.name);
    if (auto row = count.step(); !row) return std::unexpected(row.error());
    if (!count.is_null(0)) {
      return fail(Errc::conflict, fmt::format("{} has deployments on the {} platform: {}", env.name, existing->platform, count.text(0)),
                  fmt::format("undeploy them first (`task undeploy --env {}`)", env.name));
    }
  }
  sqlite::Statement update(db, "UPDATE environments SET platform = ?, allow_direct_deploy = ?, network = ?, cluster = ? WHERE name = ?");
  update.bind(1, env.platform).bind(2, std::int64_t{env.allow_direct_deploy}).bind(3, env.network)
      .bind(4, cluster_json(env.cluster)).bind(5, env.name);
  if (auto r = update.run(); !r) return std::unexpected(r.error());
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return get_environment(env.name);
}

Result<EnvironmentRecord> Store::get_environment(const std::string& name) {
  auto all = list_environments();
  if (!all) return std::unexpected(all.error());
  std::string names;
  for (auto& e : *all) {
    if (e.name == name) return e;
    names += (names.empty() ? "" : ", ") + e.name;
  }
  return fail(Errc::not_found, fmt::format("no environment `{}`", name), fmt::format("the environments are: {}", names));
}

namespace {

// Replaces the configuration of (task, env), inside the caller's transaction.
Result<void> write_config(sqlite3* db, const std::string& task, const std::string& env, const Config& config) {
  sqlite::Statement clear(db, "DELETE FROM config WHERE task = ? AND env = ?");
  if (auto r = clear.bind(1, task).bind(2, env).run(); !r) return r;
  sqlite::Statement insert(db, "INSERT INTO config (task, env, key, value, secret) VALUES (?, ?, ?, ?, ?)");
  for (const auto& [key, v] : config) {
    insert.reset();
    if (auto r = insert.bind(1, task).bind(2, env).bind(3, key).bind(4, v.value).bind(5, std::int64_t{v.secret}).run(); !r) {
      return r;
    }
  }
  return {};
}

// The next revision of (task, env) and its event, inside the caller's transaction; returns
// the deployment's id. A suspended deployment stays suspended unless `resume`.
Result<std::int64_t> insert_revision(sqlite3* db, const std::string& task, const std::string& env,
                                     const std::string& project_dir, const Revision& revision, Timestamp now,
                                     bool resume) {
  sqlite::Statement upsert(db,
                           "INSERT INTO deployments (task, env, project_dir, state, created_at, updated_at)"
                           " VALUES (?1, ?2, ?3, 'active', ?4, ?4)"
                           " ON CONFLICT (task, env) DO UPDATE SET project_dir = ?3, updated_at = ?4,"
                           "  state = CASE WHEN ?5 OR state != 'suspended' THEN 'active' ELSE state END"
                           " RETURNING id, current_revision");
  upsert.bind(1, task).bind(2, env).bind(3, project_dir).bind(4, millis(now)).bind(5, std::int64_t{resume});
  auto row = upsert.step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = upsert.integer(0);
  const std::int64_t number = upsert.integer(1) + 1;
  if (auto done = upsert.step(); !done) return std::unexpected(done.error());
  sqlite::Statement insert(db, fmt::format("INSERT INTO revisions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                           revision_columns));
  insert.bind(1, id).bind(2, number).bind(3, revision.image.digest).bind(4, revision.image.ref).bind(5, revision.image.build)
      .bind(6, revision.schedule).bind(7, revision.timezone).bind(8, policy_json(revision.policy))
      .bind(9, revision.change).bind(10, revision.command).bind(11, millis(now)).bind(12, config_json(revision.config));
  if (auto r = insert.run(); !r) return std::unexpected(r.error());
  sqlite::Statement current(db, "UPDATE deployments SET current_revision = ? WHERE id = ?");
  if (auto r = current.bind(1, number).bind(2, id).run(); !r) return std::unexpected(r.error());
  const std::string verb = revision.command == "promote"    ? "promoted"
                           : revision.command == "rollback" ? "rolled back"
                           : revision.command == "config"   ? "configured"
                           : revision.command == "schedule" ? "rescheduled"
                                                            : "deployed";
  auto message = fmt::format("revision {} {} to {}: {}, {} ({}){}", number, verb, env,
                             revision.image.ref.empty() ? revision.image.digest.substr(0, 19) : revision.image.ref,
                             revision.schedule, revision.timezone, revision.note.empty() ? "" : "; " + revision.note);
  if (auto r = insert_event(db, task, env, verb == "rolled back" ? "rollback" : verb, message, now);
      !r) {
    return std::unexpected(r.error());
  }
  return id;
}

}  // namespace

Result<DeploymentRecord> Store::deploy(const std::string& task, const std::string& env, const std::string& project_dir,
                                       Revision revision, Timestamp now) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto id = insert_revision(db, task, env, project_dir, revision, now, true);
  if (!id) return std::unexpected(id.error());
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return get_deployment(*id);
}

Result<std::optional<DeploymentRecord>> Store::apply(const std::string& task, const std::string& env,
                                                     const Planner& plan, Timestamp now) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  Current current;
  std::string project_dir;
  if (auto d = get_deployment(task, env)) {
    project_dir = d->project_dir;
    current.deployment = std::move(*d);
  } else if (d.error().code != Errc::not_found) {
    return std::unexpected(d.error());
  }
  auto config = get_config(task, env);
  if (!config) return std::unexpected(config.error());
  current.config = std::move(*config);
  auto change = plan(current);
  if (!change) return std::unexpected(change.error());
  if (!*change) return std::optional<DeploymentRecord>{};
  if ((*change)->config) {
    if (auto r = write_config(db, task, env, *(*change)->config); !r) return std::unexpected(r.error());
  }
  std::optional<std::int64_t> id;
  if ((*change)->revision) {
    auto inserted = insert_revision(db, task, env, project_dir, *(*change)->revision, now, (*change)->resume);
    if (!inserted) return std::unexpected(inserted.error());
    id = *inserted;
  }
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  if (!id) return std::optional<DeploymentRecord>{};
  auto after = get_deployment(*id);
  if (!after) return std::unexpected(after.error());
  return std::optional<DeploymentRecord>{std::move(*after)};
}

Result<DeploymentRecord> Store::get_deployment(const std::string& task, const std::string& env, bool include_removed) {
  sqlite::Statement s(impl_->db.get(), fmt::format("SELECT {} FROM {} WHERE d.task = ? AND d.env = ? AND (? OR d.state != "
                                                   "'removed') ORDER BY d.state = 'removed', d.id DESC LIMIT 1",
                                                   deployment_columns, deployment_from));
  s.bind(1, task).bind(2, env).bind(3, std::int64_t{include_removed});
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return fail(Errc::not_found, fmt::format("{} is not deployed to {}", task, env),
                fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", env));
  }
  return read_deployment(s);
}

Result<DeploymentRecord> Store::get_deployment(std::int64_t id) {
  sqlite::Statement s(impl_->db.get(), fmt::format("SELECT {} FROM {} WHERE d.id = ?", deployment_columns, deployment_from));
  s.bind(1, id);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(Errc::not_found, fmt::format("no deployment {}", id));
  return read_deployment(s);
}

Result<std::vector<DeploymentRecord>> Store::list_deployments(bool include_removed) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM {} JOIN environments e ON e.name = d.env WHERE (? OR d.state != "
                                  "'removed') ORDER BY d.task, e.position",
                                  deployment_columns, deployment_from));
  s.bind(1, std::int64_t{include_removed});
  return collect<DeploymentRecord>(s, read_deployment);
}

Result<DeploymentRecord> Store::set_deployment_state(const std::string& task, const std::string& env,
                                                     DeploymentState state, Timestamp now) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto current = get_deployment(task, env);
  if (!current) return current;
  if (current->state == state) {
    return fail(Errc::conflict, fmt::format("{} in {} is already {}", task, env, to_string(state)),
                state == DeploymentState::suspended ? "resume it with `task resume`" : "");
  }
  sqlite::Statement s(db, "UPDATE deployments SET state = ?, updated_at = ? WHERE id = ?");
  if (auto r = s.bind(1, to_string(state)).bind(2, millis(now)).bind(3, current->id).run(); !r) {
    return std::unexpected(r.error());
  }
  // Resuming starts the schedule afresh: what fell due while suspended is not caught up.
  if (state == DeploymentState::active) {
    sqlite::Statement t(db, "UPDATE deployments SET scheduled_through = ? WHERE id = ?");
    if (auto r = t.bind(1, millis(now)).bind(2, current->id).run(); !r) return std::unexpected(r.error());
  }
  const char* kind = state == DeploymentState::suspended ? "suspended"
                     : state == DeploymentState::removed ? "undeployed"
                                                         : "resumed";
  if (auto r = insert_event(db, task, env, kind, fmt::format("{} in {} {}", task, env, kind), now); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  current->state = state;
  return current;
}

Result<std::map<std::string, ConfigValue>> Store::get_config(const std::string& task, const std::string& env) {
  sqlite::Statement s(impl_->db.get(), "SELECT key, value, secret FROM config WHERE task = ? AND env = ? ORDER BY key");
  s.bind(1, task).bind(2, env);
  std::map<std::string, ConfigValue> out;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out[s.text(0)] = ConfigValue{s.text(1), s.integer(2) != 0};
  }
}

Result<std::map<std::string, ConfigValue>> Store::update_config(const std::string& task, const std::string& env,
                                                                const std::map<std::string, ConfigValue>& set,
                                                                const std::vector<std::string>& unset, bool replace) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto current = get_config(task, env);
  if (!current) return current;
  for (const auto& key : unset) {
    if (!current->contains(key)) {
      return fail(Errc::not_found, fmt::format("{} in {} has no configuration key {}", task, env, key),
                  fmt::format("`task config list --env {}` shows its keys", env));
    }
  }
  if (replace) {
    sqlite::Statement clear(db, "DELETE FROM config WHERE task = ? AND env = ?");
    if (auto r = clear.bind(1, task).bind(2, env).run(); !r) return std::unexpected(r.error());
  }
  sqlite::Statement remove(db, "DELETE FROM config WHERE task = ? AND env = ? AND key = ?");
  for (const auto& key : unset) {
    remove.reset();
    if (auto r = remove.bind(1, task).bind(2, env).bind(3, key).run(); !r) return std::unexpected(r.error());
  }
  sqlite::Statement upsert(db,
                           "INSERT INTO config (task, env, key, value, secret) VALUES (?, ?, ?, ?, ?)"
                           " ON CONFLICT (task, env, key) DO UPDATE SET value = excluded.value, secret = excluded.secret");
  for (const auto& [key, v] : set) {
    upsert.reset();
    upsert.bind(1, task).bind(2, env).bind(3, key).bind(4, v.value).bind(5, std::int64_t{v.secret});
    if (auto r = upsert.run(); !r) return std::unexpected(r.error());
  }
  auto result = get_config(task, env);
  if (!result) return result;
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return result;
}

Result<EnvironmentRecord> Store::add_environment(const EnvironmentRecord& env, const std::string& after) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto all = list_environments();
  if (!all) return std::unexpected(all.error());
  int position = static_cast<int>(all->size());
  for (const auto& e : *all) {
    if (e.name == env.name) {
      return fail(Errc::conflict, fmt::format("environment `{}` exists already", env.name), "`task env list` shows them");
    }
    if (e.name == after) position = e.position + 1;
  }
  if (!after.empty() && std::none_of(all->begin(), all->end(), [&](const auto& e) { return e.name == after; })) {
    return fail(Errc::not_found, fmt::format("no environment `{}` to add `{}` after", after, env.name),
                "`task env list` shows them");
  }
  sqlite::Statement shift(db, "UPDATE environments SET position = position + 1 WHERE position >= ?");
  if (auto r = shift.bind(1, std::int64_t{position}).run(); !r) return std::unexpected(r.error());
  sqlite::Statement insert(db,
                           "INSERT INTO environments (name, position, platform, allow_direct_deploy, network, cluster) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, env.name).bind(2, std::int64_t{position}).bind(3, env.platform)
      .bind(4, std::int64_t{env.allow_direct_deploy}).bind(5, env.network).bind(6, cluster_json(env.cluster));
  if (auto r = insert.run(); !r) return std::unexpected(r.error());
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return get_environment(env.name);
}

Result<void> Store::remove_environment(const std::string& name) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto env = get_environment(name);
  if (!env) return std::unexpected(env.error());
  sqlite::Statement count(db, "SELECT group_concat(task, ', ') FROM deployments WHERE env = ? AND state != 'removed'");
  count.bind(1, name);
  if (auto row = count.step(); !row) return std::unexpected(row.error());
  if (!count.is_null(0)) {
    return fail(Errc::conflict, fmt::format("{} still has deployments: {}", name, count.text(0)),
                fmt::format("undeploy them first (`task undeploy --env {}`)", name));
  }
  sqlite::Statement history(db, "SELECT count(*) FROM deployments WHERE env = ?");
  history.bind(1, name);
  if (auto row = history.step(); !row) return std::unexpected(row.error());
  if (history.integer(0) > 0) {
    return fail(Errc::conflict, fmt::format("{} keeps the history of undeployed tasks", name),
                "environments with history are kept");
  }
  sqlite::Statement remove(db, "DELETE FROM environments WHERE name = ?");
  if (auto r = remove.bind(1, name).run(); !r) return std::unexpected(r.error());
  sqlite::Statement close_gap(db, "UPDATE environments SET position = position - 1 WHERE position > ?");
  if (auto r = close_gap.bind(1, std::int64_t{env->position}).run(); !r) return std::unexpected(r.error());
  return tx.commit();
}

Result<std::vector<Revision>> Store::list_revisions(std::int64_t deployment_id) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM revisions WHERE deployment_id = ? ORDER BY number", revision_columns));
  s.bind(1, deployment_id);
  return collect<Revision>(s, [](const sqlite::Statement& r) { return read_revision(r, 0); });
}

namespace {

// A new run inside the caller's transaction; its id, or Errc::conflict when its fire
// time already has a run.
Result<std::int64_t> insert_run(sqlite3* db, const NewRun& run, Timestamp now) {
  sqlite::Statement s(db,
                      "INSERT INTO runs (deployment_id, revision, scheduled_at, outcome, trigger, attempt, error, created_at,"
                      " finished_at, forced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id");
  s.bind(10, std::int64_t{run.forced});
  s.bind(1, run.deployment_id).bind(2, run.revision).bind(3, millis(run.scheduled_at)).bind(4, to_string(run.outcome))
      .bind(5, to_string(run.trigger)).bind(6, std::int64_t{run.attempt}).bind(7, run.error).bind(8, millis(now));
  if (is_finished(run.outcome)) {
    s.bind(9, millis(now));
  } else {
    s.bind(9, std::nullopt);
  }
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return fail(Errc::conflict, fmt::format("deployment {} already has a run for {}", run.deployment_id,
                                            millis(run.scheduled_at)));
  }
  const std::int64_t id = s.integer(0);
  if (auto done = s.step(); !done) return std::unexpected(done.error());
  return id;
}

}  // namespace

Result<RunRecord> Store::add_run(const NewRun& run, Timestamp now, std::optional<Timestamp> through) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  auto id = insert_run(db, run, now);
  if (!id) return std::unexpected(id.error());
  if (through) {
    sqlite::Statement t(db, "UPDATE deployments SET scheduled_through = max(coalesce(scheduled_through, 0), ?) WHERE id = ?");
    if (auto r = t.bind(1, millis(*through)).bind(2, run.deployment_id).run(); !r) return std::unexpected(r.error());
  }
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return get_run(*id);
}

Result<void> Store::set_scheduled_through(std::int64_t deployment_id, Timestamp through) {
  sqlite::Statement t(impl_->db.get(),
                      "UPDATE deployments SET scheduled_through = max(coalesce(scheduled_through, 0), ?) WHERE id = ?");
  return t.bind(1, millis(through)).bind(2, deployment_id).run();
}

Result<std::size_t> Store::add_recorded_runs(const std::vector<RecordedRun>& runs) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  sqlite::Statement insert(db,
                           "INSERT INTO runs (deployment_id, revision, scheduled_at, started_at, finished_at, outcome,"
                           " exit_code, trigger, attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
                           " ON CONFLICT DO NOTHING");
  sqlite::Statement through(db,
                            "UPDATE deployments SET scheduled_through = max(coalesce(scheduled_through, 0), ?) WHERE id = ?");
  std::size_t added = 0;
  for (const auto& r : runs) {
    insert.reset();
    insert.bind(1, r.run.deployment_id).bind(2, r.run.revision).bind(3, millis(r.run.scheduled_at))
        .bind(4, millis(r.started_at)).bind(5, millis(r.started_at)).bind(6, to_string(r.run.outcome))
        .bind(7, to_string(r.run.trigger)).bind(8, std::int64_t{r.run.attempt}).bind(9, millis(r.started_at));
    if (auto done = insert.run(); !done) return std::unexpected(done.error());
    added += static_cast<std::size_t>(sqlite3_changes(db));
    through.reset();
    through.bind(1, millis(r.run.scheduled_at)).bind(2, r.run.deployment_id);
    if (auto done = through.run(); !done) return std::unexpected(done.error());
  }
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  return added;
}

Result<void> Store::set_run_container(std::int64_t run_id, const std::string& container_id) {
  sqlite::Statement s(impl_->db.get(), "UPDATE runs SET container_id = ?, outcome = 'starting' WHERE id = ?");
  return s.bind(1, container_id).bind(2, run_id).run();
}

Result<void> Store::set_run_started(std::int64_t run_id, Timestamp started_at) {
  sqlite::Statement s(impl_->db.get(), "UPDATE runs SET started_at = ?, outcome = 'running' WHERE id = ?");
  return s.bind(1, millis(started_at)).bind(2, run_id).run();
}

Result<void> Store::finish_run(std::int64_t run_id, RunOutcome outcome, std::optional<int> exit_code,
                               const std::string& error, Timestamp finished_at, const NewNotice* notice,
                               const NewRun* retry) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  sqlite::Statement s(db, "UPDATE runs SET outcome = ?, exit_code = ?, error = ?, finished_at = ? WHERE id = ?");
  s.bind(1, to_string(outcome));
  if (exit_code) {
    s.bind(2, std::int64_t{*exit_code});
  } else {
    s.bind(2, std::nullopt);
  }
  if (auto r = s.bind(3, error).bind(4, millis(finished_at)).bind(5, run_id).run(); !r) return r;
  if (notice != nullptr) {
    sqlite::Statement q(db,
                        "INSERT INTO notifications (deployment_id, run_id, kind, url, payload, state, next_at, created_at)"
                        " SELECT r.deployment_id, r.id, ?2, ?3, ?4, 'pending', ?5, ?5 FROM runs r WHERE r.id = ?1"
                        " AND (?2 = 'failure' OR (SELECT n.kind FROM notifications n WHERE n.deployment_id = r.deployment_id"
                        "  ORDER BY n.id DESC LIMIT 1) = 'failure')");
    q.bind(1, run_id).bind(2, notice->kind).bind(3, notice->url).bind(4, notice->payload).bind(5, millis(finished_at));
    if (auto r = q.run(); !r) return r;
  }
  if (retry != nullptr) {
    if (auto r = insert_run(db, *retry, finished_at); !r) return std::unexpected(r.error());
  }
  return tx.commit();
}

Result<void> Store::run_samples(std::int64_t deployment_id, Timestamp since, Timestamp until, std::vector<RunSample>& out) {
  auto s = impl_->statements.get(impl_->db.get(),
                      "SELECT id, scheduled_at, outcome, trigger, coalesce(started_at, ?4), coalesce(finished_at, ?4),"
                      " coalesce(exit_code, ?4) FROM runs"
                      " INDEXED BY runs_stats WHERE deployment_id = ?1 AND scheduled_at >= ?2 AND scheduled_at < ?3"
                      " ORDER BY scheduled_at");
  s.bind(1, deployment_id).bind(2, millis(since)).bind(3, millis(until)).bind(4, RunSample::none);
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    RunSample r;
    r.id = s.integer(0);
    r.scheduled_ms = s.integer(1);
    r.outcome = outcome_from(s.text_view(2));
    r.trigger = trigger_from(s.text_view(3));
    r.started_ms = s.integer(4);
    r.finished_ms = s.integer(5);
    r.exit_code = s.integer(6);
    out.push_back(r);
  }
  return {};
}

namespace {

// The statements of each level's table, by level.
struct SummarySql {
  const char* each;
  const char* stale;
  const char* save;
};
constexpr SummarySql summary_sql[] = {
    {"SELECT hour, generation, summary_generation, summary FROM run_hours"
     " WHERE deployment_id = ? AND hour >= ? AND hour < ? ORDER BY hour",
     "SELECT hour FROM run_hours WHERE deployment_id = ? AND hour < ?"
     " AND summary_generation != generation ORDER BY hour DESC",
     "UPDATE run_hours SET summary = ?, summary_generation = generation"
     " WHERE deployment_id = ? AND hour = ? AND generation = ?"},
    {"SELECT day, generation, summary_generation, summary FROM run_days"
     " WHERE deployment_id = ? AND day >= ? AND day < ? ORDER BY day",
     "SELECT day FROM run_days WHERE deployment_id = ? AND day < ?"
     " AND summary_generation != generation ORDER BY day DESC",
     "UPDATE run_days SET summary = ?, summary_generation = generation"
     " WHERE deployment_id = ? AND day = ? AND generation = ?"},
};
const SummarySql& sql_of(SummaryLevel level) { return summary_sql[level == SummaryLevel::hour ? 0 : 1]; }

}  // namespace

Result<std::vector<SummaryRecord>> Store::summaries(SummaryLevel level, std::int64_t deployment_id, Timestamp from,
                                                    Timestamp to) {
  std::vector<SummaryRecord> out;
  auto r = each_summary(level, deployment_id, from, to, [&](std::int64_t start, std::int64_t generation, auto summary) {
    out.push_back({from_millis(start), generation, summary ? std::optional<std::string>(*summary) : std::nullopt});
    return Result<void>{};
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> Store::each_summary(
    SummaryLevel level, std::int64_t deployment_id, Timestamp from, Timestamp to,
    const std::function<Result<void>(std::int64_t, std::int64_t, std::optional<std::string_view>)>& each) {
  auto s = impl_->statements.get(impl_->db.get(), sql_of(level).each);
  s.bind(1, deployment_id).bind(2, millis(from)).bind(3, millis(to));
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    const auto generation = s.integer(1);
    std::optional<std::string_view> summary;
    if (s.integer(2) == generation) summary = s.blob_view(3);
    if (auto r = each(s.integer(0), generation, summary); !r) return r;
  }
}

Result<std::vector<Timestamp>> Store::stale_summaries(SummaryLevel level, std::int64_t deployment_id, Timestamp before) {
  sqlite::Statement s(impl_->db.get(), sql_of(level).stale);
  s.bind(1, deployment_id).bind(2, millis(before));
  return collect<Timestamp>(s, [](const sqlite::Statement& r) { return from_millis(r.integer(0)); });
}

Result<void> Store::save_summary(SummaryLevel level, std::int64_t deployment_id, Timestamp start,
                                 std::int64_t generation, std::string_view summary) {
  sqlite::Statement s(impl_->db.get(), sql_of(level).save);
  return s.bind_blob(1, summary).bind(2, deployment_id).bind(3, millis(start)).bind(4, generation).run();
}

Result<void> Store::read_consistently(const std::function<Result<void>()>& body) {
  auto* db = impl_->db.get();
  if (auto r = sqlite::exec(db, "BEGIN DEFERRED"); !r) return r;
  auto result = body();
  sqlite::exec(db, "COMMIT");
  return result;
}

namespace {

constexpr const char* notice_columns =
    "n.id, n.deployment_id, n.run_id, d.task, d.env, n.kind, n.url, n.payload, n.state, n.attempts, n.next_at, n.last_error";

NoticeRecord read_notice(const sqlite::Statement& s) {
  NoticeRecord n;
  n.id = s.integer(0);
  n.deployment_id = s.integer(1);
  n.run_id = s.integer(2);
  n.task = s.text(3);
  n.env = s.text(4);
  n.kind = s.text(5);
  n.url = s.text(6);
  n.payload = s.text(7);
  const auto state = s.text(8);
  n.state = state == "delivered" ? NoticeState::delivered : state == "failed" ? NoticeState::failed : NoticeState::pending;
  n.attempts = static_cast<int>(s.integer(9));
  n.next_at = from_millis(s.integer(10));
  n.last_error = s.text(11);
  return n;
}

std::string_view notice_state_text(NoticeState state) {
  switch (state) {
    case NoticeState::delivered: return "delivered";
    case NoticeState::failed: return "failed";
    case NoticeState::pending: break;
  }
  return "pending";
}

}  // namespace

Result<std::vector<NoticeRecord>> Store::due_notices(Timestamp now, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM notifications n JOIN deployments d ON d.id = n.deployment_id"
                                  " WHERE n.state = 'pending' AND n.next_at <= ? ORDER BY n.next_at, n.id LIMIT ?",
                                  notice_columns));
  s.bind(1, millis(now)).bind(2, static_cast<std::int64_t>(limit));
  return collect<NoticeRecord>(s, read_notice);
}

Result<std::optional<Timestamp>> Store::next_notice_at() {
  sqlite::Statement s(impl_->db.get(), "SELECT min(next_at) FROM notifications WHERE state = 'pending'");
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row || s.is_null(0)) return std::optional<Timestamp>{};
  return std::optional<Timestamp>(from_millis(s.integer(0)));
}

Result<void> Store::update_notice(const NoticeRecord& notice, const std::string& event, Timestamp now) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  sqlite::Statement s(db, "UPDATE notifications SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?");
  s.bind(1, notice_state_text(notice.state)).bind(2, std::int64_t{notice.attempts}).bind(3, millis(notice.next_at))
      .bind(4, notice.last_error).bind(5, notice.id);
  if (auto r = s.run(); !r) return r;
  if (!event.empty()) {
    if (auto r = insert_event(db, notice.task, notice.env, "notice", event, now); !r) return r;
  }
  return tx.commit();
}

Result<std::vector<NoticeRecord>> Store::list_notices(std::int64_t deployment_id) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM notifications n JOIN deployments d ON d.id = n.deployment_id"
                                  " WHERE n.deployment_id = ? ORDER BY n.id",
                                  notice_columns));
  s.bind(1, deployment_id);
  return collect<NoticeRecord>(s, read_notice);
}

namespace {

RunRecord read_run(const sqlite::Statement& s, const fs::path& state_dir) {
  RunRecord r;
  r.id = s.integer(0);
  r.deployment_id = s.integer(1);
  r.task = s.text(2);
  r.env = s.text(3);
  r.revision = s.integer(4);
  r.scheduled_at = from_millis(s.integer(5));
  if (!s.is_null(6)) r.started_at = from_millis(s.integer(6));
  if (!s.is_null(7)) r.finished_at = from_millis(s.integer(7));
  r.outcome = outcome_from(s.text(8));
  if (!s.is_null(9)) r.exit_code = static_cast<int>(s.integer(9));
  r.trigger = trigger_from(s.text(10));
  r.attempt = static_cast<int>(s.integer(11));
  r.container_id = s.text(12);
  r.error = s.text(13);
  r.forced = s.integer(14) != 0;
  r.log_pruned = s.integer(15) != 0;
  r.log_path = state_dir / "runs" / fmt::format("{}.log", r.id);
  return r;
}

}  // namespace

Result<RunRecord> Store::get_run(std::int64_t id) {
  auto s = impl_->statements.get(impl_->db.get(),
                      fmt::format("SELECT {} FROM runs x JOIN deployments d ON d.id = x.deployment_id WHERE x.id = ?",
                                  run_columns));
  s.bind(1, id);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(Errc::not_found, fmt::format("no run {}", id), "`task runs` lists the runs");
  return read_run(s, impl_->dir);
}

Result<std::vector<RunRecord>> Store::list_runs(const std::string& task, const std::string& env, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM runs x JOIN deployments d ON d.id = x.deployment_id"
                                  " WHERE (?1 = '' OR d.task = ?1) AND (?2 = '' OR d.env = ?2) ORDER BY x.id DESC LIMIT ?3",
                                  run_columns));
  s.bind(1, task).bind(2, env).bind(3, static_cast<std::int64_t>(limit));
  const auto& dir = impl_->dir;
  return collect<RunRecord>(s, [&](const sqlite::Statement& r) { return read_run(r, dir); });
}

Result<std::vector<RunRecord>> Store::unfinished_runs(std::int64_t deployment_id) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM runs x JOIN deployments d ON d.id = x.deployment_id"
                                  " WHERE x.outcome IN ('pending', 'starting', 'running') AND (?1 = 0 OR x.deployment_id = ?1)"
                                  " ORDER BY x.id",
                                  run_columns));
  s.bind(1, deployment_id);
  const auto& dir = impl_->dir;
  return collect<RunRecord>(s, [&](const sqlite::Statement& r) { return read_run(r, dir); });
}

Result<std::vector<RunRecord>> Store::recent_runs(std::int64_t deployment_id, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      fmt::format("SELECT {} FROM runs x JOIN deployments d ON d.id = x.deployment_id"
                                  " WHERE x.deployment_id = ? AND x.outcome NOT IN ('pending', 'starting', 'running')"
                                  " ORDER BY x.id DESC LIMIT ?",
                                  run_columns));
  s.bind(1, deployment_id).bind(2, static_cast<std::int64_t>(limit));
  const auto& dir = impl_->dir;
  return collect<RunRecord>(s, [&](const sqlite::Statement& r) { return read_run(r, dir); });
}

Result<RunCounts> Store::count_runs(std::int64_t deployment_id, Timestamp since) {
  sqlite::Statement s(impl_->db.get(),
                      "SELECT count(*), sum(outcome = 'succeeded'), sum(outcome = 'failed'), sum(outcome = 'timed-out'),"
                      " sum(outcome = 'skipped'), sum(outcome = 'lost') FROM runs"
                      " WHERE deployment_id = ? AND scheduled_at >= ? AND outcome NOT IN ('pending', 'starting', 'running')");
  s.bind(1, deployment_id).bind(2, millis(since));
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  return RunCounts{s.integer(0), s.integer(1), s.integer(2), s.integer(3), s.integer(4), s.integer(5)};
}

Result<std::size_t> Store::prune_runs(std::int64_t deployment_id, int keep_succeeded, int keep_failed,
                                      std::optional<Timestamp> forget_before) {
  auto* db = impl_->db.get();
  sqlite::Transaction tx(db);
  if (auto b = tx.begun(); !b) return std::unexpected(b.error());
  // Succeeded runs count against one limit; every other finished outcome against the other.
  // Only logs go: the records stay for the figures until they are older than the retention.
  sqlite::Statement s(db,
                      "UPDATE runs SET log_pruned = 1 WHERE id IN ("
                      " SELECT id FROM runs WHERE deployment_id = ?1 AND outcome = 'succeeded' AND log_pruned = 0"
                      "  ORDER BY id DESC LIMIT -1 OFFSET ?2)"
                      " OR id IN ("
                      " SELECT id FROM runs WHERE deployment_id = ?1 AND outcome IN ('failed', 'timed-out', 'skipped',"
                      "  'lost', 'cancelled') AND log_pruned = 0 ORDER BY id DESC LIMIT -1 OFFSET ?3)"
                      " RETURNING id");
  s.bind(1, deployment_id).bind(2, std::int64_t{keep_succeeded}).bind(3, std::int64_t{keep_failed});
  std::vector<std::int64_t> gone;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    gone.push_back(s.integer(0));
  }
  if (forget_before) {
    sqlite::Statement forget(db,
                             "DELETE FROM runs WHERE deployment_id = ? AND scheduled_at < ?"
                             " AND outcome NOT IN ('pending', 'starting', 'running') RETURNING id, log_pruned");
    forget.bind(1, deployment_id).bind(2, millis(*forget_before));
    for (;;) {
      auto row = forget.step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      if (forget.integer(1) == 0) gone.push_back(forget.integer(0));
    }
  }
  if (auto r = tx.commit(); !r) return std::unexpected(r.error());
  for (auto id : gone) {
    std::error_code ec;
    fs::remove(impl_->run_log(id), ec);
  }
  return gone.size();
}

Result<void> Store::add_event(const std::string& task, const std::string& env, const std::string& kind,
                              const std::string& message, Timestamp at) {
  return insert_event(impl_->db.get(), task, env, kind, message, at);
}

Result<std::vector<EventRecord>> Store::list_events(const std::string& task, const std::string& env, std::size_t limit) {
  sqlite::Statement s(impl_->db.get(),
                      "SELECT id, task, env, at, kind, message FROM (SELECT * FROM events"
                      " WHERE (?1 = '' OR task = ?1) AND (?2 = '' OR env = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id");
  s.bind(1, task).bind(2, env).bind(3, static_cast<std::int64_t>(limit));
  return collect<EventRecord>(s, [](const sqlite::Statement& r) {
    return EventRecord{r.integer(0), r.text(1), r.text(2), from_millis(r.integer(3)), r.text(4), r.text(5)};
  });
}

}  // namespace task
