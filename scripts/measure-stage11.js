// Measures the built app on stage 11 in headless Chromium, in real time (no virtual clock),
// over the DevTools protocol (no npm package needed; Node 20 with --experimental-websocket).
// Usage: trunk build --release && (serve dist/ on some address) &&
//   node --experimental-websocket scripts/measure-stage11.js http://127.0.0.1:8123/ [fragment] [seconds] [screenshot.png]
// Prints, once per second at 1x: simulated time, the app's sim-speed and fps figures, and the
// page's own frame times (requestAnimationFrame intervals: mean, p95, max); then, if asked, a
// full-page screenshot (SELECT=<component> opens it in the inspector first).
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const base = process.argv[2] || "http://127.0.0.1:8123/";
const fragment = process.argv[3] || "v1.s11";
const seconds = parseInt(process.argv[4] || "20", 10);
const shot = process.argv[5];
const port = 9300 + Math.floor(Math.random() * 500);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "scalesim-cdp-"));
  const chrome = spawn(process.env.CHROMIUM || "/usr/bin/chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    `--user-data-dir=${profile}`, "--window-size=1400,1000", `--remote-debugging-port=${port}`,
    "about:blank",
  ], { stdio: "ignore" });
  let targets = null;
  for (let i = 0; i < 50 && !targets; i++) {
    await sleep(200);
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    } catch (_) {}
  }
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
  const width = parseInt(process.env.WIDTH || "1400", 10);
  await send("Emulation.setDeviceMetricsOverride", { width, height: 1000, deviceScaleFactor: 1, mobile: false });
  await send("Page.navigate", { url: base + "#" + fragment });
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    if (await evaluate("!!document.querySelector('[data-metric=sim_speed]')")) break;
  }
  // Wait for a link's seek (`~t=`) to finish, then play at 1x.
  for (let i = 0; i < 600; i++) {
    if (await evaluate("!!document.querySelector('[data-seeking=false]') && !document.querySelector('[data-seek-progress]') && parseFloat(document.querySelector('[data-metric=sim_time_s]').textContent) > 0")) break;
    await sleep(200);
  }
  await evaluate(`(() => { const b = document.querySelector('[data-action="play"]');
    if (b.getAttribute('aria-pressed') !== 'true') b.click(); })()`);
  await evaluate(`(() => { const s = document.querySelector('select[data-control="speed"]');
    s.value = '4'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`);
  const metric = (name) => `parseFloat(document.querySelector('[data-metric="${name}"]').textContent)`;
  for (let s = 0; s < seconds; s++) {
    const frames = await evaluate(`new Promise((done) => {
      const t = []; const start = performance.now();
      const tick = (now) => { t.push(now); if (now - start < 1000) requestAnimationFrame(tick); else done(t); };
      requestAnimationFrame(tick); })`);
    const dts = frames.slice(1).map((x, i) => x - frames[i]).sort((a, b) => a - b);
    const mean = dts.reduce((a, b) => a + b, 0) / Math.max(1, dts.length);
    const p95 = dts[Math.floor(dts.length * 0.95)] || 0;
    const line = await evaluate(`[${metric("sim_time_s")}, ${metric("sim_speed")}, ${metric("fps")}, ${metric("requests_total")}, ${metric("requests_failed")}].join(' ')`);
    console.log(`t=${s + 1}s sim_time/speed/fps/requests/failed: ${line} | frame ms mean ${mean.toFixed(1)} p95 ${p95.toFixed(1)} max ${(dts[dts.length - 1] || 0).toFixed(1)}`);
  }
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
  ws.close();
  chrome.kill();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
