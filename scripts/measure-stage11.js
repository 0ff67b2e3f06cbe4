// Measures the built app on stage 11 in headless Chromium, in real time (no virtual clock),
// over the DevTools protocol (no npm package needed; Node 20 with --experimental-websocket).
// Usage: trunk build --release && (serve dist/ on some address) &&
//   node --experimental-websocket scripts/measure-stage11.js http://127.0.0.1:8123/ [fragment] [seconds] [screenshot.png]
// (http://127.0.0.1:8123/?sim=worker or ?sim=page chooses where the simulation runs; the
// summary says where it ran.)
// Plays at 1x (SPEED=5 for 5x: an index into the speed menu), waits WARMUP_S seconds (default
// 5), then measures for `seconds` (default 20): prints once per second the simulated time, the
// app's sim-speed and fps figures and that second's requestAnimationFrame intervals, then a
// summary over the whole window — median, p95, mean and max frame interval, the simulation
// speed (simulated s per wall s), the load average — and whether the target is met (median
// <= 16.7 ms, p95 <= 25 ms, faster than real time; at 1x the simulation can at most keep up,
// so that needs SPEED=5); SUMMARY_JSON=<file> writes the summary there too. Then, if asked, a
// full-page screenshot (SELECT=<component> opens it in the inspector first).
// PROFILE=<file.cpuprofile>: V8's sampling profiler runs in every worker of the page over the
// window (PROFILE_INTERVAL_US apart, default 200); the profile goes to that file (open it in
// Chromium's DevTools) and the summary gets `profile`: per worker, the sampled time by
// function — self time (the function itself) and total time (the function and what it called,
// each sample counted once per function), the 25 largest of each — and the shares of the
// special nodes: (idle) (the worker waited for a message), (garbage collector), (program)
// (V8's own work outside any function). Function names need a worker's wasm that kept its
// name section (wasm-opt without --strip-debug); without them wasm functions show as
// wasm-function[N]. Profiling costs the worker a few percent: time runs without it.
// The summary's `worker_cpu` (Linux): the CPU time the browser's worker threads
// (`DedicatedWorker…`, read from /proc) got over the window, as a share of the window, and the
// simulated seconds per second of it — on a loaded machine the share says how much of a core
// the worker got, and the ratio is the worker's speed were it given a whole core.
const fs = require("fs");
const os = require("os");
const { sleep, launch, openApp, SPEEDS, metric, summariseProfile, workerCpuS } = require("./cdp");

const base = process.argv[2] || "http://127.0.0.1:8123/";
const fragment = process.argv[3] || "v1.s11";
const seconds = parseInt(process.argv[4] || "20", 10);
const shot = process.argv[5];
// The speed menu's option: 4 is 1x (5 is 5x, 6 is 20x; src/ui/state.rs SPEEDS).
const speedIndex = parseInt(process.env.SPEED || "4", 10);
const chosen = SPEEDS[speedIndex];

