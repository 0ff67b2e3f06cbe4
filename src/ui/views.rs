//! The rarely used views in a second wasm module, loaded on first use.
//!
//! ```text
//!  app's wasm (scalesim-web)                        views' wasm (scalesim-views, built by
//!  ─────────────────────────                        scripts/build-views.sh, a trunk hook)
//!  <EditorSlot> "Loading the editor…"
//!     │ window.scalesimViews() (static/boot.js: import() of scalesim-views.js, once)
//!     ▼
//!  mount("editor", host element, send, input JSON) ──▶ a Yew root of its own in the host,
//!     │                                                   rendering the EditorPanel
//!     ├─ update(input JSON) on every change ──────────▶ new props (scenario, graph, …)
//!     ├─ update(null) when the editor closes ─────────▶ the root destroyed
//!     ◀── send(message JSON) ─────────────────────────  what the editor asks of the app
//! ```
//!
//! The app's wasm does not link the editor: it holds only [`EditorSlot`], which writes the
//! editor's inputs as JSON ([`EditorInput`]) and reads its requests ([`ViewMsg`]) through the
//! `serde_json::Value` paths its links already use. The browser tests, whose page has no
//! views' files, call [`link_views_in_page`]: the same messages, to a root in their own wasm.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::editor::EditorPanel;
use super::state::{Action, Figures, Notice};
use crate::layout::Diagram;
use crate::scenario::{Scenario, TopologyFile};
use crate::sim::{ComponentId, ComponentInfo};

/// What the editor shows: the app's state it reads, as one JSON message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditorInput {
    /// The scenario running now (live changes applied).
    pub scenario: Scenario,
    /// The drawn architecture the run started from, if it is one.
    pub graph: Option<TopologyFile>,
    /// Whether the screen is narrow.
    pub portrait: bool,
    /// The running system's components (from its diagram).
    pub running: Vec<ComponentInfo>,
    /// The running components that are down now.
    pub down: Vec<ComponentId>,
    /// The component shown in the app's inspector.
    pub inspected: Option<ComponentId>,
}

/// What a view asks of the app (the editor's share of the app's [`Action`]s).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewMsg {
    /// Close the editor.
    Close,
    /// The drawing changed, the run did not (a node moved or renamed).
    KeepGraph(TopologyFile),
    /// Users changed live.
    SetUsers(u64),
    /// Web servers changed live.
    SetWebServers(u32),
    /// Restart the run from this drawing (the app lowers it).
    OpenGraph(TopologyFile),
    /// Show this component in the inspector.
    Select(ComponentId),
}

impl ViewMsg {
    /// The message for an action the editor emits (`None`: one it never emits).
    fn of(action: Action) -> Option<ViewMsg> {
        Some(match action {
            Action::SetEditing(false) => ViewMsg::Close,
            Action::KeepGraph(file) => ViewMsg::KeepGraph((*file).clone()),
            Action::SetUsers(users) => ViewMsg::SetUsers(users),
            Action::SetWebServers(count) => ViewMsg::SetWebServers(count),
            Action::OpenGraph(file, _, _, _) => ViewMsg::OpenGraph((*file).clone()),
            Action::Select(Some(id)) => ViewMsg::Select(id),
            _ => return None,
        })
    }

    /// The app's action for a message.
    fn action(self) -> Action {
        match self {
            ViewMsg::Close => Action::SetEditing(false),
            ViewMsg::KeepGraph(file) => Action::KeepGraph(Rc::new(file)),
            ViewMsg::SetUsers(users) => Action::SetUsers(users),
            ViewMsg::SetWebServers(count) => Action::SetWebServers(count),
            ViewMsg::OpenGraph(file) => match file.lower() {
                Ok(scenario) => {
                    Action::OpenGraph(Rc::new(file), Rc::new(scenario), None, Rc::default())
                }
                Err(problems) => Action::Notify(Notice {
                    text: format!("The drawing does not run: {problems}"),
                    problem: true,
                }),
            },
            ViewMsg::Select(id) => Action::Select(Some(id)),
        }
    }

    /// Reads a message the views' module sent (JSON text).
    pub fn from_json(text: &str) -> Option<ViewMsg> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        serde_json::from_value(value).ok()
    }
}

