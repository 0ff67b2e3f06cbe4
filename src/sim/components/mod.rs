//! Components: one file per kind of part of a system, each with its state and the rules of its
//! behaviour — the load balancer's pool and policies, a cache's store and eviction, a database
//! cluster with replication, failover and resharding, the NoSQL store, the message queue with
//! its workers, the deploy controller — and the queueing station that web servers, database,
//! cache, session-store and NoSQL nodes are served by.
//!
//! See docs/architecture.md for what each owns today and what still lives in the engine.

pub(super) mod api_gateway;
pub(super) mod balancer;
pub(super) mod breaker;
pub mod built_in;
pub(super) mod cache;
pub(super) mod cache_cluster;
pub(super) mod clients;
pub(super) mod coalesce;
pub(super) mod database;
pub(super) mod deploy;
pub(super) mod dns;
pub(super) mod edge;
pub(super) mod jobs;
pub(super) mod migration;
pub(super) mod monitor;
pub(super) mod nosql;
pub(super) mod rate_limiter;
pub mod registry;
pub(super) mod replication;
pub(super) mod sessions;
pub(super) mod station;
pub(super) mod sync;
pub(super) mod web_pool;
pub(super) mod web_tier;
