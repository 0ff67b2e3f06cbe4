//! Any text given to the link decoder: no panic, no hang, bounded memory; whatever decodes is a
//! valid scenario that encodes and decodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scalesim::scenario::{decode_link, encode_link};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = decode_link(text) {
        link.scenario.validate().expect("decoded links are valid");
        let again = decode_link(&encode_link(&link.scenario, link.time_s)).expect("round trip");
        assert_eq!(again.scenario, link.scenario);
    }
});
