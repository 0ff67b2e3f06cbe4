//! The embed view (`?embed` in the address, or `#embed/<link>`): the diagram, play/pause and
//! the main figures only, for an iframe of about 800 × 500 px on a course page or a blog post.
//! The link after `#` (or after `#embed/`) is any scalesim link, v1 or v2.

use yew::prelude::*;

use super::diagram::DiagramView;
use super::format::{grouped, percent};
use super::runner::Op;
use super::state::{Action, AppState};
use crate::sim::ComponentId;

/// The fragment prefix that asks for the embed view.
pub const EMBED_PREFIX: &str = "embed/";

/// Whether the page asks for the embed view.
pub fn is_embed() -> bool {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return false;
    };
    let search = location.search().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "embed" || p.starts_with("embed="))
        || hash.trim_start_matches('#').starts_with(EMBED_PREFIX)
}

/// The embed view of the app's state.
pub fn view(
    state: &AppState,
    canvas: &NodeRef,
    on_action: &Callback<Action>,
    on_fault: &Callback<(ComponentId, Op)>,
) -> Html {
    let f = &state.figures;
    let play = on_action.reform(|_: MouseEvent| Action::TogglePlay);
    let p99 = f
        .latency_p99_ms
        .map_or_else(|| "–".to_string(), |v| format!("{v:.0} ms"));
    let link = format!(
        "./#{}",
        super::link::current_fragment().trim_start_matches(EMBED_PREFIX)
    );
    html! {
        <div class="embed" data-embed="">
            <div class="embed-bar">
                <button class="btn btn-primary" data-action="play" onclick={play}
                    aria-pressed={if state.playing { "true" } else { "false" }}>
                    { if state.playing { "Pause" } else { "Play" } }
                </button>
                <p class="embed-title">{ state.scenario.name.clone() }</p>
                <a class="embed-open" href={link} target="_blank" rel="noopener">{ "Open in scalesim" }</a>
            </div>
            if let Some(diagram) = &state.diagram {
                <div class="embed-diagram">
                    <DiagramView diagram={diagram.clone()} portrait={state.portrait}
                        figures={state.figures.clone()} users={state.scenario.traffic.users}
                        selected={None::<ComponentId>} canvas={canvas.clone()}
                        on_action={on_action.clone()} on_fault={on_fault.clone()}
                        open_group={state.open_group.clone()} />
                </div>
            }
            if let Some(message) = &state.error {
                <p class="error-banner" role="alert">{ message.clone() }</p>
            }
            <dl class="embed-figures" aria-label="Main figures">
                <div><dt>{ "Time" }</dt><dd data-metric="sim_time">{ format!("{:.1} s", f.sim_time_s) }</dd></div>
                <div><dt>{ "Throughput" }</dt><dd>{ format!("{:.0} req/s", f.throughput_per_s) }</dd></div>
                <div><dt>{ "p99 latency" }</dt><dd>{ p99 }</dd></div>
                <div><dt>{ "Requests" }</dt><dd data-metric="requests_total">{ grouped(f.requests_total) }</dd></div>
                <div><dt>{ "Failing" }</dt><dd>{ percent(f.error_share) }</dd></div>
            </dl>
        </div>
    }
}
