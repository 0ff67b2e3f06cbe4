//! Any text as a scenario file: the JSON decoder and validator never panic, and an accepted
//! scenario runs a short, event-bounded simulation that conserves every request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scalesim::scenario::Scenario;
use scalesim::sim::{Sim, SimTime};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let mut sim = Sim::new(&scenario).expect("validated scenarios build");
    sim.advance_to(SimTime::from_secs(2), 20_000);
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.completed + q.failed + q.in_flight);
});
