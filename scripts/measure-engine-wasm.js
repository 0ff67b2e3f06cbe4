// How fast the worker's wasm simulates with no page in the way: loads a build's
// scalesim-worker.js and its wasm, loads a scenario into the engine through the worker's own
// message interface, then plays it as fast as it goes — at a speed no frame reaches, frames
// 16.7 ms apart with the worker's play between them (or, for a build that plays within each
// frame, one frame after another with no wait between them, each running its event budget),
// the dots left out (reduced motion) — and prints the simulated
// seconds per wall second over a fixed stretch of simulated time (FROM_S to TO_S, default 20
// to 120 s: the same events for every build, whatever the machine's speed). What it measures
// is the engine plus the session's per-frame work (figures every 250 ms, the output's bytes),
// without drawing, message latency or waiting for the page: the ceiling of the worker in the
// page.
//
//   node scripts/measure-engine-wasm.js DIST SCENARIO.json
//       in Node: the global object dressed as a worker's scope (`onmessage`, `postMessage`),
//       so the wasm serves it as it serves a worker's (Node's V8, not Chromium's);
//   node --experimental-websocket scripts/measure-engine-wasm.js http://HOST:PORT/ SCENARIO.json
//       in headless Chromium (CHROMIUM, default /usr/bin/chromium): the same loop inside a
//       dedicated worker of a page of that address (which serves a build's dist/), the
//       browser the app runs in. PROFILE=<file.cpuprofile>: V8's sampling profiler over the
//       measured stretch, summarised by function as measure-stage11.js does. Also prints the
//       worker thread's CPU time over the stretch (Linux, /proc) and the simulated seconds per
//       CPU second: the speed with a whole core, whatever else runs on the machine.
//   (SCENARIO.json: e.g. `scalesim preset 11 > p11.json`)
const fs = require("fs");
const path = require("path");

const where = process.argv[2] || "dist";
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const fromS = parseFloat(process.env.FROM_S || "20");
const toS = parseFloat(process.env.TO_S || "120");

// The loop, as the source of a function of (glue, wasm, done): `glue` runs the wasm-bindgen
// glue in the scope, `wasm` is what its init takes, `done(result)` receives the figures.
// Answers: one ArrayBuffer per frame (the Output in src/ui/wire.rs's binary form); the
// simulated time is read from those that carry nothing before it: six absent options (a zero
// byte each: failed, diagram, figures, log, changes, report), then `now_s`, a little-endian
// f64. Commands travel as their JSON text in a one-element array, a frame as its time
// (src/ui/host.rs).
const LOOP = `async (init, done) => {
  let answer = null;
  const received = (message) => {
    if (!(message instanceof ArrayBuffer) || message.byteLength < 14) return;
    const bytes = new Uint8Array(message);
    if (bytes.subarray(0, 6).every((b) => b === 0)) answer = new DataView(message).getFloat64(6, true);
  };
  self.postMessage = received;
  await init();
  if (typeof self.onmessage !== "function") throw new Error("the wasm does not serve its scope");
  const send = (command) => self.onmessage({ data: [JSON.stringify(command)] });
  const frame = (nowMs) => self.onmessage({ data: nowMs });
  send({ Load: { scenario: ${JSON.stringify(scenario)}, orientation: "Landscape", recorded: [], start_at_s: null } });
  send({ ReducedMotion: true });
  send({ Speed: 1e6 });
  send({ Playing: true });
  // One task's turn: what the worker queued for itself runs first (a build that plays between
  // frames, src/ui/serve.rs, queues a slice of play after each message).
  const channel = new MessageChannel();
  const yieldTask = () => new Promise((r) => { channel.port1.onmessage = r; channel.port2.postMessage(0); });
  let now = 0;
  let frames = 0;
  let start = null;
  const t0 = performance.now();
  while (now < ${toS}) {
    if (performance.now() - t0 > 600e3) throw new Error("no progress in 600 s");
    answer = null;
    frame(performance.now());
    frames++;
    if (answer !== null) now = answer;
    // Until the display's next frame (16.7 ms after this one), unless nothing runs between
    // frames (a turn that comes back at once: a build that plays within the frame).
    const sent = performance.now();
    for (;;) {
      const asked = performance.now();
      await yieldTask();
      const back = performance.now();
      if (back - sent >= 1000 / 60 || back - asked < 0.5) break;
    }
    if (start === null && now >= ${fromS}) {
      start = { wall: performance.now(), sim: now, frames };
      if (self.__started) self.__started();
    }
  }
  const wall = (performance.now() - start.wall) / 1000;
  const sim = now - start.sim;
  done({ frames: frames - start.frames, sim_from_s: +start.sim.toFixed(2), sim_s: +sim.toFixed(2),
    wall_s: +wall.toFixed(2), sim_speed: +(sim / wall).toFixed(3) });
}`;