/// Mounts a view into `host` (an empty element) and returns its `update` function: called
/// with new input JSON it re-renders the view, with `null` it destroys it. `send` receives
/// the view's messages ([`ViewMsg`] as JSON text). `kind` names the view: `"editor"`.
///
/// The views' own binary offers this to the page as `window.scalesimViewsMount`.
pub fn mount(
    kind: &str,
    host: web_sys::Element,
    send: js_sys::Function,
    input: &str,
) -> Result<js_sys::Function, String> {
    if kind != "editor" {
        return Err(format!("no view named {kind:?}"));
    }
    let input: EditorInput = serde_json::from_str(input).map_err(|e| e.to_string())?;
    let shared = Rc::new(Shared {
        input: RefCell::new(Rc::new(input)),
        redraw: RefCell::new(None),
    });
    let on_action = Callback::from(move |action: Action| {
        if let Some(message) = ViewMsg::of(action) {
            let text = serde_json::to_string(&message).expect("a view message always serialises");
            let _ = send.call1(&JsValue::NULL, &JsValue::from_str(&text));
        }
    });
    let props = RootProps {
        shared: shared.clone(),
        on_action,
    };
    let mut handle = Some(yew::Renderer::<EditorRoot>::with_root_and_props(host, props).render());
    let update = Closure::<dyn FnMut(JsValue)>::new(move |input: JsValue| {
        let Some(text) = input.as_string() else {
            if let Some(handle) = handle.take() {
                handle.destroy();
            }
            return;
        };
        match serde_json::from_str::<EditorInput>(&text) {
            Ok(input) => {
                *shared.input.borrow_mut() = Rc::new(input);
                if let Some(redraw) = shared.redraw.borrow().as_ref() {
                    redraw.force_update();
                }
            }
            Err(e) => web_sys::console::error_1(&format!("views: bad input: {e}").into()),
        }
    });
    Ok(update.into_js_value().unchecked_into())
}

/// The latest input, and how to redraw the root with it.
struct Shared {
    input: RefCell<Rc<EditorInput>>,
    redraw: RefCell<Option<UseForceUpdateHandle>>,
}

#[derive(Properties)]
struct RootProps {
    shared: Rc<Shared>,
    on_action: Callback<Action>,
}

