// Loads the scalesim wasm module. Kept out of index.html so the Content-Security-Policy can
// forbid inline scripts. Trunk writes the hashed file names into data attributes (Trunk.toml).
const boot = document.getElementById("scalesim-boot");

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
