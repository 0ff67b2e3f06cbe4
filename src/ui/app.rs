//! The root component: owns the reducer state and the [`Runner`], and wires effects that carry
//! state changes over to the simulation and to the address bar. It draws nothing per frame.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::challenges::ChallengePanel;
use super::charts::Charts;
use super::controls::Controls;
use super::diagram::DiagramView;
use super::files::{self, ScenarioFiles};
use super::format::grouped;
use super::inspector::Inspector;
use super::limits::LimitPanel;
use super::link;
use super::log::{Alerts, EventLog};
use super::metrics::Metrics;
use super::particles::DotClass;
use super::reading::{Opened, Read, Write};
use super::runner::{AnimationLoop, Op, Runner, Update};
use super::session::Command;
use super::stages::StageList;
use super::state::{Action, AppState, Notice};
use super::timeline::Timeline;
use super::tour::{Experiment, Step, Tour};
use super::views::EditorSlot;
use super::why::WhyPanel;
use crate::layout::Orientation;
use crate::scenario::{schedule, STAGES};
use crate::sim::{ComponentId, ComponentKind};

/// The whole app.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState {
        portrait: is_narrow(),
        ..link::initial_state()
    });
    let runner = use_mut_ref(Runner::default);
    let canvas = use_node_ref();

    use_simulation_effects(&state, &runner);
    use_url_sync(&state, &runner);
    use_keyboard(&state);
    use_animation(&state, &runner, &canvas);
    {
        // `scalesim::ui::open_scenario_text` opens scenarios in this app while it is mounted.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| files::register(dispatcher));
    }

    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action: Action| dispatcher.dispatch(action))
    };
    let on_fault = {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |(id, op): (ComponentId, Op)| {
            send(&runner, &dispatcher, Command::Apply(id, op));
        })
    };
    let on_deploy = {
        let on_fault = on_fault.clone();
        let state = state.clone();
        Callback::from(move |pool: u8| {
            let any = state.diagram.as_ref().and_then(|d| d.nodes.first());
            if let Some(node) = any {
                on_fault.emit((
                    node.component,
                    Op::Deploy {
                        batch: 1,
                        drain: true,
                        pool,
                    },
                ));
            }
        })
    };
    let on_try = {
        let dispatcher = state.dispatcher();
        let on_fault = on_fault.clone();
        let state = state.clone();
        Callback::from(move |experiment: &'static Experiment| {
            run_experiment(experiment, &state, &dispatcher, &on_fault);
        })
    };
    let on_export_report = {
        let scenario = state.scenario.clone();
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |()| {
            let name = files::file_name(&scenario).replace(".json", "-report.json");
            let mut r = runner.borrow_mut();
            r.request_report(move |json| {
                let _ = files::download(&json, "application/json", &name);
            });
            // In the page the report is ready at once; from the worker, with a later frame.
            let update = r.take_update();
            drop(r);
            deliver(&dispatcher, update);
        })
    };
    let on_save = {
        let scenario = state.scenario.clone();
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |()| {
            let name = files::file_name(&scenario);
            let mut r = runner.borrow_mut();
            // The engine's wasm writes the file's text (at once in the page, with a later
            // frame from the worker).
            r.request_write(Write::File(Box::new((*scenario).clone())), move |json| {
                let _ = files::download(&json, "application/json", &name);
            });
            let update = r.take_update();
            drop(r);
            deliver(&dispatcher, update);
        })
    };
    let on_copy_link = {
        let dispatcher = state.dispatcher();
        let scenario = state.scenario.clone();
        let runner = runner.clone();
        Callback::from(move |()| {
            let notify = dispatcher.clone();
            let mut r = runner.borrow_mut();
            let now_s = r.now_s();
            // The engine's wasm writes the link: at once in the page, with a later frame from
            // the worker.
            r.request_link(Some(now_s), &scenario, move |fragment| {
                link::write_fragment(fragment, false);
                let url = link::current_url();
                let copied = link::copy_to_clipboard(&url);
                let text = if copied {
                    format!("Link copied: {url}")
                } else {
                    format!("Copy this link: {url}")
                };
                // Called while the runner is borrowed: the notice goes after.
                yew::platform::spawn_local(async move {
                    notify.dispatch(Action::Notify(Notice {
                        text,
                        problem: false,
                    }));
                });
            });
            let update = r.take_update();
            drop(r);
            deliver(&dispatcher, update);
        })
    };
    let on_seek = {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |t: f64| send(&runner, &dispatcher, Command::Seek(t)))
    };
    let on_chaos = {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |entry: crate::sim::chaos::Entry| {
            for action in &entry.actions {
                if let crate::scenario::LiveAction::Users(users) = action {
                    // As the users control does it: the state, then the runner, follow.
                    dispatcher.dispatch(Action::SetUsers(*users));
                } else {
                    send(&runner, &dispatcher, Command::Live(action.clone()));
                }
            }
            dispatcher.dispatch(Action::SetPlaying(true));
            dispatcher.dispatch(Action::Notify(Notice {
                text: format!("{}: {}", entry.title, entry.watch),
                problem: false,
            }));
        })
    };
    let (on_drag_over, on_drop) = files::drop_handlers(&state.dispatcher());
    let on_dismiss = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::DismissNotice))
    };

    if super::embed::is_embed() {
        return super::embed::view(&state, &canvas, &on_action, &on_fault);
    }
    let stage = STAGES.iter().find(|s| s.number == state.stage());
    let kinds: Vec<ComponentKind> = state
        .diagram
        .as_ref()
        .map(|d| d.nodes.iter().map(|n| n.kind).collect())
        .unwrap_or_default();
    let server = state.diagram.as_ref().and_then(|d| {
        d.nodes
            .iter()
            .find(|n| n.kind == ComponentKind::Server)
            .map(|n| n.component)
    });
    let scheduled = Rc::new(schedule(&state.scenario));
    let replicated = state
        .scenario
        .database
        .as_ref()
        .is_some_and(|d| d.replicas > 0);

    html! {
        <div class="app" ondragover={on_drag_over} ondrop={on_drop}>
            <header class="topbar">
                <p class="brand">
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                        <rect x="2" y="14" width="6" height="8" rx="1.5" fill="var(--accent)" opacity="0.45" />
                        <rect x="9" y="8" width="6" height="14" rx="1.5" fill="var(--accent)" opacity="0.7" />
                        <rect x="16" y="2" width="6" height="20" rx="1.5" fill="var(--accent)" />
                    </svg>
                    { "scalesim" }
                </p>
                <p class="tagline">
                    { "Watch a web system grow from one server to millions of users — one simulated request at a time." }
                </p>
                <button class="btn btn-ghost edit-button" data-action="edit"
                    aria-pressed={if state.editing { "true" } else { "false" }}
                    onclick={on_action.reform({
                        let editing = state.editing;
                        move |_: MouseEvent| Action::SetEditing(!editing)
                    })}>{ "Edit this architecture" }</button>
                <button class="btn btn-ghost help-button" data-action="help"
                    onclick={on_action.reform(|_: MouseEvent| Action::SetHelp(true))}
                    aria-keyshortcuts="?" title="Keyboard shortcuts (?)">{ "? Keys" }</button>
            </header>
            <div class="layout">
                <StageList current={state.stage()} on_action={on_action.clone()} />
                <main class="workspace">
                    <section class="intro card">
                        <div class="intro-text">
                            if state.graph.is_some() {
                                <h1>
                                    <span class="muted">{ "Your architecture · " }</span>
                                    { state.scenario.name.clone() }
                                </h1>
                            } else {
                                <h1>
                                    <span class="muted">{ format!("Stage {} · ", state.stage()) }</span>
                                    { stage.map_or("", |s| s.title) }
                                </h1>
                            }
                            <p>{ stage.map_or("", |s| s.summary) }</p>
                        </div>
                        <Controls playing={state.playing} speed_index={state.speed_index}
                            scenario={state.scenario.clone()} on_action={on_action.clone()}
                            on_copy_link={on_copy_link} on_deploy={on_deploy} />
                        <ScenarioFiles scenario={state.scenario.clone()}
                            dispatcher={state.dispatcher()} on_save={on_save}
                            on_export_report={on_export_report} />
                    </section>
                    <ChallengePanel scenario={state.scenario.clone()} graph={state.graph.clone()}
                        on_action={on_action.clone()} reading_link={state.reading_link} />
                    if state.editing {
                        <EditorSlot scenario={state.scenario.clone()} graph={state.graph.clone()}
                            on_action={on_action.clone()} portrait={state.portrait}
                            diagram={state.diagram.clone()} figures={state.figures.clone()}
                            inspected={state.selected} />
                    }
                    <Timeline figures={state.figures.clone()} scheduled={scheduled.clone()}
                        duration_s={f64::from(state.scenario.duration_s)} on_seek={on_seek.clone()} />
                    if let Some(notice) = &state.notice {
                        <div class={classes!("notice", "card", notice.problem.then_some("problem"))}
                            role={if notice.problem { "alert" } else { "status" }} data-notice="">
                            <p>{ notice.text.clone() }</p>
                            <button class="btn btn-icon" data-action="dismiss" onclick={on_dismiss}
                                aria-label="Dismiss this message">{ "×" }</button>
                        </div>
                    }
                    if let Some(message) = &state.error {
                        <div class="error-banner card" role="alert">{ message.clone() }</div>
                    }
                    // The experiment (diagram, figures) and the lesson (why, try this, what
                    // happened) side by side on the first screen; the charts and the capacity
                    // panel below.
                    <div class="experiment">
                        <div class="experiment-main">
                            if let Some(diagram) = &state.diagram {
                                <div class={classes!("stage-view", state.selected.is_some().then_some("inspecting"))}>
                                    <section class="diagram-card card" aria-label="The system">
                                        <DiagramView diagram={diagram.clone()} portrait={state.portrait}
                                            figures={state.figures.clone()} users={state.scenario.traffic.users}
                                            selected={state.selected} canvas={canvas.clone()}
                                            on_action={on_action.clone()} on_fault={on_fault.clone()}
                                            open_group={state.open_group.clone()} />
                                        <div class="diagram-footer">
                                            <ul class="legend" aria-label="Request outcomes">
                                                { for DotClass::all().filter(|c| c.possible(&kinds)).map(|c| html! {
                                                    <li data-outcome={c.label()}>
                                                        <span class="dot" style={format!("background:{}", c.colour())}></span>
                                                        { c.label() }
                                                    </li>
                                                }) }
                                            </ul>
                                            <p class="hint">
                                                <span data-value="requests-per-dot">{
                                                    if state.figures.requests_per_dot > 1 {
                                                        format!("1 dot = 1 request in {}: the others travel the same paths unseen. ", grouped(state.figures.requests_per_dot))
                                                    } else {
                                                        "1 dot = 1 request. ".to_string()
                                                    }
                                                }</span>
                                                { "Select a component to inspect it, kill it or repair it." }
                                            </p>
                                        </div>
                                    </section>
                                    if let Some(selected) = state.selected {
                                        <Inspector diagram={diagram.clone()} figures={state.figures.clone()}
                                            selected={selected} on_action={on_action.clone()}
                                            on_fault={on_fault.clone()} />
                                    }
                                </div>
                            }
                            <Metrics figures={state.figures.clone()} server={server}
                                speed={state.speed()} playing={state.playing} replicated={replicated}
                                scenario={state.scenario.clone()} />
                        </div>
                        <aside class="lesson" aria-label="The lesson">
                            <Tour stage={state.stage()} on_try={on_try} scheduled={scheduled.clone()} />
                            <WhyPanel verdict={state.figures.verdict.clone()}
                                incidents={state.figures.incidents.clone()}
                                chaos={state.figures.chaos.clone()}
                                title={state.scenario.name.clone()}
                                on_chaos={on_chaos} on_seek={on_seek.clone()} />
                            <div class="log-stack">
                                if state.scenario.monitoring.is_some() {
                                    <Alerts alerts={state.figures.alerts.clone()} />
                                }
                                <EventLog entries={state.figures.log.clone()} />
                            </div>
                        </aside>
                    </div>
                    <Charts data={state.figures.charts.clone()} show_lag={replicated}
                        show_cache={state.scenario.cache.is_some()}
                        show_cdn={state.scenario.cdn.is_some()}
                        show_queue={state.scenario.queue.is_some()}
                        show_servers={state.scenario.autoscaling.is_some()} />
                    <LimitPanel scenario={state.scenario.clone()} on_action={on_action.clone()} />
                </main>
            </div>
            if state.help_open {
                { help_overlay(&on_action) }
            }
        </div>
    }
}

