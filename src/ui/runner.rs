//! The page's side of the running simulation: pacing and drawing. It hands every change to
//! the run ([`Command`]s to a [`SimHost`]: in a web worker, or in the page where workers are
//! unavailable) and, every animation frame, draws the dots the run sent and passes its
//! figures and diagrams on to the app.
//!
//! ```text
//!  requestAnimationFrame ──▶ Runner::frame ──▶ host.send(Frame { now_ms })
//!                                  │◀── host.take_output(): dots, figures, diagram, log, changes
//!                                  │──▶ particles::draw (canvas, when new dots came)
//!                                  └──▶ Update { figures, diagram } ──▶ Action::Figures / Loaded
//! ```
//!
//! Time travel lives in the core ([`crate::sim::Playback`], driven by the
//! [`super::session::Session`] wherever it runs); links are asked of the engine's wasm
//! ([`Command::Write`]) from the scenario the run was built from and the live changes the run
//! reports, and handed to whoever asked when the text comes back.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use super::host::{page_host, Remote, SimHost};
use super::particles;
use super::port::Port;
use super::reading::{Opened, Read, Write};
pub use super::session::Op;
use super::session::{Command, Output};
use super::state::{Figures, SimPlace};
use crate::layout::{Diagram, Orientation};
use crate::layout_plan;
use crate::scenario::{LiveChange, Scenario, TopologyFile};
use crate::sim::LogEntry;

/// What a frame (or a change) brings the app.
#[derive(Debug, Default)]
pub struct Update {
    /// A diagram laid out again.
    pub diagram: Option<Diagram>,
    /// Fresh figures.
    pub figures: Option<Figures>,
    /// The scenario could not be built: why.
    pub failed: Option<String>,
    /// Links and files the engine read ([`Command::Read`]).
    pub opened: Vec<Opened>,
}

/// Whether the worker runs the simulation when the address does not say (the browser checks
/// of both ways: scripts/check-sim-worker.sh, `the_worker_messages_…` in tests/web.rs).
const WORKER_BY_DEFAULT: bool = true;

/// Where the run should live: `?sim=worker` or `?sim=page` in the page's address decide;
/// otherwise the worker where the page can start one and is the built app (its loader,
/// `#scalesim-boot`, is there; a test page lacks the worker's files).
fn wants_worker() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let query = window.location().search().unwrap_or_default();
    let asked = |value: &str| {
        query
            .trim_start_matches('?')
            .split('&')
            .any(|p| p == format!("sim={value}"))
    };
    if asked("worker") {
        return true;
    }
    if asked("page") {
        return false;
    }
    let has_worker = js_sys::Reflect::has(&window, &"Worker".into()).unwrap_or(false);
    let built_app = window
        .document()
        .and_then(|d| d.get_element_by_id("scalesim-boot"))
        .is_some();
    WORKER_BY_DEFAULT && has_worker && built_app
}

/// A host where the page wants it: in the worker if asked for and possible, else the page.
fn new_host() -> Box<dyn SimHost> {
    if wants_worker() {
        if let Some(worker) = Port::worker() {
            return Box::new(Remote::start(worker));
        }
    }
    page_host()
}

/// Drives the run and draws it.
pub struct Runner {
    host: Box<dyn SimHost>,
    playing: bool,
    speed: f64,
    reduced_motion: bool,
    orientation: Orientation,
    /// The scenario of the run (before live changes); `None` before one was built.
    base: Option<Scenario>,
    /// The drawn architecture `base` was lowered from, if any: links then carry it (`v2.`).
    graph: Option<TopologyFile>,
    /// The run's live changes, as it last reported them.
    changes: Vec<LiveChange>,
    /// Simulated time the run last reported, in seconds.
    now_s: f64,
    /// Simulated time the meter has counted up to, in seconds.
    metered_s: f64,
    /// The newest dots the run sent, not drawn yet.
    dots: Option<Vec<f32>>,
    /// A seek was asked for and has not arrived: simulated time jumps, it is not speed.
    seeking: bool,
    /// The whole run's event log, as the run sent it, and the same handed out (the same `Rc`
    /// while nothing new came).
    history: Vec<LogEntry>,
    log: Rc<Vec<LogEntry>>,
    meter: Meter,
    /// The diagram's size, in diagram units (the dots are placed in it).
    diagram_size: (f64, f64),
    /// Those waiting for the report of the run.
    report_waiters: Vec<Box<dyn FnOnce(String)>>,
    /// The loaded scenario's diagram as the page lays it out, not handed to the app yet: it
    /// shows while the engine loads, and the engine's own replaces it.
    planned: Option<Diagram>,
    /// Links and files sent to be read whose answer has not come (sent again if the run moves
    /// into the page).
    reading: Vec<Read>,
    /// Links and files asked to be written whose text has not come, oldest first, each with
    /// what to do with it (sent again if the run moves into the page).
    writing: VecDeque<(Write, Written)>,
}