impl PartialEq for RootProps {
    fn eq(&self, other: &RootProps) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

/// The views' root: the editor panel with the latest input as its props.
#[function_component(EditorRoot)]
fn editor_root(props: &RootProps) -> Html {
    let redraw = use_force_update();
    *props.shared.redraw.borrow_mut() = Some(redraw);
    let input = props.shared.input.borrow().clone();
    // The same Rc while a value does not change, so the panel's effects see no change.
    let scenario = use_memo(input.scenario.clone(), |s| Rc::new(s.clone()));
    let graph = use_memo(input.graph.clone(), |g| g.clone().map(Rc::new));
    let running = use_memo(input.running.clone(), |r| Rc::new(r.clone()));
    let down = use_memo(input.down.clone(), |d| Rc::new(d.clone()));
    html! {
        <EditorPanel scenario={(*scenario).clone()} graph={(*graph).clone()}
            on_action={props.on_action.clone()} portrait={input.portrait}
            running={(*running).clone()} down={(*down).clone()} inspected={input.inspected} />
    }
}

/// A way to mount a view: [`mount`] in this wasm (the browser tests), or the views' module.
type MountFn =
    fn(&str, web_sys::Element, js_sys::Function, &str) -> Result<js_sys::Function, String>;

thread_local! {
    static IN_PAGE: Cell<Option<MountFn>> = const { Cell::new(None) };
}

/// Mounts the views in this wasm instead of loading the views' module (the browser tests,
/// whose page has no views' files). The same messages travel either way.
pub fn link_views_in_page() {
    IN_PAGE.with(|m| m.set(Some(mount)));
}

/// Undoes [`link_views_in_page`]: views load from the views' module again (a browser test
/// of a page that cannot load it).
pub fn unlink_views_in_page() {
    IN_PAGE.with(|m| m.set(None));
}

/// The views' mount function: this wasm's, if linked, else the views' module's, loaded once
/// by static/boot.js (`window.scalesimViews()`).
async fn mount_fn() -> Result<Mounter, String> {
    if let Some(f) = IN_PAGE.with(Cell::get) {
        return Ok(Mounter::InPage(f));
    }
    let global = js_sys::global();
    let load = js_sys::Reflect::get(&global, &"scalesimViews".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("this page has no loader for the views' module")?;
    let promise = load
        .call0(&global)
        .map_err(describe)?
        .dyn_into::<js_sys::Promise>()
        .map_err(describe)?;
    let mount = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(describe)?
        .dyn_into::<js_sys::Function>()
        .map_err(describe)?;
    Ok(Mounter::Module(mount))
}

enum Mounter {
    InPage(MountFn),
    Module(js_sys::Function),
}

impl Mounter {
    fn mount(
        &self,
        host: web_sys::Element,
        send: &js_sys::Function,
        input: &str,
    ) -> Result<js_sys::Function, String> {
        match self {
            Mounter::InPage(f) => f("editor", host, send.clone(), input),
            Mounter::Module(f) => {
                let args =
                    js_sys::Array::of4(&"editor".into(), &host, send, &JsValue::from_str(input));
                f.apply(&JsValue::NULL, &args)
                    .map_err(describe)?
                    .dyn_into::<js_sys::Function>()
                    .map_err(describe)
            }
        }
    }
}

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Properties of [`EditorSlot`]: the editor's inputs, as the app holds them.
#[derive(Properties, PartialEq)]
pub struct EditorSlotProps {
    /// The scenario running now.
    pub scenario: Rc<Scenario>,
    /// The drawn architecture the run started from, if it is one.
    pub graph: Option<Rc<TopologyFile>>,
    /// Where the editor's requests go.
    pub on_action: Callback<Action>,
    /// Whether the screen is narrow.
    pub portrait: bool,
    /// The running system's diagram.
    pub diagram: Option<Rc<Diagram>>,
    /// The latest figures.
    pub figures: Rc<Figures>,
    /// The component shown in the inspector.
    pub inspected: Option<ComponentId>,
}

#[derive(Clone, PartialEq)]
enum Loading {
    Waiting,
    Shown,
    Failed(String),
}

/// Where the editor goes in the app: "Loading the editor…" while the views' module loads,
/// then the editor (a root of that module's), or why it could not load.
#[function_component(EditorSlot)]
pub fn editor_slot(props: &EditorSlotProps) -> Html {
    let host = use_node_ref();
    let loading = use_state(|| Loading::Waiting);
    // The view's update function once mounted, and the latest input to give it.
    let view = use_mut_ref(|| None::<js_sys::Function>);
    let latest = use_mut_ref(String::new);
    let down: Vec<ComponentId> = (props.figures.components.iter())
        .filter(|c| !c.alive)
        .map(|c| c.id)
        .collect();
    let deps = (
        props.scenario.clone(),
        props.graph.clone(),
        props.portrait,
        props.diagram.clone(),
        down,
        props.inspected,
    );
    {
        let view = view.clone();
        let latest = latest.clone();
        use_effect_with(
            deps,
            move |(scenario, graph, portrait, diagram, down, inspected)| {
                let input = EditorInput {
                    scenario: (**scenario).clone(),
                    graph: graph.as_ref().map(|g| (**g).clone()),
                    portrait: *portrait,
                    running: diagram.as_ref().map(|d| d.components()).unwrap_or_default(),
                    down: down.clone(),
                    inspected: *inspected,
                };
                let text = serde_json::to_value(&input)
                    .expect("the editor's input always serialises")
                    .to_string();
                if let Some(update) = view.borrow().as_ref() {
                    let _ = update.call1(&JsValue::NULL, &JsValue::from_str(&text));
                }
                *latest.borrow_mut() = text;
            },
        );
    }
    {
        let host = host.clone();
        let loading = loading.clone();
        let on_action = props.on_action.clone();
        let view = view.clone();
        use_effect_with((), move |_| {
            let gone = Rc::new(Cell::new(false));
            let send = Closure::<dyn FnMut(String)>::new(move |text: String| {
                match ViewMsg::from_json(&text) {
                    Some(message) => on_action.emit(message.action()),
                    None => web_sys::console::error_1(&format!("views: bad message {text}").into()),
                }
            })
            .into_js_value()
            .unchecked_into::<js_sys::Function>();
            {
                let gone = gone.clone();
                let view = view.clone();
                yew::platform::spawn_local(async move {
                    let mounted = match mount_fn().await {
                        Ok(mounter) if !gone.get() => {
                            let element = host.cast::<web_sys::Element>();
                            let input = latest.borrow().clone();
                            element
                                .ok_or_else(|| "the editor's place is gone".to_string())
                                .and_then(|e| mounter.mount(e, &send, &input))
                        }
                        Ok(_) => return,
                        Err(why) => Err(why),
                    };
                    match mounted {
                        Ok(update) => {
                            *view.borrow_mut() = Some(update);
                            loading.set(Loading::Shown);
                        }
                        Err(why) => {
                            web_sys::console::error_1(&format!("views: {why}").into());
                            loading.set(Loading::Failed(why));
                        }
                    }
                });
            }
            move || {
                gone.set(true);
                if let Some(update) = view.borrow_mut().take() {
                    let _ = update.call1(&JsValue::NULL, &JsValue::NULL);
                }
            }
        });
    }
    let close = props
        .on_action
        .reform(|_: MouseEvent| Action::SetEditing(false));
    html! {
        <div class="views-slot" data-views="editor">
            if *loading == Loading::Waiting {
                <section class="editor card views-loading" aria-busy="true">
                    <p role="status" data-views-loading="">{ "Loading the editor…" }</p>
                </section>
            }
            if let Loading::Failed(why) = &*loading {
                <section class="editor card views-failed" role="alert" data-views-failed="">
                    <p>{ format!("The editor could not be loaded: {why}.") }</p>
                    <p>{ "Check the connection and reload the page to try again." }</p>
                    <button class="btn" data-action="close-editor" onclick={close}>{ "Close" }</button>
                </section>
            }
            <div ref={host} class="views-host"></div>
        </div>
    }
}
