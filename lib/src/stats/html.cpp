#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <span>

#include "task/stats_report.hpp"

namespace task {

namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string ms_text(std::int64_t ms) {
  if (ms > -1000 && ms < 1000) return fmt::format("{} ms", ms);
  if (ms > -60'000 && ms < 60'000) return fmt::format("{:.2f} s", static_cast<double>(ms) / 1000.0);
  if (ms < 3'600'000) return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
  return fmt::format("{}h{:02}m", ms / 3'600'000, (ms / 60'000) % 60);
}

std::string percent(std::optional<double> rate) { return rate ? fmt::format("{:.1f}%", *rate * 100.0) : "–"; }

std::string when(Timestamp t) { return fmt::format("{:%Y-%m-%d %H:%M}", std::chrono::floor<std::chrono::seconds>(t)); }

std::string period_label(Timestamp t, StatsPeriod by) {
  return by == StatsPeriod::hour ? fmt::format("{:%m-%d %H:00}", t) : fmt::format("{:%m-%d}", t);
}

// A round step for an axis up to `top`: 1, 2 or 5 times a power of ten.
double nice_step(double top, int ticks) {
  if (top <= 0) return 1;
  const double raw = top / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

struct Kind {
  const char* cls;
  const char* label;
};
// Platform faults (the platform could not start or run them) are drawn apart from the
// task's own failures: a colour of their own, on top.
constexpr std::array<Kind, 7> kinds = {{{"succeeded", "succeeded"},
                                        {"failed", "failed"},
                                        {"timed-out", "timed out"},
                                        {"lost", "lost"},
                                        {"skipped", "skipped"},
                                        {"cancelled", "cancelled"},
                                        {"fault", "platform fault"}}};

std::array<std::int64_t, 7> split(const OutcomeCounts& c) {
  return {c.succeeded, c.failed, c.timed_out, c.lost, c.skipped, c.cancelled, c.errors};
}

using Periods = std::span<const PeriodStats>;

// The periods a deployment's charts draw: from its first (a task younger than the window).
Periods drawn(const DeploymentStats& s) { return Periods(s.periods).subspan(first_drawn_period(s)); }

// Chart geometry, in the SVG's own units (it scales to the page's width).
struct Frame {
  double width = 960, height = 220, left = 56, right = 16, top = 14, bottom = 30;
  double plot_w() const { return width - left - right; }
  double plot_h() const { return height - top - bottom; }
};

std::string open_svg(const Frame& f, const std::string& cls, const std::string& label, std::size_t periods) {
  return fmt::format(
      "<svg class=\"chart {}\" viewBox=\"0 0 {} {}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" "
      "aria-label=\"{}\" data-periods=\"{}\">",
      cls, f.width, f.height, escape(label), periods);
}

// Horizontal grid lines and their values; returns the axis top.
double y_axis(std::string& out, const Frame& f, double top, const std::function<std::string(double)>& format) {
  const double step = std::max(1.0, nice_step(top, 4));  // counts and milliseconds: whole steps
  const double axis_top = std::max(step, std::ceil(top / step) * step);
  for (double v = 0; v <= axis_top + step / 2; v += step) {
    const double y = f.top + f.plot_h() * (1 - v / axis_top);
    out += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", f.left,
                       f.width - f.right, y, y);
    out += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", f.left - 6, y + 4,
                       escape(format(v)));
  }
  return axis_top;
}

void x_labels(std::string& out, const Frame& f, Periods periods, StatsPeriod by) {
  const double slot = f.plot_w() / static_cast<double>(periods.size());
  const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(80.0 / slot)));
  for (std::size_t i = 0; i < periods.size(); i += every) {
    const double x = f.left + slot * (static_cast<double>(i) + 0.5);
    out += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x,
                       f.height - 10, escape(period_label(periods[i].start, by)));
  }
}

