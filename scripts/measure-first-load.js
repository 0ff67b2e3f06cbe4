// Measures the first load of the built app on a slow link, served compressed as static hosts
// do: scripts/serve-compressed.js serves each DIST (gzip level 9 unless ENCODING=br), and
// headless Chromium loads it with the network throttled (DOWN_KBIT kbit/s down, LATENCY_MS
// round trip) and the CPU slowed down CPU_RATE times (DevTools protocol emulation).
//
// Usage: trunk build --release && node scripts/measure-first-load.js [DIST[,DIST2...]] [RUNS]
//   env: DOWN_KBIT (1600), UP_KBIT (750), LATENCY_MS (150), CPU_RATE (4), ENCODING (gzip; br
//        for brotli), FRAGMENT (none; a link to open, such as v1.s4~traffic.users=8000)
// Several dists (comma-separated) are measured interleaved: run 1 of each, then run 2 of each…
// Prints per run, in ms since navigation as a MutationObserver in the page saw them: first
// contentful paint (the static stage-1 diagram in index.html), the app up (its stage list is
// in the page: the app's wasm has run), the app's own diagram ([data-diagram]: the page lays
// it out from the scenario; before, the engine in the worker did), and the engine's first
// figures (`data-sim-place` no longer "starting"); and the bytes sent (compressed) per file;
// then the medians per dist.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(path.join(
  process.env.NODE_PATH || path.join(root, ".tools/node_modules"),
  "playwright-core",
));
const { createServer } = require("./serve-compressed");

const dists = (process.argv[2] || path.join(root, "dist")).split(",").map((d) => path.resolve(d));
const runs = parseInt(process.argv[3] || "3", 10);
const downKbit = parseFloat(process.env.DOWN_KBIT || "1600");
const upKbit = parseFloat(process.env.UP_KBIT || "750");
const latencyMs = parseFloat(process.env.LATENCY_MS || "150");
const cpuRate = parseFloat(process.env.CPU_RATE || "4");
const encoding = process.env.ENCODING || "gzip";
const fragment = process.env.FRAGMENT ? `#${process.env.FRAGMENT}` : "";

// Counts the bytes sent per file (of the dist being loaded).
const sent = new Map();
const servers = dists.map((dist) =>
  createServer(dist, {
    encoding,
    onSent: (rel, bytes) => sent.set(rel, (sent.get(rel) || 0) + bytes),
  }),
);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// Runs in the page before its own scripts: notes when each milestone first appears.
const watch = () => {
  const seen = {};
  window.__firstLoad = seen;
  const check = () => {
    const now = performance.now();
    if (seen.up === undefined && document.querySelector('nav[aria-label="Stages"]')) seen.up = now;
    if (seen.diagram === undefined && document.querySelector("[data-diagram]")) seen.diagram = now;
    const place = document.querySelector("[data-sim-place]");
    if (seen.figures === undefined && place && place.getAttribute("data-sim-place") !== "starting") {
      seen.figures = now;
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
};

const s = (ms) => (ms / 1000).toFixed(2);

(async () => {
  for (const dist of dists) {
    if (!fs.existsSync(path.join(dist, "index.html"))) {
      console.error(`no ${dist}/index.html: run 'trunk build --release' first`);
      process.exit(2);
    }
  }
  for (const server of servers) {
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  console.log(
    `${downKbit} kbit/s down, ${upKbit} up, ${latencyMs} ms, CPU ${cpuRate}x slower, ${encoding === "br" ? "brotli 11" : "gzip -9"}`,
  );
  const results = dists.map(() => ({ fcp: [], up: [], diagram: [], figures: [] }));
  for (let i = 0; i < runs; i++) {
    for (let d = 0; d < dists.length; d++) {
      sent.clear();
      const base = `http://127.0.0.1:${servers[d].address().port}/`;
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(watch);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: latencyMs,
        downloadThroughput: (downKbit * 1000) / 8,
        uploadThroughput: (upKbit * 1000) / 8,
      });
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpuRate });
      await page.goto(base + fragment, { waitUntil: "commit", timeout: 120000 });
      await page.waitForFunction(
        () => window.__firstLoad && window.__firstLoad.diagram !== undefined && window.__firstLoad.figures !== undefined,
        null,
        { timeout: 180000, polling: 100 },
      );
      const t = await page.evaluate(() => ({
        ...window.__firstLoad,
        fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
      }));
      for (const k of Object.keys(results[d])) results[d][k].push(t[k]);
      const files = [...sent.entries()].map(([f, b]) => `${f} ${b}`).join(", ");
      console.log(
        `${dists[d]} run ${i + 1}: first contentful paint ${s(t.fcp)} s, app up ${s(t.up)} s, app's diagram ${s(t.diagram)} s, engine's figures ${s(t.figures)} s; sent ${files}`,
      );
      await context.close();
    }
  }
  dists.forEach((dist, d) => {
    const r = results[d];
    console.log(
      `${dist} median of ${runs}: first contentful paint ${s(median(r.fcp))} s, app up ${s(median(r.up))} s, app's diagram ${s(median(r.diagram))} s, engine's figures ${s(median(r.figures))} s`,
    );
  });
  await browser.close();
  for (const server of servers) server.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
