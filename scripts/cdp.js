// Headless Chromium driven over the DevTools protocol, for the measurement scripts
// (measure-stage11.js, measure-memory.js): no npm package needed, Node 20 with
// --experimental-websocket.
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts a headless Chromium (CHROMIUM, default /usr/bin/chromium) with a fresh profile and
// connects to its page. Returns `chrome` (the process), `send(method, params, sessionId)` (one
// protocol call, resolved with its answer; `sessionId` addresses a target attached in flat
// mode, e.g. a worker), `on(method, handler)` (protocol events: `handler(params, sessionId)`),
// `evaluate(expression)` (its value, promises awaited) and `close()`.
async function launch({ width = 1400, height = 1000 } = {}) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "scalesim-cdp-"));
  const chrome = spawn(process.env.CHROMIUM || "/usr/bin/chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    `--user-data-dir=${profile}`, `--window-size=${width},${height}`,
    `--remote-debugging-port=${port}`, "about:blank",
  ], { stdio: "ignore" });
  let targets = null;
  for (let i = 0; i < 50 && !targets; i++) {
    await sleep(200);
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    } catch (_) {}
  }
  if (!targets) throw new Error(`no DevTools endpoint on port ${port}`);
  const page = targets.find((t) => t.type === "page");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((r) => (ws.onopen = r));
  let id = 0;
  const waiting = new Map();
  const handlers = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    } else if (msg.method && handlers.has(msg.method)) {
      for (const h of handlers.get(msg.method)) h(msg.params, msg.sessionId);
    }
  };
  const send = (method, params = {}, sessionId = undefined) =>
    new Promise((r) => {
      id += 1;
      waiting.set(id, r);
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const on = (method, handler) => {
    if (!handlers.has(method)) handlers.set(method, []);
    handlers.get(method).push(handler);
  };
  const evaluate = async (expression) => {
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    return r.result && r.result.result ? r.result.result.value : undefined;
  };
  await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  const close = () => {
    ws.close();
    chrome.kill();
  };
  return { chrome, send, on, evaluate, close };
}

// Opens the app at `url`, waits for its figures and for a link's seek (`~t=`) to finish, then
// presses play (if paused) and picks option `speedIndex` of the speed menu
// (src/ui/state.rs SPEEDS: 4 is 1x, 5 is 5x).
async function openApp({ send, evaluate }, url, speedIndex) {
  await send("Page.navigate", { url });
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    if (await evaluate("!!document.querySelector('[data-metric=sim_speed]')")) break;
  }
  for (let i = 0; i < 600; i++) {
    if (await evaluate("!!document.querySelector('[data-seeking=false]') && !document.querySelector('[data-seek-progress]') && parseFloat(document.querySelector('[data-metric=sim_time_s]').textContent) > 0")) break;
    await sleep(200);
  }
  await evaluate(`(() => { const b = document.querySelector('[data-action="play"]');
    if (b.getAttribute('aria-pressed') !== 'true') b.click(); })()`);
  await evaluate(`(() => { const s = document.querySelector('select[data-control="speed"]');
    s.value = '${speedIndex}'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`);
}

// The speeds of the app's speed menu, by index.
const SPEEDS = [0.02, 0.05, 0.1, 0.2, 1, 5, 20, 100];

// A JavaScript expression for one of the app's `[data-metric]` figures.
const metric = (name) => `parseFloat(document.querySelector('[data-metric="${name}"]').textContent)`;

// A V8 CPU profile summarised by function: sampled ms of self and total time (see PROFILE).
const summariseProfile = (profile) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const name = f.functionName || "(anonymous)";
    // Rust's symbols end in a hash; the wasm's are unique by name.
    return name.replace(/::h[0-9a-f]{16}$/, "").replace(/^\$/, "") +
      (f.url && !f.url.endsWith(".wasm") && !name.startsWith("(") ? ` ${f.url.split("/").pop()}:${f.lineNumber}` : "");
  };
  const self = new Map();
  const total = new Map();
  let all = 0;
  const samples = profile.samples || [];
  const deltas = profile.timeDeltas || [];
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one.
    const dt = (deltas[i + 1] !== undefined ? deltas[i + 1] : 0) / 1000;
    all += dt;
    let node = byId.get(samples[i]);
    const own = label(node);
    self.set(own, (self.get(own) || 0) + dt);
    const seen = new Set();
    while (node) {
      const l = label(node);
      if (!seen.has(l)) {
        seen.add(l);
        total.set(l, (total.get(l) || 0) + dt);
      }
      node = byId.get(parent.get(node.id));
    }
  }
  const top = (m) => [...m].filter(([l]) => l !== "(root)").sort((a, b) => b[1] - a[1]).slice(0, 25)
    .map(([l, ms]) => [l, +ms.toFixed(1), +((100 * ms) / all).toFixed(1)]);
  const share = (l) => +((100 * (self.get(l) || 0)) / all).toFixed(1);
  return {
    sampled_ms: +all.toFixed(1), samples: samples.length,
    idle_pct: share("(idle)"), gc_pct: share("(garbage collector)"), program_pct: share("(program)"),
    self: top(self), total: top(total),
  };
};
// CPU seconds used so far by the worker threads of the browser started as `root` (its
// descendants' threads named DedicatedWorker…), from /proc; null where there is no /proc.
const workerCpuS = (root) => {
  try {
    const parent = new Map();
    for (const d of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        parent.set(+d, +stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      } catch (_) {} // gone meanwhile
    }
    const ours = (pid) => { for (let p = pid, i = 0; p && i < 64; p = parent.get(p), i++) if (p === root) return true; return false; };
    const ticks = 100; // USER_HZ
    let cpu = 0;
    for (const pid of parent.keys()) {
      if (!ours(pid)) continue;
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          if (!fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").startsWith("DedicatedWorker")) continue;
          const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
          const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          cpu += (+f[11] + +f[12]) / ticks; // utime, stime
        } catch (_) {}
      }
    }
    return cpu;
  } catch (_) {
    return null;
  }
};

module.exports = { sleep, launch, openApp, SPEEDS, metric, summariseProfile, workerCpuS };
