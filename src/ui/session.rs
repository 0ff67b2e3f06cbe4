//! The run as the app plays it, without the page: the [`Playback`] (simulation, live changes,
//! checkpoints, seeks), the pacing of simulated time, the figures the panels show and the
//! positions of the sampled requests' dots. It touches no DOM, so the same code runs in the
//! page or in the simulation's web worker (`src/bin/scalesim_worker.rs`); the runner
//! ([`super::runner`]) talks to it only through [`Command`]s in and [`Output`]s out.
//!
//! ```text
//!  Command::Frame { now_ms } ──▶ play(now + dt × speed, budget) ──▶ Output.dots (every frame)
//!                                                            └──▶ Output.figures (every 250 ms)
//!    (Pacing::Between, the web worker: the frame moves the clock on by dt × speed and
//!     answers at once; Session::step plays towards the clock between frames)
//!  Command::Apply / Live / Users / WebServers ──▶ Playback::record ──▶ Output.changes, figures
//!  Command::Seek(t) ──▶ Playback::seek, then a slice of real time per frame until it arrives
//! ```

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::particles::Painter;
use super::reading::{Opened, Read, Write};
use super::state::{ChartData, ComponentFigures, Figures, KindFigure, SeekProgress, SimPlace};
use crate::layout::{self, Diagram, Orientation};
use crate::layout_plan;
use crate::scenario::{LiveAction, LiveChange, Scenario};
use crate::sim::{
    figures, AlertEvent, ComponentId, ComponentInfo, ComponentKind, Frame, LogEntry, Playback, Sim,
    SimDuration, SimTime,
};

/// Something the user does to a component from the inspector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Take it down (for a cache node: its contents are gone).
    Kill,
    /// Bring it back.
    Repair,
    /// CDN: drop every object from the edge.
    PurgeAll,
    /// CDN: publish a new version (a new URL) of the most popular object.
    NewVersion,
    /// Data tier: reshard to this many shards now — the database the component is a node of
    /// when a shard router of its own splits it, else the first database.
    Reshard(u32),
    /// Web tier: a rolling deploy of web pool number `pool` (0: the first) in batches of
    /// `batch` servers, drained or not (the component is ignored).
    Deploy { batch: u32, drain: bool, pool: u8 },
}

/// What the app asks of the run. A frame travels to the worker as its time, a number; every
/// other command in the binary form of [`crate::codec`] ([`super::wire`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Build the simulation of a scenario, drawn in `orientation`, with live changes recorded
    /// elsewhere (a link's) and, if given, a seek to `start_at_s`.
    Load {
        scenario: Box<Scenario>,
        orientation: Orientation,
        recorded: Vec<LiveChange>,
        start_at_s: Option<f64>,
    },
    /// Lay the diagram out this way.
    Orientation(Orientation),
    /// Start or stop simulated time.
    Playing(bool),
    /// Simulated seconds per real second.
    Speed(f64),
    /// Leave the dots out (prefers-reduced-motion).
    ReducedMotion(bool),
    /// Change the user population, live.
    Users(u64),
    /// Change the number of web servers in service, live.
    WebServers(u32),
    /// Change the number of servers in service of the further web pools, live (one count
    /// per `more_web_pools` entry, in order; only those that differ are changed).
    PoolServers(Vec<u32>),
    /// Stage 11: each data center's own count of web servers, in data-center order
    /// (`None`: it runs the shared count), live; only those that differ are changed.
    DataCenterServers(Vec<Option<u32>>),
    /// Do something to a component now.
    Apply(ComponentId, Op),
    /// Make a live change now (a chaos-catalogue entry's).
    Live(LiveAction),
    /// Go to this simulated time, in seconds.
    Seek(f64),
    /// Send the report of the run so far.
    Report,
    /// An animation frame at real time `now_ms`: advance, and send the dots (and, every
    /// [`REPORT_INTERVAL_MS`], the figures).
    Frame { now_ms: f64 },
    /// Read a link or a scenario file (this wasm holds the readers; the page's does not):
    /// what it holds comes back in [`Output::opened`].
    Read(Read),
    /// Write a link or a scenario file (this wasm holds the writers; the page's does not): the
    /// text comes back in [`Output::written`].
    Write(Write),
}

/// What the run sends back: the dots every frame, the rest when it changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The scenario could not be built: why.
    pub failed: Option<String>,
    /// The diagram, laid out again (a new run, an orientation, servers added or retired).
    pub diagram: Option<Diagram>,
    /// Fresh figures (their `log` is empty: the log travels in [`Output::log`]).
    pub figures: Option<Figures>,
    /// New event-log entries.
    pub log: Option<LogDelta>,
    /// The recorded live changes, when they changed.
    pub changes: Option<Vec<LiveChange>>,
    /// The report asked for with [`Command::Report`], as pretty JSON.
    pub report: Option<String>,
    /// Simulated time now, in seconds.
    pub now_s: f64,
    /// The dots to draw: `x, y, class` triples ([`Painter::dots`]). In a message from the
    /// worker they travel beside this, as a transferred `Float32Array`.
    #[serde(skip)]
    pub dots: Option<Vec<f32>>,
    /// What [`Command::Read`] read, in the order asked.
    #[serde(skip)]
    pub opened: Vec<Opened>,
    /// What [`Command::Write`] wrote, in the order asked.
    #[serde(skip)]
    pub written: Vec<String>,
}

impl Output {
    /// Takes in a later output: what it has replaces what this has.
    pub fn merge(&mut self, later: Output) {
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
        } = later;
        self.opened.extend(opened);
        self.written.extend(written);
        if failed.is_some() {
            self.failed = failed;
        }
        if diagram.is_some() {
            self.diagram = diagram;
        }
        if figures.is_some() {
            self.figures = figures;
        }
        match (&mut self.log, log) {
            // Both apply to the receiver's log in turn: the later keeps part of what the
            // earlier left.
            (Some(mine), Some(next))
                if next.keep >= mine.keep && next.keep as usize <= mine.len() =>
            {
                mine.new.truncate((next.keep - mine.keep) as usize);
                mine.new.extend(next.new);
            }
            (mine, next @ Some(_)) => *mine = next,
            (_, None) => {}
        }
        if changes.is_some() {
            self.changes = changes;
        }
        if report.is_some() {
            self.report = report;
        }
        self.now_s = now_s;
        if dots.is_some() {
            self.dots = dots;
        }
    }
}

