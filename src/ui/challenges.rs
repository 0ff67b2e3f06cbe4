//! Challenges: the list with the reader's progress (stars kept in local storage), a
//! challenge's page (story, objectives, budget), "Start" (its starting architecture in the
//! editor), "Grade" (the current architecture graded off the main thread), the verdict per
//! objective with its number, and "Share solution" (a link that opens the challenge with
//! that architecture graded).
//!
//! ```text
//!   Grade ──GradeRequest──▶ web worker (scalesim_worker: challenge::job::run) ──GradeUpdate──▶ view
//!         └─ no worker (it failed to load) ──▶ the worker's wasm in the page (super::port),
//!                                               the same grading one seed per tick
//!   #challenge/N/<link> ──▶ opens challenge N and grades the link's architecture
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gloo::storage::{LocalStorage, Storage};
use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent};
use yew::prelude::*;

use super::link;
use super::port::Port;
use super::state::{Action, Notice};
use super::views::ChallengesSlot;
use crate::challenge::job::{GradeRequest, GradeUpdate};
use crate::challenge::{challenge, challenges, Challenge, Grade, ObjectiveResult, CHALLENGE_COUNT};
use crate::format::figure;
use crate::scenario::{encode_graph, encode_link, Scenario, TopologyFile};

/// Local-storage key of the progress: best stars per passed challenge.
pub const PROGRESS_KEY: &str = "scalesim-challenges";

/// Best stars per passed challenge (1–3), by number.
type Progress = BTreeMap<u8, u8>;

/// The progress kept in local storage (none if it is missing or not one). Read with the
/// browser's JSON parser: the app's wasm (the panel's header counts the passed challenges)
/// then links no JSON reader. The text is serde_json's of a [`Progress`] (`{"2":3,"5":1}`,
/// [`save_progress`]); like serde's reader, anything else reads as no progress at all.
fn load_progress() -> Progress {
    LocalStorage::raw()
        .get_item(PROGRESS_KEY)
        .ok()
        .flatten()
        .and_then(|text| progress_of(&text))
        .unwrap_or_default()
}

fn progress_of(text: &str) -> Option<Progress> {
    let value = js_sys::JSON::parse(text).ok()?;
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return None;
    }
    js_sys::Object::entries(value.unchecked_ref())
        .iter()
        .map(|entry| {
            let pair: js_sys::Array = entry.unchecked_into();
            let challenge = pair.get(0).as_string()?.parse::<u8>().ok()?;
            let stars = pair.get(1).as_f64()?;
            let whole = stars.fract() == 0.0 && (0.0..=f64::from(u8::MAX)).contains(&stars);
            whole.then_some((challenge, stars as u8))
        })
        .collect()
}

fn save_progress(p: &Progress) {
    let _ = LocalStorage::set(PROGRESS_KEY, p);
}

/// Where a grading is.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Running { done: u32, total: u32 },
    Done(Rc<Grade>),
    Failed(String),
}

/// The app's challenge panel.
#[derive(Properties, PartialEq)]
pub struct ChallengeProps {
    /// The architecture on screen (what "Grade" grades).
    pub scenario: Rc<Scenario>,
    /// Its graph, when it is a drawn architecture (shared links keep it).
    pub graph: Option<Rc<TopologyFile>>,
    /// Dispatches app actions (open the start in the editor, notices).
    pub on_action: Callback<Action>,
    /// The page's link is still being read: a challenge it names waits for its architecture.
    pub reading_link: bool,
}

