//! Runs capacity searches off the page's main thread, in the web worker
//! (`src/bin/scalesim_worker.rs`), and hands their updates to the app.
//!
//! ```text
//!   submit(JobRequest) ──▶ queue ──(engine ready)──▶ postMessage(JSON) ──▶ Port
//!   on_update ◀── JobUpdate::from_json ◀── message ◀──────────────────────┘
//!   worker missing / failing ──▶ the same jobs in the worker's wasm loaded into the page,
//!                                one run per timer tick (super::port, super::serve)
//! ```
//!
//! The worker's loader is fetched relative to the page (`./scalesim-worker_loader.js`), so the
//! app works from any sub-folder. When there is no worker (a host that lacks the file, a
//! browser that refuses it) the searches run in the page instead, one run per timer tick: the
//! answers are the same, the page is just less smooth while they run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent};

use super::port::Port;
use crate::capacity::job::{JobRequest, JobUpdate};

/// How long the worker may take to say it is ready before the page runs searches itself, ms.
const READY_TIMEOUT_MS: u32 = 20_000;

/// Where searches run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The worker is loading; requests wait.
    Starting,
    /// In the web worker.
    Worker,
    /// In the page (no worker).
    Page,
    /// Nowhere: neither the worker nor the engine in the page could start (why); every
    /// search fails at once, until [`Searches::cancel_all`] tries again.
    Unavailable(String),
}

/// The search queue and where it runs. Dropping it stops the worker.
pub struct Searches {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    place: Place,
    engine: Option<Engine>,
    /// Jobs sent or waiting, oldest first; a job leaves when it is done or failed.
    queue: VecDeque<JobRequest>,
    ready_timer: Option<Timeout>,
    on_update: Rc<dyn Fn(JobUpdate)>,
    on_place: Rc<dyn Fn(Place)>,
}

/// The engine's port and its handlers (dropped with it).
struct Engine {
    port: Port,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Searches {
    /// Starts the worker; `on_update` gets every update of every job, `on_place` where the
    /// searches run whenever that changes.
    pub fn new(
        on_update: impl Fn(JobUpdate) + 'static,
        on_place: impl Fn(Place) + 'static,
    ) -> Searches {
        let inner = Rc::new(RefCell::new(Inner {
            place: Place::Starting,
            engine: None,
            queue: VecDeque::new(),
            ready_timer: None,
            on_update: Rc::new(on_update),
            on_place: Rc::new(on_place),
        }));
        start(&inner, false);
        Searches { inner }
    }

    /// Queues a search; it starts when the ones before it are done.
    pub fn submit(&self, request: JobRequest) {
        let place = {
            let mut inner = self.inner.borrow_mut();
            inner.queue.push_back(request.clone());
            inner.place.clone()
        };
        match place {
            Place::Starting => {}
            Place::Unavailable(why) => fail_all(&self.inner, &why),
            Place::Worker | Place::Page => post(&self.inner, &request),
        }
    }

    /// Drops every queued and running search (the engine is stopped and a fresh one started
    /// in the same place).
    pub fn cancel_all(&self) {
        let in_page = {
            let mut inner = self.inner.borrow_mut();
            inner.queue.clear();
            inner.ready_timer = None;
            let in_page = inner.place == Place::Page;
            inner.engine = None;
            in_page
        };
        start(&self.inner, in_page);
    }
}

fn set_place(inner: &Rc<RefCell<Inner>>, place: Place) {
    let on_place = {
        let mut i = inner.borrow_mut();
        i.place = place.clone();
        i.on_place.clone()
    };
    on_place(place);
}

/// Starts the engine: the worker, or (`in_page`, or no worker) the page's.
fn start(inner: &Rc<RefCell<Inner>>, in_page: bool) {
    set_place(inner, Place::Starting);
    let Some(port) = Port::open(in_page) else {
        unavailable(
            inner,
            "this browser can start neither a web worker nor the page's engine",
        );
        return;
    };
    let in_page = !port.is_worker();
    let weak = Rc::downgrade(inner);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(inner) = weak.upgrade() {
            let text = event.data().as_string().unwrap_or_default();
            received(&inner, JobUpdate::from_json(&text), in_page);
        }
    });
    let weak = Rc::downgrade(inner);
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        failed_soon(weak.clone(), in_page, event.message());
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    port.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let ready_timer = (!in_page).then(|| {
        let weak = Rc::downgrade(inner);
        Timeout::new(READY_TIMEOUT_MS, move || {
            if let Some(inner) = weak.upgrade() {
                if inner.borrow().place == Place::Starting {
                    inner.borrow_mut().engine = None;
                    start(&inner, true);
                }
            }
        })
    });
    let mut i = inner.borrow_mut();
    i.engine = Some(Engine {
        port,
        _on_message: on_message,
        _on_error: on_error,
    });
    i.ready_timer = ready_timer;
}