/// New entries of the run's event log: keep the first `keep` entries held, then add `new`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogDelta {
    /// Entries of the log held so far that stay.
    pub keep: u32,
    /// Entries that follow them.
    pub new: Vec<LogEntry>,
}

impl LogDelta {
    /// Entries the log holds once this is applied.
    fn len(&self) -> usize {
        self.keep as usize + self.new.len()
    }

    /// Applies it to a copy of the log.
    pub fn apply(self, log: &mut Vec<LogEntry>) {
        log.truncate(self.keep as usize);
        log.extend(self.new);
    }
}

/// How a session paces simulated time while playing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pacing {
    /// Each frame plays its own real time × speed, within an event budget that aims at the
    /// session's work per frame, before it answers (the page, which draws between frames).
    #[default]
    InFrame,
    /// Each frame moves on the clock the run plays towards by its real time × speed and
    /// answers at once, from where the run is; the run catches up with the clock between
    /// frames, in slices ([`Session::step`]). A web worker draws nothing, so it simulates all
    /// the time it is not answering, instead of idling until the next frame once its budget
    /// is spent; a slow stretch (a copy of the run, a garbage collection, another process on
    /// the core) is caught up afterwards, up to [`MAX_LEAD_MS`] of real time behind.
    Between,
}

/// How far behind its clock the run may fall while playing between frames, in real
/// milliseconds at the chosen speed: further behind, the clock waits for the run (which then
/// cannot keep up with the speed chosen: `lagging`).
pub const MAX_LEAD_MS: f64 = 250.0;
/// Events per `play` call between frames (the real-time clock is read between calls).
const STEP_CHUNK_EVENTS: u64 = 5_000;

/// Real milliseconds of seeking work per animation frame, to begin with (in the page; see
/// [`Session::set_seek_slice_ms`]).
const SEEK_SLICE_MS: f64 = 12.0;
/// Events per `advance` call while seeking (the clock is checked between calls).
const SEEK_CHUNK_EVENTS: u64 = 20_000;

/// How often figures go to the app, in real milliseconds.
pub const REPORT_INTERVAL_MS: f64 = 250.0;
/// Longest real time one frame may account for, in milliseconds (a hidden tab does not cause a
/// burst of simulation when it comes back).
const MAX_FRAME_DT_MS: f64 = 100.0;
/// How many sampled paths the dots' time window should hold (the core keeps 512).
const PATHS_IN_WINDOW: f64 = 300.0;
/// Bounds of the per-frame event budget.
const MIN_EVENTS_PER_FRAME: u64 = 2_000;
const MAX_EVENTS_PER_FRAME: u64 = 2_000_000;
/// Most event-log entries kept for the UI over a run (the core keeps its last 1,000; the
/// panel shows the whole run, a screenful at a time).
const MAX_HISTORY: usize = 100_000;
/// Samples each chart keeps (at one per report, about 30 real seconds).
const CHART_SAMPLES: usize = 120;
/// Deflate level of the recorded frames (1: fastest; see docs/performance.md, "Seeking").
const FRAME_COMPRESSION: u8 = 1;
/// Play through the recorded frames during a seek goes at most this share of the re-run's
/// measured speed, so that the re-run closes the distance at least at the rest (at a steady
/// re-run speed it arrives within twice the time it would take with play paused).
const RECORDED_PLAY_SHARE: f64 = 0.5;
/// Real time a seek's re-run is measured over before its speed counts, in milliseconds.
const RERUN_MEASURE_MS: f64 = 100.0;

/// The run and everything that happens to it per frame.
pub struct Session {
    /// The run and its recorded timeline (`None` until a valid scenario is loaded).
    playback: Option<Playback>,
    painter: Painter,
    orientation: Orientation,
    playing: bool,
    /// Simulated seconds per real second.
    speed: f64,
    /// Simulation work per frame, in milliseconds of real time, that the event budget aims at.
    work_target_ms: f64,
    /// Real milliseconds of seeking work per frame.
    seek_slice_ms: f64,
    /// Events `advance_to` may process in one frame; adapts to the machine.
    events_per_frame: u64,
    /// How simulated time is paced while playing.
    pacing: Pacing,
    /// [`Pacing::Between`]: the simulated time the run plays towards between frames (`None`:
    /// paused, or no frame since play, a seek or a load).
    clock: Option<SimTime>,
    /// [`Pacing::Between`]: the run's simulated time at the last frame (the smoothed figures
    /// count what it advanced since; `None`: start afresh).
    framed_at: Option<SimTime>,
    last_frame_ms: Option<f64>,
    live: Live,
    last_report_ms: f64,
    lagging: bool,
    /// Frames since the last report that played, and how many of them ran out of their event
    /// budget short of the chosen speed: `lagging` is set when most did, so one slow frame (a
    /// burst of events, a garbage collection) does not flash the warning.
    played_frames: u32,
    short_frames: u32,
    /// Whether to leave the dots out (prefers-reduced-motion).
    reduced_motion: bool,
    /// Every core log entry of the run so far, threshold crossings included, oldest first
    /// (the core keeps only its last 1,000).
    history: Vec<LogEntry>,
    /// Entries of `history` the receiver holds (`None`: it must take the whole again).
    log_sent: Option<usize>,
    /// The alert history last handed out (see [`Figures::alerts`]).
    alerts: Rc<Vec<AlertEvent>>,
    charts: ChartData,
    /// Simulated time of the last chart sample, in seconds.
    charted_s: f64,
    /// The components the diagram shows (retired web servers are left out).
    shown: Vec<ComponentId>,
    /// One request in this many is recorded for the dots.
    path_every: u64,
    /// Live changes the user made during a seek: applied when the re-run arrives (at the time
    /// shown), in order.
    waiting: Vec<Command>,
    /// A report was asked for during a seek: it goes out when the re-run arrives (the report
    /// of the time shown, not of the simulation the seek started from).
    report_waiting: bool,
    /// While play goes on through the recorded frames during a seek: the simulated time it
    /// has reached (the seek's target is the latest frame at or before it).
    recorded_clock: Option<SimTime>,
    /// Simulated seconds the seeks' re-runs do per real second (`None` before one was
    /// measured in this run; the last seek's until the one under way has run long enough).
    rerun_per_s: Option<f64>,
    /// Real time and re-run position at the first frame of the seek under way.
    rerun_mark: Option<(f64, SimTime)>,
    /// What goes out next.
    out: Output,
}