/// Builds the simulation when the run changes, and carries live changes over to it.
#[hook]
fn use_simulation_effects(state: &UseReducerHandle<AppState>, runner: &Rc<RefCell<Runner>>) {
    {
        // A drawing changed without a new run (a node moved): links carry the new one.
        let runner = runner.clone();
        use_effect_with(state.graph.clone(), move |graph| {
            runner
                .borrow_mut()
                .set_graph(graph.as_ref().map(|g| (**g).clone()));
        });
    }
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let scenario = state.scenario.clone();
        let orientation = orientation(state.portrait);
        let start_at_s = state.start_at_s;
        let start_live = state.start_live.clone();
        let graph = state.graph.clone();
        let reading_link = state.reading_link;
        use_effect_with(state.run, move |_| {
            if reading_link {
                // The link's own scenario comes from the engine: show the stand-in's diagram
                // meanwhile, without running it.
                runner.borrow_mut().show_plan(&scenario, orientation);
                let update = runner.borrow_mut().take_update();
                deliver(&dispatcher, update);
                return;
            }
            runner.borrow_mut().set_graph(graph.map(|g| (*g).clone()));
            let load = Command::Load {
                scenario: Box::new((*scenario).clone()),
                orientation,
                recorded: start_live.to_vec(),
                start_at_s,
            };
            send(&runner, &dispatcher, load);
        });
    }
    {
        // A link or file to read: the engine reads it (super::reading), the answer comes with
        // a frame's output (`deliver`).
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let read = state.read.clone();
        use_effect_with(read.as_ref().map(|(n, _)| *n), move |_| {
            if let Some((_, request)) = read {
                send(&runner, &dispatcher, Command::Read((*request).clone()));
            }
        });
    }
    // Follow the screen's width: wide screens get a left-to-right diagram, narrow ones a
    // top-to-bottom one.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "resize", move |_| {
                    dispatcher.dispatch(Action::SetPortrait(is_narrow()));
                })
            });
            move || drop(listener)
        });
    }
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        use_effect_with(state.portrait, move |&portrait| {
            send(
                &runner,
                &dispatcher,
                Command::Orientation(orientation(portrait)),
            );
        });
    }
    {
        let runner = runner.clone();
        use_effect_with((state.playing, state.speed()), move |&(playing, speed)| {
            let mut r = runner.borrow_mut();
            r.send(Command::Playing(playing));
            r.send(Command::Speed(speed));
        });
    }
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        use_effect_with(state.scenario.traffic.users, move |&users| {
            send(&runner, &dispatcher, Command::Users(users));
        });
    }
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        use_effect_with(state.scenario.server.count, move |&count| {
            send(&runner, &dispatcher, Command::WebServers(count));
        });
    }
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let counts: Vec<u32> = (state.scenario.more_web_pools.iter())
            .map(|m| m.server.count)
            .collect();
        use_effect_with(counts, move |counts| {
            if !counts.is_empty() {
                send(&runner, &dispatcher, Command::PoolServers(counts.clone()));
            }
        });
    }
    {
        // After the shared count (above), so a change of every data center's count reaches
        // the engine before a data center's own.
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let own = state.scenario.data_center_server_counts();
        use_effect_with(own, move |own| {
            if !own.is_empty() {
                send(
                    &runner,
                    &dispatcher,
                    Command::DataCenterServers(own.clone()),
                );
            }
        });
    }
    {
        let runner = runner.clone();
        use_effect_with((), move |_| {
            let query = web_sys::window()
                .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok())
                .flatten();
            let reduced = query.as_ref().is_some_and(|q| q.matches());
            runner.borrow_mut().send(Command::ReducedMotion(reduced));
            let listener = query.map(|q| {
                let runner = runner.clone();
                let target = q.clone();
                EventListener::new(&q, "change", move |_| {
                    runner
                        .borrow_mut()
                        .send(Command::ReducedMotion(target.matches()));
                })
            });
            move || drop(listener)
        });
    }
}

