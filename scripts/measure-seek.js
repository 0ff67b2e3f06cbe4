// Measures a seek back in the built app, in headless Chromium, in real time: opens a preset
// with a longer duration (default: preset 11, ten minutes), plays it to the end at the fastest
// speed (the app keeps checkpoints and records its figures as it plays), then moves the
// timeline back to a target (default 540 s) and times the seek from the slider's change:
// `shown_ms` until the target's figures are on screen (the recorded ones: the timeline says
// `data-recorded="true"` and the time shown is the target's; or, in a build without a
// recording, the engine's), `seek_ms` until the engine has arrived (no longer seeking, the
// target's time shown). Prints one JSON line: where the simulation ran, how long playing took,
// the checkpoints kept, both times in milliseconds, the load average.
// Asserts nothing (a measurement; docs/performance.md records the numbers).
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/measure-seek.js http://127.0.0.1:8080/ [PRESET] [DURATION_S] [TARGET_S]
// (`?sim=page` in the address runs the simulation in the page; the worker is the default.)
// PLAYWRIGHT_CORE: where playwright-core is, if not in .tools/node_modules.
const os = require("os");
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

const base = process.argv[2] || "http://127.0.0.1:8080/";
const preset = process.argv[3] || "11";
const duration = parseFloat(process.argv[4] || "600");
const target = parseFloat(process.argv[5] || "540");
// The speed menu's fastest option (src/ui/state.rs SPEEDS: 7 is 100x).
const FASTEST = "7";

const simTime = () => parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${base}#v1.s${preset}~duration_s=${duration}`);
  const ready = { state: "attached", timeout: 300_000 };
  await page.waitForSelector("[data-sim-place]", ready);
  await page.waitForSelector('[data-metric="sim_time_s"]', ready);
  const loadStart = os.loadavg()[0];
  const playStart = Date.now();
  await page.evaluate((speed) => {
    const s = document.querySelector('select[data-control="speed"]');
    s.value = speed;
    s.dispatchEvent(new Event("change", { bubbles: true }));
    const b = document.querySelector('[data-action="play"]');
    if (b.getAttribute("aria-pressed") !== "true") b.click();
  }, FASTEST);
  for (;;) {
    const t = await page.evaluate(simTime);
    if (t >= duration - 0.05) break;
    if (process.env.VERBOSE) console.error(`playing: ${t} s simulated after ${(Date.now() - playStart) / 1000} s`);
    await page.waitForTimeout(2000);
  }
  const playS = (Date.now() - playStart) / 1000;
  const checkpoints = await page.getAttribute("[data-timeline]", "data-checkpoints");
  const place = await page.getAttribute("[data-sim-place]", "data-sim-place");
  // Paused, so that the time shown after the seek stays at the target.
  await page.evaluate(() => {
    const b = document.querySelector('[data-action="play"]');
    if (b.getAttribute("aria-pressed") === "true") b.click();
  });
  await page.waitForTimeout(1000);
  // Watched on every animation frame from the slider's change on.
  const times = await page.evaluate(
    (t) =>
      new Promise((resolve) => {
        const input = document.querySelector('input[type=range][data-control="timeline"]');
        input.value = String(t);
        const start = performance.now();
        input.dispatchEvent(new Event("change", { bubbles: true }));
        let shown = null;
        const watch = () => {
          const timeline = document.querySelector("[data-timeline]");
          const atTarget =
            Math.abs(parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent) - t) < 0.05;
          const seeking = timeline.getAttribute("data-seeking") === "true";
          const recorded = timeline.getAttribute("data-recorded") === "true";
          const now = performance.now();
          if (shown === null && atTarget && (recorded || !seeking)) shown = now - start;
          if (atTarget && !seeking) resolve({ shown, arrived: now - start });
          else requestAnimationFrame(watch);
        };
        requestAnimationFrame(watch);
      }),
    target,
  );
  console.log(JSON.stringify({
    preset: Number(preset),
    duration_s: duration,
    target_s: target,
    place,
    play_wall_s: Math.round(playS * 10) / 10,
    checkpoints: Number(checkpoints),
    shown_ms: Math.round(times.shown),
    seek_ms: Math.round(times.arrived),
    load_average: [Math.round(loadStart * 10) / 10, Math.round(os.loadavg()[0] * 10) / 10],
  }));
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