/// Server load and throughput as exponentially weighted averages over the last moments, so the
/// figures move smoothly at every speed (the core's own figures cover whole metrics intervals,
/// which at slow speeds take many real seconds to complete).
#[derive(Clone, Debug, Default)]
struct Live {
    /// Busy share of each component's workers, 0–1, by component index.
    utilization: Vec<f64>,
    /// Completed requests per simulated second.
    throughput_per_s: f64,
    /// Failed requests per simulated second.
    failures_per_s: f64,
    /// Completed requests at the last sample.
    completed: u64,
    /// Failed requests at the last sample.
    failed: u64,
}

impl Live {
    /// Averages over about this much real time, whatever the speed.
    const REAL_WINDOW_S: f64 = 0.7;
    /// But never over less than this much simulated time.
    const MIN_SIM_WINDOW_S: f64 = 0.3;

    fn sample(&mut self, sim: &Sim, advanced_s: f64, speed: f64) {
        let snap = sim.snapshot();
        if advanced_s <= 0.0 {
            // A fresh start (after a seek): begin from the core's own figures of the last
            // metrics interval, not from zero, so a paused run does not show idle nodes.
            self.completed = snap.requests_completed;
            self.failed = snap.requests_failed;
            self.utilization = snap
                .components
                .iter()
                .map(|c| if c.alive { c.utilization } else { 0.0 })
                .collect();
            self.throughput_per_s = snap.recent_throughput_per_s;
            self.failures_per_s = snap.recent_failures_per_s;
            return;
        }
        let window_s = (Self::REAL_WINDOW_S * speed).max(Self::MIN_SIM_WINDOW_S);
        let weight = 1.0 - (-advanced_s / window_s).exp();
        self.utilization.resize(snap.components.len(), 0.0);
        for (u, c) in self.utilization.iter_mut().zip(&snap.components) {
            let now = if c.workers > 0 && c.alive {
                f64::from(c.busy_workers) / f64::from(c.workers)
            } else {
                0.0
            };
            *u += (now - *u) * weight;
        }
        let done = snap.requests_completed.saturating_sub(self.completed) as f64;
        self.completed = snap.requests_completed;
        self.throughput_per_s += (done / advanced_s - self.throughput_per_s) * weight;
        let failed = snap.requests_failed.saturating_sub(self.failed) as f64;
        self.failed = snap.requests_failed;
        self.failures_per_s += (failed / advanced_s - self.failures_per_s) * weight;
    }

    /// Recent share of requests that failed, 0–1.
    fn error_share(&self) -> f64 {
        let total = self.throughput_per_s + self.failures_per_s;
        if total > 0.0 {
            self.failures_per_s / total
        } else {
            0.0
        }
    }
}

/// The live change an [`Op`] on a component makes, naming the component as a link does.
fn live_action(sim: &Sim, id: ComponentId, op: Op) -> Option<LiveAction> {
    let name = || {
        sim.components()
            .get(usize::from(id.0))
            .map(|c| c.name.clone())
    };
    Some(match op {
        Op::Kill => LiveAction::Kill(name()?),
        Op::Repair => LiveAction::Repair(name()?),
        Op::PurgeAll => LiveAction::CdnPurgeAll,
        Op::NewVersion => LiveAction::CdnNewVersion,
        Op::Reshard(count) => {
            // A node of a further database behind its own router reshards that database,
            // named by its router; any other component the first (as links always said).
            let name = name().unwrap_or_default();
            let local = name.rsplit('/').next().unwrap_or(&name);
            let router = (sim.scenario().more_databases.iter())
                .filter(|m| crate::sim::shard_node(local).is_some_and(|n| n.store == m.name))
                .find_map(|m| m.router_name());
            match router {
                Some(router) => LiveAction::ReshardAt { router, count },
                None => LiveAction::Reshard(count),
            }
        }
        Op::Deploy { batch, drain, pool } => LiveAction::Deploy {
            batch,
            drain,
            // The first pool unnamed, as links written before pools had names say it.
            pool: match usize::from(pool) {
                0 => None,
                n => Some(sim.scenario().more_web_pools.get(n - 1)?.name.clone()),
            },
        },
    })
}

impl Session {
    /// Nothing loaded yet; each frame's simulation aims at `work_target_ms` of real time (the
    /// page leaves room for drawing; a worker may take most of a frame).
    pub fn new(work_target_ms: f64) -> Session {
        Session {
            playback: None,
            painter: Painter::default(),
            orientation: Orientation::default(),
            playing: false,
            speed: 1.0,
            work_target_ms,
            seek_slice_ms: SEEK_SLICE_MS,
            events_per_frame: 50_000,
            pacing: Pacing::InFrame,
            clock: None,
            framed_at: None,
            last_frame_ms: None,
            live: Live::default(),
            last_report_ms: f64::NEG_INFINITY,
            lagging: false,
            played_frames: 0,
            short_frames: 0,
            reduced_motion: false,
            history: Vec::new(),
            log_sent: None,
            alerts: Rc::default(),
            charts: ChartData::default(),
            charted_s: 0.0,
            shown: Vec::new(),
            path_every: 1,
            waiting: Vec::new(),
            report_waiting: false,
            recorded_clock: None,
            rerun_per_s: None,
            rerun_mark: None,
            out: Output::default(),
        }
    }

    /// Seeks work this long per frame, in real milliseconds (a web worker, which draws
    /// nothing, may take longer than the page's [`SEEK_SLICE_MS`]).
    pub fn set_seek_slice_ms(&mut self, ms: f64) {
        self.seek_slice_ms = ms;
    }

    /// Paces play this way from now on ([`Pacing::InFrame`] to begin with).
    pub fn set_pacing(&mut self, pacing: Pacing) {
        self.pacing = pacing;
        self.clock = None;
        self.framed_at = None;
    }

    /// [`Pacing::Between`]: plays towards the clock the frames set, for about `slice_ms` of
    /// real time (at least one chunk of events); returns whether the run is still behind it
    /// (call again after whatever waits, such as the page's next frame). What it plays shows
    /// in the next frame's output. Does nothing while paused or seeking.
    pub fn step(&mut self, slice_ms: f64) -> bool {
        if self.pacing != Pacing::Between || !self.playing || self.seeking() {
            return false;
        }
        let (Some(clock), Some(playback)) = (self.clock, self.playback.as_mut()) else {
            return false;
        };
        let start = now_real_ms();
        while playback.sim().now() < clock {
            if playback.play(clock, STEP_CHUNK_EVENTS) == 0 && playback.sim().now() < clock {
                // Nothing moved (cannot happen while playing; a guard against spinning).
                return false;
            }
            if now_real_ms() - start >= slice_ms {
                return playback.sim().now() < clock;
            }
        }
        false
    }