/// Keeps the address bar in step with the scenario, and follows back/forward.
#[hook]
fn use_url_sync(state: &UseReducerHandle<AppState>, runner: &Rc<RefCell<Runner>>) {
    {
        // The run as built plus its live changes (the scenario alone if it could not be built).
        let push = state.push_history;
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let deps = (
            state.scenario.clone(),
            state.run,
            state.figures.changes,
            state.reading_link,
        );
        use_effect_with(deps, move |(scenario, _, _, reading_link)| {
            if *reading_link {
                // The address keeps the link being read; what shows meanwhile is not it.
                return;
            }
            // The engine's wasm writes the link (at once in the page, with a later frame from
            // the worker); answers come in the order asked, so the last change wins.
            let mut r = runner.borrow_mut();
            r.request_link(None, scenario, move |fragment| {
                link::write_fragment(fragment, push);
            });
            let update = r.take_update();
            drop(r);
            deliver(&dispatcher, update);
        });
    }
    let dispatcher = state.dispatcher();
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "popstate", move |_| {
                let fragment = link::current_fragment();
                if fragment.is_empty() {
                    return;
                }
                dispatcher.dispatch(Action::Read(Rc::new(Read::Link(fragment))));
            })
        });
        move || drop(listener)
    });
}

/// Space: play/pause; ← →: previous/next stage; ?: help; Escape: close what is open.
#[hook]
fn use_keyboard(state: &UseReducerHandle<AppState>) {
    let open = (state.help_open, state.selected.is_some());
    let dispatcher = state.dispatcher();
    use_effect_with(open, move |&(help_open, inspecting)| {
        let listener = web_sys::window().map(|window| {
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&window, "keydown", options, move |event| {
                let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let target = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let in_field = target.as_ref().is_some_and(|t| {
                    matches!(t.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                });
                let on_button = target.as_ref().is_some_and(|t| {
                    t.tag_name() == "BUTTON" || t.get_attribute("role").as_deref() == Some("button")
                });
                let action = match e.key().as_str() {
                    "Escape" if help_open => Action::SetHelp(false),
                    "Escape" if inspecting => Action::Select(None),
                    "?" => Action::SetHelp(!help_open),
                    " " if !in_field && !on_button => Action::TogglePlay,
                    "ArrowLeft" if !in_field => Action::StepStage(-1),
                    "ArrowRight" if !in_field => Action::StepStage(1),
                    _ => return,
                };
                e.prevent_default();
                dispatcher.dispatch(action);
            })
        });
        move || drop(listener)
    });
}

