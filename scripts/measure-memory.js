// Measures the built app's memory over a long run in headless Chromium, in real time (no virtual
// clock), over the DevTools protocol (no npm package needed; Node 20 with --experimental-websocket).
// Usage: trunk build --release && (serve dist/ on some address) &&
//   node --experimental-websocket scripts/measure-memory.js http://127.0.0.1:8123/ [fragment] [minutes]
// Opens the app on `fragment` (default v1.s11), plays at 5x (SPEED is an index into the speed
// menu, src/ui/state.rs SPEEDS; 5 is 5x), and right after pressing play and then once a minute
// for `minutes` (default 11) records:
// - the app's simulated seconds and fps (its own [data-metric] figures, as measure-stage11.js);
// - the page's JS heap: Performance.getMetrics JSHeapUsedSize (and JSHeapTotalSize);
// - the wasm linear memory: `memory.buffer.byteLength` of the app module's exports, got by
//   importing the wasm-bindgen glue again (the same module instance) and calling its init, which
//   returns the exports once the app has started. The capacity-search worker's own module is not
//   counted (it only runs when asked);
// - the RSS (/proc/PID/status VmRSS) of the renderer process hosting the page: the largest
//   `--type=renderer` process among this browser's descendants (their number is printed too);
// - the RSS summed over this browser's processes, and over every `chromium` process on the
//   machine (which counts other people's browsers too).
// Prints a table; SUMMARY_JSON=<file> writes the samples there as JSON. Linux only (/proc).
const fs = require("fs");
const os = require("os");
const { sleep, launch, openApp, SPEEDS, metric } = require("./cdp");

const base = process.argv[2] || "http://127.0.0.1:8123/";
const fragment = process.argv[3] || "v1.s11";
const minutes = parseInt(process.argv[4] || "11", 10);
const speedIndex = parseInt(process.env.SPEED || "5", 10);
const chosen = SPEEDS[speedIndex];
const intervalMs = parseFloat(process.env.INTERVAL_S || "60") * 1000;

// /proc helpers: every process's parent, command line and resident set size.
const procs = () => {
  const out = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, "utf8");
      const field = (k) => {
        const m = status.match(new RegExp(`^${k}:\\s*(\\S+)`, "m"));
        return m ? m[1] : null;
      };
      // Chromium rewrites its command line into one string joined by spaces.
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
      out.push({
        pid: +d, ppid: +field("PPid"), name: field("Name"), rssKiB: +(field("VmRSS") || 0), cmdline,
      });
    } catch (_) {} // gone meanwhile
  }
  return out;
};
const descendants = (all, root) => {
  const keep = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) if (!keep.has(p.pid) && keep.has(p.ppid)) { keep.add(p.pid); grew = true; }
  }
  return all.filter((p) => keep.has(p.pid));
};
const isChromium = (p) => /chrom/i.test(p.name || "") || /\/chromium\b/.test(p.cmdline);

