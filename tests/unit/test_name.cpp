#include <doctest/doctest.h>

#include "task/name.hpp"
#include "task/text.hpp"

TEST_CASE("valid DNS-1123 labels are accepted") {
  for (std::string name : {"a", "health-check", "task1", "0abc", "a-b-c", "x123456789x123456789x123456789x123456789x123456789x123456789x12"}) {
    REQUIRE(name.size() <= 63);
    CHECK_MESSAGE(task::validate_name(name).has_value(), name);
  }
}

TEST_CASE("invalid names are rejected with the reason and a suggestion") {
  auto upper = task::validate_name("Health_Check");
  REQUIRE_FALSE(upper.has_value());
  CHECK(upper.error().code == task::Errc::invalid_input);
  CHECK(upper.error().message == "invalid task name `Health_Check`: uppercase letter 'H' at position 1");
  CHECK(upper.error().hint.find("e.g. `health-check`") != std::string::npos);

  CHECK(task::validate_name("").error().message == "invalid task name ``: it is empty");
  CHECK(task::validate_name("-abc").error().message == "invalid task name `-abc`: it starts with '-'");
  CHECK(task::validate_name("abc-").error().message == "invalid task name `abc-`: it ends with '-'");
  CHECK(task::validate_name("a.b").error().message ==
        "invalid task name `a.b`: character '.' at position 2 is not allowed");
  CHECK(task::validate_name(std::string(64, 'a')).error().message ==
        "invalid task name `" + std::string(64, 'a') + "`: it is 64 characters long, at most 63 are allowed");
  CHECK(task::validate_name("prod env", "environment name").error().message ==
        "invalid environment name `prod env`: character ' ' at position 5 is not allowed");
}

TEST_CASE("a name with control characters or bytes that are not UTF-8 is shown escaped") {
  auto nul = task::validate_name(std::string("fh\0evil", 7));
  REQUIRE_FALSE(nul.has_value());
  CHECK(nul.error().message.find("fh\\x00evil") != std::string::npos);
  CHECK(nul.error().message.find('\0') == std::string::npos);
  auto escape = task::validate_name("a\x1b[31mb");
  REQUIRE_FALSE(escape.has_value());
  CHECK(escape.error().message.find('\x1b') == std::string::npos);
  CHECK(task::printable("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 stays as it is
  CHECK(task::printable("\xff\xfe") == "\\xff\\xfe");
}
