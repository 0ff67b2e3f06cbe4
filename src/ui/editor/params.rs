//! Every parameter of the selected node, one field each, from its file form (`params`): numbers
//! as number fields, switches as check boxes, a choice among words as a list to pick from, other
//! words as text, lists as JSON. Each field is labelled in words with its unit, and shows the
//! bounds validation applies and what it means (from [`crate::scenario::FIELDS`], through
//! [`field_path`]). A change is one edit (undoable); a value the format cannot hold is refused
//! beside the fields, and a value outside validation's bounds shows up beside its field (the
//! same bounds and messages as `Scenario::validate`).

use serde_json::Value;
use yew::prelude::*;

use super::dc_changes::DcChanges;
use super::Ctx;
use crate::scenario::topology::edit::Edit;
use crate::scenario::topology::{field_path, Node, NodeKind};
use crate::scenario::{FieldDoc, FIELDS};

#[derive(Properties, PartialEq)]
pub struct ParamsProps {
    pub ctx: Ctx,
    pub node: Node,
    /// Validation's problems with this node's parameters: (path inside `params`, message).
    pub problems: Vec<(String, String)>,
}

/// The fields.
#[function_component(Params)]
pub fn params(props: &ParamsProps) -> Html {
    let params = node_params(&props.node);
    let kind = props.node.spec.kind();
    // A data center's own changes have their own panel ([`DcChanges`]), below the fields.
    let changes = kind == NodeKind::DataCenter;
    let mut leaves = Vec::new();
    flatten(&params, &mut Vec::new(), &mut leaves);
    if changes {
        leaves.retain(|(path, _)| path.first().map(String::as_str) != Some("set"));
    }
    let fields = leaves.into_iter().map(|(path, value)| {
        let dotted = path.join(".");
        let doc: Option<&FieldDoc> = {
            let full = field_path(kind, &dotted);
            FIELDS.iter().find(|f| f.path == full)
        };
        let label = words(&path, doc);
        let id = format!("param-{}-{}", props.node.name, path.join("-"));
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        let problem: Option<String> = props
            .problems
            .iter()
            .filter(|(p, _)| *p == dotted)
            .map(|(_, m)| m.clone())
            .next();
        let described = if problem.is_some() {
            format!("{hint_id} {error_id}")
        } else {
            hint_id.clone()
        };
        let invalid = if problem.is_some() { "true" } else { "false" };
        let commit = {
            let ctx = props.ctx.clone();
            let name = props.node.name.clone();
            let params = params.clone();
            let path = path.clone();
            let old = value.clone();
            move |text: String, checked: bool| {
                let new = match &old {
                    Value::Bool(_) => Value::Bool(checked),
                    Value::Number(_) => match read_number(&text) {
                        Some(n) => n,
                        None => Value::String(text),
                    },
                    Value::String(_) => Value::String(text),
                    _ => serde_json::from_str(&text).unwrap_or(Value::String(text)),
                };
                let mut next = params.clone();
                if let Some(slot) = slot(&mut next, &path) {
                    *slot = new;
                }
                ctx.edit(Edit::SetParams {
                    name: name.clone(),
                    params: next,
                });
            }
        };
        let options = doc.and_then(|d| choices(d.bounds));
        let field = match (&value, options) {
            (Value::Bool(b), _) => {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        commit(input.value(), input.checked());
                    }
                });
                html! {
                    <input id={id.clone()} type="checkbox" checked={*b} {onchange} data-param={dotted.clone()}
                        aria-describedby={described.clone()} aria-invalid={invalid} />
                }
            }
            (Value::String(now), Some(options)) => {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                        commit(select.value(), false);
                    }
                });
                html! {
                    <select id={id.clone()} {onchange} data-param={dotted.clone()}
                        aria-describedby={described.clone()} aria-invalid={invalid}>
                        { for options.iter().map(|o| html! {
                            <option value={o.clone()} selected={o == now}>{ o.clone() }</option>
                        }) }
                    </select>
                }
            }
            (other, _) => {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        commit(input.value(), input.checked());
                    }
                });
                let (kind, text) = match other {
                    Value::Number(n) => ("number", n.to_string()),
                    Value::String(s) => ("text", s.clone()),
                    v => ("text", v.to_string()),
                };
                html! {
                    <input id={id.clone()} type={kind} step="any" value={text} {onchange}
                        data-param={dotted.clone()} aria-describedby={described.clone()}
                        aria-invalid={invalid} />
                }
            }
        };
        let hint = doc.map_or_else(String::new, |d| {
            if d.bounds.is_empty() || choices(d.bounds).is_some() {
                d.meaning.to_string()
            } else {
                format!("{} · {}", d.bounds, d.meaning)
            }
        });
        html! {
            <div class={classes!("param", problem.is_some().then_some("invalid"))}>
                <label for={id.clone()}>{ label }</label>
                { field }
                <small class="param-hint" id={hint_id}>{ hint }</small>
                if let Some(p) = problem {
                    <small class="param-field-error" id={error_id} data-param-error={dotted.clone()}>{ p }</small>
                }
            </div>
        }
    });
    let set_problems: Vec<String> = props
        .problems
        .iter()
        .filter(|(p, _)| p == "set" || p.starts_with("set."))
        .map(|(_, m)| m.clone())
        .collect();
    html! {
        <div class="params" data-params={props.node.name.clone()}>
            { for fields }
            if changes {
                <DcChanges ctx={props.ctx.clone()} node={props.node.clone()} problems={set_problems} />
            }
        </div>
    }
}