(async () => {
  const width = parseInt(process.env.WIDTH || "1400", 10);
  const browser = await launch({ width });
  const { send, on, evaluate } = browser;
  // The worker's frames (an ArrayBuffer each, src/ui/wire.rs): their count and bytes, counted
  // by a second listener on every worker the page starts.
  await send("Page.enable");
  await send("Page.addScriptToEvaluateOnNewDocument", { source: `(() => {
    const W = window.Worker; window.__wire = { frames: 0, bytes: 0, max: 0 };
    window.Worker = class extends W { constructor(...a) { super(...a);
      this.addEventListener("message", (e) => { if (e.data instanceof ArrayBuffer) {
        const w = window.__wire; w.frames++; w.bytes += e.data.byteLength;
        w.max = Math.max(w.max, e.data.byteLength); } }); } };
  })()` });
  await openApp(browser, base + "#" + fragment, speedIndex);
  const warmupS = parseFloat(process.env.WARMUP_S || "5");
  // The page's workers, attached in flat mode (their sessions are addressed on this socket).
  const workers = [];
  if (process.env.PROFILE) {
    on("Target.attachedToTarget", (p) => {
      if (p.targetInfo.type === "worker") workers.push({ session: p.sessionId, url: p.targetInfo.url });
    });
    await send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  }
  await sleep(warmupS * 1000);
  for (const w of workers) {
    await send("Profiler.enable", {}, w.session);
    await send("Profiler.setSamplingInterval", { interval: parseInt(process.env.PROFILE_INTERVAL_US || "200", 10) }, w.session);
    await send("Profiler.start", {}, w.session);
  }
  // One collector in the page for the whole window, so no frame falls between two evaluations.
  const clock = `({ sim: ${metric("sim_time_s")}, wall: performance.now() })`;
  const start = await evaluate(`(() => { window.__frames = []; const f = window.__frames;
    const tick = (now) => { f.push(now); if (!window.__stopFrames) requestAnimationFrame(tick); };
    window.__stopFrames = false; requestAnimationFrame(tick); return ${clock}; })()`);
  const loadStart = os.loadavg();
  const cpuStart = workerCpuS(browser.chrome.pid);
  const stats = (dts) => {
    const sorted = [...dts].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] || 0;
    const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
    return { n: sorted.length, median: at(0.5), p95: at(0.95), mean, max: sorted[sorted.length - 1] || 0 };
  };
  const intervals = (frames) => frames.slice(1).map((x, i) => x - frames[i]);
  const perSecond = [];
  let seen = 0;
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    const now = await evaluate(`({ frames: window.__frames.length, line: [${metric("sim_time_s")}, ${metric("sim_speed")}, ${metric("fps")}, ${metric("requests_total")}, ${metric("requests_failed")}] })`);
    const frames = await evaluate(`window.__frames.slice(${Math.max(0, seen - 1)}, ${now.frames})`);
    seen = now.frames;
    const st = stats(intervals(frames));
    perSecond.push({ speed: now.line[1], fps: now.line[2] });
    console.log(`t=${s + 1}s sim_time/speed/fps/requests/failed: ${now.line.join(" ")} | frame ms median ${st.median.toFixed(1)} p95 ${st.p95.toFixed(1)} max ${st.max.toFixed(1)}`);
  }
  const end = await evaluate(`(() => { window.__stopFrames = true; return ${clock}; })()`);
  const loadEnd = os.loadavg();
  const cpuEnd = workerCpuS(browser.chrome.pid);
  const profiles = [];
  for (const w of workers) {
    const r = await send("Profiler.stop", {}, w.session);
    if (r.result && r.result.profile) profiles.push({ url: w.url, profile: r.result.profile });
  }
  const frames = await evaluate("window.__frames");
  const st = stats(intervals(frames));
  const wallS = (end.wall - start.wall) / 1000;
  const simSpeed = (end.sim - start.sim) / wallS;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    fragment, warmup_s: warmupS, window_wall_s: +wallS.toFixed(2), frames: st.n,
    frame_ms_median: +st.median.toFixed(2), frame_ms_p95: +st.p95.toFixed(2),
    frame_ms_mean: +st.mean.toFixed(2), frame_ms_max: +st.max.toFixed(2),
    fps: +(st.n / wallS).toFixed(1),
    sim_s: +(end.sim - start.sim).toFixed(2), sim_speed: +simSpeed.toFixed(3),
    app_sim_speed_median: median(perSecond.map((p) => p.speed)),
    app_fps_median: median(perSecond.map((p) => p.fps)),
    load_average_start: loadStart.map((x) => +x.toFixed(2)),
    load_average_end: loadEnd.map((x) => +x.toFixed(2)),
    cpus: os.cpus().length,
    worker_cpu: cpuStart === null || cpuEnd === null ? null : {
      s: +(cpuEnd - cpuStart).toFixed(2),
      share: +((cpuEnd - cpuStart) / ((end.wall - start.wall) / 1000)).toFixed(3),
      sim_s_per_cpu_s: +((end.sim - start.sim) / Math.max(0.01, cpuEnd - cpuStart)).toFixed(3),
    },
    // Where the simulation ran: "worker" or "page" (`?sim=worker` / `?sim=page` in the base
    // address choose).
    place: await evaluate("(document.querySelector('[data-sim-place]') || { dataset: {} }).dataset.simPlace || 'unknown'"),
    // The worker's frames since the page opened (warm-up included): count, mean and largest
    // bytes.
    wire: await evaluate("(() => { const w = window.__wire || { frames: 0, bytes: 0, max: 0 }; return { frames: w.frames, bytes_mean: Math.round(w.bytes / Math.max(1, w.frames)), bytes_max: w.max }; })()"),
  };
  if (process.env.PROFILE) {
    profiles.forEach((p, i) => fs.writeFileSync(
      profiles.length > 1 ? process.env.PROFILE.replace(/(\.cpuprofile)?$/, `.${i}$1`) : process.env.PROFILE,
      JSON.stringify(p.profile)));
    summary.profile = profiles.map((p) => ({ worker: p.url, ...summariseProfile(p.profile) }));
  }
  // Frames are paced by the display (16.67 ms at 60 Hz): 16.7 is the rounded interval.
  // At 1x the simulation cannot run faster than real time, only keep up with it (at least 98%
  // of the chosen speed); faster than real time needs SPEED=5 or more.
  summary.speed_chosen = chosen;
  const met = {
    median: summary.frame_ms_median <= 16.7,
    p95: summary.frame_ms_p95 <= 25,
    keeps_up: summary.sim_speed >= 0.98 * chosen,
    faster_than_real_time: summary.sim_speed > 1,
  };
  summary.keeps_up = met.keeps_up;
  summary.faster_than_real_time = met.faster_than_real_time;
  summary.frames_met = met.median && met.p95;
  summary.target_met = met.median && met.p95 && met.faster_than_real_time;
  console.log(`summary over ${summary.window_wall_s} s after ${warmupS} s of warm-up, at ${chosen}x: ` +
    `frame ms median ${summary.frame_ms_median} (${met.median ? "<=" : ">"} 16.7), ` +
    `p95 ${summary.frame_ms_p95} (${met.p95 ? "<=" : ">"} 25), mean ${summary.frame_ms_mean}, ` +
    `max ${summary.frame_ms_max}, ${summary.frames} frames (${summary.fps} fps); ` +
    `simulation ${summary.sim_s} s in ${summary.window_wall_s} s = ${summary.sim_speed}x real time ` +
    `(${met.keeps_up ? "keeps up with" : "falls behind"} the chosen speed; ` +
    `${met.faster_than_real_time ? "faster" : "not faster"} than real time); ` +
    `load average ${loadStart[0].toFixed(2)} -> ${loadEnd[0].toFixed(2)} on ${summary.cpus} CPUs; ` +
    `simulated in the ${summary.place}; ` +
    `worker frames ${summary.wire.frames}, bytes mean ${summary.wire.bytes_mean}, max ${summary.wire.bytes_max}; ` +
    `target ${summary.target_met ? "MET" : "NOT MET"}`);
  console.log(JSON.stringify(summary));
  if (process.env.SUMMARY_JSON) fs.writeFileSync(process.env.SUMMARY_JSON, JSON.stringify(summary, null, 2) + "\n");
  if (process.env.SELECT) {
    // Open a component in the inspector before the screenshot (e.g. SELECT=us-east).
    await evaluate(`document.querySelector('svg [data-component="${process.env.SELECT}"]')
      .dispatchEvent(new MouseEvent('click', { bubbles: true }))`);
    await sleep(800);
  }
  if (shot) {
    const r = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
    fs.writeFileSync(shot, Buffer.from(r.result.data, "base64"));
    console.log("screenshot:", shot);
  }
  browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
