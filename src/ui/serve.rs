//! The engine's side of the messages: the simulation the page shows, capacity searches and
//! challenge grading, answered on an [`Endpoint`]. The web worker
//! (`src/bin/scalesim_worker.rs`) serves its own global scope; where no worker runs, the
//! worker's wasm is loaded into the page and serves one end of a `MessageChannel`
//! ([`super::port`]), so the app's own wasm links none of the engine.
//!
//! ```text
//!   ──session::Command──▶ Session::handle; after each Frame:
//!                          postMessage(the Output's bytes, an ArrayBuffer (super::wire), transfer: [it])
//!                          in a worker, while playing behind the frames' clock: ──▶ own channel
//!                          ──▶ Session::step, a slice at a time, between the page's messages
//!   ──JobRequest (JSON)──▶ capacity::job   ──▶ postMessage(JobUpdate JSON), one per run
//!   ──GradeRequest──────▶ challenge grading ──▶ postMessage(GradeUpdate JSON), one per seed
//!   ──"stop"────────────▶ (in the page) everything under way is dropped, nothing more is said
//! ```
//!
//! It says `ready` once. In a worker each request runs to its end, one at a time in the order
//! received (a search is cancelled by terminating the worker); in the page the searches and
//! gradings go one run (or seed) per timer tick, so the page keeps drawing.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::host::{command_of, output_message, PAGE_WORK_MS, WORKER_SEEK_SLICE_MS, WORKER_STEP_MS};
use super::session::{Command, Pacing, Session};
use crate::capacity::job::{self, Job, JobRequest, JobUpdate};
use crate::challenge::job::{self as grading, GradeRequest, GradeUpdate};
use crate::challenge::{challenge, Grading};

/// What the page sends to drop everything under way in an engine it loaded into itself (a
/// worker is terminated instead).
pub const STOP: &str = "stop";

#[wasm_bindgen]
extern "C" {
    /// Where requests come from and answers go: a worker's global scope, or a `MessagePort`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Clone, Debug)]
    pub type Endpoint;
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    pub fn post(this: &Endpoint, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    pub fn post_with_transfer(
        this: &Endpoint,
        message: &JsValue,
        transfer: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, setter = onmessage)]
    pub fn set_onmessage(this: &Endpoint, handler: Option<&js_sys::Function>);
}

/// Where the engine runs, which decides how long a request may hold the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// In a web worker: each request runs to its end.
    Worker,
    /// In the page: searches and gradings one step per timer tick.
    Page,
}

/// A search or a grading under way (in the page).
enum Work {
    Search(Box<Job>),
    Grade { job: u32, grading: Box<Grading> },
}

/// What one message handler and the page's timer ticks share.
struct Server {
    /// In a worker, the sending end of its own channel: a message on it plays one slice
    /// between the page's messages ([`play_between`]).
    between: Option<Endpoint>,
    /// A slice is asked for on `between` and has not run yet.
    between_asked: bool,
    endpoint: Endpoint,
    place: Place,
    /// The simulation, built on its first command.
    session: Option<Session>,
    /// Searches and gradings not started yet (in the page), oldest first.
    queue: VecDeque<String>,
    /// The one under way (in the page).
    current: Option<Work>,
    tick: Option<Timeout>,
    stopped: bool,
}

/// Answers requests on `endpoint` until the page says [`STOP`] (or the worker ends).
pub fn serve(endpoint: Endpoint, place: Place) {
    let server = Rc::new(RefCell::new(Server {
        between: None,
        between_asked: false,
        endpoint: endpoint.clone(),
        place,
        session: None,
        queue: VecDeque::new(),
        current: None,
        tick: None,
        stopped: false,
    }));
    if place == Place::Worker {
        open_between(&server);
    }
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        received(&server, event.data());
    });
    endpoint.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the endpoint (a stopped server ignores what still comes).
    on_message.forget();
    let _ = endpoint.post(&JsValue::from_str(&JobUpdate::Ready.to_json()));
}

fn received(server: &Rc<RefCell<Server>>, data: JsValue) {
    if server.borrow().stopped {
        return;
    }
    // A simulation command (a frame's time, or a command's JSON text in a one-element array);
    // the search and grading requests are bare JSON text.
    if let Some(command) = command_of(data.clone()) {
        simulate(&mut server.borrow_mut(), command);
        return;
    }
    let text = data.as_string().unwrap_or_default();
    if text == STOP {
        let mut s = server.borrow_mut();
        s.stopped = true;
        s.session = None;
        s.queue.clear();
        s.current = None;
        s.tick = None;
        return;
    }
    let place = server.borrow().place;
    match place {
        Place::Worker => run_to_end(&server.borrow().endpoint, &text),
        Place::Page => {
            server.borrow_mut().queue.push_back(text);
            schedule(server);
        }
    }
}