std::string outcomes_chart(const DeploymentStats& s, StatsPeriod by) {
  Frame f;
  const auto periods = drawn(s);
  std::string out = open_svg(f, "outcomes", "runs per period by outcome", periods.size());
  std::int64_t most = 0;
  for (const auto& p : periods) most = std::max(most, p.counts.runs);
  const double top = y_axis(out, f, static_cast<double>(most), [](double v) { return fmt::format("{:.0f}", v); });
  x_labels(out, f, periods, by);
  const double slot = f.plot_w() / static_cast<double>(std::max<std::size_t>(1, periods.size()));
  const double bar = std::max(1.0, slot * 0.78);
  for (std::size_t i = 0; i < periods.size(); ++i) {
    const auto& p = periods[i];
    if (p.counts.runs == 0) continue;
    const auto counts = split(p.counts);
    std::string tip = fmt::format("{}: {} run{}", period_label(p.start, by), p.counts.runs, p.counts.runs == 1 ? "" : "s");
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      if (counts[k] > 0) tip += fmt::format(", {} {}", counts[k], kinds[k].label);
    }
    if (auto rate = p.counts.success_rate()) tip += fmt::format(" ({:.1f}% success)", *rate * 100);
    double y = f.top + f.plot_h();
    const double x = f.left + slot * static_cast<double>(i) + (slot - bar) / 2;
    out += fmt::format("<g class=\"period\" data-runs=\"{}\"><title>{}</title>", p.counts.runs, escape(tip));
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      if (counts[k] == 0) continue;
      // At least a sliver: one failure among thousands of successes must show.
      const double h = std::max(1.5, f.plot_h() * static_cast<double>(counts[k]) / top);
      y -= h;
      out += fmt::format("<rect class=\"seg {}\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\"/>",
                         kinds[k].cls, x, y, bar, h);
    }
    out += "</g>";
  }
  if (most == 0) {
    out += fmt::format("<text class=\"empty\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">no runs in this window</text>",
                       f.left + f.plot_w() / 2, f.top + f.plot_h() / 2);
  }
  out += "</svg>";
  return out;
}

// Per-period figures as a band from p50 to the upper percentile, with lines along p50,
// the upper percentile and (for durations) the max; drawn on over periods without runs,
// and one period alone as a level stroke across its slot. Each period with figures has a
// hover target naming them.
std::string band_chart(const DeploymentStats& s, StatsPeriod by, const char* cls, const char* label,
                       Percentiles PeriodStats::*which, const char* upper_name, std::int64_t Percentiles::*upper,
                       bool with_max) {
  Frame f;
  f.width = 470;
  f.height = 200;
  const auto periods = drawn(s);
  std::string out = open_svg(f, cls, label, periods.size());
  struct Point {
    double x;
    const PeriodStats* period;
  };
  std::vector<Point> points;
  std::int64_t most = 1;
  const double slot = f.plot_w() / static_cast<double>(std::max<std::size_t>(1, periods.size()));
  for (std::size_t i = 0; i < periods.size(); ++i) {
    const auto& v = periods[i].*which;
    if (v.count == 0) continue;
    points.push_back({f.left + slot * (static_cast<double>(i) + 0.5), &periods[i]});
    most = std::max({most, v.*upper, with_max ? v.max : 0});
  }
  const double top = y_axis(out, f, static_cast<double>(most),
                            [](double v) { return ms_text(static_cast<std::int64_t>(std::llround(v))); });
  x_labels(out, f, periods, by);
  auto y_of = [&](std::int64_t v) { return f.top + f.plot_h() * (1 - static_cast<double>(std::max<std::int64_t>(v, 0)) / top); };
  // One point alone: a level stroke across its slot instead of a dot.
  const double half = points.size() == 1 ? slot * 0.35 : 0;
  auto line = [&](std::int64_t Percentiles::*field, bool backwards) {
    std::string d;
    for (std::size_t k = 0; k < points.size(); ++k) {
      const auto& p = points[backwards ? points.size() - 1 - k : k];
      const double y = y_of((p.period->*which).*field);
      const double a = backwards ? p.x + half : p.x - half, b = backwards ? p.x - half : p.x + half;
      d += fmt::format("{:.2f},{:.2f} ", a, y);
      if (half > 0) d += fmt::format("{:.2f},{:.2f} ", b, y);
    }
    return d;
  };
  if (!points.empty()) {
    out += fmt::format("<path class=\"band {}\" d=\"M{}L{}Z\"/>", upper_name, line(upper, false), line(&Percentiles::p50, true));
    out += fmt::format("<path class=\"line p50\" d=\"M{}\"/>", line(&Percentiles::p50, false));
    out += fmt::format("<path class=\"line {}\" d=\"M{}\"/>", upper_name, line(upper, false));
    if (with_max) out += fmt::format("<path class=\"line max\" d=\"M{}\"/>", line(&Percentiles::max, false));
    for (const auto& p : points) {
      const auto& v = p.period->*which;
      std::string tip = fmt::format("{}: p50 {}, {} {}", period_label(p.period->start, by), ms_text(v.p50), upper_name, ms_text(v.*upper));
      if (with_max) tip += ", max " + ms_text(v.max);
      tip += fmt::format(" ({} run{})", v.count, v.count == 1 ? "" : "s");
      out += fmt::format("<rect class=\"hit\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\"><title>{}</title></rect>",
                         p.x - slot / 2, f.top, slot, f.plot_h(), escape(tip));
    }
  } else {
    out += fmt::format("<text class=\"empty\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">nothing to show</text>",
                       f.left + f.plot_w() / 2, f.top + f.plot_h() / 2);
  }
  out += "</svg>";
  return out;
}

