//! Where the run lives: in the page, or in the simulation's web worker. Both take the same
//! [`Command`]s and give the same [`Output`]s, so the runner does not know which it has.
//!
//! ```text
//!   InPage:   send(cmd) ──▶ Session::handle            take_output ◀── Session::take_output
//!   InWorker: send(cmd) ──▶ postMessage(cmd) ──▶ worker: Session::handle
//!             take_output ◀── inbox ◀── message: the Output's bytes (super::wire), an ArrayBuffer (transferred)
//!   (a command travels as its bytes (super::wire) in a one-element array; a frame as its time, a number)
//! ```
//!
//! The worker answers each [`Command::Frame`] with one message, at once, from where the run
//! is, and plays between frames towards the clock the frames set
//! ([`super::session::Pacing::Between`]); the page keeps at most [`FRAMES_IN_FLIGHT`] frames
//! unanswered, so the worker simulates while the page draws and neither waits for the other. A worker that fails to load (or is not ready in time) says so with
//! [`SimHost::failed`]; the runner then moves the run into the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent};

use super::port::Port;
use super::session::{now_real_ms, Command, Output, Session};

/// Simulation work per frame in the page, ms of real time: room is left for drawing.
pub const PAGE_WORK_MS: f64 = 8.0;
/// Simulation work per slice between frames in the worker, ms of real time
/// ([`super::session::Pacing::Between`]): a frame from the page waits at most this long for
/// its answer; between slices the worker reads its messages.
pub const WORKER_STEP_MS: f64 = 6.0;
/// Seeking work per frame in the worker, ms: longer than a display frame, so that with
/// [`FRAMES_IN_FLIGHT`] frames waiting the worker re-runs without a pause between frames (with
/// the page's 12 ms it idled about a quarter of each 16.7-ms frame); the page shows the
/// recorded figures meanwhile.
pub const WORKER_SEEK_SLICE_MS: f64 = 40.0;
/// Frames sent to the worker ahead of its answers: a frame waits at most one slice of play
/// ([`WORKER_STEP_MS`]) for its answer; with two, a late answer does not hold back the next
/// frame's time.
const FRAMES_IN_FLIGHT: u32 = 2;
/// How long the worker may take to say it is ready before the run moves into the page, ms.
const READY_TIMEOUT_MS: f64 = 20_000.0;

/// Where the run lives.
pub trait SimHost {
    /// Hands a command to the run.
    fn send(&mut self, command: Command);
    /// Everything the run produced since the last call (merged); `None`: nothing came.
    fn take_output(&mut self) -> Option<Output>;
    /// Whether the run cannot go on here (a worker that did not load).
    fn failed(&self) -> bool;
    /// Whether the run lives in a web worker.
    fn in_worker(&self) -> bool;
}

/// Makes a host.
type NewHost = fn() -> Box<dyn SimHost>;

thread_local! {
    /// How the page runs the simulation itself, where its own wasm links the engine.
    static PAGE_HOST: Cell<Option<NewHost>> = const { Cell::new(None) };
}

/// Runs the page's fallback simulation with this wasm's own engine ([`InPage`]), and the
/// searches and gradings too ([`super::port::link_engine`]), instead of loading the worker's
/// wasm into the page: for pages that link the engine anyway (the browser tests, which have
/// no worker files). The app's wasm never calls this, so it links no engine.
pub fn link_engine_in_page() {
    PAGE_HOST.with(|h| h.set(Some(|| Box::new(InPage::new()))));
    super::port::link_engine(|end| super::serve::serve(end, super::serve::Place::Page));
}

/// Undoes the first half of [`link_engine_in_page`]: the page's run goes through a port to
/// the engine [`super::port::link_engine`] names (a browser test of an engine that arrives
/// late).
pub fn unlink_engine_in_page() {
    PAGE_HOST.with(|h| h.set(None));
}

/// A host for the run in the page: the engine this wasm links if [`link_engine_in_page`] was
/// called, else the worker's wasm loaded into the page.
pub fn page_host() -> Box<dyn SimHost> {
    if let Some(host) = PAGE_HOST.with(Cell::get) {
        return host();
    }
    match Port::in_page() {
        Some(port) => Box::new(Remote::start(port)),
        // No MessageChannel: a host that says at once that it failed.
        None => Box::new(Remote::failed_at_once()),
    }
}

/// The run in the page, in this wasm's own engine.
pub struct InPage(Session);

impl InPage {
    /// A run in the page, nothing loaded.
    pub fn new() -> InPage {
        InPage(Session::new(PAGE_WORK_MS))
    }
}

impl SimHost for InPage {
    fn send(&mut self, command: Command) {
        self.0.handle(command);
    }

    fn take_output(&mut self) -> Option<Output> {
        Some(self.0.take_output())
    }

    fn failed(&self) -> bool {
        false
    }

    fn in_worker(&self) -> bool {
        false
    }
}

