// The state database under $TASK_HOME: one SQLite file in WAL mode, its schema migrated
// forward on open. The build ledger (the machine's) and the local platform's records live
// in it side by side.
#include "state/database.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

namespace task::state {
namespace fs = std::filesystem;

namespace {

const char* const platform_schema = R"sql(
CREATE TABLE environments (
  name                 TEXT PRIMARY KEY,
  position             INTEGER NOT NULL,
  platform             TEXT NOT NULL DEFAULT 'local',
  allow_direct_deploy  INTEGER NOT NULL DEFAULT 1,
  network              TEXT NOT NULL DEFAULT 'host'
);
INSERT INTO environments (name, position, allow_direct_deploy) VALUES ('development', 0, 1), ('production', 1, 0);
CREATE TABLE deployments (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  task               TEXT NOT NULL,
  env                TEXT NOT NULL REFERENCES environments (name),
  project_dir        TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'removed')),
  current_revision   INTEGER NOT NULL DEFAULT 0,
  scheduled_through  INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (task, env)
);
CREATE TABLE revisions (
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
  number         INTEGER NOT NULL,
  image_id       TEXT NOT NULL,
  image_ref      TEXT NOT NULL DEFAULT '',
  build_id       INTEGER NOT NULL DEFAULT 0,
  schedule       TEXT NOT NULL,
  timezone       TEXT NOT NULL DEFAULT 'UTC',
  policy         TEXT NOT NULL,
  change         TEXT NOT NULL DEFAULT '',
  command        TEXT NOT NULL DEFAULT '',
  config         TEXT NOT NULL DEFAULT '{}',  -- JSON: {KEY: {value, secret}}
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, number)
);
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
  revision       INTEGER NOT NULL,
  scheduled_at   INTEGER NOT NULL,
  started_at     INTEGER,
  finished_at    INTEGER,
  outcome        TEXT NOT NULL CHECK (outcome IN ('pending', 'starting', 'running', 'succeeded', 'failed',
                                                  'timed-out', 'skipped', 'lost', 'cancelled')),
  exit_code      INTEGER,
  trigger        TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry', 'catch-up')),
  attempt        INTEGER NOT NULL DEFAULT 1,
  forced         INTEGER NOT NULL DEFAULT 0,
  container_id   TEXT NOT NULL DEFAULT '',
  error          TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);
-- A fire time of a schedule is handled once: never two runs for one instant.
CREATE UNIQUE INDEX runs_once ON runs (deployment_id, scheduled_at) WHERE trigger IN ('schedule', 'catch-up');
CREATE INDEX runs_by_deployment ON runs (deployment_id, id DESC);
CREATE INDEX runs_unfinished ON runs (outcome) WHERE outcome IN ('pending', 'starting', 'running');
-- Each environment's configuration of a task; revisions keep a copy of it.
CREATE TABLE config (
  task    TEXT NOT NULL,
  env     TEXT NOT NULL,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  secret  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task, env, key)
);
CREATE TABLE events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  task     TEXT NOT NULL,
  env      TEXT NOT NULL,
  at       INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  message  TEXT NOT NULL
);
CREATE INDEX events_by_task ON events (task, env, id);
)sql";

const char* const observe_schema = R"sql(
-- History limits remove logs; a run's record stays for the figures of `task stats`
-- until it is older than the retention.
ALTER TABLE runs ADD COLUMN log_pruned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_with_log ON runs (deployment_id, outcome, id) WHERE log_pruned = 0;
-- Everything `task stats` reads, in the order it reads it: a scan of the index alone.
CREATE INDEX runs_stats ON runs (deployment_id, scheduled_at, outcome, trigger, started_at, finished_at, exit_code);
-- Failure notices waiting for delivery, and what became of them.
CREATE TABLE notifications (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
  run_id         INTEGER NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('failure', 'recovery')),
  url            TEXT NOT NULL,
  payload        TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_at        INTEGER NOT NULL,
  last_error     TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);
CREATE INDEX notifications_due ON notifications (next_at) WHERE state = 'pending';
CREATE INDEX notifications_by_deployment ON notifications (deployment_id, id);
-- Every UTC hour of a deployment that has runs, with a generation that each change to its
-- runs advances (by the triggers below, in the changing transaction), and the summary of
-- `task stats` figures computed at some generation: current while the two agree.
CREATE TABLE run_hours (
  deployment_id       INTEGER NOT NULL,
  hour                INTEGER NOT NULL,
  generation          INTEGER NOT NULL DEFAULT 1,
  summary_generation  INTEGER NOT NULL DEFAULT 0,
  summary             BLOB,
  PRIMARY KEY (deployment_id, hour)
) WITHOUT ROWID;
INSERT INTO run_hours (deployment_id, hour)
  SELECT DISTINCT deployment_id, scheduled_at - scheduled_at % 3600000 FROM runs;
