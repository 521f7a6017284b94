#pragma once
// Small text helpers shared by error messages across modules.
#include <string>
#include <string_view>
#include <vector>

namespace task {

std::string join(const std::vector<std::string>& items, std::string_view separator);

// The candidate nearest to `word` by edit distance, or "" when none is close enough
// to be a plausible typo. Used for "did you mean …?" hints.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what JSON output and a process environment can carry as text.
bool is_valid_utf8(std::string_view text);

// `text` as it can be shown in a message: control characters and bytes that are not
// UTF-8 as \xNN escapes (a NUL or an escape sequence never reaches the terminal raw).
std::string printable(std::string_view text);

}  // namespace task
