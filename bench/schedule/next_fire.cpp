// Times task::next_fire_after on the cases of cases.tsv and prints, per case, one JSON line:
// nanoseconds per call, the next fire time after each start, and five chained fire times.
// The node scripts print the same for the JavaScript peers; compare.mjs lines them up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "task/schedule.hpp"

namespace {

constexpr std::size_t kStarts = 1000;

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> parts;
  std::stringstream in(line);
  std::string part;
  while (std::getline(in, part, '\t')) parts.push_back(part);
  return parts;
}

std::string json_seconds(const std::vector<std::optional<task::Instant>>& times) {
  std::string out = "[";
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (i > 0) out += ",";
    out += times[i] ? std::to_string(times[i]->time_since_epoch().count()) : "null";
  }
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s cases.tsv\n", argv[0]);
    return 2;
  }
  std::ifstream cases(argv[1]);
  std::string line;
  while (std::getline(cases, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto fields = split_tabs(line);
    if (fields.size() != 5) {
      std::fprintf(stderr, "bad line: %s\n", line.c_str());
      return 2;
    }
    const auto schedule = task::parse_schedule(fields[1], fields[2]);
    const auto first = task::parse_rfc3339(fields[3]);
    if (!schedule || !first) {
      std::fprintf(stderr, "%s: %s\n", fields[0].c_str(),
                   (!schedule ? schedule.error() : first.error()).message.c_str());
      return 1;
    }
    const std::chrono::seconds stride{std::atoll(fields[4].c_str())};
    std::vector<task::Instant> starts;
    for (std::size_t i = 0; i < kStarts; ++i)
      starts.push_back(*first + stride * static_cast<long>(i));

    std::vector<std::optional<task::Instant>> answers;
    for (task::Instant start : starts) answers.push_back(task::next_fire_after(*schedule, start));
    std::vector<std::optional<task::Instant>> sequence;
    for (task::Instant t : task::next_fire_times(*schedule, *first, 5)) sequence.push_back(t);

    // Best of five rounds of at least 0.2 s each: the machine is shared and noisy.
    double best_ns = 1e300;
    long long sink = 0;
    std::size_t calls = 0;
    for (int round = 0; round < 5; ++round) {
      std::size_t round_calls = 0;
      const auto begin = std::chrono::steady_clock::now();
      std::chrono::duration<double, std::nano> elapsed{};
      do {
        for (task::Instant start : starts) {
          const auto next = task::next_fire_after(*schedule, start);
          sink += next ? next->time_since_epoch().count() : 0;
        }
        round_calls += starts.size();
        elapsed = std::chrono::steady_clock::now() - begin;
      } while (elapsed.count() < 2e8);
      best_ns = std::min(best_ns, elapsed.count() / static_cast<double>(round_calls));
      calls += round_calls;
    }
    std::printf(
        "{\"case\":\"%s\",\"library\":\"task\",\"ns\":%.2f,\"calls\":%zu,\"sink\":%lld,"
        "\"answers\":%s,\"sequence\":%s}\n",
        fields[0].c_str(), best_ns, calls, sink % 1000, json_seconds(answers).c_str(),
        json_seconds(sequence).c_str());
  }
  return 0;
}
