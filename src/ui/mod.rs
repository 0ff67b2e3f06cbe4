//! The browser app (Yew). Compiled only with the `web` feature.
//!
//! ```text
//!  state.rs    AppState + Action (reducer)        app.rs       root component, effects
//!  runner.rs   pacing + drawing, requestAnimationFrame   particles.rs request dots on a canvas
//!  session.rs  the run: Playback, figures, dots    host.rs      the run in the page or a web worker
//!  port.rs     the way to the engine (worker, or the worker's wasm in the page)
//!  serve.rs    the engine's side: answers the page's messages (in the worker or the page)
//!  diagram.rs  SVG from crate::layout             inspector.rs the selected component
//!  geo.rs      stage 11's region view (SVG)
//!  link.rs     scenario <-> location.hash         tour.rs      the guided tour
//!  reading.rs  links and files read in the engine's wasm, sent back in the binary codec
//!  timeline.rs time travel (seek, step back)    files.rs     save/load scenario JSON, exports
//!  png.rs      the diagram exported as a PNG
//!  editor/     draw your own architecture (palette, canvas, parameters, undo)
//!  views.rs    the editor in a second wasm module (scalesim-views), loaded on first use
//!  limits.rs   "How far does it scale?"       search.rs    capacity searches in a web worker
//!  why.rs      diagnosis, chaos catalogue, post-mortem
//!  challenges.rs challenges: list, progress, grading in the web worker, shared solutions
//!  limit_charts.rs, charts.rs, log.rs, controls.rs, metrics.rs, stages.rs
//! ```

mod app;
mod challenges;
mod charts;
mod controls;
mod diagram;
mod editor;
mod embed;
mod files;
use crate::format;
mod geo;
mod host;
mod inspector;
mod limit_charts;
mod limits;
mod link;
mod log;
mod metrics;
mod particles;
mod png;
mod port;
pub mod reading;
mod runner;
mod search;
pub mod serve;
pub mod session;
mod stages;
mod state;
mod timeline;
mod tour;
pub mod views;
mod why;
pub mod wire;

pub use app::App;
pub use editor::open_in_editor;
pub use files::diagram_svg;
pub use host::{
    command_message, command_of, link_engine_in_page, output_message, output_of,
    unlink_engine_in_page,
};
pub use port::link_engine;
pub use views::link_views_in_page;

/// Opens a scenario from JSON text in the mounted app, by the same path as a file chosen with
/// "Load scenario" or dropped on the page (`source` names it in the message). Returns whether
/// the scenario was valid and opened; otherwise the app shows why in its message banner.
pub fn open_scenario_text(source: &str, text: &str) -> bool {
    files::open_scenario_text(source, text)
}

use wasm_bindgen::JsCast;

/// Id of the panel shown after a panic (boot.js looks for it too).
const PANIC_PANEL_ID: &str = "scalesim-panic";

/// Entry point of the web binary: installs the panic hooks and renders the app into `#app`
/// (or into `<body>` when there is no such element).
pub fn start() {
    install_panic_hook();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let root = document
        .get_element_by_id("app")
        .or_else(|| document.body().map(|b| b.unchecked_into()));
    if let Some(root) = root {
        // Forget the handle: the app lives as long as the page.
        std::mem::forget(mount_into(root));
    }
}

/// Renders the app into an element, replacing what it held (e.g. a "loading" message).
/// Dropping the handle does not unmount; call `destroy()` on it to stop the app.
pub fn mount_into(element: web_sys::Element) -> yew::AppHandle<App> {
    element.set_inner_html("");
    yew::Renderer::<App>::with_root(element).render()
}

/// Logs panics to the console and shows them in the page, so a bug never leaves a blank page.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_panic_panel(&info.to_string());
    }));
}

/// Shows the error panel (once): the message, "Copy details" and "Reload".
pub fn show_panic_panel(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(PANIC_PANEL_ID).is_some() {
        return;
    }
    let Some(body) = document.body() else {
        return;
    };
    let build = || -> Result<(), wasm_bindgen::JsValue> {
        let panel = document.create_element("div")?;
        panel.set_id(PANIC_PANEL_ID);
        panel.set_class_name("panic-panel");
        panel.set_attribute("role", "alert")?;
        let title = document.create_element("strong")?;
        title.set_text_content(Some("scalesim hit a bug and stopped."));
        let detail = document.create_element("pre")?;
        detail.set_text_content(Some(message));
        let button = document.create_element("button")?;
        button.set_text_content(Some("Reload"));
        // No inline handler (the Content-Security-Policy forbids them): a closure instead.
        let reload = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        });
        button.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref())?;
        reload.forget();
        // "Copy details": what happened, where (the link reproduces the scenario and time) and
        // in which browser — what a bug report needs.
        let copy = document.create_element("button")?;
        copy.set_text_content(Some("Copy details"));
        copy.set_attribute("data-action", "copy-panic")?;
        let details = format!(
            "scalesim {} panicked\n{message}\nlink: {}\nbrowser: {}",
            env!("CARGO_PKG_VERSION"),
            link::current_url(),
            web_sys::window()
                .and_then(|w| w.navigator().user_agent().ok())
                .unwrap_or_default()
        );
        let copy_button = copy.clone();
        let copied = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let done = link::copy_to_clipboard(&details);
            copy_button.set_text_content(Some(if done {
                "Copied"
            } else {
                "Copy failed: select the text above"
            }));
        });
        copy.add_event_listener_with_callback("click", copied.as_ref().unchecked_ref())?;
        copied.forget();
        panel.append_child(&title)?;
        panel.append_child(&detail)?;
        panel.append_child(&copy)?;
        panel.append_child(&button)?;
        body.append_child(&panel)?;
        Ok(())
    };
    let _ = build();
}
