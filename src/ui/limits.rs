//! "How far does it scale?": the capacity search of the current scenario, run in the web
//! worker ([`super::search`]) with a progress bar; the limit, its bottleneck and the curve of
//! p99 latency and errors against users; the what-if that relieves the bottleneck, searched
//! side by side; and the limits of every stage's preset ([`super::limit_charts`]).
//!
//! The app's wasm holds only the panel's header ([`LimitPanel`]); its body ([`LimitBody`]:
//! the form, the searches, the charts) is in the views' module (super::views), loaded when
//! the reader first opens the panel.
//!
//! ```text
//!   Find the limit ──JobRequest──▶ Searches ──JobUpdate──▶ LimitAction::Update ──▶ reducer
//!   Done ──▶ whatif::relief(bottleneck) ──▶ "What if …" ──JobRequest──▶ … side by side
//! ```

use std::collections::BTreeMap;
use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::format::grouped;
use super::limit_charts::{Curve, StageBars, StageTable};
use super::search::{Place, Searches};
use super::state::Action;
use super::views::LimitsSlot;
use crate::capacity::job::{JobRequest, JobUpdate};
use crate::capacity::stages::stage_search;
use crate::capacity::whatif::relief;
use crate::capacity::{Bottleneck, LimitResult, Probe, SearchOptions, Slo, Status};
use crate::scenario::{preset, Scenario};

/// What the reader chose: the objective and how thoroughly to search.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// Highest acceptable p99 latency, ms.
    pub p99_ms: f64,
    /// Highest acceptable share of failed requests, percent.
    pub error_pct: f64,
    /// Seeds to repeat the search with.
    pub seeds: u32,
    /// Warm-up and window of 10 s each instead of 30 s.
    pub quick: bool,
}

impl Default for Form {
    fn default() -> Self {
        let slo = Slo::default();
        Form {
            p99_ms: slo.p99_ms,
            error_pct: slo.error_ratio * 100.0,
            seeds: 1,
            quick: false,
        }
    }
}

impl Form {
    /// The objective.
    pub fn slo(&self) -> Slo {
        Slo {
            p99_ms: self.p99_ms,
            error_ratio: self.error_pct / 100.0,
        }
    }

    /// The search options.
    pub fn options(&self) -> SearchOptions {
        let span_s = if self.quick { 10 } else { 30 };
        SearchOptions {
            seeds: self.seeds,
            warmup_s: span_s,
            window_s: span_s,
            ..SearchOptions::default()
        }
    }
}

/// Which search a job is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// The current scenario.
    Main,
    /// The current scenario with its bottleneck relieved (the change, for a reader).
    WhatIf(String),
    /// A stage's preset, for the stage chart.
    Stage(u8),
}

/// One search as the panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    /// Its job number.
    pub job: u32,
    /// What was asked.
    pub request: Rc<JobRequest>,
    /// Runs made.
    pub runs: u32,
    /// Runs the search is expected to take.
    pub runs_estimate: u32,
    /// Every run so far.
    pub probes: Vec<Probe>,
    /// The bracket of the seed being searched.
    pub lo_users: u64,
    /// Lowest failing count so far.
    pub hi_users: Option<u64>,
    /// The answer, once there.
    pub result: Option<Rc<LimitResult>>,
    /// Why it could not run.
    pub error: Option<String>,
    /// When it was submitted (`performance.now()`, ms).
    pub started_ms: f64,
    /// How long it took, ms (once done).
    pub wall_ms: Option<f64>,
}

impl Search {
    fn new(job: u32, request: Rc<JobRequest>, now_ms: f64) -> Search {
        Search {
            job,
            request,
            runs: 0,
            runs_estimate: 0,
            probes: Vec::new(),
            lo_users: 0,
            hi_users: None,
            result: None,
            error: None,
            started_ms: now_ms,
            wall_ms: None,
        }
    }

    fn running(&self) -> bool {
        self.result.is_none() && self.error.is_none()
    }

