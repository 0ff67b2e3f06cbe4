//! Every parameter of the selected node, one field each, from its file form (`params`): numbers
//! as number fields, switches as check boxes, words as text, lists as JSON. A change is one edit
//! (undoable); a value the format cannot hold is refused beside the fields, and a value outside
//! validation's bounds shows up as the node's problem (the same bounds and messages as
//! `Scenario::validate`).

use serde_json::Value;
use yew::prelude::*;

use super::Ctx;
use crate::scenario::topology::edit::Edit;
use crate::scenario::topology::Node;

#[derive(Properties, PartialEq)]
pub struct ParamsProps {
    pub ctx: Ctx,
    pub node: Node,
}

/// The fields.
#[function_component(Params)]
pub fn params(props: &ParamsProps) -> Html {
    let params = serde_json::to_value(&props.node)
        .ok()
        .and_then(|mut v| v.get_mut("params").map(Value::take))
        .unwrap_or(Value::Null);
    let mut leaves = Vec::new();
    flatten(&params, &mut Vec::new(), &mut leaves);
    let fields = leaves.into_iter().map(|(path, value)| {
        let label = path.join(" › ");
        let id = format!("param-{}-{}", props.node.name, path.join("-"));
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
        let onchange = Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                commit(input.value(), input.checked());
            }
        });
        let field = match &value {
            Value::Bool(b) => html! {
                <input id={id.clone()} type="checkbox" checked={*b} {onchange} data-param={path.join(".")} />
            },
            Value::Number(n) => html! {
                <input id={id.clone()} type="number" step="any" value={n.to_string()} {onchange}
                    data-param={path.join(".")} />
            },
            Value::String(s) => html! {
                <input id={id.clone()} type="text" value={s.clone()} {onchange} data-param={path.join(".")} />
            },
            other => html! {
                <input id={id.clone()} type="text" value={other.to_string()} {onchange}
                    data-param={path.join(".")} />
            },
        };
        html! {
            <div class="param">
                <label for={id}>{ label }</label>
                { field }
            </div>
        }
    });
    html! {
        <div class="params" data-params={props.node.name.clone()}>{ for fields }</div>
    }
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
