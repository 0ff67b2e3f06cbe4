// How fast the worker's wasm simulates, without a browser: loads DIST's scalesim-worker.js and
// its wasm into Node, loads a scenario into the engine through the worker's own message
// interface, plays it as fast as it goes (one frame's work after another, the page's pacing
// with a speed no frame reaches) and prints simulated seconds per wall second. Compares two
// builds of the worker's wasm (opt-level, wasm-opt) on one core, with no drawing in the way.
//
//   node scripts/measure-engine-wasm.js DIST SCENARIO.json [SECONDS]     # default 20 s
//   (SCENARIO.json: e.g. `scalesim preset 11 > p11.json`)
// Node's global object is dressed as a worker's scope (`onmessage`, `postMessage`), so the
// wasm serves it as it serves a worker's.
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const dist = path.resolve(process.argv[2] || "dist");
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const seconds = parseFloat(process.argv[4] || "20");

const glue = fs.readFileSync(path.join(dist, "scalesim-worker.js"), "utf8");
const wasm = fs.readFileSync(path.join(dist, "scalesim-worker_bg.wasm"));

// The worker's answers: [Output, Float32Array of dots] after each frame, "ready" once.
let answer = null;
const received = (message) => {
  if (Array.isArray(message)) answer = message[0];
};
// The wasm serves its global scope when that is a worker's: make Node's global one.
globalThis.DedicatedWorkerGlobalScope = function DedicatedWorkerGlobalScope() {};
Object.setPrototypeOf(globalThis, globalThis.DedicatedWorkerGlobalScope.prototype);
globalThis.postMessage = (message) => received(message);
const bindgen = vm.runInThisContext(`${glue}\n;wasm_bindgen`);
bindgen.initSync({ module: wasm });
if (typeof globalThis.onmessage !== "function") throw new Error("the wasm does not serve its scope");
const send = (data) => globalThis.onmessage({ data });

send({ Load: { scenario, orientation: "Landscape", recorded: [], start_at_s: null } });
send({ ReducedMotion: true });
send({ Speed: 1e6 });
send({ Playing: true });
const t0 = performance.now();
let frames = 0;
let simStart = null;
let now = 0;
while (performance.now() - t0 < seconds * 1000) {
  answer = null;
  send({ Frame: { now_ms: performance.now() } });
  frames++;
  if (answer) now = answer.now_s;
  if (simStart === null && frames === 5) simStart = { wall: performance.now(), sim: now };
}
const wall = (performance.now() - simStart.wall) / 1000;
const sim = now - simStart.sim;
console.log(
  JSON.stringify({
    dist,
    wasm_bytes: wasm.length,
    frames,
    sim_s: +sim.toFixed(2),
    wall_s: +wall.toFixed(2),
    sim_speed: +(sim / wall).toFixed(3),
  }),
);