/// A node's parameters as its file form writes them (`params`).
pub(super) fn node_params(node: &Node) -> Value {
    serde_json::to_value(node)
        .ok()
        .and_then(|mut v| v.get_mut("params").map(Value::take))
        .unwrap_or(Value::Null)
}

/// Every leaf of `v` with its path (objects are walked; lists are one leaf, edited as JSON).
fn flatten(v: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                flatten(x, path, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), v.clone())),
    }
}

fn slot<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| v.get_mut(k))
}

/// A number as JSON: an integer when it is one, else a finite decimal.
fn read_number(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Some(n.into());
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(n.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// A parameter's label in words, with its unit: `get.mean_ms` → "Get › mean (ms)".
fn words(path: &[String], doc: Option<&FieldDoc>) -> String {
    const UNITS: [&str; 5] = ["_ms", "_s", "_kb", "_per_gb", "_items"];
    let last = path.len().saturating_sub(1);
    let parts: Vec<String> = path
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut p = p.as_str();
            if i == last {
                for u in UNITS {
                    if let Some(stem) = p.strip_suffix(u) {
                        if !stem.is_empty() {
                            p = stem;
                        }
                        break;
                    }
                }
            }
            p.split('_')
                .map(|w| match w {
                    "cv" => "variability (CV)",
                    "api" => "API",
                    "dns" => "DNS",
                    "ttl" => "TTL",
                    "rtt" => "round trip",
                    "cdn" => "CDN",
                    "kb" => "KB",
                    "gb" => "GB",
                    other => other,
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut text = parts.join(" › ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    // "Nodes", not "Nodes (nodes)".
    let said = |u: &str| text.to_lowercase().ends_with(&u.to_lowercase());
    match doc
        .map(|d| d.unit)
        .filter(|u| !u.is_empty() && *u != "-" && !said(u))
    {
        Some(unit) => format!("{text} ({unit})"),
        None => text,
    }
}

/// The words a field may hold, when its bounds are a choice among them (`lru | lfu | fifo`).
fn choices(bounds: &str) -> Option<Vec<String>> {
    let options: Vec<String> = bounds.split(" | ").map(|o| o.trim().to_string()).collect();
    let word = |o: &String| {
        !o.is_empty()
            && o.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    (options.len() >= 2 && options.iter().all(word)).then_some(options)
}
