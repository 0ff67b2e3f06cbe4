//! Stage 11's part of the report: the geo layer over the run, each region's users, each data
//! center's sections, and the replication channels between data centers.

use super::*;

/// Stage 11 over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeoReport {
    /// How geoDNS answered: `nearest` or `split`.
    pub routing: crate::scenario::GeoRouting,
    /// GeoDNS lookups (the clients' cached answers are in the top-level `dns`).
    pub dns_lookups: u64,
    /// Requests that failed because geoDNS was down and the user's answer had expired.
    pub dns_failed: u64,
    /// Lookups answered with a different data center than the user's previous answer.
    pub users_moved: u64,
    /// Each region's users and what they saw.
    pub regions: Vec<RegionReport>,
    /// Each data center.
    pub data_centers: Vec<DataCenterReport>,
    /// Cross-data-center replication, per direction.
    pub replication: Vec<ChannelReport>,
    /// Committed writes lost because their data center failed before shipping them.
    pub writes_lost_cross_dc: u64,
    /// One point per metrics interval: traffic per data center, geoDNS view, lag.
    pub series: Vec<crate::sim::geo::GeoPoint>,
}

/// One region over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionReport {
    /// Its name.
    pub name: String,
    /// Users living there.
    pub users: u64,
    /// Requests they sent.
    pub requests: u64,
    /// Latency of their completed requests (includes the round trip to the data center
    /// that served them).
    pub latency_ms: LatencyReport,
}

/// One data center over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataCenterReport {
    /// Its name.
    pub name: String,
    /// The region it stands in.
    pub region: String,
    /// Lookups geoDNS answered with it.
    pub dns_answers: u64,
    /// Requests users sent to it.
    pub requests_received: u64,
    /// Its request accounting.
    pub requests: RequestTotals,
    /// Latency of the requests it answered.
    pub latency_ms: LatencyReport,
    /// Up at the end of the run.
    pub up_at_end: bool,
    /// Named by geoDNS at the end of the run.
    pub in_dns_at_end: bool,
    /// Metrics intervals that ended with geoDNS still naming it while it was down.
    pub intervals_named_while_down: u32,
    /// Its database tier.
    pub database: Option<DatabaseReport>,
    /// Its cache tier.
    pub cache: Option<CacheReport>,
    /// Its further cache clusters, each by its name (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_caches: Vec<NamedCacheReport>,
    /// Its further web pools, each by its name (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_web_pools: Vec<WebPoolReport>,
    /// Its further databases, each by its name (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_databases: Vec<NamedDatabaseReport>,
    /// Its CDN edge.
    pub cdn: Option<CdnReport>,
    /// Its message queue.
    pub queue: Option<QueueReport>,
}

/// Cross-data-center replication in one direction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelReport {
    /// Sending data center.
    pub from: String,
    /// Receiving data center.
    pub to: String,
    /// Writes shipped.
    pub shipped: u64,
    /// Writes lost when the sender failed before shipping them.
    pub lost: u64,
    /// Writes waiting to be shipped at the end.
    pub waiting: u64,
    /// Largest lag seen: from commit to arrival at the receiver, ms.
    pub max_lag_ms: f64,
    /// Partitions: the most writes waiting while the network was cut (left out when it
    /// never was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_waiting_cut: Option<u64>,
    /// Cut by a partition at the end of the run (left out when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}
