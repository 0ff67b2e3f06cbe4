//! The "Why" panel: what the diagnosis says now (the incidents under way as causal chains, or
//! what limits the healthy system), the chaos catalogue (one-click failures that apply to this
//! architecture, each with what to watch), and the post-mortem (every incident so far, each
//! with a button that travels to its moment).
//!
//! ```text
//!   Figures.verdict ──▶ "why now" + its chain      Figures.chaos ──▶ buttons ──▶ on_chaos(entry)
//!   Figures.incidents ──▶ post-mortem rows ──▶ on_seek(start_s)
//! ```

use std::rc::Rc;

use yew::prelude::*;

use crate::format::figure;
use crate::sim::chaos::Entry;
use crate::sim::diagnosis::{Incident, Verdict};
use crate::sim::postmortem;

/// Properties of [`WhyPanel`].
#[derive(Properties, PartialEq)]
pub struct WhyProps {
    /// What the diagnosis says now.
    pub verdict: Rc<Verdict>,
    /// Every incident so far, closed ones first.
    pub incidents: Rc<Vec<Incident>>,
    /// The failures that apply to this architecture.
    pub chaos: Rc<Vec<Entry>>,
    /// The scenario's name, for the post-mortem's heading.
    pub title: String,
    /// Applies an entry now.
    pub on_chaos: Callback<Entry>,
    /// Travels to a simulated time, s.
    pub on_seek: Callback<f64>,
}

fn secs(t: f64) -> String {
    format!("{} s", figure(t))
}

/// The panel.
#[function_component(WhyPanel)]
pub fn why_panel(props: &WhyProps) -> Html {
    let verdict = &props.verdict;
    let healthy = verdict.open.is_empty();
    let chain = verdict
        .open
        .last()
        .map(|i| i.chain.clone())
        .unwrap_or_default();
    // Whether the last "Copy" reached the clipboard (`None`: not pressed yet).
    let copied = use_state(|| None::<bool>);
    let markdown = postmortem::markdown(&props.title, &props.incidents, verdict.time_s);
    let on_copy = {
        let copied = copied.clone();
        let text = markdown.clone();
        Callback::from(move |_: MouseEvent| copied.set(Some(super::link::copy_to_clipboard(&text))))
    };
    let mut incidents: Vec<(usize, &Incident)> = props.incidents.iter().enumerate().collect();
    crate::order::sort_by_keys(&mut incidents, |a| {
        (crate::order::f64_key(a.1.start_s), a.0 as u64)
    });
    html! {
        <section class="why card" aria-labelledby="why-title">
            <h2 id="why-title">{ "Why" }</h2>
            <p class={classes!("why-now", (!healthy).then_some("problem"))}
                data-diagnosis={if healthy { "healthy" } else { "incident" }}
                aria-live="polite">
                { verdict.text() }
            </p>
            if !chain.is_empty() {
                <ol class="why-chain" aria-label="How it happened">
                    { for chain.iter().map(|s| html! { <li>{ s.text.clone() }</li> }) }
                </ol>
            }
            <details class="chaos">
                <summary>{ "Break something" }</summary>
                <ul class="chaos-list">
                    { for props.chaos.iter().enumerate().map(|(i, entry)| {
                        let on_chaos = props.on_chaos.clone();
                        let chosen = entry.clone();
                        let note = format!("chaos-note-{i}");
                        // With several databases, the store each database entry breaks.
                        let store = entry.store.clone().map(AttrValue::from);
                        // With several caches, the cache each coalescing entry switches.
                        let cache = entry.cache.clone().map(AttrValue::from);
                        match &entry.unavailable {
                            None => html! {
                                <li>
                                    <button class="btn btn-try" data-chaos={entry.key} data-store={store} data-cache={cache}
                                        aria-describedby={note.clone()}
                                        onclick={Callback::from(move |_: MouseEvent| on_chaos.emit(chosen.clone()))}>
                                        { entry.title.clone() }
                                    </button>
                                    <p id={note}><span class="chaos-see">{ "You will see: " }</span>{ entry.watch.clone() }</p>
                                </li>
                            },
                            Some(reason) => html! {
                                <li class="chaos-unavailable">
                                    <button class="btn btn-try" data-chaos={entry.key} data-store={store} data-cache={cache} disabled=true
                                        aria-describedby={note.clone()}>
                                        { entry.title.clone() }
                                    </button>
                                    <p id={note} class="muted" data-unavailable="">{ reason.clone() }</p>
                                </li>
                            },
                        }
                    }) }
                </ul>
            </details>
            <div class="postmortem-title">
                <h3>{ "Post-mortem" }</h3>
                <button class="btn btn-ghost" data-action="copy-postmortem" onclick={on_copy}>
                    { "Copy as Markdown" }
                </button>
                <span class="muted" role="status">
                    { match *copied {
                        Some(true) => "Copied.",
                        Some(false) => "Copy it from the text below.",
                        None => "",
                    } }
                </span>
            </div>
            if incidents.is_empty() {
                <p class="muted">{ "No incident so far." }</p>
            } else {
                <ol class="postmortem">
                    { for incidents.iter().map(|(i, inc)| {
                        let on_seek = props.on_seek.clone();
                        // Just after it started, once the diagnosis has seen it.
                        let at = (inc.start_s + 2.0).min(inc.end_s.unwrap_or(f64::INFINITY));
                        let span = match inc.end_s {
                            Some(end) => format!("{} – {}", secs(inc.start_s), secs(end)),
                            None => format!("{} – now", secs(inc.start_s)),
                        };
                        html! {
                            <li data-incident={i.to_string()}>
                                <div class="postmortem-head">
                                    <strong>{ inc.cause.title() }</strong>
                                    <span class="muted">{ span }</span>
                                    <button class="btn btn-ghost" data-action="go-to-incident"
                                        aria-label={format!("Go to {} ({})", secs(at), inc.cause.title())}
                                        onclick={Callback::from(move |_: MouseEvent| on_seek.emit(at))}>
                                        { format!("Go to {}", secs(at)) }
                                    </button>
                                </div>
                                <p>{ inc.summary.clone() }</p>
                            </li>
                        }
                    }) }
                </ol>
            }
            <details class="postmortem-text">
                <summary>{ "As Markdown" }</summary>
                <pre data-postmortem="">{ markdown }</pre>
            </details>
        </section>
    }
}
