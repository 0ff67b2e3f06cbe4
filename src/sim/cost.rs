//! What a run would cost: instance-hours per component, stored data, CDN and cross-region
//! traffic, each priced from [`PRICES`].
//!
//! The prices are assumptions — round numbers of the order of public cloud list prices in
//! US dollars, not any provider's tariff — and this table is the only place they live. They
//! are there to compare architectures with each other (what a cache saves in database
//! nodes, what a second data center adds), not to budget a real system.

use serde::Serialize;

/// The price table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prices {
    /// A web server, per worker-hour (an 8-worker server: $0.10/h).
    pub web_worker_hour: f64,
    /// A database node, per worker-hour at speed 1 (faster nodes cost in proportion).
    pub db_worker_hour: f64,
    /// A cache node, per hour.
    pub cache_node_hour: f64,
    /// The shared session store, per hour.
    pub session_store_hour: f64,
    /// A load balancer, per hour.
    pub load_balancer_hour: f64,
    /// The message-queue broker, per hour.
    pub queue_broker_hour: f64,
    /// A queue worker, per hour.
    pub queue_worker_hour: f64,
    /// Stored data, per GB-month (each database node keeps a full copy of its shard).
    pub storage_gb_month: f64,
    /// Size of one stored key, KB.
    pub kb_per_key: f64,
    /// DNS, per million lookups.
    pub dns_million_lookups: f64,
    /// Data sent between regions (cross-data-center replication), per GB.
    pub cross_region_gb: f64,
    /// Size of one replicated write, KB.
    pub kb_per_write: f64,
}

/// The assumed prices (USD).
pub const PRICES: Prices = Prices {
    web_worker_hour: 0.0125,
    db_worker_hour: 0.03,
    cache_node_hour: 0.15,
    session_store_hour: 0.15,
    load_balancer_hour: 0.025,
    queue_broker_hour: 0.05,
    queue_worker_hour: 0.01,
    storage_gb_month: 0.10,
    kb_per_key: 1.0,
    dns_million_lookups: 0.40,
    cross_region_gb: 0.02,
    kb_per_write: 1.0,
};

/// Hours in the month used to pro-rate storage.
const HOURS_PER_MONTH: f64 = 730.0;
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// One line of the bill.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostItem {
    /// What is paid for (`web servers`, `us-east/database nodes`, `CDN`, …).
    pub item: String,
    /// How much of it.
    pub quantity: f64,
    /// In what unit (`worker-hours`, `GB`, …).
    pub unit: String,
    /// Its price, USD.
    pub usd: f64,
}

/// The bill of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostReport {
    /// One line per kind of thing paid for.
    pub items: Vec<CostItem>,
    /// Sum of the items, USD.
    pub total_usd: f64,
    /// The total spread over the simulated time: USD per hour.
    pub usd_per_hour: f64,
    /// The prices used (assumptions: see `src/sim/cost.rs`).
    pub prices: Prices,
}

/// Builds a bill line by line.
#[derive(Default)]
pub(super) struct Bill {
    items: Vec<CostItem>,
}

impl Bill {
    /// Adds `quantity` `unit`s at `price` each (nothing when the quantity is zero).
    pub fn add(&mut self, item: impl Into<String>, quantity: f64, unit: &str, price: f64) {
        if quantity > 0.0 {
            self.items.push(CostItem {
                item: item.into(),
                quantity,
                unit: unit.to_string(),
                usd: quantity * price,
            });
        }
    }

    /// Adds a line priced elsewhere (the CDN's own prices from the scenario).
    pub fn add_priced(&mut self, item: impl Into<String>, quantity: f64, unit: &str, usd: f64) {
        if quantity > 0.0 || usd > 0.0 {
            self.items.push(CostItem {
                item: item.into(),
                quantity,
                unit: unit.to_string(),
                usd,
            });
        }
    }

    /// Stored keys held for `hours` as a storage line.
    pub fn add_storage(&mut self, item: impl Into<String>, keys_held: f64, hours: f64) {
        let gb_months = keys_held * PRICES.kb_per_key / KB_PER_GB * hours / HOURS_PER_MONTH;
        self.add(item, gb_months, "GB-months", PRICES.storage_gb_month);
    }

    /// Appends another bill's lines, their names prefixed.
    pub fn extend_prefixed(&mut self, prefix: &str, other: CostReport) {
        self.items.extend(other.items.into_iter().map(|mut i| {
            i.item = format!("{prefix}{}", i.item);
            i
        }));
    }

    /// Cross-region replication traffic.
    pub fn add_replication(&mut self, writes: u64) {
        let gb = writes as f64 * PRICES.kb_per_write / KB_PER_GB;
        self.add("cross-region replication", gb, "GB", PRICES.cross_region_gb);
    }

    /// The finished report over `hours` of simulated time.
    pub fn finish(self, hours: f64) -> CostReport {
        let total_usd: f64 = self.items.iter().map(|i| i.usd).sum();
        CostReport {
            items: self.items,
            total_usd,
            usd_per_hour: if hours > 0.0 { total_usd / hours } else { 0.0 },
            prices: PRICES,
        }
    }
}
