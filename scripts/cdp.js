// Headless Chromium driven over the DevTools protocol, for the measurement scripts
// (measure-stage11.js, measure-memory.js): no npm package needed, Node 20 with
// --experimental-websocket.
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts a headless Chromium (CHROMIUM, default /usr/bin/chromium) with a fresh profile and
// connects to its page. Returns `chrome` (the process), `send(method, params)` (one protocol
// call, resolved with its answer), `evaluate(expression)` (its value, promises awaited) and
// `close()`.
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
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((r) => {
      id += 1;
      waiting.set(id, r);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression) => {
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    return r.result && r.result.result ? r.result.result.value : undefined;
  };
  await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  const close = () => {
    ws.close();
    chrome.kill();
  };
  return { chrome, send, evaluate, close };
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

module.exports = { sleep, launch, openApp, SPEEDS, metric };
