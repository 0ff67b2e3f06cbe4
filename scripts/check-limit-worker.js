// Runs the "How far does it scale?" search of a preset in the built app (headless Chromium)
// and checks that it ran in the web worker, that the page kept drawing meanwhile, and that the
// limit equals the native CLI's for the same scenario, objective and seeds.
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/check-limit-worker.js http://127.0.0.1:8080/ [STAGE] [SEEDS] [EXPECTED_USERS]
// EXPECTED_USERS: `scalesim limit --preset STAGE --seeds SEEDS` → limit_users (checked if given).
// PLAYWRIGHT_CORE: where playwright-core is, if not in .tools/node_modules.
// Prints one JSON line: stage, seeds, limit, where it ran, wall time, fps during the search.
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

(async () => {
  const base = process.argv[2] || "http://127.0.0.1:8080/";
  const stage = process.argv[3] || "1";
  const seeds = process.argv[4] || "1";
  const expected = process.argv[5];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("console", (m) => m.type() === "error" && console.error("page:", m.text()));
  page.on("pageerror", (e) => console.error("page error:", e.message));

  await page.goto(base + "#v1.s" + stage);
  await page.waitForSelector("[data-diagram]");
  // The panel's body comes from the views' module when the panel is first opened.
  await page.click('[data-action="limits-toggle"]');
  await page.waitForSelector('select[data-field="seeds"]', { timeout: 60000 });
  await page.selectOption('select[data-field="seeds"]', seeds);
  const started = Date.now();
  await page.click('[data-action="find-limit"]');
  const fps = [];
  let done = false;
  while (!done && Date.now() - started < 600000) {
    await page.waitForTimeout(1000);
    fps.push(parseFloat(await page.textContent('[data-metric="fps"]')));
    done = (await page.$('[data-search="main"] [data-limit-users]')) !== null;
  }
  const wallS = (Date.now() - started) / 1000;
  if (!done) throw new Error("the search did not end within 10 minutes");
  const limit = await page.getAttribute('[data-search="main"] [data-limit-users]', "data-limit-users");
  const place = await page.textContent("[data-search-place]");
  const shown = await page.textContent('[data-search="main"] .limit-result');
  await page.screenshot({ path: "/tmp/limit-panel.png", fullPage: true });
  await browser.close();
  const fpsMin = Math.min(...fps);
  const fpsMean = fps.reduce((a, b) => a + b, 0) / fps.length;
  console.log(JSON.stringify({ stage, seeds, limit: Number(limit), place, wall_s: wallS, fps_min: fpsMin, fps_mean: fpsMean, shown }));
  if (!place.includes("web worker")) throw new Error("the search did not run in the web worker: " + place);
  if (expected !== undefined && Number(limit) !== Number(expected)) {
    throw new Error(`limit ${limit} differs from the CLI's ${expected}`);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
