//! The compact binary form of what the engine sends the page each frame ([`Output`]: figures,
//! diagram, log lines, live changes, report, dots), and of the figures the recording keeps, in
//! the hand-written codec of [`crate::codec`] (the scenario's and the links' types are in
//! [`crate::scenario::wire`]): the worker's wasm encodes, the app's decodes, and neither links a
//! serde format on the per-frame path.
//!
//! ```text
//!   worker: Output ──encode──▶ bytes ──postMessage(ArrayBuffer, transfer: [it])──▶ page
//!   page:   bytes ──decode──▶ Output
//! ```
//!
//! A field added to a type must be added to its line below (the struct macros take every field
//! by name, so one left out does not compile).

pub use crate::codec::{from_bytes, to_bytes, Reader, Wire, Writer};
use crate::codec::{wire_enum, wire_struct};

use super::session::{Command, LogDelta, Op, Output};
use super::state::{ChartData, ComponentFigures, Figures, KindFigure, SeekProgress, SimPlace};
use crate::layout::{
    Diagram, DiagramCluster, DiagramEdge, DiagramGroup, DiagramLine, DiagramNode, Orientation,
};
use crate::layout_geo::{GeoDataCenter, GeoLink, GeoRoute, GeoView};
use crate::sim::badge::Badge;
use crate::sim::chaos::{Entry, Expect};
use crate::sim::diagnosis::{Cause, Incident, Step, Verdict};
use crate::sim::{
    AlertEvent, AlertState, ComponentId, ComponentInfo, ComponentKind, DbRole, DeployStep,
    GeoPoint, GeoStatus, LogEntry, ReshardProgress,
};

/// An output as bytes.
pub fn encode(output: &Output) -> Vec<u8> {
    to_bytes(output)
}

/// Bytes as an output (`None`: they are not one).
pub fn decode(bytes: &[u8]) -> Option<Output> {
    from_bytes(bytes)
}

// What the page asks of the engine (a frame travels as its time alone: super::host).
wire_enum!(Command {
    0 => Load { scenario, orientation, recorded, start_at_s },
    1 => Orientation(orientation),
    2 => Playing(playing),
    3 => Speed(speed),
    4 => ReducedMotion(reduced),
    5 => Users(n),
    6 => WebServers(n),
    7 => PoolServers(counts),
    8 => Apply(component, op),
    9 => Live(action),
    10 => Seek(t_s),
    11 => Report,
    12 => Frame { now_ms },
    13 => Read(request),
    14 => Write(request),
    15 => DataCenterServers(counts),
});
wire_enum!(Op {
    0 => Kill,
    1 => Repair,
    2 => PurgeAll,
    3 => NewVersion,
    4 => Reshard(shards),
    5 => Deploy { batch, drain, pool },
});

// What a frame carries.
wire_struct!(Output {
    failed,
    diagram,
    figures,
    log,
    changes,
    report,
    now_s,
    dots,
    opened,
    written
});
wire_struct!(LogDelta { keep, new });
wire_struct!(LogEntry {
    t_s,
    component,
    text
});

// The diagram.
wire_struct!(Diagram {
    width,
    height,
    nodes,
    edges,
    lines,
    groups,
    clusters,
    orientation,
    geo
});
wire_struct!(DiagramNode {
    component,
    label,
    kind,
    x,
    y,
    w,
    h,
    compact,
    members
});
wire_struct!(DiagramCluster {
    key,
    caption,
    node,
    x,
    y,
    w,
    h,
    tiles
});
wire_struct!(DiagramEdge { from, to });
wire_struct!(DiagramLine { from, to });
wire_struct!(DiagramGroup {
    kind,
    label,
    x,
    y,
    w,
    h
});
wire_enum!(Orientation { 0 => Landscape, 1 => Portrait });
wire_struct!(GeoView {
    regions,
    data_centers,
    routes,
    links
});
wire_struct!(GeoDataCenter {
    component,
    region,
    members,
    kinds,
    stack
});
wire_struct!(GeoRoute {
    region,
    data_center,
    from,
    to
});
wire_struct!(GeoLink {
    a,
    b,
    from,
    to,
    caption
});

impl Wire for ComponentId {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        u16::take(r).map(ComponentId)
    }
}

wire_struct!(ComponentInfo { id, name, kind });
wire_enum!(ComponentKind {
    0 => Users,
    1 => Dns,
    2 => LoadBalancer,
    3 => Server,
    4 => Database,
    5 => Cache,
    6 => Cdn,
    7 => SessionStore,
    8 => Queue,
    9 => Workers,
    10 => NoSql,
    11 => DataCenter,
    12 => Plug(kind),
});

