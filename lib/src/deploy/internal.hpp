#pragma once
// What the use cases of lib/src/deploy share.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/deploy.hpp"
#include "task/text.hpp"

namespace task {

// Plans the next revision from the current state; nullopt: nothing to do. Its number is
// assigned by apply_revision.
using RevisionPlanner = std::function<Result<std::optional<Revision>>(const Current&)>;

// Plans from the state inside the platform's transaction and applies it (the revision,
// and the configuration when the revision's differs), or with `dry_run` plans from the
// state as it is and writes nothing. Wakes whatever runs the deployment.
// A new revision leaves a suspended deployment suspended unless `resume`.
Result<RevisionResult> apply_revision(Workspace& workspace, const Located& at, const RevisionPlanner& plan, bool dry_run,
                                      bool resume = false);

// After the platform applied the change (`applied`), or found nothing to do, or for a dry
// run: the revision as it now is, whatever runs it (woken when something was written), the
// schedule in words and its next fire times.
Result<void> settle(Workspace& workspace, Platform& platform, std::optional<Deployment> applied, RevisionResult& result);

}  // namespace task
