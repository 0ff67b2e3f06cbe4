// Loads the built app from a static server's sub-folder in headless Chromium, once with its
// simulation in the web worker (the default) and once in the page (`?sim=page`), and waits in
// real time (up to 60 s each) for what a visitor sees first: the stage list and the diagram's
// web-0 server; checks that the views' wasm module was not fetched for that first screen; then
// opens the capacity panel (which must fetch the views' module), the editor and the
// challenges' list (the views' module, loaded on first use). Exits non-zero, naming what is missing, when any does not appear or
// the page shows a start-up error. Real time, not `--dump-dom`'s virtual time: under virtual time a
// worker's messages, and the page's fallback engine on its MessageChannel, may not answer
// before the budget runs out (it failed that way about one run in two).
// Usage: node scripts/check-static-hosting.js http://127.0.0.1:PORT/deep/app/
// PLAYWRIGHT_CORE: where playwright-core is, if not in .tools/node_modules.
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

const base = process.argv[2];
if (!base) {
  console.error("usage: node scripts/check-static-hosting.js URL");
  process.exit(2);
}

async function load(browser, query) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The views' module's files the page asked for, in order.
  const views = [];
  page.on("request", (r) => {
    if (r.url().includes("scalesim-views")) views.push(r.url());
  });
  await page.goto(`${base}${query}`);
  const problems = [];
  for (const [selector, what] of [
    ['nav[aria-label="Stages"]', 'the stage list (nav aria-label="Stages")'],
    ['[data-component="web-0"]', 'the diagram\'s web-0 server (data-component="web-0")'],
  ]) {
    try {
      await page.waitForSelector(selector, { timeout: 60000, state: "attached" });
    } catch (_) {
      problems.push(`${what} did not appear within 60 s`);
    }
  }
  // The first screen uses nothing of the views' module: it must not have been fetched (give a
  // late request a second to show).
  if (problems.length === 0) {
    await page.waitForTimeout(1000);
    if (views.length > 0) problems.push(`the first screen fetched the views' module: ${views.join(" ")}`);
  }
  // The capacity panel's body comes from the views' module (scalesim-views.js and its wasm,
  // loaded on first use: src/ui/views.rs): open it, wait for its form and the stage chart, and
  // check that opening it fetched the module's wasm.
  if (problems.length === 0) {
    try {
      await page.click('[data-action="limits-toggle"]');
      await page.waitForSelector('[data-action="find-limit"]', { timeout: 60000 });
      await page.waitForSelector('[data-stage-limit="1"] [data-users]', { timeout: 10000 });
    } catch (_) {
      const failed = await page.textContent("[data-views-failed]").catch(() => null);
      problems.push(`the capacity panel did not open within 60 s${failed ? `: ${failed}` : ""}`);
    }
    if (!views.some((u) => u.endsWith("scalesim-views_bg.wasm"))) {
      problems.push(`opening the capacity panel did not fetch scalesim-views_bg.wasm (asked: ${views.join(" ") || "nothing"})`);
    }
  }
  // The editor comes from the same module: open it and wait for its palette and a drawn node.
  if (problems.length === 0) {
    try {
      await page.click('[data-action="edit"]');
      await page.waitForSelector('[data-editor] [data-add="cache"]', { timeout: 60000 });
      await page.waitForSelector('[data-editor-drawing] [data-node="web"]', { timeout: 10000 });
    } catch (_) {
      const failed = await page.textContent("[data-views-failed]").catch(() => null);
      problems.push(`the editor did not open within 60 s${failed ? `: ${failed}` : ""}`);
    }
  }
  // The challenges' list comes from the same module.
  if (problems.length === 0) {
    try {
      await page.click('[data-action="challenges-toggle"]');
      await page.waitForSelector('[data-challenge="1"] button', { timeout: 30000 });
    } catch (_) {
      const failed = await page.textContent("[data-views-failed]").catch(() => null);
      problems.push(`the challenges' list did not open within 30 s${failed ? `: ${failed}` : ""}`);
    }
  }
  if ((await page.$("#scalesim-panic")) || (await page.content()).includes("could not start")) {
    problems.push("the page shows a start-up error");
  }
  const place = await page.getAttribute("[data-sim-place]", "data-sim-place").catch(() => null);
  await page.close();
  return { query: query || "(default)", place, problems, errors };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  let failed = false;
  for (const query of ["", "?sim=page"]) {
    const r = await load(browser, query);
    console.log(JSON.stringify(r));
    if (r.problems.length > 0) failed = true;
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
