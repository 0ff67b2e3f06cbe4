//! The list of the eleven stages. Built stages are buttons; the others are marked "coming".

use yew::prelude::*;

use super::state::Action;
use crate::scenario::STAGES;

/// Properties of [`StageList`].
#[derive(Properties, PartialEq)]
pub struct StageListProps {
    /// The stage shown.
    pub current: u8,
    /// Where actions go.
    pub on_action: Callback<Action>,
}

/// The stage navigation.
#[function_component(StageList)]
pub fn stage_list(props: &StageListProps) -> Html {
    let items = STAGES.iter().map(|stage| {
        let number = stage.number;
        let active = number == props.current;
        if stage.built {
            let cb = props.on_action.clone();
            let onclick = Callback::from(move |_: MouseEvent| cb.emit(Action::SelectStage(number)));
            html! {
                <li>
                    <button class={classes!("stage", active.then_some("active"))}
                        data-stage={number.to_string()} onclick={onclick}
                        aria-current={active.then_some("step")} title={stage.summary}>
                        <span class="stage-num">{ number }</span>
                        <span class="stage-title">{ stage.title }</span>
                    </button>
                </li>
            }
        } else {
            html! {
                <li>
                    <div class="stage coming" data-stage={number.to_string()} aria-disabled="true"
                        title={format!("Coming soon: {}", stage.summary)}>
                        <span class="stage-num">{ number }</span>
                        <span class="stage-title">{ stage.title }</span>
                        <span class="badge">{ "coming" }</span>
                    </div>
                </li>
            }
        }
    });
    html! {
        <nav class="stages card" aria-label="Stages">
            <h2>{ "Stages" }</h2>
            <ol>{ for items }</ol>
        </nav>
    }
}
