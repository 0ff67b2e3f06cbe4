// How fast the engine's wasm runs a preset with nothing around it: loads the size probe's wasm
// (size-probe/: the core alone, one `run(stage, seconds)` export, no wasm-bindgen, no worker
// session), runs the preset for a fixed number of simulated seconds and prints the main
// thread's CPU seconds for the run (Linux, /proc: compilation on V8's background threads not
// counted) and the simulated seconds per CPU second. The same events for every build, so two
// builds of the engine compare by CPU time; the printed `result` (a number mixed from the
// report) must be equal for builds that claim the same behaviour.
//
//   node --no-liftoff --no-wasm-lazy-compilation scripts/measure-core-speed.js WASM [STAGE] [SECONDS] [RUNS]
//
// Defaults: stage 11, 10 simulated seconds, 3 runs (each a fresh instance). PATH_EVERY (default
// 64): a probe built with its `speed` feature records every PATH_EVERY-th request's path, about
// as the app's worker does at stage 11 (src/ui/session.rs aims at 300 paths in the dots' time
// window); a probe without it records every request's. The two V8 flags compile every function
// with V8's optimising tier before the first run, as a browser's long-running worker ends up;
// without them the first run's seconds include the baseline tier and compilation.
//
//   CHROMIUM_WORKER=1 node --experimental-websocket scripts/measure-core-speed.js WASM ...
//
// The same runs in a dedicated worker of headless Chromium (CHROMIUM, default
// /usr/bin/chromium), the browser the app runs in, whose V8 is years newer than Node 20's:
// its default tiers, after a warm-up run of WARMUP_S (default 3) simulated seconds; the CPU
// seconds are the worker thread's. PROFILE=FILE.cpuprofile: V8's sampling profiler over the
// measured runs (a probe keeps its function names with wasm-opt -g), summarised by function.
// scripts/measure-core-speed.sh builds the probe and runs this.
const fs = require("fs");

const file = process.argv[2];
const stage = parseInt(process.argv[3] || "11", 10);
const seconds = parseInt(process.argv[4] || "10", 10);
const runs = parseInt(process.argv[5] || "3", 10);
const pathEvery = parseInt(process.env.PATH_EVERY || "64", 10);
const ticks = 100; // USER_HZ on Linux

// The main thread's user + system CPU seconds.
const cpuS = () => {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (parseInt(fields[11], 10) + parseInt(fields[12], 10)) / ticks;
};

const report = (out, where, sampled) => {
  const cpus = out.map((r) => r.cpu_s).sort((a, b) => a - b);
  console.log(JSON.stringify({ wasm: file, bytes: fs.statSync(file).size, in: where, stage, seconds,
    path_every: sampled ? pathEvery : 1, cpu_s_median: cpus[Math.floor(cpus.length / 2)], runs: out,
    load_average: require("os").loadavg().map((x) => +x.toFixed(2)) }));
};

const inNode = () => {
  const wasmModule = new WebAssembly.Module(fs.readFileSync(file));
  const sampled = WebAssembly.Module.exports(wasmModule).some((e) => e.name === "run_sampled");
  const out = [];
  for (let i = 0; i < runs; i++) {
    const { exports } = new WebAssembly.Instance(wasmModule, {});
    const cpu0 = cpuS();
    const wall0 = performance.now();
    const result = sampled ? exports.run_sampled(stage, seconds, pathEvery) : exports.run(stage, seconds);
    const wall = (performance.now() - wall0) / 1000;
    const cpu = cpuS() - cpu0;
    out.push({ result: BigInt.asUintN(64, result).toString(16), cpu_s: +cpu.toFixed(2),
      wall_s: +wall.toFixed(3), sim_s_per_cpu_s: +(seconds / cpu).toFixed(3) });
  }
  report(out, "node", sampled);
};

// In a dedicated worker of headless Chromium (the browser the app runs in; V8's default
// tiers: a warm-up run of WARMUP_S simulated seconds first, so the hot functions reach the
// optimising tier), the same runs; CPU seconds of the worker thread (/proc) per run.
const inChromium = async () => {
  const { launch, sleep, workerCpuS, summariseProfile } = require("./cdp");
  const warmupS = parseInt(process.env.WARMUP_S || "3", 10);
  const browser = await launch();
  const { evaluate, send, on } = browser;
  const workers = [];
  on("Target.attachedToTarget", (p) => {
    if (p.targetInfo.type === "worker") workers.push(p.sessionId);
  });
  await send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  const source = `let exports = null;
    const call = (seconds) => exports.run_sampled
      ? exports.run_sampled(${stage}, seconds, ${pathEvery}) : exports.run(${stage}, seconds);
    onmessage = ({ data }) => {
      if (data.wasm) {
        const m = new WebAssembly.Module(data.wasm);
        exports = new WebAssembly.Instance(m, {}).exports;
        call(${warmupS});
        self.wasmModule = m;
        postMessage({ ready: true, sampled: !!exports.run_sampled });
      } else {
        exports = new WebAssembly.Instance(self.wasmModule, {}).exports;
        const t0 = performance.now();
        const result = call(${seconds});
        postMessage({ result: BigInt.asUintN(64, result).toString(16), wall_s: (performance.now() - t0) / 1000 });
      }
    };`;
  const wasm = fs.readFileSync(file).toString("base64");
  await evaluate(`(() => {
    window.__core = { ready: null, done: null, error: null };
    const url = URL.createObjectURL(new Blob([${JSON.stringify(source)}], { type: "text/javascript" }));
    window.__worker = new Worker(url);
    window.__worker.onmessage = (e) => { if (e.data.ready) window.__core.ready = e.data; else window.__core.done = e.data; };
    window.__worker.onerror = (e) => { window.__core.error = e.message || "worker error"; };
    const bytes = Uint8Array.from(atob(${JSON.stringify(wasm)}), (c) => c.charCodeAt(0));
    window.__worker.postMessage({ wasm: bytes });
  })()`);
  const wait = async (key) => {
    for (;;) {
      await sleep(50);
      const state = await evaluate("window.__core");
      if (state.error) throw new Error(state.error);
      if (state[key]) return state[key];
    }
  };
  const ready = await wait("ready");
  await sleep(2000); // the optimising tier's background compilations
  if (process.env.PROFILE) {
    for (const w of workers) {
      await send("Profiler.enable", {}, w);
      await send("Profiler.setSamplingInterval", { interval: 200 }, w);
      await send("Profiler.start", {}, w);
    }
  }
  const out = [];
  for (let i = 0; i < runs; i++) {
    await evaluate("window.__core.done = null");
    const cpu0 = workerCpuS(browser.chrome.pid);
    await evaluate("window.__worker.postMessage({ go: true })");
    const done = await wait("done");
    const cpu = workerCpuS(browser.chrome.pid) - cpu0;
    out.push({ result: done.result, cpu_s: +cpu.toFixed(2), wall_s: +done.wall_s.toFixed(3),
      sim_s_per_cpu_s: +(seconds / cpu).toFixed(3) });
  }
  let profile;
  if (process.env.PROFILE) {
    for (const w of workers) {
      const r = await send("Profiler.stop", {}, w);
      if (!r.result) continue;
      fs.writeFileSync(process.env.PROFILE, JSON.stringify(r.result.profile));
      profile = summariseProfile(r.result.profile);
    }
  }
  browser.close();
  report(out, "chromium", ready.sampled);
  if (profile) console.log(JSON.stringify(profile));
};

(process.env.CHROMIUM_WORKER ? inChromium() : Promise.resolve(inNode())).catch((e) => {
  console.error(e);
  process.exit(1);
});
