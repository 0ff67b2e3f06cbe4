//! The imperative shell around the pure core: owns the [`Sim`], turns animation frames into
//! `advance_to` calls, draws the dots every frame and reads figures a few times per second.
//!
//! ```text
//!  requestAnimationFrame ──▶ Runner::frame ──▶ sim.advance_to(now + dt × speed, budget)
//!                                  │──▶ Painter::draw (canvas, every frame)
//!                                  └──▶ Figures (every 250 ms) ──▶ Action::Figures ──▶ Yew
//! ```
//!
//! Time travel lives in the core ([`Playback`]: the user's live changes with their simulated
//! times, checkpoints of the run, a seek under way). [`Runner::seek`] starts a seek there and
//! each animation frame works on it for a slice of real time (so the page never blocks for
//! long) until the re-run simulation is swapped in.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use super::particles::Painter;
use super::state::{ChartData, ComponentFigures, Figures, SeekProgress};
use crate::layout::{self, Diagram, Orientation};
use crate::layout_geo;
use crate::scenario::{encode_graph, encode_run, LiveAction, LiveChange, Scenario, TopologyFile};
use crate::sim::{
    figures, AlertEvent, ComponentId, ComponentInfo, ComponentKind, LogEntry, Playback, Sim,
    SimTime,
};

/// Something the user does to a component from the inspector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Take it down (for a cache node: its contents are gone).
    Kill,
    /// Bring it back.
    Repair,
    /// CDN: drop every object from the edge.
    PurgeAll,
    /// CDN: publish a new version (a new URL) of the most popular object.
    NewVersion,
    /// Data tier: reshard to this many shards now (the component is ignored).
    Reshard(u32),
    /// Web tier: a rolling deploy in batches of `batch` servers, drained or not (the
    /// component is ignored).
    Deploy { batch: u32, drain: bool },
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
        Op::Reshard(count) => LiveAction::Reshard(count),
        Op::Deploy { batch, drain } => LiveAction::Deploy { batch, drain },
    })
}

/// Real milliseconds of seeking work per animation frame.
const SEEK_SLICE_MS: f64 = 12.0;
/// Events per `advance` call while seeking (the clock is checked between calls).
const SEEK_CHUNK_EVENTS: u64 = 20_000;

/// How often figures go to the Yew state, in real milliseconds.
const REPORT_INTERVAL_MS: f64 = 250.0;
/// Longest real time one frame may account for, in milliseconds (a hidden tab does not cause a
/// burst of simulation when it comes back).
const MAX_FRAME_DT_MS: f64 = 100.0;
/// Simulation work per frame, in milliseconds of real time, that the event budget aims at.
const FRAME_WORK_TARGET_MS: f64 = 8.0;
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

