//! The URL glue: the scenario lives in `location.hash` (the codec is
//! [`crate::scenario::encode_link`] / [`crate::scenario::decode_link`], see docs/urls.md).
//!
//! ```text
//!  load      #v1.s4~traffic.users=8000 ──decode──▶ AppState (or the default + a notice)
//!  change    run's scenario + live changes ──encode──▶ history.replaceState (stage: pushState)
//!  back/fwd  popstate ──decode──▶ Action::Open
//!  copy link run's scenario + live changes + sim time ──encode──▶ …#v1.s4~…~live=…~t=12.5
//! ```
//!
//! The run's scenario is the one the simulation was built from; what the user did to it live
//! (kills, repairs, slider moves, deploys …) travels as the link's `live=` part with the
//! simulated time of each change, so the link reopens the same run.
//!
//! Nothing read from the URL is ever inserted as HTML: messages are plain text nodes.

use wasm_bindgen::JsValue;

use std::rc::Rc;

use super::state::{Action, AppState, Notice};
use crate::scenario::{decode_link, encode_link, Link, Scenario};

/// The current fragment, without its `#` (empty if none).
pub fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| {
            let h = h.trim_start_matches('#');
            // `#embed/<link>`: the embed view of that link (src/ui/embed.rs).
            let h = h.strip_prefix(super::embed::EMBED_PREFIX).unwrap_or(h);
            // `#challenge/N/<link>`: that link's architecture, graded in challenge N.
            split_challenge(h).map_or(h, |(_, rest)| rest).to_string()
        })
        .unwrap_or_default()
}

/// What starts a link that opens a challenge with its solution graded.
pub const CHALLENGE_PREFIX: &str = "challenge/";

/// `challenge/N/<rest>` → (N, rest).
fn split_challenge(h: &str) -> Option<(u8, &str)> {
    let rest = h.strip_prefix(CHALLENGE_PREFIX)?;
    let (n, rest) = rest.split_once('/')?;
    Some((n.parse().ok()?, rest))
}

/// The challenge the page's link names (`#challenge/N/…`), if any.
pub fn challenge_in_link() -> Option<u8> {
    let hash = web_sys::window()?.location().hash().ok()?;
    split_challenge(hash.trim_start_matches('#')).map(|(n, _)| n)
}

/// The state the app opens in: the scenario of the link, or the default with a message saying
/// what was wrong with the link.
pub fn initial_state() -> AppState {
    let fragment = current_fragment();
    if fragment.is_empty() {
        return AppState::initial();
    }
    match open(&fragment) {
        Ok(link) => {
            let graph = link.graph.map(Rc::new);
            AppState {
                graph,
                ..AppState::opening_at(link.scenario, link.time_s, link.live)
            }
        }
        Err(notice) => AppState {
            notice: Some(notice),
            ..AppState::initial()
        },
    }
}

/// Decodes a fragment into a scenario, its live changes and time position, or a message for
/// the user.
pub fn open(fragment: &str) -> Result<Link, Notice> {
    decode_link(fragment).map_err(|e| Notice {
        text: format!("This link could not be opened: {e}. Showing the default scenario instead."),
        problem: true,
    })
}

/// The action that runs what a link describes (a drawn architecture keeps its graph).
pub fn open_action(l: Link) -> Action {
    let (scenario, live) = (Rc::new(l.scenario), Rc::new(l.live));
    match l.graph {
        Some(graph) => Action::OpenGraph(Rc::new(graph), scenario, l.time_s, live),
        None => Action::Open(scenario, l.time_s, live),
    }
}

/// The fragment that describes a scenario.
pub fn fragment_of(scenario: &Scenario) -> String {
    encode_link(scenario, None)
}

/// Puts a fragment in the address bar: a new history entry when `push` (stage changes, so
/// back and forward move between stages), otherwise in place. Does nothing if the address
/// already says it.
pub fn write_fragment(fragment: String, push: bool) {
    if fragment == current_fragment() {
        return;
    }
    let Some(history) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let embedded = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|h| {
            h.trim_start_matches('#')
                .starts_with(super::embed::EMBED_PREFIX)
        });
    let url = if embedded {
        format!("#{}{fragment}", super::embed::EMBED_PREFIX)
    } else {
        format!("#{fragment}")
    };
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
}

/// The full address of the page as it is now (with the scenario in its fragment).
pub fn current_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Copies text to the clipboard if the browser allows it; returns whether it tried.
pub fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    // `navigator.clipboard` is missing outside secure contexts.
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !has_clipboard {
        return false;
    }
    let promise = navigator.clipboard().write_text(text);
    // Swallow a refusal (no permission): the link is also shown as text to copy by hand.
    let ignore = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(|_| {});
    let _ = promise.catch(&ignore);
    ignore.forget();
    true
}
