//! Stage 11's region view in SVG: the user regions, geoDNS, one box per data center, the routes
//! users' answers take, and cross-data-center replication. The geometry comes from
//! [`crate::layout_geo`]; the figures from [`crate::sim::GeoStatus`] (through [`Figures::geo`]).

use yew::prelude::*;

use super::diagram::{interaction, DiagramProps, Interaction};
use super::format::{grouped, percent};
use super::runner::Op;
use crate::layout::font;
use crate::layout::{Diagram, DiagramNode};
use crate::layout_geo::{GeoDataCenter, GeoView};
use crate::sim::{ComponentKind, GeoStatus};

/// The whole region view: routes and links first, boxes over them.
pub fn geo_view(d: &Diagram, view: &GeoView, props: &DiagramProps) -> Html {
    let status = props.figures.geo.as_deref();
    let dns_lines = d.lines.iter().map(|l| {
        let ((x1, y1), (x2, y2)) = (l.from, l.to);
        html! {
            <path class="edge" d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")}
                marker-end="url(#arrow)" />
        }
    });
    html! {
        <g class="geo-view" data-geo="">
            <g class="geo-routes">{ routes(view, status) }</g>
            { for dns_lines }
            { links(view, status) }
            { for d.nodes.iter().map(|n| match n.kind {
                ComponentKind::Users => region_view(n, view, status),
                ComponentKind::DataCenter => view
                    .data_centers
                    .iter()
                    .find(|dc| dc.component == n.component)
                    .map_or_else(|| html! {}, |dc| data_center_view(n, dc, view, props)),
                _ => dns_view(n, props),
            }) }
        </g>
    }
}

/// Index of a data center in the view (and in the status, which lists them in the same order).
fn dc_index(view: &GeoView, dc: &GeoDataCenter) -> usize {
    view.data_centers
        .iter()
        .position(|x| x.component == dc.component)
        .unwrap_or(0)
}

/// A route from each region to each data center; the one geoDNS answers the region with now
/// is drawn solid and as thick as the region is large, the others faint.
fn routes(view: &GeoView, status: Option<&GeoStatus>) -> Html {
    let total: u64 = status.map_or(0, |s| s.regions.iter().map(|r| r.1).sum());
    view.routes
        .iter()
        .map(|r| {
            let answered = status.and_then(|s| s.answers.get(r.region)) == Some(&r.data_center);
            let up = status
                .and_then(|s| s.data_centers.get(r.data_center))
                .is_none_or(|dc| dc.2);
            let users = status
                .and_then(|s| s.regions.get(r.region))
                .map_or(0, |x| x.1);
            let share = if total > 0 {
                users as f64 / total as f64
            } else {
                0.0
            };
            let width = if answered { 2.0 + 6.0 * share } else { 1.5 };
            let class = classes!(
                "route",
                answered.then_some("answered"),
                (answered && !up).then_some("into-outage"),
            );
            let ((x1, y1), (x2, y2)) = (r.from, r.to);
            html! {
                <path class={class} data-route={format!("{}-{}", r.region, r.data_center)}
                    d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")}
                    stroke-width={format!("{width:.1}")}
                    marker-end={answered.then_some("url(#arrow-route)")} />
            }
        })
        .collect::<Html>()
}

