#pragma once
#include <chrono>

#include "task/time.hpp"
// Rendering for people (tables, colour) and for programs (JSON, YAML). stdout carries
// data; stderr carries progress, notes and errors.
#include <cstdio>
#include <functional>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"
#include "task/paths.hpp"

namespace cli {

enum class Format { table, json, yaml };
// The one palette: semantic colours, for tables, charts and progress alike.
enum class Style { plain, bold, muted, success, failure, warning, accent, alert, faint };

class Printer {
 public:
  Printer() = default;
  Printer(Format format, bool color_out, bool color_err, bool quiet, std::FILE* out, std::FILE* err)
      : format_(format), color_out_(color_out), color_err_(color_err), quiet_(quiet), out_(out), err_(err) {}

  Format format() const { return format_; }
  // Colour and Unicode drawing on stdout: a terminal that allows colour.
  bool color() const { return color_out_; }
  // Progress bars and redrawn lines on stderr: a terminal that takes colour (not NO_COLOR,
  // TERM=dumb or --no-color).
  bool live_err() const { return color_err_ && !quiet_; }
  bool quiet() const { return quiet_; }

  // With -q on a table: the one thing a script wants of what `emit` shows (an id, a
  // revision; lines of them), or "" for nothing. `ctx.out.essential("3").emit(...)`.
  Printer essential(std::string datum) const {
    Printer p = *this;
    p.essential_ = std::move(datum);
    return p;
  }
  // Data: `data` as JSON or YAML, or the text `human` writes, for a person.
  void emit(const nlohmann::json& data, const std::function<void(std::string&)>& human) const;
  // A line for people on stderr; dropped with -q.
  void note(std::string_view line) const;
  // An error on stderr, always shown.
  void error(const task::Error& error) const;

  std::string paint(Style style, std::string_view text) const { return paint_if(color_out_, style, text); }
  std::string paint_err(Style style, std::string_view text) const { return paint_if(color_err_, style, text); }
  // The palette itself, where colour is decided by the caller (charts).
  static std::string paint_if(bool color, Style style, std::string_view text);

 private:
  Format format_ = Format::table;
  bool color_out_ = false;
  bool color_err_ = false;
  bool quiet_ = false;
  std::optional<std::string> essential_;
  std::FILE* out_ = stdout;
  std::FILE* err_ = stderr;
};

// Columns aligned on display width; the header is muted when coloured.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void render(std::string& out, const Printer& printer) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// YAML for a JSON value: block style, strings quoted only where YAML needs it.
std::string to_yaml(const nlohmann::json& value);

// Width of text on a terminal: code points, ANSI escape sequences not counted.
std::size_t display_width(std::string_view text);

// Times for people and scripts.
std::string rfc3339(task::Timestamp t);                    // "2026-11-28T12:00:00Z"
std::string rfc3339_ms(task::Timestamp t);                 // "2026-11-28T12:00:00.123Z"
std::string short_duration(std::chrono::milliseconds d);   // "0.4s", "1m30s"
std::string age(task::Timestamp then, std::chrono::system_clock::time_point now);  // "5s ago"
std::string millis_text(std::int64_t ms);                  // "12ms", "1.25s", "2m30s"
// The width of the terminal on stdout: COLUMNS, the terminal's own, or 80.
std::size_t terminal_width(const task::Environment& env);

}  // namespace cli
