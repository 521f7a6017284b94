#include <doctest/doctest.h>

#include "task/duration.hpp"

using namespace std::chrono_literals;

TEST_CASE("durations parse in every unit and combination") {
  CHECK(*task::parse_duration("90s") == 90s);
  CHECK(*task::parse_duration("5m") == 300s);
  CHECK(*task::parse_duration("2h30m") == 9000s);
  CHECK(*task::parse_duration("1d2h3m4s") == 93784s);
  CHECK(*task::parse_duration("7d") == 604800s);
}

TEST_CASE("bad durations name the problem") {
  CHECK(task::parse_duration("").error().message == "invalid duration ``: it is empty");
  CHECK(task::parse_duration("5").error().message == "invalid duration `5`: the last number has no unit");
  CHECK(task::parse_duration("5x").error().message == "invalid duration `5x`: unknown unit 'x' at position 2");
  CHECK(task::parse_duration("m5").error().message == "invalid duration `m5`: expected a digit at position 1");
  CHECK(task::parse_duration("0s").error().message == "invalid duration `0s`: it must be longer than zero");
  CHECK(task::parse_duration("99999999999d").error().message ==
        "invalid duration `99999999999d`: it is too long (at most 100 years)");
}

TEST_CASE("format_duration round-trips") {
  for (long long s : {1LL, 59LL, 60LL, 61LL, 3600LL, 5400LL, 86400LL, 93784LL}) {
    auto text = task::format_duration(std::chrono::seconds(s));
    CHECK(task::parse_duration(text)->count() == s);
  }
  CHECK(task::format_duration(5400s) == "1h30m");
}