CREATE TRIGGER runs_hour_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_hours (deployment_id, hour) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 3600000)
    ON CONFLICT (deployment_id, hour) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER runs_hour_update AFTER UPDATE OF scheduled_at, outcome, trigger, started_at, finished_at, exit_code ON runs BEGIN
  INSERT INTO run_hours (deployment_id, hour) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 3600000)
    ON CONFLICT (deployment_id, hour) DO UPDATE SET generation = generation + 1;
  UPDATE run_hours SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND hour = OLD.scheduled_at - OLD.scheduled_at % 3600000
      AND OLD.scheduled_at - OLD.scheduled_at % 3600000 != NEW.scheduled_at - NEW.scheduled_at % 3600000;
END;
CREATE TRIGGER runs_hour_delete AFTER DELETE ON runs BEGIN
  UPDATE run_hours SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND hour = OLD.scheduled_at - OLD.scheduled_at % 3600000;
END;
)sql";

// Forward-only migrations: entry i takes the schema from version i to i + 1. Never edit
// a shipped entry; append a new one. Deployments, revisions, runs and events come as
// later entries, keyed by task name and environment like builds are by task name.
const char* const migrations[] = {
    R"sql(
CREATE TABLE builds (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task         TEXT NOT NULL,
  project_dir  TEXT NOT NULL,
  commit_id    TEXT NOT NULL,
  dirty        INTEGER NOT NULL DEFAULT 0,
  source_url   TEXT NOT NULL DEFAULT '',
  image_ref    TEXT NOT NULL DEFAULT '',
  image_id     TEXT NOT NULL DEFAULT '',
  pushed_ref   TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  error        TEXT NOT NULL DEFAULT '',
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE INDEX builds_by_task ON builds (task, id DESC);
)sql",
    platform_schema,
    observe_schema,
    // How an environment on a cluster reaches it: kubeconfig, context, namespace, registry.
    R"sql(
ALTER TABLE environments ADD COLUMN cluster TEXT NOT NULL DEFAULT '{}';
)sql",
    // A run the platform could not start or run is outcome `error`, the platform's fault:
    // the runs table again with that in its CHECK (SQLite cannot change one in place), its
    // ids, indexes and triggers as they were.
    R"sql(
CREATE TABLE runs_new (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id),
  revision       INTEGER NOT NULL,
  scheduled_at   INTEGER NOT NULL,
  started_at     INTEGER,
  finished_at    INTEGER,
  outcome        TEXT NOT NULL CHECK (outcome IN ('pending', 'starting', 'running', 'succeeded', 'failed',
                                                  'timed-out', 'skipped', 'lost', 'cancelled', 'error')),
  exit_code      INTEGER,
  trigger        TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry', 'catch-up')),
  attempt        INTEGER NOT NULL DEFAULT 1,
  forced         INTEGER NOT NULL DEFAULT 0,
  container_id   TEXT NOT NULL DEFAULT '',
  error          TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  log_pruned     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs_new (id, deployment_id, revision, scheduled_at, started_at, finished_at, outcome, exit_code, trigger,
                      attempt, forced, container_id, error, created_at, log_pruned)
  SELECT id, deployment_id, revision, scheduled_at, started_at, finished_at, outcome, exit_code, trigger,
         attempt, forced, container_id, error, created_at, log_pruned FROM runs;
CREATE TEMP TABLE runs_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'runs';
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM temp.runs_sequence), 0)) WHERE name = 'runs';
DROP TABLE temp.runs_sequence;
CREATE UNIQUE INDEX runs_once ON runs (deployment_id, scheduled_at) WHERE trigger IN ('schedule', 'catch-up');
CREATE INDEX runs_by_deployment ON runs (deployment_id, id DESC);
CREATE INDEX runs_unfinished ON runs (outcome) WHERE outcome IN ('pending', 'starting', 'running');
CREATE INDEX runs_with_log ON runs (deployment_id, outcome, id) WHERE log_pruned = 0;
CREATE INDEX runs_stats ON runs (deployment_id, scheduled_at, outcome, trigger, started_at, finished_at, exit_code);
CREATE TRIGGER runs_hour_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_hours (deployment_id, hour) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 3600000)
    ON CONFLICT (deployment_id, hour) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER runs_hour_update AFTER UPDATE OF scheduled_at, outcome, trigger, started_at, finished_at, exit_code ON runs BEGIN
  INSERT INTO run_hours (deployment_id, hour) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 3600000)
    ON CONFLICT (deployment_id, hour) DO UPDATE SET generation = generation + 1;
  UPDATE run_hours SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND hour = OLD.scheduled_at - OLD.scheduled_at % 3600000
      AND OLD.scheduled_at - OLD.scheduled_at % 3600000 != NEW.scheduled_at - NEW.scheduled_at % 3600000;