    fn apply(&mut self, update: JobUpdate, now_ms: f64) {
        match update {
            JobUpdate::Ready => {}
            JobUpdate::Progress {
                runs,
                runs_estimate,
                probe,
                lo_users,
                hi_users,
                ..
            } => {
                self.runs = runs;
                self.runs_estimate = runs_estimate;
                self.probes.push(probe);
                self.lo_users = lo_users;
                self.hi_users = hi_users;
            }
            JobUpdate::Done { result, .. } => {
                self.runs = result.runs;
                self.runs_estimate = result.runs;
                self.result = Some(Rc::new(*result));
                self.wall_ms = Some(now_ms - self.started_ms);
            }
            JobUpdate::Failed { message, .. } => {
                self.error = Some(message);
                self.wall_ms = Some(now_ms - self.started_ms);
            }
        }
    }
}

/// The panel's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LimitState {
    /// The reader's choices.
    pub form: Form,
    /// Where searches run (`None` before the first search).
    pub place: Option<Place>,
    /// The current scenario's search.
    pub main: Option<Search>,
    /// The what-if search: the change and its search.
    pub what_if: Option<(String, Search)>,
    /// Stage searches made in this browser, by stage.
    pub stages: BTreeMap<u8, Search>,
}

/// What changes the panel.
pub enum LimitAction {
    /// New choices.
    Form(Form),
    /// A search was submitted.
    Started(Kind, Search),
    /// A search reported; `f64` is `performance.now()` in ms.
    Update(JobUpdate, f64),
    /// Searches moved (worker ready, or running in the page).
    Place(Place),
    /// Every search was dropped.
    Cancelled,
}

impl Reducible for LimitState {
    type Action = LimitAction;

    fn reduce(self: Rc<Self>, action: LimitAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            LimitAction::Form(form) => s.form = form,
            LimitAction::Started(Kind::Main, search) => {
                s.main = Some(search);
                s.what_if = None;
            }
            LimitAction::Started(Kind::WhatIf(change), search) => {
                s.what_if = Some((change, search))
            }
            LimitAction::Started(Kind::Stage(stage), search) => {
                s.stages.insert(stage, search);
            }
            LimitAction::Update(update, now_ms) => {
                let job = update.job();
                let target = s
                    .main
                    .iter_mut()
                    .chain(s.what_if.iter_mut().map(|(_, search)| search))
                    .chain(s.stages.values_mut())
                    .find(|search| search.job == job);
                match target {
                    Some(search) => search.apply(update, now_ms),
                    None => return self,
                }
            }
            LimitAction::Place(place) => s.place = Some(place),
            LimitAction::Cancelled => {
                s.main = s.main.take().filter(|search| !search.running());
                s.what_if = s.what_if.take().filter(|(_, search)| !search.running());
                s.stages.retain(|_, search| !search.running());
            }
        }
        Rc::new(s)
    }
}