/// Cross-data-center replication: a two-way link that flows while both ends are up, captioned
/// with the lag, the writes not yet shipped, and the writes lost with a failed data center.
fn links(view: &GeoView, status: Option<&GeoStatus>) -> Html {
    let last = status.and_then(|s| s.last.as_ref());
    let lag_ms = last.map_or(0.0, |p| p.replication_lag_ms);
    let at_risk = last.map_or(0, |p| p.writes_at_risk);
    let lost = status.map_or(0, |s| s.writes_lost);
    view.links.iter().map(|l| {
        let up = |i: usize| {
            status
                .and_then(|s| s.data_centers.get(i))
                .is_none_or(|dc| dc.2)
        };
        let flowing = up(l.a) && up(l.b);
        let ((x1, y1), (x2, y2)) = (l.from, l.to);
        let (cx, cy) = l.caption;
        html! {
            <g class="geo-link" data-link={format!("{}-{}", l.a, l.b)}>
                <path class={classes!("replication", (!flowing).then_some("stalled"))}
                    style={flowing.then(super::diagram::stream_style)}
                    d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")}
                    marker-start="url(#arrow-repl)" marker-end="url(#arrow-repl)" />
                <text class="geo-caption" x={format!("{cx:.1}")} y={format!("{cy:.1}")}
                    font-size={font::BODY.to_string()}>
                    <tspan class="geo-caption-title">{ "cross-DC replication" }</tspan>
                    <tspan x={format!("{cx:.1}")} dy="17">
                        { format!("lag {} ms · {} writes at risk", grouped(lag_ms.round() as u64), grouped(at_risk)) }
                    </tspan>
                    <tspan x={format!("{cx:.1}")} dy="17"
                        class={classes!((lost > 0).then_some("geo-lost"))}>
                        { format!("{} lost with a failed data center", grouped(lost)) }
                    </tspan>
                </text>
            </g>
        }
    }).collect::<Html>()
}

/// A region: its name, its users, and where geoDNS sends them now (with the round trip).
fn region_view(n: &DiagramNode, view: &GeoView, status: Option<&GeoStatus>) -> Html {
    let r = view
        .regions
        .iter()
        .position(|&id| id == n.component)
        .unwrap_or(0);
    let users = status.and_then(|s| s.regions.get(r)).map_or(0, |x| x.1);
    let answer = status.and_then(|s| {
        let dc = *s.answers.get(r)?;
        let (name, region, _, _) = s.data_centers.get(dc)?;
        let rtt = s.rtt_ms.get(r)?.get(*region)?;
        Some((name.clone(), *rtt))
    });
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let hint = answer.as_ref().map_or_else(String::new, |(name, rtt)| {
        format!("→ {name} · {} ms round trip", rtt.round() as u64)
    });
    html! {
        <g class="node kind-users region" data-region={n.label.clone()}
            data-users={users.to_string()}
            data-answer={answer.map(|(name, _)| name)}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role="img" aria-label={format!("{}: {} users. {hint}", n.label, grouped(users))}>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="11" cy="11" r="9" />
                <ellipse cx="11" cy="11" rx="4" ry="9" />
                <path d="M2,11 H20" />
            </g>
            <text class="node-title" x="44" y="30" font-size={font::TITLE.to_string()}>{ n.label.clone() }</text>
            <text class="node-sub" x="44" y="49" font-size={font::BODY.to_string()}>{ format!("{} users", grouped(users)) }</text>
            <text class="node-hint" x="14" y="72" font-size={font::SMALL.to_string()}>{ hint }</text>
        </g>
    }
}

/// geoDNS: up or down, clickable like any component.
fn dns_view(n: &DiagramNode, props: &DiagramProps) -> Html {
    let Interaction {
        class,
        health,
        selected,
        on_click,
        on_key,
        ..
    } = interaction(n, props);
    let down = health == super::diagram::Health::Down;
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let detail = if down {
        "DOWN"
    } else {
        "nearest healthy data center"
    };
    html! {
        <g key={n.component.0} class={class} data-component={n.label.clone()} data-kind="dns"
            data-alive={(!down).to_string()}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role="button" tabindex="0"
            aria-pressed={selected.to_string()} onclick={on_click} onkeydown={on_key}>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="11" cy="11" r="9" />
                <ellipse cx="11" cy="11" rx="4" ry="9" />
                <path d="M2,11 H20" />
            </g>
            <text class="node-title" x="44" y="31" font-size={font::TITLE.to_string()}>{ "geoDNS" }</text>
            <text class="node-sub" x="14" y="56" font-size={font::BODY.to_string()}>{ detail }</text>
        </g>
    }
}

