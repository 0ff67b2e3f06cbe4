//! Play/pause, restart, speed, the users slider, and the parameters that matter at the stage
//! shown (web servers, balancing policy, database workers, replicas). Each control only emits
//! an [`Action`].

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::format::grouped;
use super::state::{
    slider_from_users, users_from_slider, Action, REPLICAS_MAX, SPEEDS, USERS_SLIDER_STEPS,
    WEB_SERVERS_MAX,
};
use crate::scenario::{BalancePolicy, Eviction, Scenario, SessionMode};

/// Database workers offered (vertical scaling).
const DB_WORKERS: [u32; 6] = [2, 4, 8, 16, 32, 64];
/// Items per cache node offered.
const CACHE_ITEMS: [u32; 6] = [1_000, 2_500, 5_000, 10_000, 20_000, 50_000];
/// Cache time to live offered, in seconds (0: never expires).
const CACHE_TTLS_S: [u32; 6] = [5, 30, 60, 300, 3_600, 0];
/// Eviction policies offered, with their labels.
const EVICTIONS: [(Eviction, &str); 3] = [
    (Eviction::Lru, "LRU"),
    (Eviction::Lfu, "LFU"),
    (Eviction::Fifo, "FIFO"),
];
/// Session modes offered, with their labels.
const SESSION_MODES: [(SessionMode, &str); 2] = [
    (SessionMode::SharedStore, "shared store"),
    (SessionMode::Sticky, "sticky"),
];
/// Queue workers offered (at the start of the run).
const QUEUE_WORKERS: [u32; 7] = [0, 4, 8, 16, 24, 48, 64];
/// Balancing policies offered, with their labels.
const POLICIES: [(BalancePolicy, &str); 3] = [
    (BalancePolicy::RoundRobin, "round robin"),
    (BalancePolicy::LeastConnections, "least connections"),
    (BalancePolicy::Random, "random"),
];

/// Properties of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// Whether simulated time runs.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed_index: usize,
    /// What runs (users, servers, policies).
    pub scenario: Rc<Scenario>,
    /// Where actions go.
    pub on_action: Callback<Action>,
    /// Copies a link to the current scenario.
    pub on_copy_link: Callback<()>,
    /// Starts a rolling deploy of the web pool numbered so (0: the first; one server at a
    /// time, drained).
    pub on_deploy: Callback<u8>,
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
    // The pool the Deploy button rolls, picked beside it when there are several.
    let deploy_pool = use_state(|| 0u8);
    let pools = props.scenario.more_web_pools.len();
    let on_deploy = {
        let cb = props.on_deploy.clone();
        let pool = (*deploy_pool).min(pools as u8);
        Callback::from(move |_: MouseEvent| cb.emit(pool))
    };
    let on_deploy_pool = {
        let deploy_pool = deploy_pool.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(pool) = select.value().parse::<u8>() {
                deploy_pool.set(pool);
            }
        })
    };
    let pool_names: Vec<String> = std::iter::once("web".to_string())
        .chain(props.scenario.more_web_pools.iter().map(|m| m.name.clone()))
        .collect();
    let play_label = if props.playing { "Pause" } else { "Play" };
    let users = props.scenario.traffic.users;
    let on_copy = {
        let cb = props.on_copy_link.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
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
                    value={slider_from_users(users).to_string()}
                    oninput={on_users}
                    aria-valuetext={format!("{} users", grouped(users))} />
                <span class="control-value" data-value="users">{ grouped(users) }</span>
            </label>
            { stage_controls(&props.scenario, &props.on_action) }
            if props.scenario.load_balancer.is_some() && pools > 0 {
                <label class="control">
                    { "Deploy pool" }
                    <select data-control="deploy-pool" onchange={on_deploy_pool}
                        title="The web pool the Deploy button rolls; the other pools keep serving at full size">
                        { for pool_names.iter().enumerate().map(|(i, name)| html! {
                            <option value={i.to_string()} selected={i == usize::from(*deploy_pool)}>{ name.clone() }</option>
                        }) }
                    </select>
                </label>
            }
            if props.scenario.load_balancer.is_some() {
                <button class="btn" data-action="deploy" onclick={on_deploy}
                    title="Deploy a new version: one server at a time leaves the pool, drains, restarts (5 s) and rejoins once healthy">
                    { "Deploy" }
                </button>
            }
            <button class="btn" data-action="copy-link" onclick={on_copy}
                title="Copy a link that opens exactly this scenario">
                <svg viewBox="0 0 14 14" aria-hidden="true"><path d="M5.5,8.5 L8.5,5.5 M6,3.5 L7.5,2 A2.5,2.5 0 0 1 12,5.5 L10.5,7 M8,10.5 L6.5,12 A2.5,2.5 0 0 1 2,8.5 L3.5,7" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" /></svg>
                { "Copy link" }
            </button>
        </div>
    }
}

