//! Native integration tests of the simulation core and the CLI: one binary, a module per
//! behaviour. Fidelity tests are long runs; run them in release (`cargo test --release`).

mod api_gateway;
mod cache;
mod capacity;
mod challenges;
mod chaos;
mod cli;
mod cli_sweep;
mod codec;
mod data_centers;
mod datastore;
mod deploy;
mod diagnosis;
mod fidelity;
mod geo;
mod helpers;
mod job_writes;
mod layout_plan;
mod live;
mod mechanisms;
mod monitoring;
mod playback;
mod rate_limiter;
mod run_behaviour;
mod scenario_checks;
mod sharding;
mod side_by_side;
mod snapshot;
mod spelling;
mod stages6to8;
mod tiers;
mod topology;
mod tour_claims;
mod url;