/// Properties of [`LimitPanel`] and [`LimitBody`].
#[derive(Properties, PartialEq)]
pub struct LimitPanelProps {
    /// The scenario the app runs now.
    pub scenario: Rc<Scenario>,
    /// Where app actions go (the stage chart's links).
    pub on_action: Callback<Action>,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The "How far does it scale?" panel in the app: its header and a button; the form, the
/// searches and the stage chart ([`LimitBody`]) come from the views' module once the panel is
/// first opened (super::views), and stay mounted (a search goes on) while it is hidden.
#[function_component(LimitPanel)]
pub fn limit_panel(props: &LimitPanelProps) -> Html {
    let open = use_state(|| false);
    let opened = use_state(|| false);
    let toggle = {
        let open = open.clone();
        let opened = opened.clone();
        Callback::from(move |_: MouseEvent| {
            opened.set(true);
            open.set(!*open);
        })
    };
    html! {
        <section class="limits card" data-panel="limits" aria-labelledby="limits-title">
            <header class="limits-head">
                <h2 id="limits-title">{ "How far does it scale?" }</h2>
                <p class="hint">
                    { "Finds the most users this scenario serves within an objective: short runs at doubling user counts until the objective breaks, then bisection. Same scenario, objective and seeds → the same answer here and in " }
                    <code>{ "scalesim limit" }</code>{ ". It also charts every stage's limit." }
                </p>
                <button class="btn" data-action="limits-toggle"
                    aria-expanded={if *open { "true" } else { "false" }} onclick={toggle}>
                    { if *open { "Hide" } else { "Find the limit…" } }
                </button>
            </header>
            if *opened {
                <div class="limits-body" hidden={!*open}>
                    <LimitsSlot scenario={props.scenario.clone()} on_action={props.on_action.clone()} />
                </div>
            }
        </section>
    }
}

/// The panel's body (a root of the views' module): the objective and search form, the
/// current scenario's search, its what-if, and the stage chart.
#[function_component(LimitBody)]
pub fn limit_body(props: &LimitPanelProps) -> Html {
    let state = use_reducer(LimitState::default);
    let searches = use_mut_ref(|| None::<Searches>);
    let next_job = use_mut_ref(|| 0u32);

    // Submits a search (starting the worker on first use).
    let submit = {
        let dispatcher = state.dispatcher();
        let searches = searches.clone();
        Rc::new(
            move |kind: Kind, scenario: Scenario, slo: Slo, options: SearchOptions| {
                let job = {
                    let mut n = next_job.borrow_mut();
                    *n += 1;
                    *n
                };
                let request = JobRequest {
                    job,
                    scenario,
                    slo,
                    options,
                };
                let mut slot = searches.borrow_mut();
                let runner = slot.get_or_insert_with(|| {
                    let updates = dispatcher.clone();
                    let places = dispatcher.clone();
                    Searches::new(
                        move |update| updates.dispatch(LimitAction::Update(update, now_ms())),
                        move |place| places.dispatch(LimitAction::Place(place)),
                    )
                });
                dispatcher.dispatch(LimitAction::Started(
                    kind,
                    Search::new(job, Rc::new(request.clone()), now_ms()),
                ));
                runner.submit(request);
            },
        )
    };

    let on_find = {
        let submit = submit.clone();
        let scenario = props.scenario.clone();
        let form = state.form.clone();
        let searches = searches.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            if let Some(runner) = searches.borrow().as_ref() {
                runner.cancel_all();
                dispatcher.dispatch(LimitAction::Cancelled);
            }
            // Stage 11 judges the p99 against the users' own round trip; every stage takes the
            // form's seeds and runs as they are.
            let search = stage_search(&scenario, &form.slo(), &form.options());
            submit(Kind::Main, (*scenario).clone(), search.slo, search.options);
        })
    };
    let on_cancel = {
        let searches = searches.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            if let Some(runner) = searches.borrow().as_ref() {
                runner.cancel_all();
            }
            dispatcher.dispatch(LimitAction::Cancelled);
        })
    };
    let relief_offer = state
        .main
        .as_ref()
        .and_then(|m| Some((m, m.result.as_ref()?.bottleneck.as_ref()?)))
        .and_then(|(m, b)| relief(&m.request.scenario, b).map(|r| (m, r)));
    let on_what_if = relief_offer.as_ref().map(|(main, r)| {
        let submit = submit.clone();
        let scenario = r.scenario.clone();
        let change = r.change.clone();
        let (slo, options) = (main.request.slo, main.request.options.clone());
        Callback::from(move |_: MouseEvent| {
            submit(
                Kind::WhatIf(change.clone()),
                scenario.clone(),
                slo,
                options.clone(),
            )
        })
    });
    let on_measure_stage = {
        let submit = submit.clone();
        Callback::from(move |(stage, table): (u8, Rc<StageTable>)| {
            if let Some(scenario) = preset(stage) {
                let options = SearchOptions {
                    seeds: table.seeds,
                    warmup_s: table.run_s / 2,
                    window_s: table.run_s / 2,
                    ..SearchOptions::default()
                };
                submit(Kind::Stage(stage), scenario, table.slo, options);
            }
        })
    };

    let budget_note = stage_search(&props.scenario, &state.form.slo(), &state.form.options()).note;
    let running = state.main.as_ref().is_some_and(Search::running)
        || state.what_if.as_ref().is_some_and(|(_, s)| s.running())
        || state.stages.values().any(Search::running);

    html! {
        <>
            { form_view(&state, &on_find, &on_cancel, running) }
            if let Some(note) = budget_note {
                <p class="hint" data-budget-note="">{ format!("At this stage, {note}.") }</p>
            }
            if let Some(main) = &state.main {
                { search_view(main, "main", &props.scenario.name) }
                if let Some(result) = &main.result {
                    { what_if_view(result, relief_offer.as_ref().map(|(_, r)| r.change.as_str()),
                        on_what_if, state.what_if.as_ref()) }
                }
            }
            <StageBars searches={state.stages.clone()} current={props.scenario.stage}
                on_action={props.on_action.clone()} on_measure={on_measure_stage} />
        </>
    }
}

