// Runs the same run of the built app with its simulation in the page (`?sim=page`) and in the
// web worker (`?sim=worker`), in headless Chromium: opens a preset, pauses, seeks to 4 s,
// kills a component from the inspector (a live change), seeks to 9 s, then exports the report
// and copies the link. Checks that each ran where it was asked to, that both reports have the
// same digest and that both links carry the same replay log (the live change and its time),
// and that without `?sim=` the built app runs the simulation in the worker.
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/check-sim-worker.js http://127.0.0.1:8080/ [FRAGMENT] [COMPONENT]
// FRAGMENT defaults to v1.s4, COMPONENT to db-0. PLAYWRIGHT_CORE: where playwright-core is,
// if not in .tools/node_modules. Prints one JSON line per run, then the verdict.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

const base = process.argv[2] || "http://127.0.0.1:8080/";
const fragment = process.argv[3] || "v1.s4";
const component = process.argv[4] || "db-0";

async function seek(page, t) {
  await page.evaluate((t) => {
    const input = document.querySelector('input[type=range][data-control="timeline"]');
    input.value = String(t);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }, t);
  await page.waitForFunction(
    (t) =>
      document.querySelector("[data-timeline]").getAttribute("data-seeking") === "false" &&
      Math.abs(parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent) - t) < 0.005,
    t,
    { timeout: 120000, polling: 100 },
  );
}

async function run(browser, mode) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page.on("console", (m) => m.type() === "error" && console.error(`page (${mode}):`, m.text()));
  page.on("pageerror", (e) => console.error(`page error (${mode}):`, e.message));
  await page.goto(`${base}?sim=${mode}#${fragment}`);
  await page.waitForSelector("[data-diagram]");
  await page.waitForSelector("[data-sim-place]");
  if ((await page.getAttribute('[data-action="play"]', "aria-pressed")) === "true") {
    await page.click('[data-action="play"]');
  }
  await seek(page, 4);
  await page.click(`svg [data-component="${component}"]`);
  await page.click('[data-inspector] [data-action="kill"]');
  await seek(page, 9);
  const place = await page.getAttribute("[data-sim-place]", "data-sim-place");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-action="export-report"]'),
  ]);
  const report = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  await page.click('[data-action="copy-link"]');
  const hash = await page.evaluate(() => location.hash);
  const failed = await page.textContent('[data-metric="requests_failed"]');
  await page.close();
  return { mode, place, digest: report.digest, hash, requests_failed: failed };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const runs = [];
  for (const mode of ["page", "worker"]) {
    const r = await run(browser, mode);
    console.log(JSON.stringify(r));
    runs.push(r);
  }
  // Where the built app runs it when the address does not say: the worker.
  const plain = await browser.newPage();
  await plain.goto(`${base}#${fragment}`);
  await plain.waitForSelector("[data-sim-place]");
  // The place shows with the first figures from the run (before them it reads "starting").
  await plain
    .waitForFunction(() => document.querySelector("[data-sim-place]").dataset.simPlace === "worker",
      null, { timeout: 30000, polling: 100 })
    .catch(() => {});
  const byDefault = await plain.getAttribute("[data-sim-place]", "data-sim-place");
  console.log(JSON.stringify({ mode: "default", place: byDefault }));
  await browser.close();
  const [page, worker] = runs;
  const problems = [];
  if (byDefault !== "worker") problems.push(`without ?sim= it ran in the ${byDefault}`);
  if (page.place !== "page") problems.push(`?sim=page ran in the ${page.place}`);
  if (worker.place !== "worker") problems.push(`?sim=worker ran in the ${worker.place}`);
  if (!/^[0-9a-f]{16}$/.test(page.digest || "")) problems.push(`no digest in the page's report`);
  if (page.digest !== worker.digest) problems.push(`digests differ: page ${page.digest}, worker ${worker.digest}`);
  if (page.hash !== worker.hash) problems.push(`links differ: page ${page.hash}, worker ${worker.hash}`);
  if (!page.hash.includes(`kill:${component}`)) problems.push(`the link lacks the kill: ${page.hash}`);
  if (problems.length) throw new Error(problems.join("; "));
  console.log(`ok: same digest ${page.digest} and link ${page.hash} in the page and in the worker`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
