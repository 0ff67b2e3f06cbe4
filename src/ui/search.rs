//! Runs capacity searches off the page's main thread, in the web worker
//! (`src/bin/scalesim_worker.rs`), and hands their updates to the app.
//!
//! ```text
//!   submit(JobRequest) ──▶ queue ──(worker ready)──▶ postMessage(JSON) ──▶ worker
//!   on_update ◀── JobUpdate::from_json ◀── message ◀──────────────────────┘
//!   worker missing / failing ──▶ the same jobs in the page, one run per timer tick
//! ```
//!
//! The worker's loader is fetched relative to the page (`./scalesim-worker_loader.js`), so the
//! app works from any sub-folder. When there is no worker (a test page, a host that lacks the
//! file, a browser that refuses it) the searches run in the page instead, one run per timer
//! tick: the answers are the same, the page is just less smooth while they run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::capacity::job::{Job, JobRequest, JobUpdate};

/// Where the worker's loader is, relative to the page.
pub const WORKER_URL: &str = "./scalesim-worker_loader.js";
/// How long the worker may take to say it is ready before the page runs searches itself, ms.
const READY_TIMEOUT_MS: u32 = 20_000;

/// Where searches run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The worker is loading; requests wait.
    Starting,
    /// In the web worker.
    Worker,
    /// In the page (no worker).
    Page,
}

/// The search queue and where it runs. Dropping it stops the worker.
pub struct Searches {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    place: Place,
    worker: Option<WorkerHandle>,
    /// Jobs sent or waiting, oldest first; a job leaves when it is done or failed.
    queue: VecDeque<JobRequest>,
    /// The job the page is running (page mode only).
    in_page: Option<Job>,
    tick: Option<Timeout>,
    ready_timer: Option<Timeout>,
    on_update: Rc<dyn Fn(JobUpdate)>,
    on_place: Rc<dyn Fn(Place)>,
}

struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
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
            worker: None,
            queue: VecDeque::new(),
            in_page: None,
            tick: None,
            ready_timer: None,
            on_update: Rc::new(on_update),
            on_place: Rc::new(on_place),
        }));
        start_worker(&inner);
        Searches { inner }
    }

    /// Queues a search; it starts when the ones before it are done.
    pub fn submit(&self, request: JobRequest) {
        let place = {
            let mut inner = self.inner.borrow_mut();
            inner.queue.push_back(request.clone());
            inner.place
        };
        match place {
            Place::Starting => {}
            Place::Worker => post(&self.inner, &request),
            Place::Page => schedule_tick(&self.inner),
        }
    }

    /// Drops every queued and running search (a running worker is stopped and a fresh one
    /// started).
    pub fn cancel_all(&self) {
        let place = {
            let mut inner = self.inner.borrow_mut();
            inner.queue.clear();
            inner.in_page = None;
            inner.tick = None;
            inner.place
        };
        if place == Place::Worker {
            self.inner.borrow_mut().worker = None;
            start_worker(&self.inner);
        }
    }
}

fn set_place(inner: &Rc<RefCell<Inner>>, place: Place) {
    let on_place = {
        let mut i = inner.borrow_mut();
        i.place = place;
        i.on_place.clone()
    };
    on_place(place);
}

fn start_worker(inner: &Rc<RefCell<Inner>>) {
    set_place(inner, Place::Starting);
    let Ok(worker) = Worker::new(WORKER_URL) else {
        run_in_page(inner);
        return;
    };
    let weak = Rc::downgrade(inner);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(inner) = weak.upgrade() {
            let text = event.data().as_string().unwrap_or_default();
            received(&inner, JobUpdate::from_json(&text));
        }
    });
    let weak = Rc::downgrade(inner);
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        fall_back_soon(weak.clone());
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let weak = Rc::downgrade(inner);
    let ready_timer = Timeout::new(READY_TIMEOUT_MS, move || {
        if let Some(inner) = weak.upgrade() {
            if inner.borrow().place == Place::Starting {
                run_in_page(&inner);
            }
        }
    });
    let mut i = inner.borrow_mut();
    i.worker = Some(WorkerHandle {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    });
    i.ready_timer = Some(ready_timer);
}

fn received(inner: &Rc<RefCell<Inner>>, update: Result<JobUpdate, String>) {
    let update = match update {
        Ok(JobUpdate::Ready) => {
            inner.borrow_mut().ready_timer = None;
            set_place(inner, Place::Worker);
            let queued: Vec<JobRequest> = inner.borrow().queue.iter().cloned().collect();
            for request in &queued {
                post(inner, request);
            }
            return;
        }
        Ok(update) => update,
        Err(message) => {
            // Not a message this app understands: the worker is not ours, or broken.
            gloo::console::warn!(message);
            fall_back_soon(Rc::downgrade(inner));
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
    let sent = inner.borrow().worker.as_ref().map(|w| {
        w.worker
            .post_message(&JsValue::from_str(&request.to_json()))
    });
    if !matches!(sent, Some(Ok(()))) {
        fall_back_soon(Rc::downgrade(inner));
    }
}

/// [`run_in_page`] once the worker's event handler that calls this has returned (falling back
/// drops the worker and its handlers).
fn fall_back_soon(inner: Weak<RefCell<Inner>>) {
    Timeout::new(0, move || {
        if let Some(inner) = inner.upgrade() {
            run_in_page(&inner);
        }
    })
    .forget();
}

/// No worker: run the queue in the page from the start of its oldest job.
fn run_in_page(inner: &Rc<RefCell<Inner>>) {
    {
        let mut i = inner.borrow_mut();
        if i.place == Place::Page {
            return;
        }
        i.worker = None;
        i.ready_timer = None;
        i.in_page = None;
    }
    set_place(inner, Place::Page);
    schedule_tick(inner);
}

fn schedule_tick(inner: &Rc<RefCell<Inner>>) {
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    // Yield to the browser between runs, so it can paint the progress.
    let tick = Timeout::new(0, move || {
        if let Some(inner) = weak.upgrade() {
            step_in_page(&inner);
        }
    });
    inner.borrow_mut().tick = Some(tick);
}

/// One run of the oldest job (or its start), then the next tick.
fn step_in_page(inner: &Rc<RefCell<Inner>>) {
    let update = {
        let mut i = inner.borrow_mut();
        i.tick = None;
        let Some(request) = i.queue.front().cloned() else {
            return;
        };
        match i.in_page.as_mut() {
            Some(job) => {
                let update = job.step();
                if update.is_none() {
                    // Over without a last word (cannot happen): drop it rather than spin.
                    i.queue.pop_front();
                    i.in_page = None;
                }
                update
            }
            None => match Job::start(&request) {
                Ok(job) => {
                    i.in_page = Some(job);
                    None
                }
                Err(failed) => Some(failed),
            },
        }
    };
    if let Some(update) = update {
        if matches!(update, JobUpdate::Done { .. } | JobUpdate::Failed { .. }) {
            inner.borrow_mut().in_page = None;
        }
        deliver(inner, update);
    }
    if !inner.borrow().queue.is_empty() {
        schedule_tick(inner);
    }
}
