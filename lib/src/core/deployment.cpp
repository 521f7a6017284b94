#include "task/deployment.hpp"

namespace task {

std::string_view to_string(DeploymentState state) {
  switch (state) {
    case DeploymentState::active: return "active";
    case DeploymentState::suspended: return "suspended";
    case DeploymentState::removed: return "removed";
  }
  return "active";
}

std::string_view to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::pending: return "pending";
    case RunOutcome::starting: return "starting";
    case RunOutcome::running: return "running";
    case RunOutcome::succeeded: return "succeeded";
    case RunOutcome::failed: return "failed";
    case RunOutcome::timed_out: return "timed-out";
    case RunOutcome::skipped: return "skipped";
    case RunOutcome::lost: return "lost";
    case RunOutcome::cancelled: return "cancelled";
    case RunOutcome::error: return "error";
  }
  return "lost";
}

std::string_view to_string(RunTrigger trigger) {
  switch (trigger) {
    case RunTrigger::schedule: return "schedule";
    case RunTrigger::manual: return "manual";
    case RunTrigger::retry: return "retry";
    case RunTrigger::catch_up: return "catch-up";
  }
  return "schedule";
}

bool is_finished(RunOutcome outcome) {
  return outcome != RunOutcome::pending && outcome != RunOutcome::starting && outcome != RunOutcome::running;
}

}  // namespace task
