// Takes the README screenshots from the real built app in headless Chromium.
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/screenshots.js http://127.0.0.1:8080/ [NAME …]
// (NAMEs, such as `editor stage1`: only those screenshots.)
// Writes docs/screenshot-editor.png (the editor on stage 10's system: the web pool opened to
// its servers, a refused wire, the cache's parameters),
// docs/screenshot-stage1.png and docs/screenshot-stage4.png (stage 4 just after the
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
  const only = process.argv.slice(3);
  const want = (name) => only.length === 0 || only.includes(name);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  page.on("console", (m) => m.type() === "error" && console.error("page:", m.text()));

  const shot = (name) =>
    page.screenshot({ path: path.join(root, `docs/screenshot-${name}.png`), fullPage: true });
  const open = async (fragment) => {
    await page.goto(base + "#" + fragment);
    await page.waitForSelector("[data-diagram]");
  };
  // Runs as fast as the page can (speed 20x) up to `fastUntil` simulated seconds, then at 1x
  // up to `until`, opens `component` in the inspector and takes the screenshot.
  const runThenInspect = async (fastUntil, until, component, name, timeout) => {
    await page.selectOption('select[data-control="speed"]', "6");
    await page.waitForFunction(simTimePast, fastUntil, { timeout });
    await page.selectOption('select[data-control="speed"]', "4");
    await page.waitForFunction(simTimePast, until, { timeout });
    await page.click(`svg [data-component="${component}"]`);
    await page.waitForTimeout(600);
    await shot(name);
  };

  if (want("stage1")) {
  await open("v1.s1");
  await page.waitForTimeout(2500);
  await shot("stage1");
  }

  // The editor on stage 10's architecture (group boxes: the web pool's servers, the cache's
  // nodes, the shards, the database's master and replica), the web pool opened to its
  // servers: the cache selected with its parameters, after a wire the rules refuse (cache →
  // web). Only the editor's card.
  if (want("editor")) {
  await open("v1.s10");
  await page.click('[data-action="edit"]');
  await page.waitForSelector("[data-editor]");
  await page.click('[data-node="web"]');
  await page.waitForSelector('[data-members-of="web"] [data-member]');
  {
    const A = await page.locator('[data-node="cache"] > rect').boundingBox();
    const B = await page.locator('[data-node="web"] > rect').boundingBox();
    await page.mouse.move(A.x + A.width / 2, A.y + A.height / 2);
    await page.mouse.down();
    await page.mouse.move(B.x + B.width / 2, B.y + B.height / 2, { steps: 4 });
    await page.mouse.up();
  }
  await page.click('[data-node="cache"]');
  await page.waitForTimeout(600);
  await page.locator("[data-editor]").screenshot({ path: path.join(root, "docs/screenshot-editor.png") });
  }

  // Up to the master's failure at 60 s, then through the failover.
  if (want("stage4")) {
  await open("v1.s4");
  await runThenInspect(58, 69.5, "db-0", "stage4", 90000);
  }

  if (want("stage5")) {
  await open("v1.s5");
  await page.selectOption('select[data-control="speed"]', "4"); // 1x
  await page.waitForFunction(simTimePast, 12, { timeout: 120000 });
  await page.click('svg [data-component="cache-0"]');
  await page.click('[data-inspector] [data-action="kill"]');
  await page.waitForTimeout(2500);
  await shot("stage5");
  }

  // Up to the workers' outage at 60 s, then while the backlog grows.
  if (want("stage8")) {
  await open("v1.s8");
  await runThenInspect(58, 75, "queue", "stage8", 180000);
  }

  // Up to us-east's outage at 150 s (about 2x real time with ten million users), then through
  // the reroute.
  if (want("stage11")) {
  await open("v1.s11");
  await runThenInspect(150, 172, "us-east", "stage11", 600000);
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
