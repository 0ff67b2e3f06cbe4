//! Scenario files: "Save scenario" downloads the scenario as JSON; "Load scenario" (a file
//! picker) and dropping a file on the page open one. A file is checked by
//! [`Scenario::from_json`] exactly as a link is checked, in the engine's wasm, which holds the
//! readers ([`super::reading`]); problems are shown as text in the message banner, never as
//! HTML.
//!
//! ```text
//!  picker / drop ──▶ File ──read as text──▶ open_text ──Action::Read──▶ engine: from_json
//!  scalesim::ui::open_scenario_text (tests) ────────────┘                   │
//!  Action::Open + notice ◀── opened ◀── Opened::File / FileFailed ◀─────────┘
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::reading::Read;
use super::state::{is_built, Action, AppState, Notice};
use crate::scenario::{Scenario, TopologyFile};

/// Largest scenario file read, in bytes (a scenario is a few kilobytes).
const MAX_FILE_BYTES: f64 = 1024.0 * 1024.0;
/// Longest piece of a file's name or error quoted in a message, in characters.
const QUOTE_CHARS: usize = 200;

thread_local! {
    /// Where [`open_scenario_text`] sends scenarios: the mounted app, if any.
    static OPENER: RefCell<Option<UseReducerDispatcher<AppState>>> = const { RefCell::new(None) };
}

/// Makes `dispatcher` the app that [`open_scenario_text`] opens scenarios in, until the
/// returned guard is dropped.
pub fn register(dispatcher: UseReducerDispatcher<AppState>) -> impl FnOnce() {
    OPENER.with(|o| *o.borrow_mut() = Some(dispatcher));
    || OPENER.with(|o| *o.borrow_mut() = None)
}

/// Opens a scenario from JSON text in the mounted app, exactly as a loaded file is opened
/// (`source` names it in messages). Returns whether an app was mounted to take it; whether the
/// text was a valid scenario, the app's notice says once the engine has read it.
pub fn open_scenario_text(source: &str, text: &str) -> bool {
    let dispatcher = OPENER.with(|o| o.borrow().clone());
    dispatcher.is_some_and(|d| {
        open_text(&d, source, text);
        true
    })
}

/// Hands a scenario file's text to the engine to read ([`super::reading`]); [`opened`] shows
/// what it read.
fn open_text(dispatcher: &UseReducerDispatcher<AppState>, source: &str, text: &str) {
    dispatcher.dispatch(Action::Read(Rc::new(Read::File {
        source: quote(source),
        text: text.to_string(),
    })));
}

/// Opens a scenario file the engine read (its scenario and, for a drawing, its graph), or
/// shows what is wrong with it.
pub fn opened(
    dispatcher: &UseReducerDispatcher<AppState>,
    source: &str,
    read: Result<(Scenario, Option<TopologyFile>), String>,
) {
    let opened = read.and_then(|(scenario, graph)| {
        if is_built(scenario.stage) {
            Ok((scenario, graph))
        } else {
            Err(format!(
                "it is for stage {}, which this version of scalesim does not simulate",
                scenario.stage
            ))
        }
    });
    match opened {
        Ok((scenario, graph)) => {
            let text = format!("Opened “{}” from {source}.", quote(&scenario.name));
            let scenario = Rc::new(scenario);
            dispatcher.dispatch(match graph {
                Some(g) => Action::OpenGraph(Rc::new(g), scenario, None, Rc::default()),
                None => Action::Open(scenario, None, Rc::default()),
            });
            dispatcher.dispatch(Action::Notify(Notice {
                text,
                problem: false,
            }));
        }
        Err(e) => dispatcher.dispatch(Action::Notify(Notice {
            text: format!(
                "{source} could not be opened: {}. The current scenario is unchanged.",
                quote(&e)
            ),
            problem: true,
        })),
    }
}

fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(QUOTE_CHARS).collect();
        format!("{cut}…")
    }
}