/// The animation clock: advance and draw every frame, report figures a few times a second.
#[hook]
fn use_animation(
    state: &UseReducerHandle<AppState>,
    runner: &Rc<RefCell<Runner>>,
    canvas: &NodeRef,
) {
    let runner = runner.clone();
    let canvas = canvas.clone();
    let dispatcher = state.dispatcher();
    use_effect_with((), move |_| {
        let animation = AnimationLoop::start(move |timestamp_ms| {
            let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
            let element = canvas.cast::<HtmlCanvasElement>();
            let update = runner
                .borrow_mut()
                .frame(timestamp_ms, element.as_ref(), dpr);
            deliver(&dispatcher, update);
        });
        move || drop(animation)
    });
}

/// Hands a command to the run and the app what it produced (in the page: at once; from the
/// web worker: with a later frame).
fn send(
    runner: &Rc<RefCell<Runner>>,
    dispatcher: &UseReducerDispatcher<AppState>,
    command: Command,
) {
    let mut r = runner.borrow_mut();
    r.send(command);
    let update = r.take_update();
    drop(r);
    deliver(dispatcher, update);
}

/// Passes what the run produced on to the app's state.
fn deliver(dispatcher: &UseReducerDispatcher<AppState>, update: Update) {
    let Update {
        diagram,
        figures,
        failed,
        opened,
    } = update;
    for read in opened {
        match read {
            Opened::Link(l) => dispatcher.dispatch(link::open_action(*l)),
            Opened::LinkFailed(why) => {
                dispatcher.dispatch(Action::LinkUnreadable(link::unreadable(&why)));
            }
            Opened::File {
                source,
                scenario,
                graph,
            } => files::opened(dispatcher, &source, Ok((*scenario, graph))),
            Opened::FileFailed { source, why } => files::opened(dispatcher, &source, Err(why)),
        }
    }
    if let Some(diagram) = diagram {
        dispatcher.dispatch(Action::Loaded(Rc::new(diagram)));
    }
    if let Some(figures) = figures {
        dispatcher.dispatch(Action::Figures(Rc::new(figures)));
    }
    if let Some(message) = failed {
        dispatcher.dispatch(Action::LoadFailed(message));
    }
}