    /// Keeps the clock within [`MAX_LEAD_MS`] of real time at the chosen speed ahead of the
    /// run; returns whether it had to be pulled back.
    fn bound_clock(&mut self) -> bool {
        let (Some(clock), Some(now)) = (self.clock, self.sim().map(Sim::now)) else {
            return false;
        };
        let most = SimTime(now.0.saturating_add(sim_ns(MAX_LEAD_MS, self.speed)));
        self.clock = Some(clock.min(most));
        clock > most
    }
    /// Carries out one command.
    pub fn handle(&mut self, command: Command) {
        let live_change = matches!(
            command,
            Command::Users(_)
                | Command::WebServers(_)
                | Command::PoolServers(_)
                | Command::DataCenterServers(_)
                | Command::Apply(..)
                | Command::Live(_)
        );
        if live_change && self.seeking() {
            // The re-run has not reached the time shown: the change waits for it (and the
            // recorded figures stop there meanwhile).
            self.waiting.push(command);
            self.report_now();
            return;
        }
        match command {
            Command::Load {
                scenario,
                orientation,
                recorded,
                start_at_s,
            } => self.load(&scenario, orientation, &recorded, start_at_s),
            Command::Orientation(orientation) => self.set_orientation(orientation),
            Command::Playing(playing) => {
                self.playing = playing;
                self.clock = None;
            }
            Command::Speed(speed) => {
                self.speed = speed;
                self.bound_clock();
            }
            Command::ReducedMotion(reduced) => self.reduced_motion = reduced,
            Command::Users(users) => {
                // Only a real change: setting the same number would redraw the next arrival.
                if self
                    .sim()
                    .is_some_and(|s| s.scenario().traffic.users != users)
                {
                    self.record(LiveAction::Users(users));
                }
            }
            Command::WebServers(count) => {
                if self
                    .sim()
                    .is_some_and(|s| s.scenario().server.count != count)
                {
                    self.record(LiveAction::WebServers(count));
                    self.relayout();
                }
            }
            Command::PoolServers(counts) => {
                let changed: Vec<LiveAction> = self.sim().map_or(Vec::new(), |s| {
                    (s.scenario().more_web_pools.iter())
                        .zip(counts)
                        .filter(|(m, n)| m.server.count != *n)
                        .map(|(m, count)| LiveAction::PoolServers {
                            pool: m.name.clone(),
                            count,
                        })
                        .collect()
                });
                if !changed.is_empty() {
                    for action in changed {
                        self.record(action);
                    }
                    self.relayout();
                }
            }
            Command::DataCenterServers(counts) => {
                let changed = self
                    .sim()
                    .map_or(Vec::new(), |s| own_counts_changed(s, &counts));
                if !changed.is_empty() {
                    for action in changed {
                        self.record(action);
                    }
                    self.relayout();
                }
            }
            Command::Apply(id, op) => {
                if let Some(action) = self.sim().and_then(|sim| live_action(sim, id, op)) {
                    self.record(action);
                }
                self.report_now();
                self.relayout();
            }
            Command::Live(action) => {
                self.record(action);
                self.report_now();
            }
            Command::Seek(target_s) => {
                if let Some(playback) = &mut self.playback {
                    playback.seek(SimTime((target_s.max(0.0) * 1e9).round() as u64));
                }
                self.recorded_clock = None;
                self.rerun_mark = None;
                self.clock = None;
                self.framed_at = None;
                self.report_now();
            }
            // During a seek the simulation is not yet at the time shown: the report waits.
            Command::Report if self.seeking() => self.report_waiting = true,
            Command::Report => self.out.report = self.report_json(),
            Command::Frame { now_ms } => self.frame(now_ms),
            Command::Read(request) => self.out.opened.push(super::reading::read(request)),
            Command::Write(request) => self.out.written.push(super::reading::write(request)),
        }
    }

    /// Everything produced since the last call. Its time is the time shown: during a seek,
    /// where the seek goes (a link copied then points there).
    pub fn take_output(&mut self) -> Output {
        let mut out = std::mem::take(&mut self.out);
        let seek_target = (self.playback.as_ref())
            .and_then(Playback::seeking)
            .map(|seek| seek.target);
        out.now_s = seek_target
            .or(self.sim().map(Sim::now))
            .map_or(0.0, SimTime::as_secs_f64);
        if let Some(delta) = self.log_delta() {
            out.log = Some(delta);
        }
        out
    }

    /// The simulation shown, if a scenario is loaded.
    fn sim(&self) -> Option<&Sim> {
        self.playback.as_ref().map(Playback::sim)
    }

    /// Builds the simulation of a scenario; its diagram (or why it could not) goes out.
    fn load(
        &mut self,
        scenario: &Scenario,
        orientation: Orientation,
        recorded: &[LiveChange],
        start_at_s: Option<f64>,
    ) {
        self.orientation = orientation;
        self.playback = None;
        self.shown.clear();
        self.history.clear();
        self.log_sent = None;
        self.alerts = Rc::default();
        self.charts = ChartData::default();
        self.charted_s = 0.0;
        self.live = Live::default();
        self.last_frame_ms = None;
        self.clock = None;
        self.framed_at = None;
        self.last_report_ms = f64::NEG_INFINITY;
        self.path_every = 1;
        self.waiting.clear();
        self.recorded_clock = None;
        self.rerun_per_s = None;
        self.rerun_mark = None;
        let mut playback = match Playback::new(scenario) {
            Ok(playback) => playback,
            Err(e) => {
                self.out = Output {
                    failed: Some(format!("The scenario is not valid: {e}")),
                    ..Output::default()
                };
                return;
            }
        };
        playback.set_recorded(recorded);
        playback.set_recorder(Box::new(record_frame));
        if let Some(t) = start_at_s {
            playback.seek(SimTime((t.max(0.0) * 1e9).round() as u64));
        }
        self.out.changes = Some(playback.changes().to_vec());
        self.playback = Some(playback);
        if !self.relayout() {
            let diagram = layout::diagram(&[]);
            self.painter = Painter::new(&diagram);
            self.out.diagram = Some(diagram);
        }
    }

