// The overview's first paint and the time until its table is drawn, in headless Chromium.
//   node paint.cjs URL
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "../../web/node_modules/playwright-core"));
(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  const times = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const start = Date.now();
    await page.goto(process.argv[2]);
    await page.waitForFunction(() => document.querySelectorAll("#overview tbody tr").length > 0, null, { timeout: 60000 });
    const table = Date.now() - start;
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
    const rows = await page.$$eval("#overview tbody tr", (r) => r.length);
    times.push({ fcp, table, rows });
    await page.close();
  }
  await browser.close();
  const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`first contentful paint: ${med(times.map((t) => t.fcp)).toFixed(0)} ms median;` +
              ` the overview's table of ${times[0].rows} rows drawn: ${med(times.map((t) => t.table))} ms median (5 loads)`);
})();
