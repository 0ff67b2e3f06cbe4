//! A data center's own changes (`set` on its node: the scenario's `geo.data_centers[].set`).
//! Every data center runs its own copy of the stack drawn; this panel lists what one data
//! center changes in its copy, one row each (the value editable, a button to drop it), and adds
//! a change: a field picked from the schema ([`data_center_fields`]: not the ones every data center
//! shares), its value pre-filled with the drawing's. A value is read as JSON (a
//! number, `true`, `null`, an object…) or else as a word. Validation's problems with the changes
//! are shown under the rows, as it words them (naming the data center and the path).

use serde_json::{Map, Value};
use yew::prelude::*;

use super::params::node_params;
use super::Ctx;
use crate::scenario::topology::edit::Edit;
use crate::scenario::topology::Node;
use crate::scenario::{data_center_fields, path};

#[derive(Properties, PartialEq)]
pub struct DcChangesProps {
    pub ctx: Ctx,
    pub node: Node,
    /// Validation's problems with this node's `set`.
    pub problems: Vec<String>,
}

/// Text typed as a value: JSON when it reads as JSON, else the word itself.
fn read_value(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())))
}

/// A value as it is typed back: words bare, anything else as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The panel.
#[function_component(DcChanges)]
pub fn dc_changes(props: &DcChangesProps) -> Html {
    let params = node_params(&props.node);
    let set: Map<String, Value> = params
        .get("set")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let name = props.node.name.clone();
    // One edit: the node's parameters with `set` replaced (dropped when empty).
    let commit = {
        let (ctx, params, name) = (props.ctx.clone(), params.clone(), name.clone());
        move |set: Map<String, Value>| {
            let mut next = params.clone();
            if let Some(object) = next.as_object_mut() {
                if set.is_empty() {
                    object.remove("set");
                } else {
                    object.insert("set".into(), Value::Object(set));
                }
            }
            ctx.edit(Edit::SetParams {
                name: name.clone(),
                params: next,
            });
        }
    };
    let rows = set.iter().map(|(key, value)| {
        let id = format!("dc-set-{name}-{}", key.replace('.', "-"));
        let onchange = {
            let (commit, set, key) = (commit.clone(), set.clone(), key.clone());
            Callback::from(move |e: Event| {
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    if let Some(v) = read_value(&input.value()) {
                        let mut next = set.clone();
                        next.insert(key.clone(), v);
                        commit(next);
                    }
                }
            })
        };
        let onclick = {
            let (commit, set, key) = (commit.clone(), set.clone(), key.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = set.clone();
                next.remove(&key);
                commit(next);
            })
        };
        html! {
            <li class="dc-change" data-dc-change={key.clone()}>
                <label for={id.clone()}><code>{ key.clone() }</code></label>
                <input id={id.clone()} type="text" value={shown(value)} {onchange}
                    data-dc-change-value={key.clone()} />
                <button class="btn" type="button" {onclick} data-dc-change-remove={key.clone()}
                    aria-label={format!("Remove the change to {key} in {name}")}>{ "Remove" }</button>
            </li>
        }
    });
    let field_ref = use_node_ref();
    let value_ref = use_node_ref();
    // Picking a field fills the value in with the drawing's (the run's scenario).
    let onpick = {
        let (ctx, value_ref) = (props.ctx.clone(), value_ref.clone());
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let scenario = ctx.current.borrow().clone();
            let drawn = serde_json::to_value(&*scenario).ok().and_then(|root| {
                root.pointer(&path::pointer(&path::split(&select.value())))
                    .cloned()
            });
            if let Some(input) = value_ref.cast::<web_sys::HtmlInputElement>() {
                input.set_value(&drawn.as_ref().map(shown).unwrap_or_default());
            }
        })
    };
    let onadd = {
        let (commit, set) = (commit.clone(), set.clone());
        let (field_ref, value_ref) = (field_ref.clone(), value_ref.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let field = field_ref.cast::<web_sys::HtmlSelectElement>();
            let value = value_ref.cast::<web_sys::HtmlInputElement>();
            let (Some(field), Some(value)) = (field, value) else {
                return;
            };
            let key = field.value();
            if key.is_empty() {
                return;
            }
            if let Some(v) = read_value(&value.value()) {
                let mut next = set.clone();
                next.insert(key, v);
                commit(next);
            }
        })
    };
    // The fields, grouped by their first part (`server`, `cache`…); the ones already changed
    // are edited in their rows instead.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for p in data_center_fields()
        .map(|f| f.path)
        .filter(|p| !set.contains_key(*p))
    {
        let first = p.split('.').next().unwrap_or_default();
        match groups.last_mut() {
            Some((g, list)) if *g == first => list.push(p),
            _ => groups.push((first, vec![p])),
        }
    }
    let field_id = format!("dc-add-field-{name}");
    let value_id = format!("dc-add-value-{name}");
    html! {
        <fieldset class="dc-changes" data-dc-changes={name.clone()}>
            <legend>{ "Changes in this data center" }</legend>
            <p class="param-hint">{ format!(
                "{name} runs its own copy of the stack drawn. A change here applies to {name} alone."
            ) }</p>
            if set.is_empty() {
                <p class="muted" data-dc-changes-none="">{ "None: it runs the stack as drawn." }</p>
            } else {
                <ul class="dc-change-list">{ for rows }</ul>
            }
            if !props.problems.is_empty() {
                <ul class="param-problems">
                    { for props.problems.iter().map(|p| html! { <li data-dc-change-error="">{ p.clone() }</li> }) }
                </ul>
            }
            <form class="dc-add" onsubmit={onadd}>
                <label for={field_id.clone()}>{ "Field" }</label>
                <select id={field_id} ref={field_ref} onchange={onpick} data-dc-add-field="">
                    <option value="" selected=true>{ "Pick a field…" }</option>
                    { for groups.into_iter().map(|(g, list)| html! {
                        <optgroup label={g}>
                            { for list.into_iter().map(|p| html! { <option value={p}>{ p }</option> }) }
                        </optgroup>
                    }) }
                </select>
                <label for={value_id.clone()}>{ "Value" }</label>
                <input id={value_id} ref={value_ref} type="text" data-dc-add-value="" />
                <button class="btn" type="submit" data-action="add-dc-change">{ "Add the change" }</button>
            </form>
        </fieldset>
    }
}