/// A grading under way: the engine's port (the worker, or the worker's wasm in the page) and
/// the handlers that keep it alive; dropping it stops the grading.
struct Grader {
    _port: Port,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

/// The app's challenge panel: its header (in the app's wasm); the list and the challenges'
/// pages ([`ChallengeBody`]) come from the views' module once the panel is first opened
/// (super::views), and stay mounted (a grading goes on) while it is hidden.
#[function_component(ChallengePanel)]
pub fn challenge_panel(props: &ChallengeProps) -> Html {
    let from_link = use_state(link::challenge_in_link);
    let open = use_state(|| from_link.is_some());
    let opened = use_state(|| from_link.is_some());
    let progress = use_state(load_progress);
    let toggle = {
        let open = open.clone();
        let opened = opened.clone();
        Callback::from(move |_: MouseEvent| {
            opened.set(true);
            open.set(!*open);
        })
    };
    let on_progress = {
        let progress = progress.clone();
        Callback::from(move |()| progress.set(load_progress()))
    };
    let passed = progress.len();
    html! {
        <section class="challenges card" data-panel="challenges" aria-labelledby="challenges-title">
            <header class="challenges-head">
                <h2 id="challenges-title">{ "Challenges" }</h2>
                <p class="muted" data-value="challenges-passed">
                    { format!("{passed} of {CHALLENGE_COUNT} passed") }
                </p>
                <button class="btn btn-ghost" data-action="challenges-toggle"
                    aria-expanded={if *open { "true" } else { "false" }} onclick={toggle}>
                    { if *open { "Hide" } else { "Show challenges" } }
                </button>
            </header>
            if *opened && !props.reading_link {
                <div class="challenges-body" hidden={!*open}>
                    <ChallengesSlot scenario={props.scenario.clone()} graph={props.graph.clone()}
                        on_action={props.on_action.clone()} from_link={*from_link} {on_progress} />
                </div>
            }
        </section>
    }
}

/// Properties of [`ChallengeBody`].
#[derive(Properties, PartialEq)]
pub struct ChallengeBodyProps {
    /// The architecture on screen (what "Grade" grades).
    pub scenario: Rc<Scenario>,
    /// Its graph, when it is a drawn architecture (shared links keep it).
    pub graph: Option<Rc<TopologyFile>>,
    /// Dispatches app actions (open the start in the editor, notices).
    pub on_action: Callback<Action>,
    /// The challenge the page's link named when the app opened: opened and graded at once.
    pub from_link: Option<u8>,
    /// Called when the progress in local storage changed.
    pub on_progress: Callback<()>,
}

/// The list, or one challenge's page (a root of the views' module).
#[function_component(ChallengeBody)]
pub fn challenge_body(props: &ChallengeBodyProps) -> Html {
    let from_link = props.from_link;
    let current = use_state(|| from_link);
    let progress = use_state(load_progress);
    let status = use_state(|| Status::Idle);
    let grader = use_mut_ref(|| None::<Grader>);
    let shared = use_state(|| None::<String>);
    let job = use_mut_ref(|| 0u32);

    let grade = {
        let status = status.clone();
        let grader = grader.clone();
        let progress = progress.clone();
        let job = job.clone();
        let scenario = props.scenario.clone();
        let on_progress = props.on_progress.clone();
        Callback::from(move |id: u8| {
            *job.borrow_mut() += 1;
            let request = GradeRequest {
                job: *job.borrow(),
                challenge: id,
                candidate: (*scenario).clone(),
            };
            let shown = status.clone();
            let progress = progress.clone();
            let job = job.clone();
            let on_progress = on_progress.clone();
            let on_update = Rc::new(move |update: GradeUpdate| {
                // Only the latest grading's updates count.
                if update.job() != *job.borrow() {
                    return;
                }
                match update {
                    GradeUpdate::Grading { done, total, .. } => {
                        shown.set(Status::Running { done, total })
                    }
                    GradeUpdate::Graded { grade, .. } => {
                        if grade.pass {
                            let mut p = load_progress();
                            let best = p.get(&grade.challenge).copied().unwrap_or(0);
                            p.insert(grade.challenge, best.max(grade.stars));
                            save_progress(&p);
                            progress.set(p);
                            on_progress.emit(());
                        }
                        shown.set(Status::Done(Rc::new(*grade)));
                    }
                    GradeUpdate::GradeFailed { message, .. } => shown.set(Status::Failed(message)),
                }
            });
            let total = challenge(id).map_or(0, |c| c.seeds.len() as u32);
            status.set(Status::Running { done: 0, total });
            *grader.borrow_mut() = start_grading(request, on_update, grader.clone(), false);
        })
    };

    {
        // A shared link: open its challenge and grade its architecture once.
        let grade = grade.clone();
        use_effect_with((), move |_| {
            if let Some(id) = from_link.filter(|id| challenge(*id).is_some()) {
                grade.emit(id);
            }
        });
    }

    let all = challenges();
    let body = props;
    html! {
        if let Some(c) = current.and_then(challenge) {
            { page(&c, body, &current, &status, &grade, &shared, &progress) }
        } else {
            { list(&all, &progress, &current, &status, &shared, &body.on_progress) }
        }
    }
}

fn stars_text(stars: u8) -> String {
    format!(
        "{}{}",
        "★".repeat(usize::from(stars)),
        "☆".repeat(usize::from(3 - stars.min(3)))
    )
}

fn list(
    all: &[Challenge],
    progress: &UseStateHandle<Progress>,
    current: &UseStateHandle<Option<u8>>,
    status: &UseStateHandle<Status>,
    shared: &UseStateHandle<Option<String>>,
    on_progress: &Callback<()>,
) -> Html {
    let reset = {
        let progress = progress.clone();
        let on_progress = on_progress.clone();
        Callback::from(move |_: MouseEvent| {
            LocalStorage::delete(PROGRESS_KEY);
            progress.set(Progress::new());
            on_progress.emit(());
        })
    };
    html! {
        <>
            <p class="challenges-intro">
                { "Each challenge gives a story, a starting architecture that fails it, objectives \
                   and a budget. Edit the architecture until the simulation says it passes; \
                   cheaper solutions earn more stars (≤ budget ★, ≤ 75 % ★★, ≤ 50 % ★★★)." }
            </p>
            <ol class="challenge-list">
                { for all.iter().map(|c| {
                    let id = c.id;
                    let open = {
                        let current = current.clone();
                        let status = status.clone();
                        let shared = shared.clone();
                        Callback::from(move |_: MouseEvent| {
                            status.set(Status::Idle);
                            shared.set(None);
                            current.set(Some(id));
                        })
                    };
                    let stars = progress.get(&id).copied();
                    html! {
                        <li data-challenge={id.to_string()}>
                            <button class="challenge-item" onclick={open}>
                                <span class="challenge-number">{ id }</span>
                                <span class="challenge-title">{ c.title.clone() }</span>
                                <span class="challenge-stage muted">{ format!("stage {}", c.stage) }</span>
                                <span class="challenge-stars" data-stars={stars.unwrap_or(0).to_string()}
                                    aria-label={match stars {
                                        Some(s) => format!("passed, {s} of 3 stars"),
                                        None => "not passed yet".to_string(),
                                    }}>
                                    { stars.map_or("—".to_string(), stars_text) }
                                </span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
            <button class="btn btn-ghost btn-small" data-action="challenges-reset" onclick={reset}>
                { "Reset progress" }
            </button>
        </>
    }
}

fn page(
    c: &Challenge,
    props: &ChallengeBodyProps,
    current: &UseStateHandle<Option<u8>>,
    status: &UseStateHandle<Status>,
    grade: &Callback<u8>,
    shared: &UseStateHandle<Option<String>>,
    progress: &UseStateHandle<Progress>,
) -> Html {
    let id = c.id;
    let back = {
        let current = current.clone();
        Callback::from(move |_: MouseEvent| current.set(None))
    };
    let start = {
        let on_action = props.on_action.clone();
        let c = c.clone();
        Callback::from(move |_: MouseEvent| match c.start_file() {
            Ok(file) => match file.lower() {
                Ok(scenario) => {
                    on_action.emit(Action::OpenGraph(
                        Rc::new(file),
                        Rc::new(scenario),
                        None,
                        Rc::new(Vec::new()),
                    ));
                    on_action.emit(Action::SetEditing(true));
                }
                Err(e) => on_action.emit(Action::LoadFailed(e.to_string())),
            },
            Err(e) => on_action.emit(Action::LoadFailed(e)),
        })
    };
    let run_grade = grade.reform(move |_: MouseEvent| id);
    let share = {
        let shared = shared.clone();
        let scenario = props.scenario.clone();
        let graph = props.graph.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            let fragment = match &graph {
                Some(g) => encode_graph(g, &[], None),
                None => encode_link(&scenario, None),
            };
            let base = link::current_url();
            let base = base.split('#').next().unwrap_or_default().to_string();
            let url = format!("{base}#{}{id}/{fragment}", link::CHALLENGE_PREFIX);
            let copied = link::copy_to_clipboard(&url);
            on_action.emit(Action::Notify(Notice {
                text: if copied {
                    "Solution link copied.".to_string()
                } else {
                    "Copy the solution link below.".to_string()
                },
                problem: false,
            }));
            shared.set(Some(url));
        })
    };
    let running = matches!(**status, Status::Running { .. });
    let best = progress.get(&id).copied();
    html! {
        <div class="challenge-page" data-challenge-page={id.to_string()}>
            <button class="btn btn-ghost btn-small" data-action="challenges-back" onclick={back}>
                { "← All challenges" }
            </button>
            <h3>{ format!("{}. {}", c.id, c.title) }
                <span class="muted">{ format!(" · stage {}", c.stage) }</span></h3>
            <p class="challenge-story">{ c.story.clone() }</p>
            <div class="challenge-terms">
                <div>
                    <h4>{ "Objectives" }</h4>
                    <ul>
                        { for c.objectives.iter().map(|o| html! { <li>{ o.label() }</li> }) }
                        <li>{ format!("cost ≤ ${:.2} an hour", c.budget_usd_per_hour) }</li>
                    </ul>
                </div>
                <p class="muted challenge-rules">
                    { format!(
                        "Graded on seeds {} for {} s each, worst seed counts. The challenge sets the users, \
                         the faults and the hardware's speeds; you choose the architecture.",
                        c.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(" and "),
                        c.script.duration_s
                    ) }
                    if let Some(s) = best {
                        { format!(" Your best: {}.", stars_text(s)) }
                    }
                </p>
            </div>
            <div class="challenge-actions">
                <button class="btn" data-action="challenge-start" onclick={start}>
                    { "Start: open its architecture in the editor" }
                </button>
                <button class="btn btn-primary" data-action="challenge-grade" onclick={run_grade}
                    disabled={running}>
                    { "Grade the architecture on screen" }
                </button>
                <button class="btn btn-ghost" data-action="challenge-share" onclick={share}>
                    { "Share solution" }
                </button>
            </div>
            if let Some(url) = &**shared {
                <label class="challenge-link">
                    { "Solution link" }
                    <input type="text" readonly=true value={url.clone()} data-value="challenge-link" />
                </label>
            }
            { verdict(c, status) }
        </div>
    }
}

fn measured_text(r: &ObjectiveResult) -> String {
    let Some(v) = r.measured else {
        return "—".to_string();
    };
    match r.objective.unit() {
        "ratio" => format!("{} %", figure(v * 100.0)),
        "ms" => format!("{} ms", figure(v)),
        "s" => format!("{} s", figure(v)),
        _ => figure(v),
    }
}

fn verdict(c: &Challenge, status: &Status) -> Html {
    match status {
        Status::Idle => html! {},
        Status::Running { done, total } => html! {
            <p class="challenge-running" role="status">
                { format!("Grading… {done} of {total} seeds run") }
            </p>
        },
        Status::Failed(message) => html! {
            <p class="challenge-error" role="alert">{ message.clone() }</p>
        },
        Status::Done(g) => {
            let verdict = if g.pass { "pass" } else { "fail" };
            html! {
                <div class={classes!("challenge-verdict", verdict)} data-verdict={verdict} role="status">
                    if let Some(error) = &g.error {
                        <p class="challenge-headline">{ format!("Fail: {error}") }</p>
                    } else {
                        <p class="challenge-headline">
                            { if g.pass {
                                format!("Pass {} ({} of 3 stars)", stars_text(g.stars), g.stars)
                            } else {
                                "Fail".to_string()
                            } }
                        </p>
                        <table class="challenge-results">
                            <thead><tr>
                                <th scope="col">{ "Objective" }</th>
                                <th scope="col">{ "Measured (worst seed)" }</th>
                                <th scope="col">{ "Result" }</th>
                            </tr></thead>
                            <tbody>
                                { for g.objectives.iter().map(|o| html! {
                                    <tr data-objective-pass={o.pass.to_string()}>
                                        <td>{ o.label.clone() }</td>
                                        <td>
                                            { measured_text(o) }
                                            if let Some(note) = &o.note {
                                                <span class="muted">{ format!(" ({note})") }</span>
                                            }
                                        </td>
                                        <td class={if o.pass { "ok" } else { "bad" }}>
                                            { if o.pass { "pass" } else { "fail" } }
                                        </td>
                                    </tr>
                                }) }
                                <tr data-objective-pass={g.within_budget.to_string()}>
                                    <td>{ format!("cost ≤ ${:.2}/h", g.budget_usd_per_hour) }</td>
                                    <td data-value="challenge-cost">{ format!("${:.3}/h", g.cost_usd_per_hour) }</td>
                                    <td class={if g.within_budget { "ok" } else { "bad" }}>
                                        { if g.within_budget { "pass" } else { "fail" } }
                                    </td>
                                </tr>
                            </tbody>
                        </table>
                        if let Some(broke) = &g.broke_first {
                            <p class="challenge-broke"><strong>{ "What broke first: " }</strong>{ broke.clone() }</p>
                        }
                        <p class="challenge-lesson"><strong>{ "The lesson: " }</strong>{ c.lesson.clone() }</p>
                    }
                </div>
            }
        }
    }
}

/// Starts grading in the web worker; if the worker cannot load, in the worker's wasm loaded
/// into the page (one seed per timer tick). `None`: neither can run (the update said why).
fn start_grading(
    request: GradeRequest,
    on_update: Rc<dyn Fn(GradeUpdate)>,
    holder: Rc<RefCell<Option<Grader>>>,
    in_page: bool,
) -> Option<Grader> {
    let Some(port) = Port::open(in_page) else {
        on_update(GradeUpdate::GradeFailed {
            job: request.job,
            message: "this browser cannot run the grading".into(),
        });
        return None;
    };
    let in_page = !port.is_worker();
    let text = request.to_json();
    let on_message = {
        let sender = port.sender();
        let on_update = on_update.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            // Read, not compared with `JobUpdate::Ready.to_json()`: that would put the
            // capacity job's whole `Serialize` code into the app's wasm for one word.
            if matches!(
                crate::capacity::job::JobUpdate::from_json(&data),
                Ok(crate::capacity::job::JobUpdate::Ready)
            ) {
                let _ = sender.post(&JsValue::from_str(&text));
            } else if let Some(update) = GradeUpdate::from_json(&data) {
                on_update(update);
            }
        })
    };
    let on_error = {
        let on_update = on_update.clone();
        Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            // The grader (and this handler) is replaced on the next tick, not while the
            // handler runs.
            let request = request.clone();
            let on_update = on_update.clone();
            let holder = holder.clone();
            Timeout::new(0, move || {
                if in_page {
                    holder.borrow_mut().take();
                    on_update(GradeUpdate::GradeFailed {
                        job: request.job,
                        message: "the simulator could not load in this page".into(),
                    });
                } else {
                    let next = start_grading(request, on_update, holder.clone(), true);
                    *holder.borrow_mut() = next;
                }
            })
            .forget();
        })
    };
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    port.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Grader {
        _port: port,
        _on_message: on_message,
        _on_error: on_error,
    })
}