fn form_view(
    state: &UseReducerHandle<LimitState>,
    on_find: &Callback<MouseEvent>,
    on_cancel: &Callback<MouseEvent>,
    running: bool,
) -> Html {
    let form = state.form.clone();
    let change = |edit: fn(&mut Form, &str)| {
        let dispatcher = state.dispatcher();
        let form = form.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()))
                .unwrap_or_default();
            let mut next = form.clone();
            edit(&mut next, &value);
            dispatcher.dispatch(LimitAction::Form(next));
        })
    };
    let on_p99 = change(|f, v| {
        if let Ok(x) = v.parse::<f64>() {
            if x.is_finite() && x > 0.0 {
                f.p99_ms = x;
            }
        }
    });
    let on_errors = change(|f, v| {
        if let Ok(x) = v.parse::<f64>() {
            if (0.0..=100.0).contains(&x) {
                f.error_pct = x;
            }
        }
    });
    let on_seeds = change(|f, v| f.seeds = v.parse().unwrap_or(1));
    let on_runs = change(|f, v| f.quick = v == "quick");
    let place = match &state.place {
        None => String::new(),
        Some(Place::Starting) => "starting the worker…".into(),
        Some(Place::Worker) => "runs in a web worker".into(),
        Some(Place::Page) => "runs in the page (no web worker here)".into(),
        Some(Place::Unavailable(why)) => format!("searches cannot run here: {why}"),
    };
    html! {
        <div class="limits-form" role="group" aria-label="Objective and search">
            <label>{ "p99 ≤ " }
                <input type="number" min="1" step="10" value={form.p99_ms.to_string()}
                    data-field="p99_ms" onchange={on_p99} />{ " ms" }</label>
            <label>{ "errors ≤ " }
                <input type="number" min="0" max="100" step="0.1" value={form.error_pct.to_string()}
                    data-field="error_pct" onchange={on_errors} />{ " %" }</label>
            <label>{ "seeds " }
                <select data-field="seeds" onchange={on_seeds}>
                    { for [1u32, 3, 5].iter().map(|&n| html! {
                        <option value={n.to_string()} selected={form.seeds == n}>{ n }</option>
                    }) }
                </select></label>
            <label>{ "runs " }
                <select data-field="runs" onchange={on_runs}>
                    <option value="standard" selected={!form.quick}>{ "30 s warm-up + 30 s window" }</option>
                    <option value="quick" selected={form.quick}>{ "quick: 10 s + 10 s" }</option>
                </select></label>
            <button class="btn btn-primary" data-action="find-limit" onclick={on_find.clone()}>
                { "Find the limit" }</button>
            if running {
                <button class="btn" data-action="cancel-limit" onclick={on_cancel.clone()}>{ "Cancel" }</button>
            }
            <span class="hint" data-search-place="">{ place }</span>
        </div>
    }
}

/// Progress while running; the limit, bottleneck, breach and curve once done.
fn search_view(search: &Search, key: &'static str, name: &str) -> Html {
    let slo = search.request.slo;
    html! {
        <div class="limit-search" data-search={key}>
            if search.running() {
                { progress_view(search) }
            }
            if let Some(message) = &search.error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            if let Some(result) = &search.result {
                { result_view(result, search, name) }
            }
            if !search.probes.is_empty() {
                <Curve probes={search.probes.clone()} slo={slo}
                    limit_users={search.result.as_ref().map(|r| r.limit_users)} />
            }
        </div>
    }
}

fn progress_view(search: &Search) -> Html {
    let estimate = search.runs_estimate.max(search.runs).max(1);
    let bracket = match (search.lo_users, search.hi_users) {
        (0, None) => "looking for a first count that breaks the objective".to_string(),
        (lo, None) => format!("{} users pass; doubling", grouped(lo)),
        (0, Some(hi)) => format!("{} users fail; halving", grouped(hi)),
        (lo, Some(hi)) => format!("between {} and {} users", grouped(lo), grouped(hi)),
    };
    html! {
        <div class="limit-progress" role="status">
            <progress max={estimate.to_string()} value={search.runs.to_string()}
                data-runs={search.runs.to_string()}></progress>
            <span>{ format!("run {} of about {} · {bracket}", search.runs, estimate) }</span>
        </div>
    }
}