(async () => {
  const browser = await launch({ width: 1400 });
  const { chrome, send, evaluate } = browser;
  await send("Performance.enable");
  await openApp(browser, base + "#" + fragment, speedIndex);
  // The app module's wasm exports (see the header): null if they cannot be reached.
  await evaluate(`(async () => { try {
      const boot = document.getElementById('scalesim-boot');
      const glue = await import(new URL(boot.dataset.js, boot.src).href);
      const exports = await glue.default();
      window.__scalesimWasmMemory = exports && exports.memory instanceof WebAssembly.Memory ? exports.memory : null;
    } catch (e) { window.__scalesimWasmMemory = null; } })()`);
  const uaMemory = await evaluate("typeof performance.measureUserAgentSpecificMemory === 'function' && self.crossOriginIsolated === true");
  const t0 = Date.now();
  const loadStart = os.loadavg();
  const startedUtc = new Date().toISOString();
  const samples = [];
  const sample = async (minute) => {
    const app = await evaluate(`({ sim: ${metric("sim_time_s")}, speed: ${metric("sim_speed")}, fps: ${metric("fps")},
      wasm: window.__scalesimWasmMemory ? window.__scalesimWasmMemory.buffer.byteLength : null })`);
    const perf = await send("Performance.getMetrics");
    const m = Object.fromEntries(perf.result.metrics.map((x) => [x.name, x.value]));
    const all = procs();
    const ours = descendants(all, chrome.pid);
    const renderers = ours.filter((p) => / --type=renderer\b/.test(p.cmdline));
    const renderer = renderers.reduce((a, b) => (b.rssKiB > (a ? a.rssKiB : -1) ? b : a), null);
    const s = {
      minute, wall_s: +((Date.now() - t0) / 1000).toFixed(1),
      sim_s: app.sim, app_sim_speed: app.speed, fps: app.fps,
      js_heap_used_bytes: m.JSHeapUsedSize, js_heap_total_bytes: m.JSHeapTotalSize,
      wasm_memory_bytes: app.wasm,
      renderer_pid: renderer ? renderer.pid : null, renderer_rss_kib: renderer ? renderer.rssKiB : null,
      renderers: renderers.length,
      browser_rss_kib: ours.reduce((a, p) => a + p.rssKiB, 0), browser_processes: ours.length,
      all_chromium_rss_kib: all.filter(isChromium).reduce((a, p) => a + p.rssKiB, 0),
      load_average_1m: +os.loadavg()[0].toFixed(2),
    };
    samples.push(s);
    console.log(JSON.stringify(s));
  };
  await sample(0);
  for (let k = 1; k <= minutes; k++) {
    await sleep(Math.max(0, t0 + k * intervalMs - Date.now()));
    await sample(k);
  }
  const loadEnd = os.loadavg();
  const mib = (b) => (b == null ? "–" : (b / 1048576).toFixed(1) + " MiB");
  const kib = (k) => (k == null ? "–" : k.toLocaleString("en-US") + " KiB");
  console.log("\n| minute | simulated s | fps | JS heap used | wasm memory | renderer RSS | this browser's RSS (all its processes) | all chromium RSS |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const s of samples) {
    console.log(`| ${s.minute} | ${Math.round(s.sim_s).toLocaleString("en-US")} | ${s.fps} | ${mib(s.js_heap_used_bytes)} | ` +
      `${mib(s.wasm_memory_bytes)} | ${kib(s.renderer_rss_kib)} | ${kib(s.browser_rss_kib)} | ${kib(s.all_chromium_rss_kib)} |`);
  }
  const at = (k) => samples.find((s) => s.minute === k);
  const pct = (a, b) => (a == null || b == null ? null : +((100 * (b - a)) / a).toFixed(1));
  const from = at(Math.min(2, minutes)), to = samples[samples.length - 1];
  const summary = {
    url: base + "#" + fragment, speed_chosen: chosen, started_utc: startedUtc,
    load_average_start: loadStart.map((x) => +x.toFixed(2)), load_average_end: loadEnd.map((x) => +x.toFixed(2)),
    cpus: os.cpus().length, measure_user_agent_specific_memory_available: uaMemory,
    wasm_memory_source: "memory.buffer.byteLength of the app module's wasm-bindgen exports",
    change_pct_from_minute: from.minute, change_pct_to_minute: to.minute,
    renderer_rss_change_pct: pct(from.renderer_rss_kib, to.renderer_rss_kib),
    wasm_memory_change_pct: pct(from.wasm_memory_bytes, to.wasm_memory_bytes),
    js_heap_used_change_pct: pct(from.js_heap_used_bytes, to.js_heap_used_bytes),
    browser_rss_change_pct: pct(from.browser_rss_kib, to.browser_rss_kib),
    samples,
  };
  console.log(`\nminute ${from.minute} -> ${to.minute}: renderer RSS ${summary.renderer_rss_change_pct}%, ` +
    `wasm memory ${summary.wasm_memory_change_pct}%, JS heap used ${summary.js_heap_used_change_pct}%, ` +
    `this browser's RSS ${summary.browser_rss_change_pct}%; load average ${loadStart[0].toFixed(2)} -> ` +
    `${loadEnd[0].toFixed(2)} on ${summary.cpus} CPUs; measureUserAgentSpecificMemory ${uaMemory ? "available" : "not available (page not cross-origin isolated)"}`);
  if (process.env.SUMMARY_JSON) fs.writeFileSync(process.env.SUMMARY_JSON, JSON.stringify(summary, null, 2) + "\n");
  browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