/// The controls that only make sense once the stage has the component they change.
fn stage_controls(scenario: &Scenario, on_action: &Callback<Action>) -> Html {
    let select = |make: fn(u32) -> Action| on_count(on_action, make);
    let number_options = |range: std::ops::RangeInclusive<u32>, current: u32| {
        range
            .map(|n| html! { <option value={n.to_string()} selected={n == current}>{ n }</option> })
            .collect::<Html>()
    };
    let lb = scenario.load_balancer.as_ref();
    let db = scenario.database.as_ref();
    let choice = |values: &[u32], current: u32, label: fn(u32) -> String| {
        values
            .iter()
            .map(|&n| html! { <option value={n.to_string()} selected={n == current}>{ label(n) }</option> })
            .collect::<Html>()
    };
    let items_label = |n: u32| grouped(u64::from(n));
    let ttl_label = |n: u32| {
        if n == 0 {
            "never".to_string()
        } else if n >= 3600 {
            format!("{} h", n / 3600)
        } else if n >= 60 {
            format!("{} min", n / 60)
        } else {
            format!("{n} s")
        }
    };
    html! { <>
        if let Some(lb) = lb {
            <label class="control">
                { if scenario.more_web_pools.is_empty() { "Web servers" } else { "Servers of web" } }
                <select data-control="web-servers" onchange={select(Action::SetWebServers)}
                    title={if scenario.geo.is_some() {
                        "Servers in the pool of every data center; changes live"
                    } else if scenario.more_web_pools.is_empty() {
                        "Servers in the pool; changes live"
                    } else {
                        "Servers in the first web pool (web-0…); changes live. The other pools keep their size"
                    }}>
                    { server_options(scenario.server.count) }
                </select>
            </label>
            { data_center_servers(scenario, on_action) }
            { for scenario.more_web_pools.iter().enumerate().map(|(i, m)| {
                let pool = (i + 1) as u8;
                let onchange = on_count(on_action, move |n| Action::SetPoolServers(pool, n));
                html! {
                    <label class="control">
                        { format!("Servers of {}", m.name) }
                        <select data-control="pool-servers" data-pool={m.name.clone()} {onchange}
                            title={format!("Servers in the web pool {} ({}-0…); changes live. The other pools keep their size", m.name, m.name)}>
                            { server_options(m.server.count) }
                        </select>
                    </label>
                }
            }) }
            <label class="control">
                { "Balancing" }
                <select data-control="policy" onchange={select(|i| Action::SetPolicy(
                        POLICIES.get(i as usize).map_or(BalancePolicy::RoundRobin, |p| p.0)))}
                    title="How the load balancer picks a server; restarts the run">
                    { for POLICIES.iter().enumerate().map(|(i, (p, label))| html! {
                        <option value={i.to_string()} selected={*p == lb.policy}>{ *label }</option>
                    }) }
                </select>
            </label>
        }
        if let Some(db) = db {
            <label class="control">
                { "DB workers" }
                <select data-control="db-workers" onchange={select(Action::SetDbWorkers)}
                    title="Workers per database node (scaling up); restarts the run">
                    { for DB_WORKERS.iter().map(|&n| html! {
                        <option value={n.to_string()} selected={n == db.workers}>{ n }</option>
                    }) }
                </select>
            </label>
            if scenario.stage >= 4 {
                <label class="control">
                    { "Replicas" }
                    <select data-control="replicas" onchange={select(Action::SetReplicas)}
                        title="Read replicas of the master; restarts the run">
                        { number_options(0..=REPLICAS_MAX, db.replicas) }
                    </select>
                </label>
            }
        }
        if let Some(cache) = &scenario.cache {
            <label class="control">
                { "Cache size" }
                <select data-control="cache-items" onchange={select(Action::SetCacheCapacity)}
                    title="Items each cache node holds; restarts the run">
                    { choice(&CACHE_ITEMS, cache.capacity_items, items_label) }
                </select>
            </label>
            <label class="control">
                { "Cache TTL" }
                <select data-control="cache-ttl" onchange={select(Action::SetCacheTtl)}
                    title="How long a cached value lives; restarts the run">
                    { choice(&CACHE_TTLS_S, cache.ttl_s.round() as u32, ttl_label) }
                </select>
            </label>
            <label class="control">
                { "Eviction" }
                <select data-control="eviction" onchange={select(|i| Action::SetEviction(
                        EVICTIONS.get(i as usize).map_or(Eviction::Lru, |e| e.0)))}
                    title="Which item a full cache node drops; restarts the run">
                    { for EVICTIONS.iter().enumerate().map(|(i, (e, label))| html! {
                        <option value={i.to_string()} selected={*e == cache.eviction}>{ *label }</option>
                    }) }
                </select>
            </label>
        }
        if let Some(sessions) = &scenario.sessions {
            <label class="control">
                { "Sessions" }
                <select data-control="sessions" onchange={select(|i| Action::SetSessionMode(
                        SESSION_MODES.get(i as usize).map_or(SessionMode::SharedStore, |m| m.0)))}
                    title="Where users' sessions live; restarts the run">
                    { for SESSION_MODES.iter().enumerate().map(|(i, (m, label))| html! {
                        <option value={i.to_string()} selected={*m == sessions.mode}>{ *label }</option>
                    }) }
                </select>
            </label>
        }
        if let Some(queue) = &scenario.queue {
            <label class="control">
                { "Queue workers" }
                <select data-control="queue-workers" onchange={select(Action::SetQueueWorkers)}
                    title="Workers at the start (the scaler adjusts them to the backlog); restarts the run">
                    { choice(&QUEUE_WORKERS, queue.workers, |n| n.to_string()) }
                </select>
            </label>
        }
    </> }
}