/// A data center: name, region, up/down, whether geoDNS names it, its traffic, the users whose
/// cached answer names it, its load, and a control to take it down or bring it back.
fn data_center_view(
    n: &DiagramNode,
    dc: &GeoDataCenter,
    view: &GeoView,
    props: &DiagramProps,
) -> Html {
    let Interaction {
        mut class,
        selected,
        on_click,
        on_key,
        ..
    } = interaction(n, props);
    let i = dc_index(view, dc);
    let status = props.figures.geo.as_deref();
    let entry = status.and_then(|s| s.data_centers.get(i));
    let up = entry.is_none_or(|e| e.2);
    let in_dns = entry.is_none_or(|e| e.3);
    let region = entry
        .and_then(|e| status.and_then(|s| s.regions.get(e.1)))
        .map_or_else(String::new, |r| r.0.clone());
    let per_s = status
        .and_then(|s| s.requests_per_s.get(i))
        .copied()
        .unwrap_or(0.0);
    let answered = status
        .and_then(|s| s.users_by_answer.get(i))
        .copied()
        .unwrap_or(0);
    if up && !in_dns {
        class.push("out-of-pool");
    }
    let state_text = match (up, in_dns) {
        (true, true) => "up · in geoDNS",
        (true, false) => "up · not in geoDNS yet",
        (false, true) => "DOWN · geoDNS still names it",
        (false, false) => "DOWN · out of geoDNS",
    };
    let members = |kind: ComponentKind| {
        dc.members
            .iter()
            .zip(&dc.kinds)
            .filter(|(id, k)| {
                **k == kind && props.figures.component(**id).is_none_or(|s| !s.retired)
            })
            .count()
    };
    let stack = format!(
        "{} web · {} db nodes · {} cache nodes",
        members(ComponentKind::Server),
        members(ComponentKind::Database),
        members(ComponentKind::Cache),
    );
    let u = props
        .figures
        .component(n.component)
        .map_or(0.0, |s| s.utilization)
        .clamp(0.0, 1.0);
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let id = n.component;
    let op = if up { Op::Kill } else { Op::Repair };
    let on_fault = props.on_fault.clone();
    let control = move |e: MouseEvent| {
        e.stop_propagation();
        on_fault.emit((id, op));
    };
    let on_fault = props.on_fault.clone();
    let control_key = move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            on_fault.emit((id, op));
        }
    };
    let (control_w, control_h) = (112.0, 28.0);
    let bar_w = n.w - 28.0 - control_w - 16.0;
    // The box (a button that selects it) and its control (a button of its own) are siblings,
    // not one inside the other; the group around both carries the data center's figures.
    html! {
        <g key={n.component.0} class={class} data-component={n.label.clone()} data-kind="data-center"
            data-alive={up.to_string()} data-in-dns={in_dns.to_string()}
            data-per-s={format!("{per_s:.0}")} data-answered={answered.to_string()}
            transform={format!("translate({x0:.1},{y0:.1})")} onclick={on_click}>
            <g class="dc-box" role="button" tabindex="0"
            aria-pressed={selected.to_string()} onkeydown={on_key}>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="14" />
            <g class="node-icon" transform="translate(12,12)">
                <rect x="2" y="3" width="18" height="17" rx="2" />
                <path d="M6,7 H9 M13,7 H16 M6,11 H9 M13,11 H16 M9,20 V15 H13 V20" />
            </g>
            <text class="node-title" x="44" y="30" font-size={font::TITLE.to_string()}>{ n.label.clone() }</text>
            <text class="node-sub" x="44" y="48" font-size={font::BODY.to_string()}>{ format!("{region} · {state_text}") }</text>
            <text class="geo-per-s" x="18" y="86" font-size={font::FIGURE.to_string()}>
                { grouped(per_s.round() as u64) }
                <tspan class="geo-unit" font-size={font::BODY.to_string()}>{ " req/s" }</tspan>
            </text>
            <text class="node-sub" x="18" y="108" font-size={font::BODY.to_string()}>
                { format!("{} users' DNS answer names it", grouped(answered)) }
            </text>
            <text class="node-hint" x="18" y="127" font-size={font::SMALL.to_string()}>{ stack }</text>
            if up {
                <rect class="node-bar-track" x="14" y={(n.h - 28.0).to_string()}
                    width={bar_w.to_string()} height="6" rx="3" />
                <rect class="node-bar" x="14" y={(n.h - 28.0).to_string()}
                    width={format!("{:.1}", bar_w * u)} height="6" rx="3"
                    fill={super::diagram::load_colour(u)} />
                <text class="node-pct" x={(14.0 + bar_w).to_string()} y={(n.h - 34.0).to_string()}
                    text-anchor="end" font-size={font::BODY.to_string()}>{ format!("{} busy", percent(u)) }</text>
            } else {
                <text class="node-hint geo-down" x="14" y={(n.h - 20.0).to_string()} font-size={font::SMALL.to_string()}>
                    { "every server in it is down" }
                </text>
            }
            </g>
            <g class={classes!("dc-control", if up { "kill" } else { "repair" })}
                data-action={if up { "kill-dc" } else { "repair-dc" }}
                transform={format!("translate({:.1},{:.1})", n.w - control_w - 12.0, n.h - control_h - 12.0)}
                role="button" tabindex="0" onclick={control} onkeydown={control_key}
                aria-label={if up { format!("Take down {}", n.label) } else { format!("Bring back {}", n.label) }}>
                <rect width={control_w.to_string()} height={control_h.to_string()} rx="8" />
                <text x={(control_w / 2.0).to_string()} y="18.5" text-anchor="middle" font-size={font::BODY.to_string()}>
                    { if up { "Take down" } else { "Bring back" } }
                </text>
            </g>
        </g>
    }
}