/// What to do with a text the engine wrote (a link, a file).
type Written = Box<dyn FnOnce(String)>;

impl Default for Runner {
    fn default() -> Self {
        Runner {
            host: new_host(),
            playing: false,
            speed: 1.0,
            reduced_motion: false,
            orientation: Orientation::default(),
            base: None,
            graph: None,
            changes: Vec::new(),
            now_s: 0.0,
            metered_s: 0.0,
            dots: None,
            seeking: false,
            history: Vec::new(),
            log: Rc::default(),
            meter: Meter::default(),
            diagram_size: (0.0, 0.0),
            report_waiters: Vec::new(),
            planned: None,
            reading: Vec::new(),
            writing: VecDeque::new(),
        }
    }
}

impl Runner {
    /// Hands a command to the run (see [`Command`]); what it produces comes with
    /// [`Runner::take_update`] (at once in the page) or a later frame.
    pub fn send(&mut self, command: Command) {
        match &command {
            Command::Load {
                scenario,
                orientation,
                recorded,
                start_at_s,
            } => {
                self.seeking = start_at_s.is_some();
                self.base = Some((**scenario).clone());
                self.orientation = *orientation;
                self.changes = recorded.clone();
                self.now_s = 0.0;
                self.metered_s = 0.0;
                self.history.clear();
                self.log = Rc::default();
                self.meter = Meter::default();
                // Drawn at once from the scenario, without waiting for the engine (in the
                // worker, whose wasm comes after the page's): a fresh run's first diagram.
                // With live changes or a seek, the engine's may differ: it alone draws it.
                // Not validated here: the engine validates every scenario it loads, and a
                // refusal comes back as `failed` with its reasons, which replaces the drawing
                // (the plan draws any scenario, `a_scenario_that_fails_validation_is_planned…`
                // in tests/core/layout_plan.rs); validation's code stays out of the page's wasm.
                // A data center's own changes (`set`) are applied by the engine alone: with
                // them, the engine draws the first diagram too.
                self.planned = (recorded.is_empty() && start_at_s.is_none())
                    .then(|| layout_plan::diagram_shared(scenario, *orientation))
                    .flatten();
            }
            Command::Playing(playing) => self.playing = *playing,
            Command::Speed(speed) => self.speed = *speed,
            Command::ReducedMotion(reduced) => self.reduced_motion = *reduced,
            Command::Orientation(orientation) => self.orientation = *orientation,
            Command::Seek(_) => self.seeking = true,
            Command::Read(request) => self.reading.push(request.clone()),
            _ => {}
        }
        self.host.send(command);
    }

    /// Draws a scenario's diagram as the page lays it out, without running it: what shows
    /// while the engine reads the link the page opened on (a preset, the stage the link
    /// names). Not validated, as [`Runner::send`] does not validate: the plan draws any
    /// scenario, and validation's code stays out of the page's wasm.
    pub fn show_plan(&mut self, scenario: &Scenario, orientation: Orientation) {
        self.orientation = orientation;
        self.planned = layout_plan::diagram_shared(scenario, orientation);
    }

    /// Asks for the report of the run so far (pretty JSON, as `scalesim run` prints it);
    /// `done` gets it when it comes.
    pub fn request_report(&mut self, done: impl FnOnce(String) + 'static) {
        self.report_waiters.push(Box::new(done));
        self.host.send(Command::Report);
    }

    /// Says which drawn architecture the loaded scenario was lowered from (`None`: none).
    pub fn set_graph(&mut self, graph: Option<TopologyFile>) {
        self.graph = graph;
    }

