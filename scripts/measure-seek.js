// Measures seeks in the built app, in headless Chromium, in real time: opens a preset with a
// longer duration (default: preset 11, ten minutes), plays it to the end (or to PLAY_TO_S) at
// the fastest speed (the app keeps checkpoints and records its figures as it plays), then
// moves the timeline to each target in turn and times each seek from the slider's change:
// `shown_ms` until the target's figures are on screen (the recorded ones: the timeline says
// `data-recorded="true"` and the time shown is the target's; or, in a build without a
// recording or past it, the engine's), `seek_ms` until the engine has arrived (no longer
// seeking). A target is `T` (the seek made with play paused: the engine arrives at T) or
// `T@SPEED` (made while playing at SPEED, one of the speed menu's 0.02 … 100: the time shown
// may move on from T while the engine catches up). Prints one JSON line per seek: where the
// simulation ran, how long playing took, the checkpoints kept, the times in milliseconds, the
// load average, and:
// - `dots_at_arrival`: painted pixels of the requests' canvas (every 16th) in the animation
//   frame the engine arrived in (0: no dots drawn);
// - `recorded_frames`: animation frames that showed recorded figures;
// - with `@SPEED`: `plays_on_ms` (the time shown half a simulated second past the target: the
//   page plays on), `arrived_at_s` (the time shown when the engine arrived) and `back_steps_s`
//   (the largest step back of the time shown from the target's figures on; 0: only forward).
// A seek that has not arrived after 180 s gives `seek_ms: null`.
// Asserts nothing (a measurement; docs/performance.md records the numbers).
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/measure-seek.js http://127.0.0.1:8080/ [PRESET] [DURATION_S] [TARGETS]
//        TARGETS: comma-separated, e.g. 540 (the default) or 540,300@5,300@100
// (`?sim=page` in the address runs the simulation in the page; the worker is the default.)
// PLAYWRIGHT_CORE: where playwright-core is, if not in .tools/node_modules.
// PLAY_TO_S: play only this far before seeking (a target past it seeks forward, unrecorded).
// TRACE=1: records a Chromium trace of each seek (from the slider's change to the engine's
// arrival; tracing slows the page a little, so time seeks without it) and adds `trace`: for
// the page's main thread and the worker's thread, the share of the seek each was busy running
// tasks, their tasks' count and longest, the worker's idle gaps between tasks (in all, and
// those over 5 ms), the animation frames the page fired, the CPU time of the busiest threads
// (every process's, by name: the worker's against the page's drawing), and what took the main
// thread's time.
const os = require("os");
const path = require("path");
const root = path.join(__dirname, "..");
const { chromium } = require(
  process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/node_modules/playwright-core"),
);

const base = process.argv[2] || "http://127.0.0.1:8080/";
const preset = process.argv[3] || "11";
const duration = parseFloat(process.argv[4] || "600");
const playTo = parseFloat(process.env.PLAY_TO_S || String(duration));
// The speed menu (src/ui/state.rs SPEEDS); an option's value is its index.
const SPEEDS = [0.02, 0.05, 0.1, 0.2, 1, 5, 20, 100];
const FASTEST = "7";
const targets = (process.argv[5] || "540").split(",").map((spec) => {
  const [t, speed] = spec.split("@");
  const s = speed === undefined ? null : parseFloat(speed);
  if (s !== null && !SPEEDS.includes(s)) {
    console.error(`a speed must be one of ${SPEEDS.join(", ")}: ${spec}`);
    process.exit(2);
  }
  return { target: parseFloat(t), speed: s };
});

