//! The editor: draw your own architecture on the same simulation.
//!
//! ```text
//!  palette (every kind) ─▶ canvas (SVG: drag a node onto another to wire it) ─▶ side panel
//!                                                          (name, connect to…, wires, params)
//!  each edit ─▶ Editor (crate::scenario::topology::edit: checked, undoable)
//!            ─▶ lowers? ── only users / web servers changed ─▶ live change (recorded)
//!                       ├─ anything else ─────────────────────▶ the run restarts from it
//!                       └─ no: its problems, one line each; the last valid run goes on
//! ```
//!
//! Names typed by the user are only ever shown as text.

mod canvas;
mod dc_changes;
mod export;
mod params;

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::Action;
use crate::scenario::topology::edit::{Edit, Editor};
use crate::scenario::topology::{Flow, NodeKind};
use crate::scenario::{Scenario, TopologyFile};
use crate::sim::{ComponentId, ComponentInfo};

pub use canvas::Refusal;

/// Opens a drawn architecture in the editor (a challenge's starting architecture, say): the
/// run restarts from it and the editor opens on it, undo history empty. If the graph does not
/// lower, nothing changes and its problems come back.
pub fn open_in_editor(
    on_action: &Callback<Action>,
    file: TopologyFile,
) -> Result<(), crate::scenario::ValidationErrors> {
    let scenario = file.lower()?;
    on_action.emit(Action::OpenGraph(
        Rc::new(file),
        Rc::new(scenario),
        None,
        Rc::default(),
    ));
    on_action.emit(Action::SetEditing(true));
    Ok(())
}

/// Properties of [`EditorPanel`].
#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The scenario running now (live changes applied).
    pub scenario: Rc<Scenario>,
    /// The drawn architecture the run started from, if it is one.
    pub graph: Option<Rc<TopologyFile>>,
    /// Where actions go.
    pub on_action: Callback<Action>,
    /// Whether the screen is narrow (the drawing then flows top to bottom).
    pub portrait: bool,
    /// The running system's components (its diagram's): an open group lists its own.
    pub running: Rc<Vec<ComponentInfo>>,
    /// The running components that are down now (an open group's members shown so).
    pub down: Rc<Vec<ComponentId>>,
    /// The component shown in the inspector.
    pub inspected: Option<ComponentId>,
}

/// What the editor holds between renders.
pub struct Inner {
    /// The graph and its history.
    pub editor: Editor,
    /// The node shown in the side panel.
    pub selected: Option<String>,
    /// The last wire refused, with its reason.
    pub refusal: Option<Refusal>,
    /// The last thing done, announced to screen readers.
    pub announce: String,
    /// A parameter that could not be set, with why.
    pub param_error: Option<String>,
    /// Whether the "connect to…" list is open, and its search text.
    pub connecting: Option<String>,
    /// The drawing's zoom (1: 100 %); `None`: fitted to its box.
    pub zoom: Option<f64>,
    /// Where to scroll the drawing after the next render (after a zoom about a point).
    pub scroll_to: Option<(f64, f64)>,
    /// The last graphs the editor itself gave the app (a graph coming back is not news).
    pub sent: VecDeque<Rc<TopologyFile>>,
    /// The groups opened to their members (by name); kept while the run goes on.
    pub open: BTreeSet<String>,
}

/// Shared handle on the editor's state.
pub type Shared = Rc<RefCell<Inner>>;

