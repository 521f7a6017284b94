#pragma once
// A run on a cluster is a Job of the deployment's CronJob (or one made from its template by
// `task run`), and its Pods are the Job's attempts. What the API server says of them,
// turned into a task::Run:
//
//   Job condition Complete                       succeeded
//   Job condition Failed, DeadlineExceeded       timed-out
//   Job condition Failed, BackoffLimitExceeded   failed, with the last container's exit code
//   a Pod that cannot start (ErrImagePull, ImagePullBackOff, InvalidImageName,
//     CreateContainerConfigError …)              error: the platform's fault, not the task's
//   a Pod running                                running;  none yet: pending
//
// The fire time is the CronJob controller's (the scheduled-timestamp annotation, or the
// minutes-since-epoch suffix of the Job's name); a manual Job carries task's own.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "task/deployment.hpp"

namespace task::kube {

using Json = nlohmann::json;

// `pods` are the Job's, in any order.
Run run_of(const Json& job, const std::vector<const Json*>& pods);

// Whether Pod (or any object) `x` was made before `y`: by creation time, then name.
bool created_before(const Json& x, const Json& y);

// The newest of a Job's Pods, or nullptr.
const Json* newest_pod(const std::vector<const Json*>& pods);

// Parses a timestamp of the API ("2026-12-01T10:00:00Z", also with a fraction).
std::optional<Timestamp> api_time(const Json& value);

}  // namespace task::kube