// Summarises a Chromium trace (the JSON of browser.stopTracing): per thread, the top-level
// tasks over the span of the trace.
const summariseTrace = (buffer) => {
  const events = JSON.parse(buffer.toString()).traceEvents || [];
  const names = new Map();
  for (const e of events)
    if (e.ph === "M" && e.name === "thread_name") names.set(`${e.pid}:${e.tid}`, e.args.name);
  const tasks = new Map();
  const byName = new Map();
  let first = Infinity;
  let last = -Infinity;
  let animationFrames = 0;
  // CPU time (`tdur`) of each thread's outermost tasks, by thread name (all processes).
  const cpu = new Map();
  const outerEnd = new Map();
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    if (e.ph !== "X" || typeof e.tdur !== "number") continue;
    if (e.name !== "RunTask" && e.name !== "ThreadControllerImpl::RunTask") continue;
    const key = `${e.pid}:${e.tid}`;
    if ((outerEnd.get(key) || -Infinity) > e.ts) continue;
    outerEnd.set(key, e.ts + e.dur);
    const name = (names.get(key) || "?").replace(/[0-9]+$/, "");
    cpu.set(name, (cpu.get(name) || 0) + e.tdur);
  }
  for (const e of events) {
    if (e.ph !== "X" || typeof e.dur !== "number") continue;
    const thread = names.get(`${e.pid}:${e.tid}`) || "";
    const main = thread === "CrRendererMain";
    const worker = thread.startsWith("DedicatedWorker");
    if (!main && !worker) continue;
    if (e.name === "FireAnimationFrame" && main) animationFrames++;
    if (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") {
      const key = main ? "main" : "worker";
      if (!tasks.has(key)) tasks.set(key, []);
      tasks.get(key).push([e.ts, e.dur]);
      first = Math.min(first, e.ts);
      last = Math.max(last, e.ts + e.dur);
    } else if (main && e.cat.includes("devtools.timeline")) {
      byName.set(e.name, (byName.get(e.name) || 0) + e.dur);
    }
  }
  const span = Math.max(1, last - first);
  const ms = (us) => Math.round(us / 100) / 10;
  const out = { span_ms: ms(span), animation_frames: animationFrames };
  for (const [key, list] of tasks) {
    list.sort((a, b) => a[0] - b[0]);
    let busy = 0;
    let longest = 0;
    let idle = 0;
    let longGaps = 0;
    let longGapMs = 0;
    let end = null;
    for (const [ts, dur] of list) {
      // Tasks nest (a RunTask inside another thread controller's): count their union.
      busy += Math.max(0, ts + dur - (end === null ? ts : Math.max(ts, end)));
      longest = Math.max(longest, dur);
      if (end !== null && ts > end) {
        idle += ts - end;
        if (ts - end > 5000) {
          longGaps++;
          longGapMs += ts - end;
        }
      }
      end = end === null ? ts + dur : Math.max(end, ts + dur);
    }
    out[key] = {
      busy_share: Math.round((busy / span) * 1000) / 1000,
      tasks: list.length,
      longest_ms: ms(longest),
      ...(key === "worker" ? { idle_ms: ms(idle), gaps_over_5ms: longGaps, in_them_ms: ms(longGapMs) } : {}),
    };
  }
  out.cpu_ms_by_thread = Object.fromEntries(
    [...cpu].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, d]) => [n, ms(d)]),
  );
  out.main_time_ms = Object.fromEntries(
    [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, d]) => [n, ms(d)]),
  );
  return out;
};
const TRACE_CATEGORIES = ["-*", "toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline"];

const simTime = () => parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent);

// Sets the speed (an index of SPEEDS, or null to leave it) and play on or off.
const setPlay = async (page, playing, speedIndex) =>
  page.evaluate(
    ([on, speed]) => {
      if (speed !== null) {
        const s = document.querySelector('select[data-control="speed"]');
        s.value = speed;
        s.dispatchEvent(new Event("change", { bubbles: true }));
      }
      const b = document.querySelector('[data-action="play"]');
      if ((b.getAttribute("aria-pressed") === "true") !== on) b.click();
    },
    [playing, speedIndex],
  );

