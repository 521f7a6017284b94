#include "output.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include "task/duration.hpp"

#include <nlohmann/json.hpp>

namespace cli {

std::string Printer::paint_if(bool color, Style style, std::string_view text) {
  if (!color || style == Style::plain) return std::string(text);
  const char* code = "";
  switch (style) {
    case Style::plain: break;
    case Style::bold: code = "1"; break;
    case Style::muted: code = "2"; break;
    case Style::success: code = "32"; break;
    case Style::failure: code = "31"; break;
    case Style::warning: code = "33"; break;
    case Style::accent: code = "36"; break;
    case Style::alert: code = "35"; break;
    case Style::faint: code = "90"; break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Printer::emit(const nlohmann::json& data, const std::function<void(std::string&)>& human) const {
  std::string text;
  switch (format_) {
    case Format::json: text = data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"; break;
    case Format::yaml: text = to_yaml(data); break;
    case Format::table:
      if (quiet_ && essential_) {
        text = *essential_;
        if (!text.empty() && text.back() != '\n') text += '\n';
      } else {
        human(text);
      }
      break;
  }
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void Printer::note(std::string_view line) const {
  if (quiet_) return;
  fmt::print(err_, "{}\n", line);
}

void Printer::error(const task::Error& error) const {
  if (error.message.empty()) return;  // said already (Ctrl-C)
  fmt::print(err_, "{} {}\n", paint_err(Style::failure, "error:"), error.message);
  if (!error.hint.empty()) fmt::print(err_, "{} {}\n", paint_err(Style::muted, "hint:"), error.hint);
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // skip "ESC [ ... m"
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

void Table::render(std::string& out, const Printer& printer) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string text;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text.append(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out += header ? printer.paint(Style::muted, text) : text;
    out += '\n';
  };
  line(header_, true);
  for (const auto& row : rows_) line(row, false);
}

namespace {

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* reserved[] = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto* word : reserved) {
    if (lower == word) return true;
  }
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' || s[0] == '.') return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  for (char c : s) {
    if (std::string_view(":#{}[],&*!|>'\"%@`\\\n\t").find(c) != std::string_view::npos) return true;
    if (static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string scalar(const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return needs_quotes(s) ? nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : s;
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void emit_yaml(const nlohmann::json& v, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const auto& child = it.value();
      out += pad + scalar(it.key()) + ":";
      if ((child.is_object() || child.is_array()) && !child.empty()) {
        out += "\n";
        emit_yaml(child, indent + 2, out);
      } else {
        out += " " + (child.is_object() ? "{}" : child.is_array() ? "[]" : scalar(child)) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& child : v) {
      if ((child.is_object() || child.is_array()) && !child.empty()) {
        std::string nested;
        emit_yaml(child, indent + 2, nested);
        out += pad + "- " + nested.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "- " + (child.is_object() ? "{}" : child.is_array() ? "[]" : scalar(child)) + "\n";
      }
    }
  } else {
    out += pad + scalar(v) + "\n";
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  std::string out;
  if ((value.is_object() || value.is_array()) && value.empty()) return value.is_object() ? "{}\n" : "[]\n";
  emit_yaml(value, 0, out);
  return out;
}

std::string rfc3339(task::Timestamp t) {
  return fmt::format("{:%FT%T}Z", std::chrono::floor<std::chrono::seconds>(t));
}

std::string rfc3339_ms(task::Timestamp t) { return task::format_rfc3339_ms(t); }

std::string short_duration(std::chrono::milliseconds d) {
  if (d < std::chrono::seconds(10)) return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
  return task::format_duration(std::chrono::duration_cast<std::chrono::seconds>(d));
}

std::string millis_text(std::int64_t ms) {
  if (ms > -1000 && ms < 1000) return fmt::format("{}ms", ms);
  if (ms > -60'000 && ms < 60'000) return fmt::format("{:.2f}s", static_cast<double>(ms) / 1000.0);
  return task::format_duration(std::chrono::seconds(ms / 1000));
}

std::size_t terminal_width(const task::Environment& env) {
  if (auto it = env.find("COLUMNS"); it != env.end()) {
    try {
      auto n = std::stoul(it->second);
      if (n >= 20 && n <= 1000) return n;
    } catch (...) {
    }
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

std::string age(task::Timestamp then, std::chrono::system_clock::time_point now) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then);
  if (s < std::chrono::seconds(60)) return fmt::format("{}s ago", std::max<long long>(0, s.count()));
  return task::format_duration(s >= std::chrono::hours(24)   ? std::chrono::floor<std::chrono::days>(s)
                               : s >= std::chrono::hours(1) ? std::chrono::floor<std::chrono::hours>(s)
                                                             : std::chrono::floor<std::chrono::minutes>(s)) +
         " ago";
}

}  // namespace cli