/// The editor panel.
#[function_component(EditorPanel)]
pub fn editor_panel(props: &EditorProps) -> Html {
    let inner: Shared = {
        let graph = props.graph.clone();
        let scenario = props.scenario.clone();
        (*use_state(move || {
            let file = graph
                .map(|g| (*g).clone())
                .unwrap_or_else(|| scenario.topology_file());
            Rc::new(RefCell::new(Inner {
                editor: Editor::new(file),
                selected: None,
                refusal: None,
                announce: String::new(),
                param_error: None,
                connecting: None,
                zoom: None,
                scroll_to: None,
                sent: VecDeque::new(),
                open: BTreeSet::new(),
            }))
        }))
        .clone()
    };
    let update = use_force_update();
    // A graph opened from elsewhere while the editor is open (a file, a link, a challenge)
    // replaces the drawing; the editor's own runs carry its own graph and change nothing.
    {
        let inner = inner.clone();
        let update = update.clone();
        use_effect_with(props.graph.clone(), move |graph| {
            let fresh = graph
                .as_ref()
                .filter(|g| {
                    let i = inner.borrow();
                    // By value: in the views' own wasm module the graph comes back as a copy.
                    ***g != i.editor.file && !i.sent.iter().any(|s| **s == ***g)
                })
                .map(|g| (**g).clone());
            if let Some(file) = fresh {
                let mut i = inner.borrow_mut();
                i.editor = Editor::new(file);
                i.selected = None;
                i.refusal = None;
                drop(i);
                update.force_update();
            }
        });
    }
    // The latest scenario, for the window's key listener (set up once).
    let current = use_mut_ref(|| props.scenario.clone());
    *current.borrow_mut() = props.scenario.clone();

    let ctx = Ctx {
        inner: inner.clone(),
        current: current.clone(),
        on_action: props.on_action.clone(),
        update: Rc::new({
            let update = update.clone();
            move || update.force_update()
        }),
    };
    {
        let ctx = ctx.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&window, "keydown", options, move |event| {
                    let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if !(e.ctrl_key() || e.meta_key()) || e.key().to_lowercase() != "z" {
                        return;
                    }
                    let in_field = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA"));
                    if in_field {
                        return; // the field's own undo
                    }
                    e.prevent_default();
                    if e.shift_key() {
                        ctx.redo();
                    } else {
                        ctx.undo();
                    }
                })
            });
            move || drop(listener)
        });
    }

    let i = inner.borrow();
    let runs = i.editor.runs();
    let palette = NodeKind::ALL.into_iter().map(|kind| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            ctx.edit(Edit::Add(kind));
        });
        html! {
            <li><button class="btn palette-item" data-add={kind.name()} {onclick}
                title={format!("Add {}", kind.phrase())}>
                { format!("+ {}", kind.noun()) }
            </button></li>
        }
    });
    let undo = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.undo())
    };
    let redo = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.redo())
    };
    let blank = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.start_blank())
    };
    let save = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let file = ctx.inner.borrow().editor.file.clone();
            let said = match export::save(&file) {
                Some(()) => format!(
                    "Saved the drawing as {}.json (scalesim run reads it).",
                    export::file_stem(&file)
                ),
                None => "The drawing could not be saved.".to_string(),
            };
            ctx.say(said);
        })
    };
    let svg_out = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let file = ctx.inner.borrow().editor.file.clone();
            let said = match export::export_svg(&file) {
                Some(()) => "Exported the drawing as SVG.",
                None => "The drawing could not be exported.",
            };
            ctx.say(said.to_string());
        })
    };
    let png_out = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let file = ctx.inner.borrow().editor.file.clone();
            let ctx = ctx.clone();
            yew::platform::spawn_local(async move {
                let said = match export::export_png(&file).await {
                    Ok(()) => "Exported the drawing as PNG.".to_string(),
                    Err(why) => format!("The drawing could not be exported as PNG: {why}."),
                };
                ctx.say(said);
            });
        })
    };
    let close = props
        .on_action
        .reform(|_: MouseEvent| Action::SetEditing(false));
    let problems = match &runs {
        Ok(_) => html! {
            <p class="editor-runs" data-editor-runs="">{ "This drawing runs: the simulation below is running it." }</p>
        },
        Err(errors) => html! {
            <div class="editor-problems" data-editor-problems="">
                <p>{ format!("This drawing does not run yet ({} to fix); the last valid architecture keeps running:", errors.0.len()) }</p>
                <ul>
                    { for errors.0.iter().map(|p| html! { <li>{ p.message.clone() }</li> }) }
                </ul>
            </div>
        },
    };
    let can_undo = i.editor.can_undo();
    let can_redo = i.editor.can_redo();
    let announce = i.announce.clone();
    drop(i);
    html! {
        <section class="editor card" aria-label="Architecture editor" data-editor="">
            <div class="editor-bar">
                <h2>{ "Draw your architecture" }</h2>
                <div class="editor-tools">
                    <button class="btn" data-action="undo" onclick={undo} disabled={!can_undo}
                        aria-keyshortcuts="Control+Z">{ "Undo" }</button>
                    <button class="btn" data-action="redo" onclick={redo} disabled={!can_redo}
                        aria-keyshortcuts="Control+Shift+Z">{ "Redo" }</button>
                    <button class="btn" data-action="blank" onclick={blank}>{ "Start blank" }</button>
                    <button class="btn" data-action="save-drawing" onclick={save}
                        title="Download the drawing as a scenario file (JSON) that the app and `scalesim run` open">{ "Save drawing" }</button>
                    <button class="btn" data-action="export-drawing-svg" onclick={svg_out}
                        aria-label="Export the drawing as SVG">{ "SVG" }</button>
                    <button class="btn" data-action="export-drawing-png" onclick={png_out}
                        aria-label="Export the drawing as PNG">{ "PNG" }</button>
                    <button class="btn btn-ghost" data-action="close-editor" onclick={close}>{ "Close editor" }</button>
                </div>
            </div>
            <p class="editor-help">
                { "Drag a component onto another to wire them (or select it and use “Connect to…”); drop it \
                   on empty space to move it (or use the arrow keys). Adding, removing or wiring restarts \
                   the run from the edited architecture; changing the users or the web servers applies \
                   live, and is recorded so the run replays exactly." }
            </p>
            <ul class="palette" aria-label="Add a component">{ for palette }</ul>
            <div class="editor-body">
                <canvas::Canvas ctx={ctx.clone()} portrait={props.portrait}
                    running={props.running.clone()} down={props.down.clone()}
                    inspected={props.inspected} />
                <SidePanel ctx={ctx.clone()} />
            </div>
            { problems }
            <p class="editor-status" role="status" aria-live="polite" data-editor-status="">{ announce }</p>
        </section>
    }
}