// One seek, watched on every animation frame from the slider's change on.
const seek = (page, target, speed) =>
  page.evaluate(
    ([t, speed]) =>
      new Promise((resolve) => {
        const input = document.querySelector('input[type=range][data-control="timeline"]');
        const painted = () => {
          const canvas = document.querySelector("canvas[aria-hidden]");
          if (!canvas || !canvas.width) return 0;
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let y = 0; y < canvas.height; y += 4)
            for (let x = 0; x < canvas.width; x += 4) if (data[(y * canvas.width + x) * 4 + 3]) n++;
          return n;
        };
        input.value = String(t);
        const start = performance.now();
        input.dispatchEvent(new Event("change", { bubbles: true }));
        let shown = null;
        let playsOn = null;
        let last = null;
        let back = 0;
        let recordedFrames = 0;
        const trace = [];
        const watch = () => {
          const timeline = document.querySelector("[data-timeline]");
          const time = parseFloat(document.querySelector('[data-metric="sim_time_s"]').textContent);
          const atTarget = Math.abs(time - t) < 0.05;
          // Playing on, the time shown may be past the target in the first frame that shows
          // the seek: by up to a frame's worth (50 ms) of play.
          const nearTarget = time >= t - 0.05 && time <= t + 0.05 + (speed || 0) * 0.05;
          const seeking = timeline.getAttribute("data-seeking") === "true";
          const recorded = timeline.getAttribute("data-recorded") === "true";
          const now = performance.now();
          if (recorded) recordedFrames++;
          if (trace.length === 0 || now - start - trace[trace.length - 1][0] >= 1000) {
            const progress = document.querySelector("[data-seek-progress]");
            trace.push([Math.round(now - start), time, progress ? progress.textContent : null]);
          }
          if (shown === null && nearTarget && (recorded || !seeking)) shown = now - start;
          if (shown !== null) {
            if (last !== null) back = Math.max(back, last - time);
            last = time;
            if (playsOn === null && time >= t + 0.45) playsOn = now - start;
          }
          const arrived = shown !== null && !seeking && (speed !== null ? time >= t - 0.05 : atTarget);
          if (arrived || now - start > 180_000) {
            resolve({
              shown,
              playsOn,
              arrived: arrived ? now - start : null,
              arrivedAt: time,
              back,
              recordedFrames,
              dots: painted(),
              trace,
            });
          } else requestAnimationFrame(watch);
        };
        requestAnimationFrame(watch);
      }),
    [target, speed],
  );

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
  await setPlay(page, true, FASTEST);
  for (;;) {
    const t = await page.evaluate(simTime);
    if (t >= playTo - 0.05) break;
    if (process.env.VERBOSE) console.error(`playing: ${t} s simulated after ${(Date.now() - playStart) / 1000} s`);
    await page.waitForTimeout(playTo - t > 100 ? 2000 : 100);
  }
  const playS = (Date.now() - playStart) / 1000;
  const place = await page.getAttribute("[data-sim-place]", "data-sim-place");
  const round = (x) => (x === null ? null : Math.round(x));
  for (const { target, speed } of targets) {
    // Paused, so that the time shown after the seek stays at the target; or playing at the
    // speed asked for.
    await setPlay(page, speed !== null, speed === null ? null : String(SPEEDS.indexOf(speed)));
    await page.waitForTimeout(1000);
    const checkpoints = await page.getAttribute("[data-timeline]", "data-checkpoints");
    const reached = await page.evaluate(simTime);
    const load = os.loadavg()[0];
    if (process.env.TRACE) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    const times = await seek(page, target, speed);
    const trace = process.env.TRACE ? summariseTrace(await browser.stopTracing()) : null;
    // VERBOSE: the time shown and the timeline's seek notice about once a second.
    if (process.env.VERBOSE) for (const row of times.trace) console.error(JSON.stringify(row));
    console.log(JSON.stringify({
      preset: Number(preset),
      duration_s: duration,
      from_s: reached,
      target_s: target,
      play_speed: speed,
      place,
      play_wall_s: Math.round(playS * 10) / 10,
      checkpoints: Number(checkpoints),
      shown_ms: round(times.shown),
      ...(speed === null ? {} : { plays_on_ms: round(times.playsOn) }),
      seek_ms: round(times.arrived),
      ...(speed === null
        ? {}
        : { arrived_at_s: times.arrivedAt, back_steps_s: Math.round(times.back * 100) / 100 }),
      recorded_frames: times.recordedFrames,
      dots_at_arrival: times.dots,
      load_average: [Math.round(loadStart * 10) / 10, Math.round(load * 10) / 10, Math.round(os.loadavg()[0] * 10) / 10],
      ...(trace ? { trace } : {}),
    }));
    await page.waitForTimeout(1000);
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
