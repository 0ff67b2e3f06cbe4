//! The live figures. Every figure sits in an element with `data-metric="NAME"` whose text is
//! just the number, so tests and automation can read it.

use std::rc::Rc;

use yew::prelude::*;

use super::diagram::load_colour;
use super::format::{count, figure, grouped};
use super::state::Figures;
use crate::scenario::{Scenario, SessionMode};
use crate::sim::{ComponentId, ReshardProgress};

/// Properties of [`Metrics`].
#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    /// Latest figures.
    pub figures: Rc<Figures>,
    /// The server whose utilization and queue are shown.
    pub server: Option<ComponentId>,
    /// Chosen speed, in simulated seconds per real second.
    pub speed: f64,
    /// Whether simulated time runs.
    pub playing: bool,
    /// Whether the database has replicas (shows lost writes and stale reads).
    pub replicated: bool,
    /// What runs (which stage figures apply: cache, CDN, sessions, queue).
    pub scenario: Rc<Scenario>,
}

/// The figure cards under the diagram, and a status line.
#[function_component(Metrics)]
pub fn metrics(props: &MetricsProps) -> Html {
    let f = &props.figures;
    let server = props.server.and_then(|id| f.component(id));
    let utilization = server.map_or(0.0, |s| s.utilization);
    let (queue_len, queue_capacity) = server.map_or((0, 0), |s| (s.queue_len, s.queue_capacity));
    let (busy, workers) = server.map_or((0, 0), |s| (s.busy_workers, s.workers));
    let server_down = server.is_some_and(|s| !s.alive);
    let failed_share = if f.requests_total > 0 {
        f.requests_failed as f64 / f.requests_total as f64
    } else {
        0.0
    };
    let failed_class = if failed_share > 0.05 {
        "bad"
    } else if f.requests_failed > 0 {
        "warn"
    } else {
        ""
    };
    let p99 = f.latency_p99_ms.unwrap_or(0.0);
    let p99_class = if p99 > 1000.0 {
        "bad"
    } else if p99 > 300.0 {
        "warn"
    } else {
        ""
    };
    let window = figure(f.latency_window_s);
    // Mean busy workers over the same moments as the load: the two always agree.
    let mean_busy = utilization * f64::from(workers);
    let queue_fill = if queue_capacity > 0 {
        f64::from(queue_len) / f64::from(queue_capacity)
    } else {
        0.0
    };
    html! {
        <section class="metrics-block" aria-label="Live figures">
            <div class="metrics">
                { card("Throughput", html! { <>
                    <span data-metric="throughput_per_s">{ figure(f.throughput_per_s) }</span>
                    <span class="metric-unit">{ "req/s" }</span></> },
                    html! { <>{ "offered now " }<span data-metric="offered_per_s">{ grouped(f.offered_per_s.round() as u64) }</span>{ " req/s" }</> }, "") }
                { card("Latency p99", html! { <>
                    if let Some(p99) = f.latency_p99_ms {
                        <span data-metric="latency_p99_ms">{ figure(p99) }</span>
                        <span class="metric-unit">{ "ms" }</span>
                    } else {
                        <span data-metric="latency_p99_ms" data-empty="true"
                            title="no request completed in this window">{ "–" }</span>
                    }</> },
                    html! { <>{ format!("last {window} s · run median ") }{ figure(f.latency_p50_ms) }{ " ms" }</> }, p99_class) }
                { card("Requests", html! {
                    <span data-metric="requests_total">{ grouped(f.requests_total) }</span> },
                    html! { <><span data-metric="in_flight">{ grouped(f.in_flight) }</span>{ " in flight" }</> }, "") }
                { card("Failed", html! {
                    <span data-metric="requests_failed">{ grouped(f.requests_failed) }</span> },
                    html! { <>{ format!("{:.1} % of requests", failed_share * 100.0) }</> }, failed_class) }
                if f.geo.is_some() {
                    { geo_cards(f) }
                } else {
                <div class={classes!("metric", "card", server_down.then_some("bad"))}>
                    <span class="metric-label">{ "Server load" }</span>
                    <span class="metric-value">
                        if server_down {
                            { "down" }
                            <span hidden=true data-metric="utilization">{ "0" }</span>
                        } else {
                            <span data-metric="utilization">{ format!("{:.0}", utilization * 100.0) }</span>
                            <span class="metric-unit">{ "%" }</span>
                        }
                    </span>
                    <div class="meter"><span style={format!("width:{:.1}%;background:{}", utilization.clamp(0.0, 1.0) * 100.0, load_colour(utilization))}></span></div>
                    <span class="metric-note" title="load is the mean share of workers busy over the last moments">
                        { format!("mean {mean_busy:.1} of {} busy (now {busy})", count(u64::from(workers), "worker", "workers")) }
                    </span>
                </div>
                <div class="metric card">
                    <span class="metric-label">{ "Queue" }</span>
                    <span class="metric-value">
                        <span data-metric="queue_len">{ queue_len }</span>
                        <span class="metric-unit">{ format!("/ {queue_capacity}") }</span>
                    </span>
                    <div class="meter"><span style={format!("width:{:.1}%;background:{}", queue_fill.clamp(0.0, 1.0) * 100.0, load_colour(queue_fill))}></span></div>
                    <span class="metric-note">{ "waiting for a worker" }</span>
                </div>
                }
                if props.replicated {
                    { card("Writes lost", html! {
                        <span data-metric="writes_lost">{ grouped(f.writes_lost) }</span> },
                        html! { "in failovers" }, if f.writes_lost > 0 { "bad" } else { "" }) }
                    { card("Stale reads", html! {
                        <span data-metric="stale_reads">{ grouped(f.stale_reads) }</span> },
                        html! { "replica missed a write" }, if f.stale_reads > 0 { "warn" } else { "" }) }
                }
                { stage_cards(f, &props.scenario) }
            </div>
            <p class="statusbar">
                <span>{ "sim time " }<b data-metric="sim_time_s">{ format!("{:.2}", f.sim_time_s) }</b>{ " s" }</span>
                <span>{ "speed " }<b data-metric="sim_speed">{ figure(f.sim_speed) }</b>{ format!("× (chosen {}×)", props.speed) }</span>
                <span>{ "frames " }<b data-metric="fps">{ format!("{:.0}", f.fps) }</b>{ " fps" }</span>
                <span data-sim-place={f.sim_place.slug()}>{ f.sim_place.text() }</span>
                if f.lagging {
                    <span class="lagging">{ "the simulation cannot keep up with this speed" }</span>
                }
                if !props.playing {
                    <span>{ "paused" }</span>
                }
            </p>
        </section>
    }
}

