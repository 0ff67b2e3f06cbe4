// Takes the README screenshots from the real built app in headless Chromium.
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/screenshots.js http://127.0.0.1:8080/
// Writes docs/screenshot-stage1.png and docs/screenshot-stage4.png (stage 4 just after the
// scheduled master failure at t = 60 s has been handled: a replica promoted, writes lost),
// docs/screenshot-stage5.png (the cache tier warm, then cache-0 killed: the database takes its
// reads), docs/screenshot-stage8.png (the workers down from t = 60 s: the backlog grows) and
// docs/screenshot-stage11.png (preset 11 as it is, ten million users, during the us-east outage
// scheduled at t = 150 s: geoDNS has dropped us-east and users move as their answers expire).
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(path.join(root, ".tools/node_modules/playwright-core"));

// Runs in the page: whether simulated time has passed `t` seconds.
const simTimePast = (t) =>
  parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent) > t;

(async () => {
  const base = process.argv[2] || "http://127.0.0.1:8080/";
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  page.on("console", (m) => m.type() === "error" && console.error("page:", m.text()));

  await page.goto(base + "#v1.s1");
  await page.waitForSelector("[data-diagram]");
  await page.waitForTimeout(2500);
  await page.screenshot({ path: path.join(root, "docs/screenshot-stage1.png"), fullPage: true });

  await page.goto(base + "#v1.s4");
  await page.waitForSelector("[data-diagram]");
  await page.selectOption('select[data-control="speed"]', "6"); // 20x up to the failure
  await page.waitForFunction(simTimePast, 58, { timeout: 90000 });
  await page.selectOption('select[data-control="speed"]', "4"); // 1x through the failover
  await page.waitForFunction(simTimePast, 69.5, { timeout: 90000 });
  await page.click('svg [data-component="db-0"]');
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(root, "docs/screenshot-stage4.png"), fullPage: true });

  await page.goto(base + "#v1.s5");
  await page.waitForSelector("[data-diagram]");
  await page.selectOption('select[data-control="speed"]', "4"); // 1x
  await page.waitForFunction(simTimePast, 12, { timeout: 120000 });
  await page.click('svg [data-component="cache-0"]');
  await page.click('[data-inspector] [data-action="kill"]');
  await page.waitForTimeout(2500);
  await page.screenshot({ path: path.join(root, "docs/screenshot-stage5.png"), fullPage: true });

  await page.goto(base + "#v1.s8");
  await page.waitForSelector("[data-diagram]");
  await page.selectOption('select[data-control="speed"]', "6"); // 20x up to the outage
  await page.waitForFunction(simTimePast, 58, { timeout: 180000 });
  await page.selectOption('select[data-control="speed"]', "4"); // 1x while the backlog grows
  await page.waitForFunction(simTimePast, 75, { timeout: 180000 });
  await page.click('svg [data-component="queue"]');
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(root, "docs/screenshot-stage8.png"), fullPage: true });

  await page.goto(base + "#v1.s11");
  await page.waitForSelector("[data-diagram]");
  // As fast as the page can (about 2x real time with ten million users) up to the outage.
  await page.selectOption('select[data-control="speed"]', "6");
  await page.waitForFunction(simTimePast, 150, { timeout: 600000 });
  await page.selectOption('select[data-control="speed"]', "4"); // 1x through the reroute
  await page.waitForFunction(simTimePast, 172, { timeout: 120000 });
  await page.click('svg [data-component="us-east"]');
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(root, "docs/screenshot-stage11.png"), fullPage: true });
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