    /// Changes the diagram's orientation; lays it out again if a run is loaded.
    fn set_orientation(&mut self, orientation: Orientation) {
        if orientation == self.orientation {
            return;
        }
        self.orientation = orientation;
        if self.sim().is_some() {
            self.shown.clear();
            self.relayout();
        }
    }

    /// The components the diagram should show: all but the retired web servers.
    fn visible(sim: &Sim) -> Vec<ComponentInfo> {
        let snap = sim.snapshot();
        sim.components()
            .iter()
            .zip(&snap.components)
            .filter(|(c, s)| !(c.kind == ComponentKind::Server && s.retired))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Lays the diagram out again if the components to show changed (it goes out); returns
    /// whether it did.
    fn relayout(&mut self) -> bool {
        let Some(sim) = self.playback.as_ref().map(Playback::sim) else {
            return false;
        };
        // Stage 11 draws each data center as one box: its web servers coming and going do not
        // change the drawing.
        let geo = sim.scenario().geo.as_ref();
        let visible = match geo {
            Some(_) => sim.components().to_vec(),
            None => Self::visible(sim),
        };
        if !self.shown.is_empty() && visible.iter().map(|c| c.id).eq(self.shown.iter().copied()) {
            return false;
        }
        self.shown = visible.iter().map(|c| c.id).collect();
        let diagram = layout_plan::drawn(sim.scenario(), &visible, self.orientation);
        let delay_ms = self.painter.delay_s() * 1e3;
        self.painter = Painter::new(&diagram);
        self.painter.set_latency_hint(delay_ms / 1.2);
        self.out.diagram = Some(diagram);
        true
    }

    /// Applies a live change now and records it for replay (see [`Playback::record`]).
    fn record(&mut self, action: LiveAction) {
        if let Some(playback) = &mut self.playback {
            playback.record(action);
            self.out.changes = Some(playback.changes().to_vec());
        }
    }

    /// Fresh figures go out now (after a change the user made).
    fn report_now(&mut self) {
        self.refresh_log();
        if self.playback.is_some() {
            self.out.figures = Some(self.figures());
        }
    }

    /// The report of the run so far, as pretty JSON with its keys in order, as `scalesim run`
    /// prints it. By way of the compact JSON the report's digest is computed from and a
    /// `serde_json::Value`, as the CLI does: a second serialiser for the report (pretty
    /// instead of compact) would add its whole tree of `Serialize` code to the wasm again.
    fn report_json(&self) -> Option<String> {
        let report = self.sim()?.report();
        let compact = serde_json::to_string(&report).ok()?;
        let value: serde_json::Value = serde_json::from_str(&compact).ok()?;
        serde_json::to_string_pretty(&value).ok()
    }

    /// Whether a seek is under way.
    fn seeking(&self) -> bool {
        self.playback
            .as_ref()
            .is_some_and(|p| p.seeking().is_some())
    }

    /// One frame's worth of seeking; returns true when the re-run simulation has arrived
    /// (and was swapped in).
    fn seek_slice(&mut self) -> bool {
        let Some(playback) = &mut self.playback else {
            return true;
        };
        let start = now_real_ms();
        while !playback.seek_step(SEEK_CHUNK_EVENTS) {
            if now_real_ms() - start >= self.seek_slice_ms {
                return false;
            }
        }
        playback.set_path_sample_every(self.path_every);
        self.live = Live::default();
        self.live.sample(playback.sim(), 0.0, self.speed);
        // The charts go on from what was recorded up to here.
        let now = playback.sim().now();
        self.charts = self.recorded_charts(now);
        self.charted_s = now.as_secs_f64();
        self.relayout();
        self.rewind_log();
        self.refresh_log();
        // The changes made meanwhile, at the time that was shown (where the re-run is now).
        for command in std::mem::take(&mut self.waiting) {
            self.handle(command);
        }
        true
    }

    /// Measures how fast the seek under way re-runs: the simulated time it did since its
    /// first frame over the real time since then (the slices and the pauses between them).
    /// One ratio over the whole seek, not an average of each frame's: frames come unevenly
    /// (two in flight to the worker), and a frame a millisecond after the last would count a
    /// whole slice's progress as done in that millisecond.
    fn measure_rerun(&mut self, now_ms: f64) {
        let Some(seek) = self.playback.as_ref().and_then(Playback::seeking) else {
            self.rerun_mark = None;
            return;
        };
        match self.rerun_mark {
            Some((then_ms, then_at)) if now_ms - then_ms >= RERUN_MEASURE_MS => {
                let real_s = (now_ms - then_ms) * 1e-3;
                self.rerun_per_s = Some(seek.at.since(then_at).as_secs_f64() / real_s);
            }
            Some(_) => {}
            None => self.rerun_mark = Some((now_ms, seek.at)),
        }
    }

    /// While a seek shows recorded frames and play is on: the time shown moves on through the
    /// recorded frames at the chosen speed, but at most [`RECORDED_PLAY_SHARE`] of the speed
    /// the re-run measured (so that it catches up), up to the last frame recorded, unless a
    /// change waits to be applied at the time shown. The seek's target is the frame shown,
    /// so the engine takes over on a recorded frame, showing the same figures.
    fn play_recorded(&mut self, dt_ms: f64) {
        if !self.playing || dt_ms <= 0.0 || !self.waiting.is_empty() {
            return;
        }
        let Some(rerun_per_s) = self.rerun_per_s else {
            return;
        };
        let Some(playback) = &mut self.playback else {
            return;
        };
        let (Some(seek), Some(last)) = (playback.seeking(), playback.recording().last()) else {
            return;
        };
        let speed = self.speed.min(rerun_per_s * RECORDED_PLAY_SHARE);
        let step = (dt_ms * 1e-3 * speed * 1e9).round() as u64;
        let clock = self.recorded_clock.unwrap_or(seek.target);
        let clock = SimTime(clock.0.saturating_add(step).min(last.0).max(seek.target.0));
        self.recorded_clock = Some(clock);
        let frame_at = playback.recording().at_or_before(clock).map(|(at, _)| at);
        if let Some(at) = frame_at.filter(|at| *at > seek.target) {
            playback.seek(at);
        }
    }

    /// One animation frame at real time `now_ms`: advance, place the dots, and every
    /// [`REPORT_INTERVAL_MS`] the figures.
    fn frame(&mut self, now_ms: f64) {
        let dt_ms = self
            .last_frame_ms
            .map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_DT_MS));
        self.last_frame_ms = Some(now_ms);
        self.measure_rerun(now_ms);
        if self.recorded_at().is_some() {
            self.play_recorded(dt_ms);
        }
        let arrived = self.seeking() && self.seek_slice();
        if arrived {
            // Done: report at once, from the time arrived at (the frame shown), and let play
            // resume from here on the next frame without a jump.
            self.last_report_ms = f64::NEG_INFINITY;
            self.last_frame_ms = None;
            self.recorded_clock = None;
            self.rerun_mark = None;
            self.clock = None;
            self.framed_at = None;
        }
        let seeking = self.seeking();
        if self.report_waiting && !seeking {
            self.report_waiting = false;
            self.out.report = self.report_json();
        }
        let recorded = self.recorded_at().is_some();
        let Some(playback) = self.playback.as_mut() else {
            return;
        };

