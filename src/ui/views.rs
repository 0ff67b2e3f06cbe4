//! The rarely used views (the editor, the challenges, the capacity panel's body) in a second
//! wasm module, loaded on first use.
//!
//! ```text
//!  app's wasm (scalesim-web)                        views' wasm (scalesim-views, built by
//!  ─────────────────────────                        scripts/build-views.sh, a trunk hook)
//!  <EditorSlot> "Loading the editor…"
//!     │ window.scalesimViews() (static/boot.js: import() of scalesim-views.js, once)
//!     ▼
//!  mount("editor", host element, send, input bytes) ─▶ a Yew root of its own in the host,
//!     │                                                   rendering the EditorPanel
//!     ├─ update(input bytes) on every change ─────────▶ new props (scenario, graph, …)
//!     ├─ update(null) when the editor closes ─────────▶ the root destroyed
//!     ◀── send(message bytes, crate::codec) ───────────  what the editor asks of the app
//! ```
//!
//! The app's wasm does not link the editor: it holds only [`EditorSlot`], which writes the
//! editor's inputs ([`EditorInput`]) and reads its requests ([`ViewMsg`]) in the binary codec
//! of [`crate::codec`] (no reader or writer of JSON for a scenario or a drawing in the app). The browser tests, whose page has no
//! views' files, call [`link_views_in_page`]: the same messages, to a root in their own wasm.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::challenges::ChallengeBody;
use super::editor::EditorPanel;
use super::limits::LimitBody;
use super::state::{Action, Figures, Notice};
use crate::codec::{from_bytes, to_bytes, wire_struct, Wire};
use crate::layout::Diagram;
use crate::scenario::{Scenario, TopologyFile};
use crate::sim::{ComponentId, ComponentInfo};

/// What the editor shows: the app's state it reads, as one message (in the binary codec).
#[derive(Clone, Debug, PartialEq)]
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

/// What a view asks of the app (the editor's and the challenges' share of the app's
/// [`Action`]s, and the challenges' progress), sent in the binary codec.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewMsg {
    /// Open or close the editor.
    SetEditing(bool),
    /// The drawing changed, the run did not (a node moved or renamed).
    KeepGraph(TopologyFile),
    /// Users changed live.
    SetUsers(u64),
    /// Web servers changed live.
    SetWebServers(u32),
    /// Restart the run from this drawing and the scenario it lowers to (the view lowered it:
    /// the app's wasm links neither the graph's rules nor the lowering, and the engine
    /// validates the scenario when it loads it).
    OpenGraph(TopologyFile, Box<Scenario>),
    /// Show this component in the inspector.
    Select(ComponentId),
    /// A scenario could not be opened: why.
    LoadFailed(String),
    /// A message for the app's banner (text, whether it is a problem).
    Notify(String, bool),
    /// The challenges' progress in local storage changed (the app's header counts it).
    Progress,
    /// Show this stage (the capacity panel's stage chart links to each stage).
    SelectStage(u8),
}

impl ViewMsg {
    /// The message for an action a view emits (`None`: one no view emits).
    fn of(action: Action) -> Option<ViewMsg> {
        Some(match action {
            Action::SetEditing(editing) => ViewMsg::SetEditing(editing),
            Action::KeepGraph(file) => ViewMsg::KeepGraph((*file).clone()),
            Action::SetUsers(users) => ViewMsg::SetUsers(users),
            Action::SetWebServers(count) => ViewMsg::SetWebServers(count),
            Action::OpenGraph(file, scenario, _, _) => {
                ViewMsg::OpenGraph((*file).clone(), Box::new((*scenario).clone()))
            }
            Action::Select(Some(id)) => ViewMsg::Select(id),
            Action::LoadFailed(why) => ViewMsg::LoadFailed(why),
            Action::Notify(notice) => ViewMsg::Notify(notice.text, notice.problem),
            Action::SelectStage(stage) => ViewMsg::SelectStage(stage),
            _ => return None,
        })
    }

    /// The app's action for a message (`None`: [`ViewMsg::Progress`], not an action).
    fn action(self) -> Option<Action> {
        Some(match self {
            ViewMsg::SetEditing(editing) => Action::SetEditing(editing),
            ViewMsg::KeepGraph(file) => Action::KeepGraph(Rc::new(file)),
            ViewMsg::SetUsers(users) => Action::SetUsers(users),
            ViewMsg::SetWebServers(count) => Action::SetWebServers(count),
            ViewMsg::OpenGraph(file, scenario) => {
                Action::OpenGraph(Rc::new(file), Rc::new(*scenario), None, Rc::default())
            }
            ViewMsg::Select(id) => Action::Select(Some(id)),
            ViewMsg::LoadFailed(why) => Action::LoadFailed(why),
            ViewMsg::Notify(text, problem) => Action::Notify(Notice { text, problem }),
            ViewMsg::SelectStage(stage) => Action::SelectStage(stage),
            ViewMsg::Progress => return None,
        })
    }

