// Drives `task dashboard` in headless Chromium (Debian's) through the DevTools protocol
// (playwright-core from web/package-lock.json): worst first, charts with their points, a
// value on hover, a run that ends appearing without a reload, a run's log followed live.
// Prints PASS/FAIL lines; exits with the number of failures.
//   node dashboard_browser.cjs URL TASK_BIN ARTEFACTS_DIR
"use strict";
const path = require("path");
const { execFileSync } = require("child_process");
const { chromium } = require(path.join(__dirname, "../../web/node_modules/playwright-core"));

const [url, taskBin, artefacts] = process.argv.slice(2);
let failures = 0;
const check = (what, ok, detail) => {
  console.log(`${ok ? "PASS" : "FAIL"}: ${what}${ok ? "" : ` (${detail})`}`);
  if (!ok) failures++;
};
const task = (...args) => execFileSync(taskBin, args, { encoding: "utf8" }).trim();
const runsOf = (name) => JSON.parse(task("runs", "--task", name, "--limit", "1000", "-o", "json")).runs;

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
                                          args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside = [];
    page.on("request", (r) => { if (!r.url().startsWith(new URL(url).origin)) outside.push(r.url()); });
    page.on("pageerror", (e) => check("no script error", false, e.message));
    await page.goto(url);
    check("the token leaves the address bar", !page.url().includes("token="), page.url());
    await page.waitForSelector("#overview tbody tr");
    const order = await page.$$eval("#overview tbody tr", (rows) => rows.map((r) => r.dataset.task));
    check("the overview lists deployments worst first", order.join(" ") === "db-bad db-good db-slow", order.join(" "));
    const widths = await page.$$eval("#overview .bar > span", (s) => s.map((e) => e.style.width));
    check("success bars tell 50% from 100%", parseFloat(widths[0]) === 50 && parseFloat(widths[2]) === 100, widths.join(" "));
    await page.screenshot({ path: path.join(artefacts, "dashboard-overview.png"), fullPage: true });

    // A run that ends while the page is open appears without a reload.
    await page.evaluate(() => { window.notReloaded = true; });
    const before = await page.$eval('#overview tr[data-task="db-good"] td:nth-child(5)', (td) => td.textContent);
    task("run", "--task", "db-good", "--wait", "-q");
    await page.waitForFunction((n) => {
      const td = document.querySelector('#overview tr[data-task="db-good"] td:nth-child(5)');
      return td && td.textContent !== n;
    }, before, { timeout: 20000 }).catch(() => {});
    const after = await page.$eval('#overview tr[data-task="db-good"] td:nth-child(5)', (td) => td.textContent);
    check("a finished run appears without a reload", Number(after) === Number(before) + 1 &&
          await page.evaluate(() => window.notReloaded === true), `${before} → ${after}`);

    // A deployment's page: charts with a point per run, a value on hover.
    await page.keyboard.press("Tab");
    await page.click('#overview tr[data-task="db-good"] a');
    await page.waitForSelector("#chart-duration canvas");
    const ran = runsOf("db-good").filter((r) => r.outcome === "succeeded" || r.outcome === "failed").length;
    const points = await page.$eval("#chart-duration", (e) => Number(e.dataset.points));
    check("the duration chart has a point per run", points === ran, `${points} points, ${ran} runs`);
    const bad = await (async () => {
      await page.goto(new URL("/#/d/db-bad/development", url).href);
      await page.waitForFunction(() => document.querySelector("h1")?.textContent === "db-bad in development");
      await page.waitForSelector("#chart-outcomes canvas");
      return page.$$eval("#failures li", (l) => l.length);
    })();
    check("recent failures are listed", bad === 2, `${bad}`);
    // A change the agent reports redraws the page; a hover on a chart just replaced is
    // tried again on the new one.
    let value = "";
    for (let i = 0; i < 5 && !/\d+(\.\d+)? (ms|s)$/.test(value); i++) {
      const box = await page.locator("#chart-duration .u-over").boundingBox().catch(() => null);
      if (!box) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
      value = await page.$eval("#chart-duration .u-legend .u-series:nth-child(2) .u-value", (e) => e.textContent)
        .catch(() => "");
    }
    check("hovering the chart shows a value", /\d+(\.\d+)? (ms|s)$/.test(value), JSON.stringify(value));
    await page.screenshot({ path: path.join(artefacts, "dashboard-deployment.png"), fullPage: true });
    for (const w of ["1h", "24h", "30d"]) {
      await page.click(`#windows button[data-window="${w}"]`);
      await page.waitForFunction((w) => document.querySelector(`#windows button[data-window="${w}"]`)
        .getAttribute("aria-pressed") === "true", w);
    }
    await page.waitForSelector("#chart-duration canvas");
    check("the windows redraw the charts", (await page.$$("#chart-duration canvas")).length === 1, "no chart");

    // A run's page follows its log while it runs.
    const id = task("run", "--task", "db-slow", "-q");
    await page.goto(new URL(`/#/r/${id}`, url).href);
    await page.waitForFunction(() => (document.querySelector("#log") || {}).textContent?.includes("line 3"),
                               null, { timeout: 30000 }).catch(() => {});
    const log = await page.$eval("#log", (e) => e.textContent);
    check("a run's log page shows its lines as they come", /line 1\n(.*\n)*line 3\n/.test(log), JSON.stringify(log));
    await page.waitForFunction(() => document.querySelector("#run-outcome")?.textContent === "succeeded", null,
                               { timeout: 30000 }).catch(() => {});
    check("and its outcome when it ends", await page.$eval("#run-outcome", (e) => e.textContent) === "succeeded", "");
    await page.screenshot({ path: path.join(artefacts, "dashboard-run.png"), fullPage: true });

    // A phone in dark mode: nothing wider than the screen.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    await phone.goto(url);
    await phone.waitForSelector("#overview tbody tr");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check("a phone-sized window needs no sideways scroll", overflow <= 0, `${overflow}px too wide`);
    const bg = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check("dark mode is dark", bg === "rgb(13, 17, 23)", bg);
    await phone.screenshot({ path: path.join(artefacts, "dashboard-phone-dark.png"), fullPage: true });
    const wide = await browser.newPage({ viewport: { width: 3840, height: 2160 } });
    await wide.goto(url);
    await wide.waitForSelector("#overview tbody tr");
    await wide.evaluate(() => { location.hash = "#/d/db-bad/development"; });
    await wide.waitForFunction(() => document.querySelector("h1")?.textContent === "db-bad in development");
    await wide.waitForSelector("#chart-duration canvas");
    await wide.screenshot({ path: path.join(artefacts, "dashboard-4k.png") });
    check("no request left the dashboard", outside.length === 0, outside.join(" "));
  } finally {
    await browser.close();
  }
  process.exit(failures);
})().catch((e) => {
  console.log(`FAIL: the browser test broke: ${e.stack}`);
  process.exit(1);
});
