#pragma once
// The store's connection and the helpers its source files share.
#include <filesystem>

#include <fmt/format.h>

#include "platform/local/store.hpp"
#include "state/database.hpp"

namespace task {

namespace store_detail {
using state::from_millis;
using state::millis;
}  // namespace store_detail

namespace fs = std::filesystem;

struct Store::Impl : state::Database {
  fs::path run_log(std::int64_t id) const { return dir / "runs" / fmt::format("{}.log", id); }
};

}  // namespace task