        let now = playback.sim().now();
        // Where the smoothed figures count from: this frame's start, or (between frames) the
        // last frame's time.
        let before = match self.pacing {
            Pacing::InFrame => now,
            Pacing::Between => self.framed_at.filter(|t| *t <= now).unwrap_or(now),
        };
        let play = self.playing && dt_ms > 0.0 && !seeking && !arrived;
        match self.pacing {
            Pacing::InFrame if play => {
                let target = SimTime(now.0.saturating_add(sim_ns(dt_ms, self.speed)));
                let work_start = now_real_ms();
                let budget = self.events_per_frame;
                let processed = playback.play(target, budget);
                let work_ms = now_real_ms() - work_start;
                self.played_frames += 1;
                self.short_frames +=
                    u32::from(processed >= budget && playback.sim().now() < target);
                self.events_per_frame =
                    adapt_budget(budget, processed, work_ms, self.work_target_ms);
            }
            Pacing::Between if play => {
                // The clock moves on from where it was (the run catches up on a slow
                // stretch), or from the run's time after a pause, a seek or a load.
                let from = self.clock.unwrap_or(now).max(now);
                self.clock = Some(SimTime(from.0.saturating_add(sim_ns(dt_ms, self.speed))));
                self.played_frames += 1;
                self.short_frames += u32::from(self.bound_clock());
            }
            _ => {}
        }
        let Some(playback) = self.playback.as_ref() else {
            return;
        };
        let sim = playback.sim();
        self.framed_at = Some(sim.now());
        let advanced_s = sim.now().0.saturating_sub(before.0) as f64 * 1e-9;
        if advanced_s > 0.0 {
            self.live.sample(sim, advanced_s, self.speed);
        }
        let mut dots = Vec::new();
        // Recorded figures come without dots.
        if !self.reduced_motion && !recorded {
            self.painter.dots(sim.recent_paths(), sim.now(), &mut dots);
        }
        self.out.dots = Some(dots);