/// Web-server counts offered: one by one up to 16, then larger steps up to
/// [`WEB_SERVERS_MAX`], and the scenario's own count wherever it falls.
fn web_server_choices(current: u32) -> Vec<u32> {
    let mut values: Vec<u32> = (1..=16)
        .chain([24, 32, 48, 64, 100, 128])
        .filter(|&n| n <= WEB_SERVERS_MAX)
        .collect();
    if !values.contains(&current) {
        values.push(current);
        crate::order::sort_by_keys(&mut values, |&n| (u64::from(n), 0));
    }
    values
}

/// Stage 11: one "Web servers" control per data center, for its pool alone (live; the
/// shared control above sets every data center's again). Shows the data center's own count,
/// or the shared one where it has none.
fn data_center_servers(scenario: &Scenario, on_action: &Callback<Action>) -> Html {
    let Some(geo) = &scenario.geo else {
        return Html::default();
    };
    let own = scenario.data_center_server_counts();
    let controls = geo.data_centers.iter().zip(own).enumerate().map(|(i, (dc, own))| {
        let current = own.unwrap_or(scenario.server.count);
        let number = i as u8;
        let onchange = on_count(on_action, move |n| Action::SetDataCenterServers(number, n));
        html! {
            <label class="control">
                { format!("in {}", dc.name) }
                <select data-control="dc-servers" data-dc={dc.name.clone()} {onchange}
                    title={format!("Servers in {}'s pool alone; changes live. The other data centers keep theirs", dc.name)}>
                    { server_options(current) }
                </select>
            </label>
        }
    });
    html! { { for controls } }
}

/// The options of a web-server count select: the usual counts and `current`, selected.
fn server_options(current: u32) -> Html {
    (web_server_choices(current).into_iter())
        .map(|n| html! { <option value={n.to_string()} selected={n == current}>{ n }</option> })
        .collect()
}

/// A select's change handler that sends `make(count)` for the count picked.
fn on_count(
    on_action: &Callback<Action>,
    make: impl Fn(u32) -> Action + 'static,
) -> Callback<Event> {
    let cb = on_action.clone();
    Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        if let Ok(n) = select.value().parse::<u32>() {
            cb.emit(make(n));
        }
    })
}
