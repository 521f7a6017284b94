// The dashboard's page: an overview of every deployment worst first, a page per
// deployment with interactive charts (uPlot), a page per run with its log followed live.
// Everything comes from this dashboard's own /api; nothing leaves the machine.
"use strict";

const state = { window: localStorage.getItem("task.window") || "7d", charts: [], log: null, renderSeq: 0 };
const main = document.getElementById("main");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

const pct = (x) => (x === null || x === undefined ? "–" : (Math.floor(x * 1000) / 10).toFixed(1) + "%");
function ms(v) {
  if (v === null || v === undefined) return "–";
  if (Math.abs(v) < 1000) return v + " ms";
  if (Math.abs(v) < 60000) return (v / 1000).toFixed(2) + " s";
  return Math.floor(v / 60000) + "m" + String(Math.floor(v / 1000) % 60).padStart(2, "0") + "s";
}
function ago(iso) {
  if (!iso) return "–";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 0) return "in " + span(-s);
  return span(s) + " ago";
}
function span(s) {
  if (s < 90) return s + "s";
  if (s < 5400) return Math.round(s / 60) + "m";
  if (s < 129600) return Math.round(s / 3600) + "h";
  return Math.round(s / 86400) + "d";
}
const when = (iso) => (iso ? el("time", { datetime: iso, title: iso, text: ago(iso) }) : "–");
const outcome = (o) => el("span", { class: "outcome " + o, text: o });
const dlink = (t, e) => "#/d/" + encodeURIComponent(t) + "/" + encodeURIComponent(e);

function rateBar(rate) {
  const bar = el("div", { class: rate === null ? "bar none" : "bar", role: "img",
                          "aria-label": rate === null ? "no runs judged" : "success " + pct(rate) });
  if (rate !== null) bar.append(el("span", { style: "width:" + (rate * 100).toFixed(2) + "%" }));
  return el("div", { class: "rate" }, bar, el("span", { text: pct(rate) }));
}

