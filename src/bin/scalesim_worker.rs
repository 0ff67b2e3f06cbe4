//! The engine off the page's main thread: the simulation the page shows, capacity searches
//! and challenge grading ([`scalesim::ui::serve`]; built by trunk with the `web` feature at
//! opt-level 3, loaded by the app from `scalesim-worker_loader.js`; each use starts a worker
//! of its own).
//!
//! Where no worker can run, the page loads this same wasm into itself (static/boot.js's
//! `scalesimWorkerWasm`): then it serves nothing at start, and offers `scalesimServe(port)` to
//! the page, which hands it one end of a `MessageChannel` per use.

use scalesim::ui::serve::{serve, Endpoint, Place};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::DedicatedWorkerGlobalScope;

fn main() {
    console_error_panic_hook::set_once();
    let global = js_sys::global();
    if global.is_instance_of::<DedicatedWorkerGlobalScope>() {
        serve(global.unchecked_into(), Place::Worker);
        return;
    }
    let offer = Closure::<dyn FnMut(Endpoint)>::new(|end: Endpoint| serve(end, Place::Page));
    let _ = js_sys::Reflect::set(&global, &"scalesimServe".into(), offer.as_ref());
    // Offered for the page's life.
    offer.forget();
}