std::string legend(std::initializer_list<std::pair<const char*, const char*>> items) {
  std::string out = "<div class=\"legend\">";
  for (const auto& [cls, label] : items) out += fmt::format("<span><i class=\"{}\"></i>{}</span>", cls, label);
  return out + "</div>";
}

// A figure that never breaks inside: "1.25 s" wraps as a whole or not at all.
std::string n(const std::string& text) { return "<span class=\"n\">" + escape(text) + "</span>"; }

std::string tile(const std::string& label, const std::string& value, const std::string& cls = "",
                 const std::string& sub = "") {
  return fmt::format("<div class=\"tile {}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>{}</div>", cls,
                     escape(label), value, sub.empty() ? "" : "<div class=\"sub\">" + sub + "</div>");
}

std::string run_cell(const std::optional<Run>& r) {
  if (!r) return "–";
  return n(fmt::format("#{}", r->id)) + " · " + n(when(r->scheduled_at));
}

std::string rate_bar(std::optional<double> rate) {
  if (!rate) return "";
  return fmt::format(
      "<svg class=\"ratebar\" viewBox=\"0 0 100 8\" width=\"80\" height=\"8\"><rect class=\"seg failed\" x=\"0\" y=\"0\" "
      "width=\"100\" height=\"8\" rx=\"2\"/><rect class=\"seg succeeded\" x=\"0\" y=\"0\" width=\"{:.2f}\" height=\"8\" "
      "rx=\"2\"/></svg>",
      *rate * 100);
}

std::string_view state_label(DeploymentState state) {
  return state == DeploymentState::removed ? "undeployed" : to_string(state);
}