    /// Asks for the link fragment (without `#`) that reproduces this run: the scenario it was
    /// built from (or its drawing), every live change with its time, and `time_s` (if given and
    /// within the run). Before a simulation is built (or when it could not be), the link of
    /// `scenario` alone. The engine's wasm writes it; `done` gets it when it comes (at once in
    /// the page, with a later frame from the worker).
    pub fn request_link(
        &mut self,
        time_s: Option<f64>,
        scenario: &Scenario,
        done: impl FnOnce(String) + 'static,
    ) {
        let request = match &self.base {
            Some(base) => Write::Link {
                scenario: Box::new(base.clone()),
                graph: self.graph.clone(),
                live: self.changes.clone(),
                time_s: time_s
                    .map(|t| (t * 1e3).round() / 1e3)
                    .filter(|&t| t > 0.0 && t <= f64::from(base.duration_s)),
            },
            None => Write::Link {
                scenario: Box::new(scenario.clone()),
                graph: None,
                live: Vec::new(),
                time_s: None,
            },
        };
        self.request_write(request, done);
    }

    /// Asks the engine's wasm to write a link or a file; `done` gets the text when it comes.
    pub fn request_write(&mut self, request: Write, done: impl FnOnce(String) + 'static) {
        self.writing.push_back((request.clone(), Box::new(done)));
        self.host.send(Command::Write(request));
    }

    /// Simulated time now (as the run last said), in seconds.
    pub fn now_s(&self) -> f64 {
        self.now_s
    }

    /// What the run produced since the last call (in the page, a command's effect at once).
    pub fn take_update(&mut self) -> Update {
        let planned = self.planned.take();
        let mut update = match self.host.take_output() {
            Some(output) => self.absorb(output),
            None => Update::default(),
        };
        if update.diagram.is_none() && update.failed.is_none() {
            if let Some(d) = planned {
                self.diagram_size = (d.width, d.height);
                update.diagram = Some(d);
            }
        }
        update
    }

    /// One animation frame at real time `now_ms`: the run advances (in the page now; in the
    /// worker meanwhile), the newest dots are drawn, and fresh figures come every
    /// [`super::session::REPORT_INTERVAL_MS`].
    pub fn frame(&mut self, now_ms: f64, canvas: Option<&HtmlCanvasElement>, dpr: f64) -> Update {
        if self.host.failed() {
            if self.host.in_worker() {
                self.move_into_page();
            } else if self.base.take().is_some() || !self.reading.is_empty() {
                // The page's engine did not load either (nor can it read a link): say so,
                // once.
                self.reading.clear();
                return Update {
                    failed: Some("the simulator could not load in this page".into()),
                    ..Update::default()
                };
            }
        }
        self.host.send(Command::Frame { now_ms });
        let was_seeking = self.seeking;
        let update = self.take_update();
        let advanced_s = if was_seeking {
            0.0
        } else {
            (self.now_s - self.metered_s).max(0.0)
        };
        self.metered_s = self.now_s;
        self.meter.record(now_ms, advanced_s);
        if let (Some(canvas), Some(dots)) = (canvas, self.dots.take()) {
            if dots.is_empty() && self.reduced_motion {
                particles::clear(canvas);
            } else {
                particles::draw(canvas, &dots, self.diagram_size, dpr);
            }
        }
        match update.figures {
            // The figures carry this frame's rate.
            Some(f) => Update {
                figures: Some(Figures {
                    fps: self.meter.fps(),
                    sim_speed: if self.playing {
                        self.meter.sim_speed()
                    } else {
                        0.0
                    },
                    ..f
                }),
                ..update
            },
            None => update,
        }
    }

    /// Takes in what the run sent (the dots wait for the next frame); returns the update for
    /// the app.
    fn absorb(&mut self, output: Output) -> Update {
        let Output {
            failed,
            diagram,
            figures,
            log,
            changes,
            report,
            now_s,
            dots,
            opened,
            written,
        } = output;
        // Answers come in the order asked.
        self.reading.drain(..opened.len().min(self.reading.len()));
        if failed.is_some() {
            self.base = None;
        }
        if let Some(d) = &diagram {
            self.diagram_size = (d.width, d.height);
        }
        if let Some(changes) = changes {
            self.changes = changes;
        }
        if let Some(delta) = log {
            delta.apply(&mut self.history);
            self.log = Rc::new(self.history.clone());
        }
        if let Some(report) = report {
            for done in self.report_waiters.drain(..) {
                done(report.clone());
            }
        }
        // Answers come in the order asked.
        for text in written {
            if let Some((_, done)) = self.writing.pop_front() {
                done(text);
            }
        }
        self.now_s = now_s;
        let figures = figures.map(|f| {
            if f.seeking.is_none() {
                self.seeking = false;
            }
            Figures {
                sim_place: if self.host.in_worker() {
                    SimPlace::Worker
                } else {
                    SimPlace::Page
                },
                fps: self.meter.fps(),
                sim_speed: if self.playing {
                    self.meter.sim_speed()
                } else {
                    0.0
                },
                log: self.log.clone(),
                ..f
            }
        });
        if dots.is_some() {
            self.dots = dots;
        }
        Update {
            diagram,
            figures,
            failed,
            opened,
        }
    }

