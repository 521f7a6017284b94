#include "schedule/zone_rules.hpp"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <string>

namespace task::schedule_detail {
namespace {

// Where the OS tz database lives; <date/tz.h> built with USE_OS_TZDB reads the same place.
constexpr std::string_view kTzDir = "/usr/share/zoneinfo";
// Bounds the walk over a zone's history; real zones have a few hundred changes at most.
constexpr int kMaxTransitions = 100000;

date::sys_seconds to_sys(Seconds s) { return date::sys_seconds{std::chrono::seconds{s}}; }
Seconds from_sys(date::sys_seconds t) { return t.time_since_epoch().count(); }

// The POSIX TZ string at the end of a version 2+ TZif file ("CET-1CEST,M3.5.0,M10.5.0/3"),
// or "" when the file cannot be read or has none. The footer is short, so only the head
// (for the magic) and the last bytes of the file are read.
std::string read_tzif_footer(const std::string& path) {
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  const std::unique_ptr<std::FILE, Close> file(std::fopen(path.c_str(), "rb"));
  if (!file) return {};
  std::array<char, 5> magic{};
  if (std::fread(magic.data(), 1, magic.size(), file.get()) != magic.size()) return {};
  if (std::string_view(magic.data(), 4) != "TZif" || magic[4] < '2') return {};
  constexpr long kTail = 512;
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return {};
  const long size = std::ftell(file.get());
  const long from = size > kTail ? size - kTail : 0;
  if (size <= 0 || std::fseek(file.get(), from, SEEK_SET) != 0) return {};
  std::string data(static_cast<std::size_t>(size - from), '\0');
  data.resize(std::fread(data.data(), 1, data.size(), file.get()));
  if (data.size() < 2 || data.back() != '\n') return {};
  const std::size_t start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) return {};
  return data.substr(start + 1, data.size() - start - 2);
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive Levenshtein distance, or `give_up` as soon as it is certain to reach it.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t give_up) {
  std::array<std::size_t, 65> row{};
  if (b.size() >= row.size()) return give_up;
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    std::size_t row_min = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      row_min = std::min(row_min, row[j]);
      diagonal = above;
    }
    if (row_min >= give_up) return give_up;
  }
  return row[b.size()];
}

// The closest known zone name, for "did you mean"; "" when nothing is close.
std::string closest_zone_name(std::string_view name) {
  if (name.size() > 64) return {};
  try {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(3, name.size() / 4) + 1;
    for (const date::time_zone& zone : date::get_tzdb().zones) {
      const std::string_view candidate = zone.name();
      if (candidate.starts_with("posix/") || candidate.starts_with("right/")) continue;
      // The distance is at least the difference in length: most names need no table.
      const std::size_t gap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                             : name.size() - candidate.size();
      if (gap >= best_distance) continue;
      const std::size_t distance = edit_distance(name, candidate, best_distance);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
    return best;
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

ZoneRules::ZoneRules() = default;
ZoneRules::~ZoneRules() = default;

Result<std::shared_ptr<const ZoneRules>> ZoneRules::load(const date::time_zone& zone,
                                                         std::string_view tz_dir) {
  auto rules = std::make_shared<ZoneRules>();
  Seconds last_change = kFarPast;
  try {
    // Walk the zone's history from just before year 1 to just after year 9999, keeping
    // only the changes of offset (abbreviation-only changes do not move wall clocks).
    Seconds at = kMinInstant - 2 * kSecondsPerDay;
    for (int i = 0; i < kMaxTransitions; ++i) {
      const date::sys_info info = zone.get_info(to_sys(at));
      const Seconds offset = info.offset.count();
      if (rules->offsets_.empty()) {
        rules->begins_.push_back(kFarPast);
        rules->offsets_.push_back(offset);
      } else if (offset != rules->offsets_.back()) {
        rules->begins_.push_back(from_sys(info.begin));
        rules->offsets_.push_back(offset);
      }
      last_change = from_sys(info.begin);
      const Seconds end = from_sys(info.end);
      if (end <= at || end > kMaxInstant + 2 * kSecondsPerDay) break;
      at = end;
    }
  } catch (const std::exception& e) {
    return fail(Errc::invalid_input,
                "time zone \"" + zone.name() + "\" could not be read: " + e.what(),
                "check that the tzdata package is installed");
  }

  // The TZif table ends at its last transition (2037 in the fat files Debian ships); the
  // footer rule continues it. Use the rule only where it agrees with the table.
  const std::string footer = read_tzif_footer(std::string(tz_dir) + "/" + zone.name());
  if (footer.find(',') != std::string::npos && last_change > kFarPast) {
    // An unreadable rule leaves the table as the whole truth, as <date/tz.h> has it.
    auto tail = PosixRule::parse(footer);
    if (tail && tail->span_at(last_change).offset == rules->offsets_.back()) {
      rules->tail_begin_ = last_change;
      rules->tail_ = std::move(tail);
    }
  }
  return std::shared_ptr<const ZoneRules>(std::move(rules));
}

OffsetSpan ZoneRules::span_at(Seconds utc) const {
  if (tail_ && utc >= tail_begin_) {
    OffsetSpan span = tail_->span_at(utc);
    span.begin = std::max(span.begin, tail_begin_);
    return span;
  }
  const auto next = std::upper_bound(begins_.begin(), begins_.end(), utc);
  const auto index = static_cast<std::size_t>(std::distance(begins_.begin(), next) - 1);
  Seconds end = index + 1 < begins_.size() ? begins_[index + 1] : kFarFuture;
  if (tail_) end = std::min(end, tail_begin_);
  return {begins_[index], end, offsets_[index]};
}

Seconds ZoneRules::first_instant_of(Seconds local) const {
  // Offsets stay within a day of UTC, so two days before covers every span that could show
  // this wall time; spans are in time order, so the first match is the first occurrence.
  OffsetSpan span = span_at(local - 2 * kSecondsPerDay);
  for (int i = 0; i < 64; ++i) {
    const Seconds utc = local - span.offset;
    if (utc < span.begin) return span.begin;  // skipped by a gap that ends here
    if (utc < span.end || span.end >= kFarFuture) return utc;
    span = span_at(span.end);
  }
  return local - span.offset;
}

bool ZoneRules::always_utc() const { return !tail_ && offsets_.size() == 1 && offsets_[0] == 0; }

Result<ResolvedZone> resolve_zone(std::string_view name) {
  if (name.empty() || name == "UTC") return ResolvedZone{"UTC", nullptr, nullptr};
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception&) {
    const std::string suggestion = closest_zone_name(name);
    std::string hint = suggestion.empty() ? std::string() : "did you mean " + suggestion + "? ";
    hint += "Time zones are IANA names such as Europe/Berlin, America/New_York or UTC";
    return fail(Errc::invalid_input, "unknown time zone \"" + std::string(name) + "\"",
                std::move(hint));
  }
  auto rules = ZoneRules::load(*zone, kTzDir);
  if (!rules) return std::unexpected(std::move(rules.error()));
  ResolvedZone resolved{std::string(name), zone, std::move(*rules)};
  if (resolved.rules->always_utc()) resolved.rules = nullptr;  // the fast path of plain UTC
  return resolved;
}

}  // namespace task::schedule_detail
