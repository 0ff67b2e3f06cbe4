// Measures the first load of the built app on a slow link, served compressed as static hosts
// do: scripts/serve-compressed.js serves DIST (gzip level 9 unless ENCODING=br), and headless
// Chromium loads it with the network throttled (DOWN_KBIT kbit/s down, LATENCY_MS round trip)
// and the CPU slowed down CPU_RATE times (DevTools protocol emulation).
//
// Usage: trunk build --release && node scripts/measure-first-load.js [DIST] [RUNS]
//   env: DOWN_KBIT (1600), UP_KBIT (750), LATENCY_MS (150), CPU_RATE (4), PORT (random),
//        ENCODING (gzip; br for brotli)
// Prints per run: first contentful paint (the static stage-1 diagram in index.html), the
// moment the app is up (its stage list is in the page: the app's wasm has run), the moment
// the app's own diagram ([data-diagram], laid out by the engine in the worker) is in the
// page, and the bytes sent (compressed) per file; then the medians.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(path.join(
  process.env.NODE_PATH || path.join(root, ".tools/node_modules"),
  "playwright-core",
));
const { createServer } = require("./serve-compressed");

const dist = path.resolve(process.argv[2] || path.join(root, "dist"));
const runs = parseInt(process.argv[3] || "3", 10);
const downKbit = parseFloat(process.env.DOWN_KBIT || "1600");
const upKbit = parseFloat(process.env.UP_KBIT || "750");
const latencyMs = parseFloat(process.env.LATENCY_MS || "150");
const cpuRate = parseFloat(process.env.CPU_RATE || "4");
const encoding = process.env.ENCODING || "gzip";

// Counts the bytes sent per file.
const sent = new Map();
const server = createServer(dist, {
  encoding,
  onSent: (rel, bytes) => sent.set(rel, (sent.get(rel) || 0) + bytes),
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

(async () => {
  if (!fs.existsSync(path.join(dist, "index.html"))) {
    console.error(`no ${dist}/index.html: run 'trunk build --release' first`);
    process.exit(2);
  }
  await new Promise((r) => server.listen(parseInt(process.env.PORT || "0", 10), "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  console.log(
    `${dist}: ${downKbit} kbit/s down, ${upKbit} up, ${latencyMs} ms, CPU ${cpuRate}x slower, ${encoding === "br" ? "brotli 11" : "gzip -9"}`,
  );
  const fcps = [];
  const ups = [];
  const apps = [];
  for (let i = 0; i < runs; i++) {
    sent.clear();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
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
    await page.goto(base, { waitUntil: "commit", timeout: 120000 });
    await page.waitForSelector('nav[aria-label="Stages"]', { timeout: 180000 });
    const up = await page.evaluate(() => performance.now());
    await page.waitForSelector("[data-diagram]", { timeout: 180000 });
    const t = await page.evaluate(() => ({
      app: performance.now(),
      fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
    }));
    fcps.push(t.fcp);
    ups.push(up);
    apps.push(t.app);
    const files = [...sent.entries()].map(([f, b]) => `${f} ${b}`).join(", ");
    console.log(
      `run ${i + 1}: first contentful paint ${(t.fcp / 1000).toFixed(2)} s, app up by ${(up / 1000).toFixed(2)} s, app's diagram by ${(t.app / 1000).toFixed(2)} s; sent ${files}`,
    );
    await context.close();
  }
  console.log(
    `median of ${runs}: first contentful paint ${(median(fcps) / 1000).toFixed(2)} s, app up by ${(median(ups) / 1000).toFixed(2)} s, app's diagram by ${(median(apps) / 1000).toFixed(2)} s`,
  );
  await browser.close();
  server.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