    /// Reads a message the views' module sent (its bytes in the binary codec).
    pub fn from_bytes(bytes: &[u8]) -> Option<ViewMsg> {
        crate::codec::from_bytes(bytes)
    }

    fn send(&self, send: &js_sys::Function) {
        let bytes = crate::codec::to_bytes(self);
        let _ = send.call1(&JsValue::NULL, &js_sys::Uint8Array::from(bytes.as_slice()));
    }
}

// A view's message in the binary form of [`crate::codec`] (the app's wasm then needs no
// reader of JSON or of a drawing for them).
crate::codec::wire_enum!(ViewMsg {
    0 => SetEditing(editing),
    1 => KeepGraph(file),
    2 => SetUsers(users),
    3 => SetWebServers(count),
    4 => OpenGraph(file, scenario),
    5 => Select(id),
    6 => LoadFailed(why),
    7 => Notify(text, problem),
    8 => Progress,
    9 => SelectStage(stage),
});

/// What the challenges' list and pages show.
#[derive(Clone, Debug, PartialEq)]
pub struct ChallengesInput {
    /// The architecture on screen (what "Grade" grades).
    pub scenario: Scenario,
    /// Its graph, when it is a drawn architecture.
    pub graph: Option<TopologyFile>,
    /// The challenge the page's link named when the app opened (opened and graded at once).
    pub from_link: Option<u8>,
}

/// What the capacity panel's body searches.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitsInput {
    /// The scenario the app runs now.
    pub scenario: Scenario,
}

wire_struct!(EditorInput {
    scenario,
    graph,
    portrait,
    running,
    down,
    inspected
});
wire_struct!(ChallengesInput {
    scenario,
    graph,
    from_link
});
wire_struct!(LimitsInput { scenario });

/// Mounts a view into `host` (an empty element) and returns its `update` function: called
/// with new input (its bytes in the binary codec, a `Uint8Array`) it re-renders the view, with
/// `null` it destroys it. `send` receives
/// the view's messages ([`ViewMsg`] as bytes, a `Uint8Array`). `kind` names the view: `"editor"`
/// ([`EditorInput`]), `"challenges"` ([`ChallengesInput`]) or `"limits"` ([`LimitsInput`]).
///
/// The views' own binary offers this to the page as `window.scalesimViewsMount`.
pub fn mount(
    kind: &str,
    host: web_sys::Element,
    send: js_sys::Function,
    input: &[u8],
) -> Result<js_sys::Function, String> {
    let on_action = {
        let send = send.clone();
        Callback::from(move |action: Action| {
            if let Some(message) = ViewMsg::of(action) {
                message.send(&send);
            }
        })
    };
    match kind {
        "editor" => mount_root::<EditorRoot, EditorInput>(host, input, |shared| RootProps {
            shared,
            on_action,
            on_progress: Callback::noop(),
        }),
        "challenges" => {
            let on_progress = Callback::from(move |()| ViewMsg::Progress.send(&send));
            mount_root::<ChallengesRoot, ChallengesInput>(host, input, |shared| RootProps {
                shared,
                on_action,
                on_progress,
            })
        }
        "limits" => mount_root::<LimitsRoot, LimitsInput>(host, input, |shared| RootProps {
            shared,
            on_action,
            on_progress: Callback::noop(),
        }),
        _ => Err(format!("no view named {kind:?}")),
    }
}

fn mount_root<C, T>(
    host: web_sys::Element,
    input: &[u8],
    props: impl FnOnce(Rc<Shared<T>>) -> RootProps<T>,
) -> Result<js_sys::Function, String>
where
    C: BaseComponent<Properties = RootProps<T>>,
    T: Wire + 'static,
{
    let input: T = from_bytes(input).ok_or("its input does not decode")?;
    let shared = Rc::new(Shared {
        input: RefCell::new(Rc::new(input)),
        redraw: RefCell::new(None),
    });
    let mut handle =
        Some(yew::Renderer::<C>::with_root_and_props(host, props(shared.clone())).render());
    let update = Closure::<dyn FnMut(JsValue)>::new(move |input: JsValue| {
        let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() else {
            if let Some(handle) = handle.take() {
                handle.destroy();
            }
            return;
        };
        match from_bytes::<T>(&bytes.to_vec()) {
            Some(input) => {
                *shared.input.borrow_mut() = Rc::new(input);
                if let Some(redraw) = shared.redraw.borrow().as_ref() {
                    redraw.force_update();
                }
            }
            None => web_sys::console::error_1(&"views: an input that does not decode".into()),
        }
    });
    Ok(update.into_js_value().unchecked_into())
}

