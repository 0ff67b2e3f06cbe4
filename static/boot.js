// Loads the scalesim wasm module. Kept out of index.html so the Content-Security-Policy can
// forbid inline scripts. Trunk writes the hashed file names into data attributes (Trunk.toml).
const boot = document.getElementById("scalesim-boot");

// The engine for a page where no web worker runs (`?sim=page`, or a worker that failed): the
// worker's own wasm, loaded into the page once. Its glue (scalesim-worker.js, not a module)
// defines the global `wasm_bindgen`; once initialised, the wasm offers `scalesimServe(port)`
// (src/bin/scalesim_worker.rs), which the app calls with one end of a MessageChannel per use.
// Defined before the app starts, which may ask for it at once.
let engine;
window.scalesimWorkerWasm = () =>
  (engine ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL("scalesim-worker.js", boot.src).href;
    script.onload = resolve;
    script.onerror = () => reject(new Error("could not load " + script.src));
    document.head.append(script);
  })
    // eslint-disable-next-line no-undef
    .then(() => wasm_bindgen({ module_or_path: new URL("scalesim-worker_bg.wasm", boot.src).href }))
    .then(() => window.scalesimServe));

// The views' module (the editor, the challenges, the capacity panel's body: src/ui/views.rs),
// loaded on first use: its ES-module glue (scalesim-views.js, built by scripts/build-views.sh)
// imported once; once initialised, the wasm offers `scalesimViewsMount(kind, host, send,
// input)`, which the app calls. A failed load is forgotten, so the next use tries again.
let views;
window.scalesimViews = () =>
  (views ??= import(new URL("scalesim-views.js", boot.src).href)
    .then((glue) =>
      glue.default({ module_or_path: new URL("scalesim-views_bg.wasm", boot.src).href }))
    .then(() => window.scalesimViewsMount)
    .catch((err) => {
      views = undefined;
      throw err;
    }));

function showLoadError(err) {
  // A Rust panic already showed its own panel: keep that one.
  if (document.getElementById("scalesim-panic")) return;
  const box = document.getElementById("app");
  if (!box) return;
  box.textContent = "";
  const panel = document.createElement("div");
  panel.className = "boot-message boot-error";
  const title = document.createElement("strong");
  title.textContent = "scalesim could not start.";
  const detail = document.createElement("p");
  detail.textContent = String(err && err.message ? err.message : err) +
    " — this page needs a browser with WebAssembly support.";
  panel.append(title, detail);
  box.append(panel);
}

try {
  const jsUrl = new URL(boot.dataset.js, boot.src);
  const wasmUrl = new URL(boot.dataset.wasm, boot.src);
  const bindings = await import(jsUrl.href);
  await bindings.default({ module_or_path: wasmUrl.href });
} catch (err) {
  console.error(err);
  showLoadError(err);
}