fn result_view(result: &LimitResult, search: &Search, name: &str) -> Html {
    let headline = match result.status {
        Status::Found => format!("{} users", grouped(result.limit_users)),
        Status::NoLoadMeetsSlo => "not even one user".to_string(),
        Status::MetAtMaxUsers => format!("more than {} users", grouped(result.limit_users)),
        Status::Incomplete => format!("at least {} users", grouped(result.limit_users)),
    };
    let wall = search
        .wall_ms
        .map(|ms| format!(" in {:.1} s", ms / 1000.0))
        .unwrap_or_default();
    html! {
        <div class="limit-result" data-limit-users={result.limit_users.to_string()}
            data-status={format!("{:?}", result.status)}>
            <p class="limit-headline">
                <span class="muted">{ format!("{name} serves ") }</span>
                <strong>{ headline }</strong>
                <span class="muted">{ format!(" ({:.0} requests/s) within p99 ≤ {} ms and errors ≤ {} %",
                    result.limit_rate_per_s, result.slo.p99_ms, result.slo.error_ratio * 100.0) }</span>
            </p>
            if let Some(b) = &result.bottleneck {
                { bottleneck_view(b) }
            }
            if let Some(breach) = &result.breach {
                <p class="hint">{ format!("Just above, at {} users: p99 {:.0} ms, errors {:.2} %{}.",
                    grouped(breach.users), breach.p99_ms, breach.error_ratio * 100.0,
                    breach.main_failure.as_ref().map(|f| format!(" (mostly {f})")).unwrap_or_default()) }</p>
            }
            <p class="hint">{ format!("{} runs of {} simulated seconds, {} seed{}, ±{} users{wall}.",
                result.runs, result.run_s, result.seeds.len(),
                if result.seeds.len() == 1 { "" } else { "s" }, grouped(result.step_users)) }</p>
        </div>
    }
}

fn bottleneck_view(b: &Bottleneck) -> Html {
    html! {
        <p class="limit-bottleneck" data-bottleneck={b.component.clone()}>
            { "Bottleneck: " }<strong>{ b.component.clone() }</strong>
            { format!(" ({}) {:.0} % busy", tier_name(b), b.utilization * 100.0) }
            if let Some(next) = &b.runner_up {
                <span class="muted">{ format!("; next {} at {:.0} %", next.component, next.utilization * 100.0) }</span>
            }
            if let Some(off) = &b.off_request_path {
                <span class="muted" data-off-request-path={off.component.clone()}>{
                    format!("; {} is busier ({:.0} %) but off the request path: its jobs wait, requests do not",
                        off.component, off.utilization * 100.0) }</span>
            }
        </p>
    }
}

/// A tier's name for a reader.
pub fn tier_name(b: &Bottleneck) -> String {
    let tier = serde_json::to_value(b.tier)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default();
    match b.role {
        Some(role) => format!("{tier}, {}", format!("{role:?}").to_lowercase()),
        None => tier,
    }
}

fn what_if_view(
    result: &LimitResult,
    change: Option<&str>,
    on_what_if: Option<Callback<MouseEvent>>,
    what_if: Option<&(String, Search)>,
) -> Html {
    let Some(change) = change else {
        return html! {};
    };
    let same_change = what_if.filter(|(c, _)| c == change);
    html! {
        <div class="what-if" data-what-if="">
            <h3>{ "What if?" }</h3>
            if let (Some(on_click), None) = (on_what_if, same_change) {
                <button class="btn" data-action="what-if" onclick={on_click}>
                    { format!("Relieve the bottleneck: {change}") }</button>
            }
            if let Some((change, search)) = same_change {
                <div class="what-if-compare">
                    <div class="what-if-side">
                        <span class="muted">{ "now" }</span>
                        <strong>{ format!("{} users", grouped(result.limit_users)) }</strong>
                    </div>
                    <div class="what-if-side" data-what-if-users={search.result.as_ref().map(|r| r.limit_users.to_string())}>
                        <span class="muted">{ format!("with {change}") }</span>
                        if let Some(r) = &search.result {
                            <strong>{ format!("{} users", grouped(r.limit_users)) }</strong>
                            if result.limit_users > 0 {
                                <span class="muted">{ format!(" ×{:.1}", r.limit_users as f64 / result.limit_users as f64) }</span>
                            }
                        } else {
                            <span>{ "searching…" }</span>
                        }
                    </div>
                </div>
                { search_view(search, "what-if", "With the change, it") }
            }
        </div>
    }
}