/// The latest input, and how to redraw the root with it.
pub struct Shared<T> {
    input: RefCell<Rc<T>>,
    redraw: RefCell<Option<UseForceUpdateHandle>>,
}

/// Properties of a views' root.
#[derive(Properties)]
pub struct RootProps<T> {
    shared: Rc<Shared<T>>,
    on_action: Callback<Action>,
    on_progress: Callback<()>,
}

impl<T> PartialEq for RootProps<T> {
    fn eq(&self, other: &RootProps<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

/// The input as it is now, and the root redrawn when it changes.
#[hook]
fn use_input<T: 'static>(shared: &Rc<Shared<T>>) -> Rc<T> {
    let redraw = use_force_update();
    *shared.redraw.borrow_mut() = Some(redraw);
    shared.input.borrow().clone()
}

/// The editor's root: the editor panel with the latest input as its props.
#[function_component(EditorRoot)]
fn editor_root(props: &RootProps<EditorInput>) -> Html {
    let input = use_input(&props.shared);
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

/// The challenges' root: the list, or a challenge's page.
#[function_component(ChallengesRoot)]
fn challenges_root(props: &RootProps<ChallengesInput>) -> Html {
    let input = use_input(&props.shared);
    let scenario = use_memo(input.scenario.clone(), |s| Rc::new(s.clone()));
    let graph = use_memo(input.graph.clone(), |g| g.clone().map(Rc::new));
    html! {
        <ChallengeBody scenario={(*scenario).clone()} graph={(*graph).clone()}
            on_action={props.on_action.clone()} from_link={input.from_link}
            on_progress={props.on_progress.clone()} />
    }
}

/// The capacity panel's root: its form, searches and stage chart.
#[function_component(LimitsRoot)]
fn limits_root(props: &RootProps<LimitsInput>) -> Html {
    let input = use_input(&props.shared);
    let scenario = use_memo(input.scenario.clone(), |s| Rc::new(s.clone()));
    html! {
        <LimitBody scenario={(*scenario).clone()} on_action={props.on_action.clone()} />
    }
}

/// A way to mount a view: [`mount`] in this wasm (the browser tests), or the views' module.
type MountFn =
    fn(&str, web_sys::Element, js_sys::Function, &[u8]) -> Result<js_sys::Function, String>;

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
        kind: &str,
        host: web_sys::Element,
        send: &js_sys::Function,
        input: &[u8],
    ) -> Result<js_sys::Function, String> {
        match self {
            Mounter::InPage(f) => f(kind, host, send.clone(), input),
            Mounter::Module(f) => {
                let input = js_sys::Uint8Array::from(input);
                let args = js_sys::Array::of4(&kind.into(), &host, send, &input);
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

/// Where the editor goes in the app (a [`ViewSlot`]).
#[function_component(EditorSlot)]
pub fn editor_slot(props: &EditorSlotProps) -> Html {
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
    let input = use_memo(
        deps,
        |(scenario, graph, portrait, diagram, down, inspected)| {
            let input = EditorInput {
                scenario: (**scenario).clone(),
                graph: graph.as_ref().map(|g| (**g).clone()),
                portrait: *portrait,
                running: diagram.as_ref().map(|d| d.components()).unwrap_or_default(),
                down: down.clone(),
                inspected: *inspected,
            };
            input_bytes(&input)
        },
    );
    let on_message = to_actions(&props.on_action, Callback::noop());
    html! {
        <ViewSlot kind="editor" what="the editor" input={(*input).clone()} {on_message}
            closes_editor=true />
    }
}

/// Properties of [`ChallengesSlot`].
#[derive(Properties, PartialEq)]
pub struct ChallengesSlotProps {
    /// The architecture on screen.
    pub scenario: Rc<Scenario>,
    /// Its graph, when it is a drawn architecture.
    pub graph: Option<Rc<TopologyFile>>,
    /// Where the challenges' requests go.
    pub on_action: Callback<Action>,
    /// The challenge the page's link named when the app opened.
    pub from_link: Option<u8>,
    /// Called when the progress in local storage changed.
    pub on_progress: Callback<()>,
}

/// Where the challenges' list and pages go in the app's challenge panel (a [`ViewSlot`]).
#[function_component(ChallengesSlot)]
pub fn challenges_slot(props: &ChallengesSlotProps) -> Html {
    let deps = (props.scenario.clone(), props.graph.clone(), props.from_link);
    let input = use_memo(deps, |(scenario, graph, from_link)| {
        input_bytes(&ChallengesInput {
            scenario: (**scenario).clone(),
            graph: graph.as_ref().map(|g| (**g).clone()),
            from_link: *from_link,
        })
    });
    let on_message = to_actions(&props.on_action, props.on_progress.clone());
    html! {
        <ViewSlot kind="challenges" what="the challenges" input={(*input).clone()} {on_message} />
    }
}

/// Properties of [`LimitsSlot`].
#[derive(Properties, PartialEq)]
pub struct LimitsSlotProps {
    /// The scenario the app runs now.
    pub scenario: Rc<Scenario>,
    /// Where the panel's requests go (the stage chart's links).
    pub on_action: Callback<Action>,
}

/// Where the capacity panel's body goes in the app's panel (a [`ViewSlot`]).
#[function_component(LimitsSlot)]
pub fn limits_slot(props: &LimitsSlotProps) -> Html {
    let input = use_memo(props.scenario.clone(), |scenario| {
        input_bytes(&LimitsInput {
            scenario: (**scenario).clone(),
        })
    });
    let on_message = to_actions(&props.on_action, Callback::noop());
    html! {
        <ViewSlot kind="limits" what="the capacity search" input={(*input).clone()} {on_message} />
    }
}

/// A view's input as its bytes in the binary codec.
fn input_bytes(input: &impl Wire) -> Rc<[u8]> {
    to_bytes(input).into()
}

fn to_actions(on_action: &Callback<Action>, on_progress: Callback<()>) -> Callback<ViewMsg> {
    let on_action = on_action.clone();
    Callback::from(move |message: ViewMsg| match message.action() {
        Some(action) => on_action.emit(action),
        None => on_progress.emit(()),
    })
}

/// Properties of [`ViewSlot`].
#[derive(Properties, PartialEq)]
pub struct ViewSlotProps {
    /// The view ([`mount`]'s `kind`).
    pub kind: &'static str,
    /// What it is, in "Loading …".
    pub what: &'static str,
    /// Its input, in the binary codec.
    pub input: Rc<[u8]>,
    /// What it asks of the app.
    pub on_message: Callback<ViewMsg>,
    /// Whether a failed load offers "Close" (closing the editor).
    #[prop_or_default]
    pub closes_editor: bool,
}

#[derive(Clone, PartialEq)]
enum Loading {
    Waiting,
    Shown,
    Failed(String),
}

/// A view of the views' module in the app: "Loading …" while the module loads, then the view
/// (a root of that module's in an element of this slot's), or why it could not load.
#[function_component(ViewSlot)]
pub fn view_slot(props: &ViewSlotProps) -> Html {
    let host = use_node_ref();
    let loading = use_state(|| Loading::Waiting);
    // The view's update function once mounted, and the latest input to give it.
    let view = use_mut_ref(|| None::<js_sys::Function>);
    let latest = use_mut_ref(|| props.input.clone());
    {
        let view = view.clone();
        let latest = latest.clone();
        use_effect_with(props.input.clone(), move |input| {
            if let Some(update) = view.borrow().as_ref() {
                let _ = update.call1(&JsValue::NULL, &js_sys::Uint8Array::from(&input[..]));
            }
            *latest.borrow_mut() = input.clone();
        });
    }
    {
        let host = host.clone();
        let loading = loading.clone();
        let on_message = props.on_message.clone();
        let view = view.clone();
        let kind = props.kind;
        use_effect_with((), move |_| {
            let gone = Rc::new(Cell::new(false));
            let send =
                Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |bytes: js_sys::Uint8Array| {
                    match ViewMsg::from_bytes(&bytes.to_vec()) {
                        Some(message) => on_message.emit(message),
                        None => web_sys::console::error_1(
                            &"views: a message that does not decode".into(),
                        ),
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
                                .ok_or_else(|| "its place is gone".to_string())
                                .and_then(|e| mounter.mount(kind, e, &send, &input))
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
        .on_message
        .reform(|_: MouseEvent| ViewMsg::SetEditing(false));
    // The editor's placeholders are cards of their own; the challenges' sit in their panel.
    let card = props.closes_editor.then_some(classes!("editor", "card"));
    html! {
        <div class="views-slot" data-views={props.kind}>
            if *loading == Loading::Waiting {
                <section class={classes!(card.clone(), "views-loading")} aria-busy="true">
                    <p role="status" data-views-loading="">{ format!("Loading {}…", props.what) }</p>
                </section>
            }
            if let Loading::Failed(why) = &*loading {
                <section class={classes!(card, "views-failed")} role="alert" data-views-failed="">
                    <p>{ format!("{} could not be loaded: {why}.", capitalised(props.what)) }</p>
                    <p>{ "Check the connection and reload the page to try again." }</p>
                    if props.closes_editor {
                        <button class="btn" data-action="close-editor" onclick={close}>{ "Close" }</button>
                    }
                </section>
            }
            <div ref={host} class="views-host"></div>
        </div>
    }
}

fn capitalised(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