/// Figures of the mechanisms of stages 5–8, shown when the scenario has them.
fn stage_cards(f: &Figures, scenario: &Scenario) -> Html {
    let pct = |x: f64| format!("{:.1}", (x * 100.0).clamp(0.0, 100.0));
    let sticky = scenario
        .sessions
        .as_ref()
        .is_some_and(|s| s.mode == SessionMode::Sticky);
    html! { <>
        if scenario.cache.is_some() {
            { card("Cache hits", html! { <>
                <span data-metric="cache_hit_ratio">{ pct(f.cache_hit_ratio) }</span>
                <span class="metric-unit">{ "%" }</span></> },
                html! { <><span data-metric="stale_cache_reads">{ grouped(f.stale_cache_reads) }</span>{ if f.stale_cache_reads == 1 { " stale hit" } else { " stale hits" } }</> },
                if f.cache_hit_ratio < 0.5 { "warn" } else { "" }) }
            { card("Database load", html! { <>
                <span data-metric="db_utilization">{ format!("{:.0}", f.db_utilization * 100.0) }</span>
                <span class="metric-unit">{ "%" }</span></> },
                html! { "mean of the nodes up" },
                if f.db_utilization > 0.85 { "bad" } else if f.db_utilization > 0.6 { "warn" } else { "" }) }
        }
        if scenario.cdn.is_some() {
            { card("CDN edge hits", html! { <>
                <span data-metric="cdn_hit_ratio">{ pct(f.cdn_hit_ratio) }</span>
                <span class="metric-unit">{ "%" }</span></> },
                html! { "of static requests" }, "") }
        }
        if scenario.autoscaling.is_some() || scenario.sessions.is_some() {
            { card("Web servers", html! {
                <span data-metric="web_servers">{ f.web_servers }</span> },
                html! { <>{ "in service" }
                    if sticky {
                        { " · " }<span data-metric="logged_out">{ f.logged_out }</span>{ " logged out" }
                    }
                </> }, "") }
        }
        if scenario.queue.is_some() {
            { card("Queue backlog", html! { <>
                <span data-metric="queue_depth">{ grouped(u64::from(f.queue_depth)) }</span>
                <span class="metric-unit">{ "jobs" }</span></> },
                html! { "waiting for a worker" }, if f.queue_depth > 1000 { "warn" } else { "" }) }
        }
        if scenario.monitoring.is_some() {
            { business_cards(f) }
        }
        if let Some(r) = &f.reshard {
            { reshard_card(r) }
        }
    </> }
}