    /// The worker failed (did not load, or stopped): the run goes on in the page, rebuilt
    /// from its scenario with the live changes it reported and a seek to where it was (the
    /// same run: a seek replays the changes at their times).
    fn move_into_page(&mut self) {
        self.host = page_host();
        if let Some(base) = &self.base {
            self.host.send(Command::Load {
                scenario: Box::new(base.clone()),
                orientation: self.orientation,
                recorded: self.changes.clone(),
                start_at_s: (self.now_s > 0.0).then_some(self.now_s),
            });
            self.seeking = self.now_s > 0.0;
        }
        for command in [
            Command::Playing(self.playing),
            Command::Speed(self.speed),
            Command::ReducedMotion(self.reduced_motion),
        ] {
            self.host.send(command);
        }
        for request in self.reading.clone() {
            self.host.send(Command::Read(request));
        }
        for (request, _) in &self.writing {
            self.host.send(Command::Write(request.clone()));
        }
    }
}

/// Frames per second and simulated seconds per real second over the last second or so.
#[derive(Clone, Debug, Default)]
struct Meter {
    /// (real time in ms, simulated seconds advanced in that frame), oldest first.
    frames: std::collections::VecDeque<(f64, f64)>,
}

impl Meter {
    const WINDOW_MS: f64 = 1000.0;
    const MAX_FRAMES: usize = 512;

    fn record(&mut self, now_ms: f64, advanced_s: f64) {
        self.frames.push_back((now_ms, advanced_s));
        while self.frames.len() > Self::MAX_FRAMES
            || self
                .frames
                .front()
                .is_some_and(|(t, _)| now_ms - t > Self::WINDOW_MS)
        {
            self.frames.pop_front();
        }
    }

    fn span_ms(&self) -> f64 {
        match (self.frames.front(), self.frames.back()) {
            (Some(first), Some(last)) => last.0 - first.0,
            _ => 0.0,
        }
    }

    fn fps(&self) -> f64 {
        let span = self.span_ms();
        if span <= 0.0 {
            return 0.0;
        }
        (self.frames.len() - 1) as f64 * 1000.0 / span
    }

    fn sim_speed(&self) -> f64 {
        let span = self.span_ms();
        if span <= 0.0 {
            return 0.0;
        }
        // The first frame's advance happened before the window opened.
        let advanced: f64 = self.frames.iter().skip(1).map(|(_, s)| s).sum();
        advanced / (span / 1000.0)
    }
}

/// A `requestAnimationFrame` loop that stops when dropped.
pub struct AnimationLoop {
    state: Rc<LoopState>,
}

/// The per-frame JavaScript callback.
type FrameCallback = Closure<dyn FnMut(f64)>;

struct LoopState {
    frame_id: std::cell::Cell<Option<i32>>,
    callback: RefCell<Option<FrameCallback>>,
}

impl LoopState {
    fn request(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(callback) = self.callback.borrow().as_ref() {
            let id = window
                .request_animation_frame(callback.as_ref().unchecked_ref())
                .ok();
            self.frame_id.set(id);
        }
    }
}

impl AnimationLoop {
    /// Calls `on_frame(timestamp_ms)` on every animation frame until dropped.
    pub fn start(mut on_frame: impl FnMut(f64) + 'static) -> AnimationLoop {
        let state = Rc::new(LoopState {
            frame_id: std::cell::Cell::new(None),
            callback: RefCell::new(None),
        });
        let weak: Weak<LoopState> = Rc::downgrade(&state);
        let callback = Closure::<dyn FnMut(f64)>::new(move |timestamp_ms: f64| {
            let Some(state) = weak.upgrade() else {
                return;
            };
            state.frame_id.set(None);
            on_frame(timestamp_ms);
            // Still running (not dropped inside on_frame)? Ask for the next frame.
            if state.callback.borrow().is_some() {
                state.request();
            }
        });
        *state.callback.borrow_mut() = Some(callback);
        state.request();
        AnimationLoop { state }
    }
}

impl Drop for AnimationLoop {
    fn drop(&mut self) {
        if let (Some(id), Some(window)) = (self.state.frame_id.take(), web_sys::window()) {
            let _ = window.cancel_animation_frame(id);
        }
        self.state.callback.borrow_mut().take();
    }
}