/// Owns the running simulation and everything that runs per frame.
pub struct Runner {
    /// The run and its recorded timeline (`None` until a valid scenario is loaded).
    playback: Option<Playback>,
    painter: Painter,
    orientation: Orientation,
    playing: bool,
    /// Simulated seconds per real second.
    speed: f64,
    /// Events `advance_to` may process in one frame; adapts to the machine.
    events_per_frame: u64,
    last_frame_ms: Option<f64>,
    meter: Meter,
    live: Live,
    last_report_ms: f64,
    lagging: bool,
    /// Frames since the last report that played, and how many of them ran out of their event
    /// budget short of the chosen speed: `lagging` is set when most did, so one slow frame (a
    /// burst of events, a garbage collection in the page) does not flash the warning.
    played_frames: u32,
    short_frames: u32,
    /// Whether to leave the dots out (prefers-reduced-motion).
    reduced_motion: bool,
    /// The whole run's log handed out (the same `Rc` while nothing new was logged).
    log: Rc<Vec<LogEntry>>,
    /// Every core log entry of the run so far, threshold crossings included, oldest first
    /// (the core keeps only its last 1,000).
    history: Vec<LogEntry>,
    /// The alert history last handed out (see [`Figures::alerts`]).
    alerts: Rc<Vec<AlertEvent>>,
    charts: ChartData,
    /// Simulated time of the last chart sample, in seconds.
    charted_s: f64,
    /// The components the diagram shows (retired web servers are left out).
    shown: Vec<ComponentId>,
    /// A diagram laid out since the last call to [`Runner::take_diagram`] (the autoscaler
    /// added or retired web servers).
    new_diagram: Option<Diagram>,
    /// One request in this many is recorded for the dots.
    path_every: u64,
    /// The drawn architecture `base` was lowered from, if any: links then carry it (`v2.`).
    graph: Option<TopologyFile>,
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

impl Default for Runner {
    fn default() -> Self {
        Runner {
            playback: None,
            painter: Painter::default(),
            orientation: Orientation::default(),
            playing: false,
            speed: 1.0,
            events_per_frame: 50_000,
            last_frame_ms: None,
            meter: Meter::default(),
            live: Live::default(),
            last_report_ms: f64::NEG_INFINITY,
            lagging: false,
            played_frames: 0,
            short_frames: 0,
            reduced_motion: false,
            log: Rc::default(),
            history: Vec::new(),
            alerts: Rc::default(),
            charts: ChartData::default(),
            charted_s: 0.0,
            shown: Vec::new(),
            new_diagram: None,
            path_every: 1,
            graph: None,
        }
    }
}

impl Runner {
    /// The simulation shown, if a scenario is loaded.
    fn sim(&self) -> Option<&Sim> {
        self.playback.as_ref().map(Playback::sim)
    }

    /// Builds the simulation of a scenario; returns its diagram.
    pub fn load(&mut self, scenario: &Scenario) -> Result<Diagram, String> {
        self.playback = None;
        let playback =
            Playback::new(scenario).map_err(|e| format!("The scenario is not valid: {e}"))?;
        self.playback = Some(playback);
        self.path_every = 1;
        self.shown.clear();
        self.new_diagram = None;
        let diagram = self.relayout().unwrap_or_else(|| layout::diagram(&[]));
        self.painter = Painter::new(&diagram);
        self.last_frame_ms = None;
        self.last_report_ms = f64::NEG_INFINITY;
        self.meter = Meter::default();
        self.live = Live::default();
        self.log = Rc::default();
        self.history.clear();
        self.alerts = Rc::default();
        self.charts = ChartData::default();
        self.charted_s = 0.0;
        Ok(diagram)
    }

    /// Changes the diagram's orientation; returns the new diagram if a simulation is loaded and
    /// the orientation changed.
    pub fn set_orientation(&mut self, orientation: Orientation) -> Option<Diagram> {
        if orientation == self.orientation {
            return None;
        }
        self.orientation = orientation;
        self.sim()?;
        self.shown.clear();
        self.relayout()
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

    /// Lays the diagram out again if the components to show changed; returns it then.
    fn relayout(&mut self) -> Option<Diagram> {
        let sim = self.playback.as_ref()?.sim();
        // Stage 11 draws each data center as one box: its web servers coming and going do not
        // change the drawing.
        let geo = sim.scenario().geo.as_ref();
        let visible = match geo {
            Some(_) => sim.components().to_vec(),
            None => Self::visible(sim),
        };
        if !self.shown.is_empty() && visible.iter().map(|c| c.id).eq(self.shown.iter().copied()) {
            return None;
        }
        self.shown = visible.iter().map(|c| c.id).collect();
        let diagram = match geo {
            Some(geo) => layout_geo::geo_diagram(&visible, geo, self.orientation),
            None => layout::diagram_oriented(&visible, self.orientation),
        };
        let delay_ms = self.painter.delay_s() * 1e3;
        self.painter = Painter::new(&diagram);
        self.painter.set_latency_hint(delay_ms / 1.2);
        Some(diagram)
    }

    /// The diagram laid out again since the last call, if the topology changed on its own
    /// (the autoscaler launched or retired web servers).
    pub fn take_diagram(&mut self) -> Option<Diagram> {
        self.new_diagram.take()
    }

    /// Starts or stops simulated time.
    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
    }