/// A data center's stack up close, for the inspector: every component as a small box coloured
/// by its load (dashed red when down), in the layout of the single-site stages.
pub fn stack_view(stack: &Diagram, figures: &super::state::Figures) -> Html {
    let lines = stack.lines.iter().map(|l| {
        let ((x1, y1), (x2, y2)) = (l.from, l.to);
        html! { <path class="edge" d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")} /> }
    });
    let groups = stack.groups.iter().map(|g| {
        html! {
            <rect class="group-box" x={format!("{:.1}", g.x - g.w / 2.0)}
                y={format!("{:.1}", g.y - g.h / 2.0)} width={format!("{:.1}", g.w)}
                height={format!("{:.1}", g.h)} rx="12" />
        }
    });
    let nodes = stack.nodes.iter().map(|n| {
        let state = figures.component(n.component);
        let down = state.is_some_and(|s| !s.alive);
        let retired = state.is_some_and(|s| s.retired);
        let u = state.map_or(0.0, |s| s.utilization).clamp(0.0, 1.0);
        let fill = if down {
            "var(--panel-2)"
        } else {
            super::diagram::load_colour(u)
        };
        html! {
            <g class={classes!("stack-node", down.then_some("down"), retired.then_some("retired"))}
                data-stack-component={n.label.clone()} data-alive={(!down).to_string()}
                transform={format!("translate({:.1},{:.1})", n.x - n.w / 2.0, n.y - n.h / 2.0)}>
                <rect width={n.w.to_string()} height={n.h.to_string()} rx="8"
                    fill={fill} fill-opacity={if down { "1" } else { "0.28" }} />
                if !n.compact {
                    <text x="10" y={format!("{:.1}", n.h / 2.0 + 6.0)}>{ n.label.clone() }</text>
                }
            </g>
        }
    });
    html! {
        <figure class="dc-stack" data-dc-stack="">
            <figcaption>{ "Its stack, up close" }</figcaption>
            <svg viewBox={format!("0 0 {:.0} {:.0}", stack.width, stack.height)}
                role="img" aria-label="The data center's components, coloured by load">
                { for groups }
                { for lines }
                { for nodes }
            </svg>
        </figure>
    }
}