/// The run behind a [`Port`]: in the web worker, or in the worker's wasm in the page.
pub struct Remote {
    port: Option<Port>,
    shared: Rc<RefCell<Shared>>,
    started_ms: f64,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

/// What the worker's handlers and the runner share.
#[derive(Default)]
struct Shared {
    /// The worker said it is ready.
    ready: bool,
    /// Commands given before it was ready, in order.
    waiting: Vec<JsValue>,
    /// Frames sent whose answers are not in yet.
    in_flight: u32,
    /// Answers not taken yet, merged.
    inbox: Option<Output>,
    /// The worker failed (to load, or later).
    failed: bool,
}

/// A command as the message that carries it: a frame (sent every animation frame) as its
/// time alone, a number; any other command as its bytes in the binary form of
/// [`crate::codec`] ([`super::wire`]), a `Uint8Array` in a one-element array (the search and
/// grading requests on the same port are bare JSON text). So the app's wasm writes no JSON for
/// a command, and links no `Serialize` of a scenario for it.
pub fn command_message(command: &Command) -> Option<JsValue> {
    if let Command::Frame { now_ms } = command {
        return Some(JsValue::from_f64(*now_ms));
    }
    let bytes = js_sys::Uint8Array::from(super::wire::to_bytes(command).as_slice());
    Some(js_sys::Array::of1(&bytes).into())
}

/// A message from the page, as a command (`None`: not one).
pub fn command_of(message: JsValue) -> Option<Command> {
    if let Some(now_ms) = message.as_f64() {
        return Some(Command::Frame { now_ms });
    }
    let parts: &js_sys::Array = message.dyn_ref()?;
    if parts.length() != 1 {
        return None;
    }
    let bytes: js_sys::Uint8Array = parts.get(0).dyn_into().ok()?;
    super::wire::from_bytes(&bytes.to_vec())
}

/// An output as the message that carries it, and the buffer to transfer with it: its bytes
/// in the wire's binary form ([`super::wire`]), one `ArrayBuffer`.
pub fn output_message(output: &Output) -> (JsValue, JsValue) {
    let bytes = super::wire::encode(output);
    let buffer = js_sys::Uint8Array::from(bytes.as_slice()).buffer();
    let transfer = js_sys::Array::of1(&buffer);
    (buffer.into(), transfer.into())
}

/// A message from the worker, as an output (`None`: not one).
pub fn output_of(message: &JsValue) -> Option<Output> {
    let buffer: &js_sys::ArrayBuffer = message.dyn_ref()?;
    super::wire::decode(&js_sys::Uint8Array::new(buffer).to_vec())
}

impl Remote {
    /// The run behind `port` (it is ready once the engine says so).
    pub fn start(port: Port) -> Remote {
        let shared = Rc::new(RefCell::new(Shared::default()));
        let on_message = {
            let shared = Rc::downgrade(&shared);
            let worker = port.sender();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let data = event.data();
                let mut s = shared.borrow_mut();
                if data.is_string() {
                    // The worker says it is ready (the search worker's `ready`).
                    s.ready = true;
                    for message in s.waiting.drain(..) {
                        let _ = worker.post(&message);
                    }
                } else if let Some(output) = output_of(&data) {
                    match &mut s.inbox {
                        Some(inbox) => inbox.merge(output),
                        None => s.inbox = Some(output),
                    }
                    s.in_flight = s.in_flight.saturating_sub(1);
                }
            })
        };
        let on_error = {
            let shared = Rc::downgrade(&shared);
            Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
                event.prevent_default();
                if let Some(shared) = shared.upgrade() {
                    shared.borrow_mut().failed = true;
                }
            })
        };
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        port.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Remote {
            port: Some(port),
            shared,
            started_ms: now_real_ms(),
            _on_message: on_message,
            _on_error: on_error,
        }
    }

    /// A host with no engine, failed from the start.
    fn failed_at_once() -> Remote {
        let shared = Rc::new(RefCell::new(Shared {
            failed: true,
            ..Shared::default()
        }));
        Remote {
            port: None,
            shared,
            started_ms: now_real_ms(),
            _on_message: Closure::new(|_: MessageEvent| {}),
            _on_error: Closure::new(|_: ErrorEvent| {}),
        }
    }
}

impl SimHost for Remote {
    fn send(&mut self, command: Command) {
        let mut s = self.shared.borrow_mut();
        let frame = matches!(command, Command::Frame { .. });
        if frame && (!s.ready || s.in_flight >= FRAMES_IN_FLIGHT) {
            // The worker is still busy: this frame's time goes into the next (its `now_ms`
            // is later).
            return;
        }
        let Some(message) = command_message(&command) else {
            return;
        };
        if !s.ready {
            s.waiting.push(message);
            return;
        }
        let sent = self.port.as_ref().map(|p| p.post(&message));
        if !matches!(sent, Some(Ok(()))) {
            s.failed = true;
            return;
        }
        s.in_flight += u32::from(frame);
    }

    fn take_output(&mut self) -> Option<Output> {
        self.shared.borrow_mut().inbox.take()
    }

    fn failed(&self) -> bool {
        let s = self.shared.borrow();
        s.failed || (!s.ready && now_real_ms() - self.started_ms > READY_TIMEOUT_MS)
    }

    fn in_worker(&self) -> bool {
        self.port.as_ref().is_some_and(Port::is_worker)
    }
}
