#pragma once
// A JSON document written as it is made, for output too large to hold at once.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace cli {

// {"lines": [ITEM, …], "run": RUN} written as dump(2) would, an item at a time.
class JsonStream {
 public:
  explicit JsonStream(std::FILE* out) : out_(out) {}
  void item(const nlohmann::json& value) {
    std::fputs(first_ ? "{\n  \"lines\": [\n" : ",\n", out_);
    first_ = false;
    indented(value, "    ", true);
  }
  void close(const nlohmann::json& run) {
    std::fputs(first_ ? "{\n  \"lines\": [],\n  \"run\": " : "\n  ],\n  \"run\": ", out_);
    indented(run, "  ", false);
    std::fputs("\n}\n", out_);
    std::fflush(out_);
  }

 private:
  // `value` as dump(2) gives it, each line after the first (and with `lead` the first
  // too) indented by `indent`.
  void indented(const nlohmann::json& value, const char* indent, bool lead) {
    const std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    if (lead) std::fputs(indent, out_);
    for (char c : text) {
      std::fputc(c, out_);
      if (c == '\n') std::fputs(indent, out_);
    }
  }
  std::FILE* out_;
  bool first_ = true;
};

}  // namespace cli