// A registered kind as its place in the registration list.
impl Wire for crate::sim::PlugKind {
    fn put(&self, w: &mut Writer) {
        let i = crate::sim::PlugKind::ALL.iter().position(|k| k == self);
        w.byte(i.and_then(|i| u8::try_from(i).ok()).unwrap_or(u8::MAX));
    }
    fn take(r: &mut Reader) -> Option<Self> {
        crate::sim::PlugKind::ALL
            .get(usize::from(r.byte()?))
            .copied()
    }
}

// The figures (their `log` travels in `Output::log`).
wire_struct!(Figures {
    requests_per_dot, fps, sim_speed, sim_place, sim_time_s, requests_total,
    requests_completed, requests_failed, in_flight, offered_per_s, throughput_per_s,
    error_share, latency_p99_ms, latency_window_s, replica_lag_ms, latency_p50_ms,
    writes_lost, stale_reads, cache_hit_ratio, stale_cache_reads, cdn_hit_ratio, queue_depth,
    active_users, page_views_per_s, writes_per_s, logged_out, web_servers, db_utilization,
    components, lagging, seeking, reached_s, changes, replays, users, server_count,
    pool_counts, data_center_servers, geo, reshard, checkpoints, alerts, charts, verdict, incidents, chaos,
}; log);
wire_enum!(SimPlace { 0 => Starting, 1 => Page, 2 => Worker });
wire_struct!(SeekProgress {
    target_s,
    done,
    from_s,
    recorded_s,
    waiting_changes,
    rerun_speed
});
wire_struct!(ChartData {
    t_s,
    throughput_per_s,
    latency_p99_ms,
    error_pct,
    lag_ms,
    cache_hit_pct,
    cdn_hit_pct,
    queue_depth,
    web_servers,
});
wire_struct!(ComponentFigures {
    id,
    alive,
    utilization,
    busy_workers,
    workers,
    queue_len,
    queue_capacity,
    in_pool,
    retired,
    role,
    lag_writes,
    lag_ms,
    stale_reads,
    items,
    capacity_items,
    hit_ratio,
    deploy,
    badges,
    figures,
});
wire_struct!(KindFigure { key, label, value });
wire_enum!(DbRole { 0 => Master, 1 => Replica });
wire_enum!(DeployStep { 0 => Draining, 1 => Starting, 2 => HealthChecks });
wire_enum!(Badge { 0 => Down, 1 => Slow(factor), 2 => Errors(ratio), 3 => Saturated });
wire_struct!(GeoStatus {
    regions,
    data_centers,
    answers,
    rtt_ms,
    last,
    requests_per_s,
    writes_lost,
    users_by_answer,
});
wire_struct!(GeoPoint {
    t_s,
    requests_per_s,
    in_dns,
    up,
    users_by_answer,
    replication_lag_ms,
    writes_at_risk,
});
wire_struct!(ReshardProgress {
    from_shards,
    to_shards,
    keys_moved,
    keys_copied,
    finished
});
wire_struct!(AlertEvent {
    t_s,
    rule,
    state,
    value,
    threshold
});
wire_enum!(AlertState { 0 => Firing, 1 => Resolved });

// The diagnosis.
wire_struct!(Verdict {
    time_s,
    open,
    busiest
});
wire_struct!(Incident {
    start_s,
    end_s,
    cause,
    chain,
    summary,
    p99_before_ms,
    p99_peak_ms,
    p99_peak_at_s,
    failed,
    failures_per_s_peak,
    detection_s,
    failover_s,
});
wire_struct!(Step { component, text });
wire_enum!(Cause {
    0 => ComponentDown { component, component_kind, at_s, repaired_at_s },
    1 => Saturation { component, utilization, queue_len, queue_capacity },
    2 => Surge { from_per_s, to_per_s },
    3 => Slow { component, factor, at_s },
    4 => Errors { component, ratio, at_s },
    5 => ReplicationLag { component, lag_ms },
    6 => WorkersHeld { component, held, workers, waiting_on },
    7 => BreakerOpen { store },
    8 => Partition { writes_waiting },
    9 => Stampede { key, reads, database },
});

// The chaos catalogue.
impl Wire for Entry {
    fn put(&self, w: &mut Writer) {
        let Entry {
            key,
            title,
            watch,
            actions,
            expect,
            unavailable,
            store,
            cache,
        } = self;
        w.str(key);
        title.put(w);
        watch.put(w);
        actions.put(w);
        expect.put(w);
        unavailable.put(w);
        store.put(w);
        cache.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some(Entry {
            key: crate::sim::chaos::key_of(String::take(r)?),
            title: Wire::take(r)?,
            watch: Wire::take(r)?,
            actions: Wire::take(r)?,
            expect: Wire::take(r)?,
            unavailable: Wire::take(r)?,
            store: Wire::take(r)?,
            cache: Wire::take(r)?,
        })
    }
}
wire_enum!(Expect {
    0 => Down(name),
    1 => Surge,
    2 => Slow(name),
    3 => Errors(name),
    4 => Repaired(name),
    5 => Partition,
    6 => Setting,
});
