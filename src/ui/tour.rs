//! The guided tour: for each built stage, the problem it solves, what it costs, and a few
//! "try this" experiments that set themselves up with one click.

use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::Scheduled;
pub use crate::tour::{tour, Experiment, Step};

/// Properties of [`Tour`].
#[derive(Properties, PartialEq)]
pub struct TourProps {
    /// The stage shown.
    pub stage: u8,
    /// What the run has scheduled (faults, load changes …), named in the text.
    pub scheduled: Rc<Vec<Scheduled>>,
    /// Runs an experiment.
    pub on_try: Callback<&'static Experiment>,
}

/// The tour card of the current stage.
#[function_component(Tour)]
pub fn tour_view(props: &TourProps) -> Html {
    // Hooks first: they must run on every render, whatever the stage.
    let tried = use_state(|| None::<&'static Experiment>);
    {
        let tried = tried.clone();
        use_effect_with(props.stage, move |_| tried.set(None));
    }
    let Some(t) = tour(props.stage) else {
        return html! {};
    };
    html! {
        <section class="tour card" aria-labelledby="tour-title" data-tour={props.stage.to_string()}>
            <h2 id="tour-title">{ "Why this stage" }</h2>
            <p><strong>{ "The problem. " }</strong>{ t.problem }</p>
            // Folded, so "Try this" and the log stay on the first screen beside the diagram.
            <details class="tour-tradeoffs">
                <summary><strong>{ "The trade-offs" }</strong></summary>
                <p>{ t.tradeoffs }</p>
            </details>
            if !props.scheduled.is_empty() {
                <p data-scheduled=""><strong>{ "Scheduled in this run. " }</strong>
                    { props.scheduled.iter().map(|s| format!("at {:.0} s {}", s.at_s, s.text)).collect::<Vec<_>>().join("; ") }
                    { " (marked on the timeline)." }
                </p>
            }
            <h3>{ "Try this" }</h3>
            <div class="try-list">
                { for t.experiments.iter().enumerate().map(|(i, e)| {
                    let cb = props.on_try.clone();
                    let tried = tried.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        tried.set(Some(e));
                        cb.emit(e);
                    });
                    let restarts = e.restarts();
                    html! {
                        <button class="btn btn-try" data-try={i.to_string()} onclick={onclick}
                            data-restarts={restarts.to_string()}
                            title={if restarts { format!("Restarts the run from 0 s. {}", e.prompt) } else { e.prompt.to_string() }}>
                            { e.label }
                            if restarts {
                                <span class="try-restarts">{ " ↻ restarts" }</span>
                            }
                        </button>
                    }
                }) }
            </div>
            if let Some(e) = *tried {
                <p class="try-prompt" role="status" data-try-prompt="">
                    if e.restarts() {
                        <strong>{ "The run restarted from 0 s with this change. " }</strong>
                    } else {
                        <strong>{ "Applied live. " }</strong>
                    }
                    { "Watch: " }{ e.prompt }
                </p>
            }
        </section>
    }
}