std::string deployment_card(const DeploymentStats& s, StatsPeriod by) {
  const auto& d = s.deployment;
  const auto& c = s.counts;
  std::string out = fmt::format("<section class=\"card\" id=\"{}-{}\" data-task=\"{}\" data-env=\"{}\">",
                                escape(d.task), escape(d.env), escape(d.task), escape(d.env));
  out += fmt::format("<header><h3>{}</h3><span class=\"badge {}\">{}</span><span class=\"meta\">revision {} · <code>{}</code>{}</span></header>",
                     escape(d.task), to_string(d.state), state_label(d.state), d.revision.number, escape(d.revision.schedule),
                     d.revision.timezone == "UTC" ? "" : " " + escape(d.revision.timezone));
  out += "<div class=\"tiles\">";
  out += tile("Runs", n(fmt::format("{}", c.runs)), "",
              c.unfinished > 0 ? fmt::format("+{} running", c.unfinished) : std::string{});
  out += tile("Success rate", n(percent(c.success_rate())), c.failures() > 0 ? "bad" : c.succeeded > 0 ? "good" : "",
              fmt::format("{} of {} succeeded", c.succeeded, c.judged()));
  out += tile("Failures", n(fmt::format("{}", c.failures())), c.failures() > 0 ? "bad" : "",
              fmt::format("{} failed · {} timed out · {} lost", c.failed, c.timed_out, c.lost));
  out += tile("Skipped", n(fmt::format("{}", c.skipped + c.cancelled)), "",
              c.cancelled > 0 ? fmt::format("{} cancelled", c.cancelled) : std::string{});
  // Not the task's failure: the engine was down, the image gone, the cluster refused.
  out += tile("Platform faults", n(fmt::format("{}", c.errors)), c.errors > 0 ? "fault" : "",
              c.errors > 0 ? "could not start or run · in neither rate" : "none");
  out += tile("Duration p50 / p95", s.duration.count ? n(ms_text(s.duration.p50)) + " / " + n(ms_text(s.duration.p95)) : "–",
              "", s.duration.count ? "max " + n(ms_text(s.duration.max)) : std::string{});
  out += tile("Lateness p50 / p99", s.lateness.count ? n(ms_text(s.lateness.p50)) + " / " + n(ms_text(s.lateness.p99)) : "–",
              "", "start after the fire time");
  out += tile("Last success", run_cell(s.last_success), "small");
  out += tile("Last failure", run_cell(s.last_failure), s.last_failure ? "small bad" : "small",
              s.last_failure ? fmt::format("<code>task logs --run {}</code>", s.last_failure->id) : std::string{});
  out += "</div>";
  if (s.last_fault) {
    out += fmt::format("<p class=\"fault-note\"><span class=\"pill fault\">platform fault</span> newest: run {}{}</p>",
                       run_cell(s.last_fault), s.last_fault->error.empty() ? "" : ": " + escape(s.last_fault->error));
  }
  out += fmt::format("<h4>Runs per {} by outcome</h4>", to_string(by));
  out += outcomes_chart(s, by);
  out += legend({{"succeeded", "succeeded"}, {"failed", "failed"}, {"timed-out", "timed out"}, {"lost", "lost"},
                 {"skipped", "skipped"}, {"cancelled", "cancelled"}, {"fault", "platform fault"}});
  out += "<div class=\"pair\"><div>";
  out += "<h4>Duration</h4>";
  out += band_chart(s, by, "durations", "duration per period: p50 to p95, and max", &PeriodStats::duration, "p95",
                    &Percentiles::p95, true);
  out += legend({{"p50", "p50"}, {"p95", "p50 to p95"}, {"max", "max"}});
  out += "</div><div>";
  out += "<h4>Start lateness</h4>";
  out += band_chart(s, by, "lateness", "start lateness per period: p50 to p99", &PeriodStats::lateness, "p99",
                    &Percentiles::p99, false);
  out += legend({{"p50", "p50"}, {"p99", "p50 to p99"}});
  out += "</div></div>";
  out += "<h4>Recent failures</h4>";
  if (s.recent_failures.empty()) {
    out += "<p class=\"none\">No failures in this window.</p>";
  } else {
    out += "<div class=\"scroll\"><table class=\"failures\"><thead><tr><th>Run</th><th>Fire time (UTC)</th><th>Outcome</th><th>Exit</th>"
           "<th>Why</th><th>Log</th></tr></thead><tbody>";
    for (const auto& r : s.recent_failures) {
      out += fmt::format(
          "<tr><td>#{}</td><td>{}</td><td><span class=\"pill {}\">{}</span></td><td>{}</td><td class=\"why\">{}</td>"
          "<td><code>task logs --run {}</code></td></tr>",
          r.id, escape(when(r.scheduled_at)), to_string(r.outcome), to_string(r.outcome),
          r.exit_code ? fmt::format("{}", *r.exit_code) : "–", escape(r.error), r.id);
    }
    out += "</tbody></table></div>";
  }
  out += "</section>";
  return out;
}