/// Carries out a "try this" experiment of the tour.
fn run_experiment(
    experiment: &Experiment,
    state: &AppState,
    dispatcher: &UseReducerDispatcher<AppState>,
    on_fault: &Callback<(ComponentId, Op)>,
) {
    // A component drawn as its own node, or as a tile of a group (a large web tier's servers
    // are drawn as one box whose panel lists them).
    let named = |name: &str| {
        state
            .diagram
            .as_ref()
            .and_then(|d| {
                d.nodes
                    .iter()
                    .chain(d.clusters.iter().flat_map(|c| c.tiles.iter()))
                    .find(|n| n.label == name)
            })
            .map(|n| n.component)
    };
    dispatcher.dispatch(Action::SetPlaying(true));
    for step in experiment.steps {
        match *step {
            Step::Kill(name) => {
                if let Some(id) = named(name) {
                    on_fault.emit((id, Op::Kill));
                    dispatcher.dispatch(Action::Select(Some(id)));
                }
            }
            Step::Repair(name) => {
                if let Some(id) = named(name) {
                    on_fault.emit((id, Op::Repair));
                    dispatcher.dispatch(Action::Select(Some(id)));
                }
            }
            Step::CdnPurgeAll | Step::CdnNewVersion => {
                if let Some(id) = named("cdn") {
                    let op = if *step == Step::CdnPurgeAll {
                        Op::PurgeAll
                    } else {
                        Op::NewVersion
                    };
                    on_fault.emit((id, op));
                    dispatcher.dispatch(Action::Select(Some(id)));
                }
            }
            Step::KillMaster => {
                if let Some(id) = state.figures.master() {
                    on_fault.emit((id, Op::Kill));
                    dispatcher.dispatch(Action::Select(Some(id)));
                }
            }
            Step::Reshard(count) => {
                // Resharding acts on the whole data tier; any component carries it.
                let any = state.diagram.as_ref().and_then(|d| d.nodes.first());
                if let Some(node) = any {
                    on_fault.emit((node.component, Op::Reshard(count)));
                }
            }
            Step::Deploy { batch, drain } => {
                // A deploy acts on the whole web tier; any component carries it.
                let any = state.diagram.as_ref().and_then(|d| d.nodes.first());
                if let Some(node) = any {
                    let op = Op::Deploy {
                        batch,
                        drain,
                        pool: 0,
                    };
                    on_fault.emit((node.component, op));
                }
            }
            Step::Users(users) => dispatcher.dispatch(Action::SetUsers(users)),
            Step::WebServers(count) => dispatcher.dispatch(Action::SetWebServers(count)),
            Step::DbWorkers(workers) => dispatcher.dispatch(Action::SetDbWorkers(workers)),
            Step::CacheCapacity(items) => dispatcher.dispatch(Action::SetCacheCapacity(items)),
            Step::CacheTtl(ttl_s) => dispatcher.dispatch(Action::SetCacheTtl(ttl_s)),
            Step::Sessions(mode) => dispatcher.dispatch(Action::SetSessionMode(mode)),
            Step::QueueWorkers(n) => dispatcher.dispatch(Action::SetQueueWorkers(n)),
            Step::StartServers(n) => dispatcher.dispatch(Action::SetStartServers(n)),
            Step::ShardStrategy(strategy) => {
                dispatcher.dispatch(Action::SetShardStrategy(strategy));
            }
            Step::CelebrityShare(percent) => {
                dispatcher.dispatch(Action::SetCelebrityShare(percent));
            }
            Step::NoSqlShare(percent) => dispatcher.dispatch(Action::SetNoSqlShare(percent)),
            Step::Denormalise(copies) => dispatcher.dispatch(Action::SetDenormalise(copies)),
        }
    }
}

fn help_overlay(on_action: &Callback<Action>) -> Html {
    let close = on_action.reform(|_: MouseEvent| Action::SetHelp(false));
    let keys = [
        ("Space", "play or pause"),
        ("← / →", "previous or next stage"),
        (
            "Tab, Enter",
            "select a component in the diagram and inspect it",
        ),
        ("Esc", "close the inspector or this help"),
        ("?", "show or hide this help"),
    ];
    html! {
        <div class="overlay" data-help="">
            <div class="help card" role="dialog" aria-modal="true" aria-labelledby="help-title">
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                <dl>
                    { for keys.iter().map(|(k, what)| html! {
                        <div><dt><kbd>{ *k }</kbd></dt><dd>{ *what }</dd></div>
                    }) }
                </dl>
                <button class="btn btn-primary" data-action="close-help" onclick={close}
                    autofocus=true>{ "Close" }</button>
            </div>
        </div>
    }
}

/// Narrower than this (CSS pixels), the diagram flows top to bottom.
const PORTRAIT_BELOW_PX: f64 = 640.0;

fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w < PORTRAIT_BELOW_PX)
}

fn orientation(portrait: bool) -> Orientation {
    if portrait {
        Orientation::Portrait
    } else {
        Orientation::Landscape
    }
}