END;
CREATE TRIGGER runs_hour_delete AFTER DELETE ON runs BEGIN
  UPDATE run_hours SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND hour = OLD.scheduled_at - OLD.scheduled_at % 3600000;
END;
)sql",
    // The same for every UTC day of a deployment that has runs: a week's figures are read
    // from 7 summaries a deployment and not 168.
    R"sql(
CREATE TABLE run_days (
  deployment_id       INTEGER NOT NULL,
  day                 INTEGER NOT NULL,
  generation          INTEGER NOT NULL DEFAULT 1,
  summary_generation  INTEGER NOT NULL DEFAULT 0,
  summary             BLOB,
  PRIMARY KEY (deployment_id, day)
) WITHOUT ROWID;
INSERT INTO run_days (deployment_id, day)
  SELECT DISTINCT deployment_id, scheduled_at - scheduled_at % 86400000 FROM runs;
CREATE TRIGGER runs_day_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_days (deployment_id, day) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 86400000)
    ON CONFLICT (deployment_id, day) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER runs_day_update AFTER UPDATE OF scheduled_at, outcome, trigger, started_at, finished_at, exit_code ON runs BEGIN
  INSERT INTO run_days (deployment_id, day) VALUES (NEW.deployment_id, NEW.scheduled_at - NEW.scheduled_at % 86400000)
    ON CONFLICT (deployment_id, day) DO UPDATE SET generation = generation + 1;
  UPDATE run_days SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND day = OLD.scheduled_at - OLD.scheduled_at % 86400000
      AND OLD.scheduled_at - OLD.scheduled_at % 86400000 != NEW.scheduled_at - NEW.scheduled_at % 86400000;
END;
CREATE TRIGGER runs_day_delete AFTER DELETE ON runs BEGIN
  UPDATE run_days SET generation = generation + 1
    WHERE deployment_id = OLD.deployment_id AND day = OLD.scheduled_at - OLD.scheduled_at % 86400000;
END;
)sql",
};
constexpr int latest_schema = static_cast<int>(std::size(migrations));

// The schema version, read by a statement that is done before anything else runs (a
// migration that drops a table needs no statement of the connection pending).
Result<int> user_version(sqlite3* db) {
  sqlite::Statement get(db, "PRAGMA user_version");
  auto row = get.step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(get.integer(0));
}

Result<void> migrate(Database& d) {
  auto version = user_version(d.db.get());
  if (!version) return std::unexpected(version.error());
  d.version = *version;
  if (d.version > latest_schema) {
    return fail(Errc::conflict,
                fmt::format("the state database in {} has schema version {}, newer than this task knows ({})",
                            d.dir.string(), d.version, latest_schema),
                "upgrade task, or point TASK_HOME elsewhere");
  }
  while (d.version < latest_schema) {
    sqlite::Transaction tx(d.db.get());
    if (auto b = tx.begun(); !b) return b;
    // Re-read inside the lock: another process may have migrated meanwhile.
    auto again = user_version(d.db.get());
    if (!again) return std::unexpected(again.error());
    d.version = *again;
    if (d.version >= latest_schema) break;
    if (auto r = sqlite::exec(d.db.get(), migrations[d.version]); !r) return r;
    if (auto r = sqlite::exec(d.db.get(), fmt::format("PRAGMA user_version = {}", d.version + 1).c_str()); !r) return r;
    if (auto r = tx.commit(); !r) return r;
    ++d.version;
  }
  return {};
}

}  // namespace

int latest_schema_version() { return latest_schema; }

Result<Database> open_database(const fs::path& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir / "builds", ec);
  if (!ec) fs::create_directories(state_dir / "runs", ec);
  if (ec) {
    return fail(Errc::io, fmt::format("cannot create the state directory {}: {}", state_dir.string(), ec.message()),
                "set TASK_HOME to a writable directory");
  }
  // State holds secrets later on: only the owner may enter.
  ::chmod(state_dir.c_str(), 0700);
  Database d;
  d.dir = state_dir;
  sqlite3* raw = nullptr;
  auto path = state_dir / "task.db";
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  d.db.reset(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite::error_of(raw, fmt::format("cannot open {}", path.string())));
  ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(raw, 10000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
                             // Statement journals (every write inside a transaction has one) and
                             // sorts stay in memory rather than in temporary files.
                             "PRAGMA temp_store = MEMORY"}) {
    if (auto r = sqlite::exec(raw, pragma); !r) return std::unexpected(r.error());
  }
  if (auto r = migrate(d); !r) return std::unexpected(r.error());
  return d;
}

}  // namespace task::state
