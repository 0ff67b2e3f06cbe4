//! Small live charts (SVG polylines) of the headline figures over recent simulated time.
//! They change with the figures, a few times per second, never per animation frame.

use std::rc::Rc;

use yew::prelude::*;

use super::format::figure;
use super::state::ChartData;

/// Drawing size of one chart, in SVG units.
const W: f64 = 200.0;
const H: f64 = 48.0;

/// Properties of [`Charts`].
#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    /// The samples.
    pub data: Rc<ChartData>,
    /// Whether to chart replication lag (stages with replicas).
    pub show_lag: bool,
    /// Whether to chart the cache hit ratio (stage 5 on).
    #[prop_or_default]
    pub show_cache: bool,
    /// Whether to chart the CDN hit ratio (stage 6 on).
    #[prop_or_default]
    pub show_cdn: bool,
    /// Whether to chart the queue's depth (stage 8).
    #[prop_or_default]
    pub show_queue: bool,
    /// Whether to chart the number of web servers (autoscaling, stage 7 on).
    #[prop_or_default]
    pub show_servers: bool,
}

/// The row of charts under the figures.
#[function_component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let d = &props.data;
    let span = match (d.t_s.first(), d.t_s.last()) {
        (Some(a), Some(b)) if b > a => format!("t = {a:.1} – {b:.1} s"),
        _ => "waiting for data".to_string(),
    };
    html! {
        <section class="charts" aria-label="Charts of recent simulated time">
            { chart("Throughput", "throughput", "req/s", &d.throughput_per_s, &span, "var(--accent)") }
            { chart("Latency p99", "p99", "ms", &d.latency_p99_ms, &span, "var(--warn)") }
            { chart("Errors", "errors", "%", &d.error_pct, &span, "var(--bad)") }
            if props.show_lag {
                { chart("Replication lag", "lag", "ms", &d.lag_ms, &span, "var(--repl)") }
            }
            if props.show_cache {
                { chart("Cache hit ratio", "cache_hit", "%", &d.cache_hit_pct, &span, "var(--cache)") }
            }
            if props.show_cdn {
                { chart("CDN hit ratio", "cdn_hit", "%", &d.cdn_hit_pct, &span, "var(--cdn)") }
            }
            if props.show_servers {
                { chart("Web servers", "web_servers", "servers", &d.web_servers, &span, "var(--accent)") }
            }
            if props.show_queue {
                { chart("Queue depth", "queue_depth", "jobs", &d.queue_depth, &span, "var(--warn)") }
            }
        </section>
    }
}

fn chart(
    title: &'static str,
    key: &'static str,
    unit: &'static str,
    values: &[f64],
    span: &str,
    colour: &'static str,
) -> Html {
    // NaN marks a sample with nothing to measure (no request completed): a gap, shown "–".
    let latest = values.last().copied().unwrap_or(0.0);
    let latest_text = if latest.is_nan() {
        "–".to_string()
    } else {
        figure(latest)
    };
    let peak = values.iter().copied().fold(0.0, f64::max);
    let top = nice_ceiling(peak);
    let points = polyline(values, top);
    let area = if points.is_empty() {
        String::new()
    } else {
        format!("0,{H} {points} {W},{H}")
    };
    html! {
        <figure class="chart card" data-chart={key}>
            <figcaption>
                <span class="chart-title">{ title }</span>
                <span class="chart-value">{ latest_text.clone() }<small>{ " " }{ unit }</small></span>
            </figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img"
                aria-label={format!("{title}: now {latest_text} {unit}, peak {} {unit}, {span}", figure(peak))}>
                <polygon class="chart-area" points={area} fill={colour} />
                <polyline class="chart-line" points={points} stroke={colour} />
            </svg>
            <div class="chart-axis"><span>{ span.to_string() }</span><span>{ format!("max {} {unit}", figure(top)) }</span></div>
        </figure>
    }
}

/// `values` as SVG points across the chart, 0 at the bottom and `top` at the top.
fn polyline(values: &[f64], top: f64) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let step = W / (values.len() - 1) as f64;
    let mut out = String::with_capacity(values.len() * 12);
    for (i, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
        let y = H - (v / top).clamp(0.0, 1.0) * (H - 2.0) - 1.0;
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("{:.1},{:.1}", i as f64 * step, y));
    }
    out
}

/// A round number at or above `x` (1, 2, 5 × a power of ten), at least 1.
fn nice_ceiling(x: f64) -> f64 {
    if x.is_nan() || x <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32);
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= x)
        .unwrap_or(10.0 * magnitude)
}
