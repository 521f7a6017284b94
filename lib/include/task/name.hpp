#pragma once
// Names of tasks and environments are DNS-1123 labels: they become image names,
// container labels and (on Kubernetes) object names, so one rule holds everywhere.
#include <string>
#include <string_view>

#include "task/error.hpp"

namespace task {

// 1–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit.
// `what` names the thing in the message: "task name", "environment name".
Result<void> validate_name(std::string_view name, std::string_view what = "task name");

// The nearest label to `text`: lower case, runs of other characters as one '-', at most
// 63 characters. "" when `text` holds no letter or digit.
std::string to_dns_label(std::string_view text);

}  // namespace task