/// Reads a file the user picked or dropped and opens it.
pub fn open_file(dispatcher: UseReducerDispatcher<AppState>, file: web_sys::File) {
    let name = format!("the file '{}'", file.name());
    if file.size() > MAX_FILE_BYTES {
        dispatcher.dispatch(Action::Notify(Notice {
            text: format!(
                "{} could not be opened: it is {:.0} KiB, a scenario file is at most 1024 KiB.",
                quote(&name),
                file.size() / 1024.0
            ),
            problem: true,
        }));
        return;
    }
    let blob = gloo::file::Blob::from(file);
    yew::platform::spawn_local(async move {
        match gloo::file::futures::read_as_text(&blob).await {
            Ok(text) => {
                open_text(&dispatcher, &name, &text);
            }
            Err(e) => dispatcher.dispatch(Action::Notify(Notice {
                text: format!("{} could not be read: {e}.", quote(&name)),
                problem: true,
            })),
        }
    });
}

/// The file name a scenario is saved under: its name in lower case, letters and digits only.
pub fn file_name(scenario: &Scenario) -> String {
    let mut slug = String::new();
    for c in scenario.name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(60).collect();
    if slug.is_empty() {
        "scenario.json".to_string()
    } else {
        format!("{slug}.json")
    }
}

/// Presentation properties copied onto each element of an exported diagram, so the SVG looks
/// the same without the page's style sheet.
const EXPORTED_STYLE: [&str; 12] = [
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
];

/// The architecture diagram on the page as a standalone SVG document: a copy of the drawing
/// with each element's computed presentation written into its `style`, so that it renders the
/// same in any viewer. `None` when no diagram is shown.
pub fn diagram_svg() -> Option<String> {
    Some(svg_document(&standalone_diagram()?))
}

/// The diagram's `<svg>` element on the page (its boxes and texts), if one is shown.
pub(super) fn diagram_element() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector(".diagram-card .diagram-scroll svg[data-diagram]")
        .ok()?
}

/// The `<svg>` of the diagram's wires, drawn under the request dots (none in the region view).
fn wires_element() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector(".diagram-card .diagram-scroll svg[data-diagram-wires]")
        .ok()?
}

/// `svg` serialised as a standalone SVG file.
pub(super) fn svg_document(svg: &web_sys::Element) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        svg.outer_html()
    )
}

/// A detached copy of the diagram with each element's computed presentation in its `style`:
/// one SVG, its wires (a layer of their own on the page, under the dots) under its boxes.
pub(super) fn standalone_diagram() -> Option<web_sys::Element> {
    let copy = standalone_copy(&diagram_element()?)?;
    if let Some(wires) = wires_element() {
        let wires = standalone_copy(&wires)?;
        let document = web_sys::window()?.document()?;
        let layer = document
            .create_element_ns(Some("http://www.w3.org/2000/svg"), "g")
            .ok()?;
        let _ = layer.set_attribute("class", "diagram-wires");
        while let Some(child) = wires.first_child() {
            layer.append_child(&child).ok()?;
        }
        // After the markers' <defs>, before the boxes.
        let boxes = copy
            .first_element_child()
            .and_then(|defs| defs.next_sibling());
        copy.insert_before(&layer, boxes.as_ref()).ok()?;
    }
    Some(copy)
}

/// A detached copy of an SVG drawing on the page with each element's computed presentation
/// in its `style`, so that it looks the same outside the page.
pub(super) fn standalone_copy(original: &web_sys::Element) -> Option<web_sys::Element> {
    let window = web_sys::window()?;
    let copy: web_sys::Element = original.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    let originals = original.query_selector_all("*").ok()?;
    let copies = copy.query_selector_all("*").ok()?;
    for i in 0..originals.length().min(copies.length()) {
        let (Some(from), Some(to)) = (originals.item(i), copies.item(i)) else {
            continue;
        };
        let (Ok(from), Ok(to)) = (
            from.dyn_into::<web_sys::Element>(),
            to.dyn_into::<web_sys::Element>(),
        ) else {
            continue;
        };
        let Ok(Some(computed)) = window.get_computed_style(&from) else {
            continue;
        };
        let mut style = String::new();
        for property in EXPORTED_STYLE {
            if let Ok(value) = computed.get_property_value(property) {
                if !value.is_empty() {
                    style.push_str(&format!("{property}:{value};"));
                }
            }
        }
        let _ = to.set_attribute("style", &style);
    }
    let _ = copy.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    Some(copy)
}

/// Downloads `text` as a file named `name` (a Blob behind a temporary `<a download>`).
pub fn download(text: &str, mime: &str, name: &str) -> Option<()> {
    download_blob(gloo::file::Blob::new_with_options(text, Some(mime)), name)
}