fn simulate(s: &mut Server, command: Command) {
    let frame = matches!(command, Command::Frame { .. });
    let place = s.place;
    let session = s.session.get_or_insert_with(|| {
        let mut session = Session::new(PAGE_WORK_MS);
        if place == Place::Worker {
            session.set_seek_slice_ms(WORKER_SEEK_SLICE_MS);
            session.set_pacing(Pacing::Between);
        }
        session
    });
    session.handle(command);
    if frame {
        // Every frame is answered (the page waits for the answer before the next).
        let (message, transfer) = output_message(&session.take_output());
        let _ = s.endpoint.post_with_transfer(&message, &transfer);
    }
    // In a worker, play on between this message and the next (a frame moved the clock on;
    // a command may have changed the speed, paused or seeked: the slice says).
    ask_between(s);
}

/// Opens the worker's own channel, on which [`play_between`] plays towards the frames' clock
/// between the page's messages.
fn open_between(server: &Rc<RefCell<Server>>) {
    let Some(channel) = super::port::MessageChannel::new().ok() else {
        return;
    };
    let weak = Rc::downgrade(server);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
        if let Some(server) = weak.upgrade() {
            play_between(&server);
        }
    });
    channel
        .port1()
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Lives as long as the worker.
    on_message.forget();
    server.borrow_mut().between = Some(channel.port2());
}

/// Asks for a slice on the worker's own channel, unless one is asked for already. It runs
/// after the messages already waiting (the page's frames are posted to the same thread), so
/// a frame waits at most one slice for its answer.
fn ask_between(s: &mut Server) {
    if s.between_asked {
        return;
    }
    if let Some(between) = &s.between {
        s.between_asked = between.post(&JsValue::UNDEFINED).is_ok();
    }
}

/// One slice of play between messages; asks for the next while the run is behind its clock.
fn play_between(server: &Rc<RefCell<Server>>) {
    let mut s = server.borrow_mut();
    s.between_asked = false;
    if s.stopped {
        return;
    }
    if s.session
        .as_mut()
        .is_some_and(|session| session.step(WORKER_STEP_MS))
    {
        ask_between(&mut s);
    }
}

fn say(endpoint: &Endpoint, json: String) {
    let _ = endpoint.post(&JsValue::from_str(&json));
}

/// A search or grading request, run whole (in a worker).
fn run_to_end(endpoint: &Endpoint, text: &str) {
    if let Some(request) = GradeRequest::from_json(text) {
        grading::run(&request, &mut |update| say(endpoint, update.to_json()));
        return;
    }
    match JobRequest::from_json(text) {
        Ok(request) => job::run(&request, &mut |update| say(endpoint, update.to_json())),
        Err(message) => say(endpoint, JobUpdate::Failed { job: 0, message }.to_json()),
    }
}

/// The next step on a timer tick (in the page), if none is waiting already.
fn schedule(server: &Rc<RefCell<Server>>) {
    if server.borrow().tick.is_some() {
        return;
    }
    let weak = Rc::downgrade(server);
    let tick = Timeout::new(0, move || {
        if let Some(server) = weak.upgrade() {
            server.borrow_mut().tick = None;
            step(&server);
        }
    });
    server.borrow_mut().tick = Some(tick);
}

/// One run of the search (or one seed of the grading) under way, or the start of the next.
fn step(server: &Rc<RefCell<Server>>) {
    let mut s = server.borrow_mut();
    if s.stopped {
        return;
    }
    let endpoint = s.endpoint.clone();
    match s.current.take() {
        None => {
            let Some(text) = s.queue.pop_front() else {
                return;
            };
            s.current = start(&endpoint, &text);
        }
        Some(Work::Search(mut job)) => {
            // A search is over after its `Done` (or, should it end without one, at once).
            if let Some(update) = job.step() {
                let over = matches!(update, JobUpdate::Done { .. } | JobUpdate::Failed { .. });
                say(&endpoint, update.to_json());
                if !over {
                    s.current = Some(Work::Search(job));
                }
            }
        }
        Some(Work::Grade { job, mut grading }) => {
            grading.step();
            let (done, total) = grading.progress();
            say(
                &endpoint,
                GradeUpdate::Grading {
                    job,
                    done: done as u32,
                    total: total as u32,
                }
                .to_json(),
            );
            if grading.is_done() {
                let grade = Box::new(grading.finish());
                say(&endpoint, GradeUpdate::Graded { job, grade }.to_json());
            } else {
                s.current = Some(Work::Grade { job, grading });
            }
        }
    }
    let more = s.current.is_some() || !s.queue.is_empty();
    drop(s);
    if more {
        schedule(server);
    }
}

/// Starts a search or a grading (in the page); one that cannot start says why and is over.
fn start(endpoint: &Endpoint, text: &str) -> Option<Work> {
    if let Some(request) = GradeRequest::from_json(text) {
        let Some(c) = challenge(request.challenge) else {
            let message = format!("no challenge {}", request.challenge);
            let job = request.job;
            say(
                endpoint,
                GradeUpdate::GradeFailed { job, message }.to_json(),
            );
            return None;
        };
        return Some(Work::Grade {
            job: request.job,
            grading: Box::new(Grading::new(c, &request.candidate)),
        });
    }
    let started = JobRequest::from_json(text)
        .map_err(|message| JobUpdate::Failed { job: 0, message })
        .and_then(|request| Job::start(&request));
    match started {
        Ok(job) => Some(Work::Search(Box::new(job))),
        Err(failed) => {
            say(endpoint, failed.to_json());
            None
        }
    }
}