fn received(inner: &Rc<RefCell<Inner>>, update: Result<JobUpdate, String>, in_page: bool) {
    let update = match update {
        Ok(JobUpdate::Ready) => {
            inner.borrow_mut().ready_timer = None;
            set_place(inner, if in_page { Place::Page } else { Place::Worker });
            let queued: Vec<JobRequest> = inner.borrow().queue.iter().cloned().collect();
            for request in &queued {
                post(inner, request);
            }
            return;
        }
        Ok(update) => update,
        Err(message) => {
            // Not a message this app understands: the engine is not ours, or broken.
            gloo::console::warn!(message.clone());
            failed_soon(
                Rc::downgrade(inner),
                in_page,
                format!("its engine answered what this app does not understand ({message})"),
            );
            return;
        }
    };
    deliver(inner, update);
}

/// Hands an update on, and drops its job from the queue when the job is over.
fn deliver(inner: &Rc<RefCell<Inner>>, update: JobUpdate) {
    let on_update = {
        let mut i = inner.borrow_mut();
        let job = update.job();
        let known = i.queue.iter().any(|r| r.job == job);
        if !known {
            // A job cancelled since: ignore what it still says.
            return;
        }
        if matches!(update, JobUpdate::Done { .. } | JobUpdate::Failed { .. }) {
            i.queue.retain(|r| r.job != job);
        }
        i.on_update.clone()
    };
    on_update(update);
}

fn post(inner: &Rc<RefCell<Inner>>, request: &JobRequest) {
    let (sent, in_page) = {
        let i = inner.borrow();
        let sent = i
            .engine
            .as_ref()
            .map(|e| e.port.post(&JsValue::from_str(&request.to_json())));
        (sent, i.place == Place::Page)
    };
    match sent {
        Some(Ok(())) => {}
        Some(Err(e)) => failed_soon(
            Rc::downgrade(inner),
            in_page,
            e.as_string()
                .unwrap_or_else(|| "a search could not be sent".into()),
        ),
        None => failed_soon(Rc::downgrade(inner), in_page, String::new()),
    }
}

/// The engine failed (`why`, if it said): the worker's jobs go to the page's engine, from the
/// start of the oldest; if the page's failed too, no engine is left. Done once the handler
/// that calls this has returned (this drops the engine and its handlers).
fn failed_soon(inner: Weak<RefCell<Inner>>, in_page: bool, why: String) {
    Timeout::new(0, move || {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if inner.borrow().engine.is_none() {
            return;
        }
        inner.borrow_mut().engine = None;
        inner.borrow_mut().ready_timer = None;
        if in_page {
            let why = if why.is_empty() {
                "the simulator could not load in this page".to_string()
            } else {
                format!("the simulator could not load in this page: {why}")
            };
            unavailable(&inner, &why);
        } else {
            start(&inner, true);
        }
    })
    .forget();
}

/// No engine can run searches (`why`): the queued ones fail, and so will later ones.
fn unavailable(inner: &Rc<RefCell<Inner>>, why: &str) {
    set_place(inner, Place::Unavailable(why.to_string()));
    fail_all(inner, why);
}

/// Every queued job fails with `message`.
fn fail_all(inner: &Rc<RefCell<Inner>>, message: &str) {
    let jobs: Vec<u32> = inner.borrow().queue.iter().map(|r| r.job).collect();
    for job in jobs {
        deliver(
            inner,
            JobUpdate::Failed {
                job,
                message: message.to_string(),
            },
        );
    }
}