/// The latest resharding: the share of its moved keys already copied to their new shards.
fn reshard_card(r: &ReshardProgress) -> Html {
    let share = if r.keys_moved == 0 {
        1.0
    } else {
        r.keys_copied as f64 / r.keys_moved as f64
    };
    let note = if r.finished {
        format!(
            "{} → {} shards: {} keys moved",
            r.from_shards, r.to_shards, r.keys_moved
        )
    } else {
        format!(
            "{} → {} shards: {} of {} keys copied",
            r.from_shards, r.to_shards, r.keys_copied, r.keys_moved
        )
    };
    card(
        "Resharding copy",
        html! { <>
        <span data-metric="reshard_copied_percent">{ format!("{:.0}", share * 100.0) }</span>
        <span class="metric-unit">{ "%" }</span></> },
        html! { { note } },
        if r.finished { "" } else { "warn" },
    )
}

/// The business figures of stage 9, as the simulation measured them over its last metrics
/// interval: distinct users who sent a request, page views and writes answered per second.
fn business_cards(f: &Figures) -> Html {
    html! { <>
        { card("Active users", html! {
            <span data-metric="active_users">{ grouped(f.active_users) }</span> },
            html! { "sent a request in the last second" }, "") }
        { card("Page views", html! { <>
            <span data-metric="page_views_per_s">{ figure(f.page_views_per_s) }</span>
            <span class="metric-unit">{ "/s" }</span></> },
            html! { <><span data-metric="writes_per_s">{ figure(f.writes_per_s) }</span>{ " writes/s" }</> }, "") }
    </> }
}

/// Stage 11: each data center's traffic and state, and cross-data-center replication, as the
/// simulation measured them over its last metrics interval. These replace the single server's
/// load and queue, which mean little with two whole stacks.
fn geo_cards(f: &Figures) -> Html {
    let Some(geo) = f.geo.as_deref() else {
        return html! {};
    };
    let last = geo.last.as_ref();
    let window = figure(f.latency_window_s);
    let data_centers = geo
        .data_centers
        .iter()
        .enumerate()
        .map(|(i, (name, _, up, in_dns))| {
            // Per metrics interval; before the first completes, over the time run so far.
            let per_s = geo.requests_per_s.get(i).copied();
            let answered = last
                .and_then(|p| p.users_by_answer.get(i))
                .copied()
                .unwrap_or(0);
            let state = match (up, in_dns) {
                (true, true) => "up · in DNS",
                (true, false) => "up · out of DNS",
                (false, true) => "down · still in DNS",
                (false, false) => "down · out of DNS",
            };
            let class = if !up {
                "bad"
            } else if !in_dns {
                "warn"
            } else {
                ""
            };
            html! {
                <div class={classes!("metric", "card", (!class.is_empty()).then_some(class))}
                    data-dc={name.clone()}>
                    <span class="metric-label">{ name.clone() }</span>
                    <span class="metric-value">
                        if let Some(per_s) = per_s {
                            <span data-metric={format!("dc_{name}_per_s")}>{ figure(per_s) }</span>
                        } else {
                            <span data-metric={format!("dc_{name}_per_s")} data-empty="true">{ "–" }</span>
                        }
                        <span class="metric-unit">{ format!("req/s, last {window} s") }</span>
                    </span>
                    <span class="metric-note">
                        { state }{ " · " }
                        <span data-metric={format!("dc_{name}_users")}>{ grouped(answered) }</span>
                        { " users' answers" }
                    </span>
                </div>
            }
        });
    let lag_ms = last.map_or(0.0, |p| p.replication_lag_ms);
    let at_risk = last.map_or(0, |p| p.writes_at_risk);
    html! { <>
        { for data_centers }
        { card("Cross-DC lag", html! { <>
            <span data-metric="replication_lag_ms">{ figure(lag_ms) }</span>
            <span class="metric-unit">{ "ms" }</span></> },
            html! { <><span data-metric="writes_at_risk">{ grouped(at_risk) }</span>{ if at_risk == 1 { " write at risk" } else { " writes at risk" } }</> },
            if lag_ms > 1000.0 { "warn" } else { "" }) }
        { card("Lost with a DC", html! {
            <span data-metric="writes_lost_cross_dc">{ grouped(geo.writes_lost) }</span> },
            html! { "committed writes not yet shipped" }, if geo.writes_lost > 0 { "bad" } else { "" }) }
    </> }
}

fn card(label: &'static str, value: Html, note: Html, class: &'static str) -> Html {
    html! {
        <div class={classes!("metric", "card", (!class.is_empty()).then_some(class))}>
            <span class="metric-label">{ label }</span>
            <span class="metric-value">{ value }</span>
            <span class="metric-note">{ note }</span>
        </div>
    }
}
