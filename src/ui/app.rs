//! The root component: owns the reducer state and the [`Runner`], and wires effects that carry
//! state changes over to the simulation. It draws nothing per frame itself.

use std::rc::Rc;

use gloo::events::EventListener;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::controls::Controls;
use super::diagram::DiagramView;
use super::metrics::Metrics;
use super::particles::{outcome_colour, outcome_possible, outcomes};
use super::runner::{AnimationLoop, Runner};
use super::stages::StageList;
use super::state::{Action, AppState};
use crate::layout::Orientation;
use crate::scenario::STAGES;
use crate::sim::ComponentKind;

/// The whole app.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState {
        portrait: is_narrow(),
        ..AppState::initial()
    });
    let runner = use_mut_ref(Runner::default);
    let canvas = use_node_ref();

    // Build the simulation when the stage changes or on restart.
    {
        let runner = runner.clone();
        let dispatcher = state.dispatcher();
        let users = state.users;
        let orientation = orientation(state.portrait);
        use_effect_with((state.stage, state.run), move |&(stage, _)| {
            let mut r = runner.borrow_mut();
            r.set_orientation(orientation);
            let loaded = r.load(stage, users);
            drop(r);
            match loaded {
                Ok(diagram) => dispatcher.dispatch(Action::Loaded(Rc::new(diagram))),
                Err(message) => dispatcher.dispatch(Action::LoadFailed(message)),
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
            let diagram = runner.borrow_mut().set_orientation(orientation(portrait));
            if let Some(diagram) = diagram {
                dispatcher.dispatch(Action::Loaded(Rc::new(diagram)));
            }
        });
    }
    // Carry the controls over to the running simulation.
    {
        let runner = runner.clone();
        use_effect_with((state.playing, state.speed()), move |&(playing, speed)| {
            let mut r = runner.borrow_mut();
            r.set_playing(playing);
            r.set_speed(speed);
        });
    }
    {
        let runner = runner.clone();
        use_effect_with(state.users, move |&users| {
            runner.borrow_mut().set_users(users)
        });
    }
    {
        let runner = runner.clone();
        use_effect_with(state.down.clone(), move |down| {
            runner.borrow_mut().set_down(down)
        });
    }
    // The animation clock: advance and draw every frame, report figures a few times a second.
    {
        let runner = runner.clone();
        let canvas = canvas.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let animation = AnimationLoop::start(move |timestamp_ms| {
                let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
                let element = canvas.cast::<HtmlCanvasElement>();
                let figures = runner
                    .borrow_mut()
                    .frame(timestamp_ms, element.as_ref(), dpr);
                if let Some(figures) = figures {
                    dispatcher.dispatch(Action::Figures(Rc::new(figures)));
                }
            });
            move || drop(animation)
        });
    }

    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action: Action| dispatcher.dispatch(action))
    };
    let stage = STAGES.iter().find(|s| s.number == state.stage);
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

    html! {
        <div class="app">
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
            </header>
            <div class="layout">
                <StageList current={state.stage} on_action={on_action.clone()} />
                <main class="workspace">
                    <section class="intro card">
                        <div class="intro-text">
                            <h1>
                                <span class="muted">{ format!("Stage {} · ", state.stage) }</span>
                                { stage.map_or("", |s| s.title) }
                            </h1>
                            <p>{ stage.map_or("", |s| s.summary) }</p>
                        </div>
                        <Controls playing={state.playing} speed_index={state.speed_index}
                            users={state.users} on_action={on_action.clone()} />
                    </section>
                    if let Some(message) = &state.error {
                        <div class="error-banner card" role="alert">{ message.clone() }</div>
                    }
                    if let Some(diagram) = &state.diagram {
                        <section class="diagram-card card" aria-label="The system">
                            <DiagramView diagram={diagram.clone()} portrait={state.portrait} figures={state.figures.clone()}
                                down={state.down.clone()} users={state.users} canvas={canvas.clone()}
                                on_action={on_action.clone()} />
                            <div class="diagram-footer">
                                <ul class="legend" aria-label="Request outcomes">
                                    { for outcomes().filter(|o| outcome_possible(*o, &kinds)).map(|o| html! {
                                        <li data-outcome={o.label()}>
                                            <span class="dot" style={format!("background:{}", outcome_colour(o))}></span>
                                            { o.label() }
                                        </li>
                                    }) }
                                </ul>
                                <p class="hint">{ "Each dot is a sampled request. Click the server (or DNS) to kill it; click again to repair." }</p>
                            </div>
                        </section>
                    }
                    <Metrics figures={state.figures.clone()} server={server}
                        speed={state.speed()} playing={state.playing} />
                </main>
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
