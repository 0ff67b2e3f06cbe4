//! The app's state and the actions that change it (a reducer, as in yew's `function_todomvc`).
//!
//! The state says what the user asked for (stage, play/pause, speed, users, which components
//! are switched off) and holds the latest figures read from the simulation. The simulation itself
//! lives in [`super::runner::Runner`]; effects in [`super::app`] carry state changes over to it.

use std::rc::Rc;

use yew::Reducible;

use crate::layout::Diagram;
use crate::scenario::{preset, MAX_USERS};
use crate::sim::ComponentId;

/// Simulated seconds per real second offered in the speed selector.
pub const SPEEDS: [f64; 8] = [0.02, 0.05, 0.1, 0.2, 1.0, 5.0, 20.0, 100.0];
/// The speed a run starts at: slow enough that single requests can be followed by eye.
pub const DEFAULT_SPEED_INDEX: usize = 2;

/// Fewest users the slider offers.
pub const USERS_MIN: u64 = 10;
/// Most users the slider offers.
pub const USERS_MAX: u64 = 100_000;
/// Slider positions span `0..=USERS_SLIDER_STEPS`.
pub const USERS_SLIDER_STEPS: u32 = 400;

/// What the user asked for, plus the latest figures.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// The stage shown (1–11; only built stages are ever selected).
    pub stage: u8,
    /// Whether simulated time advances.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed_index: usize,
    /// Number of simulated users.
    pub users: u64,
    /// Components the user switched off, sorted.
    pub down: Vec<ComponentId>,
    /// Whether the diagram flows top to bottom (narrow screens).
    pub portrait: bool,
    /// Bumped whenever the simulation must be rebuilt from the preset (stage change, restart).
    pub run: u32,
    /// The diagram of the current topology, once the simulation is built.
    pub diagram: Option<Rc<Diagram>>,
    /// Why the simulation could not be built, if it could not.
    pub error: Option<String>,
    /// The latest figures read from the simulation.
    pub figures: Rc<Figures>,
}

/// Things the user (or the animation clock) does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Play if paused, pause if playing.
    TogglePlay,
    /// Choose a speed (index into [`SPEEDS`]).
    SetSpeed(usize),
    /// Change the number of users, live.
    SetUsers(u64),
    /// Switch a component off, or back on.
    ToggleComponent(ComponentId),
    /// Show another stage (ignored for stages not built yet).
    SelectStage(u8),
    /// Start the current stage again from time zero.
    Restart,
    /// The simulation was built; this is its diagram.
    Loaded(Rc<Diagram>),
    /// The simulation could not be built.
    LoadFailed(String),
    /// Fresh figures from the running simulation.
    Figures(Rc<Figures>),
    /// The screen became narrow (true) or wide (false).
    SetPortrait(bool),
}

/// Live figures, read a few times per second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Frames drawn per real second.
    pub fps: f64,
    /// Simulated seconds achieved per real second.
    pub sim_speed: f64,
    /// Simulated time, in seconds.
    pub sim_time_s: f64,
    /// Requests sent so far.
    pub requests_total: u64,
    /// Requests answered successfully so far.
    pub requests_completed: u64,
    /// Requests that failed so far (rejected, timed out, server down).
    pub requests_failed: u64,
    /// Requests under way.
    pub in_flight: u64,
    /// Offered load: users × requests per user, in requests per simulated second.
    pub offered_rps: f64,
    /// Recent throughput, in requests per simulated second.
    pub throughput_rps: f64,
    /// 99th percentile latency of recent requests, in milliseconds.
    pub latency_p99_ms: f64,
    /// Median latency over the run, in milliseconds.
    pub latency_p50_ms: f64,
    /// Per-component figures, in component order.
    pub components: Vec<ComponentFigures>,
    /// Whether the simulation could not keep up with the chosen speed.
    pub lagging: bool,
}

/// Live figures of one component.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentFigures {
    /// Which component.
    pub id: ComponentId,
    /// Whether it is up.
    pub alive: bool,
    /// Share of worker time in use over the last metrics interval, 0–1.
    pub utilization: f64,
    /// Workers busy now.
    pub busy_workers: u32,
    /// Workers in total.
    pub workers: u32,
    /// Requests waiting for a worker.
    pub queue_len: u32,
    /// Most requests that may wait.
    pub queue_capacity: u32,
}

