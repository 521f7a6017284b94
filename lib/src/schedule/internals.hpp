#pragma once
// The one door into Schedule's private parts, for the files of this module only.
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "schedule/zone_rules.hpp"
#include "task/schedule.hpp"

namespace task {

struct ScheduleInternals {
  struct Parts {
    std::string text;
    std::string timezone;
    std::string expression;
    CronFields fields;
    std::chrono::seconds period{0};
    const date::time_zone* zone = nullptr;
    std::shared_ptr<const schedule_detail::ZoneRules> rules;
  };

  static Schedule make(Parts parts) {
    Schedule schedule;
    schedule.text_ = std::move(parts.text);
    schedule.timezone_ = std::move(parts.timezone);
    schedule.expression_ = std::move(parts.expression);
    schedule.fields_ = parts.fields;
    schedule.period_ = parts.period;
    schedule.zone_ = parts.zone;
    schedule.rules_ = std::move(parts.rules);
    return schedule;
  }

  // nullptr: the schedule runs in UTC.
  static const schedule_detail::ZoneRules* rules(const Schedule& schedule) {
    return schedule.rules_.get();
  }
};

}  // namespace task