/// What the editor's parts share: the state, the running scenario and the app's actions.
#[derive(Clone)]
pub struct Ctx {
    /// The editor's state.
    pub inner: Shared,
    current: Rc<RefCell<Rc<Scenario>>>,
    on_action: Callback<Action>,
    update: Rc<dyn Fn()>,
}

impl PartialEq for Ctx {
    fn eq(&self, _: &Ctx) -> bool {
        // The parts read the shared state when the panel re-renders them.
        false
    }
}

impl Ctx {
    /// Makes an edit: on success the run follows it; on failure the reason is shown.
    pub fn edit(&self, edit: Edit) -> bool {
        let wire = match &edit {
            Edit::Connect { from, to } | Edit::ConnectFlow { from, to, .. } => {
                Some((from.clone(), to.clone()))
            }
            _ => None,
        };
        let result = self.inner.borrow_mut().editor.apply(edit.clone());
        let ok = result.is_ok();
        {
            let mut i = self.inner.borrow_mut();
            i.param_error = None;
            i.refusal = None;
            match (&result, &edit) {
                (Ok(_), Edit::Add(_)) | (Ok(_), Edit::Duplicate(_)) => {
                    // Select what was just added (the last node, or the copy after its original).
                    let name = match &edit {
                        Edit::Duplicate(n) => i
                            .editor
                            .topology()
                            .nodes
                            .iter()
                            .position(|x| &x.name == n)
                            .and_then(|p| i.editor.topology().nodes.get(p + 1))
                            .map(|x| x.name.clone()),
                        _ => i.editor.topology().nodes.last().map(|x| x.name.clone()),
                    };
                    i.selected = name;
                }
                (Ok(_), Edit::Remove(n)) if i.selected.as_ref() == Some(n) => i.selected = None,
                (Ok(_), Edit::Rename { to, .. }) => i.selected = Some(to.clone()),
                (Ok(_), Edit::Connect { .. } | Edit::ConnectFlow { .. }) => i.connecting = None,
                (Err(reason), Edit::SetParams { .. }) => i.param_error = Some(reason.clone()),
                (Err(reason), _) => {
                    if let Some((from, to)) = wire.clone() {
                        i.refusal = Some(Refusal {
                            from,
                            to,
                            reason: reason.clone(),
                        });
                    }
                    i.announce = format!("Refused: {reason}");
                }
                _ => {}
            }
        }
        if let Ok(done) = result {
            self.settle(done);
        }
        (self.update)();
        ok
    }