/// Downloads `blob` as a file named `name`, through a temporary `<a download>` (tests watch
/// for its click).
pub fn download_blob(blob: gloo::file::Blob, name: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let url = gloo::file::ObjectUrl::from(blob);
    let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(name);
    a.set_attribute("hidden", "").ok()?;
    let body = document.body()?;
    body.append_child(&a).ok()?;
    a.click();
    a.remove();
    // The download has started; revoke the URL on the next turn of the event loop.
    yew::platform::spawn_local(async move {
        gloo::timers::future::TimeoutFuture::new(0).await;
        drop(url);
    });
    Some(())
}

/// Properties of [`ScenarioFiles`].
#[derive(Properties, PartialEq)]
pub struct ScenarioFilesProps {
    /// The scenario on screen (the exports' file names).
    pub scenario: Rc<Scenario>,
    /// "Save scenario": the scenario as a JSON file (written by the engine's wasm).
    pub on_save: Callback<()>,
    /// Where "Load scenario" sends what it opens.
    pub dispatcher: UseReducerDispatcher<AppState>,
    /// "Export report": the run's report so far.
    pub on_export_report: Callback<()>,
}

/// The "Save scenario" and "Load scenario" buttons.
#[function_component(ScenarioFiles)]
pub fn scenario_files(props: &ScenarioFilesProps) -> Html {
    let on_save = props.on_save.reform(|_: MouseEvent| ());
    let on_pick = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                open_file(dispatcher.clone(), file);
            }
            // Picking the same file again should open it again.
            input.set_value("");
        })
    };
    let on_report = {
        let export = props.on_export_report.clone();
        Callback::from(move |_: MouseEvent| export.emit(()))
    };
    let on_svg = {
        let scenario = props.scenario.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(svg) = diagram_svg() {
                let name = file_name(&scenario).replace(".json", "-diagram.svg");
                let _ = download(&svg, "image/svg+xml", &name);
            }
        })
    };
    let on_png = {
        let scenario = props.scenario.clone();
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            let name = file_name(&scenario).replace(".json", "-diagram.png");
            let dispatcher = dispatcher.clone();
            yew::platform::spawn_local(async move {
                match super::png::diagram_png().await {
                    Ok(png) => {
                        let _ = download_blob(png.into(), &name);
                    }
                    Err(why) => dispatcher.dispatch(Action::Notify(Notice {
                        text: format!("The diagram could not be exported as a PNG: {why}."),
                        problem: true,
                    })),
                }
            });
        })
    };
    html! {
        <div class="scenario-files" role="group" aria-label="Scenario files">
            <button class="btn" data-action="export-report" onclick={on_report}
                title="Download the run's report so far (JSON, as `scalesim run` prints it)">
                { "Export report" }</button>
            <button class="btn" data-action="export-svg" onclick={on_svg}
                title="Download the architecture diagram as an SVG image">{ "Export diagram" }</button>
            <button class="btn" data-action="export-png" onclick={on_png}
                title="Download the architecture diagram as a PNG image">{ "Export PNG" }</button>
            <button class="btn" data-action="save-scenario" onclick={on_save}
                title="Download this scenario as a JSON file">{ "Save scenario" }</button>
            <label class="btn" title="Open a scenario JSON file (or drop one on the page)">
                { "Load scenario" }
                <input type="file" data-control="load-scenario" class="visually-hidden"
                    accept=".json,application/json" onchange={on_pick} />
            </label>
        </div>
    }
}

/// Drag-and-drop handlers for the whole page: `(ondragover, ondrop)`.
pub fn drop_handlers(
    dispatcher: &UseReducerDispatcher<AppState>,
) -> (Callback<DragEvent>, Callback<DragEvent>) {
    let on_drag_over = Callback::from(|e: DragEvent| {
        // Only files: let text dragged within the page behave as usual.
        let files = e
            .data_transfer()
            .is_some_and(|d| d.types().includes(&"Files".into(), 0));
        if files {
            e.prevent_default();
            if let Some(d) = e.data_transfer() {
                d.set_drop_effect("copy");
            }
        }
    });
    let on_drop = {
        let dispatcher = dispatcher.clone();
        Callback::from(move |e: DragEvent| {
            let file = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                e.prevent_default();
                open_file(dispatcher.clone(), file);
            }
        })
    };
    (on_drag_over, on_drop)
}
