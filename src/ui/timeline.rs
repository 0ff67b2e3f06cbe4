//! Time travel: a timeline slider over the run and a step-back button. Seeking back re-runs the
//! scenario deterministically from the latest copy kept before the target, or from 0 (see
//! [`super::runner::Runner::seek`]); the user's live changes are replayed at the times they
//! were made.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::state::{Figures, SeekProgress};
use crate::scenario::{Scheduled, ScheduledKind};

/// Simulated seconds the step-back button goes back.
pub const STEP_BACK_S: f64 = 5.0;

/// Properties of [`Timeline`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The latest figures (time now, furthest time reached, seek progress).
    pub figures: Rc<Figures>,
    /// The scenario's duration, in seconds (the slider reaches at least this far).
    pub duration_s: f64,
    /// Seeks to a simulated time, in seconds.
    pub on_seek: Callback<f64>,
    /// What the run has scheduled: marked along the slider.
    pub scheduled: Rc<Vec<Scheduled>>,
}

/// The timeline bar.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let f = &props.figures;
    let now = f.seeking.map_or(f.sim_time_s, |s| s.target_s);
    let end = props.duration_s.max(f.reached_s).max(now);
    let on_change = {
        let cb = props.on_seek.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(t) = input.value().parse::<f64>() {
                cb.emit(t);
            }
        })
    };
    let on_back = {
        let cb = props.on_seek.clone();
        Callback::from(move |_: MouseEvent| cb.emit((now - STEP_BACK_S).max(0.0)))
    };
    let note = if f.changes > 0 {
        format!(
            "Seeking back re-runs the scenario from a copy kept on the way (or from 0 s); your {} live change{} (users, servers, kills, repairs) {} replayed at {} times, and \"Copy link\" carries them.",
            f.changes,
            if f.changes == 1 { "" } else { "s" },
            if f.changes == 1 { "is" } else { "are" },
            if f.changes == 1 { "its" } else { "their" },
        )
    } else {
        "Seeking back re-runs the scenario from a copy kept on the way (or from 0 s), exactly as before; live changes you make are replayed at their times.".to_string()
    };
    html! {
        <section class="timeline card" aria-label="Timeline" data-timeline=""
            data-seeking={f.seeking.is_some().to_string()}
            data-recorded={f.seeking.and_then(|s| s.recorded_s).is_some().to_string()}
            data-checkpoints={f.checkpoints.to_string()}>
            <button class="btn" data-action="step-back" onclick={on_back}
                disabled={now <= 0.0}
                title={format!("Go back {STEP_BACK_S} simulated seconds (re-runs from the latest copy before then)")}>
                { format!("−{STEP_BACK_S} s") }
            </button>
            <label class="control control-timeline">
                { "Time" }
                <input type="range" data-control="timeline" min="0"
                    max={format!("{end:.1}")} step="0.1" value={format!("{now:.1}")}
                    onchange={on_change}
                    aria-valuetext={format!("{now:.1} of {end:.1} simulated seconds")} />
                <span class="control-value" data-value="timeline">
                    { format!("{now:.1} / {end:.0} s") }
                </span>
            </label>
            if !props.scheduled.is_empty() {
                <ol class="timeline-marks" aria-label="Scheduled in this run"
                    style={format!("height:{}px", 12 + 15 * props.scheduled.len())}>
                    { for props.scheduled.iter().enumerate().map(|(i, s)| mark(s, i, end, &props.on_seek)) }
                </ol>
            }
            if let Some(seek) = f.seeking {
                <span class="seek-progress" role="status" data-seek-progress="">
                    { seek_text(&seek) }
                </span>
            }
            <p class="hint">{ note }</p>
        </section>
    }
}

/// What the timeline says while a seek is under way.
fn seek_text(seek: &SeekProgress) -> String {
    let done = seek.done * 100.0;
    let Some(at) = seek.recorded_s else {
        return format!("Re-running to {:.1} s… {done:.0}%", seek.target_s);
    };
    let pace = if seek.rerun_speed > 0.0 {
        format!(" at {:.1}× real time", seek.rerun_speed)
    } else {
        String::new()
    };
    let mut text = format!(
        "Recorded figures at {at:.1} s (no requests drawn); catching up: the simulation re-runs from {:.0} s{pace}, {done:.0}%.",
        seek.from_s
    );
    // Changes apply where the seek goes (the frame shown, or the time asked for, up to one
    // frame spacing after it).
    let to = seek.target_s;
    match seek.waiting_changes {
        0 => {}
        1 => text.push_str(&format!(
            " Your change waits for it and is applied at {to:.1} s."
        )),
        n => text.push_str(&format!(
            " Your {n} changes wait for it and are applied at {to:.1} s."
        )),
    }
    text
}

/// One scheduled happening on the timeline: a tick at its start (and a band while it lasts),
/// its label on the `row`-th line below so labels never overlap; pressing it seeks there.
fn mark(s: &Scheduled, row: usize, end: f64, on_seek: &Callback<f64>) -> Html {
    let at = |t: f64| (t / end.max(1e-9) * 100.0).clamp(0.0, 100.0);
    let left = at(s.at_s);
    let width = s.until_s.map_or(0.0, |u| at(u) - left);
    let kind = match s.kind {
        ScheduledKind::Fault => "fault",
        ScheduledKind::Load => "load",
        ScheduledKind::Deploy => "deploy",
        ScheduledKind::Reshard => "reshard",
    };
    let text = format!("{:.0} s: {}", s.at_s, s.text);
    let seek_to = s.at_s;
    let onclick = on_seek.reform(move |_: MouseEvent| seek_to);
    html! {
        <li class={classes!("timeline-mark", kind)} data-mark={kind}
            style={format!("left:{left:.2}%;width:{width:.2}%")}>
            <button class="timeline-mark-button" title={format!("{text} (go there)")}
                aria-label={format!("{text}; go there")} onclick={onclick}>
                <span class="timeline-mark-label" style={format!("top:{}px", 11 + 15 * row)}>{ text }</span>
            </button>
        </li>
    }
}