    /// A graph about to be given to the app, remembered as the editor's own.
    fn sent(&self, file: TopologyFile) -> Rc<TopologyFile> {
        let file = Rc::new(file);
        let mut i = self.inner.borrow_mut();
        i.sent.push_back(file.clone());
        if i.sent.len() > 8 {
            i.sent.pop_front();
        }
        file
    }

    /// Undoes the last edit.
    pub fn undo(&self) {
        let done = self.inner.borrow_mut().editor.undo();
        match done {
            Some(done) => self.settle(done),
            None => self.inner.borrow_mut().announce = "Nothing to undo.".into(),
        }
        (self.update)();
    }

    /// Redoes the last undone edit.
    pub fn redo(&self) {
        let done = self.inner.borrow_mut().editor.redo();
        match done {
            Some(done) => self.settle(done),
            None => self.inner.borrow_mut().announce = "Nothing to redo.".into(),
        }
        (self.update)();
    }

    /// Replaces the drawing with a blank sandbox (users, DNS, one web server).
    pub fn start_blank(&self) {
        {
            let mut i = self.inner.borrow_mut();
            i.editor = Editor::blank();
            i.selected = None;
            i.refusal = None;
        }
        self.settle("Started a blank drawing: users, DNS and one web server.".into());
        (self.update)();
    }

    /// Carries the graph over to the run: live when only the users or the web servers
    /// changed, else a new run from the edited architecture; if the graph does not lower, the
    /// run goes on unchanged. Announces what happened.
    fn settle(&self, done: String) {
        let current = self.current.borrow().clone();
        let (runs, file) = {
            let i = self.inner.borrow();
            (i.editor.runs(), i.editor.file.clone())
        };
        let said = match runs {
            Ok(next) if next == *current => {
                // The run is the same (a node moved or renamed): only the drawing changes,
                // and the link carries it.
                self.on_action.emit(Action::KeepGraph(self.sent(file)));
                format!("{done} The run goes on: it does not depend on this.")
            }
            Ok(next) => {
                let mut same = next.clone();
                same.traffic.users = current.traffic.users;
                same.server.count = current.server.count;
                let live_ok = same == *current
                    && (next.server.count == current.server.count
                        || next.load_balancer.is_some());
                if live_ok {
                    if next.traffic.users != current.traffic.users {
                        self.on_action.emit(Action::SetUsers(next.traffic.users));
                    }
                    if next.server.count != current.server.count {
                        self.on_action
                            .emit(Action::SetWebServers(next.server.count));
                    }
                    format!("{done} Applied live to the running simulation, and recorded for replay.")
                } else {
                    self.on_action.emit(Action::OpenGraph(
                        self.sent(file),
                        Rc::new(next),
                        None,
                        Rc::default(),
                    ));
                    format!("{done} The run restarted from the edited architecture.")
                }
            }
            Err(problems) => format!(
                "{done} The drawing does not run yet ({} to fix); the last valid architecture keeps running.",
                problems.0.len()
            ),
        };
        self.inner.borrow_mut().announce = said;
    }

    /// Selects a node (or none).
    pub fn select(&self, name: Option<String>) {
        {
            let mut i = self.inner.borrow_mut();
            if i.selected != name {
                i.connecting = None;
                i.param_error = None;
            }
            i.selected = name;
        }
        (self.update)();
    }

