// Measures the first load of the built app on a slow link, served compressed as static hosts
// do: a gzip-compressing static server (Node's http + zlib, in this file) serves DIST, and
// headless Chromium loads it with the network throttled (DOWN_KBIT kbit/s down, LATENCY_MS
// round trip) and the CPU slowed down CPU_RATE times (DevTools protocol emulation).
//
// Usage: trunk build --release && node scripts/measure-first-load.js [DIST] [RUNS]
//   env: DOWN_KBIT (1600), UP_KBIT (750), LATENCY_MS (150), CPU_RATE (4), PORT (random)
// Prints per run: first contentful paint (the static stage-1 diagram in index.html), the
// moment the app's own diagram ([data-diagram]) is in the page, and the bytes sent (gzipped)
// per file; then the medians.
const http = require("http");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const root = path.join(__dirname, "..");
const { chromium } = require(path.join(
  process.env.NODE_PATH || path.join(root, ".tools/node_modules"),
  "playwright-core",
));

const dist = path.resolve(process.argv[2] || path.join(root, "dist"));
const runs = parseInt(process.argv[3] || "3", 10);
const downKbit = parseFloat(process.env.DOWN_KBIT || "1600");
const upKbit = parseFloat(process.env.UP_KBIT || "750");
const latencyMs = parseFloat(process.env.LATENCY_MS || "150");
const cpuRate = parseFloat(process.env.CPU_RATE || "4");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

// Gzip (level 9) every response, as static hosts do; counts the bytes sent per file.
const sent = new Map();
const gzCache = new Map();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const rel = url.pathname === "/" ? "/index.html" : decodeURIComponent(url.pathname);
  const file = path.join(dist, path.normalize(rel));
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404);
    res.end();
    return;
  }
  let body = gzCache.get(file);
  if (!body) {
    body = zlib.gzipSync(fs.readFileSync(file), { level: 9 });
    gzCache.set(file, body);
  }
  sent.set(rel, (sent.get(rel) || 0) + body.length);
  res.writeHead(200, {
    "content-type": types[path.extname(file)] || "application/octet-stream",
    "content-encoding": "gzip",
    "cache-control": "no-store",
  });
  res.end(body);
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
    `${dist}: ${downKbit} kbit/s down, ${upKbit} up, ${latencyMs} ms, CPU ${cpuRate}x slower, gzip -9`,
  );
  const fcps = [];
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
    await page.waitForSelector("[data-diagram]", { timeout: 180000 });
    const t = await page.evaluate(() => ({
      app: performance.now(),
      fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
    }));
    fcps.push(t.fcp);
    apps.push(t.app);
    const files = [...sent.entries()].map(([f, b]) => `${f} ${b}`).join(", ");
    console.log(
      `run ${i + 1}: first contentful paint ${(t.fcp / 1000).toFixed(2)} s, app's diagram by ${(t.app / 1000).toFixed(2)} s; sent ${files}`,
    );
    await context.close();
  }
  console.log(
    `median of ${runs}: first contentful paint ${(median(fcps) / 1000).toFixed(2)} s, app's diagram by ${(median(apps) / 1000).toFixed(2)} s`,
  );
  await browser.close();
  server.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