    /// Simulated seconds per real second.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed;
    }

    /// Leaves the moving dots out (for prefers-reduced-motion); figures still update.
    pub fn set_reduced_motion(&mut self, reduced: bool) {
        self.reduced_motion = reduced;
    }

    /// Changes the user population, live.
    pub fn set_users(&mut self, users: u64) {
        if let Some(sim) = self.sim() {
            // Only a real change: setting the same number would redraw the next arrival.
            if sim.scenario().traffic.users != users {
                self.record(LiveAction::Users(users));
            }
        }
    }

    /// Applies a live change now and records it for replay; forgets recorded changes later
    /// than now (after a seek back, the user is rewriting that future) and stops a seek.
    fn record(&mut self, action: LiveAction) {
        if let Some(playback) = &mut self.playback {
            playback.record(action);
        }
    }

    /// Takes over live changes recorded elsewhere (a link's): they are applied as their times
    /// come, and a seek replays them. Call right after [`Runner::load`].
    pub fn set_recorded(&mut self, changes: &[LiveChange]) {
        if let Some(playback) = &mut self.playback {
            playback.set_recorded(changes);
        }
    }

    /// The link fragment that reproduces this run: the scenario it was built from, every live
    /// change with its time, and `time_s` (if given and within the run). `None` before a
    /// simulation is built.
    pub fn link_fragment(&self, time_s: Option<f64>) -> Option<String> {
        let playback = self.playback.as_ref()?;
        let base = playback.base();
        let time = time_s
            .map(|t| (t * 1e3).round() / 1e3)
            .filter(|&t| t > 0.0 && t <= f64::from(base.duration_s));
        Some(match &self.graph {
            Some(graph) => encode_graph(graph, playback.changes(), time),
            None => encode_run(base, playback.changes(), time),
        })
    }

    /// Says which drawn architecture the loaded scenario was lowered from (`None`: none).
    pub fn set_graph(&mut self, graph: Option<TopologyFile>) {
        self.graph = graph;
    }

    /// Changes the number of web servers in service, live; returns the new diagram if
    /// servers were added to the topology.
    pub fn set_web_servers(&mut self, count: u32) -> Option<Diagram> {
        let sim = self.sim()?;
        if sim.scenario().server.count == count {
            return None;
        }
        self.record(LiveAction::WebServers(count));
        self.relayout()
    }

    /// Makes a live change now (a chaos-catalogue entry's), recorded like the user's own;
    /// returns fresh figures.
    pub fn apply_live(&mut self, action: LiveAction) -> Figures {
        self.record(action);
        self.refresh_log();
        Figures {
            charts: Rc::new(self.charts.clone()),
            ..self.figures()
        }
    }

    /// Does something to a component now (kill, repair, purge …); returns fresh figures.
    pub fn apply(&mut self, id: ComponentId, op: Op) -> Figures {
        if let Some(action) = self.sim().and_then(|sim| live_action(sim, id, op)) {
            self.record(action);
        }
        self.refresh_log();
        Figures {
            charts: Rc::new(self.charts.clone()),
            ..self.figures()
        }
    }

    /// The new diagram if the topology changed since it was last drawn (after a resharding).
    pub fn redraw_topology(&mut self) -> Option<Diagram> {
        self.relayout()
    }

