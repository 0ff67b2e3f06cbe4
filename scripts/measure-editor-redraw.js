// Measures what the page spends per animation frame, with the editor closed and open, on a
// stage's architecture, in the built app in headless Chromium: each frame's callbacks and the
// render they cause. The figures arrive about 4 times a second; the frames that carry one are
// the slowest, and with the editor open they include its redraw when it redraws.
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/measure-editor-redraw.js http://127.0.0.1:8080/ [STAGE]
// PLAYWRIGHT_CORE: where playwright-core is, if not in .tools/node_modules.
// Prints one JSON line per view: frames timed over 10 s, their median, the median of the
// slowest 4 a second, and their p99, in ms.
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

// Runs in the page before the app: times every animation frame's callbacks and the
// microtasks they queued (Yew renders there), into window.__frameMs. The figures reach the
// page's state from the animation loop, so the frames that carry an update are the slow ones.
function timeFrames() {
  window.__frameMs = [];
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) =>
    raf((t) => {
      const t0 = performance.now();
      callback(t);
      queueMicrotask(() => queueMicrotask(() => window.__frameMs.push(performance.now() - t0)));
    });
}

// The frames' median and the median of the slowest frame in each quarter second (where a
// figures update lands: 4 a second), in ms.
const summary = (ms, seconds) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const top = s.slice(s.length - seconds * 4);
  return {
    frames: s.length,
    median_ms: +at(0.5).toFixed(2),
    slowest_4_per_s_median_ms: +top[Math.floor(top.length / 2)].toFixed(2),
    p99_ms: +at(0.99).toFixed(2),
  };
};

(async () => {
  const base = process.argv[2] || "http://127.0.0.1:8080/";
  const stage = process.argv[3] || "10";
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(timeFrames);
  const hash = stage === "11" ? "#v1.s11~traffic.users=200000" : `#v1.s${stage}`;
  await page.goto(base + hash);
  await page.waitForSelector("svg[data-diagram]");
  await page.selectOption('select[data-control="speed"]', "4");
  const sample = async (view) => {
    await page.waitForTimeout(1000);
    await page.evaluate(() => (window.__frameMs = []));
    await page.waitForTimeout(10000);
    const ms = await page.evaluate(() => window.__frameMs);
    console.log(JSON.stringify({ stage, view, ...summary(ms, 10) }));
  };
  await sample("editor closed");
  await page.click('[data-action="edit"]');
  await page.waitForSelector("[data-editor-drawing]");
  await sample("editor open");
  await page.click('[data-node="web"]');
  await page.waitForSelector('[data-members-of="web"] [data-member]');
  await sample("editor open, web pool open");
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