        if now_ms - self.last_report_ms < REPORT_INTERVAL_MS {
            return;
        }
        self.last_report_ms = now_ms;
        if self.played_frames > 0 {
            self.lagging = 2 * self.short_frames > self.played_frames;
        }
        (self.played_frames, self.short_frames) = (0, 0);
        self.relayout();
        self.refresh_log();
        let figures = self.figures();
        if recorded {
            // Recorded figures carry the recorded charts.
            self.out.figures = Some(figures);
            return;
        }
        self.sample_charts(&figures);
        let figures = Figures {
            charts: Rc::new(self.charts.clone()),
            ..figures
        };
        if let Some(p99_ms) = figures.latency_p99_ms {
            self.painter.set_latency_hint(p99_ms);
        }
        self.tune_path_sampling(figures.offered_per_s);
        self.out.figures = Some(figures);
    }

    /// Records just enough request paths that the ring covers the dots' time window.
    fn tune_path_sampling(&mut self, offered_per_s: f64) {
        let Some(playback) = &mut self.playback else {
            return;
        };
        let window_s = 2.0 * self.painter.delay_s() + 0.05;
        let every = (offered_per_s * window_s / PATHS_IN_WINDOW).ceil();
        self.path_every = if every.is_finite() {
            every.max(1.0) as u64
        } else {
            1
        };
        playback.set_path_sample_every(self.path_every);
        playback.set_paths_lead(SimDuration::from_secs_f64(window_s));
    }

    /// Takes the core's new log entries into the run's history.
    fn refresh_log(&mut self) {
        let Some(sim) = self.playback.as_ref().map(Playback::sim) else {
            return;
        };
        let ring: Vec<&LogEntry> = sim.log().collect();
        // New entries follow the last one taken; if it left the ring, all the ring is new.
        let start = self
            .history
            .last()
            .and_then(|last| ring.iter().rposition(|e| *e == last))
            .map_or(0, |i| i + 1);
        self.history
            .extend(ring[start..].iter().map(|e| (*e).clone()));
        if self.history.len() > MAX_HISTORY {
            self.history.drain(..self.history.len() - MAX_HISTORY);
            self.log_sent = None;
        }
        let alerts = sim.alerts();
        if *self.alerts != alerts {
            self.alerts = Rc::new(alerts);
        }
    }

    /// After a seek: the history keeps what the new simulation's log no longer holds (the
    /// same run, so the same entries) up to its first entry, then takes that log whole.
    fn rewind_log(&mut self) {
        let Some(sim) = self.playback.as_ref().map(Playback::sim) else {
            return;
        };
        let first_kept = sim.log().next().map_or(sim.now().as_secs_f64(), |e| e.t_s);
        self.history.retain(|e| e.t_s < first_kept);
        self.history.extend(sim.log().cloned());
        self.log_sent = None;
    }

    /// The log entries the receiver lacks, if any (all of them after a rewind).
    fn log_delta(&mut self) -> Option<LogDelta> {
        // Recorded figures show the log up to their time.
        let upto = match self.recorded_at() {
            Some(at) => {
                let at_s = at.as_secs_f64();
                self.history.partition_point(|e| e.t_s <= at_s)
            }
            None => self.history.len(),
        };
        let keep = self.log_sent.unwrap_or(0).min(upto);
        if self.log_sent == Some(upto) {
            return None;
        }
        self.log_sent = Some(upto);
        Some(LogDelta {
            keep: keep as u32,
            new: self.history[keep..upto].to_vec(),
        })
    }

    /// Adds a chart sample if simulated time moved since the last one.
    fn sample_charts(&mut self, figures: &Figures) {
        if figures.sim_time_s <= self.charted_s {
            return;
        }
        self.charted_s = figures.sim_time_s;
        let lag_ms = figures.replica_lag_ms;
        let c = &mut self.charts;
        if c.t_s.len() >= CHART_SAMPLES {
            c.t_s.remove(0);
            c.throughput_per_s.remove(0);
            c.latency_p99_ms.remove(0);
            c.error_pct.remove(0);
            c.lag_ms.remove(0);
            c.cache_hit_pct.remove(0);
            c.cdn_hit_pct.remove(0);
            c.queue_depth.remove(0);
            c.web_servers.remove(0);
        }
        c.t_s.push(figures.sim_time_s);
        c.throughput_per_s.push(figures.throughput_per_s);
        c.latency_p99_ms
            .push(figures.latency_p99_ms.unwrap_or(f64::NAN));
        c.error_pct.push(figures.error_share * 100.0);
        c.lag_ms.push(lag_ms);
        c.cache_hit_pct.push(figures.cache_hit_ratio * 100.0);
        c.cdn_hit_pct.push(figures.cdn_hit_ratio * 100.0);
        c.queue_depth.push(f64::from(figures.queue_depth));
        c.web_servers.push(f64::from(figures.web_servers));
    }

    /// The figures now (charts as of the last report; the log, fps and speed are the
    /// runner's). During a seek that has a recorded frame at its target: that frame's.
    fn figures(&self) -> Figures {
        let Some(playback) = &self.playback else {
            return Figures::default();
        };
        let seeking = playback.seeking();
        let recorded = self.recorded_view();
        let (base, charts, alerts, recorded_s) = match recorded {
            Some((at, figures)) => (figures, Rc::new(self.recorded_charts(at)), None, Some(at)),
            None => (
                sim_figures(playback.sim(), &self.live),
                Rc::new(self.charts.clone()),
                Some(self.alerts.clone()),
                None,
            ),
        };
        Figures {
            requests_per_dot: self.path_every,
            lagging: self.lagging && self.playing && seeking.is_none(),
            seeking: seeking.map(|seek| SeekProgress {
                target_s: seek.target.as_secs_f64(),
                done: seek.done,
                from_s: seek.from.as_secs_f64(),
                recorded_s: recorded_s.map(SimTime::as_secs_f64),
                waiting_changes: self.waiting.len() as u32,
                rerun_speed: self.rerun_per_s.unwrap_or(0.0),
            }),
            reached_s: playback.reached().as_secs_f64(),
            changes: playback.changes().len(),
            replays: playback.replays(),
            checkpoints: playback.checkpoints().len(),
            alerts: alerts.unwrap_or(base.alerts),
            charts,
            ..base
        }
    }

    /// During a seek whose target has a recorded frame (at it or less than one frame spacing
    /// before it): the frame's time and figures.
    fn recorded_view(&self) -> Option<(SimTime, Figures)> {
        let at = self.recorded_at()?;
        let (_, frame) = self.playback.as_ref()?.recording().at_or_before(at)?;
        Some((at, decode_frame(frame)?))
    }

    /// The time of the recorded frame a seek under way shows (see
    /// [`Session::recorded_view`]), without decoding it.
    fn recorded_at(&self) -> Option<SimTime> {
        let playback = self.playback.as_ref()?;
        let target = playback.seeking()?.target;
        let recording = playback.recording();
        let (at, _) = recording.at_or_before(target)?;
        (target.0 - at.0 < recording.every().as_nanos()).then_some(at)
    }

    /// The charts as recorded up to `at`: the last [`CHART_SAMPLES`] frames' numbers.
    fn recorded_charts(&self, at: SimTime) -> ChartData {
        let mut c = ChartData::default();
        let Some(playback) = &self.playback else {
            return c;
        };
        let frames = playback.recording().between(SimTime(0), at);
        for (t, frame) in &frames[frames.len().saturating_sub(CHART_SAMPLES)..] {
            let [throughput, p99, error, lag, cache, cdn, queue, servers] = *frame.numbers else {
                continue;
            };
            c.t_s.push(t.as_secs_f64());
            c.throughput_per_s.push(throughput);
            c.latency_p99_ms.push(p99);
            c.error_pct.push(error);
            c.lag_ms.push(lag);
            c.cache_hit_pct.push(cache);
            c.cdn_hit_pct.push(cdn);
            c.queue_depth.push(queue);
            c.web_servers.push(servers);
        }
        c
    }
}

