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
  // The engine's wasm writes the link (through the port, in the page too): the address holds
  // it once the notice says it was copied.
  await page.waitForFunction(
    () => /Link copied|Copy this link/.test(document.querySelector("[data-notice]")?.textContent || ""),
    null,
    { timeout: 30000, polling: 50 },
  );
  const hash = await page.evaluate(() => location.hash);
  const failed = await page.textContent('[data-metric="requests_failed"]');
  await page.close();
  return { mode, place, digest: report.digest, hash, requests_failed: failed };
}

// Opens links and files where the engine reads them (the worker's wasm, in the worker or in
// the page): while the engine's wasm is held back 3 s, a link naming stage 11 shows stage 11's
// diagram and keeps the address; then the link's own scenario runs. A bad link says why and
// shows stage 1; a scenario file opens, a broken one says why and changes nothing.
async function opening(browser, mode) {
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page.on("pageerror", (e) => console.error(`page error (${mode}):`, e.message));
  let released = false;
  await page.route(/scalesim-worker[^/]*_bg\.wasm$/, async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    released = true;
    await route.continue();
  });
  const link = "v1.s11~traffic.users=200000~t=2";
  await page.goto(`${base}?sim=${mode}#${link}`);
  await page.waitForSelector("svg[data-diagram]");
  const current = () =>
    page.evaluate(() => document.querySelector('[aria-current="step"]')?.getAttribute("data-stage"));
  const early = { stage: await current(), hash: await page.evaluate(() => location.hash), released };
  if (early.released) problems.push("the engine's wasm came before the first diagram could be checked");
  if (early.stage !== "11") problems.push(`while the link is read, stage ${early.stage} shows, not 11`);
  if (early.hash !== `#${link}`) problems.push(`while the link is read, the address became ${early.hash}`);
  await page.waitForFunction(
    () => document.querySelector('[data-value="users"]')?.textContent.trim() === "200,000",
    null, { timeout: 60000, polling: 100 },
  ).catch(() => problems.push("the link's users (200,000) never showed"));
  await page.unroute(/scalesim-worker[^/]*_bg\.wasm$/);
  // A bad link (a new document: `&n=2`): the default and a notice, as text.
  await page.goto(`${base}?sim=${mode}&n=2#v1.s3~<b>x</b>~traffic.users=banana`);
  await page.waitForSelector("[data-notice]", { timeout: 60000 }).catch(() => {});
  const notice = (await page.textContent("[data-notice]").catch(() => "")) || "";
  if (!notice.includes("This link could not be opened")) problems.push(`bad link's notice: ${notice}`);
  if ((await current()) !== "1") problems.push(`after a bad link stage ${await current()} shows, not 1`);
  // A file (stage 2's, as "Save scenario" writes it, opened on stage 1), then a broken one.
  await page.click('button[data-stage="2"]');
  await page.waitForSelector('button[data-stage="2"][aria-current="step"]');
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-action="save-scenario"]'),
  ]);
  const saved = fs.readFileSync(await download.path());
  await page.click('button[data-stage="1"]');
  await page.waitForSelector('button[data-stage="1"][aria-current="step"]');
  await page.setInputFiles('input[data-control="load-scenario"]', {
    name: "stage2.json", mimeType: "application/json", buffer: saved,
  });
  await page.waitForFunction(
    () => (document.querySelector("[data-notice]")?.textContent || "").includes("Opened"),
    null, { timeout: 60000, polling: 100 },
  ).catch(async () => problems.push(`a file did not open: ${await page.textContent("[data-notice]").catch(() => "")}`));
  if ((await current()) !== "2") problems.push(`after the file stage ${await current()} shows, not 2`);
  await page.setInputFiles('input[data-control="load-scenario"]', {
    name: "bad.json", mimeType: "application/json", buffer: Buffer.from("{\"version\": 1, <b>"),
  });
  await page.waitForFunction(
    () => (document.querySelector("[data-notice]")?.textContent || "").includes("'bad.json' could not be opened"),
    null, { timeout: 60000, polling: 100 },
  ).catch(async () => problems.push(`a broken file: ${await page.textContent("[data-notice]").catch(() => "")}`));
  if ((await current()) !== "2") problems.push("a broken file changed the scenario");
  await page.close();
  return problems.map((p) => `${mode}: ${p}`);
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
  const [page, worker] = runs;
  const problems = [];
  for (const mode of ["page", "worker"]) problems.push(...(await opening(browser, mode)));
  console.log(JSON.stringify({ opening: problems.length ? problems : "ok" }));
  if (byDefault !== "worker") problems.push(`without ?sim= it ran in the ${byDefault}`);
  if (page.place !== "page") problems.push(`?sim=page ran in the ${page.place}`);
  if (worker.place !== "worker") problems.push(`?sim=worker ran in the ${worker.place}`);
  if (!/^[0-9a-f]{16}$/.test(page.digest || "")) problems.push(`no digest in the page's report`);
  if (page.digest !== worker.digest) problems.push(`digests differ: page ${page.digest}, worker ${worker.digest}`);
  if (page.hash !== worker.hash) problems.push(`links differ: page ${page.hash}, worker ${worker.hash}`);
  if (!page.hash.includes(`kill:${component}`)) problems.push(`the link lacks the kill: ${page.hash}`);
  await browser.close();
  if (problems.length) throw new Error(problems.join("; "));
  console.log(`ok: links and files read by the engine, with the page's stand-in meanwhile`);
  console.log(`ok: same digest ${page.digest} and link ${page.hash} in the page and in the worker`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
