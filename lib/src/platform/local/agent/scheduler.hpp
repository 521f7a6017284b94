#pragma once
// The agent's decisions (DESIGN §6), apart from the process around them: which fire times
// are due, the runs they make (a fire time and its run are one transaction: never twice),
// the concurrency and catch-up policies, the starting deadline, pending manual and retry
// runs, and re-attaching what a previous agent left running. It reads the time from the
// clock it is given and hands runs to a Runner, so tests drive it with a fake clock and a
// runner of their own.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "platform/local/agent/runner.hpp"
#include "platform/local/store.hpp"
#include "task/schedule.hpp"

namespace task {

struct SchedulerOptions {
  Clock now = system_now;
  std::function<void(std::string_view)> log;  // one line each
};

class Scheduler {
 public:
  Scheduler(Store& store, Runner& runner, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // After a (re)start: runs that were starting or running go back to the runner to be
  // re-attached; fire times before now that no agent handled are missed (catch_up).
  void start();
  // One pass at the clock's now: stores outcomes' consequences, fires what is due,
  // prepares what is due soon, starts pending runs. With `reload`, reads the deployments
  // again first. Returns when the next pass is wanted (a minute at most).
  Timestamp tick(bool reload);
  // Prepared runs of fire times to come are skipped (the next agent treats those as
  // missed); waits for the runner's workers.
  void stop();

  // Runs in the runner's hands that have not finished.
  std::size_t active() const;

 private:
  struct Entry {
    DeploymentRecord deployment;
    std::optional<Schedule> schedule;
    EnvironmentRecord environment;
    std::optional<Instant> next;  // the next fire time after what was handled
  };

  void say(std::string_view line) const;
  void load();
  static Timestamp baseline(const Entry& e);
  std::chrono::milliseconds lead(const Entry& e) const;
  void process(Entry& e, Timestamp now);
  void prepare(Entry& e, Timestamp now);
  void release(Timestamp now);
  void handle_missed(Entry& e, const std::vector<Instant>& missed, bool truncated, bool ran_on_time, Timestamp now);
  void event(const Entry& e, const std::string& kind, const std::string& message);
  std::vector<Worker*> active_workers(std::int64_t deployment_id);
  bool admit(const Entry& e, std::int64_t run_id, bool forced, std::string& skipped_because);
  void fire(Entry& e, Instant t, RunTrigger trigger, Timestamp now);
  std::optional<Timestamp> start_pending(Timestamp now);
  Worker* spawn(const RunRecord& run, const Entry& e, bool reattach, Worker::Go go = Worker::start);
  void reap();
  Timestamp next_wake(Timestamp now, std::optional<Timestamp> pending) const;
  Entry* entry_of(std::int64_t deployment_id);
  void write_failed(const Error& error);
  void check_written();

  Store& store_;
  Runner& runner_;
  SchedulerOptions options_;
  std::map<std::int64_t, std::unique_ptr<Worker>> workers_;
  std::map<std::int64_t, Worker*> prepared_;  // deployment id → its run waiting for its fire time
  std::vector<Entry> entries_;
  Timestamp started_{};
  bool stopped_ = false;
  // The store refused a write (a full disk): fire times whose runs it could not record are
  // tried again from the store's own state every second, until it takes them.
  std::optional<Timestamp> unwritable_since_;
  std::string unwritable_error_;
  bool write_failed_ = false;  // in this pass
};

}  // namespace task