/// The figures of `sim` that depend on the simulation alone (and on the smoothed `live` load
/// and throughput); the session's own (seek, charts, dots) are left at their defaults.
fn sim_figures(sim: &Sim, live: &Live) -> Figures {
    {
        let snap = sim.snapshot();
        let kinds: Vec<ComponentKind> = sim.components().iter().map(|c| c.kind).collect();
        let kinds = &kinds;
        let of_kind = |kind: ComponentKind| {
            snap.components
                .iter()
                .enumerate()
                .filter(move |(i, _)| kinds.get(*i) == Some(&kind))
        };
        let web_servers = figures::web_servers_in_service(sim, &snap);
        let (db_load, db_up) = of_kind(ComponentKind::Database)
            .filter(|(_, c)| c.alive)
            .fold((0.0, 0u32), |(sum, n), (i, _)| {
                (sum + live.utilization.get(i).copied().unwrap_or(0.0), n + 1)
            });
        Figures {
            verdict: Rc::new(sim.verdict()),
            incidents: Rc::new(sim.incidents()),
            chaos: Rc::new(
                crate::sim::chaos::catalogue(sim.scenario(), sim.components(), &snap)
                    .into_iter()
                    // The users control's range bounds a surge too.
                    .filter(|e| {
                        e.actions.iter().all(
                            |a| !matches!(a, LiveAction::Users(n) if *n > super::state::USERS_MAX),
                        )
                    })
                    .collect(),
            ),
            requests_per_dot: 1,
            cache_hit_ratio: snap.recent_cache_hit_ratio,
            stale_cache_reads: snap.stale_cache_reads,
            cdn_hit_ratio: snap.recent_cdn_hit_ratio,
            queue_depth: snap.queue_depth,
            active_users: snap.recent_active_users,
            page_views_per_s: snap.recent_page_views_per_s,
            writes_per_s: snap.recent_writes_per_s,
            logged_out: snap.logged_out,
            web_servers,
            db_utilization: if db_up > 0 {
                db_load / f64::from(db_up)
            } else {
                0.0
            },
            fps: 0.0,
            sim_speed: 0.0,
            sim_place: SimPlace::Starting,
            sim_time_s: snap.time_s,
            requests_total: snap.requests_total,
            requests_completed: snap.requests_completed,
            requests_failed: snap.requests_failed,
            in_flight: snap.in_flight,
            offered_per_s: figures::offered_per_s_now(sim),
            throughput_per_s: live.throughput_per_s,
            error_share: live.error_share(),
            writes_lost: snap.writes_lost,
            stale_reads: snap.stale_reads,
            latency_p99_ms: figures::recent_p99_ms(&snap),
            latency_window_s: figures::latency_window_s(sim),
            replica_lag_ms: figures::live_replica_lag_ms(&snap),
            latency_p50_ms: snap.latency_p50_ms,
            components: snap
                .components
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let utilization = live.utilization.get(i).copied().unwrap_or(0.0);
                    ComponentFigures {
                        id: c.id,
                        alive: c.alive,
                        utilization,
                        busy_workers: c.busy_workers,
                        workers: c.workers,
                        queue_len: c.queue_len,
                        queue_capacity: c.queue_capacity,
                        in_pool: c.in_pool,
                        retired: c.retired,
                        role: c.role,
                        lag_writes: c.lag_writes,
                        lag_ms: c.lag_ms,
                        stale_reads: c.stale_reads,
                        items: c.items,
                        capacity_items: c.capacity_items,
                        hit_ratio: c.hit_ratio,
                        deploy: c.deploy,
                        badges: crate::sim::badge::badges(c, utilization),
                        figures: (c.figures.iter())
                            .map(|f| KindFigure {
                                key: f.key.to_string(),
                                label: f.label.to_string(),
                                value: f.value,
                            })
                            .collect(),
                    }
                })
                .collect(),
            lagging: false,
            seeking: None,
            reached_s: 0.0,
            changes: 0,
            replays: 0,
            users: sim.scenario().traffic.users,
            server_count: sim.scenario().server.count,
            pool_counts: (sim.scenario().more_web_pools.iter())
                .map(|m| m.server.count)
                .collect(),
            data_center_servers: sim.scenario().data_center_server_counts(),
            geo: sim.geo_status().map(Rc::new),
            reshard: sim.reshard_progress(),
            checkpoints: 0,
            log: Rc::default(),
            alerts: Rc::new(sim.alerts()),
            charts: Rc::default(),
        }
    }
}

/// The chart numbers of a frame, in [`ChartData`]'s order (time aside).
fn chart_numbers(f: &Figures) -> [f64; 8] {
    [
        f.throughput_per_s,
        f.latency_p99_ms.unwrap_or(f64::NAN),
        f.error_share * 100.0,
        f.replica_lag_ms,
        f.cache_hit_ratio * 100.0,
        f.cdn_hit_ratio * 100.0,
        f64::from(f.queue_depth),
        f64::from(f.web_servers),
    ]
}

/// The frame the run records of `sim` (see [`Playback::set_recorder`]): the figures a seek
/// arriving there shows (load and throughput from the last metrics interval, as after a
/// seek), in the wire's binary form ([`super::wire`]) compressed with deflate, and the charts'
/// numbers. A pure function of the simulation's state, so a frame equals what the engine
/// shows when it gets there.
pub fn record_frame(sim: &Sim) -> Frame {
    let figures = arrival_figures(sim);
    let bytes = super::wire::to_bytes(&figures);
    Frame {
        body: miniz_oxide::deflate::compress_to_vec(&bytes, FRAME_COMPRESSION).into(),
        numbers: chart_numbers(&figures).into(),
    }
}

/// The figures a seek arriving at `sim` shows (its smoothed load fresh from the core's last
/// metrics interval).
pub fn arrival_figures(sim: &Sim) -> Figures {
    let mut live = Live::default();
    live.sample(sim, 0.0, 1.0);
    sim_figures(sim, &live)
}

/// A recorded frame's figures (`None` if it does not decode).
pub fn decode_frame(frame: &Frame) -> Option<Figures> {
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&frame.body, 64 << 20).ok()?;
    super::wire::from_bytes(&bytes)
}

/// Simulated nanoseconds in `real_ms` of real time at `speed`.
fn sim_ns(real_ms: f64, speed: f64) -> u64 {
    (real_ms * 1e-3 * speed * 1e9).round() as u64
}

/// Grows the event budget when frames are cheap and the budget was used up, shrinks it when a
/// frame's simulation work took too long.
fn adapt_budget(budget: u64, processed: u64, work_ms: f64, target_ms: f64) -> u64 {
    let next = if work_ms > target_ms * 1.5 {
        budget / 4 * 3
    } else if processed >= budget && work_ms < target_ms {
        budget.saturating_add(budget / 4)
    } else {
        budget
    };
    next.clamp(MIN_EVENTS_PER_FRAME, MAX_EVENTS_PER_FRAME)
}

/// Real time in milliseconds (`performance.now()`), in the page or in a worker.
pub fn now_real_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// The live changes that give each data center the own count of web servers `wanted` says
/// (`None`: the shared count): a change of every data center's count first, when a data
/// center is to give up its own (that clears them all), then one per data center whose own
/// count differs.
fn own_counts_changed(sim: &Sim, wanted: &[Option<u32>]) -> Vec<LiveAction> {
    let scenario = sim.scenario();
    let Some(geo) = &scenario.geo else {
        return Vec::new();
    };
    let mut own = scenario.data_center_server_counts();
    let mut changes = Vec::new();
    if wanted
        .iter()
        .zip(&own)
        .any(|(w, o)| w.is_none() && o.is_some())
    {
        changes.push(LiveAction::WebServers(scenario.server.count));
        own.iter_mut().for_each(|o| *o = None);
    }
    for ((dc, w), o) in geo.data_centers.iter().zip(wanted).zip(&own) {
        if let Some(count) = *w {
            if *o != Some(count) {
                changes.push(LiveAction::PoolServers {
                    pool: format!("{}/web", dc.name),
                    count,
                });
            }
        }
    }
    changes
}