const inNode = async () => {
  const vm = require("vm");
  const dist = path.resolve(where);
  const glue = fs.readFileSync(path.join(dist, "scalesim-worker.js"), "utf8");
  const wasm = fs.readFileSync(path.join(dist, "scalesim-worker_bg.wasm"));
  // The wasm serves its global scope when that is a worker's: make Node's global one.
  globalThis.DedicatedWorkerGlobalScope = function DedicatedWorkerGlobalScope() {};
  Object.setPrototypeOf(globalThis, globalThis.DedicatedWorkerGlobalScope.prototype);
  globalThis.self = globalThis;
  const bindgen = vm.runInThisContext(`${glue}\n;wasm_bindgen`);
  const run = vm.runInThisContext(`(${LOOP})`);
  await run(async () => bindgen.initSync({ module: wasm }), (result) =>
    console.log(JSON.stringify({ where: dist, in: "node", wasm_bytes: wasm.length, ...result })));
};

const inChromium = async () => {
  const { launch, sleep, summariseProfile, workerCpuS } = require("./cdp");
  const os = require("os");
  const base = where.endsWith("/") ? where : `${where}/`;
  const browser = await launch();
  const { send, on, evaluate } = browser;
  // A page of the build's address (a file of it, shown as text), so the worker may load its files.
  await send("Page.navigate", { url: `${base}scalesim-worker_loader.js` });
  await sleep(1000);
  const workers = [];
  on("Target.attachedToTarget", (p) => {
    if (p.targetInfo.type === "worker") workers.push(p.sessionId);
  });
  await send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  const source = `importScripts(${JSON.stringify(`${base}scalesim-worker.js`)});
    const post = self.postMessage.bind(self);
    self.__started = () => post({ started: true });
    (${LOOP})(() => wasm_bindgen({ module_or_path: ${JSON.stringify(`${base}scalesim-worker_bg.wasm`)} }),
      (result) => post({ result }))
      .catch((e) => post({ error: String(e && e.stack || e) }));`;
  const loadStart = os.loadavg();
  await evaluate(`(() => {
    window.__engine = { started: false, result: null, error: null };
    const url = URL.createObjectURL(new Blob([${JSON.stringify(source)}], { type: "text/javascript" }));
    const w = new Worker(url);
    w.onmessage = (e) => { if (e.data.started) window.__engine.started = true;
      if (e.data.result) window.__engine.result = e.data.result;
      if (e.data.error) window.__engine.error = e.data.error; };
    w.onerror = (e) => { window.__engine.error = e.message || "worker error"; };
  })()`);
  let profiling = false;
  // The worker thread's CPU seconds at the stretch's start (read within 0.1 s of it).
  let cpuStart;
  for (;;) {
    await sleep(100);
    const state = await evaluate("window.__engine");
    if (state.error) throw new Error(state.error);
    if (state.started && cpuStart === undefined) cpuStart = workerCpuS(browser.chrome.pid);
    if (state.started && !profiling && process.env.PROFILE) {
      profiling = true;
      for (const w of workers) {
        await send("Profiler.enable", {}, w);
        await send("Profiler.setSamplingInterval", { interval: parseInt(process.env.PROFILE_INTERVAL_US || "200", 10) }, w);
        await send("Profiler.start", {}, w);
      }
    }
    if (state.result) {
      const cpuEnd = workerCpuS(browser.chrome.pid);
      const cpu = cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart;
      const out = { where: base, in: "chromium", ...state.result,
        // The worker thread's CPU time over the stretch (/proc), and simulated s per CPU s.
        worker_cpu_s: cpu === null ? null : +cpu.toFixed(2),
        sim_s_per_cpu_s: cpu === null ? null : +(state.result.sim_s / Math.max(0.01, cpu)).toFixed(3),
        load_average_start: loadStart.map((x) => +x.toFixed(2)),
        load_average_end: os.loadavg().map((x) => +x.toFixed(2)) };
      if (profiling) {
        for (const w of workers) {
          const r = await send("Profiler.stop", {}, w);
          if (!r.result) continue;
          fs.writeFileSync(process.env.PROFILE, JSON.stringify(r.result.profile));
          out.profile = summariseProfile(r.result.profile);
        }
      }
      console.log(JSON.stringify(out));
      break;
    }
  }
  browser.close();
};

(/^https?:\/\//.test(where) ? inChromium() : inNode()).catch((e) => {
  console.error(e);
  process.exit(1);
});