function color(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

// --- pages ---------------------------------------------------------------------------

async function overview() {
  const o = await api("/api/overview?window=" + state.window);
  const rows = o.deployments.map((d) =>
    el("tr", { "data-task": d.task, "data-env": d.env },
      el("td", {}, el("a", { href: dlink(d.task, d.env), text: d.task })),
      el("td", { text: d.env }),
      el("td", { class: "hide-narrow", text: d.state }),
      el("td", {}, rateBar(d.counts.success_rate)),
      el("td", { class: "num", text: d.counts.runs }),
      el("td", { class: "num hide-narrow", text: d.counts.failed + d.counts.timed_out + d.counts.lost }),
      el("td", { class: "hide-narrow" }, when(d.last_failure_at)),
      el("td", { class: "hide-narrow" }, d.next_run ? when(d.next_run) : "–"),
      el("td", { class: "num hide-narrow", text: d.duration_ms ? ms(d.duration_ms.p50) : "–" })));
  return [
    el("h1", { text: "Deployments, worst first" }),
    el("p", { class: "muted", text: `The last ${state.window}: lowest success rate first, then the most recent failure.` }),
    o.deployments.length === 0 ? el("p", { text: "Nothing is deployed: `task deploy` makes a deployment." }) :
    el("div", { class: "scroll" }, el("table", { id: "overview" },
      el("thead", {}, el("tr", {}, el("th", { text: "Task" }), el("th", { text: "Environment" }),
        el("th", { class: "hide-narrow", text: "State" }), el("th", { text: "Success" }), el("th", { class: "num", text: "Runs" }),
        el("th", { class: "num hide-narrow", text: "Failures" }), el("th", { class: "hide-narrow", text: "Last failure" }),
        el("th", { class: "hide-narrow", text: "Next run" }), el("th", { class: "num hide-narrow", text: "p50" }))),
      el("tbody", {}, rows))),
    ...o.notes.map((n) => el("p", { class: "muted", text: n })),
  ];
}

function chart(title, id, opts, data, points) {
  const box = el("section", { class: "chart", id, "data-points": points, "aria-label": title }, el("h3", { text: title }));
  state.charts.push({ box, opts, data });
  return box;
}

function drawCharts() {
  for (const c of state.charts) {
    const width = Math.max(260, c.box.clientWidth - 16);
    c.plot = new uPlot({ ...c.opts, width, height: 220 }, c.data, c.box);
  }
}

async function deployment(task, env) {
  const [d, info] = await Promise.all([
    api(`/api/deployment?task=${encodeURIComponent(task)}&env=${encodeURIComponent(env)}&window=${state.window}`),
    api("/api/info")]);
  const runs = d.runs;
  // The axis starts where the window does, or at the first run of a younger task.
  const since = Date.parse(d.since) / 1000;
  const first = runs.length ? runs[0].at_ms / 1000 : since;
  const from = Math.max(since, first - 60), to = Date.now() / 1000;
  const axes = [{ stroke: color("--muted"), grid: { stroke: color("--line") } },
                { stroke: color("--muted"), grid: { stroke: color("--line") } }];
  const timed = (key) => {
    const rs = runs.filter((r) => r[key] !== null);
    return [rs.map((r) => r.at_ms / 1000), rs.map((r) => r[key]), rs];
  };
  const [dx, dy] = timed("duration_ms");
  const [lx, ly] = timed("lateness_ms");
  const line = (label, stroke) => ({ label, stroke, width: 1.5, value: (u, v) => ms(v), points: { show: true, size: 5, fill: stroke } });
  const scales = { x: { time: true, range: (u, min, max) => (u.status ? [min, max] : [from, to]) } };
  // Runs by outcome in about 40 buckets of a round size across the axis.
  const steps = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400];
  const step = steps.find((s) => (to - from) / s <= 40) || 86400;
  const buckets = new Map();
  for (const r of runs) {
    const at = Math.floor(r.at_ms / 1000 / step) * step;
    const b = buckets.get(at) || { ok: 0, bad: 0 };
    if (r.outcome === "succeeded") b.ok++;
    else if (["failed", "timed-out", "lost"].includes(r.outcome)) b.bad++;
    buckets.set(at, b);
  }
  const bx = [...buckets.keys()].sort((a, b) => a - b);
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  const cards = [
    ["Success", pct(d.counts.success_rate)], ["Runs", d.counts.runs],
    ["Failures", d.counts.failed + d.counts.timed_out + d.counts.lost], ["Platform faults", d.counts.errors],
    ["Duration p50", d.duration_ms ? ms(d.duration_ms.p50) : "–"], ["Duration p95", d.duration_ms ? ms(d.duration_ms.p95) : "–"],
    ["Lateness p50", d.lateness_ms ? ms(d.lateness_ms.p50) : "–"], ["Next run", d.next_run ? ago(d.next_run) : "–"]];
  const runNow = info.allow_run && d.state !== "removed" ? el("button", { class: "run", type: "button", onclick: async (e) => {
    e.target.disabled = true;
    const r = await fetch(`/api/run-now?task=${encodeURIComponent(task)}&env=${encodeURIComponent(env)}`,
                          { method: "POST", body: "", headers: { "X-Task-Token": info.token } });
    const body = await r.json();
    if (r.ok) location.hash = "#/r/" + encodeURIComponent(body.id); else { alert(body.error); e.target.disabled = false; }
  }, text: "Run now" }) : null;
  return [
    el("p", {}, el("a", { href: "#/", text: "← every deployment" })),
    el("h1", { text: `${task} in ${env}` }),
    el("p", { class: "muted" }, `revision ${d.revision} · ${d.schedule} (${d.timezone}) · ${d.state} · ${d.image} `, runNow),
    el("div", { class: "cards" }, cards.map(([k, v]) => el("div", { class: "card" }, el("b", { text: v }), el("span", { text: k })))),
    el("div", { class: "charts" },
      chart("Runs by outcome", "chart-outcomes", {
        scales, axes, series: [{}, { label: "succeeded", fill: color("--ok"), stroke: color("--ok"), paths: bars, points: { show: false } },
                                   { label: "failed", fill: color("--bad"), stroke: color("--bad"), paths: bars, points: { show: false } }] },
        [bx.map((x) => x + step / 2), bx.map((x) => buckets.get(x).ok), bx.map((x) => -buckets.get(x).bad)], bx.length),
      chart("Duration", "chart-duration", { scales, axes, series: [{}, line("duration", color("--accent"))] }, [dx, dy], dx.length),
      chart("Start lateness", "chart-lateness", { scales, axes, series: [{}, line("lateness", color("--warn"))] }, [lx, ly], lx.length)),
    el("h2", { text: "Recent failures" }),
    d.recent_failures.length === 0 ? el("p", { class: "muted", text: "None in this window." }) :
      el("ul", { id: "failures" }, d.recent_failures.map((r) =>
        el("li", {}, el("a", { href: "#/r/" + encodeURIComponent(r.id), text: "run " + r.id }), " ", outcome(r.outcome), " ",
           when(r.finished_at), r.error ? " · " + r.error : ""))),
    el("h2", { text: "Runs" }),
    el("div", { class: "scroll" }, el("table", { id: "runs" }, el("thead", {}, el("tr", {}, ["Run", "Outcome", "Due", "Duration", "Lateness"].map((h) => el("th", { text: h })))),
      el("tbody", {}, runs.slice(-50).reverse().map((r) => el("tr", {},
        el("td", {}, el("a", { href: "#/r/" + encodeURIComponent(r.id), text: r.id })), el("td", {}, outcome(r.outcome)),
        el("td", {}, when(new Date(r.at_ms).toISOString())), el("td", { class: "num", text: ms(r.duration_ms) }),
        el("td", { class: "num", text: ms(r.lateness_ms) })))))),
    el("h2", { text: "Revisions" }),
    el("div", { class: "scroll" }, el("table", { id: "revisions" }, el("thead", {}, el("tr", {}, ["#", "Made", "By", "Change", "Schedule", "Image"].map((h) => el("th", { text: h })))),
      el("tbody", {}, d.revisions.map((r) => el("tr", {}, el("td", { text: r.number }), el("td", {}, when(r.created_at)),
        el("td", { text: r.command }), el("td", { text: r.change }), el("td", { text: r.schedule }), el("td", { text: r.image })))))),
  ];
}

