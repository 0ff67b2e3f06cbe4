//! The URL glue: the scenario lives in `location.hash` (the codec is
//! [`crate::scenario::encode_link`] / [`crate::scenario::decode_link`], see docs/urls.md). The
//! page neither reads nor writes links itself: the engine's wasm does both
//! ([`super::reading`]), and the page puts its text in the address bar.
//!
//! ```text
//!  load      #v1.s4~traffic.users=8000 ──▶ stage 4's preset at once (stage 1's if the link
//!            does not name its stage) ──Read──▶ engine: decode ──▶ Action::Open (or the
//!            default + a notice)
//!  change    run's scenario + live changes ──Write──▶ engine: encode ──▶ history.replaceState
//!            (stage: pushState)
//!  back/fwd  popstate ──Read──▶ engine: decode ──▶ Action::Open
//!  copy link run's scenario + live changes + sim time ──Write──▶ engine: encode ──▶
//!            …#v1.s4~…~live=…~t=12.5 (address bar, clipboard)
//! ```
//!
//! The run's scenario is the one the simulation was built from; what the user did to it live
//! (kills, repairs, slider moves, deploys …) travels as the link's `live=` part with the
//! simulated time of each change, so the link reopens the same run.
//!
//! Nothing read from the URL is ever inserted as HTML: messages are plain text nodes.

use wasm_bindgen::JsValue;

use std::rc::Rc;

use super::reading::Read;
use super::state::{is_built, Action, AppState, Notice};
use crate::scenario::{preset, Link};

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

/// The state the app opens in: with no link, the default; with one, the preset of the stage
/// the link names in its first bytes (`v1.s4~…`; stage 1's, as the page's static diagram,
/// when it names none) while the engine reads the link ([`AppState::reading_link`]).
pub fn initial_state() -> AppState {
    let fragment = current_fragment();
    if fragment.is_empty() {
        return AppState::initial();
    }
    let shown = stage_named(&fragment)
        .and_then(preset)
        .map_or_else(AppState::initial, AppState::opening);
    AppState {
        reading_link: true,
        read: Some((1, Rc::new(Read::Link(fragment)))),
        ..shown
    }
}

/// The stage a `v1.` link starts from, read from its first bytes (`v1.s4~…` → 4), if it is one
/// this build simulates. Only a hint for what to show meanwhile: the engine reads the link.
pub fn stage_named(fragment: &str) -> Option<u8> {
    let rest = fragment.strip_prefix("v1.s")?;
    let digits = rest.split('~').next()?;
    let stage: u8 = digits.parse().ok()?;
    is_built(stage).then_some(stage)
}

/// What the page says about a link that could not be read (`why`: the reader's message).
pub fn unreadable(why: &str) -> Notice {
    Notice {
        text: format!(
            "This link could not be opened: {why}. Showing the default scenario instead."
        ),
        problem: true,
    }
}

/// The action that runs what a link describes (a drawn architecture keeps its graph).
pub fn open_action(l: Link) -> Action {
    let (scenario, live) = (Rc::new(l.scenario), Rc::new(l.live));
    match l.graph {
        Some(graph) => Action::OpenGraph(Rc::new(graph), scenario, l.time_s, live),
        None => Action::Open(scenario, l.time_s, live),
    }
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