constexpr const char* style = R"css(
:root{--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--grid:#eaeef2;
--ok:#1a7f37;--bad:#cf222e;--timeout:#8250df;--lost:#bf8700;--skip:#8c959f;--cancel:#c6ccd2;--fault:#1b7c83;--p50:#0969da;--p95:#bf3989;--p99:#bf3989;--max:#8c959f}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--grid:#21262d;
--ok:#3fb950;--bad:#f85149;--timeout:#a371f7;--lost:#d29922;--skip:#6e7681;--cancel:#484f58;--fault:#39c5cf;--p50:#58a6ff;--p95:#db61a2;--p99:#db61a2;--max:#6e7681}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:0}h4{font-size:13px;margin:18px 0 6px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.subtitle{color:var(--muted);margin:0 0 20px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,"DejaVu Sans Mono",monospace}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
.card header{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.meta{color:var(--muted)}
.badge{font-size:11px;border-radius:999px;padding:1px 8px;border:1px solid var(--line);color:var(--muted)}
.badge.active{color:var(--ok);border-color:var(--ok)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(132px,1fr));gap:10px;margin-top:14px}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 12px;container-type:inline-size;min-width:0}
.tile .label{font-size:12px;color:var(--muted)}
.tile .value{font-size:clamp(13px,11cqi,20px);font-weight:600;font-variant-numeric:tabular-nums;line-height:1.3}
.tile.small .value{font-size:clamp(12px,8cqi,14px);padding-top:4px}.tile .sub{font-size:12px;color:var(--muted)}
.n{white-space:nowrap}
.tile.good .value{color:var(--ok)}.tile.bad .value{color:var(--bad)}.tile.fault .value{color:var(--fault)}
svg.chart{display:block;width:100%;height:auto}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:20px}@media (max-width:760px){.pair{grid-template-columns:1fr}}
.grid{stroke:var(--grid);stroke-width:1}.tick,.empty{fill:var(--muted);font-size:11px}
.seg.succeeded{fill:var(--ok)}.seg.failed{fill:var(--bad)}.seg.timed-out{fill:var(--timeout)}.seg.lost{fill:var(--lost)}
.seg.skipped{fill:var(--skip)}.seg.cancelled{fill:var(--cancel)}.seg.fault{fill:var(--fault)}
.period:hover rect{opacity:.8}
.line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}.line.p50{stroke:var(--p50)}
.line.p95,.line.p99{stroke:var(--p95);stroke-width:1;opacity:.7}.line.max{stroke:var(--max);stroke-width:1.5;stroke-dasharray:4 3}
.band{fill:var(--p95);fill-opacity:.16;stroke:none}
.hit{fill:var(--fg);fill-opacity:0}.hit:hover{fill-opacity:.06}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin-top:4px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.legend .succeeded{background:var(--ok)}.legend .failed{background:var(--bad)}.legend .timed-out{background:var(--timeout)}
.legend .lost{background:var(--lost)}.legend .skipped{background:var(--skip)}.legend .cancelled{background:var(--cancel)}
.legend .fault{background:var(--fault)}
.legend .p50{background:var(--p50)}.legend .p95,.legend .p99{background:var(--p95)}.legend .max{background:var(--max)}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--grid);padding:6px 8px;vertical-align:top}
td.num{text-align:right}td.rate{white-space:nowrap}.failures td:not(.why){white-space:nowrap}.why{min-width:12em}
.scroll{overflow-x:auto}
.pill{font-size:12px;border-radius:999px;padding:1px 8px;color:#fff;background:var(--bad)}
.pill.timed-out{background:var(--timeout)}.pill.lost{background:var(--lost)}.pill.fault{background:var(--fault)}
.fault-note{font-size:13px;margin:10px 0 0}.badge.removed{border-style:dashed}
.none{color:var(--muted)}
.ratebar{vertical-align:middle;margin-right:6px}
a{color:var(--p50);text-decoration:none}
footer{color:var(--muted);font-size:12px;margin-top:28px}
)css";

}  // namespace