impl Figures {
    /// The figures of one component, if known.
    pub fn component(&self, id: ComponentId) -> Option<&ComponentFigures> {
        self.components.iter().find(|c| c.id == id)
    }
}

impl AppState {
    /// The state a visitor lands on: stage 1, playing, slow speed.
    pub fn initial() -> AppState {
        AppState {
            stage: 1,
            playing: true,
            speed_index: DEFAULT_SPEED_INDEX,
            users: preset_users(1),
            down: Vec::new(),
            portrait: false,
            run: 0,
            diagram: None,
            error: None,
            figures: Rc::default(),
        }
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed_index.min(SPEEDS.len() - 1)]
    }

    fn restarted(&self) -> AppState {
        AppState {
            down: Vec::new(),
            run: self.run.wrapping_add(1),
            diagram: None,
            error: None,
            figures: Rc::default(),
            ..self.clone()
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState::initial()
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let next = match action {
            Action::TogglePlay => AppState {
                playing: !self.playing,
                ..(*self).clone()
            },
            Action::SetSpeed(index) if index < SPEEDS.len() => AppState {
                speed_index: index,
                ..(*self).clone()
            },
            Action::SetSpeed(_) => return self,
            Action::SetUsers(users) => AppState {
                users: users.clamp(USERS_MIN.min(MAX_USERS), USERS_MAX.min(MAX_USERS)),
                ..(*self).clone()
            },
            Action::ToggleComponent(id) => {
                let mut down = self.down.clone();
                match down.binary_search(&id) {
                    Ok(i) => {
                        down.remove(i);
                    }
                    Err(i) => down.insert(i, id),
                }
                AppState {
                    down,
                    ..(*self).clone()
                }
            }
            Action::SelectStage(stage) if stage != self.stage && preset(stage).is_some() => {
                AppState {
                    stage,
                    users: preset_users(stage),
                    ..self.restarted()
                }
            }
            Action::SelectStage(_) => return self,
            Action::Restart => self.restarted(),
            Action::Loaded(diagram) => AppState {
                diagram: Some(diagram),
                error: None,
                ..(*self).clone()
            },
            Action::LoadFailed(message) => AppState {
                diagram: None,
                error: Some(message),
                playing: false,
                ..(*self).clone()
            },
            Action::Figures(figures) => AppState {
                figures,
                ..(*self).clone()
            },
            Action::SetPortrait(portrait) if portrait != self.portrait => AppState {
                portrait,
                ..(*self).clone()
            },
            Action::SetPortrait(_) => return self,
        };
        Rc::new(next)
    }
}

/// The users of a stage's preset (or a sensible number if the stage has none).
pub fn preset_users(stage: u8) -> u64 {
    preset(stage).map_or(500, |s| s.traffic.users)
}

/// Users for a slider position: logarithmic from [`USERS_MIN`] to [`USERS_MAX`], rounded to two
/// significant digits so the numbers read well.
pub fn users_from_slider(position: u32) -> u64 {
    let position = position.min(USERS_SLIDER_STEPS);
    let decades = (USERS_MAX as f64 / USERS_MIN as f64).log10();
    let raw = USERS_MIN as f64
        * 10f64.powf(decades * f64::from(position) / f64::from(USERS_SLIDER_STEPS));
    round_two_digits(raw).clamp(USERS_MIN, USERS_MAX)
}

/// The slider position closest to a number of users.
pub fn slider_from_users(users: u64) -> u32 {
    let users = users.clamp(USERS_MIN, USERS_MAX) as f64;
    let decades = (USERS_MAX as f64 / USERS_MIN as f64).log10();
    let fraction = (users / USERS_MIN as f64).log10() / decades;
    (fraction * f64::from(USERS_SLIDER_STEPS)).round() as u32
}

fn round_two_digits(x: f64) -> u64 {
    if x < 100.0 {
        return x.round() as u64;
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / magnitude).round() * magnitude) as u64
}
