//! Where the page sends the engine's work (the simulation it shows, capacity searches,
//! challenge grading): a web worker, or, where none runs, the worker's own wasm loaded into
//! the page and served on one end of a `MessageChannel`. Both take the same messages and
//! give the same answers ([`super::serve`]), so the app's own wasm links none of the engine.
//!
//! ```text
//!   Port::worker():  page ──postMessage──▶ Worker(scalesim-worker_loader.js) ──▶ serve(scope)
//!   Port::in_page(): page ──postMessage──▶ port2 ══ MessageChannel ══ port1 ──▶ serve(port1)
//!                    serve from scalesim-worker.js + its wasm, loaded by boot.js's
//!                    `scalesimWorkerWasm()` (or, in a page whose own wasm links the engine,
//!                    from [`link_engine`]: the browser tests)
//! ```

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, Worker};

use super::serve::{Endpoint, STOP};

/// Where the worker's loader is, relative to the page.
pub const WORKER_URL: &str = "./scalesim-worker_loader.js";

#[wasm_bindgen]
extern "C" {
    /// A pair of connected message ports (also the worker's own, in [`super::serve`]).
    pub(super) type MessageChannel;
    #[wasm_bindgen(constructor, catch)]
    pub(super) fn new() -> Result<MessageChannel, JsValue>;
    #[wasm_bindgen(method, getter)]
    pub(super) fn port1(this: &MessageChannel) -> Endpoint;
    #[wasm_bindgen(method, getter)]
    pub(super) fn port2(this: &MessageChannel) -> Endpoint;
}

thread_local! {
    /// The engine of the page's own wasm, where it links one (see [`link_engine`]).
    static LINKED: Cell<Option<fn(Endpoint)>> = const { Cell::new(None) };
}

/// Serves the in-page fallback from this wasm's own engine instead of loading the worker's
/// wasm: for pages that link the engine anyway (the browser tests, which have no worker files).
pub fn link_engine(serve: fn(Endpoint)) {
    LINKED.with(|l| l.set(Some(serve)));
}

/// One way to the engine. Dropping it stops what runs there.
pub struct Port {
    end: Endpoint,
    kind: Kind,
}

enum Kind {
    Worker(Worker),
    /// The page's end of a channel; the error handler is called if the engine cannot load.
    Page(Rc<RefCell<Option<js_sys::Function>>>),
}

impl Port {
    /// A web worker from [`WORKER_URL`]; `None` if the browser cannot start one.
    pub fn worker() -> Option<Port> {
        let worker = Worker::new(WORKER_URL).ok()?;
        Some(Port {
            end: worker.clone().unchecked_into(),
            kind: Kind::Worker(worker),
        })
    }

    /// The engine in the page; `None` if the browser has no `MessageChannel`. It says `ready`
    /// once loaded, or calls the error handler if it cannot load.
    pub fn in_page() -> Option<Port> {
        let channel = MessageChannel::new().ok()?;
        let on_error = Rc::new(RefCell::new(None));
        let engine_end = channel.port1();
        match LINKED.with(Cell::get) {
            Some(serve) => serve(engine_end),
            None => load_engine(engine_end, on_error.clone()),
        }
        Some(Port {
            end: channel.port2(),
            kind: Kind::Page(on_error),
        })
    }

    /// A web worker, unless `in_page` asks for the page or the browser cannot start one; then
    /// the engine in the page. `None` if neither can run.
    pub fn open(in_page: bool) -> Option<Port> {
        let worker = if in_page { None } else { Port::worker() };
        worker.or_else(Port::in_page)
    }

    /// Whether this is a web worker (not the page).
    pub fn is_worker(&self) -> bool {
        matches!(self.kind, Kind::Worker(_))
    }

    /// Sends a message.
    pub fn post(&self, message: &JsValue) -> Result<(), JsValue> {
        self.end.post(message)
    }

    /// Something that sends on this port, for a handler to keep.
    pub fn sender(&self) -> Sender {
        Sender(self.end.clone())
    }

    /// Sets the message handler.
    pub fn set_onmessage(&self, handler: Option<&js_sys::Function>) {
        self.end.set_onmessage(handler);
    }

    /// Sets the error handler (a worker's `error` event; the page's engine not loading).
    pub fn set_onerror(&self, handler: Option<&js_sys::Function>) {
        match &self.kind {
            Kind::Worker(worker) => worker.set_onerror(handler),
            Kind::Page(slot) => *slot.borrow_mut() = handler.cloned(),
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.end.set_onmessage(None);
        match &self.kind {
            Kind::Worker(worker) => {
                worker.set_onerror(None);
                worker.terminate();
            }
            Kind::Page(slot) => {
                slot.borrow_mut().take();
                let _ = self.end.post(&JsValue::from_str(STOP));
            }
        }
    }
}

/// Sends on a [`Port`] (a handle a message handler may keep).
#[derive(Clone)]
pub struct Sender(Endpoint);

impl Sender {
    /// Sends a message.
    pub fn post(&self, message: &JsValue) -> Result<(), JsValue> {
        self.0.post(message)
    }
}

/// Loads the worker's wasm into the page (once; boot.js's `scalesimWorkerWasm`) and has it
/// serve `end`; if it cannot, the port's error handler hears of it.
fn load_engine(end: Endpoint, on_error: Rc<RefCell<Option<js_sys::Function>>>) {
    let fail = move |e: JsValue| {
        // Why, in words: the loader's error (`could not load …/scalesim-worker.js`).
        let why = js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| e.as_string())
            .unwrap_or_default();
        // Told on a later task: the handler is set after the port is made.
        let on_error = on_error.clone();
        gloo::timers::callback::Timeout::new(0, move || {
            let handler = on_error.borrow().clone();
            let init = web_sys::ErrorEventInit::new();
            init.set_message(&why);
            let event = ErrorEvent::new_with_event_init_dict("error", &init);
            if let (Some(handler), Ok(event)) = (handler, event) {
                let _ = handler.call1(&JsValue::NULL, &event);
            }
        })
        .forget();
    };
    let loader = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"scalesimWorkerWasm".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let promise = loader
        .and_then(|f| f.call0(&JsValue::NULL).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let Some(promise) = promise else {
        fail(JsValue::from_str("the page has no loader for it (boot.js)"));
        return;
    };
    let failed = fail.clone();
    let served = Closure::once(
        move |serve: JsValue| match serve.dyn_into::<js_sys::Function>() {
            Ok(serve) => {
                if let Err(e) = serve.call1(&JsValue::NULL, &end) {
                    failed(e);
                }
            }
            Err(e) => failed(e),
        },
    );
    let not_loaded = Closure::once(fail);
    let _ = promise.then2(&served, &not_loaded);
    // Each is called at most once, when the promise settles.
    served.forget();
    not_loaded.forget();
}
