//! Play/pause, restart, speed and the users slider. Each control only emits an [`Action`].

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::format::grouped;
use super::state::{slider_from_users, users_from_slider, Action, SPEEDS, USERS_SLIDER_STEPS};

/// Properties of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// Whether simulated time runs.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed_index: usize,
    /// Number of users.
    pub users: u64,
    /// Where actions go.
    pub on_action: Callback<Action>,
}

/// The control bar above the diagram.
#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let on_play = {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::TogglePlay))
    };
    let on_restart = {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Restart))
    };
    let on_speed = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(index) = select.value().parse::<usize>() {
                cb.emit(Action::SetSpeed(index));
            }
        })
    };
    let on_users = {
        let cb = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(position) = input.value().parse::<u32>() {
                cb.emit(Action::SetUsers(users_from_slider(position)));
            }
        })
    };
    let play_label = if props.playing { "Pause" } else { "Play" };
    html! {
        <div class="controls" role="group" aria-label="Simulation controls">
            <button class="btn btn-primary" data-action="play" onclick={on_play}
                aria-pressed={props.playing.to_string()} title="Play or pause simulated time">
                if props.playing {
                    <svg viewBox="0 0 14 14" aria-hidden="true"><rect x="2" y="1" width="3.5" height="12" rx="1" /><rect x="8.5" y="1" width="3.5" height="12" rx="1" /></svg>
                } else {
                    <svg viewBox="0 0 14 14" aria-hidden="true"><path d="M3,1.5 L12.5,7 L3,12.5 z" /></svg>
                }
                { play_label }
            </button>
            <button class="btn" data-action="restart" onclick={on_restart}
                title="Start again from time zero">
                <svg viewBox="0 0 14 14" aria-hidden="true"><path d="M7,1.5 A5.5,5.5 0 1 1 1.6,6 L3.2,6 A4,4 0 1 0 7,3 L7,5 L3.8,2.3 L7,-0.4 z" /></svg>
                { "Restart" }
            </button>
            <label class="control">
                { "Speed" }
                <select data-control="speed" onchange={on_speed}
                    title="Simulated time per real second">
                    { for SPEEDS.iter().enumerate().map(|(i, s)| html! {
                        <option value={i.to_string()} selected={i == props.speed_index}>
                            { format!("{s}×") }
                        </option>
                    }) }
                </select>
            </label>
            <label class="control control-users">
                { "Users" }
                <input type="range" data-control="users" min="0"
                    max={USERS_SLIDER_STEPS.to_string()} step="1"
                    value={slider_from_users(props.users).to_string()}
                    oninput={on_users}
                    aria-valuetext={format!("{} users", grouped(props.users))} />
                <span class="control-value" data-value="users">{ grouped(props.users) }</span>
            </label>
        </div>
    }
}