std::string render_stats_html(const StatsReport& report, Timestamp generated_at) {
  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  out += "<title>task stats</title><style>";
  out += style;
  out += "</style></head><body><main>";
  out += "<h1>Scheduled tasks: how they ran</h1>";
  out += fmt::format("<p class=\"subtitle\">{} to {} UTC, by {} · generated {} UTC</p>", escape(when(report.since)),
                     escape(when(report.until)), to_string(report.by), escape(when(generated_at)));

  // Worst first; undeployed tasks' kept history last, apart.
  auto order = report.deployments;
  order_worst_first(order);
  std::stable_partition(order.begin(), order.end(),
                        [](const DeploymentStats& s) { return s.deployment.state != DeploymentState::removed; });

  // The overview: one row per deployment.
  out += "<section class=\"card\"><h4 style=\"margin-top:0\">Overview, worst first</h4>";
  if (order.empty()) {
    out += "<p class=\"none\">No deployments: <code>task deploy --interval SCHEDULE</code> in a task project makes one.</p>";
  } else {
    out += "<div class=\"scroll\"><table class=\"overview\"><thead><tr><th>Task</th><th>Environment</th><th class=\"num\">Runs</th>"
           "<th>Success rate</th><th class=\"num\">Failures</th><th class=\"num\">Platform faults</th>"
           "<th class=\"num\">Duration p50</th><th class=\"num\">p95</th><th class=\"num\">Lateness p99</th>"
           "<th>Last failure</th></tr></thead><tbody>";
    for (const auto& s : order) {
      const bool removed = s.deployment.state == DeploymentState::removed;
      out += fmt::format(
          "<tr data-task=\"{}\" data-env=\"{}\"><td><a href=\"#{}-{}\">{}</a>{}</td><td>{}</td><td class=\"num\">{}</td>"
          "<td class=\"rate\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
          escape(s.deployment.task), escape(s.deployment.env), escape(s.deployment.task), escape(s.deployment.env),
          escape(s.deployment.task), removed ? " <span class=\"badge removed\">undeployed</span>" : "",
          escape(s.deployment.env), s.counts.runs, rate_bar(s.counts.success_rate()), n(percent(s.counts.success_rate())),
          s.counts.failures(), s.counts.errors, s.duration.count ? n(ms_text(s.duration.p50)) : "–",
          s.duration.count ? n(ms_text(s.duration.p95)) : "–", s.lateness.count ? n(ms_text(s.lateness.p99)) : "–",
          run_cell(s.last_failure));
    }
    out += "</tbody></table></div>";
  }
  out += "</section>";

  for (const auto& env : report.environments) {
    std::string cards;
    for (const auto& s : order) {
      if (s.deployment.env == env && s.deployment.state != DeploymentState::removed) cards += deployment_card(s, report.by);
    }
    if (!cards.empty()) out += fmt::format("<h2 class=\"env\">{}</h2>", escape(env)) + cards;
  }
  std::string undeployed;
  for (const auto& s : order) {
    if (s.deployment.state == DeploymentState::removed) undeployed += deployment_card(s, report.by);
  }
  if (!undeployed.empty()) {
    out += "<h2 class=\"env undeployed\">Undeployed</h2><p class=\"subtitle\">No longer deployed; their runs are kept "
           "for 90 days.</p>" + undeployed;
  }
  out += "<footer>Success rate: succeeded ÷ (succeeded + failed + timed out + lost); skipped and cancelled runs did not "
         "try and count in neither rate. Durations: finished − started, for runs that ran to an end. Lateness: started − "
         "fire time, for scheduled and catch-up runs. Platform faults: runs the platform could not start or run (the engine "
         "down, an image missing), not the task's failure, counted in neither rate. Percentiles by nearest rank. Periods "
         "are UTC; a deployment younger than the window is charted from its first period.</footer>";
  out += "</main></body></html>\n";
  return out;
}

}  // namespace task