    /// One animation frame at real time `now_ms`: advance, draw, and every
    /// [`REPORT_INTERVAL_MS`] return fresh figures.
    pub fn frame(
        &mut self,
        now_ms: f64,
        canvas: Option<&HtmlCanvasElement>,
        dpr: f64,
    ) -> Option<Figures> {
        let dt_ms = self
            .last_frame_ms
            .map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_DT_MS));
        self.last_frame_ms = Some(now_ms);
        if self.seeking() && self.seek_slice() {
            // Done: report at once, and let play resume from here without a jump.
            self.last_report_ms = f64::NEG_INFINITY;
            self.last_frame_ms = None;
        }
        let seeking = self.seeking();
        let playback = self.playback.as_mut()?;

        let before = playback.sim().now();
        if self.playing && dt_ms > 0.0 && !seeking {
            let target = SimTime(
                before
                    .0
                    .saturating_add((dt_ms * 1e-3 * self.speed * 1e9).round() as u64),
            );
            let work_start = now_real_ms();
            let budget = self.events_per_frame;
            let processed = playback.play(target, budget);
            let work_ms = now_real_ms() - work_start;
            self.played_frames += 1;
            self.short_frames += u32::from(processed >= budget && playback.sim().now() < target);
            self.events_per_frame = adapt_budget(budget, processed, work_ms);
        }
        let sim = playback.sim();
        let advanced_s = sim.now().0.saturating_sub(before.0) as f64 * 1e-9;
        self.meter.record(now_ms, advanced_s);
        if advanced_s > 0.0 {
            self.live.sample(sim, advanced_s, self.speed);
        }

        if let Some(canvas) = canvas {
            if self.reduced_motion {
                self.painter.clear(canvas);
            } else {
                self.painter.draw(canvas, sim, dpr);
            }
        }

        if now_ms - self.last_report_ms < REPORT_INTERVAL_MS {
            return None;
        }
        self.last_report_ms = now_ms;
        if self.played_frames > 0 {
            self.lagging = 2 * self.short_frames > self.played_frames;
        }
        (self.played_frames, self.short_frames) = (0, 0);
        if let Some(diagram) = self.relayout() {
            self.new_diagram = Some(diagram);
        }
        self.refresh_log();
        let figures = self.figures();
        self.sample_charts(&figures);
        let figures = Figures {
            charts: Rc::new(self.charts.clone()),
            ..figures
        };
        if let Some(p99_ms) = figures.latency_p99_ms {
            self.painter.set_latency_hint(p99_ms);
        }
        self.tune_path_sampling(figures.offered_per_s);
        Some(figures)
    }

    /// Goes to simulated time `target_s`: forward by running on, back by re-running from the
    /// latest checkpoint at or before it (or from 0) with the recorded changes replayed at
    /// their times; forward too from a checkpoint past the current time. The work happens a
    /// slice per frame; [`Figures::seeking`] shows the progress.
    pub fn seek(&mut self, target_s: f64) {
        if let Some(playback) = &mut self.playback {
            playback.seek(SimTime((target_s.max(0.0) * 1e9).round() as u64));
        }
    }

    /// The report of the run so far, as pretty JSON with its keys in order, as `scalesim run`
    /// prints it. By way of the compact JSON the report's digest is computed from and a
    /// `serde_json::Value`, as the CLI does: a second serialiser for the report (pretty
    /// instead of compact) would add its whole tree of `Serialize` code to the wasm again.
    pub fn report_json(&self) -> Option<String> {
        let report = self.sim()?.report();
        let compact = serde_json::to_string(&report).ok()?;
        let value: serde_json::Value = serde_json::from_str(&compact).ok()?;
        serde_json::to_string_pretty(&value).ok()
    }

    /// Simulated time now, in seconds.
    pub fn now_s(&self) -> f64 {
        self.sim().map_or(0.0, |s| s.now().0 as f64 * 1e-9)
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
            if now_real_ms() - start >= SEEK_SLICE_MS {
                return false;
            }
        }
        playback.set_path_sample_every(self.path_every);
        self.live = Live::default();
        self.live.sample(playback.sim(), 0.0, self.speed);
        self.meter = Meter::default();
        self.charts = ChartData::default();
        self.charted_s = 0.0;
        if let Some(diagram) = self.relayout() {
            self.new_diagram = Some(diagram);
        }
        self.rewind_log();
        self.refresh_log();
        true
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
    }

    /// Takes the core's new log entries into the run's history and hands out the log (the
    /// same `Rc` if nothing changed).
    fn refresh_log(&mut self) {
        let Some(sim) = self.playback.as_ref().map(Playback::sim) else {
            return;
        };
        let before = self.history.len();
        let ring: Vec<&LogEntry> = sim.log().collect();
        // New entries follow the last one taken; if it left the ring, all the ring is new.
        let start = self
            .history
            .last()
            .and_then(|last| ring.iter().rposition(|e| *e == last))
            .map_or(0, |i| i + 1);
        self.history
            .extend(ring[start..].iter().map(|e| (*e).clone()));
        trim_front(&mut self.history, MAX_HISTORY);
        if self.history.len() != before || self.log.is_empty() {
            self.log = Rc::new(self.history.clone());
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
        self.log = Rc::default();
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

    /// The figures now (charts as of the last report).
    pub fn figures(&self) -> Figures {
        let Some(playback) = &self.playback else {
            return Figures::default();
        };
        let sim = playback.sim();
        let seeking = playback.seeking();
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
                (
                    sum + self.live.utilization.get(i).copied().unwrap_or(0.0),
                    n + 1,
                )
            });
        Figures {
            verdict: Rc::new(sim.verdict()),
            incidents: Rc::new(sim.incidents()),
            chaos: Rc::new(
                crate::sim::chaos::catalogue(sim.scenario(), sim.components(), &snap.components)
                    .into_iter()
                    // The users control's range bounds a surge too.
                    .filter(|e| {
                        e.actions.iter().all(
                            |a| !matches!(a, LiveAction::Users(n) if *n > super::state::USERS_MAX),
                        )
                    })
                    .collect(),
            ),
            requests_per_dot: self.path_every,
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
            fps: self.meter.fps(),
            sim_speed: if self.playing {
                self.meter.sim_speed()
            } else {
                0.0
            },
            sim_time_s: snap.time_s,
            requests_total: snap.requests_total,
            requests_completed: snap.requests_completed,
            requests_failed: snap.requests_failed,
            in_flight: snap.in_flight,
            offered_per_s: figures::offered_per_s_now(sim),
            throughput_per_s: self.live.throughput_per_s,
            error_share: self.live.error_share(),
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
                    let utilization = self.live.utilization.get(i).copied().unwrap_or(0.0);
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
                    }
                })
                .collect(),
            lagging: self.lagging && self.playing && seeking.is_none(),
            seeking: seeking.map(|seek| SeekProgress {
                target_s: seek.target.as_secs_f64(),
                done: seek.done,
            }),
            reached_s: playback.reached().as_secs_f64(),
            changes: playback.changes().len(),
            replays: playback.replays(),
            users: sim.scenario().traffic.users,
            server_count: sim.scenario().server.count,
            geo: sim.geo_status().map(Rc::new),
            reshard: sim.reshard_progress(),
            checkpoints: playback.checkpoints().len(),
            log: self.log.clone(),
            alerts: self.alerts.clone(),
            charts: Rc::new(self.charts.clone()),
        }
    }
}

/// Drops the oldest entries beyond `max`.
fn trim_front(entries: &mut Vec<LogEntry>, max: usize) {
    if entries.len() > max {
        entries.drain(..entries.len() - max);
    }
}

/// Grows the event budget when frames are cheap and the budget was used up, shrinks it when a
/// frame's simulation work took too long.
fn adapt_budget(budget: u64, processed: u64, work_ms: f64) -> u64 {
    let next = if work_ms > FRAME_WORK_TARGET_MS * 1.5 {
        budget / 4 * 3
    } else if processed >= budget && work_ms < FRAME_WORK_TARGET_MS {
        budget.saturating_add(budget / 4)
    } else {
        budget
    };
    next.clamp(MIN_EVENTS_PER_FRAME, MAX_EVENTS_PER_FRAME)
}

fn now_real_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
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
