#include "task/name.hpp"

#include <fmt/format.h>

#include "task/text.hpp"

namespace task {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string to_dns_label(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (is_lower_alnum(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<void> validate_name(std::string_view name, std::string_view what) {
  const std::string rule =
      "use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit";
  auto reject = [&](std::string reason) -> Result<void> {
    auto better = to_dns_label(name);
    std::string hint = rule;
    if (!better.empty() && better != name) hint += fmt::format(", e.g. `{}`", better);
    return fail(Errc::invalid_input, fmt::format("invalid {} `{}`: {}", what, printable(name), reason), hint);
  };
  if (name.empty()) return reject("it is empty");
  if (name.size() > 63) return reject(fmt::format("it is {} characters long, at most 63 are allowed", name.size()));
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') return reject(fmt::format("uppercase letter '{}' at position {}", c, i + 1));
    if (!is_lower_alnum(c) && c != '-') {
      return reject(fmt::format("character '{}' at position {} is not allowed", printable(std::string_view(&c, 1)), i + 1));
    }
  }
  if (name.front() == '-') return reject("it starts with '-'");
  if (name.back() == '-') return reject("it ends with '-'");
  return {};
}

}  // namespace task
