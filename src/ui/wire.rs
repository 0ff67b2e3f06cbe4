//! The compact binary form of what the engine sends the page each frame ([`Output`]: figures,
//! diagram, log lines, live changes, report, dots), and of the figures the recording keeps: one
//! hand-written encoder and decoder shared by the worker's wasm (which encodes) and the app's
//! (which decodes), so that neither links a serde format on the per-frame path.
//!
//! ```text
//!   worker: Output ──encode──▶ bytes ──postMessage(ArrayBuffer, transfer: [it])──▶ page
//!   page:   bytes ──decode──▶ Output
//!
//!   unsigned integers: LEB128 (7 bits a byte)   f64: 8 bytes, little-endian (bit for bit: NaN
//!   stays NaN)   f32: 4 bytes   bool: 0 / 1   String: length, UTF-8   Option: 0 / 1, value
//!   Vec: length, items   struct: its fields in order   enum: its tag (a byte), its fields
//! ```
//!
//! Both ends are built from the same source, so the layout needs no version: a field added to
//! a type must be added to its line below (the struct macros take every field by name, so one
//! left out does not compile). Decoding never panics: bytes that do not decode give `None`.

use std::rc::Rc;

use super::session::{LogDelta, Output};
use super::state::{ChartData, ComponentFigures, Figures, KindFigure, SeekProgress, SimPlace};
use crate::layout::{
    Diagram, DiagramCluster, DiagramEdge, DiagramGroup, DiagramLine, DiagramNode, Orientation,
};
use crate::layout_geo::{GeoDataCenter, GeoLink, GeoRoute, GeoView};
use crate::scenario::{LiveAction, LiveChange, Mechanism};
use crate::sim::badge::Badge;
use crate::sim::chaos::{Entry, Expect};
use crate::sim::diagnosis::{Cause, Incident, Step, Verdict};
use crate::sim::{
    AlertEvent, AlertState, ComponentId, ComponentKind, DbRole, DeployStep, GeoPoint, GeoStatus,
    LogEntry, ReshardProgress,
};

/// An output as bytes.
pub fn encode(output: &Output) -> Vec<u8> {
    to_bytes(output)
}

/// Bytes as an output (`None`: they are not one).
pub fn decode(bytes: &[u8]) -> Option<Output> {
    from_bytes(bytes)
}

/// Any value of the wire's types as bytes.
pub fn to_bytes<T: Wire>(value: &T) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1024));
    value.put(&mut w);
    w.0
}

/// Bytes as a value of the wire's types; `None` if they do not decode or bytes are left over.
pub fn from_bytes<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader { bytes, at: 0 };
    let value = T::take(&mut r)?;
    (r.at == bytes.len()).then_some(value)
}

/// Where encoded bytes go.
pub struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
}

/// Where decoded bytes come from.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn slice(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of items, at most the bytes left (every item takes at least one byte), so that
    /// bad bytes cannot ask for a huge allocation.
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
}

/// A type the wire carries.
pub trait Wire: Sized {
    /// Appends its bytes.
    fn put(&self, w: &mut Writer);
    /// Reads one back (`None`: the bytes are not one).
    fn take(r: &mut Reader) -> Option<Self>;
}

macro_rules! wire_uint {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                w.varint(*self as u64);
            }
            fn take(r: &mut Reader) -> Option<Self> {
                <$t>::try_from(r.varint()?).ok()
            }
        }
    )*};
}
wire_uint!(u16, u32, u64, usize);

impl Wire for u8 {
    fn put(&self, w: &mut Writer) {
        w.byte(*self);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        r.byte()
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Wire for f64 {
    fn put(&self, w: &mut Writer) {
        w.0.extend_from_slice(&self.to_le_bytes());
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some(f64::from_le_bytes(r.slice(8)?.try_into().ok()?))
    }
}

impl Writer {
    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.str(self);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.len()?;
        String::from_utf8(r.slice(n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.put(w);
            }
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::take(r)?)),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for item in self {
            item.put(w);
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.len()?;
        (0..n).map(|_| T::take(r)).collect()
    }
}

/// The dots: a length, then 4 bytes each.
impl Wire for Vec<f32> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        w.0.reserve(self.len() * 4);
        for x in self {
            w.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = usize::try_from(r.varint()?).ok()?;
        let bytes = r.slice(n.checked_mul(4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }
}

impl<T: Wire> Wire for Rc<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        T::take(r).map(Rc::new)
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        T::take(r).map(Box::new)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some((A::take(r)?, B::take(r)?))
    }
}

impl<A: Wire, B: Wire, C: Wire, D: Wire> Wire for (A, B, C, D) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
        self.3.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some((A::take(r)?, B::take(r)?, C::take(r)?, D::take(r)?))
    }
}

/// A struct as its fields in order; every field must be named (the destructuring and the
/// struct expression do not compile otherwise). Fields after `;` are not sent: they decode as
/// their default.
macro_rules! wire_struct {
    ($t:ident { $($f:ident),* $(,)? } $(; $($skip:ident),*)?) => {
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                let $t { $($f,)* $($($skip: _,)*)? } = self;
                $($f.put(w);)*
            }
            fn take(r: &mut Reader) -> Option<Self> {
                Some($t {
                    $($f: Wire::take(r)?,)*
                    $($($skip: Default::default(),)*)?
                })
            }
        }
    };
}

/// An enum as a tag byte and the variant's fields: `tag => Variant`, `tag => Variant(a, b)`
/// or `tag => Variant { a, b }` (the names in parentheses only bind the fields).
macro_rules! wire_enum {
    ($t:ident { $($tag:literal => $v:ident $(($($tf:ident),*))? $({$($sf:ident),*})?),* $(,)? }) => {
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                match self {
                    $($t::$v $(($($tf),*))? $({$($sf),*})? => {
                        w.byte($tag);
                        $($($tf.put(w);)*)?
                        $($($sf.put(w);)*)?
                    })*
                }
            }
            fn take(r: &mut Reader) -> Option<Self> {
                Some(match r.byte()? {
                    $($tag => $t::$v
                        $(($({ let $tf = Wire::take(r)?; $tf }),*))?
                        $({$($sf: Wire::take(r)?),*})?,)*
                    _ => return None,
                })
            }
        }
    };
}

// What a frame carries.
wire_struct!(Output {
    failed,
    diagram,
    figures,
    log,
    changes,
    report,
    now_s,
    dots
});
wire_struct!(LogDelta { keep, new });
wire_struct!(LogEntry {
    t_s,
    component,
    text
});
wire_struct!(LiveChange { at_ns, action });
wire_enum!(LiveAction {
    0 => Users(n),
    1 => WebServers(n),
    2 => PoolServers { pool, count },
    3 => Kill(name),
    4 => Repair(name),
    5 => Slow { name, factor_milli },
    6 => Errors { name, ratio_milli },
    7 => CdnPurgeAll,
    8 => CdnNewVersion,
    9 => Reshard(n),
    10 => Mechanism { which, on },
    11 => Partition { a, b, cut },
    12 => Deploy { batch, drain, pool },
    13 => CoalesceAt { cache, on },
    14 => ReshardAt { router, count },
});
wire_enum!(Mechanism { 0 => SyncCalls, 1 => Breaker, 2 => Coalesce });

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
    pool_counts, geo, reshard, checkpoints, alerts, charts, verdict, incidents, chaos,
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