    /// Opens a group's box to its members, or closes it, and selects it; announces which
    /// (`opened`: what to say when it opens).
    pub fn toggle_group(&self, name: String, opened: String) {
        {
            let mut i = self.inner.borrow_mut();
            i.announce = if i.open.remove(&name) {
                format!("Closed {name}.")
            } else {
                i.open.insert(name.clone());
                opened
            };
        }
        self.select(Some(name));
    }

    /// Shows a running component (a member of an open group) in the inspector below, where
    /// it is killed or repaired.
    pub fn inspect(&self, id: ComponentId, name: &str) {
        self.on_action.emit(Action::Select(Some(id)));
        self.say(format!(
            "{name} is shown in the inspector below the editor: its figures, and Kill or Repair."
        ));
    }

    /// Announces something (to screen readers, and in the status line).
    pub fn say(&self, text: String) {
        self.inner.borrow_mut().announce = text;
        (self.update)();
    }

    /// Sets the drawing's zoom (`None`: fit it to its box).
    pub fn set_zoom(&self, zoom: Option<f64>) {
        {
            let mut i = self.inner.borrow_mut();
            i.zoom = zoom;
            i.announce = match zoom {
                Some(z) => format!("Zoom {:.0} %.", z * 100.0),
                None => "The drawing fits its box.".to_string(),
            };
        }
        (self.update)();
    }