async function run(id) {
  const r = await api("/api/run?id=" + encodeURIComponent(id));
  const run = r.run;
  const pre = el("pre", { class: "log", id: "log", tabindex: "0", "aria-label": "log" });
  const add = (l) => pre.append(el("span", { class: l.stream, text: l.text + "\n" }));
  r.lines.forEach(add);
  const status = el("span", { id: "run-outcome" }, outcome(run.outcome));
  const finished = !["pending", "starting", "running"].includes(run.outcome);
  if (!finished) {
    state.log = new EventSource(`/api/log?id=${encodeURIComponent(id)}&from=${r.next}`);
    state.log.addEventListener("line", (e) => add(JSON.parse(e.data)));
    state.log.addEventListener("end", (e) => {
      status.replaceChildren(outcome(JSON.parse(e.data).outcome));
      state.log.close();
    });
  }
  return [
    el("p", {}, el("a", { href: dlink(run.task, run.env), text: `← ${run.task} in ${run.env}` })),
    el("h1", {}, `Run ${run.id} `, status),
    el("p", { class: "muted" }, `${run.trigger}, attempt ${run.attempt}, revision ${run.revision} · due `, when(run.scheduled_at),
       run.exit_code !== null ? ` · exit code ${run.exit_code}` : "", run.error ? ` · ${run.error}` : ""),
    run.log_pruned ? el("p", { class: "muted", text: "Its log was removed by the history limits." }) : pre,
  ];
}

// --- routing and live updates ------------------------------------------------------------

async function render(quietly) {
  const seq = ++state.renderSeq;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const scroll = window.scrollY;
  if (state.log && !(parts[0] === "r" && quietly)) { state.log.close(); state.log = null; }
  if (parts[0] === "r" && quietly) return;  // a run page follows its own log
  let content;
  try {
    content = parts[0] === "d" ? await deployment(parts[1], parts[2]) : parts[0] === "r" ? await run(parts[1]) : await overview();
  } catch (err) {
    content = [el("h1", { text: "Cannot show this" }), el("p", { text: err.message })];
  }
  if (seq !== state.renderSeq) return;
  for (const c of state.charts) if (c.plot) c.plot.destroy();
  state.charts = state.charts.filter((c) => content.some((n) => n.contains && n.contains(c.box)));
  main.replaceChildren(...content);
  drawCharts();
  if (quietly) window.scrollTo(0, scroll); else main.focus();
  main.dataset.rendered = String(seq);
}

for (const b of document.querySelectorAll("#windows button")) {
  b.setAttribute("aria-pressed", String(b.dataset.window === state.window));
  b.addEventListener("click", () => {
    state.window = b.dataset.window;
    localStorage.setItem("task.window", state.window);
    for (const o of document.querySelectorAll("#windows button")) o.setAttribute("aria-pressed", String(o === b));
    render(true);
  });
}

let pending = null;
const live = document.getElementById("live");
const changes = new EventSource("/api/changes");
changes.addEventListener("open", () => { live.textContent = "live"; });
changes.addEventListener("error", () => { live.textContent = "reconnecting…"; });
changes.addEventListener("change", () => {
  clearTimeout(pending);
  pending = setTimeout(() => render(true), 150);
});
window.addEventListener("hashchange", () => render(false));
let resized = null;
window.addEventListener("resize", () => { clearTimeout(resized); resized = setTimeout(() => render(true), 200); });
render(false);