    /// Opens or closes the "connect to…" list, or changes its search text.
    pub fn set_connecting(&self, search: Option<String>) {
        self.inner.borrow_mut().connecting = search;
        (self.update)();
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    ctx: Ctx,
}

/// The selected node: its name, wires, "connect to…" and parameters.
#[function_component(SidePanel)]
fn side_panel(props: &PanelProps) -> Html {
    let ctx = &props.ctx;
    let name_ref = use_node_ref();
    let i = ctx.inner.borrow();
    let Some(name) = i.selected.clone() else {
        return html! {
            <aside class="editor-side" aria-label="Selected component">
                <p class="muted">{ "Select a component to rename it, wire it, or change its parameters." }</p>
            </aside>
        };
    };
    let t = i.editor.topology();
    let Some(node) = t.node(&name) else {
        return html! {};
    };
    let kind = node.spec.kind();
    let rename = {
        let ctx = ctx.clone();
        let name = name.clone();
        let name_ref = name_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(input) = name_ref.cast::<web_sys::HtmlInputElement>() {
                ctx.edit(Edit::Rename {
                    from: name.clone(),
                    to: input.value().trim().to_string(),
                });
            }
        })
    };
    let act = |edit: Edit| {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            ctx.edit(edit.clone());
        })
    };
    let connecting = i.connecting.clone();
    let toggle_connect = {
        let ctx = ctx.clone();
        let open = connecting.is_some();
        Callback::from(move |_: MouseEvent| {
            ctx.set_connecting((!open).then(String::new));
        })
    };
    let flows_text = |flows: &[Flow]| {
        flows
            .iter()
            .map(|f| f.plural())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wires: Vec<Html> = t
        .edges
        .iter()
        .filter(|e| e.from == name || e.to == name)
        .map(|e| {
            let text = if e.from == name {
                format!("→ {} ({})", e.to, flows_text(&e.flows))
            } else {
                format!("← {} ({})", e.from, flows_text(&e.flows))
            };
            let onclick = act(Edit::Disconnect {
                from: e.from.clone(),
                to: e.to.clone(),
            });
            html! {
                <li><span>{ text }</span>
                    <button class="btn btn-small" {onclick}
                        aria-label={format!("Remove the wire from {} to {}", e.from, e.to)}>{ "Remove" }</button></li>
            }
        })
        .collect();
    let connect_list = connecting.map(|search| {
        // Group the candidates by target: one button wires every flow the rules allow.
        let mut targets: Vec<(String, Vec<Flow>)> = Vec::new();
        for (to, flow) in t.candidates(&name) {
            match targets.iter_mut().find(|(n, _)| *n == to) {
                Some((_, flows)) => flows.push(flow),
                None => targets.push((to, vec![flow])),
            }
        }
        let needle = search.to_lowercase();
        let shown: Vec<Html> = targets
            .iter()
            .filter(|(to, _)| {
                let kind = t.node(to).map_or("", |n| n.spec.kind().noun());
                needle.is_empty()
                    || to.to_lowercase().contains(&needle)
                    || kind.to_lowercase().contains(&needle)
            })
            .map(|(to, flows)| {
                let kind = t.node(to).map_or("", |n| n.spec.kind().noun());
                let onclick = act(Edit::Connect {
                    from: name.clone(),
                    to: to.clone(),
                });
                html! {
                    <li><button class="btn connect-target" data-connect-to={to.clone()} {onclick}>
                        { format!("{to} ({kind}): {}", flows_text(flows)) }
                    </button></li>
                }
            })
            .collect();
        let oninput = {
            let ctx = ctx.clone();
            Callback::from(move |e: InputEvent| {
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    ctx.set_connecting(Some(input.value()));
                }
            })
        };
        html! {
            <div class="connect-list" data-connect-list="">
                <label>{ "Search" }
                    <input type="search" value={search.clone()} {oninput} autofocus=true
                        data-connect-search="" />
                </label>
                if shown.is_empty() {
                    <p class="muted">{ if targets.is_empty() {
                        "No wire from here is allowed now: the rules, or the wires already drawn, leave none."
                    } else { "No component matches." } }</p>
                } else {
                    <ul aria-label={format!("Components {name} may be wired to")}>{ for shown }</ul>
                }
            </div>
        }
    });
    let index = t.nodes.iter().position(|n| n.name == name).unwrap_or(0);
    // Problems with one parameter are shown beside its field; the others above the fields.
    let mut node_problems: Vec<String> = Vec::new();
    let mut field_problems: Vec<(String, String)> = Vec::new();
    if let Err(e) = i.editor.runs() {
        let own = format!("topology.nodes[{index}]");
        let field = format!("{own}.params.");
        for p in e.0.iter().filter(|p| p.path.starts_with(&own)) {
            match p.path.strip_prefix(&field) {
                Some(param) => field_problems.push((param.to_string(), p.message.clone())),
                None => node_problems.push(p.message.clone()),
            }
        }
    }
    let param_error = i.param_error.clone();
    let node_clone = node.clone();
    drop(i);
    html! {
        <aside class="editor-side" aria-label="Selected component" data-editor-selected={name.clone()}>
            <h3>{ format!("{} ", capital(kind.noun())) }<span class="node-name">{ name.clone() }</span></h3>
            <form class="rename" onsubmit={rename}>
                <label>{ "Name" }
                    <input ref={name_ref} type="text" value={name.clone()} maxlength="40"
                        data-rename="" />
                </label>
                <button class="btn" type="submit">{ "Rename" }</button>
            </form>
            <div class="editor-actions">
                <button class="btn" data-action="connect" onclick={toggle_connect}
                    aria-expanded={if connect_list.is_some() { "true" } else { "false" }}>{ "Connect to…" }</button>
                <button class="btn" data-action="duplicate" onclick={act(Edit::Duplicate(name.clone()))}>{ "Duplicate" }</button>
                <button class="btn" data-action="remove" onclick={act(Edit::Remove(name.clone()))}>{ "Remove" }</button>
            </div>
            { for connect_list }
            if !wires.is_empty() {
                <h4>{ "Wires" }</h4>
                <ul class="wire-list">{ for wires }</ul>
            }
            <h4>{ "Parameters" }</h4>
            if let Some(e) = param_error {
                <p class="param-error" role="alert">{ e }</p>
            }
            if !node_problems.is_empty() {
                <ul class="param-problems">{ for node_problems.into_iter().map(|p| html! { <li>{ p }</li> }) }</ul>
            }
            <params::Params ctx={ctx.clone()} node={node_clone} problems={field_problems} />
        </aside>
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
